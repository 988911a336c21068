//! CustomResourceDefinitions (`apiextensions.k8s.io/v1`): defaulting, create/update
//! validation with upstream's exact messages and paths, status handling, and the naming and
//! establishing controllers' status computations.
//!
//! All functions work on the CRD as JSON (`serde_json::Value`). The typical create flow of an
//! API server:
//!
//! ```
//! use klite_schema::crd;
//! use serde_json::json;
//!
//! let mut body = json!({
//!     "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
//!     "metadata": {"name": "foos.example.com"},
//!     "spec": {"group": "example.com", "scope": "Namespaced",
//!              "names": {"plural": "foos", "kind": "Foo"},
//!              "versions": [{"name": "v1", "served": true, "storage": true,
//!                            "schema": {"openAPIV3Schema": {"type": "object"}}}]}
//! });
//! let decoded = crd::decode_crd(&body).unwrap();          // 400 on Err, warnings from unknown fields
//! assert!(decoded.unknown_fields.is_empty());
//! crd::default_crd(&mut body);                           // singular, listKind, conversion
//! crd::prepare_crd_for_create(&mut body);                // status wiped, generation 1
//! let errors = crd::validate_crd_create(&body);          // 422 when not empty
//! assert!(errors.is_empty(), "{errors}");
//! assert_eq!(body["spec"]["names"]["listKind"], "FooList");
//! ```

mod model;
mod schema_rules;
mod status;
mod url;
mod validate;

pub use model::{
    Column, Conversion, Crd, Decoded, Names, Scale, ServiceReference, Spec, Status, Subresources,
    Validation, Version, WebhookClientConfig,
};
pub use status::{
    establish, find_condition, initial_status, set_condition, update_names_status, Condition,
};

use crate::field::{ErrorList, FieldError, Path};
use crate::openapi::SchemaProps;
use serde_json::{json, Value};

/// Decodes a v1 CRD: `Err` is the Go-style decode error (upstream answers 400
/// `CustomResourceDefinition in version "v1" cannot be handled as a CustomResourceDefinition: <err>`),
/// `Ok` carries the internal model and the unknown field paths for warnings.
pub fn decode_crd(crd: &Value) -> Result<Decoded, String> {
    Crd::decode(crd)
}

/// v1 defaulting (`SetDefaults_CustomResourceDefinition`): `names.singular` =
/// lowercase(kind), `names.listKind` = kind + "List", `conversion` = `{"strategy":"None"}`,
/// webhook service port 443, empty `status.storedVersions` = the storage version. Also
/// materialises the fields Go always serialises (`names.plural`/`kind`, `served`, `storage`).
pub fn default_crd(crd: &mut Value) {
    let Value::Object(root) = crd else { return };
    let spec = root.entry("spec").or_insert_with(|| json!({}));
    if let Value::Object(spec) = spec {
        let names = spec.entry("names").or_insert_with(|| json!({}));
        if let Value::Object(names) = names {
            let kind = names
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let singular_empty = names
                .get("singular")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty();
            if singular_empty && !kind.is_empty() {
                names.insert("singular".into(), json!(kind.to_lowercase()));
            }
            let list_kind_empty = names
                .get("listKind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty();
            if list_kind_empty && !kind.is_empty() {
                names.insert("listKind".into(), json!(format!("{kind}List")));
            }
            names.entry("plural").or_insert(json!(""));
            names.entry("kind").or_insert(json!(""));
        }
        spec.entry("scope").or_insert(json!(""));
        if spec.get("conversion").is_none_or(Value::is_null) {
            spec.insert("conversion".into(), json!({"strategy": "None"}));
        }
        if let Some(Value::Object(service)) = spec
            .get_mut("conversion")
            .and_then(|c| c.get_mut("webhook"))
            .and_then(|w| w.get_mut("clientConfig"))
            .and_then(|cc| cc.get_mut("service"))
        {
            service.entry("port").or_insert(json!(443));
        }
        if let Some(Value::Array(versions)) = spec.get_mut("versions") {
            for v in versions {
                if let Value::Object(v) = v {
                    v.entry("served").or_insert(json!(false));
                    v.entry("storage").or_insert(json!(false));
                }
            }
        }
    }
    let storage = root
        .get("spec")
        .and_then(|s| s.get("versions"))
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .and_then(|v| v.get("name").cloned())
        });
    if let Some(Value::Object(status)) = root.get_mut("status") {
        let empty = status
            .get("storedVersions")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            if let Some(storage) = storage {
                status.insert("storedVersions".into(), json!([storage]));
            }
        }
    }
}

fn decode_or_error(crd: &Value) -> Result<Crd, ErrorList> {
    Crd::decode(crd)
        .map(|d| d.crd)
        .map_err(|err| FieldError::invalid(&Path::nil(), "", err).into())
}

/// Create validation (`ValidateCustomResourceDefinition`) of a defaulted, prepared CRD.
/// Call [`decode_crd`] first: a decode failure is reported here as one `<nil>` error.
pub fn validate_crd_create(crd: &Value) -> ErrorList {
    match decode_or_error(crd) {
        Ok(c) => validate::validate_create(&c),
        Err(errs) => errs,
    }
}

