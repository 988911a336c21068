//! The one place where Rust errors become JS errors.
//!
//! Synchronous argument problems are thrown as `TypeError`s straight away. Failures of a
//! request reject with an `Error` whose `cause.message` carries a JSON payload
//! (`{"klite":…}`); `lib/errors.js` turns it into the `ApiError` subclass or
//! `ConnectionError` of api.md, created in JS so that the stack shows the caller.

use napi::bindgen_prelude::*;
use napi::{Env, JsTypeError};

/// A `TypeError` (code `ERR_INVALID_ARG_VALUE`) to return from a synchronous entry point.
pub fn argument_error(env: &Env, message: impl Into<String>) -> Error {
    let error = Error::new("ERR_INVALID_ARG_VALUE", message.into());
    let js_error = JsTypeError::from(error).into_unknown(*env);
    Error::from(js_error)
}

/// A plain `Error` with a Node-style `code`, for synchronous failures that are not TypeErrors.
pub fn coded_error(env: &Env, code: &str, message: impl Into<String>) -> Error {
    let error = Error::new(code, message.into());
    let js_error = napi::JsError::from(error).into_unknown(*env);
    Error::from(js_error)
}

/// Converts a client error for a synchronous entry point.
pub fn throw(env: &Env, error: klite_client::Error) -> Error {
    match error {
        klite_client::Error::InvalidArgument(message) => argument_error(env, message),
        klite_client::Error::Kubeconfig { message, .. } => {
            coded_error(env, "ERR_KLITE_KUBECONFIG", message)
        }
        other => reject(other),
    }
}

/// Converts a client error into a rejection that `lib/errors.js` understands.
pub fn reject(error: klite_client::Error) -> Error {
    let message = error.to_string();
    let payload = payload(&error);
    let mut js_error = Error::new(Status::GenericFailure, message);
    js_error.cause = Some(Box::new(Error::new(Status::GenericFailure, payload)));
    js_error
}

fn payload(error: &klite_client::Error) -> String {
    use klite_client::Error as E;
    let text = |value: &str| serde_json::Value::String(value.to_owned()).to_string();
    match error {
        E::Api(failure) => format!(
            r#"{{"klite":"api","code":{},"reason":{},"status":{}}}"#,
            failure.code,
            text(&failure.reason),
            failure.status_json
        ),
        E::UnknownKind { api_version, kind } => {
            let (group, _) = klite_client::split_api_version(api_version);
            let status = serde_json::json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": error.to_string(), "reason": "NotFound",
                "details": {"group": group, "kind": kind}, "code": 404,
            });
            format!(r#"{{"klite":"api","code":404,"reason":"NotFound","status":{status}}}"#)
        }
        E::Connection { code, .. } => format!(r#"{{"klite":"connection","code":{}}}"#, text(code)),
        E::Timeout(_) => r#"{"klite":"connection","code":"ETIMEDOUT"}"#.to_owned(),
        E::InvalidArgument(_) => r#"{"klite":"argument"}"#.to_owned(),
        E::Kubeconfig { .. } => {
            r#"{"klite":"kubeconfig","code":"ERR_KLITE_KUBECONFIG"}"#.to_owned()
        }
        E::Cancelled => r#"{"klite":"aborted"}"#.to_owned(),
        E::UnexpectedResponse { .. } => {
            r#"{"klite":"response","code":"ERR_KLITE_RESPONSE"}"#.to_owned()
        }
    }
}

/// Runs a request future, turning a panic into a rejection instead of a lost Promise.
pub async fn guarded<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::new(
                Status::GenericFailure,
                format!("internal error in klite ({detail}); please report it with the steps that led here"),
            ))
        }
    }
}
