//! klite-envtest's integration tests, one module per area, in one test binary (one link
//! instead of one per file; nextest still runs every test in its own process).

mod binaries;
mod embedded;
mod processes;
mod store;
mod support;
