//! The one error type of the crate.

use std::time::Duration;

/// Everything that can go wrong in a client call.
///
/// Callers map these onto their own error surface by kind: [`Error::Api`] is an answer from
/// the server, [`Error::Connection`] and [`Error::Timeout`] are transport failures,
/// [`Error::InvalidArgument`] and [`Error::Kubeconfig`] are the caller's to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a status outside 2xx.
    #[error("{}", .0.message)]
    Api(Box<ApiFailure>),

    /// The kind is not served by the cluster (no matching discovery entry).
    #[error(
        "no matches for kind \"{kind}\" in version \"{api_version}\": the server does not serve it \
         (check the apiVersion and kind, or install the CustomResourceDefinition first)"
    )]
    UnknownKind {
        /// The apiVersion that was asked for.
        api_version: String,
        /// The kind that was asked for.
        kind: String,
    },

    /// The request never got an answer: connection refused or reset, TLS or DNS failure.
    #[error("{message}")]
    Connection {
        /// A Node-style error code (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `EPROTO`, …).
        code: &'static str,
        /// What happened and what to check.
        message: String,
        /// The underlying transport error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The client-side `timeout` elapsed before the server answered.
    #[error(
        "the request did not complete within the client timeout of {0:?}: \
         raise the `timeout` option or check that the API server is responsive"
    )]
    Timeout(Duration),

    /// The caller passed something unusable (missing name, bad patch type, bad option value).
    #[error("{0}")]
    InvalidArgument(String),

    /// The kubeconfig could not be read, parsed or resolved to a usable configuration.
    #[error("{message}")]
    Kubeconfig {
        /// What is wrong and how to fix it.
        message: String,
        /// The error reported by the kubeconfig loader, when there was one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The request was cancelled by the caller before it completed.
    #[error("the request was cancelled")]
    Cancelled,

    /// The server sent a body the client could not read (e.g. invalid discovery JSON).
    #[error("unexpected response from {url}: {message}")]
    UnexpectedResponse {
        /// The request URL (path and query).
        url: String,
        /// What was wrong with the answer.
        message: String,
    },
}

/// A non-2xx answer from the API server, as client-go's `StatusError` sees it.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// The HTTP status code (or the Status `code`, when the body carried one).
    pub code: u16,
    /// The metav1 `StatusReason` (`NotFound`, `Conflict`, …); derived from the code when the
    /// server sent none.
    pub reason: String,
    /// The human-readable message.
    pub message: String,
    /// The `metav1.Status` as JSON text: the server's body when it sent a Status, otherwise
    /// one built the way client-go's `NewGenericServerResponse` builds it.
    pub status_json: String,
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for an [`Error::InvalidArgument`].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }
}
