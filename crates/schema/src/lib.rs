//! CRD validation and structural schemas for klite's embedded API server.
//!
//! A pure library (no I/O): everything takes and returns `serde_json::Value`s and
//! [`field::ErrorList`]s whose rendering matches kube-apiserver byte for byte.
//!
//! - [`field`]: field paths and errors (`spec.size: Invalid value: ...`), aggregates.
//! - [`status`]: the 422 `Invalid` Status envelope.
//! - [`validation`]: name, label, annotation, finalizer and ObjectMeta rules.
//! - [`crd`]: CustomResourceDefinition decoding, defaulting, create/update validation,
//!   status preparation and the naming/establishing controllers' status updates.
//! - [`structural`]: a compiled per-version schema ([`structural::StructuralSchema`]):
//!   validation, pruning, defaulting, embedded resources, list types.
//! - [`custom_resource`]: the custom-resource request pipeline (decode, prepare, validate)
//!   in upstream order, including CEL.
//! - [`cel`]: `x-kubernetes-validations` (CRD-time compile checks, runtime evaluation).
//! - [`columns`]: printer columns / Table cells and selectable field values.
//! - [`versions`]: version ordering, storage/served versions, `None` conversion,
//!   deprecation warnings.
//! - [`jsonpath`], [`openapi`], [`goregex`], [`gofmt`]: building blocks.
//!
//! ```
//! use klite_schema::field::Path;
//! use klite_schema::status::invalid_status;
//! use klite_schema::validation::{validate_object_meta, NameRule};
//! use serde_json::json;
//!
//! let meta = json!({"name": "Bad_Name", "namespace": "default"});
//! let errors = validate_object_meta(&meta, true, NameRule::DnsSubdomain, &Path::new("metadata"));
//! let status = invalid_status("", "ConfigMap", "Bad_Name", &errors);
//! assert!(status.message.starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"));
//! ```
//!
//! Serving a custom resource from its CRD:
//!
//! ```
//! use klite_schema::{crd, custom_resource as cr, status::invalid_status};
//! use klite_schema::structural::StructuralSchema;
//! use serde_json::json;
//!
//! let crd = json!({"spec": {"group": "example.com", "names": {"kind": "Foo"},
//!     "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
//!         "type": "object", "properties": {"spec": {"type": "object", "properties": {
//!             "size": {"type": "integer", "minimum": 1}}}}}}}]}});
//! let schema = StructuralSchema::from_openapi(crd::schema_for_version(&crd, "v1").unwrap()).unwrap();
//! let ctx = cr::ResourceContext::new("example.com", "v1", "Foo", true);
//! let mut body = json!({"apiVersion": "example.com/v1", "kind": "Foo",
//!                       "metadata": {"name": "x", "namespace": "ns"}, "spec": {"size": 0}});
//! let warnings = cr::decode_request(&schema, &ctx, &mut body).unwrap();
//! assert!(warnings.is_empty());
//! cr::prepare_for_create(&ctx, &mut body);
//! let errors = cr::validate_create(&schema, &ctx, &body);
//! let status = invalid_status("example.com", "Foo", "x", &errors);
//! assert_eq!(status.message, "Foo.example.com \"x\" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1");
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
