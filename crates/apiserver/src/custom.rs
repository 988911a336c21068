//! Custom resources: schema validation, pruning and defaulting (klite-schema's
//! structural schemas) and version conversion (strategy None).

use klite_schema::field::{ErrorList, ErrorType, FieldError, Path};
use klite_schema::structural::StructuralSchema;
use serde_json::{json, Value};

use crate::registry::ResourceDef;
use crate::status::FieldIssue;

/// Prune unknown fields of a custom resource; returns their paths (sorted).
pub fn prune(def: &ResourceDef, obj: &mut Value) -> Vec<String> {
    let Some(custom) = &def.custom else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        let keys: Vec<String> = meta.keys().cloned().collect();
        for k in keys {
            if !crate::handlers::meta::OBJECT_META_FIELDS.contains(&k.as_str()) {
                meta.remove(&k);
                unknown.push(format!("metadata.{k}"));
            }
        }
    }
    if custom.preserve_unknown_fields {
        return unknown;
    }
    if let Some(schema) = &custom.structural {
        unknown.extend(schema.prune(obj));
    }
    unknown.sort();
    unknown
}

/// What validating a custom resource found.
pub struct Validated {
    /// Field errors (a 422 when not empty).
    pub issues: Vec<FieldIssue>,
    /// `Warning` header texts (CEL rules that failed on unchanged nodes).
    pub warnings: Vec<String>,
}

/// Default and validate a custom resource against its version's schema. `sub` is the
/// subresource written: on `status` only `.status` is checked against `properties.status`
/// (upstream's status validator; the list-type and CEL steps still see the whole object).
pub fn validate(def: &ResourceDef, obj: &mut Value, old: Option<&Value>, sub: &str) -> Validated {
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let Some(custom) = &def.custom else {
        return Validated { issues, warnings };
    };
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != def.kind {
        issues.push(FieldIssue::invalid(
            "kind",
            &json!(kind),
            &format!("must be {}", def.kind),
        ));
    }
    let Some(schema) = &custom.structural else {
        return Validated { issues, warnings };
    };
    schema.apply_defaults(obj);
    let mut errors = match old {
        Some(old) if sub == "status" => {
            let empty = Value::Null;
            let status = obj.get("status").unwrap_or(&empty);
            let mut e = schema.validate_status(status, old.get("status"));
            e.extend(schema.validate_list_types(obj));
            e
        }
        Some(old) => {
            let mut e = schema.validate_schema_update(obj, old);
            e.extend(schema.validate_embedded_resources(obj));
            e.extend(schema.validate_list_types(obj));
            e
        }
        None => schema.validate(obj),
    };
    if schema.has_cel_rules() {
        let (rule_errors, rule_warnings) = cel_rules(schema, &errors, obj, old);
        errors.extend(rule_errors);
        warnings = rule_warnings;
    }
    issues.extend(crate::validation::issues(&errors));
    if let Some(scale) = &custom.scale {
        for path in [&scale.spec_replicas, &scale.status_replicas] {
            let mut cur = Some(&*obj);
            for part in path.trim_start_matches('.').split('.') {
                cur = cur.and_then(|c| c.get(part));
            }
            match cur {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v < 0) => {
                    issues.push(FieldIssue::invalid(
                        path,
                        &Value::Number(n.clone()),
                        "should be a non-negative integer",
                    ));
                }
                Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v > i64::from(i32::MAX)) => {
                    issues.push(FieldIssue::invalid(
                        path,
                        &Value::Number(n.clone()),
                        "should be less than or equal to 2147483647",
                    ));
                }
                _ => {}
            }
        }
    }
    Validated { issues, warnings }
}

/// The `x-kubernetes-validations` step (upstream's last validation step): skipped, with
/// upstream's notice, when schema validation already found a blocking error. Failed rules on
/// unchanged nodes (ratcheting) are returned as warnings.
fn cel_rules(
    schema: &StructuralSchema,
    found: &ErrorList,
    obj: &Value,
    old: Option<&Value>,
) -> (ErrorList, Vec<String>) {
    let blocking = found.iter().any(|e| {
        matches!(
            e.error_type,
            ErrorType::Required
                | ErrorType::NotSupported
                | ErrorType::TooLong
                | ErrorType::TooMany
                | ErrorType::TypeInvalid
        )
    });
    if blocking {
        // Upstream renders the nil value as "null" (Kubernetes <= 1.33, which we serve).
        let mut notice = ErrorList::new();
        notice.push(FieldError::invalid(
            &Path::nil(),
            "null",
            "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ));
        return (notice, Vec::new());
    }
    let outcome = schema.validate_cel(obj, old);
    (outcome.errors, outcome.warnings)
}

/// Rewrite a custom resource's apiVersion to the storage version before writing.
pub fn to_storage_version(def: &ResourceDef, obj: &mut Value) {
    let Some(custom) = &def.custom else { return };
    if def.version != def.storage_version {
        obj["apiVersion"] = json!(format!("{}/{}", def.group, def.storage_version));
        if !custom.preserve_unknown_fields {
            if let Some(schema) = &custom.storage_structural {
                let _ = schema.prune(obj);
            }
        }
    }
}

/// Rewrite a custom resource's apiVersion to the version of the request.
pub fn to_request_version(def: &ResourceDef, obj: &mut Value) {
    if def.is_custom() {
        obj["apiVersion"] = json!(def.api_version());
    }
}
