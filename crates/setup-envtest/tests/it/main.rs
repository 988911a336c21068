//! klite-setup-envtest's integration tests in one test binary (one link instead of one per
//! file; nextest still runs every test in its own process).

mod cli;
mod common;
mod safety;
mod upstream_parity;
