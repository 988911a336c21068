//! Writes: create, update (PUT), patch, delete, deletecollection, scale.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};

use super::meta::{self, finalizers, meta_mut, meta_str, set_finalizers};
use super::{object_body, Ctx, Reply};
use crate::registry::ResourceDef;
use crate::server::Shared;
use crate::status::{group_resource, success_status, ApiError, FieldIssue, StatusDetails};
use crate::store::{Change, ObjectKey, StoredObject};

/// `fieldValidation` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop unknown fields silently.
    Ignore,
    /// Drop with `Warning` headers (default).
    Warn,
    /// Reject with 400.
    Strict,
}

/// Options common to create/update/patch.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// Field manager (`fieldManager` or User-Agent prefix).
    pub field_manager: String,
    /// Unknown-field handling.
    pub field_validation: FieldValidation,
    /// The requesting user (None for internal writes): RBAC escalation checks.
    pub user: Option<crate::auth::UserInfo>,
    /// Server-side apply: managedFields are maintained by the apply engine, not tracked as Update.
    pub apply: bool,
    /// A write through the `scale` subresource: admission webhooks see autoscaling/v1 Scales.
    pub scale: bool,
}

impl WriteOptions {
    /// Internal writes (bootstrap, controllers).
    pub fn internal(manager: &str) -> Self {
        WriteOptions {
            dry_run: false,
            field_manager: manager.to_string(),
            field_validation: FieldValidation::Ignore,
            user: None,
            apply: false,
            scale: false,
        }
    }
}

fn options_invalid(kind: &str, issue: FieldIssue) -> ApiError {
    ApiError::invalid("meta.k8s.io", kind, "", vec![issue])
}

/// Parse `dryRun`, `fieldManager`, `fieldValidation` for `<kind>` (CreateOptions…).
pub fn write_options(ctx: &Ctx, kind: &str) -> Result<WriteOptions, ApiError> {
    let dry_run_values = ctx.query.get_all("dryRun");
    if dry_run_values.iter().any(|v| *v != "All") {
        // Upstream reports the whole list as the bad value.
        return Err(options_invalid(
            kind,
            FieldIssue::not_supported("dryRun", &json!(dry_run_values), &["All"]),
        ));
    }
    let dry_run = !dry_run_values.is_empty();
    let field_manager = match ctx.query.get("fieldManager") {
        Some(m) => {
            if m.chars().count() > 128 {
                return Err(options_invalid(
                    kind,
                    FieldIssue::too_long("fieldManager", 128),
                ));
            }
            if let Some((at, c)) = m
                .char_indices()
                .find(|(_, c)| !klite_schema::gofmt::is_print(*c))
            {
                return Err(options_invalid(
                    kind,
                    FieldIssue::invalid(
                        "fieldManager",
                        &json!(m),
                        &format!("invalid character U+{:04X} (at position {at})", c as u32),
                    ),
                ));
            }
            m.to_string()
        }
        None => {
            let ua = ctx
                .headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let prefix: String = ua
                .split('/')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .take(128)
                .collect();
            prefix
        }
    };
    let field_validation = match ctx.query.get("fieldValidation").unwrap_or("") {
        "" | "Warn" => FieldValidation::Warn,
        "Ignore" => FieldValidation::Ignore,
        "Strict" => FieldValidation::Strict,
        other => {
            return Err(options_invalid(
                kind,
                FieldIssue::not_supported(
                    "fieldValidation",
                    &json!(other),
                    &["", "Ignore", "Strict", "Warn"],
                ),
            ))
        }
    };
    Ok(WriteOptions {
        dry_run,
        field_manager,
        field_validation,
        user: Some(ctx.user.clone()),
        apply: false,
        scale: false,
    })
}

fn content_type(ctx: &Ctx) -> String {
    ctx.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Decode a POST/PUT body (JSON or YAML) into an object.
pub fn decode_body(ctx: &mut Ctx, def: &ResourceDef) -> Result<Value, ApiError> {
    let ct = content_type(ctx);
    let value: Value = match ct.as_str() {
        "application/json" | "" | "*/*" => {
            let (value, duplicates) = crate::json::parse_with_duplicates(&ctx.body)
                .map_err(|e| decode_error(def, &ctx.body, &e.to_string()))?;
            ctx.duplicate_fields = duplicates;
            value
        }
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml_ng::from_slice(&ctx.body)
                .map_err(|e| decode_error(def, &ctx.body, &e.to_string()))?
        }
        crate::protobuf::MEDIA_TYPE if !def.is_custom() => decode_protobuf(def, &ctx.body)?,
        _ => {
            return Err(ApiError::unsupported_media_type(if def.is_custom() {
                &["application/json", "application/yaml"]
            } else {
                &[
                    "application/json",
                    "application/yaml",
                    "application/vnd.kubernetes.protobuf",
                ]
            }))
        }
    };
    if !value.is_object() {
        return Err(decode_error(def, &ctx.body, "body must be a JSON object"));
    }
    if value
        .get("metadata")
        .is_some_and(|m| !m.is_object() && !m.is_null())
    {
        return Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: json: cannot unmarshal into Go struct field {}.metadata of type v1.ObjectMeta",
            def.kind, def.version, def.kind, def.kind
        )));
    }
    Ok(value)
}

/// A protobuf body of a built-in kind, as the JSON object it encodes ([`crate::protobuf`]).
pub fn decode_protobuf(def: &ResourceDef, body: &[u8]) -> Result<Value, ApiError> {
    decode_protobuf_kind(&def.group, &def.version, &def.kind, body)
}

/// A protobuf body holding a `group/version` `kind` object.
pub fn decode_protobuf_kind(
    group: &str,
    version: &str,
    kind: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let component = crate::schemas::builtin_schemas()
        .component_name(group, version, kind)
        .unwrap_or_default();
    decode_protobuf_component(component, kind, body)
}

/// A protobuf body holding an object of an OpenAPI component (`io.k8s.api.core.v1.Pod`).
pub fn decode_protobuf_component(
    component: &str,
    kind: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let presence = if kind == "DeleteOptions" {
        crate::protobuf::Presence::Explicit
    } else {
        crate::protobuf::Presence::GoStruct
    };
    crate::protobuf::decode_object(body, component, kind, presence).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {kind}): {e}"
        ))
    })
}

