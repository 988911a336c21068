//! klite-apiserver integration tests over real HTTPS, one module per area, in one test binary
//! (one link instead of one per file; nextest still runs every test in its own process).

mod aggregated_discovery;
mod basics;
mod bin;
mod builtin_defaults;
mod clientgo_smoke;
mod cluster_defaults;
mod common;
mod crds;
mod hostile_scale;
mod kubectl_smoke;
mod lifecycle;
mod list_watch;
mod openapi;
mod patch_apply;
mod protobuf;
mod rbac;
mod reviews;
mod services;
mod table;
mod webhooks;
mod wire_errors;
