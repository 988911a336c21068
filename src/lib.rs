//! klite: Kubernetes for Node.js (napi binding).
//!
//! A thin layer: it converts arguments, delegates to the pure crates and maps errors in one
//! place (`error.rs`). Objects cross as JSON text (`json.rs`).
#![deny(clippy::all)]
// napi-derive registers exports only outside cfg(test), so a test build sees them unused.
#![cfg_attr(test, allow(dead_code))]

mod client;
mod envtest;
mod error;
mod json;
mod resource;
mod setup_envtest;
mod watch;

pub use client::DynamicClient;
