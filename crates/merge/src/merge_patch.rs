//! RFC 7386 JSON merge patch (`application/merge-patch+json`) with the exact
//! behaviour of evanphx/json-patch v4 `MergePatch`, which kube-apiserver uses.

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Applies a merge patch to `doc`: `null` deletes a key, objects merge
/// recursively, arrays and scalars replace wholesale.
///
/// Errors: a body that is not JSON → [`Error::InvalidPatchBody`] (400
/// `invalid JSON patch`); a `null` or scalar patch → [`Error::InvalidMergePatch`]
/// (400 `Invalid JSON Patch`). An array patch replaces the whole document, as upstream.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"list": [1, 2]}});
/// let out = klite_merge::merge_patch::apply(&doc, br#"{"metadata":{"labels":{"a":null}},"spec":{"list":[3]}}"#).unwrap();
/// assert_eq!(out, json!({"metadata": {"labels": {"b": "2"}}, "spec": {"list": [3]}}));
/// ```
pub fn apply(doc: &Value, patch: &[u8]) -> Result<Value> {
    let patch: Value =
        serde_json::from_slice(patch).map_err(|source| Error::InvalidPatchBody { source })?;
    match patch {
        Value::Object(patch) => {
            let mut out = doc.clone();
            match &mut out {
                Value::Object(target) => merge_docs(target, patch),
                _ => {
                    let mut fresh = Map::new();
                    merge_docs(&mut fresh, patch);
                    out = Value::Object(fresh);
                }
            }
            Ok(out)
        }
        Value::Array(mut items) => {
            prune_array_nulls(&mut items);
            Ok(Value::Array(items))
        }
        _ => Err(Error::InvalidMergePatch),
    }
}

fn merge_docs(doc: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            doc.remove(&key);
            continue;
        }
        match doc.get_mut(&key) {
            Some(current) if !current.is_null() => {
                let taken = std::mem::take(current);
                *current = merge(taken, value);
            }
            _ => {
                let mut value = value;
                prune_nulls(&mut value);
                doc.insert(key, value);
            }
        }
    }
}

fn merge(current: Value, patch: Value) -> Value {
    match (current, patch) {
        (Value::Object(mut cur), Value::Object(p)) => {
            merge_docs(&mut cur, p);
            Value::Object(cur)
        }
        // the current value is not an object: the patch replaces it, nulls pruned
        (
            Value::Array(_) | Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null,
            mut p,
        ) => {
            prune_nulls(&mut p);
            p
        }
        // an object replaced by a non-object: taken as is
        (Value::Object(_), p) => p,
    }
}

fn prune_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, child| !child.is_null());
            for child in m.values_mut() {
                prune_nulls(child);
            }
        }
        Value::Array(items) => prune_array_nulls(items),
        _ => {}
    }
}

/// Nulls inside objects of an array are pruned; null items themselves are kept.
fn prune_array_nulls(items: &mut [Value]) {
    for item in items {
        prune_nulls(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_deletes_and_objects_merge() {
        let doc = json!({"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"});
        let out = apply(
            &doc,
            br#"{"a":{"b":null,"n":{"x":null,"y":1}},"d":[{"z":null}],"e":null}"#,
        )
        .expect("applies");
        assert_eq!(out, json!({"a": {"c": 2, "n": {"y": 1}}, "d": [{}]}));
    }

    #[test]
    fn invalid_patches() {
        let doc = json!({"a": 1});
        assert_eq!(
            apply(&doc, b"null").expect_err("null").status().message,
            "Invalid JSON Patch"
        );
        assert_eq!(apply(&doc, b"3").expect_err("scalar").status().code, 400);
        assert_eq!(
            apply(&doc, b"{").expect_err("syntax").status().message,
            "invalid JSON patch"
        );
        assert_eq!(
            apply(&doc, b"[1,null]").expect("array replaces"),
            json!([1, null])
        );
    }
}
