//! `embedded` mode: klite's in-process API server, given certificates made exactly as
//! in binaries mode (serving CA + leaf, client CA), so kubeconfigs and `addUser` behave
//! the same in both modes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use klite_apiserver::{ApiServer, CertKeyPem, ClientCa, ServerOptions};

use crate::certs::ControlPlaneCerts;
use crate::error::{Error, Result};
use crate::ports::LOOPBACK;

/// A running embedded API server.
pub struct EmbeddedServer {
    server: ApiServer,
    /// Its certificate authorities.
    pub certs: Arc<ControlPlaneCerts>,
    /// Time from the start call until the server accepted connections.
    pub start_duration: Duration,
}

impl std::fmt::Debug for EmbeddedServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedServer")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

impl EmbeddedServer {
    /// Starts the server on 127.0.0.1 with a fresh port. Of `api_server_flags`, those
    /// that shape the server's behaviour apply as they would to kube-apiserver
    /// ([`ServerOptions::apply_flag`]); the others are about processes, ports and files the
    /// embedded server does not have, and are named in one line on stderr.
    pub async fn start(api_server_flags: &BTreeMap<String, Vec<String>>) -> Result<EmbeddedServer> {
        let began = Instant::now();
        let certs = Arc::new(ControlPlaneCerts::generate(LOOPBACK)?);
        let mut options = ServerOptions {
            bind_address: LOOPBACK,
            port: 0,
            serving: Some(CertKeyPem {
                cert_pem: certs.serving.cert_pem.clone(),
                key_pem: certs.serving.key_pem.clone(),
            }),
            serving_ca_pem: Some(certs.serving_ca.ca().cert_pem.clone()),
            client_ca: ClientCa::Pem(certs.client_ca.ca().cert_pem.clone()),
            ..ServerOptions::default()
        };
        let mut ignored = Vec::new();
        for (name, values) in api_server_flags {
            let name = name.trim_start_matches('-');
            for value in values {
                let applied = options
                    .apply_flag(name, value)
                    .map_err(|message| Error::Embedded { message })?;
                if !applied && !ignored.contains(&name) {
                    ignored.push(name);
                }
            }
        }
        if !ignored.is_empty() {
            let names: Vec<String> = ignored.iter().map(|n| format!("--{n}")).collect();
            eprintln!(
                "klite EnvTest: the embedded API server ignores apiServerFlags {}",
                names.join(", ")
            );
        }
        let server = klite_apiserver::start(options)
            .await
            .map_err(|e| Error::Embedded {
                message: e.to_string(),
            })?;
        Ok(EmbeddedServer {
            server,
            certs,
            start_duration: began.elapsed(),
        })
    }

    /// Base URL (`https://127.0.0.1:<port>`).
    pub fn server_url(&self) -> String {
        self.server.url()
    }

    /// Stops serving; open connections and watches are closed.
    pub async fn stop(&self) {
        self.server.stop().await;
    }
}