fn decode_error(def: &ResourceDef, body: &[u8], err: &str) -> ApiError {
    let head: String = String::from_utf8_lossy(&body[..body.len().min(30)]).into_owned();
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): {err} ({head} ...)",
        def.kind
    ))
}

/// Check apiVersion/kind against the endpoint and fill them in when absent.
pub fn check_type(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    let expected = def.api_version();
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !api_version.is_empty() && api_version != expected {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected})"
        )));
    }
    if !kind.is_empty() && kind != def.kind {
        if def.is_custom() {
            // Custom resources decode into unstructured objects, which keep any kind; the
            // validator rejects it later (`kind: Invalid value: "X": must be Foo`, 422).
            obj["apiVersion"] = json!(expected);
            return Ok(());
        }
        let version = api_version.rsplit('/').next().unwrap_or("v1").to_string();
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {}: no kind \"{kind}\" is registered for version \"{expected}\"",
            def.kind
        )));
    }
    obj["apiVersion"] = json!(expected);
    obj["kind"] = json!(def.kind);
    Ok(())
}

/// Drop unknown fields and warn or fail per `fieldValidation`.
pub fn unknown_fields(
    ctx: &mut Ctx,
    def: &ResourceDef,
    obj: &mut Value,
    opts: &WriteOptions,
) -> Result<(), ApiError> {
    let mut unknown = meta::drop_unknown_fields(def, obj);
    unknown.extend(crate::custom::prune(def, obj));
    if def.group == "apiextensions.k8s.io" && def.resource == "customresourcedefinitions" {
        let (crd_unknown, warnings) = crate::crd::decode_check(obj, None)?;
        unknown.extend(crd_unknown);
        ctx.warnings.extend(warnings);
    }
    report_unknown(ctx, def, &unknown, opts)
}

/// Report pruned unknown fields (warnings or a strict 400).
pub fn report_unknown(
    ctx: &mut Ctx,
    def: &ResourceDef,
    unknown: &[String],
    opts: &WriteOptions,
) -> Result<(), ApiError> {
    let duplicates = std::mem::take(&mut ctx.duplicate_fields);
    if unknown.is_empty() && duplicates.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .chain(duplicates.iter().map(|f| format!("duplicate field {f:?}")))
        .collect();
    match opts.field_validation {
        FieldValidation::Ignore => Ok(()),
        FieldValidation::Warn => {
            ctx.warnings.extend(list);
            Ok(())
        }
        FieldValidation::Strict => Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
            def.kind,
            def.version,
            def.kind,
            list.join(", ")
        ))),
    }
}

/// NamespaceLifecycle admission for creates.
fn check_namespace(
    shared: &Shared,
    def: &ResourceDef,
    ns: &str,
    name_for_msg: &str,
) -> Result<(), ApiError> {
    if !def.namespaced {
        return Ok(());
    }
    let registry = shared.registry();
    let Some(ns_def) = registry.lookup("", "v1", "namespaces") else {
        return Ok(());
    };
    let key = ObjectKey::new(ns_def.storage_id.clone(), "", ns);
    let Some(namespace) = shared.store.get(&key) else {
        return Err(ApiError::not_found("", "namespaces", ns));
    };
    let terminating = namespace
        .value
        .pointer("/metadata/deletionTimestamp")
        .is_some()
        || namespace
            .value
            .pointer("/status/phase")
            .and_then(Value::as_str)
            == Some("Terminating");
    if terminating {
        let mut err = ApiError::forbidden(
            &def.group,
            &def.resource,
            name_for_msg,
            &format!(
                "unable to create new content in namespace {ns} because it is being terminated"
            ),
        );
        if let Some(d) = err.details.as_mut() {
            d.causes.push(crate::status::StatusCause {
                reason: "NamespaceTerminating".into(),
                message: format!("namespace {ns} is being terminated"),
                field: "metadata.namespace".into(),
            });
        }
        return Err(err);
    }
    Ok(())
}

fn validate_create(def: &ResourceDef, obj: &Value) -> Vec<FieldIssue> {
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let rule = crate::validation::schema_name_rule(def.name_rule);
    let path = klite_schema::field::Path::new("metadata");
    let mut issues = crate::validation::issues(&klite_schema::validation::validate_object_meta(
        &meta,
        def.namespaced,
        rule,
        &path,
    ));
    issues.extend(meta::validate_kind(def, obj, None));
    issues
}

fn validate_update(def: &ResourceDef, old: &Value, new: &Value) -> Vec<FieldIssue> {
    let new_meta = new.get("metadata").cloned().unwrap_or(json!({}));
    let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
    let path = klite_schema::field::Path::new("metadata");
    let mut issues = crate::validation::issues(
        &klite_schema::validation::validate_object_meta_update(&new_meta, &old_meta, &path),
    );
    let rule = crate::validation::schema_name_rule(def.name_rule);
    for issue in crate::validation::issues(&klite_schema::validation::validate_object_meta(
        &new_meta,
        def.namespaced,
        rule,
        &path,
    )) {
        if !issues.contains(&issue) {
            issues.push(issue);
        }
    }
    issues.extend(meta::validate_kind(def, new, Some(old)));
    issues
}

/// Outcome of a create.
pub struct Created {
    /// Response body.
    pub body: Bytes,
    /// The stored object (None for dry-run).
    pub stored: Option<Arc<StoredObject>>,
    /// `Warning` header texts from admission webhooks.
    pub warnings: Vec<String>,
}

/// What admission webhooks are told about a create.
fn create_attributes<'a>(
    def: &'a ResourceDef,
    name: &'a str,
    ns: &'a str,
    opts: &'a WriteOptions,
) -> crate::webhooks::Attributes<'a> {
    crate::webhooks::Attributes {
        def,
        operation: crate::webhooks::Operation::Create,
        subresource: "",
        scale: false,
        name,
        namespace: ns,
        user: opts.user.as_ref(),
        dry_run: opts.dry_run,
        options: admission_options("CreateOptions", opts),
    }
}

/// The `options` an admission webhook is sent for a create or update.
fn admission_options(kind: &str, opts: &WriteOptions) -> Value {
    let mut options = json!({"apiVersion": "meta.k8s.io/v1", "kind": kind});
    if !opts.field_manager.is_empty() {
        options["fieldManager"] = json!(opts.field_manager);
    }
    if opts.dry_run {
        options["dryRun"] = json!(["All"]);
    }
    options
}

