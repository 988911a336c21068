//! klite-setup-envtest
