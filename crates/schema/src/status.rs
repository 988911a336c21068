//! The `metav1.Status` envelope for validation failures (HTTP 422 `Invalid`).
//!
//! The structs serialise with upstream's field order and `omitempty` rules, so
//! `serde_json::to_string(&status)` produces the same bytes as kube-apiserver.
//!
//! ```
//! use klite_schema::field::{ErrorList, FieldError, Path};
//! use klite_schema::status::invalid_status;
//!
//! let errors: ErrorList = FieldError::required(&Path::new("spec").child("size"), "").into();
//! let status = invalid_status("example.com", "Foo", "x", &errors);
//! assert_eq!(status.code, 422);
//! assert_eq!(status.message, "Foo.example.com \"x\" is invalid: spec.size: Required value");
//! ```

use crate::field::ErrorList;
use crate::gofmt;
use serde::{Deserialize, Serialize};

/// One cause of a failure (`metav1.StatusCause`; the type serialises as `reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatusCause {
    /// The machine-readable cause, e.g. `FieldValueInvalid`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// The error body (without the field).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field path.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// `metav1.StatusDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// The object name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The API group (omitted for the core group).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The kind (for Invalid: the object's Kind).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The object UID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// The individual causes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds the client should wait before retrying.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry_after_seconds: i32,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `metav1.Status` with `kind: Status` and `apiVersion: v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Always `Status`.
    pub kind: String,
    /// Always `v1`.
    pub api_version: String,
    /// Always an empty object.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// `Failure` or `Success`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// The human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The machine-readable reason, e.g. `Invalid`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Details, omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// The HTTP status code.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: i32,
}

/// `GroupKind.String()`: `Kind` for the core group, otherwise `Kind.group`.
pub fn group_kind_string(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

/// Builds the 422 `Invalid` Status of upstream `NewInvalid`:
/// message `<Kind>.<group> "<name>" is invalid: <aggregate>` (core group: `<Kind> "<name>"`),
/// details with name, group, kind and one cause per error.
pub fn invalid_status(group: &str, kind: &str, name: &str, errors: &ErrorList) -> Status {
    let qualified = group_kind_string(group, kind);
    let message = match errors.aggregate_message() {
        Some(aggregate) => format!("{qualified} {} is invalid: {aggregate}", gofmt::quote(name)),
        None => format!("{qualified} {} is invalid", gofmt::quote(name)),
    };
    Status {
        kind: "Status".to_string(),
        api_version: "v1".to_string(),
        metadata: serde_json::Map::new(),
        status: "Failure".to_string(),
        message,
        reason: "Invalid".to_string(),
        details: Some(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            causes: errors.to_status_causes(),
            ..StatusDetails::default()
        }),
        code: 422,
    }
}

impl Status {
    /// The Status as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The Status as JSON text in upstream field order.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{FieldError, Path};

    #[test]
    fn invalid_status_matches_upstream_bytes() {
        let errors: ErrorList = FieldError::type_invalid(
            &Path::new("spec").child("size"),
            "string",
            "spec.size in body must be of type integer: \"string\"",
        )
        .into();
        let status = invalid_status("example.com", "Foo", "x", &errors);
        assert_eq!(
            status.to_json_string(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Foo.example.com \"x\" is invalid: spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"","reason":"Invalid","details":{"name":"x","group":"example.com","kind":"Foo","causes":[{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.size in body must be of type integer: \"string\"","field":"spec.size"}]},"code":422}"#
        );
    }

    #[test]
    fn core_group_and_several_errors() {
        let mut errors = ErrorList::new();
        errors.push(FieldError::required(
            &Path::new("metadata").child("name"),
            "name or generateName is required",
        ));
        errors.push(FieldError::invalid(
            &Path::new("data").key("bad key"),
            "bad key",
            "x",
        ));
        let status = invalid_status("", "ConfigMap", "c", &errors);
        assert_eq!(
            status.message,
            r#"ConfigMap "c" is invalid: [metadata.name: Required value: name or generateName is required, data[bad key]: Invalid value: "bad key": x]"#
        );
        let v = status.to_value();
        assert!(v["details"].get("group").is_none());
        assert_eq!(v["details"]["kind"], "ConfigMap");
        assert_eq!(v["details"]["causes"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn no_errors_message() {
        let status = invalid_status("apps", "Deployment", "d", &ErrorList::new());
        assert_eq!(status.message, r#"Deployment.apps "d" is invalid"#);
        assert!(status.to_value()["details"].get("causes").is_none());
    }
}