/// The create pipeline shared by POST, apply-create and bootstrap.
pub(crate) fn do_create(
    shared: &Arc<Shared>,
    def: &Arc<ResourceDef>,
    ns: &str,
    mut obj: Value,
    opts: &WriteOptions,
) -> Result<Created, ApiError> {
    if let Some(custom) = &def.custom {
        if custom.terminating {
            let name = meta_str(&obj, "name").to_string();
            return Err(ApiError::forbidden(
                &def.group,
                &def.resource,
                &name,
                "create not allowed while custom resource definition is terminating",
            ));
        }
    }
    let body_ns = meta_str(&obj, "namespace").to_string();
    if def.namespaced {
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
        }
        meta_mut(&mut obj).insert("namespace".into(), json!(ns));
    } else {
        meta_mut(&mut obj).remove("namespace");
    }
    {
        let m = meta_mut(&mut obj);
        for key in [
            "creationTimestamp",
            "uid",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            m.remove(key);
        }
        if m.get("resourceVersion")
            .and_then(Value::as_str)
            .is_some_and(|rv| !rv.is_empty())
        {
            return Err(ApiError::plain_500(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        m.remove("resourceVersion");
    }
    let name = meta_str(&obj, "name").to_string();
    let generate = meta_str(&obj, "generateName").to_string();
    let msg_name = if !name.is_empty() {
        name.clone()
    } else if !generate.is_empty() {
        generate.clone()
    } else {
        "Unknown".to_string()
    };
    check_namespace(shared, def, ns, &msg_name)?;
    let builtin = is_builtin_object(def);
    // Decoding (defaulting) happens before field management: defaulted fields
    // belong to the creating manager; admission and strategy changes do not.
    crate::strategies::decode(def, &mut obj)?;
    let tracked_fields = if builtin && !opts.apply {
        let mut tracked = obj.clone();
        crate::managed::track_create(def, &mut tracked, &opts.field_manager);
        tracked.pointer("/metadata/managedFields").cloned()
    } else {
        None
    };
    if builtin {
        crate::admission::admit_create(shared, def, &mut obj, &msg_name)?;
    }
    let mut webhook_warnings = Vec::new();
    if opts.user.is_some() {
        let attributes = create_attributes(def, &name, ns, opts);
        let mutated = crate::webhooks::mutate(
            shared,
            &attributes,
            Some(&mut obj),
            None,
            &mut webhook_warnings,
        )?;
        if mutated && builtin {
            crate::strategies::decode(def, &mut obj)?;
        }
    }
    meta::prepare_for_create(def, &mut obj)?;
    let attempts = if name.is_empty() && !generate.is_empty() {
        8
    } else {
        1
    };
    let mut last_err = None;
    for _ in 0..attempts {
        let mut candidate = obj.clone();
        if name.is_empty() && !generate.is_empty() {
            meta_mut(&mut candidate).insert("name".into(), json!(meta::generate_name(&generate)));
        }
        let cname = meta_str(&candidate, "name").to_string();
        {
            let m = meta_mut(&mut candidate);
            m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
            m.insert("creationTimestamp".into(), json!(meta::now()));
        }
        let allocation = if builtin && def.group.is_empty() && def.resource == "services" {
            ensure_service_allocators(shared);
            Some(
                shared
                    .services
                    .allocate_create(&mut candidate, opts.dry_run)?,
            )
        } else {
            None
        };
        if builtin {
            crate::strategies::prepare_create(def, &mut candidate);
            crate::strategies::decode(def, &mut candidate)?;
        }
        let mut issues = validate_create(def, &candidate);
        issues.extend(crate::strategies::validate_create(def, &candidate));
        issues.extend(crate::custom::validate(def, &mut candidate, None, "").issues);
        if def.resource == "customresourcedefinitions" && def.group == "apiextensions.k8s.io" {
            issues.extend(crate::crd::validate(&candidate, None, ""));
        }
        if !issues.is_empty() {
            return Err(ApiError::invalid(&def.group, &def.kind, &cname, issues));
        }
        if opts.user.is_some() {
            crate::webhooks::validate(
                shared,
                &create_attributes(def, &cname, ns, opts),
                Some(&candidate),
                None,
                &mut webhook_warnings,
            )?;
        }
        crate::rbac::escalation::admit(shared, opts.user.as_ref(), def, &candidate, None)?;
        crate::custom::to_storage_version(def, &mut candidate);
        match &tracked_fields {
            Some(fields) => {
                meta_mut(&mut candidate).insert("managedFields".into(), fields.clone());
            }
            None if !opts.apply && !builtin => {
                crate::managed::track_create(def, &mut candidate, &opts.field_manager);
            }
            None => {}
        }
        if builtin {
            crate::defaults::storage_form(&def.group, &def.kind, &mut candidate);
        }
        let key = ObjectKey::new(def.storage_id.clone(), ns, &cname);
        if opts.dry_run {
            if shared.store.get(&key).is_some() {
                return Err(ApiError::already_exists(&def.group, &def.resource, &cname));
            }
            let mut v = candidate;
            crate::custom::to_request_version(def, &mut v);
            return Ok(Created {
                body: Bytes::from(crate::json::to_body(&v)),
                stored: None,
                warnings: webhook_warnings,
            });
        }
        let result = shared.store.update(&key, |cur| match cur {
            Some(existing) => {
                let mut err = ApiError::already_exists(&def.group, &def.resource, &cname);
                if existing
                    .value
                    .pointer("/metadata/deletionTimestamp")
                    .is_some()
                {
                    err.message = format!("object is being deleted: {}", err.message);
                }
                Err(err)
            }
            None => Ok(Change::Put(candidate)),
        });
        match result {
            Ok(committed) => {
                let Some(stored) = committed.object else {
                    return Err(ApiError::internal("create wrote nothing"));
                };
                if let Some(allocation) = allocation {
                    allocation.commit();
                }
                after_write(shared, def);
                return Ok(Created {
                    body: object_body(def, &stored),
                    stored: Some(stored),
                    warnings: webhook_warnings,
                });
            }
            Err(e) if e.reason == "AlreadyExists" && attempts > 1 => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    let mut err =
        last_err.unwrap_or_else(|| ApiError::already_exists(&def.group, &def.resource, &name));
    err.message = format!(
        "{}, the server was not able to generate a unique name for the object",
        err.message
    );
    if let Some(d) = err.details.as_mut() {
        d.retry_after_seconds = Some(1);
    }
    Err(err)
}

/// Hooks after a committed write of `def` (CRD controllers).
pub(crate) fn after_write(shared: &Arc<Shared>, def: &ResourceDef) {
    if def.group == "apiextensions.k8s.io" && def.resource == "customresourcedefinitions" {
        crate::crd::reconcile(shared);
    } else if def.is_custom() {
        if let Some(custom) = &def.custom {
            if custom.terminating {
                crate::crd::reconcile(shared);
            }
        }
    }
}

/// Built-in objects (not custom resources, not CRDs): upstream defaulting,
/// admission and strategies apply.
fn is_builtin_object(def: &ResourceDef) -> bool {
    let crd = def.group == "apiextensions.k8s.io" && def.resource == "customresourcedefinitions";
    !def.is_custom() && !crd
}

/// Build the Service allocators' state from the stored Services on first use.
fn ensure_service_allocators(shared: &Shared) {
    if shared.services.loaded() {
        return;
    }
    let services = crate::admission::stored(shared, "", "v1", "services");
    shared.services.load(services.iter().map(|s| &s.value));
}

/// Hooks after an object was removed from the store (not dry-run).
pub(crate) fn after_remove(shared: &Arc<Shared>, def: &ResourceDef, removed: &Value) {
    if def.is_custom() || !def.group.is_empty() || def.resource != "services" {
        return;
    }
    ensure_service_allocators(shared);
    shared.services.release(removed);
    // Like the service registry's afterDelete: the Endpoints of the same name go too.
    let registry = shared.registry();
    if let Some(endpoints) = registry.lookup("", "v1", "endpoints") {
        let ns = meta_str(removed, "namespace").to_string();
        let name = meta_str(removed, "name").to_string();
        let _ = delete_one(
            shared,
            &endpoints,
            &ns,
            &name,
            &DeleteOptions::default(),
            &mut Vec::new(),
        );
    }
}

/// POST.
pub fn create(ctx: &mut Ctx, def: &Arc<ResourceDef>, ns: &str) -> Result<Reply, ApiError> {
    let opts = write_options(ctx, "CreateOptions")?;
    let mut obj = decode_body(ctx, def)?;
    check_type(def, &mut obj)?;
    unknown_fields(ctx, def, &mut obj, &opts)?;
    let created = do_create(&ctx.shared, def, ns, obj, &opts)?;
    ctx.warnings.extend(created.warnings);
    Ok(Reply::Json(201, created.body))
}

/// Bootstrap / pre-loaded object creation (no HTTP).
pub(crate) fn create_internal(shared: &Arc<Shared>, obj: Value) -> Result<(), ApiError> {
    create_internal_as(shared, obj, "klite")
}

/// [`create_internal`] with a field manager of the caller's choosing.
pub(crate) fn create_internal_as(
    shared: &Arc<Shared>,
    obj: Value,
    manager: &str,
) -> Result<(), ApiError> {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let registry = shared.registry();
    let def = registry
        .by_group_kind(group, kind)
        .filter(|d| d.version == version || d.is_custom())
        .ok_or_else(|| ApiError::bad_request(format!("no resource for {api_version} {kind}")))?;
    let def = registry
        .lookup(group, version, &def.resource)
        .unwrap_or(def);
    let ns = if def.namespaced {
        match meta_str(&obj, "namespace") {
            "" => "default".to_string(),
            n => n.to_string(),
        }
    } else {
        String::new()
    };
    do_create(shared, &def, &ns, obj, &WriteOptions::internal(manager))?;
    Ok(())
}

/// Result of an update.
pub struct Updated {
    /// Response body.
    pub body: Bytes,
    /// HTTP code (200, or 201 when created).
    pub code: u16,
    /// `Warning` header texts found while validating.
    pub warnings: Vec<String>,
}

/// The update pipeline shared by PUT and PATCH: `compute` derives the desired
/// object from the stored one (inside the store's write lock, so no update is lost).
pub(crate) fn do_update<F>(
    shared: &Arc<Shared>,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
    opts: &WriteOptions,
    compute: F,
) -> Result<Updated, ApiError>
where
    F: FnOnce(&Value) -> Result<Value, ApiError>,
{
    let key = ObjectKey::new(def.storage_id.clone(), ns, name);
    let mut response: Option<Value> = None;
    let mut deleted_during_update = false;
    let mut allocation = None;
    let mut warnings = Vec::new();
    let committed = shared.store.update(&key, |cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(&def.group, &def.resource, name));
        };
        let old = &cur.value;
        let mut new = compute(old)?;
        let builtin = is_builtin_object(def);
        if builtin {
            crate::strategies::decode(def, &mut new)?;
            // The stored object already has the typed round-trip's fields; so does
            // the new one before it is compared (generation) and tracked.
            crate::defaults::storage_form(&def.group, &def.kind, &mut new);
            if sub.is_empty() {
                crate::admission::admit_update(shared, def, old, &mut new, name)?;
            }
        }
        let update_attributes = crate::webhooks::Attributes {
            def,
            operation: crate::webhooks::Operation::Update,
            subresource: if opts.scale { "scale" } else { sub },
            scale: opts.scale,
            name,
            namespace: ns,
            user: opts.user.as_ref(),
            dry_run: opts.dry_run,
            options: admission_options("UpdateOptions", opts),
        };
        let mut old_view = None;
        if opts.user.is_some() {
            let mut view = old.clone();
            crate::custom::to_request_version(def, &mut view);
            if opts.scale {
                view = scale_of(def, &view)?;
            }
            let old_view = old_view.insert(view);
            let mutated = if opts.scale {
                let mut scale = scale_of(def, &new)?;
                let changed = crate::webhooks::mutate(
                    shared,
                    &update_attributes,
                    Some(&mut scale),
                    Some(old_view),
                    &mut warnings,
                )?;
                if changed {
                    new = apply_scale(def, &new, &scale, name)?;
                }
                changed
            } else {
                crate::webhooks::mutate(
                    shared,
                    &update_attributes,
                    Some(&mut new),
                    Some(old_view),
                    &mut warnings,
                )?
            };
            if mutated && builtin {
                crate::strategies::decode(def, &mut new)?;
                crate::defaults::storage_form(&def.group, &def.kind, &mut new);
            }
        }
        let old_rv = meta_str(old, "resourceVersion").to_string();
        crate::custom::to_storage_version(def, &mut new);
        meta::prepare_for_update(def, old, &mut new, sub)?;
        if builtin {
            crate::strategies::prepare_update(def, old, &mut new, sub);
            if sub.is_empty() && def.group.is_empty() && def.resource == "services" {
                ensure_service_allocators(shared);
                allocation = Some(
                    shared
                        .services
                        .allocate_update(&mut new, old, opts.dry_run)?,
                );
            }
        }
        meta_mut(&mut new).insert("resourceVersion".into(), json!(old_rv));
        let mut issues = validate_update(def, old, &new);
        if builtin {
            issues.extend(crate::strategies::validate_update(def, old, &new, sub));
        }
        let custom = crate::custom::validate(def, &mut new, Some(old), sub);
        issues.extend(custom.issues);
        warnings.extend(custom.warnings);
        if def.resource == "customresourcedefinitions" && def.group == "apiextensions.k8s.io" {
            issues.extend(crate::crd::validate(&new, Some(old), sub));
        }
        if !issues.is_empty() {
            return Err(ApiError::invalid(&def.group, &def.kind, name, issues));
        }
        if let Some(old_view) = &old_view {
            let mut view = new.clone();
            crate::custom::to_request_version(def, &mut view);
            if opts.scale {
                view = scale_of(def, &view)?;
            }
            crate::webhooks::validate(
                shared,
                &update_attributes,
                Some(&view),
                Some(old_view),
                &mut warnings,
            )?;
        }
        crate::rbac::escalation::admit(shared, opts.user.as_ref(), def, &new, Some(old))?;
        if !opts.apply {
            crate::managed::track_update(def, old, &mut new, &opts.field_manager, sub);
        }
        if new == *old {
            response = Some(new);
            return Ok(Change::Keep);
        }
        let deleting = new.pointer("/metadata/deletionTimestamp").is_some();
        if deleting && finalizers(&new).is_empty() && !is_namespace_with_spec_finalizers(def, &new)
        {
            response = Some(new);
            deleted_during_update = true;
            return Ok(if opts.dry_run {
                Change::Keep
            } else {
                Change::Delete
            });
        }
        if opts.dry_run {
            response = Some(new);
            return Ok(Change::Keep);
        }
        Ok(Change::Put(new))
    })?;
    if committed.written {
        if let Some(allocation) = allocation {
            allocation.commit();
        }
        if deleted_during_update {
            if let Some(removed) = &committed.object {
                after_remove(shared, def, &removed.value);
            }
        }
        after_write(shared, def);
    }
    let body = match (&committed.object, response) {
        (_, Some(mut v)) if deleted_during_update || !committed.written => {
            crate::custom::to_request_version(def, &mut v);
            Bytes::from(crate::json::to_body(&v))
        }
        (Some(stored), _) => object_body(def, stored),
        (None, Some(v)) => Bytes::from(crate::json::to_body(&v)),
        (None, None) => return Err(ApiError::internal("update produced no object")),
    };
    Ok(Updated {
        body,
        code: 200,
        warnings,
    })
}

fn is_namespace_with_spec_finalizers(def: &ResourceDef, obj: &Value) -> bool {
    def.group.is_empty()
        && def.resource == "namespaces"
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
}

/// Check a body's name/namespace against the URL (PUT).
fn check_identity(
    def: &ResourceDef,
    obj: &mut Value,
    ns: &str,
    name: &str,
) -> Result<(), ApiError> {
    let body_name = meta_str(obj, "name").to_string();
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if def.namespaced {
        let body_ns = meta_str(obj, "namespace").to_string();
        if !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(format!(
                "the namespace of the object ({body_ns}) does not match the namespace on the request ({ns})"
            )));
        }
        meta_mut(obj).insert("namespace".into(), json!(ns));
    } else {
        meta_mut(obj).remove("namespace");
    }
    Ok(())
}

