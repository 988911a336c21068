//! `x-kubernetes-list-type: set|map` uniqueness (apiextensions
//! `pkg/apiserver/schema/listtype`).

use super::model::Structural;
use crate::field::{ErrorList, FieldError, Path, PathElement};
use crate::gofmt;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Validates set and map lists under an object (`ValidateListSetsAndMaps`).
pub fn validate_list_sets_and_maps(
    path: &Path,
    s: &Structural,
    obj: &Map<String, Value>,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut path = path.clone();
    walk_object(&mut path, s, obj, &mut errs);
    errs
}

fn walk_object(path: &mut Path, s: &Structural, obj: &Map<String, Value>, errs: &mut ErrorList) {
    if let Some(ap) = s
        .additional_properties
        .as_ref()
        .and_then(|a| a.structural.as_deref())
    {
        for (k, v) in obj {
            path.push(PathElement::Key(k.clone()));
            walk_value(path, ap, v, errs);
            path.pop();
        }
    }
    for (k, v) in obj {
        if let Some(sub) = s.properties.get(k) {
            path.push(PathElement::Field(k.clone()));
            walk_value(path, sub, v, errs);
            path.pop();
        }
    }
}

fn walk_value(path: &mut Path, s: &Structural, v: &Value, errs: &mut ErrorList) {
    match v {
        Value::Array(items) => walk_array(path, s, items, errs),
        Value::Object(map) => walk_object(path, s, map, errs),
        _ => {}
    }
}

fn walk_array(path: &mut Path, s: &Structural, items: &[Value], errs: &mut ErrorList) {
    match s.x_list_type.as_deref() {
        Some("set") => {
            for i in non_unique_indices(items.iter()) {
                errs.push(FieldError::duplicate(&path.index(i), items[i].clone()));
            }
        }
        Some("map") => errs.extend(validate_list_map(path, s, items)),
        _ => {}
    }
    if let Some(item_schema) = &s.items {
        if matches!(item_schema.type_.as_str(), "array" | "object" | "") {
            for (i, item) in items.iter().enumerate() {
                path.push(PathElement::Index(i));
                walk_value(path, item_schema, item, errs);
                path.pop();
            }
        }
    }
}

/// The key identifying a value for set semantics: scalars by value (Go map keys of
/// `interface{}`: int64 and float64 are distinct), compounds by their JSON encoding.
fn identity(v: &Value) -> String {
    match v {
        Value::Object(_) | Value::Array(_) => format!("c{}", gofmt::marshal_json(v)),
        Value::Number(n) if n.is_f64() => {
            format!("f{}", gofmt::format_json_float(n.as_f64().unwrap_or(0.0)))
        }
        other => format!("s{other}"),
    }
}

/// Indices of the second occurrence of each duplicated value.
fn non_unique_indices<'a>(items: impl Iterator<Item = &'a Value>) -> Vec<usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        let count = seen.entry(identity(item)).or_insert(0);
        *count += 1;
        if *count == 2 {
            out.push(i);
        }
    }
    out
}

fn validate_list_map(path: &Path, s: &Structural, items: &[Value]) -> ErrorList {
    for (i, x) in items.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            return FieldError::invalid(
                &path.index(i),
                x.clone(),
                "must be an object for an array of list-type map",
            )
            .into();
        }
    }
    if items.len() <= 1 {
        return ErrorList::new();
    }
    let keys: Vec<Value> = items
        .iter()
        .map(|x| {
            let mut key = Map::new();
            if let Value::Object(obj) = x {
                for field in &s.x_list_map_keys {
                    if let Some(v) = obj.get(field) {
                        key.insert(field.clone(), v.clone());
                    }
                }
            }
            Value::Object(key)
        })
        .collect();
    let mut errs = ErrorList::new();
    for i in non_unique_indices(keys.iter()) {
        errs.push(FieldError::duplicate(&path.index(i), keys[i].clone()));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::SchemaProps;
    use serde_json::json;

    fn run(schema: Value, obj: Value) -> Vec<String> {
        let s = Structural::from_props(&SchemaProps::from_value(&schema).expect("decodes"))
            .expect("structural");
        let map = obj.as_object().cloned().unwrap_or_default();
        validate_list_sets_and_maps(&Path::nil(), &s, &map)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn set_duplicates_reported_at_second_occurrence_once() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}}}});
        assert_eq!(
            run(schema, json!({"spec": {"tags": ["a", "b", "a", "a", "b"]}})),
            vec![
                r#"spec.tags[2]: Duplicate value: "a""#,
                r#"spec.tags[4]: Duplicate value: "b""#
            ]
        );
    }

    #[test]
    fn map_duplicates_and_non_objects() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "protocol"],
                      "items": {"type": "object", "properties": {"name": {"type": "string"}, "protocol": {"type": "string"}}}}}}}});
        assert_eq!(
            run(
                schema.clone(),
                json!({"spec": {"ports": [{"name": "http"}, {"name": "http", "port": 2}]}})
            ),
            vec![r#"spec.ports[1]: Duplicate value: {"name":"http"}"#]
        );
        assert_eq!(
            run(schema, json!({"spec": {"ports": [5]}})),
            vec![
                "spec.ports[0]: Invalid value: 5: must be an object for an array of list-type map"
            ]
        );
    }
}
