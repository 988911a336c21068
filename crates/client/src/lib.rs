//! klite-client