/// Optimistic-concurrency preconditions of a PUT body against the stored object.
pub fn check_preconditions(
    def: &ResourceDef,
    body: &Value,
    old: &Value,
    name: &str,
    require_rv: bool,
) -> Result<(), ApiError> {
    let rv = meta_str(body, "resourceVersion");
    if rv.is_empty() {
        if require_rv && !def.allow_unconditional_update {
            let mut err = ApiError::invalid(
                &def.group,
                &def.resource,
                name,
                vec![FieldIssue::invalid(
                    "metadata.resourceVersion",
                    &json!(0),
                    "must be specified for an update",
                )],
            );
            err.message = format!(
                "{} \"{name}\" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update",
                group_resource(&def.group, &def.resource)
            );
            return Err(err);
        }
    } else if rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::stale_resource_version(
            &def.group,
            &def.resource,
            name,
        ));
    }
    let uid = meta_str(body, "uid");
    let stored_uid = meta_str(old, "uid");
    if !uid.is_empty() && uid != stored_uid {
        let key = format!(
            "/registry/{}/{}",
            def.resource,
            if def.namespaced {
                format!("{}/{}", meta_str(old, "namespace"), name)
            } else {
                name.to_string()
            }
        );
        return Err(ApiError::conflict(
            &def.group,
            &def.resource,
            name,
            &format!(
                "StorageError: invalid object, Code: 4, Key: {key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {stored_uid}"
            ),
        ));
    }
    Ok(())
}

