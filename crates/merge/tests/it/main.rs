//! klite-merge integration tests, in one test binary.

mod server_side_apply;
mod strategic_patch;
