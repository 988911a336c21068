//! PATCH: JSON patch, merge patch, strategic merge patch and server-side apply.
//!
//! The engines are klite-merge's; this module does the HTTP side (content
//! types, options, apply-create, status codes, unknown fields) and runs the
//! patch inside the store's read-modify-write so no concurrent update is lost.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::handlers::meta::{meta_mut, meta_str};
use crate::handlers::write::{
    self, do_create, do_update, report_unknown, write_options, WriteOptions,
};
use crate::handlers::{Ctx, Reply};
use crate::registry::ResourceDef;
use crate::status::{ApiError, FieldIssue, StatusCause, StatusDetails};
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

/// A klite-merge error as the upstream Status.
pub fn merge_error(e: &klite_merge::Error) -> ApiError {
    let s = e.status();
    let mut err = ApiError::new(s.code, s.reason.unwrap_or(""), s.message);
    err.details = s.details.map(|causes| {
        Box::new(StatusDetails {
            causes: causes
                .into_iter()
                .map(|c| StatusCause {
                    reason: c.reason.to_string(),
                    message: c.message,
                    field: c.field,
                })
                .collect(),
            ..Default::default()
        })
    });
    err
}

/// Handle PATCH.
pub fn patch(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
) -> Result<Reply, ApiError> {
    let ty = patch_type(ctx, def)?;
    let mut opts = write_options(ctx, "PatchOptions")?;
    let force = match ctx.query.get("force") {
        Some(f) if ty != PatchType::Apply => {
            let _ = f;
            return Err(patch_invalid(FieldIssue::forbidden(
                "force",
                "may not be specified for non-apply patch",
            )));
        }
        Some(f) => crate::request_info::parse_bool(f).unwrap_or(false),
        None => false,
    };
    let body = ctx.body.clone();
    if ty == PatchType::Apply {
        opts.apply = true;
        return apply(ctx, def, ns, name, sub, &body, force, &opts);
    }
    let merge_ty = def.merge_type();
    let engine = |doc: &Value| -> Result<Value, ApiError> {
        let out = match ty {
            PatchType::Json => klite_merge::json_patch::apply(doc, &body),
            PatchType::Merge => klite_merge::merge_patch::apply(doc, &body),
            PatchType::Strategic => klite_merge::strategic::apply(doc, &body, &merge_ty),
            PatchType::Apply => unreachable!("apply handled above"),
        };
        out.map_err(|e| merge_error(&e))
    };
    if sub == "scale" {
        opts.scale = true;
        let updated = do_update(&ctx.shared, def, ns, name, "", &opts, |old| {
            let scale = write::scale_of(def, old)?;
            let patched = engine(&scale)?;
            write::apply_scale(def, old, &patched, name)
        })?;
        let obj: Value = serde_json::from_slice(&updated.body).unwrap_or(Value::Null);
        let scale = write::scale_of(def, &obj)?;
        return Ok(Reply::Json(200, Bytes::from(crate::json::to_body(&scale))));
    }
    let patch_value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut unknown = Vec::new();
    let updated = do_update(&ctx.shared, def, ns, name, sub, &opts, |old| {
        let mut current = old.clone();
        crate::custom::to_request_version(def, &mut current);
        let mut patched = engine(&current)?;
        if !patched.is_object() {
            return Err(ApiError::generic_unprocessable());
        }
        let patch_rv = patch_value
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !patch_rv.is_empty() && patch_rv != meta_str(old, "resourceVersion") {
            return Err(ApiError::stale_resource_version(
                &def.group,
                &def.resource,
                name,
            ));
        }
        if meta_str(&patched, "name") != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                meta_str(&patched, "name")
            )));
        }
        write::check_type(def, &mut patched)?;
        unknown = crate::handlers::meta::drop_unknown_fields(def, &mut patched);
        unknown.extend(crate::custom::prune(def, &mut patched));
        Ok(patched)
    })?;
    report_unknown(ctx, def, &unknown, &opts)?;
    ctx.warnings.extend(updated.warnings);
    Ok(Reply::Json(updated.code, updated.body))
}

#[allow(clippy::too_many_arguments)]
fn apply(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
    body: &[u8],
    force: bool,
    opts: &WriteOptions,
) -> Result<Reply, ApiError> {
    if ctx.query.get("fieldManager").is_none_or(str::is_empty) {
        return Err(patch_invalid(FieldIssue::required(
            "fieldManager",
            "is required for apply patch",
        )));
    }
    let mut config: Value = serde_yaml_ng::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: apply patch must be an object",
        ));
    }
    let expected = def.api_version();
    let given = config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if given != expected {
        return Err(ApiError::bad_request(format!(
            "Incorrect version specified in apply patch. Specified patch version: {given}, expected: {expected}"
        )));
    }
    if config.pointer("/metadata/managedFields").is_some() {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let body_name = meta_str(&config, "name").to_string();
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    meta_mut(&mut config).insert("name".into(), json!(name));
    if def.namespaced {
        let body_ns = meta_str(&config, "namespace").to_string();
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(format!(
                "the namespace of the object ({body_ns}) does not match the namespace on the request ({ns})"
            )));
        }
    }
    let mut unknown = crate::handlers::meta::drop_unknown_fields(def, &mut config);
    unknown.extend(crate::custom::prune(def, &mut config));
    report_unknown(ctx, def, &unknown, opts)?;
    let merge_ty = def.merge_type();
    let subresource = if sub.is_empty() { None } else { Some(sub) };
    let reset =
        klite_merge::apply::reset_fields(&def.group, &def.kind, subresource, def.has_status());
    let manager = opts.field_manager.clone();
    let run = |live: Option<&Value>| -> Result<Value, ApiError> {
        let live = live.map(|l| {
            let mut l = l.clone();
            crate::custom::to_request_version(def, &mut l);
            l
        });
        let apply_opts = klite_merge::apply::ApplyOptions {
            manager: &manager,
            api_version: &expected,
            kind: &def.kind,
            subresource,
            force,
            now: chrono::Utc::now(),
            reset_fields: Some(&reset),
        };
        klite_merge::apply::apply(live.as_ref(), &config, &merge_ty, &apply_opts)
            .map(|o| o.object)
            .map_err(|e| merge_error(&e))
    };
    let key = ObjectKey::new(def.storage_id.clone(), ns, name);
    if sub.is_empty() && ctx.shared.store.get(&key).is_none() {
        if config
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .is_some_and(|u| !u.is_empty())
        {
            let uid = meta_str(&config, "uid").to_string();
            return Err(ApiError::conflict(
                &def.group,
                &def.resource,
                name,
                &format!("uid mismatch: the provided object specified uid {uid}, and no existing object was found"),
            ));
        }
        let obj = run(None)?;
        match do_create(&ctx.shared, def, ns, obj, opts) {
            Ok(created) => {
                ctx.warnings.extend(created.warnings);
                return Ok(Reply::Json(201, created.body));
            }
            Err(e) if e.reason == "AlreadyExists" => {}
            Err(e) => return Err(e),
        }
    }
    let updated = do_update(&ctx.shared, def, ns, name, sub, opts, |old| run(Some(old)))?;
    ctx.warnings.extend(updated.warnings);
    Ok(Reply::Json(updated.code, updated.body))
}