/// PUT (main resource, `/status`, `/finalize`, `/scale`).
pub fn update(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
) -> Result<Reply, ApiError> {
    let opts = write_options(ctx, "UpdateOptions")?;
    if sub == "scale" {
        return update_scale(ctx, def, ns, name, &opts);
    }
    let mut body = decode_body(ctx, def)?;
    check_type(def, &mut body)?;
    check_identity(def, &mut body, ns, name)?;
    unknown_fields(ctx, def, &mut body, &opts)?;
    let updated = do_update(&ctx.shared, def, ns, name, sub, &opts, |old| {
        check_preconditions(def, &body, old, name, true)?;
        Ok(body)
    })?;
    ctx.warnings.extend(updated.warnings);
    Ok(Reply::Json(updated.code, updated.body))
}

/// PATCH: delegated to [`crate::patch`].
pub fn patch(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
) -> Result<Reply, ApiError> {
    crate::patch::patch(ctx, def, ns, name, sub)
}

/// Parsed DeleteOptions (query + body).
#[derive(Debug, Default, Clone)]
pub struct DeleteOptions {
    /// `gracePeriodSeconds`.
    pub grace_period: Option<i64>,
    /// `propagationPolicy`.
    pub propagation: Option<String>,
    /// `orphanDependents`.
    pub orphan_dependents: Option<bool>,
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub precondition_rv: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// The requesting user (None for internal deletes, which skip admission webhooks).
    pub user: Option<crate::auth::UserInfo>,
}

