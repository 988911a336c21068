//! ObjectMeta handling of custom resources (apiextensions `pkg/apiserver/schema/objectmeta`):
//! the round trip of `metadata` through `metav1.ObjectMeta` (unknown fields dropped,
//! malformed fields rejected or dropped, timestamps normalised), the coercion of embedded
//! resources, and the validation of embedded resources' `apiVersion`, `kind` and `metadata`.

use super::model::Structural;
use crate::field::{ErrorList, FieldError, Path, PathElement};
use crate::gofmt;
use crate::validation::{is_dns1035_label, validate_object_meta, NameRule};
use serde_json::{Map, Value};

const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(field: &str, v: &Value, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field ObjectMeta.metadata.{field} of type {go_type}",
        json_kind(v)
    )
}

/// Parses an RFC 3339 timestamp like `metav1.Time` and re-renders it in UTC at second
/// precision (`2006-01-02T15:04:05Z`).
pub fn normalize_time(text: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .map_err(|_| {
            format!(
                "parsing time {} as \"2006-01-02T15:04:05Z07:00\": cannot parse {} as \"2006\"",
                crate::gofmt::quote(text),
                crate::gofmt::quote(text)
            )
        })
}

/// Decodes one ObjectMeta field into its round-tripped form (`None` = omitted by
/// `omitempty`), or the Go decode error.
fn decode_field(key: &str, v: &Value) -> Result<Option<Value>, String> {
    let string = |v: &Value| -> Result<Option<Value>, String> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => Ok(Some(Value::String(s.clone()))),
            other => Err(type_error(key, other, "string")),
        }
    };
    match key {
        "name" | "generateName" | "namespace" | "selfLink" | "uid" | "resourceVersion" => string(v),
        "generation" | "deletionGracePeriodSeconds" => match v {
            Value::Null => Ok(None),
            Value::Number(n) if n.as_i64().is_some() => {
                let i = n.as_i64().unwrap_or(0);
                Ok(if i == 0 && key == "generation" {
                    None
                } else {
                    Some(Value::from(i))
                })
            }
            other => Err(type_error(key, other, "int64")),
        },
        "creationTimestamp" | "deletionTimestamp" => match v {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => normalize_time(s).map(|t| Some(Value::String(t))),
            other => Err(type_error(key, other, "v1.Time")),
        },
        "labels" | "annotations" => match v {
            Value::Null => Ok(None),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, val) in map {
                    match val {
                        Value::String(s) => {
                            out.insert(k.clone(), Value::String(s.clone()));
                        }
                        Value::Null => {
                            out.insert(k.clone(), Value::String(String::new()));
                        }
                        other => return Err(type_error(key, other, "string")),
                    }
                }
                Ok(if out.is_empty() {
                    None
                } else {
                    Some(Value::Object(out))
                })
            }
            other => Err(type_error(key, other, "map[string]string")),
        },
        "finalizers" => match v {
            Value::Null => Ok(None),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => out.push(Value::String(s.clone())),
                        Value::Null => out.push(Value::String(String::new())),
                        other => return Err(type_error(key, other, "string")),
                    }
                }
                Ok(if out.is_empty() {
                    None
                } else {
                    Some(Value::Array(out))
                })
            }
            other => Err(type_error(key, other, "[]string")),
        },
        "ownerReferences" => decode_list(key, v, decode_owner_reference),
        "managedFields" => decode_list(key, v, decode_managed_fields_entry),
        _ => Ok(None),
    }
}

fn decode_list(
    key: &str,
    v: &Value,
    item: fn(&Value) -> Result<Value, String>,
) -> Result<Option<Value>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => {
            let out: Result<Vec<Value>, String> = items.iter().map(item).collect();
            let out = out?;
            Ok(if out.is_empty() {
                None
            } else {
                Some(Value::Array(out))
            })
        }
        other => Err(type_error(key, other, "[]")),
    }
}

