//! klite: Kubernetes for Node.js (napi binding).
#![deny(clippy::all)]

