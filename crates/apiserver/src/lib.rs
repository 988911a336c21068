//! klite-apiserver
