//! Turning non-2xx answers and transport failures into [`Error`]s, as client-go does.

use serde::Deserialize;
use serde_json::{json, value::RawValue};

use crate::error::{ApiFailure, Error};
use crate::options::Verb;

/// What the failed request was about, for messages of non-Status answers.
#[derive(Debug, Clone, Default)]
pub struct RequestTarget {
    /// API group of the resource ("" for core).
    pub group: String,
    /// Plural resource name, when the request addressed a resource.
    pub resource: String,
    /// Object name, when the request addressed one object.
    pub name: String,
}

#[derive(Deserialize)]
struct StatusProbe<'a> {
    #[serde(default)]
    kind: Option<&'a str>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    code: Option<u16>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    details: Option<&'a RawValue>,
}

/// The failure for an HTTP answer with status `code` and `body`.
pub fn api_failure(code: u16, verb: Verb, target: &RequestTarget, body: &[u8]) -> Error {
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(status) = serde_json::from_str::<StatusProbe>(text) {
            if status.kind == Some("Status") {
                let code = status.code.filter(|code| *code != 0).unwrap_or(code);
                let reason = status
                    .reason
                    .filter(|reason| !reason.is_empty())
                    .unwrap_or_else(|| reason_for_code(code, verb).to_owned());
                let message = status
                    .message
                    .filter(|message| !message.is_empty())
                    .unwrap_or_else(|| generic_message(code, "").0);
                return Error::Api(Box::new(ApiFailure {
                    code,
                    reason,
                    message,
                    status_json: text.to_owned(),
                }));
            }
        }
    }
    Error::Api(Box::new(generic_failure(code, verb, target, body)))
}

/// client-go's `newUnstructuredResponseError` + `NewGenericServerResponse`.
fn generic_failure(code: u16, verb: Verb, target: &RequestTarget, body: &[u8]) -> ApiFailure {
    const MAX_TEXT: usize = 1024;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_TEXT)]);
    let server_message = if text.trim().is_empty() {
        "unknown".to_owned()
    } else {
        text.trim().to_owned()
    };
    let (mut message, _) = generic_message(code, &server_message);
    let reason = reason_for_code(code, verb);
    let group_resource = if target.group.is_empty() {
        target.resource.clone()
    } else {
        format!("{}.{}", target.resource, target.group)
    };
    let method = verb.http_method().as_str().to_lowercase();
    if !target.name.is_empty() {
        message = format!("{message} ({method} {group_resource} {})", target.name);
    } else if !target.resource.is_empty() {
        message = format!("{message} ({method} {group_resource})");
    }
    let mut details = serde_json::Map::new();
    if !target.name.is_empty() {
        details.insert("name".into(), json!(target.name));
    }
    if !target.group.is_empty() {
        details.insert("group".into(), json!(target.group));
    }
    if !target.resource.is_empty() {
        details.insert("kind".into(), json!(target.resource));
    }
    details.insert(
        "causes".into(),
        json!([{"reason": "UnexpectedServerResponse", "message": server_message}]),
    );
    let status = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code,
    });
    ApiFailure {
        code,
        reason: reason.to_owned(),
        message,
        status_json: status.to_string(),
    }
}

/// The `StatusReason` client-go assigns to a bare HTTP code.
pub fn reason_for_code(code: u16, verb: Verb) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 if verb == Verb::Create => "AlreadyExists",
        409 => "Conflict",
        410 => "Gone",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        code if code >= 500 => "InternalError",
        _ => "Unknown",
    }
}

fn generic_message(code: u16, server_message: &str) -> (String, ()) {
    let message = match code {
        409 => "the server reported a conflict".to_owned(),
        404 => "the server could not find the requested resource".to_owned(),
        400 => "the server rejected our request for an unknown reason".to_owned(),
        401 => "the server has asked for the client to provide credentials".to_owned(),
        403 => server_message.to_owned(),
        406 if server_message.is_empty() || server_message == "unknown" => {
            "the server was unable to respond with a content type that the client supports".to_owned()
        }
        406 | 415 => server_message.to_owned(),
        405 => "the server does not allow this method on the requested resource".to_owned(),
        422 => "the server rejected our request due to an error in our request".to_owned(),
        503 => "the server is currently unable to handle the request".to_owned(),
        504 => "the server was unable to return a response in the time allotted, but may still be processing the request".to_owned(),
        429 => "the server has received too many requests and has asked us to try again later".to_owned(),
        code if code >= 500 => {
            format!("an error on the server ({server_message:?}) has prevented the request from succeeding")
        }
        code => format!("the server responded with the status code {code} but did not return more information"),
    };
    (message, ())
}

