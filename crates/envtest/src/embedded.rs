//! `embedded` mode: klite's in-process API server (wired up once klite-apiserver exports
//! its `start` API).

use std::sync::Arc;
use std::time::Duration;

use crate::certs::ControlPlaneCerts;
use crate::error::{Error, Result};

/// A running embedded API server.
#[derive(Debug)]
pub struct EmbeddedServer {
    /// Its certificate authorities.
    pub certs: Arc<ControlPlaneCerts>,
    /// Time from the start call until the server accepted connections.
    pub start_duration: Duration,
    url: String,
}

impl EmbeddedServer {
    /// Starts the server on 127.0.0.1 with a fresh port.
    pub async fn start() -> Result<EmbeddedServer> {
        Err(Error::Embedded {
            message: "the embedded API server is not available in this build yet".into(),
        })
    }

    /// Base URL (`https://127.0.0.1:<port>`).
    pub fn server_url(&self) -> String {
        self.url.clone()
    }

    /// Stops serving.
    pub async fn stop(&self) {}
}
