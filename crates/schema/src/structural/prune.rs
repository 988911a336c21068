//! Pruning of unknown fields (apiextensions `pkg/apiserver/schema/pruning`) and the
//! defaulting algorithm (`pkg/apiserver/schema/defaulting`).

use super::model::Structural;
use serde_json::Value;

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Tracks the current path (`spec.items[0].name`) and the unknown fields found.
struct PathTracker {
    parts: String,
    unknown: Vec<String>,
}

impl PathTracker {
    fn key_path(&self, key: &str) -> String {
        if self.parts.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.parts)
        }
    }

    fn with_key<T>(&mut self, key: &str, f: impl FnOnce(&mut PathTracker) -> T) -> T {
        let len = self.parts.len();
        if !self.parts.is_empty() {
            self.parts.push('.');
        }
        self.parts.push_str(key);
        let out = f(self);
        self.parts.truncate(len);
        out
    }

    fn with_index<T>(&mut self, index: usize, f: impl FnOnce(&mut PathTracker) -> T) -> T {
        let len = self.parts.len();
        self.parts.push('[');
        self.parts.push_str(&index.to_string());
        self.parts.push(']');
        let out = f(self);
        self.parts.truncate(len);
        out
    }

    fn record(&mut self, key: &str) {
        let path = self.key_path(key);
        self.unknown.push(path);
    }
}

/// Removes fields not declared in the schema and returns their paths, sorted. With
/// `is_resource_root` the root is treated as an embedded resource: `apiVersion`, `kind` and
/// `metadata` are kept (and not reported).
pub fn prune(obj: &mut Value, schema: Option<&Structural>, is_resource_root: bool) -> Vec<String> {
    let mut tracker = PathTracker {
        parts: String::new(),
        unknown: Vec::new(),
    };
    let empty = Structural::default();
    let schema = if is_resource_root {
        Some(schema.unwrap_or(&empty))
    } else {
        schema
    };
    prune_node(obj, schema, &mut tracker, is_resource_root);
    tracker.unknown.sort();
    tracker.unknown
}

/// `force_embedded` treats the node as an embedded resource (the resource root) without
/// cloning its schema.
fn prune_node(x: &mut Value, s: Option<&Structural>, t: &mut PathTracker, force_embedded: bool) {
    if let Some(s) = s {
        if s.x_preserve_unknown_fields {
            skip_prune(x, s, t, force_embedded);
            return;
        }
    }
    match x {
        Value::Object(map) => {
            let Some(s) = s else {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    t.record(&k);
                }
                map.clear();
                return;
            };
            let embedded = s.x_embedded_resource || force_embedded;
            let mut removed = Vec::new();
            for (k, v) in map.iter_mut() {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                if let Some(prop) = s.properties.get(k) {
                    t.with_key(k, |t| prune_node(v, Some(prop), t, false));
                } else if let Some(ap) = &s.additional_properties {
                    t.with_key(k, |t| prune_node(v, ap.structural.as_deref(), t, false));
                } else {
                    if !META_FIELDS.contains(&k.as_str()) || !t.parts.is_empty() {
                        t.record(k);
                    }
                    removed.push(k.clone());
                }
            }
            for k in removed {
                map.remove(&k);
            }
        }
        Value::Array(items) => {
            let item_schema = s.and_then(|s| s.items.as_deref());
            for (i, v) in items.iter_mut().enumerate() {
                t.with_index(i, |t| prune_node(v, item_schema, t, false));
            }
        }
        _ => {}
    }
}

