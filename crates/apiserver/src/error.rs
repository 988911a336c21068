//! The crate's error type: failures of starting, configuring or stopping a server.
//! (Errors *served to clients* are [`crate::status::ApiError`] Status bodies, not this.)

use std::io;

/// Everything that can go wrong when starting or driving an [`crate::ApiServer`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Binding or accepting on the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address we tried to bind.
        addr: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// Generating a key or certificate failed.
    #[error("certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    /// Provided PEM material (serving cert/key, client CA) could not be parsed.
    #[error("invalid PEM material ({what}): {reason}")]
    Pem {
        /// Which input was bad (e.g. "serving certificate").
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// rustls rejected the TLS configuration.
    #[error("TLS configuration error: {0}")]
    Tls(#[from] rustls::Error),
    /// A client-certificate verifier could not be built from the client CA.
    #[error("client CA cannot be used: {0}")]
    ClientCa(#[from] rustls::server::VerifierBuilderError),
    /// An object given in [`crate::ServerOptions::objects`] could not be created.
    #[error("pre-loaded object #{index} rejected: {message}")]
    PreloadedObject {
        /// Position of the object in the list.
        index: usize,
        /// The Status message the server produced for it.
        message: String,
    },
    /// `--service-cluster-ip-range` / `--service-node-port-range` did not parse.
    #[error("invalid service range {value:?}: {reason}")]
    ServiceRange {
        /// The value given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An I/O error outside of listening (e.g. reading a file).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