impl DeleteOptions {
    /// The `options` an admission webhook is sent.
    fn admission_options(&self) -> Value {
        let mut options = json!({"apiVersion": "meta.k8s.io/v1", "kind": "DeleteOptions"});
        if let Some(grace) = self.grace_period {
            options["gracePeriodSeconds"] = json!(grace);
        }
        if let Some(policy) = &self.propagation {
            options["propagationPolicy"] = json!(policy);
        }
        if let Some(orphan) = self.orphan_dependents {
            options["orphanDependents"] = json!(orphan);
        }
        if self.dry_run {
            options["dryRun"] = json!(["All"]);
        }
        options
    }
}

fn delete_invalid(issue: FieldIssue) -> ApiError {
    ApiError::invalid("meta.k8s.io", "DeleteOptions", "", vec![issue])
}

/// Parse DeleteOptions from the query and an optional JSON body.
pub fn delete_options(ctx: &Ctx) -> Result<DeleteOptions, ApiError> {
    let mut o = DeleteOptions {
        user: Some(ctx.user.clone()),
        ..DeleteOptions::default()
    };
    if let Some(g) = ctx.query.non_empty("gracePeriodSeconds") {
        o.grace_period = Some(
            g.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds: {g}")))?,
        );
    }
    o.propagation = ctx.query.non_empty("propagationPolicy").map(str::to_string);
    o.orphan_dependents = ctx
        .query
        .get("orphanDependents")
        .and_then(crate::request_info::parse_bool);
    for v in ctx.query.get_all("dryRun") {
        if v == "All" {
            o.dry_run = true;
        } else {
            return Err(delete_invalid(FieldIssue::not_supported(
                "dryRun",
                &json!(v),
                &["All"],
            )));
        }
    }
    if !ctx.body.is_empty() && !ctx.body.iter().all(u8::is_ascii_whitespace) {
        let body: Value = if content_type(ctx) == crate::protobuf::MEDIA_TYPE {
            decode_protobuf_component(
                "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
                "DeleteOptions",
                &ctx.body,
            )?
        } else {
            serde_json::from_slice(&ctx.body)
                .or_else(|_| serde_yaml_ng::from_slice(&ctx.body))
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
        };
        if let Some(kind) = body.get("kind").and_then(Value::as_str) {
            if kind != "DeleteOptions" {
                return Err(ApiError::bad_request(
                    "decoded object cannot be converted to DeleteOptions",
                ));
            }
        }
        if let Some(g) = body.get("gracePeriodSeconds").and_then(Value::as_i64) {
            o.grace_period = Some(g);
        }
        if let Some(p) = body.get("propagationPolicy").and_then(Value::as_str) {
            o.propagation = Some(p.to_string());
        }
        if let Some(b) = body.get("orphanDependents").and_then(Value::as_bool) {
            o.orphan_dependents = Some(b);
        }
        if let Some(u) = body.pointer("/preconditions/uid").and_then(Value::as_str) {
            o.precondition_uid = Some(u.to_string());
        }
        if let Some(r) = body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
        {
            o.precondition_rv = Some(r.to_string());
        }
        if let Some(d) = body.get("dryRun").and_then(Value::as_array) {
            for v in d {
                if v.as_str() == Some("All") {
                    o.dry_run = true;
                } else {
                    return Err(delete_invalid(FieldIssue::not_supported(
                        "dryRun",
                        v,
                        &["All"],
                    )));
                }
            }
        }
    }
    if let Some(p) = &o.propagation {
        if !matches!(p.as_str(), "Foreground" | "Background" | "Orphan") {
            return Err(delete_invalid(FieldIssue::not_supported(
                "propagationPolicy",
                &json!(p),
                &["Foreground", "Background", "Orphan", "nil"],
            )));
        }
        if o.orphan_dependents.is_some() {
            return Err(delete_invalid(FieldIssue::invalid(
                "propagationPolicy",
                &json!(p),
                "orphanDependents and deletionPropagation cannot be both set",
            )));
        }
    }
    Ok(o)
}

enum DeleteResult {
    Removed(Arc<StoredObject>),
    Deferred(Value),
}