fn decode_struct(
    struct_name: &str,
    v: &Value,
    strings: &[&str],
    bools: &[&str],
    raw: &[&str],
) -> Result<Value, String> {
    let Value::Object(map) = v else {
        return Err(format!(
            "json: cannot unmarshal {} into Go struct field ObjectMeta.metadata of type v1.{struct_name}",
            json_kind(v)
        ));
    };
    let mut out = Map::new();
    for (k, val) in map {
        if strings.contains(&k.as_str()) {
            match val {
                Value::String(s) if !s.is_empty() => {
                    out.insert(k.clone(), Value::String(s.clone()));
                }
                Value::String(_) | Value::Null => {}
                other => return Err(type_error(k, other, "string")),
            }
        } else if bools.contains(&k.as_str()) {
            match val {
                Value::Bool(b) => {
                    out.insert(k.clone(), Value::Bool(*b));
                }
                Value::Null => {}
                other => return Err(type_error(k, other, "bool")),
            }
        } else if raw.contains(&k.as_str()) && !val.is_null() {
            out.insert(k.clone(), val.clone());
        }
    }
    Ok(Value::Object(out))
}

fn decode_owner_reference(v: &Value) -> Result<Value, String> {
    let mut out = decode_struct(
        "OwnerReference",
        v,
        &["apiVersion", "kind", "name", "uid"],
        &["controller", "blockOwnerDeletion"],
        &[],
    )?;
    // apiVersion, kind, name and uid have no omitempty.
    if let Value::Object(map) = &mut out {
        for key in ["apiVersion", "kind", "name", "uid"] {
            map.entry(key.to_string())
                .or_insert_with(|| Value::String(String::new()));
        }
    }
    Ok(out)
}

fn decode_managed_fields_entry(v: &Value) -> Result<Value, String> {
    let mut out = decode_struct(
        "ManagedFieldsEntry",
        v,
        &[
            "manager",
            "operation",
            "apiVersion",
            "fieldsType",
            "subresource",
        ],
        &[],
        &["fieldsV1"],
    )?;
    if let (Value::Object(map), Some(Value::String(t))) = (&mut out, v.get("time")) {
        if !t.is_empty() {
            map.insert("time".into(), Value::String(normalize_time(t)?));
        }
    }
    Ok(out)
}

/// The outcome of round-tripping `metadata` through ObjectMeta.
#[derive(Debug, Clone, PartialEq)]
pub struct CoercedMeta {
    /// The normalised metadata (`creationTimestamp: null` when unset, as upstream's
    /// converter writes it).
    pub meta: Value,
    /// Unknown fields, as `<prefix>metadata.<field>`.
    pub unknown: Vec<String>,
}

/// Round-trips a `metadata` value through ObjectMeta. With `drop_malformed`, fields that
/// fail to decode are dropped instead of failing (storage reads).
pub fn coerce_object_meta(
    raw: &Value,
    parent: &Path,
    drop_malformed: bool,
) -> Result<CoercedMeta, String> {
    let Value::Object(map) = raw else {
        if drop_malformed {
            return Err(format!(
                "invalid metadata: expected object, got {}",
                gofmt::type_name(raw)
            ));
        }
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type v1.ObjectMeta",
            json_kind(raw)
        ));
    };
    let prefix = if parent.is_nil() {
        "metadata".to_string()
    } else {
        format!("{parent}.metadata")
    };
    let mut out = Map::new();
    let mut unknown = Vec::new();
    for (key, value) in map {
        if !OBJECT_META_FIELDS.contains(&key.as_str()) {
            unknown.push(format!("{prefix}.{key}"));
            continue;
        }
        match decode_field(key, value) {
            Ok(Some(v)) => {
                out.insert(key.clone(), v);
            }
            Ok(None) => {}
            Err(err) if !drop_malformed => return Err(err),
            Err(_) => {}
        }
    }
    out.entry("creationTimestamp".to_string())
        .or_insert(Value::Null);
    Ok(CoercedMeta {
        meta: Value::Object(out),
        unknown,
    })
}

/// Coerces embedded resources below (and, with `is_resource_root`, at) `x`
/// (`objectmeta.CoerceWithOptions`): non-string `apiVersion`/`kind` are an error (or dropped
/// with `drop_invalid`), `metadata` is round-tripped and a null `creationTimestamp` removed.
/// Returns the unknown metadata field paths.
pub fn coerce(
    path: &Path,
    x: &mut Value,
    s: Option<&Structural>,
    is_resource_root: bool,
    drop_invalid: bool,
) -> Result<Vec<String>, FieldError> {
    let root_clone;
    let s = if is_resource_root {
        let mut c = s.cloned().unwrap_or_default();
        c.x_embedded_resource = true;
        root_clone = c;
        Some(&root_clone)
    } else {
        s
    };
    let mut unknown = Vec::new();
    coerce_node(path, x, s, drop_invalid, &mut unknown)?;
    unknown.sort();
    Ok(unknown)
}

