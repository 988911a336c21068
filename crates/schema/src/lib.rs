//! CRD validation and structural schemas for klite's embedded API server.
//!
//! A pure library (no I/O): everything takes and returns `serde_json::Value`s and
//! [`field::ErrorList`]s whose rendering matches kube-apiserver byte for byte.
//!
//! - [`field`]: field paths and errors (`spec.size: Invalid value: ...`), aggregates.
//! - [`status`]: the 422 `Invalid` Status envelope.
//! - [`validation`]: name, label, annotation, finalizer and ObjectMeta rules.
//! - [`gofmt`]: Go quoting, float and JSON formatting used by upstream messages.
//!
//! ```
//! use klite_schema::field::{ErrorList, FieldError, Path};
//! use klite_schema::status::invalid_status;
//! use klite_schema::validation::{validate_object_meta, NameRule};
//! use serde_json::json;
//!
//! let meta = json!({"name": "Bad_Name", "namespace": "default"});
//! let errors = validate_object_meta(&meta, true, NameRule::DnsSubdomain, &Path::new("metadata"));
//! let status = invalid_status("", "ConfigMap", "Bad_Name", &errors);
//! assert!(status.message.starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"));
//! ```
#![deny(missing_docs)]

pub mod cel;
pub mod columns;
pub mod crd;
pub mod custom_resource;
mod decode;
pub mod error;
pub mod field;
pub mod gofmt;
pub mod goregex;
pub mod jsonpath;
pub mod openapi;
pub mod status;
pub mod structural;
pub mod validation;
pub mod versions;

pub use error::SchemaError;
pub use field::{ErrorList, ErrorType, FieldError, Path};
