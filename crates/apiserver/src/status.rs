//! `metav1.Status` bodies and the error type every handler returns.
//!
//! Field order and message templates follow apimachinery's `errors.go` exactly
//! (see `apiserver-facts-errors.md` §0–1).

use serde::Serialize;
use serde_json::Value;

/// `details` of a Status (all keys omitted when empty, as Go's `omitempty`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StatusDetails {
    /// Object name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// API group (empty for core).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Resource plural or Kind, depending on the producer (facts-errors §0.1).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Object UID (DELETE success bodies).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Field-level causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds a client should wait before retrying.
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// One `details.causes[]` entry; the type serialises as `reason`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusCause {
    /// Cause type (`FieldValueInvalid`, `FieldManagerConflict`, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Field path.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

#[derive(Serialize)]
struct StatusBody<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: &'a Value,
    status: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a StatusDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
}

/// An error answered to a client: HTTP code + Status body (or plain text).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `reason` (empty = Unknown, omitted).
    pub reason: String,
    /// `message`.
    pub message: String,
    /// `details`, if any (boxed: keeps `Result<_, ApiError>` small).
    pub details: Option<Box<StatusDetails>>,
    /// ListMeta of the Status (`metadata.continue` on expired continue tokens).
    pub list_continue: Option<String>,
    /// When set, the body is this plain text (`text/plain`), not a Status.
    pub plain_text: Option<String>,
}

/// `GroupResource.String()`: `configmaps`, `deployments.apps`.
pub fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// `GroupKind.String()`: `ConfigMap`, `Deployment.apps`.
pub fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    }
}

