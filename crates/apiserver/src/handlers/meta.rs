//! Object metadata and per-kind strategy rules (create/update preparation,
//! validation, generation), following upstream strategies.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::kinds::GenerationPolicy;
use crate::registry::ResourceDef;
use crate::status::{ApiError, FieldIssue};

/// Keys of ObjectMeta (others are unknown fields).
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Current time, RFC 3339 with second precision (`2024-05-01T10:00:00Z`).
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Mutable metadata map (created if missing; a non-object root becomes `{}`).
pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let Value::Object(root) = obj else {
        unreachable!("root was just made an object")
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    let Value::Object(meta) = meta else {
        unreachable!("metadata was just made an object")
    };
    meta
}

/// A string metadata field ("" when missing).
pub fn meta_str<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.finalizers` as strings.
pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Set `metadata.finalizers` (removing the key when empty).
pub fn set_finalizers(obj: &mut Value, list: &[String]) {
    let meta = meta_mut(obj);
    if list.is_empty() {
        meta.remove("finalizers");
    } else {
        meta.insert("finalizers".into(), json!(list));
    }
}

/// Name = generateName (≤58 bytes) + 5 random chars from upstream's alphabet.
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut base = prefix.to_string();
    while base.len() > 58 {
        base.pop();
    }
    let suffix: String = (0..5)
        .map(|_| ALPHABET[rand::random::<u32>() as usize % ALPHABET.len()] as char)
        .collect();
    base + &suffix
}

/// The unknown top-level and metadata fields of a built-in object (sorted), removed from it.
pub fn drop_unknown_fields(def: &ResourceDef, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let Some(known) = def.known_fields else {
        return unknown;
    };
    if let Some(map) = obj.as_object_mut() {
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            if !matches!(k.as_str(), "kind" | "apiVersion" | "metadata")
                && !known.contains(&k.as_str())
            {
                map.remove(&k);
                unknown.push(k);
            }
        }
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            let keys: Vec<String> = meta.keys().cloned().collect();
            for k in keys {
                if !OBJECT_META_FIELDS.contains(&k.as_str()) {
                    meta.remove(&k);
                    unknown.push(format!("metadata.{k}"));
                }
            }
        }
    }
    // Nested fields, against the kind's schema (as upstream's typed decoding drops them).
    if let Some(nested) = crate::schemas::prune_builtin(&def.group, &def.version, &def.kind, obj) {
        unknown.extend(nested);
    }
    unknown.sort();
    unknown.dedup();
    unknown
}

/// Kind-specific defaulting and PrepareForCreate.
pub fn prepare_for_create(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    let name = meta_str(obj, "name").to_string();
    match (def.group.as_str(), def.resource.as_str()) {
        ("", "namespaces") => {
            let mut fins: Vec<Value> = obj
                .pointer("/spec/finalizers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !fins.iter().any(|f| f == "kubernetes") {
                fins.push(json!("kubernetes"));
            }
            obj["spec"] = json!({"finalizers": fins});
            obj["status"] = json!({"phase": "Active"});
            force_namespace_label(obj, &name);
        }
        ("", "secrets") => prepare_secret(obj)?,
        _ if def.is_custom() => {
            if def.has_status() {
                if let Some(m) = obj.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            crate::crd::prepare_for_create(obj)
        }
        _ => {
            if let Some(status) = crate::strategies::initial_status(def) {
                obj["status"] = status;
            }
        }
    }
    if def.generation != GenerationPolicy::Unmanaged {
        meta_mut(obj).insert("generation".into(), json!(1));
    }
    Ok(())
}

fn force_namespace_label(obj: &mut Value, name: &str) {
    let meta = meta_mut(obj);
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if !labels.is_object() {
        *labels = json!({});
    }
    labels["kubernetes.io/metadata.name"] = json!(name);
}

/// Secret decoding: `data` must be base64, `stringData` is folded into `data`,
/// `type` defaults to Opaque.
pub fn prepare_secret(obj: &mut Value) -> Result<(), ApiError> {
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let s = v.as_str().unwrap_or("");
            if base64::engine::general_purpose::STANDARD.decode(s).is_err() {
                return Err(ApiError::bad_request(format!(
                    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0 (key {k:?})"
                )));
            }
        }
    }
    if let Some(string_data) = obj.get("stringData").and_then(Value::as_object).cloned() {
        let data = obj
            .as_object_mut()
            .map(|m| m.entry("data").or_insert_with(|| json!({})));
        if let Some(data) = data {
            if !data.is_object() {
                *data = json!({});
            }
            for (k, v) in string_data {
                data[k.as_str()] = json!(
                    base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or(""))
                );
            }
        }
        if let Some(m) = obj.as_object_mut() {
            m.remove("stringData");
        }
    }
    if obj
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        obj["type"] = json!("Opaque");
    }
    Ok(())
}

/// PrepareForUpdate for the main endpoint and subresources: what is kept from `old`.
pub fn prepare_for_update(
    def: &ResourceDef,
    old: &Value,
    new: &mut Value,
    sub: &str,
) -> Result<(), ApiError> {
    let copy = |key: &str, from: &Value, to: &mut Value| match from.get(key) {
        Some(v) => to[key] = v.clone(),
        None => {
            if let Some(m) = to.as_object_mut() {
                m.remove(key);
            }
        }
    };
    if def.resource == "secrets" && def.group.is_empty() {
        prepare_secret(new)?;
    }
    let is_crd = def.group == "apiextensions.k8s.io" && def.resource == "customresourcedefinitions";
    if is_crd {
        crate::crd::prepare_for_update(new, old, sub);
    }
    match sub {
        _ if is_crd => {}
        "" => {
            if def.has_status() {
                copy("status", old, new);
            }
            if def.group.is_empty() && def.resource == "namespaces" {
                copy("status", old, new);
                new["spec"] = old.get("spec").cloned().unwrap_or(json!({}));
                let name = meta_str(old, "name").to_string();
                force_namespace_label(new, &name);
            }
        }
        "status" => {
            if def.is_custom() || def.resource == "customresourcedefinitions" {
                let status = new.get("status").cloned();
                let mut merged = old.clone();
                match status {
                    Some(s) => merged["status"] = s,
                    None => {
                        if let Some(m) = merged.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
                if def.resource == "customresourcedefinitions" {
                    // metadata is not reset for CRD /status (upstream quirk).
                    merged["metadata"] = new.get("metadata").cloned().unwrap_or(json!({}));
                }
                *new = merged;
            } else {
                copy("spec", old, new);
                if def.group.is_empty() && def.resource == "pods" {
                    let owners = old.pointer("/metadata/ownerReferences").cloned();
                    let meta = meta_mut(new);
                    match owners {
                        Some(o) => meta.insert("ownerReferences".into(), o),
                        None => meta.remove("ownerReferences"),
                    };
                } else if !(def.group.is_empty() && def.resource == "namespaces") {
                    let labels = old.pointer("/metadata/labels").cloned();
                    let meta = meta_mut(new);
                    match labels {
                        Some(l) => meta.insert("labels".into(), l),
                        None => meta.remove("labels"),
                    };
                }
                if def.group.is_empty() && def.resource == "namespaces" {
                    let name = meta_str(old, "name").to_string();
                    force_namespace_label(new, &name);
                }
            }
        }
        "finalize" => {
            let fins = new.pointer("/spec/finalizers").cloned();
            let mut merged = old.clone();
            merged["spec"] = json!({});
            if let Some(f) = fins {
                merged["spec"]["finalizers"] = f;
            }
            merged["metadata"] = new.get("metadata").cloned().unwrap_or(json!({}));
            *new = merged;
            let name = meta_str(old, "name").to_string();
            force_namespace_label(new, &name);
        }
        _ => {}
    }
    // System fields are restored from the stored object, never an error.
    let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
    let meta = meta_mut(new);
    for key in [
        "creationTimestamp",
        "uid",
        "generation",
        "deletionTimestamp",
    ] {
        match old_meta.get(key) {
            Some(v) => meta.insert(key.into(), v.clone()),
            None => meta.remove(key),
        };
    }
    if meta
        .get("deletionGracePeriodSeconds")
        .is_none_or(Value::is_null)
    {
        match old_meta.get("deletionGracePeriodSeconds") {
            Some(v) => meta.insert("deletionGracePeriodSeconds".into(), v.clone()),
            None => meta.remove("deletionGracePeriodSeconds"),
        };
    }
    meta.remove("selfLink");
    if sub.is_empty() {
        bump_generation(def, old, new);
    }
    Ok(())
}

fn bump_generation(def: &ResourceDef, old: &Value, new: &mut Value) {
    let changed = match def.generation {
        GenerationPolicy::Unmanaged => false,
        GenerationPolicy::Spec => old.get("spec") != new.get("spec"),
        GenerationPolicy::SpecOrAnnotations => {
            old.get("spec") != new.get("spec")
                || old.pointer("/metadata/annotations") != new.pointer("/metadata/annotations")
        }
        GenerationPolicy::NonMetadata => {
            let strip = |v: &Value| {
                let mut m = v.as_object().cloned().unwrap_or_default();
                m.remove("metadata");
                if def.has_status() {
                    m.remove("status");
                }
                m
            };
            strip(old) != strip(new)
        }
        GenerationPolicy::NonMetadataOrLabels => {
            let strip = |v: &Value| {
                let mut m = v.as_object().cloned().unwrap_or_default();
                m.remove("metadata");
                m
            };
            strip(old) != strip(new)
                || old.pointer("/metadata/labels") != new.pointer("/metadata/labels")
        }
        GenerationPolicy::Fields(fields) => fields.iter().any(|f| old.get(*f) != new.get(*f)),
        GenerationPolicy::CreateOnly => false,
    };
    if changed {
        let generation = old
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta_mut(new).insert("generation".into(), json!(generation + 1));
    }
}

fn config_key_issues(obj: &Value, field: &str, issues: &mut Vec<FieldIssue>) {
    let Some(map) = obj.get(field).and_then(Value::as_object) else {
        return;
    };
    for k in map.keys() {
        let valid = !k.is_empty()
            && k.len() <= 253
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
        if !valid {
            issues.push(FieldIssue::invalid(
                &format!("{field}[{k}]"),
                &json!(k),
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ));
        }
    }
}

/// Kind-specific validation of a created or updated object.
pub fn validate_kind(def: &ResourceDef, obj: &Value, old: Option<&Value>) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if !def.group.is_empty() {
        return issues;
    }
    if def.resource == "configmaps" || def.resource == "secrets" {
        config_key_issues(obj, "data", &mut issues);
        if def.resource == "configmaps" {
            config_key_issues(obj, "binaryData", &mut issues);
        }
        if let Some(old) = old {
            if old.get("immutable").and_then(Value::as_bool) == Some(true) {
                let msg = "field is immutable when `immutable` is set";
                for field in ["data", "binaryData"] {
                    if old.get(field) != obj.get(field) {
                        issues.push(FieldIssue::forbidden(field, msg));
                    }
                }
                if obj.get("immutable").and_then(Value::as_bool) != Some(true) {
                    issues.push(FieldIssue::forbidden("immutable", msg));
                }
            }
            if def.resource == "secrets" && old.get("type") != obj.get("type") {
                issues.push(FieldIssue::invalid(
                    "type",
                    obj.get("type").unwrap_or(&Value::Null),
                    "field is immutable",
                ));
            }
        }
    }
    issues
}