fn coerce_node(
    path: &Path,
    x: &mut Value,
    s: Option<&Structural>,
    drop_invalid: bool,
    unknown: &mut Vec<String>,
) -> Result<(), FieldError> {
    let Some(s) = s else { return Ok(()) };
    match x {
        Value::Object(map) => {
            if s.x_embedded_resource {
                for key in ["apiVersion", "kind"] {
                    if let Some(v) = map.get(key) {
                        if !v.is_string() {
                            if drop_invalid {
                                map.remove(key);
                            } else {
                                return Err(FieldError::invalid(
                                    &path.child(key),
                                    v.clone(),
                                    "must be a string",
                                ));
                            }
                        }
                    }
                }
                if let Some(raw) = map.get("metadata") {
                    match coerce_object_meta(raw, path, drop_invalid) {
                        Ok(mut coerced) => {
                            unknown.append(&mut coerced.unknown);
                            if let Value::Object(m) = &mut coerced.meta {
                                if m.get("creationTimestamp").is_some_and(Value::is_null) {
                                    m.remove("creationTimestamp");
                                }
                            }
                            map.insert("metadata".into(), coerced.meta);
                        }
                        Err(err) if !drop_invalid => {
                            return Err(FieldError::invalid(
                                &path.child("metadata"),
                                raw.clone(),
                                err,
                            ))
                        }
                        Err(_) => {}
                    }
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.properties.get(k) {
                    coerce_node(&path.child(k), v, Some(prop), drop_invalid, unknown)?;
                } else if let Some(ap) = &s.additional_properties {
                    coerce_node(
                        &path.key(k),
                        v,
                        ap.structural.as_deref(),
                        drop_invalid,
                        unknown,
                    )?;
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                coerce_node(&path.index(i), v, s.items.as_deref(), drop_invalid, unknown)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Validates embedded resources (`objectmeta.Validate`): `apiVersion` and `kind` required
/// and well-formed, `metadata` valid ObjectMeta with path-segment names.
pub fn validate_embedded(
    path: &Path,
    x: &Value,
    s: Option<&Structural>,
    is_resource_root: bool,
) -> ErrorList {
    let root_clone;
    let s = if is_resource_root {
        let mut c = s.cloned().unwrap_or_default();
        c.x_embedded_resource = true;
        root_clone = c;
        Some(&root_clone)
    } else {
        s
    };
    let mut errs = ErrorList::new();
    validate_node(path, x, s, &mut errs);
    errs
}

fn validate_node(path: &Path, x: &Value, s: Option<&Structural>, errs: &mut ErrorList) {
    let mut path = path.clone();
    walk(&mut path, x, s, errs);
}

fn walk(path: &mut Path, x: &Value, s: Option<&Structural>, errs: &mut ErrorList) {
    let Some(s) = s else { return };
    match x {
        Value::Object(map) => {
            if s.x_embedded_resource {
                validate_embedded_resource(path, map, errs);
            }
            for (k, v) in map {
                if let Some(prop) = s.properties.get(k) {
                    path.push(PathElement::Field(k.clone()));
                    walk(path, v, Some(prop), errs);
                    path.pop();
                } else if let Some(ap) = &s.additional_properties {
                    path.push(PathElement::Key(k.clone()));
                    walk(path, v, ap.structural.as_deref(), errs);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(PathElement::Index(i));
                walk(path, v, s.items.as_deref(), errs);
                path.pop();
            }
        }
        _ => {}
    }
}

fn validate_embedded_resource(path: &Path, x: &Map<String, Value>, errs: &mut ErrorList) {
    if !x.contains_key("apiVersion") {
        errs.push(FieldError::required(&path.child("apiVersion"), ""));
    }
    if !x.contains_key("kind") {
        errs.push(FieldError::required(&path.child("kind"), ""));
    }
    for (k, v) in x {
        match k.as_str() {
            "apiVersion" => match v.as_str() {
                None => errs.push(FieldError::invalid(
                    &path.child("apiVersion"),
                    v.clone(),
                    "must be a string",
                )),
                Some("") => errs.push(FieldError::invalid(
                    &path.child("apiVersion"),
                    "",
                    "must not be empty",
                )),
                Some(api_version) => {
                    if api_version.matches('/').count() > 1 {
                        errs.push(FieldError::invalid(
                            &path.child("apiVersion"),
                            api_version,
                            format!("unexpected GroupVersion string: {api_version}"),
                        ));
                    }
                }
            },
            "kind" => match v.as_str() {
                None => errs.push(FieldError::invalid(
                    &path.child("kind"),
                    v.clone(),
                    "must be a string",
                )),
                Some("") => errs.push(FieldError::invalid(
                    &path.child("kind"),
                    "",
                    "must not be empty",
                )),
                Some(kind) => {
                    let problems = is_dns1035_label(&kind.to_lowercase());
                    if !problems.is_empty() {
                        errs.push(FieldError::invalid(
                            &path.child("kind"),
                            kind,
                            format!(
                                "may have mixed case, but should otherwise match: {}",
                                problems.join(",")
                            ),
                        ));
                    }
                }
            },
            "metadata" => match coerce_object_meta(v, &Path::nil(), false) {
                Err(err) => errs.push(FieldError::invalid(&path.child("metadata"), v.clone(), err)),
                Ok(coerced) => {
                    let mut meta = coerced.meta;
                    let namespaced = meta
                        .get("namespace")
                        .and_then(Value::as_str)
                        .is_some_and(|n| !n.is_empty());
                    if let Value::Object(m) = &mut meta {
                        if m.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .is_empty()
                        {
                            m.insert("name".into(), Value::String("fakename".into()));
                        }
                    }
                    errs.extend(validate_object_meta(
                        &meta,
                        namespaced,
                        NameRule::PathSegment,
                        &path.child("metadata"),
                    ));
                }
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::SchemaProps;
    use serde_json::json;

    #[test]
    fn root_metadata_round_trip() {
        let c = coerce_object_meta(
            &json!({"name": "x", "foo": 1, "labels": {}, "generation": 0, "creationTimestamp": "2024-01-01T02:00:00+02:00"}),
            &Path::nil(),
            false,
        )
        .expect("decodes");
        assert_eq!(
            c.meta,
            json!({"name": "x", "creationTimestamp": "2024-01-01T00:00:00Z"})
        );
        assert_eq!(c.unknown, vec!["metadata.foo"]);
        let err =
            coerce_object_meta(&json!({"labels": {"a": 1}}), &Path::nil(), false).unwrap_err();
        assert_eq!(err, "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
        let dropped = coerce_object_meta(
            &json!({"name": "x", "labels": {"a": 1}}),
            &Path::nil(),
            true,
        )
        .expect("drops");
        assert_eq!(
            dropped.meta,
            json!({"name": "x", "creationTimestamp": null})
        );
    }

    #[test]
    fn embedded_resources() {
        let s = Structural::from_props(&SchemaProps::from_value(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"t": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}}}
        }})).expect("decodes")).expect("structural");
        let mut obj =
            json!({"spec": {"t": {"apiVersion": "v1", "kind": 1, "metadata": {"name": "a"}}}});
        let err = coerce(&Path::nil(), &mut obj, Some(&s), true, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.t.kind: Invalid value: 1: must be a string"
        );

        let mut obj = json!({"spec": {"t": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "bogus": 1}}}});
        let unknown = coerce(&Path::nil(), &mut obj, Some(&s), true, false).expect("coerces");
        assert_eq!(unknown, vec!["spec.t.metadata.bogus"]);
        assert_eq!(obj["spec"]["t"]["metadata"], json!({"name": "a"}));

        let errs = validate_embedded(
            &Path::nil(),
            &json!({"spec": {"t": {"kind": "my_Kind", "metadata": {"name": "a/b"}}}}),
            Some(&s),
            false,
        );
        let rendered: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(
            rendered.contains(&"spec.t.apiVersion: Required value".to_string()),
            "{rendered:?}"
        );
        assert!(rendered.iter().any(|e| e.starts_with("spec.t.kind: Invalid value: \"my_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label")), "{rendered:?}");
        assert!(
            rendered.contains(
                &r#"spec.t.metadata.name: Invalid value: "a/b": may not contain '/'"#.to_string()
            ),
            "{rendered:?}"
        );
    }
}