/// Update validation (`ValidateCustomResourceDefinitionUpdate`), with upstream's ratcheting
/// (rules the old CRD already violated are not enforced) and immutability rules.
pub fn validate_crd_update(crd: &Value, old: &Value) -> ErrorList {
    match (decode_or_error(crd), decode_or_error(old)) {
        (Ok(c), Ok(o)) => validate::validate_update(&c, &o),
        (Err(errs), _) | (_, Err(errs)) => errs,
    }
}

/// `/status` update validation (`ValidateUpdateCustomResourceDefinitionStatus`).
pub fn validate_crd_status_update(crd: &Value, old: &Value) -> ErrorList {
    match (decode_or_error(crd), decode_or_error(old)) {
        (Ok(c), Ok(o)) => validate::validate_status_update(&c, &o),
        (Err(errs), _) | (_, Err(errs)) => errs,
    }
}

/// `PrepareForCreate`: status wiped to `{"conditions":null,"acceptedNames":{"plural":"","kind":""},"storedVersions":[<storage>]}`,
/// `metadata.generation` = 1.
pub fn prepare_crd_for_create(crd: &mut Value) {
    status::prepare_for_create(crd);
}

/// `PrepareForUpdate` (main endpoint): status kept from `old`, generation +1 when the spec
/// changed, storage version appended to `storedVersions`.
pub fn prepare_crd_for_update(crd: &mut Value, old: &Value) {
    status::prepare_for_update(crd, old);
}

/// `PrepareForUpdate` of `/status`: spec reset to `old` (metadata changes, e.g. finalizers,
/// take effect).
pub fn prepare_crd_for_status_update(crd: &mut Value, old: &Value) {
    status::prepare_for_status_update(crd, old);
}

fn schemas_of(crd: &Crd) -> Vec<&SchemaProps> {
    crd.spec
        .validation
        .iter()
        .chain(crd.spec.versions.iter().filter_map(|v| v.schema.as_ref()))
        .filter_map(|v| v.open_api_v3_schema.as_ref())
        .collect()
}

fn unrecognized_formats(crd: &Crd) -> Vec<String> {
    let mut out = Vec::new();
    for schema in schemas_of(crd) {
        schema.any(&mut |s| {
            if !s.format.is_empty() {
                let kept = crate::structural::formats::effective_format(&s.format, &s.type_);
                if kept.is_empty() {
                    out.push(s.format.clone());
                }
            }
            false
        });
    }
    out
}

fn non_scalar_set_warnings(crd: &Crd) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    for schema in schemas_of(crd) {
        schema.any(&mut |s| {
            if s.x_list_type.as_deref() == Some("set") {
                if let Some(item) = s.items_schema() {
                    if item.type_ == "object" || item.type_ == "array" {
                        seen.insert(format!(
                            "x-kubernetes-list-type: set for items of type {} is not supported by server-side apply or CEL validation rules",
                            crate::gofmt::quote(&item.type_)
                        ));
                    }
                }
            }
            false
        });
    }
    seen.into_iter().collect()
}

/// Warnings on create: `unrecognized format "<f>"` per unrecognised format, and the
/// non-scalar list-type=set warning.
pub fn crd_warnings_on_create(crd: &Value) -> Vec<String> {
    let Ok(decoded) = Crd::decode(crd) else {
        return Vec::new();
    };
    let mut out: Vec<String> = unrecognized_formats(&decoded.crd)
        .into_iter()
        .map(|f| format!("unrecognized format {}", crate::gofmt::quote(&f)))
        .collect();
    out.extend(non_scalar_set_warnings(&decoded.crd));
    out
}

/// Warnings on update: only newly introduced unrecognised formats and set warnings.
pub fn crd_warnings_on_update(crd: &Value, old: &Value) -> Vec<String> {
    let (Ok(new), Ok(old)) = (Crd::decode(crd), Crd::decode(old)) else {
        return Vec::new();
    };
    let old_formats: std::collections::HashSet<String> =
        unrecognized_formats(&old.crd).into_iter().collect();
    let mut out: Vec<String> = unrecognized_formats(&new.crd)
        .into_iter()
        .filter(|f| !old_formats.contains(f))
        .map(|f| format!("unrecognized format {}", crate::gofmt::quote(&f)))
        .collect();
    let old_sets: std::collections::HashSet<String> =
        non_scalar_set_warnings(&old.crd).into_iter().collect();
    out.extend(
        non_scalar_set_warnings(&new.crd)
            .into_iter()
            .filter(|w| !old_sets.contains(w)),
    );
    out
}

/// The `openAPIV3Schema` JSON that applies to `version` of a CRD (per-version schema).
pub fn schema_for_version<'a>(crd: &'a Value, version: &str) -> Option<&'a Value> {
    crd.pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(version))?
        .pointer("/schema/openAPIV3Schema")
}

#[cfg(test)]
mod tests;
