//! klite-merge