fn delete_one(
    shared: &Arc<Shared>,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
    warnings: &mut Vec<String>,
) -> Result<DeleteResult, ApiError> {
    let key = ObjectKey::new(def.storage_id.clone(), ns, name);
    let is_namespace = def.group.is_empty() && def.resource == "namespaces";
    let is_crd = def.group == "apiextensions.k8s.io" && def.resource == "customresourcedefinitions";
    if is_namespace
        && matches!(name, "default" | "kube-system" | "kube-public")
        && shared.store.get(&key).is_some()
    {
        return Err(ApiError::forbidden(
            "",
            "namespaces",
            name,
            "this namespace may not be deleted",
        ));
    }
    if opts.user.is_some() {
        if let Some(current) = shared.store.get(&key) {
            let mut old = current.value.clone();
            crate::custom::to_request_version(def, &mut old);
            let attributes = crate::webhooks::Attributes {
                def,
                operation: crate::webhooks::Operation::Delete,
                subresource: "",
                scale: false,
                name,
                namespace: ns,
                user: opts.user.as_ref(),
                dry_run: opts.dry_run,
                options: opts.admission_options(),
            };
            crate::webhooks::mutate(shared, &attributes, None, Some(&old), warnings)?;
            crate::webhooks::validate(shared, &attributes, None, Some(&old), warnings)?;
        }
    }
    let mut deferred: Option<Value> = None;
    let mut marked = false;
    let mut removed = false;
    let committed = shared.store.update(&key, |cur| {
        let Some(cur) = cur else { return Err(ApiError::not_found(&def.group, &def.resource, name)) };
        let obj = &cur.value;
        if let Some(uid) = &opts.precondition_uid {
            if uid != cur.uid() {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.kind,
                    name,
                    &format!(
                        "the UID in the precondition ({uid}) does not match the UID in record ({}). The object might have been deleted and then recreated",
                        cur.uid()
                    ),
                ));
            }
        }
        if let Some(rv) = &opts.precondition_rv {
            let stored_rv = meta_str(obj, "resourceVersion");
            if rv != stored_rv {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.kind,
                    name,
                    &format!(
                        "the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({stored_rv}). The object might have been modified"
                    ),
                ));
            }
        }
        let already_deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
        let mut new = obj.clone();
        let mut fins = finalizers(&new);
        let policy = match (&opts.propagation, opts.orphan_dependents) {
            (Some(p), _) => Some(p.as_str()),
            (None, Some(true)) => Some("Orphan"),
            (None, Some(false)) => Some("Background"),
            (None, None) => None,
        };
        match policy {
            Some("Foreground") => {
                fins.retain(|f| f != "orphan");
                if !fins.iter().any(|f| f == "foregroundDeletion") {
                    fins.push("foregroundDeletion".into());
                }
            }
            Some("Orphan") => {
                fins.retain(|f| f != "foregroundDeletion");
                if !fins.iter().any(|f| f == "orphan") {
                    fins.push("orphan".into());
                }
            }
            Some(_) => fins.retain(|f| f != "orphan" && f != "foregroundDeletion"),
            None => {}
        }
        if is_crd && !already_deleting {
            if !fins.iter().any(|f| f == crate::crd::CLEANUP_FINALIZER) {
                fins.push(crate::crd::CLEANUP_FINALIZER.into());
            }
            crate::crd::mark_terminating(&mut new);
        }
        let has_spec_finalizers = is_namespace_with_spec_finalizers(def, &new);
        if is_namespace {
            new["status"]["phase"] = json!("Terminating");
        }
        let graceful_pod = def.group.is_empty() && def.resource == "pods" && pod_grace(&new, opts.grace_period) > 0;
        if fins.is_empty() && !has_spec_finalizers && !graceful_pod {
            return Ok(if opts.dry_run {
                deferred = Some(new);
                Change::Keep
            } else {
                removed = true;
                Change::Delete
            });
        }
        if already_deleting && graceful_pod {
            if let Some(shortened) = shorten_pod_grace(obj, opts.grace_period) {
                if opts.dry_run {
                    deferred = Some(shortened);
                    return Ok(Change::Keep);
                }
                marked = true;
                return Ok(Change::Put(shortened));
            }
        }
        if already_deleting && fins == finalizers(obj) {
            deferred = Some(obj.clone());
            return Ok(Change::Keep);
        }
        set_finalizers(&mut new, &fins);
        if !already_deleting {
            let m = meta_mut(&mut new);
            let grace = if graceful_pod { pod_grace(obj, opts.grace_period) } else { 0 };
            let ts = if grace > 0 {
                (chrono::Utc::now() + chrono::Duration::seconds(grace)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                meta::now()
            };
            m.insert("deletionTimestamp".into(), json!(ts));
            if !is_namespace {
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
            }
            if let Some(g) = m.get("generation").and_then(Value::as_i64).filter(|g| *g > 0) {
                m.insert("generation".into(), json!(g + 1));
            }
        }
        if opts.dry_run {
            deferred = Some(new);
            return Ok(Change::Keep);
        }
        marked = true;
        Ok(Change::Put(new))
    })?;
    if committed.written {
        if removed {
            if let Some(obj) = &committed.object {
                after_remove(shared, def, &obj.value);
            }
        }
        after_write(shared, def);
    }
    if marked {
        if let Some(obj) = &committed.object {
            return Ok(DeleteResult::Deferred(obj.value.clone()));
        }
    }
    if let Some(v) = deferred {
        if opts.dry_run && v.pointer("/metadata/deletionTimestamp").is_none() {
            if let Some(prev) = committed.previous {
                return Ok(DeleteResult::Removed(prev));
            }
        }
        return Ok(DeleteResult::Deferred(v));
    }
    match committed.object {
        Some(obj) => Ok(DeleteResult::Removed(obj)),
        None => Err(ApiError::not_found(&def.group, &def.resource, name)),
    }
}

