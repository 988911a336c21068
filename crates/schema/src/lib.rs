//! klite-schema
