//! klite-envtest: a local Kubernetes control plane for integration tests.
//!
//! Three ways to run one, behind [`EnvTest`]:
//! - **binaries**: etcd + kube-apiserver processes started as controller-runtime's
//!   envtest starts them (same flags, certificates, readiness checks, env vars), but
//!   tied to the test process (they die with it, even on SIGKILL), with race-free
//!   ports, and a sweep that cleans up after crashed runs;
//! - **embedded**: klite's in-process API server, no binaries and no download;
//! - **existing cluster** (`USE_EXISTING_CLUSTER=true`): nothing started.
//!
//! Every mode hands out the same kubeconfig shape (admin user in `system:masters`,
//! client-certificate auth) and installs CRDs the same way.
#![deny(missing_docs)]

pub mod binaries;
pub mod certs;
pub mod cluster;
pub mod control_plane;
pub mod crds;
pub mod duration;
pub mod embedded;
pub mod env;
pub mod environment;
pub mod error;
pub mod exit_cleanup;
pub mod flags;
pub mod kubeconfig;
pub mod ports;
pub mod process;
pub mod sweep;

pub use env::EnvVars;
pub use environment::{EnvTest, EnvTestOptions, Mode, RunningMode, User};
pub use error::{Error, Result};
