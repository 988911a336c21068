//! RFC 6902 JSON patch (`application/json-patch+json`), applied with the
//! `json-patch` crate and classified like kube-apiserver (evanphx/json-patch v4).

use crate::error::{Error, Result};
use serde_json::Value;

/// kube-apiserver's cap on the number of operations in one JSON patch.
pub const MAX_OPERATIONS: usize = 10000;

/// Go's name of a JSON value kind in `json: cannot unmarshal <kind> into …` messages.
fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    }
}

/// Applies a JSON patch document to `doc` and returns the patched document.
///
/// Errors, as kube-apiserver reports them (see [`Error::status`]):
/// - body not JSON → [`Error::InvalidPatchBody`] (400 `invalid JSON patch`);
/// - JSON that is not a list of objects → [`Error::JsonPatchDecode`] (400);
/// - more than [`MAX_OPERATIONS`] operations → [`Error::TooManyOperations`] (413);
/// - an operation that fails, a failed `test` included → [`Error::JsonPatchApply`]
///   (422 with the generic body).
///
/// ```
/// use serde_json::json;
/// let doc = json!({"metadata": {"labels": {"a": "1"}}});
/// let out = klite_merge::json_patch::apply(&doc, br#"[{"op":"test","path":"/metadata/labels/a","value":"1"},
///     {"op":"replace","path":"/metadata/labels/a","value":"2"}]"#).unwrap();
/// assert_eq!(out, json!({"metadata": {"labels": {"a": "2"}}}));
/// let err = klite_merge::json_patch::apply(&doc, br#"[{"op":"test","path":"/metadata/labels/a","value":"x"}]"#).unwrap_err();
/// assert_eq!(err.status().code, 422);
/// ```
pub fn apply(doc: &Value, patch: &[u8]) -> Result<Value> {
    let parsed: Value =
        serde_json::from_slice(patch).map_err(|source| Error::InvalidPatchBody { source })?;
    let ops = match parsed {
        Value::Null => return Ok(doc.clone()),
        Value::Array(ops) => ops,
        other => {
            return Err(Error::JsonPatchDecode {
                message: format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                    go_kind(&other)
                ),
            })
        }
    };
    if let Some(bad) = ops
        .iter()
        .find(|op| !matches!(op, Value::Object(_) | Value::Null))
    {
        return Err(Error::JsonPatchDecode {
            message: format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                go_kind(bad)
            ),
        });
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(Error::TooManyOperations { count: ops.len() });
    }
    let mut operations = Vec::with_capacity(ops.len());
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        let operation: json_patch::PatchOperation =
            serde_json::from_value(op).map_err(|e| Error::JsonPatchApply {
                message: match kind.as_str() {
                    "add" | "remove" | "replace" | "move" | "copy" | "test" => {
                        format!("invalid {kind} operation: {e}")
                    }
                    _ => format!("Unexpected kind: {kind}"),
                },
                source: None,
            })?;
        operations.push(operation);
    }
    let mut out = doc.clone();
    json_patch::patch_unsafe(&mut out, &operations).map_err(|e| Error::JsonPatchApply {
        message: e.to_string(),
        source: Some(e),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"k": "v"}})
    }

    #[test]
    fn applies_all_operations() {
        let out = apply(
            &doc(),
            br#"[
              {"op":"add","path":"/data/n","value":"2"},
              {"op":"remove","path":"/metadata/labels/x"},
              {"op":"copy","from":"/data/k","path":"/data/c"},
              {"op":"move","from":"/data/n","path":"/data/m"},
              {"op":"replace","path":"/metadata/name","value":"b"},
              {"op":"test","path":"/data/m","value":"2"}
            ]"#,
        )
        .expect("patch applies");
        assert_eq!(
            out,
            json!({"metadata": {"name": "b", "labels": {}}, "data": {"k": "v", "c": "v", "m": "2"}})
        );
    }

    #[test]
    fn failed_test_is_422_generic() {
        let err = apply(
            &doc(),
            br#"[{"op":"test","path":"/metadata/labels/x","value":"2"}]"#,
        )
        .expect_err("test fails");
        let status = err.status();
        assert_eq!(status.code, 422);
        assert_eq!(status.reason, Some("Invalid"));
        assert_eq!(
            status.message,
            "the server rejected our request due to an error in our request"
        );
        assert_eq!(status.details, Some(vec![]));
    }

    #[test]
    fn missing_path_and_unknown_op_are_422() {
        for patch in [
            &br#"[{"op":"remove","path":"/nope/x"}]"#[..],
            br#"[{"op":"frobnicate","path":"/data"}]"#,
            br#"[{"path":"/data"}]"#,
        ] {
            assert_eq!(apply(&doc(), patch).expect_err("fails").status().code, 422);
        }
    }

    #[test]
    fn decode_errors_are_400() {
        let err = apply(&doc(), b"{not json").expect_err("bad json");
        assert_eq!(err.status().code, 400);
        assert_eq!(err.status().message, "invalid JSON patch");
        let err = apply(&doc(), br#"{"op":"add"}"#).expect_err("object");
        assert_eq!(err.status().code, 400);
        assert_eq!(
            err.status().message,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
    }

    #[test]
    fn more_than_10000_operations_is_413() {
        let ops: Vec<Value> = (0..10001)
            .map(|_| json!({"op":"test","path":"/data/k","value":"v"}))
            .collect();
        let body = serde_json::to_vec(&ops).expect("encode");
        let status = apply(&doc(), &body).expect_err("too many").status();
        assert_eq!(status.code, 413);
        assert_eq!(status.reason, Some("RequestEntityTooLarge"));
        assert_eq!(
            status.message,
            "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
        );
        let ok: Vec<Value> = ops.into_iter().take(10000).collect();
        assert!(apply(&doc(), &serde_json::to_vec(&ok).expect("encode")).is_ok());
    }
}
