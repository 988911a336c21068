//! Merge types from a CRD's structural schema, as kube-openapi's `schemaconv`
//! builds them for custom resources.

use super::builtin::builtins;
use super::{
    Atom, ListKind, ListType, MapType, PatchMeta, Rest, Schema, StructField, TypeId, TypeRef,
    DEDUCED, SCALAR, UNTYPED_ATOMIC,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The merge type of a custom resource from its version's `openAPIV3Schema`
/// (the structural schema of a CRD), following kube-openapi's conversion:
///
/// - `x-kubernetes-list-type`: `atomic` (the default) / `set` / `map` with
///   `x-kubernetes-list-map-keys`; when unset, `x-kubernetes-patch-strategy: merge`
///   gives a map list on `x-kubernetes-patch-merge-key`, or a set without one;
/// - `x-kubernetes-map-type: atomic` makes an object a unit; objects are granular otherwise;
/// - `x-kubernetes-preserve-unknown-fields`, `additionalProperties: true` and
///   objects without `properties` are "deduced" (maps granular, lists atomic);
/// - `default` of a list-map key field fills in a missing key.
///
/// `metadata` always uses the ObjectMeta type of the built-ins (labels and
/// annotations granular, finalizers a set, ownerReferences keyed by uid).
///
/// ```
/// use serde_json::json;
/// let ty = klite_merge::types::from_openapi_schema(&json!({
///     "type": "object",
///     "properties": {"spec": {"type": "object", "properties": {
///         "ports": {"type": "array", "x-kubernetes-list-type": "map",
///                   "x-kubernetes-list-map-keys": ["port"],
///                   "items": {"type": "object", "properties": {"port": {"type": "integer"}}}}}}}
/// }));
/// let ports = ty.field("spec").unwrap().field("ports").unwrap();
/// assert_eq!(ports.list_keys(), Some(vec!["port".to_string()]));
/// ```
pub fn from_openapi_schema(schema: &Value) -> TypeRef {
    let mut conv = Converter {
        schema: Schema::with_common_types(),
    };
    let root = conv.parse(schema, false);
    let object_meta = conv.object_meta();
    if let Some(map) = conv.schema.atoms[root].map.as_mut() {
        map.fields
            .retain(|f| !matches!(f.name.as_str(), "metadata" | "apiVersion" | "kind"));
        for (name, ty) in [
            ("apiVersion", SCALAR),
            ("kind", SCALAR),
            ("metadata", object_meta),
        ] {
            map.fields.push(StructField {
                name: name.to_string(),
                ty,
                default: None,
                zero: None,
                patch: PatchMeta::default(),
            });
        }
        map.fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    TypeRef {
        schema: Arc::new(conv.schema),
        id: root,
    }
}

struct Converter {
    schema: Schema,
}

fn ext_str<'a>(s: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    s.get(key).and_then(Value::as_str)
}

impl Converter {
    fn parse(&mut self, schema: &Value, inherited_preserve: bool) -> TypeId {
        let Some(s) = schema.as_object() else {
            return DEDUCED;
        };
        let preserve = inherited_preserve
            || s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        match ext_str(s, "type").unwrap_or("") {
            "" => {
                let list = self.list_type(s, preserve);
                let map = self.map_type(s, preserve);
                self.schema.push(Atom {
                    scalar: true,
                    list: Some(list),
                    map: Some(map),
                })
            }
            "object" => {
                let map = self.map_type(s, preserve);
                self.schema.push(Atom {
                    map: Some(map),
                    ..Atom::default()
                })
            }
            "array" => {
                let list = self.list_type(s, preserve);
                self.schema.push(Atom {
                    list: Some(list),
                    ..Atom::default()
                })
            }
            _ => SCALAR,
        }
    }

    fn map_type(&mut self, s: &Map<String, Value>, preserve: bool) -> MapType {
        let properties = s.get("properties").and_then(Value::as_object);
        let mut fields = Vec::new();
        for (name, prop) in properties.into_iter().flatten() {
            let ty = self.parse(prop, preserve);
            let p = prop.as_object();
            fields.push(StructField {
                name: name.clone(),
                ty,
                default: p.and_then(|p| p.get("default")).cloned(),
                zero: None,
                patch: PatchMeta::parse(
                    p.and_then(|p| ext_str(p, "x-kubernetes-patch-strategy")),
                    p.and_then(|p| ext_str(p, "x-kubernetes-patch-merge-key")),
                ),
            });
        }
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        let rest = match s.get("additionalProperties") {
            Some(Value::Object(inner)) => {
                Rest::Entries(self.parse(&Value::Object(inner.clone()), preserve))
            }
            // `true`, absent, or `false`: unknown keys are free-form. (Upstream refuses
            // undeclared fields when properties exist; the schema layer prunes them first.)
            _ => Rest::Entries(DEDUCED),
        };
        MapType {
            fields,
            rest,
            atomic: ext_str(s, "x-kubernetes-map-type") == Some("atomic"),
        }
    }

    fn list_type(&mut self, s: &Map<String, Value>, preserve: bool) -> ListType {
        let kind = match ext_str(s, "x-kubernetes-list-type") {
            Some("set") => ListKind::Set,
            Some("map") => ListKind::Map(
                s.get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            Some(_) => ListKind::Atomic,
            None => match ext_str(s, "x-kubernetes-patch-strategy") {
                Some("merge") | Some("merge,retainKeys") => {
                    match ext_str(s, "x-kubernetes-patch-merge-key") {
                        Some(key) => ListKind::Map(vec![key.to_string()]),
                        None => ListKind::Set,
                    }
                }
                _ => ListKind::Atomic,
            },
        };
        let element = match s.get("items") {
            Some(items @ Value::Object(_)) => self.parse(items, preserve),
            _ => UNTYPED_ATOMIC,
        };
        ListType { element, kind }
    }

    /// Copies the built-in ObjectMeta type into this schema.
    fn object_meta(&mut self) -> TypeId {
        match builtins() {
            Some(b) => copy_type(
                &b.schema,
                b.object_meta,
                &mut self.schema,
                &mut HashMap::new(),
            ),
            None => DEDUCED,
        }
    }
}

/// Deep-copies type `id` of `from` (and everything it refers to) into `into`.
fn copy_type(
    from: &Schema,
    id: TypeId,
    into: &mut Schema,
    done: &mut HashMap<TypeId, TypeId>,
) -> TypeId {
    if id <= super::OPAQUE_STRUCT {
        return id; // predefined in every schema
    }
    if let Some(&copied) = done.get(&id) {
        return copied;
    }
    let new_id = into.push(Atom::default());
    done.insert(id, new_id);
    let source = from.atom(id).clone();
    let list = source.list.map(|l| ListType {
        element: copy_type(from, l.element, into, done),
        kind: l.kind,
    });
    let map = source.map.map(|m| MapType {
        fields: m
            .fields
            .into_iter()
            .map(|f| StructField {
                ty: copy_type(from, f.ty, into, done),
                ..f
            })
            .collect(),
        rest: match m.rest {
            Rest::Entries(t) => Rest::Entries(copy_type(from, t, into, done)),
            Rest::Fields(t) => Rest::Fields(copy_type(from, t, into, done)),
        },
        atomic: m.atomic,
    });
    into.atoms[new_id] = Atom {
        scalar: source.scalar,
        list,
        map,
    };
    new_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_and_map_extensions() {
        let ty = from_openapi_schema(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                    "plain": {"type": "array", "items": {"type": "string"}},
                    "byMerge": {"type": "array", "x-kubernetes-patch-strategy": "merge",
                                "x-kubernetes-patch-merge-key": "id",
                                "items": {"type": "object", "properties": {"id": {"type": "string"}}}},
                    "unit": {"type": "object", "x-kubernetes-map-type": "atomic",
                             "properties": {"a": {"type": "string"}}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                }}
            }
        }));
        let spec = ty.field("spec").expect("spec");
        assert_eq!(spec.field("tags").and_then(|t| t.list_keys()), Some(vec![]));
        assert_eq!(spec.field("plain").and_then(|t| t.list_keys()), None);
        assert_eq!(
            spec.field("byMerge").and_then(|t| t.list_keys()),
            Some(vec!["id".to_string()])
        );
        assert!(spec
            .field("unit")
            .map(|u| u.is_atomic_map())
            .unwrap_or(false));
        let meta = ty.field("metadata").expect("metadata");
        assert_eq!(
            meta.field("finalizers").and_then(|f| f.list_keys()),
            Some(vec![])
        );
    }
}
