//! The crate's error type and its mapping onto the upstream `Status` classes.

use crate::apply::Conflicts;

/// How a strategic-merge-patch failure is reported by kube-apiserver
/// (`interpretStrategicMergePatchError` in `handlers/patch.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategicErrorKind {
    /// 400 `BadRequest` with the error text: malformed directive lists
    /// (`invalid patch format of retainKeys`, `… of primitive list`,
    /// `… of setElementOrder list`).
    BadRequest,
    /// 422 with the generic body (the text is discarded):
    /// `lists of lists are not supported`, `patch content doesn't match retainKeys list`.
    Unprocessable,
    /// Any other failure (missing merge key, `$patch: merge` in a list, …):
    /// a plain error, rendered as 500 without a reason.
    Internal,
}

/// Everything that can go wrong in this crate. Each variant documents the
/// HTTP answer kube-apiserver gives for it; [`Error::status`] returns it as data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PATCH body is not valid JSON (400 `invalid JSON patch`, checked for
    /// every non-apply patch type before anything else).
    #[error("invalid JSON patch")]
    InvalidPatchBody {
        /// The JSON parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON patch that is valid JSON but not a list of operation objects
    /// (400 with the decode error text).
    #[error("{message}")]
    JsonPatchDecode {
        /// Go-style decode message, e.g. `json: cannot unmarshal object into Go value of type jsonpatch.Patch`.
        message: String,
    },
    /// More than 10000 operations in a JSON patch (413 `RequestEntityTooLarge`).
    #[error("Request entity too large: The allowed maximum operations in a JSON patch is 10000, got {count}")]
    TooManyOperations {
        /// Number of operations in the patch.
        count: usize,
    },
    /// A JSON patch operation failed, including a failed `test`
    /// (422 with the generic body; the text is not shown to clients).
    #[error("{message}")]
    JsonPatchApply {
        /// What failed.
        message: String,
        /// The json-patch library error, when it produced one.
        #[source]
        source: Option<json_patch::PatchError>,
    },
    /// A merge patch that is `null` or a JSON scalar (400 `Invalid JSON Patch`).
    #[error("Invalid JSON Patch")]
    InvalidMergePatch,
    /// A strategic merge patch could not be applied; `kind` says how upstream reports it.
    #[error("{message}")]
    StrategicMergePatch {
        /// Upstream classification (400, 422 generic, or plain 500).
        kind: StrategicErrorKind,
        /// The upstream error text, e.g. `map: map[image:x] does not contain declared merge key: name`.
        message: String,
    },
    /// Server-side apply found fields owned by other managers with other values
    /// (409 `Conflict` with one `FieldManagerConflict` cause per field).
    #[error("{}", .0.message())]
    ApplyConflict(Conflicts),
    /// The apply request itself is unacceptable (400 `BadRequest`), e.g.
    /// `metadata.managedFields must be nil` or a mismatching apiVersion.
    #[error("{message}")]
    ApplyBadRequest {
        /// The upstream message.
        message: String,
    },
    /// The applied configuration does not fit its type: duplicate entries in a
    /// set or map list, list items without keys… (500 without a reason, message
    /// `failed to create typed patch object (<ns>/<name>; <gvk>): <details>`).
    #[error("failed to create typed patch object ({object}): {details}")]
    TypedPatchObject {
        /// `<namespace>/<name>; <group>/<version>, Kind=<kind>` of the applied object.
        object: String,
        /// The structured-merge-diff validation text, e.g. `.spec.x: duplicate entries for key [name="a"]`.
        details: String,
    },
    /// The live object's `metadata.managedFields` could not be decoded (500).
    #[error("failed to decode managed fields: {message}")]
    ManagedFieldsDecode {
        /// What was wrong with the entries.
        message: String,
    },
    /// A `fieldsV1` document could not be parsed into a field set.
    #[error("invalid fieldsV1: {message}")]
    FieldsV1 {
        /// What was wrong.
        message: String,
    },
}

/// One `details.causes[]` entry of a `Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCause {
    /// The cause type (JSON key `reason`), e.g. `FieldManagerConflict`.
    pub reason: &'static str,
    /// Human-readable text.
    pub message: String,
    /// The field path, e.g. `.spec.replicas`.
    pub field: String,
}

/// The parts of the `Status` body kube-apiserver sends for an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusParts {
    /// HTTP status code (`code`).
    pub code: u16,
    /// `reason`, or `None` when upstream sends none (plain internal errors).
    pub reason: Option<&'static str>,
    /// `message`.
    pub message: String,
    /// `details`: `None` = no details key; `Some(vec![])` = `"details":{}`;
    /// otherwise `"details":{"causes":[…]}`.
    pub details: Option<Vec<StatusCause>>,
}

const GENERIC_422: &str = "the server rejected our request due to an error in our request";

impl Error {
    /// How kube-apiserver reports this error: code, reason, message and details.
    pub fn status(&self) -> StatusParts {
        let plain = |code: u16, reason: Option<&'static str>| StatusParts {
            code,
            reason,
            message: self.to_string(),
            details: None,
        };
        let generic_invalid = || StatusParts {
            code: 422,
            reason: Some("Invalid"),
            message: GENERIC_422.to_string(),
            details: Some(Vec::new()),
        };
        match self {
            Error::InvalidPatchBody { .. }
            | Error::JsonPatchDecode { .. }
            | Error::InvalidMergePatch
            | Error::ApplyBadRequest { .. } => plain(400, Some("BadRequest")),
            Error::TooManyOperations { .. } => plain(413, Some("RequestEntityTooLarge")),
            Error::JsonPatchApply { .. } => generic_invalid(),
            Error::StrategicMergePatch { kind, .. } => match kind {
                StrategicErrorKind::BadRequest => plain(400, Some("BadRequest")),
                StrategicErrorKind::Unprocessable => generic_invalid(),
                StrategicErrorKind::Internal => plain(500, None),
            },
            Error::ApplyConflict(conflicts) => StatusParts {
                code: 409,
                reason: Some("Conflict"),
                message: conflicts.message(),
                details: Some(conflicts.causes()),
            },
            Error::TypedPatchObject { .. }
            | Error::ManagedFieldsDecode { .. }
            | Error::FieldsV1 { .. } => plain(500, None),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
