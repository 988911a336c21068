//! PATCH: JSON patch, merge patch, strategic merge patch and server-side apply.
//!
//! The patch engines live in klite-merge; this module does the HTTP side
//! (content types, options, apply-create, status codes) and calls them.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::handlers::meta::meta_str;
use crate::handlers::write::{self, do_create, do_update, write_options, WriteOptions};
use crate::handlers::{Ctx, Reply};
use crate::registry::ResourceDef;
use crate::status::{ApiError, FieldIssue};
use crate::store::ObjectKey;

/// The patch flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902.
    Json,
    /// RFC 7386.
    Merge,
    /// Strategic merge patch (built-ins only).
    Strategic,
    /// Server-side apply.
    Apply,
}

fn patch_type(ctx: &Ctx, def: &ResourceDef) -> Result<PatchType, ApiError> {
    let ct = ctx
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/json-patch+json" => Ok(PatchType::Json),
        "application/merge-patch+json" => Ok(PatchType::Merge),
        "application/strategic-merge-patch+json" if !def.is_custom() => Ok(PatchType::Strategic),
        "application/apply-patch+yaml" => Ok(PatchType::Apply),
        _ if def.is_custom() => Err(ApiError::unsupported_media_type(&[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ])),
        _ => {
            let mut e = ApiError::new(415, "UnsupportedMediaType", "415: Unsupported Media Type");
            e.details = Some(Default::default());
            Err(e)
        }
    }
}

fn patch_invalid(issue: FieldIssue) -> ApiError {
    ApiError::invalid("meta.k8s.io", "PatchOptions", "", vec![issue])
}

/// Apply a non-apply patch document to an object.
fn apply_patch_document(ty: PatchType, def: &ResourceDef, old: &Value, patch: &Value) -> Result<Value, ApiError> {
    match ty {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            if ops.0.len() > 10000 {
                return Err(ApiError::too_large(&format!(
                    "The allowed maximum operations in a JSON patch is 10000, got {}",
                    ops.0.len()
                )));
            }
            let mut doc = old.clone();
            json_patch::patch(&mut doc, &ops).map_err(|_| ApiError::generic_unprocessable())?;
            Ok(doc)
        }
        PatchType::Merge | PatchType::Strategic => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("error decoding patch: patch must be a JSON object"));
            }
            let mut doc = old.clone();
            json_patch::merge(&mut doc, patch);
            let _ = def;
            Ok(doc)
        }
        PatchType::Apply => {
            let mut doc = old.clone();
            json_patch::merge(&mut doc, patch);
            Ok(doc)
        }
    }
}

/// Handle PATCH.
pub fn patch(ctx: &mut Ctx, def: &Arc<ResourceDef>, ns: &str, name: &str, sub: &str) -> Result<Reply, ApiError> {
    let ty = patch_type(ctx, def)?;
    let opts = write_options(ctx, "PatchOptions")?;
    let force = ctx.query.get("force");
    if force.is_some() && ty != PatchType::Apply {
        return Err(patch_invalid(FieldIssue::forbidden("force", "may not be specified for non-apply patch")));
    }
    let patch: Value = if ty == PatchType::Apply {
        serde_yaml_ng::from_slice(&ctx.body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
    } else {
        serde_json::from_slice(&ctx.body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?
    };
    if ty == PatchType::Apply {
        if ctx.query.get("fieldManager").is_none_or(str::is_empty) {
            return Err(patch_invalid(FieldIssue::required("fieldManager", "is required for apply patch")));
        }
        let expected = def.api_version();
        let given = patch.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if given != expected {
            return Err(ApiError::bad_request(format!(
                "Incorrect version specified in apply patch. Specified patch version: {given}, expected: {expected}"
            )));
        }
        if patch.pointer("/metadata/managedFields").is_some() {
            return Err(ApiError::bad_request("metadata.managedFields must be nil"));
        }
        let body_name = meta_str(&patch, "name");
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
    }
    if sub == "scale" {
        let updated = do_update(&ctx.shared, def, ns, name, "", &opts, |old| {
            let scale = write::scale_of(def, old)?;
            let patched = apply_patch_document(ty, def, &scale, &patch)?;
            write::apply_scale(def, old, &patched, name)
        })?;
        let obj: Value = serde_json::from_slice(&updated.body).unwrap_or(Value::Null);
        let scale = write::scale_of(def, &obj)?;
        return Ok(Reply::Json(200, Bytes::from(crate::json::to_body(&scale))));
    }
    let key = ObjectKey::new(def.storage_id.clone(), ns, name);
    if ty == PatchType::Apply && sub.is_empty() && ctx.shared.store.get(&key).is_none() {
        return apply_create(ctx, def, ns, name, patch, &opts);
    }
    let updated = do_update(&ctx.shared, def, ns, name, sub, &opts, |old| {
        let mut patched = apply_patch_document(ty, def, old, &patch)?;
        let rv = meta_str(&patched, "resourceVersion");
        if !rv.is_empty() && rv != meta_str(old, "resourceVersion") && patch.pointer("/metadata/resourceVersion").is_some() {
            return Err(ApiError::stale_resource_version(&def.group, &def.resource, name));
        }
        if meta_str(&patched, "name") != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                meta_str(&patched, "name")
            )));
        }
        if !patched.is_object() {
            return Err(ApiError::generic_unprocessable());
        }
        patched["kind"] = json!(def.kind);
        patched["apiVersion"] = json!(def.api_version());
        Ok(patched)
    })?;
    Ok(Reply::Json(updated.code, updated.body))
}

fn apply_create(ctx: &mut Ctx, def: &Arc<ResourceDef>, ns: &str, name: &str, config: Value, opts: &WriteOptions) -> Result<Reply, ApiError> {
    let mut obj = config;
    if obj.pointer("/metadata/uid").and_then(Value::as_str).is_some_and(|u| !u.is_empty()) {
        let uid = meta_str(&obj, "uid").to_string();
        return Err(ApiError::conflict(
            &def.group,
            &def.resource,
            name,
            &format!("uid mismatch: the provided object specified uid {uid}, and no existing object was found"),
        ));
    }
    crate::handlers::meta::meta_mut(&mut obj).insert("name".into(), json!(name));
    let created = do_create(&ctx.shared, def, ns, obj, opts)?;
    Ok(Reply::Json(201, created.body))
}
