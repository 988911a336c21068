//! klite-client: a dynamic Kubernetes client on kube-rs.
//!
//! Objects travel as JSON text: bodies are never parsed into `serde_json::Value` on the way
//! through, so the caller (the Node binding) hands them to V8's `JSON.parse` directly.
//!
//! ```no_run
//! # async fn demo() -> klite_client::Result<()> {
//! use klite_client::{CallOptions, ClientOptions, DynamicClient, Verb};
//! let client = DynamicClient::new(ClientOptions::default())?;
//! let configmaps = client.resource("v1", "ConfigMap")?;
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let list = configmaps.list(&CallOptions::parse(Verb::List, None)?, &cancel).await?;
//! println!("{}", String::from_utf8_lossy(&list));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod client;
mod config;
mod discovery;
mod error;
mod failure;
mod options;
mod patch;
mod watch;

pub use client::{DynamicClient, ObjectBody, ResourceClient};
pub use config::{load_config, parse_go_duration, ClientOptions};
pub use discovery::{split_api_version, ApiResource};
pub use error::{ApiFailure, Error, Result};
pub use failure::reason_for_code;
pub use options::{CallOptions, Verb, DEFAULT_APPLY_FIELD_MANAGER};
pub use patch::PatchType;
pub use watch::WatchStream;