/// Classifies a transport failure by walking its source chain for io and TLS errors.
pub fn connection_error(error: Box<dyn std::error::Error + Send + Sync>, server: &str) -> Error {
    let code = classify(&*error);
    let advice = match code {
        "ECONNREFUSED" => "is the API server running and is the kubeconfig `server` URL right?",
        "ENOTFOUND" => "check the host name in the kubeconfig `server` URL",
        "ETIMEDOUT" => "the server did not answer in time; check the network path to it",
        "ECONNRESET" | "EPIPE" => "the server closed the connection; check that it is healthy",
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE" | "SELF_SIGNED_CERT_IN_CHAIN" => {
            "the server certificate is not signed by the kubeconfig's certificate-authority(-data)"
        }
        "ERR_TLS_CERT_ALTNAME_INVALID" => {
            "the server certificate does not cover this host name; fix the `server` URL or set tls-server-name"
        }
        "CERT_HAS_EXPIRED" => "the server certificate has expired",
        "EPROTO" => "the TLS handshake failed; check the server URL scheme and certificates",
        _ => "check the kubeconfig `server` URL and that the API server is reachable",
    };
    let detail = error_chain_text(&*error);
    Error::Connection {
        code,
        message: format!("request to {server} failed ({code}): {detail}: {advice}"),
        source: error,
    }
}

/// Every error in the chain, including the errors wrapped inside `io::Error`s (whose
/// `source()` skips the wrapped error itself).
fn chain<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> Vec<&'e (dyn std::error::Error + 'static)> {
    let mut found = Vec::new();
    let mut current: Option<&'e (dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = current {
        found.push(err);
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            found.extend(chain(inner));
        }
        current = err.source();
    }
    found
}

fn error_chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in chain(error) {
        let text = err.to_string();
        if !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn classify(error: &(dyn std::error::Error + 'static)) -> &'static str {
    let errors = chain(error);
    if let Some(tls) = errors
        .iter()
        .find_map(|err| err.downcast_ref::<rustls::Error>())
    {
        return classify_tls(tls);
    }
    for err in &errors {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            match io.kind() {
                ErrorKind::ConnectionRefused => return "ECONNREFUSED",
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => return "ECONNRESET",
                ErrorKind::BrokenPipe => return "EPIPE",
                ErrorKind::TimedOut => return "ETIMEDOUT",
                ErrorKind::AddrNotAvailable => return "EADDRNOTAVAIL",
                _ => {}
            }
        }
        let text = err.to_string();
        if text.contains("dns error")
            || text.contains("failed to lookup address")
            || text.contains("Name or service not known")
        {
            return "ENOTFOUND";
        }
    }
    // Incomplete messages, closed connections and anything else: the connection broke.
    "ECONNRESET"
}

fn classify_tls(error: &rustls::Error) -> &'static str {
    use rustls::CertificateError;
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "CERT_HAS_EXPIRED"
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "ERR_TLS_CERT_ALTNAME_INVALID"
            }
            _ => "EPROTO",
        },
        _ => "EPROTO",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(error: Error) -> ApiFailure {
        match error {
            Error::Api(failure) => *failure,
            other => panic!("expected an API failure, got {other:?}"),
        }
    }

    #[test]
    fn status_bodies_are_kept_verbatim() {
        let body = br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404}"#;
        let failure = failure(api_failure(404, Verb::Get, &RequestTarget::default(), body));
        assert_eq!(failure.code, 404);
        assert_eq!(failure.reason, "NotFound");
        assert_eq!(failure.message, "configmaps \"x\" not found");
        assert_eq!(failure.status_json.as_bytes(), body);
    }

    #[test]
    fn plain_text_answers_get_client_go_generic_messages() {
        let target = RequestTarget {
            group: "apps".into(),
            resource: "deployments".into(),
            name: "web".into(),
        };
        let failure = failure(api_failure(
            429,
            Verb::Get,
            &target,
            b"Too many requests, please try again later.\n",
        ));
        assert_eq!(failure.reason, "TooManyRequests");
        assert_eq!(
            failure.message,
            "the server has received too many requests and has asked us to try again later (get deployments.apps web)"
        );
        let status: serde_json::Value = serde_json::from_str(&failure.status_json).unwrap();
        assert_eq!(
            status["details"]["causes"][0]["message"],
            "Too many requests, please try again later."
        );
        assert_eq!(status["code"], 429);
    }

    #[test]
    fn a_status_without_reason_gets_one_from_its_code() {
        let body = br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"boom","code":500}"#;
        let failure = failure(api_failure(500, Verb::Get, &RequestTarget::default(), body));
        assert_eq!(failure.reason, "InternalError");
        assert_eq!(failure.message, "boom");
    }

    #[test]
    fn conflicts_on_create_are_already_exists() {
        assert_eq!(reason_for_code(409, Verb::Create), "AlreadyExists");
        assert_eq!(reason_for_code(409, Verb::Update), "Conflict");
        assert_eq!(reason_for_code(502, Verb::Get), "InternalError");
    }

    #[test]
    fn refused_connections_are_econnrefused() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        match connection_error(Box::new(io), "https://127.0.0.1:1") {
            Error::Connection { code, message, .. } => {
                assert_eq!(code, "ECONNREFUSED");
                assert!(message.contains("is the API server running"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