/// A pod already terminating may only have its grace period shortened (`rest.BeforeDelete`):
/// the deletion moves to `deletionTimestamp - old grace + new grace`. `None` when the request
/// names no grace period, or one that is not shorter.
fn shorten_pod_grace(pod: &Value, requested: Option<i64>) -> Option<Value> {
    let requested = pod_grace(pod, Some(requested?));
    let current = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)?;
    if requested >= current {
        return None;
    }
    let marked = pod
        .pointer("/metadata/deletionTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())?;
    let moved = marked.with_timezone(&chrono::Utc) - chrono::Duration::seconds(current)
        + chrono::Duration::seconds(requested);
    let mut shortened = pod.clone();
    let m = meta_mut(&mut shortened);
    m.insert(
        "deletionTimestamp".into(),
        json!(moved.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    m.insert("deletionGracePeriodSeconds".into(), json!(requested));
    Some(shortened)
}

fn pod_grace(pod: &Value, requested: Option<i64>) -> i64 {
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    if node.is_empty() || matches!(phase, "Succeeded" | "Failed") {
        return 0;
    }
    let g = requested
        .or_else(|| {
            pod.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
        })
        .unwrap_or(30);
    if g < 0 {
        1
    } else {
        g
    }
}

/// DELETE of one object.
pub fn delete(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
) -> Result<Reply, ApiError> {
    let opts = delete_options(ctx)?;
    let mut warnings = Vec::new();
    let deleted = delete_one(&ctx.shared, def, ns, name, &opts, &mut warnings);
    ctx.warnings.extend(warnings);
    match deleted? {
        DeleteResult::Deferred(mut v) => {
            crate::custom::to_request_version(def, &mut v);
            Ok(Reply::Json(200, Bytes::from(crate::json::to_body(&v))))
        }
        DeleteResult::Removed(obj) => {
            if def.returns_deleted_object {
                Ok(Reply::Json(200, object_body(def, &obj)))
            } else {
                Ok(Reply::Json(
                    200,
                    Bytes::from(success_status(StatusDetails {
                        name: name.to_string(),
                        group: def.group.clone(),
                        kind: def.resource.clone(),
                        uid: obj.uid().to_string(),
                        ..Default::default()
                    })),
                ))
            }
        }
    }
}

/// DELETE of a collection: 200 + the list of matched items (pre-delete state).
pub fn delete_collection(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
) -> Result<Reply, ApiError> {
    let opts = delete_options(ctx)?;
    let selection = super::list::Selection::parse(ctx, def)?;
    let snapshot = ctx.shared.store.snapshot();
    let prefix = crate::store::object::storage_prefix(
        &def.storage_id,
        if ns.is_empty() { None } else { Some(ns) },
    );
    let mut upper = prefix.clone();
    upper.pop();
    upper.push('\u{1}');
    let matched: Vec<Arc<StoredObject>> = snapshot
        .map
        .range(prefix..upper)
        .filter(|(_, o)| selection.matches(&o.value))
        .map(|(_, o)| o.clone())
        .collect();
    for obj in &matched {
        let ons = meta_str(&obj.value, "namespace").to_string();
        let mut warnings = Vec::new();
        let deleted = delete_one(&ctx.shared, def, &ons, obj.name(), &opts, &mut warnings);
        ctx.warnings.extend(warnings);
        match deleted {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let refs: Vec<&Arc<StoredObject>> = matched.iter().collect();
    let meta = format!(
        "{{\"resourceVersion\":\"{}\"}}",
        ctx.shared.store.revision()
    );
    Ok(Reply::Json(200, super::list::list_body(def, &meta, &refs)))
}

/// Delete every object of a storage (CRD cleanup), honouring finalizers.
pub(crate) fn delete_all_of_storage(shared: &Arc<Shared>, def: &Arc<ResourceDef>) -> usize {
    let snapshot = shared.store.snapshot();
    let prefix = crate::store::object::storage_prefix(&def.storage_id, None);
    let mut upper = prefix.clone();
    upper.pop();
    upper.push('\u{1}');
    let objs: Vec<Arc<StoredObject>> = snapshot
        .map
        .range(prefix..upper)
        .map(|(_, o)| o.clone())
        .collect();
    let mut remaining = 0;
    for obj in objs {
        let ns = meta_str(&obj.value, "namespace").to_string();
        if let Ok(DeleteResult::Deferred(_)) = delete_one(
            shared,
            def,
            &ns,
            obj.name(),
            &DeleteOptions::default(),
            &mut Vec::new(),
        ) {
            remaining += 1;
        }
    }
    remaining
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.trim_start_matches('.').split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

fn selector_string(selector: Option<&Value>) -> String {
    let Some(sel) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    for e in crate::selectors::metav1_expressions(sel) {
        let (key, values) = (e.key, e.values.join(","));
        match e.operator {
            "In" => parts.push(format!("{key} in ({values})")),
            "NotIn" => parts.push(format!("{key} notin ({values})")),
            "Exists" => parts.push(key.to_string()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.sort();
    parts.join(",")
}

/// The autoscaling/v1 Scale of an object.
pub fn scale_of(def: &ResourceDef, obj: &Value) -> Result<Value, ApiError> {
    let (spec, status, selector) = match def.custom.as_ref().and_then(|c| c.scale.clone()) {
        Some(paths) => {
            let spec = match get_path(obj, &paths.spec_replicas) {
                None => {
                    return Err(ApiError::internal(&format!(
                        "the spec replicas field {:?} does not exist",
                        paths.spec_replicas
                    )))
                }
                Some(v) => v.as_i64().ok_or_else(|| {
                    ApiError::plain_500(format!(
                        "{} accessor error: {v} is of the type {}, expected int64",
                        paths.spec_replicas,
                        json_type(v)
                    ))
                })?,
            };
            let status = get_path(obj, &paths.status_replicas)
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let selector = paths
                .label_selector
                .as_deref()
                .and_then(|p| get_path(obj, p))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (spec, status, selector)
        }
        None => (
            obj.pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1),
            obj.pointer("/status/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            selector_string(obj.pointer("/spec/selector")),
        ),
    };
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut m = serde_json::Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let mut scale = json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": m, "spec": {}, "status": {"replicas": status}});
    if spec != 0 {
        scale["spec"]["replicas"] = json!(spec);
    }
    if !selector.is_empty() {
        scale["status"]["selector"] = json!(selector);
    }
    Ok(scale)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::Null => "nil",
    }
}

fn set_path(v: &mut Value, path: &str, value: Value) {
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    let mut cur = v;
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            cur[*part] = value;
            return;
        }
        if !cur.get(*part).is_some_and(Value::is_object) {
            cur[*part] = json!({});
        }
        cur = &mut cur[*part];
    }
}

/// Apply a Scale's replicas to the object (shared by PUT and PATCH of `/scale`).
pub fn apply_scale(
    def: &ResourceDef,
    old: &Value,
    scale: &Value,
    name: &str,
) -> Result<Value, ApiError> {
    let rv = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !rv.is_empty() && rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::stale_resource_version(
            &def.group,
            &def.resource,
            name,
        ));
    }
    let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
    let mut new = old.clone();
    let path = def
        .custom
        .as_ref()
        .and_then(|c| c.scale.as_ref())
        .map(|s| s.spec_replicas.clone())
        .unwrap_or_else(|| ".spec.replicas".into());
    set_path(&mut new, &path, replicas);
    Ok(new)
}

fn update_scale(
    ctx: &mut Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    opts: &WriteOptions,
) -> Result<Reply, ApiError> {
    let scale: Value = if content_type(ctx) == crate::protobuf::MEDIA_TYPE {
        decode_protobuf_kind("autoscaling", "v1", "Scale", &ctx.body)?
    } else {
        serde_json::from_slice(&ctx.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding Scale: {e}")))?
    };
    let opts = WriteOptions {
        scale: true,
        ..opts.clone()
    };
    let updated = do_update(&ctx.shared, def, ns, name, "", &opts, |old| {
        apply_scale(def, old, &scale, name)
    })?;
    let obj: Value = serde_json::from_slice(&updated.body).unwrap_or(Value::Null);
    let scale = scale_of(def, &obj)?;
    Ok(Reply::Json(200, Bytes::from(crate::json::to_body(&scale))))
}
