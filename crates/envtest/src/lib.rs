//! klite-envtest