impl ApiError {
    /// A bare error with code, reason and message.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
            list_continue: None,
            plain_text: None,
        }
    }

    /// Attach details.
    pub fn with_details(mut self, details: StatusDetails) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    fn named(
        code: u16,
        reason: &str,
        message: String,
        group: &str,
        kind: &str,
        name: &str,
    ) -> Self {
        ApiError::new(code, reason, message).with_details(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            ..Default::default()
        })
    }

    /// 404 `GR "name" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::named(
            404,
            "NotFound",
            format!("{gr} \"{name}\" not found"),
            group,
            resource,
            name,
        )
    }

    /// 404 for an unknown resource under a served group version.
    pub fn resource_not_found() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(StatusDetails::default())
    }

    /// Plain `404 page not found` for paths outside every mux.
    pub fn page_not_found() -> Self {
        let mut e = ApiError::new(404, "NotFound", "404 page not found");
        e.plain_text = Some("404 page not found\n".to_string());
        e
    }

    /// 409 `GR "name" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::named(
            409,
            "AlreadyExists",
            format!("{gr} \"{name}\" already exists"),
            group,
            resource,
            name,
        )
    }

    /// 409 `Operation cannot be fulfilled on GR "name": <msg>`.
    pub fn conflict(group: &str, resource: &str, name: &str, msg: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::named(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {gr} \"{name}\": {msg}"),
            group,
            resource,
            name,
        )
    }

    /// The optimistic-lock conflict of a stale resourceVersion.
    pub fn stale_resource_version(group: &str, resource: &str, name: &str) -> Self {
        Self::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 403 `GR "name" is forbidden: <msg>` (no name: `GR is forbidden: <msg>`).
    pub fn forbidden(group: &str, resource: &str, name: &str, msg: &str) -> Self {
        let gr = group_resource(group, resource);
        let message = match (gr.is_empty(), name.is_empty()) {
            (true, _) => format!("forbidden: {msg}"),
            (false, true) => format!("{gr} is forbidden: {msg}"),
            (false, false) => format!("{gr} \"{name}\" is forbidden: {msg}"),
        };
        Self::named(403, "Forbidden", message, group, resource, name)
    }

    /// 400 with a free-text message.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", msg)
    }

    /// 401 `Unauthorized`.
    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 405 from the router (method not registered for the path).
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(StatusDetails::default())
    }

    /// 405 `<action> is not supported on resources of kind "GR"`.
    pub fn method_not_supported(group: &str, resource: &str, action: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::named(
            405,
            "MethodNotAllowed",
            format!("{action} is not supported on resources of kind \"{gr}\""),
            group,
            resource,
            "",
        )
    }

    /// 413 `Request entity too large: <msg>`.
    pub fn too_large(msg: &str) -> Self {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: {msg}"),
        )
    }

    /// 415 for an unsupported request body type.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 406 for an unsatisfiable Accept header.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        ApiError::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 410 Expired.
    pub fn expired(msg: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", msg)
    }

    /// 500 InternalError `Internal error occurred: <err>`.
    pub fn internal(err: &str) -> Self {
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {err}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                reason: String::new(),
                message: err.to_string(),
                field: String::new(),
            }],
            ..Default::default()
        })
    }

    /// A 500 for a plain (non-Status) Go error: no reason.
    pub fn plain_500(msg: impl Into<String>) -> Self {
        ApiError::new(500, "", msg)
    }

    /// 504 `Timeout: Too large resource version: N, current: M`.
    pub fn too_large_resource_version(requested: u64, current: u64) -> Self {
        ApiError::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                reason: "ResourceVersionTooLarge".into(),
                message: "Too large resource version".into(),
                field: String::new(),
            }],
            retry_after_seconds: Some(1),
            ..Default::default()
        })
    }

    /// 422 Invalid: `GK "name" is invalid: <aggregate>` with causes.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<FieldIssue>) -> Self {
        let gk = group_kind(group, kind);
        let message = if causes.is_empty() {
            format!("{gk} \"{name}\" is invalid")
        } else {
            format!("{gk} \"{name}\" is invalid: {}", aggregate(&causes))
        };
        ApiError::new(422, "Invalid", message).with_details(StatusDetails {
            name: name.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            causes: causes
                .into_iter()
                .map(|c| StatusCause {
                    reason: c.reason,
                    message: c.body,
                    field: c.field,
                })
                .collect(),
            ..Default::default()
        })
    }

    /// 422 with the generic message (`NewGenericServerResponse(422)` drops ours).
    pub fn generic_unprocessable() -> Self {
        ApiError::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        )
        .with_details(StatusDetails::default())
    }

    /// Serialize as a Status JSON body (with the trailing newline Go's encoder writes).
    pub fn to_status_json(&self) -> Vec<u8> {
        let metadata = match &self.list_continue {
            Some(c) => serde_json::json!({ "continue": c }),
            None => Value::Object(Default::default()),
        };
        let status = if self.code >= 200 && self.code < 300 {
            "Success"
        } else {
            "Failure"
        };
        let body = StatusBody {
            kind: "Status",
            api_version: "v1",
            metadata: &metadata,
            status,
            message: &self.message,
            reason: &self.reason,
            details: self.details.as_deref(),
            code: Some(self.code),
        };
        let mut out = serde_json::to_vec(&body).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The Status as a JSON value (for watch ERROR events).
    pub fn to_status_value(&self) -> Value {
        serde_json::from_slice(&self.to_status_json()).unwrap_or(Value::Null)
    }
}

/// A Success Status (`DELETE` of an object without ReturnDeletedObject): no `code`.
pub fn success_status(details: StatusDetails) -> Vec<u8> {
    let metadata = Value::Object(Default::default());
    let body = StatusBody {
        kind: "Status",
        api_version: "v1",
        metadata: &metadata,
        status: "Success",
        message: "",
        reason: "",
        details: Some(&details),
        code: None,
    };
    let mut out = serde_json::to_vec(&body).unwrap_or_default();
    out.push(b'\n');
    out
}