fn skip_prune(x: &mut Value, s: &Structural, t: &mut PathTracker, force_embedded: bool) {
    match x {
        Value::Object(map) => {
            let embedded = s.x_embedded_resource || force_embedded;
            for (k, v) in map.iter_mut() {
                if embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                if let Some(prop) = s.properties.get(k) {
                    t.with_key(k, |t| prune_node(v, Some(prop), t, false));
                } else if let Some(ap) = &s.additional_properties {
                    t.with_key(k, |t| prune_node(v, ap.structural.as_deref(), t, false));
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.items.as_deref() {
                for (i, v) in items.iter_mut().enumerate() {
                    t.with_index(i, |t| skip_prune(v, item_schema, t, false));
                }
            }
        }
        _ => {}
    }
}

/// Deletes map entries that are `null` while their schema is non-nullable and has no
/// default (`PruneNonNullableNullsWithoutDefaults`); list items are kept.
pub fn prune_non_nullable_nulls(x: &mut Value, s: Option<&Structural>) {
    match x {
        Value::Object(map) => {
            map.retain(|k, v| {
                let child = s.and_then(|s| s.child(k));
                !(v.is_null() && child.is_some_and(|c| !c.nullable && c.default.is_none()))
            });
            for (k, v) in map.iter_mut() {
                prune_non_nullable_nulls(v, s.and_then(|s| s.child(k)));
            }
        }
        Value::Array(items) => {
            let item_schema = s.and_then(|s| s.items.as_deref());
            for v in items {
                prune_non_nullable_nulls(v, item_schema);
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(x: Option<&Value>, s: Option<&Structural>) -> bool {
    x.is_some_and(Value::is_null) && s.is_some_and(|s| !s.nullable)
}

/// Applies `default`s top-down (`defaulting.Default`): absent or non-nullable-null
/// properties get their default; null additionalProperties values and list items of a
/// non-nullable schema get the value schema's default; the result is recursed into.
pub fn apply_defaults(x: &mut Value, s: Option<&Structural>) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            for (k, prop) in &s.properties {
                let Some(default) = &prop.default else {
                    continue;
                };
                let current = map.get(k);
                if current.is_none() || is_non_nullable_null(current, Some(prop)) {
                    map.insert(k.clone(), default.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.properties.get(k) {
                    apply_defaults(v, Some(prop));
                } else if let Some(ap) = &s.additional_properties {
                    let value_schema = ap.structural.as_deref();
                    if is_non_nullable_null(Some(v), value_schema) {
                        *v = value_schema
                            .and_then(|vs| vs.default.clone())
                            .unwrap_or(Value::Null);
                    }
                    apply_defaults(v, value_schema);
                }
            }
        }
        Value::Array(items) => {
            let item_schema = s.items.as_deref();
            for v in items.iter_mut() {
                if is_non_nullable_null(Some(v), item_schema) {
                    *v = item_schema
                        .and_then(|is| is.default.clone())
                        .unwrap_or(Value::Null);
                }
                apply_defaults(v, item_schema);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::SchemaProps;
    use serde_json::json;

    fn structural(v: Value) -> Structural {
        Structural::from_props(&SchemaProps::from_value(&v).expect("decodes")).expect("structural")
    }

    #[test]
    fn prunes_unknown_fields_and_reports_sorted_paths() {
        let s = structural(json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "list": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "flag": {"type": "object", "additionalProperties": true}
            }}
        }}));
        let mut obj = json!({
            "apiVersion": "g/v1", "kind": "K", "metadata": {"name": "x"},
            "foo": 1,
            "spec": {
                "zzz": true,
                "list": [{"name": "a", "bad": 1}],
                "free": {"anything": {"goes": 1}, "inner": {"a": "x", "b": "y"}},
                "labels": {"k": "v"},
                "flag": {"k": {"nested": 1}}
            }
        });
        let unknown = prune(&mut obj, Some(&s), true);
        assert_eq!(
            unknown,
            vec![
                "foo",
                "spec.flag.k.nested",
                "spec.free.inner.b",
                "spec.list[0].bad",
                "spec.zzz"
            ]
        );
        assert_eq!(obj["metadata"], json!({"name": "x"}));
        assert_eq!(obj["spec"]["free"]["anything"], json!({"goes": 1}));
        assert_eq!(obj["spec"]["flag"]["k"], json!({}));
        assert!(obj.get("foo").is_none());
    }

    #[test]
    fn nested_meta_fields_are_pruned_outside_embedded_resources() {
        let s = structural(
            json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {}}}}),
        );
        let mut obj = json!({"spec": {"metadata": {"a": 1}, "kind": "x"}});
        assert_eq!(
            prune(&mut obj, Some(&s), true),
            vec!["spec.kind", "spec.metadata"]
        );
    }

    #[test]
    fn defaults_and_nulls() {
        let s = structural(
            json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "a": {"type": "string", "default": "x"},
                "b": {"type": "string"},
                "c": {"type": "string", "nullable": true, "default": "y"},
                "obj": {"type": "object", "default": {}, "properties": {"inner": {"type": "integer", "default": 5}}},
                "list": {"type": "array", "items": {"type": "object", "properties": {"p": {"type": "integer", "default": 1}}}},
                "m": {"type": "object", "additionalProperties": {"type": "string", "default": "dflt"}}
            }}}}),
        );
        let mut obj =
            json!({"spec": {"b": null, "c": null, "list": [{}, {"p": 2}], "m": {"k": null}}});
        prune_non_nullable_nulls(&mut obj, Some(&s));
        apply_defaults(&mut obj, Some(&s));
        assert_eq!(
            obj,
            json!({"spec": {
                "a": "x", "c": null, "obj": {"inner": 5},
                "list": [{"p": 1}, {"p": 2}], "m": {"k": "dflt"}
            }})
        );
    }
}
