//! Patch and server-side-apply engines for klite's embedded API server.
//!
//! A pure library (no I/O) with kube-apiserver's semantics:
//!
//! | Request | Entry point |
//! |---|---|
//! | `application/json-patch+json` | [`json_patch::apply`] |
//! | `application/merge-patch+json` | [`merge_patch::apply`] |
//! | `application/strategic-merge-patch+json` | [`strategic::apply`] |
//! | `application/apply-patch+yaml` (server-side apply) | [`apply::apply`] |
//! | create / update / non-apply patch: record field ownership | [`apply::track_update`] |
//!
//! Merge semantics come from a [`types::TypeRef`]: [`types::builtin`] for the
//! built-in kinds, [`types::from_openapi_schema`] for custom resources, or
//! [`types::TypeRef::deduced`]. Ownership is kept in `metadata.managedFields`
//! ([`managed`]) as `FieldsV1` field sets ([`fieldpath`]).
//!
//! Every error maps to the upstream `Status` via [`Error::status`].
//!
//! # Example: two managers applying a Deployment
//!
//! ```
//! use klite_merge::apply::{apply, ApplyOptions};
//! use klite_merge::types::builtin;
//! use serde_json::json;
//!
//! let ty = builtin("apps", "v1", "Deployment").unwrap();
//! let now = chrono::DateTime::from_timestamp(1_714_557_600, 0).unwrap();
//! let opts = |manager, force| ApplyOptions {
//!     manager, api_version: "apps/v1", kind: "Deployment", subresource: None,
//!     force, now, reset_fields: None,
//! };
//! let config = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "namespace": "default"},
//!     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
//!              "template": {"metadata": {"labels": {"app": "web"}},
//!                           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}
//! });
//! let created = apply(None, &config, &ty, &opts("kubectl", false)).unwrap();
//!
//! // Another manager changing replicas conflicts …
//! let scale = json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!                    "metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 5}});
//! let err = apply(Some(&created.object), &scale, &ty, &opts("hpa", false)).unwrap_err();
//! assert_eq!(err.status().code, 409);
//! assert_eq!(err.status().message, "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas");
//!
//! // … unless it forces, which transfers ownership.
//! let scaled = apply(Some(&created.object), &scale, &ty, &opts("hpa", true)).unwrap();
//! assert_eq!(scaled.object["spec"]["replicas"], 5);
//! assert!(scaled.changed);
//! ```
#![deny(missing_docs)]

pub mod apply;
mod error;
pub mod fieldpath;
pub mod json_patch;
pub mod managed;
pub mod merge_patch;
pub mod strategic;
mod typed;
pub mod types;
mod value;

pub use error::{Error, Result, StatusCause, StatusParts, StrategicErrorKind};