/// One field error, already rendered (`field`, error type, body without the field).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldIssue {
    /// Cause type, e.g. `FieldValueInvalid`.
    pub reason: String,
    /// Field path, e.g. `metadata.name`.
    pub field: String,
    /// Error body, e.g. `Invalid value: "x": …`.
    pub body: String,
}

impl FieldIssue {
    /// Build an issue.
    pub fn new(reason: &str, field: &str, body: impl Into<String>) -> Self {
        FieldIssue {
            reason: reason.to_string(),
            field: field.to_string(),
            body: body.into(),
        }
    }

    /// `Required value` (+ detail).
    pub fn required(field: &str, detail: &str) -> Self {
        let body = if detail.is_empty() {
            "Required value".to_string()
        } else {
            format!("Required value: {detail}")
        };
        FieldIssue::new("FieldValueRequired", field, body)
    }

    /// `Invalid value: <v>: <detail>`.
    pub fn invalid(field: &str, value: &Value, detail: &str) -> Self {
        let mut body = format!("Invalid value: {}", render_value(value));
        if !detail.is_empty() {
            body.push_str(": ");
            body.push_str(detail);
        }
        FieldIssue::new("FieldValueInvalid", field, body)
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        FieldIssue::new("FieldValueForbidden", field, format!("Forbidden: {detail}"))
    }

    /// `Unsupported value: <v>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: &Value, supported: &[&str]) -> Self {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        FieldIssue::new(
            "FieldValueNotSupported",
            field,
            format!(
                "Unsupported value: {}: supported values: {}",
                render_value(value),
                list.join(", ")
            ),
        )
    }

    /// `Too long: may not be more than N bytes`.
    pub fn too_long(field: &str, max: usize) -> Self {
        FieldIssue::new(
            "FieldValueTooLong",
            field,
            format!("Too long: may not be more than {max} bytes"),
        )
    }

    /// `<field>: <body>` as printed in aggregates.
    pub fn full(&self) -> String {
        format!("{}: {}", self.field, self.body)
    }
}

/// Render a bad value the ≥1.34 way: strings Go-quoted (`%q`), scalars bare, others as Go's
/// JSON encoder writes them.
pub fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => klite_schema::gofmt::quote(s),
        Value::Array(_) | Value::Object(_) => klite_schema::gofmt::marshal_json(v),
        other => other.to_string(),
    }
}

/// `utilerrors.NewAggregate(...).Error()`: one → itself, many → `[a, b]`, deduplicated.
pub fn aggregate(issues: &[FieldIssue]) -> String {
    let mut seen = std::collections::HashSet::new();
    let msgs: Vec<String> = issues
        .iter()
        .map(FieldIssue::full)
        .filter(|m| seen.insert(m.clone()))
        .collect();
    if msgs.len() == 1 {
        msgs[0].clone()
    } else {
        format!("[{}]", msgs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_body_matches_upstream_bytes() {
        let body =
            String::from_utf8(ApiError::not_found("", "configmaps", "a").to_status_json()).unwrap();
        assert_eq!(
            body,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps \\\"a\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"a\",\"kind\":\"configmaps\"},\"code\":404}\n"
        );
    }

    #[test]
    fn invalid_aggregates_several_causes_in_brackets() {
        let e = ApiError::invalid(
            "apps",
            "Deployment",
            "d",
            vec![
                FieldIssue::required("spec.a", ""),
                FieldIssue::required("spec.b", ""),
            ],
        );
        assert_eq!(
            e.message,
            "Deployment.apps \"d\" is invalid: [spec.a: Required value, spec.b: Required value]"
        );
        assert_eq!(e.code, 422);
    }

    #[test]
    fn success_status_has_no_code() {
        let body = String::from_utf8(success_status(StatusDetails {
            name: "a".into(),
            kind: "configmaps".into(),
            uid: "u".into(),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(
            body,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":{\"name\":\"a\",\"kind\":\"configmaps\",\"uid\":\"u\"}}\n"
        );
    }
}
