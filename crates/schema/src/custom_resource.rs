//! The custom-resource pipeline of apiextensions (`customresource_handler.go` decoding and
//! `pkg/registry/customresource` strategy): decoding (metadata round trip, pruning, null
//! removal, embedded coercion, defaulting), create/update/status preparation, and the full
//! validation in upstream order (TypeMeta, ObjectMeta, schema, scale, embedded resources,
//! list types, CEL).
//!
//! ```
//! use klite_schema::custom_resource::{self as cr, ResourceContext};
//! use klite_schema::structural::StructuralSchema;
//! use serde_json::json;
//!
//! let schema = StructuralSchema::from_openapi(&json!({"type": "object", "properties": {
//!     "spec": {"type": "object", "properties": {"size": {"type": "integer", "maximum": 3}}}}})).unwrap();
//! let ctx = ResourceContext::new("example.com", "v1", "Foo", true);
//! let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Foo",
//!                      "metadata": {"name": "x", "namespace": "default"}, "spec": {"size": 5, "extra": 1}});
//! let unknown = cr::decode_request(&schema, &ctx, &mut obj).unwrap();
//! assert_eq!(unknown, vec!["spec.extra".to_string()]);
//! cr::prepare_for_create(&ctx, &mut obj);
//! let errors = cr::validate_create(&schema, &ctx, &obj);
//! assert_eq!(errors.to_string(), "spec.size: Invalid value: 5: spec.size in body should be less than or equal to 3");
//! ```

use crate::field::{ErrorList, FieldError, Path};
use crate::gofmt;
use crate::structural::{objectmeta, StructuralSchema};
use crate::validation::{
    custom_resource_finalizer_warnings, validate_object_meta, validate_object_meta_update, NameRule,
};
use serde_json::{json, Value};

/// The scale subresource paths of a CRD version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScalePaths {
    /// `specReplicasPath`, e.g. `.spec.replicas`.
    pub spec_replicas_path: String,
    /// `statusReplicasPath`, e.g. `.status.replicas`.
    pub status_replicas_path: String,
    /// `labelSelectorPath`, if set.
    pub label_selector_path: Option<String>,
}

/// What the strategy needs to know about the custom resource's CRD version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceContext {
    /// API group.
    pub group: String,
    /// Version served for this request.
    pub version: String,
    /// Kind (`spec.names.kind`).
    pub kind: String,
    /// Whether the CRD is namespaced.
    pub namespaced: bool,
    /// Whether the status subresource is enabled for this version.
    pub status_subresource: bool,
    /// The scale subresource, if enabled.
    pub scale: Option<ScalePaths>,
    /// Whether pruning is disabled (legacy `preserveUnknownFields: true`).
    pub preserve_unknown_fields: bool,
}

impl ResourceContext {
    /// A context without subresources.
    pub fn new(group: &str, version: &str, kind: &str, namespaced: bool) -> ResourceContext {
        ResourceContext {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespaced,
            status_subresource: false,
            scale: None,
            preserve_unknown_fields: false,
        }
    }

    /// `group/version`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// Decodes a request body (create, update, patch result, apply) in place: root `metadata`
/// round-tripped through ObjectMeta (unknown fields dropped), unknown fields pruned, non-nullable
/// nulls without default dropped, embedded resources coerced, defaults applied. Returns the
/// unknown field paths (`metadata.foo`, `spec.bar`) for warnings or a Strict rejection; `Err`
/// is the decode error text (upstream answers 400
/// `<Kind> in version "<v>" cannot be handled as a <Kind>: <err>`).
pub fn decode_request(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &mut Value,
) -> Result<Vec<String>, String> {
    decode(schema, ctx, obj, false, true)
}

/// Decodes an object read from storage (with the storage version's schema): malformed
/// metadata fields are dropped silently, a missing generation is repaired to 1, defaults
/// are applied. Never fails for object bodies.
pub fn decode_stored(schema: &StructuralSchema, ctx: &ResourceContext, obj: &mut Value) {
    let _ = decode(schema, ctx, obj, true, true);
}

fn decode(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &mut Value,
    storage: bool,
    default: bool,
) -> Result<Vec<String>, String> {
    let Value::Object(root) = obj else {
        return Err(format!(
            "Object 'Kind' is missing in '{}'",
            gofmt::marshal_json(obj)
        ));
    };
    for key in ["kind", "apiVersion"] {
        if let Some(v) = root.get(key) {
            if !v.is_string() && !v.is_null() {
                return Err(format!(
                    ".{key} accessor error: {} is of the type {}, expected string",
                    gofmt::sprint(v),
                    gofmt::type_name(v)
                ));
            }
        }
    }
    let mut unknown = Vec::new();
    let mut meta = None;
    if let Some(raw) = root.get("metadata") {
        let coerced = objectmeta::coerce_object_meta(raw, &Path::nil(), storage)?;
        unknown.extend(coerced.unknown);
        meta = Some(coerced.meta);
    }
    let kind = root
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let api_version = root
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if group == ctx.group && kind == ctx.kind {
        if !ctx.preserve_unknown_fields {
            unknown.extend(schema.prune(obj));
            schema.prune_non_nullable_nulls(obj);
        }
        match schema.coerce_embedded(obj, storage) {
            Ok(paths) => unknown.extend(paths),
            Err(err) => return Err(err.to_string()),
        }
        if storage {
            if let Some(Value::Object(m)) = &mut meta {
                if m.get("generation").and_then(Value::as_i64).unwrap_or(0) == 0 {
                    m.insert("generation".into(), json!(1));
                }
            }
        }
    }
    if let (Some(meta), Value::Object(root)) = (meta, &mut *obj) {
        root.insert("metadata".into(), meta);
    }
    if default && !ctx.preserve_unknown_fields {
        schema.default_only(obj);
    }
    Ok(unknown)
}

/// `PrepareForCreate`: `status` dropped when the status subresource is enabled,
/// `metadata.generation` = 1.
pub fn prepare_for_create(ctx: &ResourceContext, obj: &mut Value) {
    if let Value::Object(m) = obj {
        if ctx.status_subresource {
            m.remove("status");
        }
        let meta = m.entry("metadata").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert("generation".into(), json!(1));
        }
    }
}

/// `PrepareForUpdate` (main endpoint): `status` reset from the old object when the status
/// subresource is enabled; generation +1 when anything outside `metadata` changed.
pub fn prepare_for_update(ctx: &ResourceContext, obj: &mut Value, old: &Value) {
    let Value::Object(m) = obj else { return };
    if ctx.status_subresource {
        match old.get("status") {
            Some(status) => {
                m.insert("status".into(), status.clone());
            }
            None => {
                m.remove("status");
            }
        }
    }
    let changed = match old {
        Value::Object(o) => {
            let non_meta = |x: &serde_json::Map<String, Value>| -> Vec<(String, Value)> {
                let mut v: Vec<(String, Value)> = x
                    .iter()
                    .filter(|(k, _)| *k != "metadata")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            };
            non_meta(m) != non_meta(o)
        }
        _ => true,
    };
    let old_generation = old
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let meta = m.entry("metadata").or_insert_with(|| json!({}));
    if let Value::Object(meta) = meta {
        let generation = if changed {
            old_generation + 1
        } else {
            old_generation
        };
        meta.insert("generation".into(), json!(generation));
    }
}

/// `PrepareForUpdate` of `/status`: everything but `status` (and `metadata.managedFields`)
/// comes from the old object.
pub fn prepare_for_status_update(obj: &mut Value, old: &Value) {
    let status = obj.get("status").cloned();
    let managed = obj.pointer("/metadata/managedFields").cloned();
    let mut next = old.clone();
    if let Value::Object(m) = &mut next {
        match status {
            Some(s) => {
                m.insert("status".into(), s);
            }
            None => {
                m.remove("status");
            }
        }
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            match managed {
                Some(mf) => {
                    meta.insert("managedFields".into(), mf);
                }
                None => {
                    meta.remove("managedFields");
                }
            }
        }
    }
    *obj = next;
}

fn validate_type_meta(ctx: &ResourceContext, obj: &Value) -> ErrorList {
    let mut errs = ErrorList::new();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != ctx.kind {
        errs.push(FieldError::invalid(
            &Path::new("kind"),
            kind,
            format!("must be {}", ctx.kind),
        ));
    }
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let expected = ctx.api_version();
    if api_version != expected {
        errs.push(FieldError::invalid(
            &Path::new("apiVersion"),
            api_version,
            format!("must be {expected}"),
        ));
    }
    errs
}

fn object_meta(obj: &Value) -> Result<Value, ErrorList> {
    match obj.get("metadata") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(raw @ Value::Object(_)) => objectmeta::coerce_object_meta(raw, &Path::nil(), false)
            .map(|c| c.meta)
            .map_err(|err| FieldError::invalid(&Path::new("metadata"), raw.clone(), err).into()),
        Some(raw) => Err(FieldError::invalid(
            &Path::new("metadata"),
            raw.clone(),
            format!(
                "expected map[string]interface{{}}, got {}",
                gofmt::type_name(raw)
            ),
        )
        .into()),
    }
}

/// `NestedInt64` at a scale path, with upstream's accessor error text.
fn nested_int64(obj: &Value, json_path: &str) -> Result<i64, String> {
    let fields: Vec<&str> = json_path.trim_start_matches('.').split('.').collect();
    let mut current = obj;
    for (i, f) in fields.iter().enumerate() {
        let Value::Object(m) = current else {
            return Err(format!(
                ".{} accessor error: {} is of the type {}, expected map[string]interface{{}}",
                fields[..i].join("."),
                gofmt::sprint(current),
                gofmt::type_name(current)
            ));
        };
        match m.get(*f) {
            Some(v) => current = v,
            None => return Ok(0),
        }
    }
    match current {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or(0)),
        other => Err(format!(
            ".{} accessor error: {} is of the type {}, expected int64",
            fields.join("."),
            gofmt::sprint(other),
            gofmt::type_name(other)
        )),
    }
}

fn replicas_errors(obj: &Value, json_path: &str) -> ErrorList {
    let path = Path::new(json_path);
    match nested_int64(obj, json_path) {
        Err(err) => FieldError::invalid(&path, 0, err).into(),
        Ok(n) if n < 0 => FieldError::invalid(&path, n, "should be a non-negative integer").into(),
        Ok(n) if n > i64::from(i32::MAX) => FieldError::invalid(
            &path,
            n,
            format!("should be less than or equal to {}", i32::MAX),
        )
        .into(),
        Ok(_) => ErrorList::new(),
    }
}

fn scale_spec_errors(ctx: &ResourceContext, obj: &Value) -> ErrorList {
    match &ctx.scale {
        Some(scale) => replicas_errors(obj, &scale.spec_replicas_path),
        None => ErrorList::new(),
    }
}

fn scale_status_errors(ctx: &ResourceContext, obj: &Value) -> ErrorList {
    let Some(scale) = &ctx.scale else {
        return ErrorList::new();
    };
    let mut errs = replicas_errors(obj, &scale.status_replicas_path);
    if let Some(selector_path) = &scale.label_selector_path {
        let fields: Vec<&str> = selector_path.trim_start_matches('.').split('.').collect();
        let mut current = Some(obj);
        for f in &fields {
            current = current.and_then(|c| c.get(*f));
        }
        if let Some(v) = current {
            if !v.is_string() {
                errs.push(FieldError::invalid(
                    &Path::new(selector_path),
                    "",
                    format!(
                        ".{} accessor error: {} is of the type {}, expected string",
                        fields.join("."),
                        gofmt::sprint(v),
                        gofmt::type_name(v)
                    ),
                ));
            }
        }
    }
    errs
}

fn meta_update_errors(obj: &Value, old: &Value) -> ErrorList {
    match (object_meta(obj), object_meta(old)) {
        (Ok(meta), Ok(old_meta)) => {
            validate_object_meta_update(&meta, &old_meta, &Path::new("metadata"))
        }
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// The error added when CEL rules are skipped because of blocking errors.
fn rules_not_checked() -> FieldError {
    FieldError::invalid(
        &Path::nil(),
        Value::Null,
        "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
    )
}

fn run_cel(
    schema: &StructuralSchema,
    errs: &mut ErrorList,
    warnings: &mut Vec<String>,
    obj: &Value,
    old: Option<&Value>,
) {
    if !schema.has_cel_rules() {
        return;
    }
    if errs.has_blocking() {
        errs.push(rules_not_checked());
    } else {
        let outcome = schema.validate_cel(obj, old);
        errs.extend(outcome.errors);
        warnings.extend(outcome.warnings);
    }
}

/// Create validation (`customResourceStrategy.Validate`), in upstream order.
pub fn validate_create(schema: &StructuralSchema, ctx: &ResourceContext, obj: &Value) -> ErrorList {
    let mut errs = validate_type_meta(ctx, obj);
    if errs.is_empty() {
        match object_meta(obj) {
            Ok(meta) => errs.extend(validate_object_meta(
                &meta,
                ctx.namespaced,
                NameRule::DnsSubdomain,
                &Path::new("metadata"),
            )),
            Err(e) => errs.extend(e),
        }
        errs.extend(schema.validate_schema(obj));
        errs.extend(scale_spec_errors(ctx, obj));
        errs.extend(scale_status_errors(ctx, obj));
    }
    errs.extend(schema.validate_embedded_resources(obj));
    errs.extend(schema.validate_list_types(obj));
    run_cel(schema, &mut errs, &mut Vec::new(), obj, None);
    errs
}

/// Update validation (`customResourceStrategy.ValidateUpdate`): ratcheting of unchanged
/// nodes, list-type checks skipped if the old object already violated them, transition
/// rules with `oldSelf`.
pub fn validate_update(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &Value,
    old: &Value,
) -> ErrorList {
    validate_update_with_warnings(schema, ctx, obj, old).0
}

/// [`validate_update`] plus the warnings of ratcheted CEL rules (failed rules on unchanged
/// nodes), which upstream sends as `Warning` headers.
pub fn validate_update_with_warnings(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &Value,
    old: &Value,
) -> (ErrorList, Vec<String>) {
    let mut warnings = Vec::new();
    let mut errs = validate_type_meta(ctx, obj);
    if errs.is_empty() {
        errs.extend(meta_update_errors(obj, old));
        errs.extend(schema.validate_schema_update(obj, old));
        errs.extend(scale_spec_errors(ctx, obj));
        errs.extend(scale_status_errors(ctx, obj));
    }
    errs.extend(schema.validate_embedded_resources(obj));
    if schema.validate_list_types(old).is_empty() {
        errs.extend(schema.validate_list_types(obj));
    }
    run_cel(schema, &mut errs, &mut warnings, obj, Some(old));
    (errs, warnings)
}

/// `/status` update validation (`statusStrategy.ValidateUpdate`): `status` against
/// `properties.status` (paths `status.…`), scale status, list types, CEL on the whole object.
pub fn validate_status_update(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &Value,
    old: &Value,
) -> ErrorList {
    validate_status_update_with_warnings(schema, ctx, obj, old).0
}

/// [`validate_status_update`] plus ratcheted CEL warnings.
pub fn validate_status_update_with_warnings(
    schema: &StructuralSchema,
    ctx: &ResourceContext,
    obj: &Value,
    old: &Value,
) -> (ErrorList, Vec<String>) {
    let mut warnings = Vec::new();
    let mut errs = validate_type_meta(ctx, obj);
    if errs.is_empty() {
        errs.extend(meta_update_errors(obj, old));
        if let Some(status) = obj.get("status") {
            errs.extend(schema.validate_status(status, old.get("status")));
        }
        errs.extend(scale_status_errors(ctx, obj));
    }
    let new_list = schema.validate_list_types(obj);
    if !new_list.is_empty() && schema.validate_list_types(old).is_empty() {
        errs.extend(new_list);
    }
    run_cel(schema, &mut errs, &mut warnings, obj, Some(old));
    (errs, warnings)
}

fn finalizers(obj: &Value) -> Vec<&str> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Warnings on create (non-domain-qualified finalizers).
pub fn warnings_on_create(obj: &Value) -> Vec<String> {
    custom_resource_finalizer_warnings(&finalizers(obj), None)
}

/// Warnings on update (newly added non-domain-qualified finalizers).
pub fn warnings_on_update(obj: &Value, old: &Value) -> Vec<String> {
    let old_finalizers = finalizers(old);
    custom_resource_finalizer_warnings(&finalizers(obj), Some(&old_finalizers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> StructuralSchema {
        StructuralSchema::from_openapi(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["replicas"], "properties": {
                "replicas": {"type": "integer", "default": 1},
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}
            }},
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}
        }}))
        .expect("schema")
    }

    fn ctx() -> ResourceContext {
        ResourceContext {
            status_subresource: true,
            scale: Some(ScalePaths {
                spec_replicas_path: ".spec.replicas".into(),
                status_replicas_path: ".status.replicas".into(),
                label_selector_path: Some(".status.selector".into()),
            }),
            ..ResourceContext::new("example.com", "v1", "Foo", true)
        }
    }

    fn strings(errs: &ErrorList) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn decode_pipeline() {
        let s = schema();
        let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Foo",
            "metadata": {"name": "x", "namespace": "ns", "bogus": 1},
            "spec": {"replicas": null, "unknown": true, "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1}}}});
        let unknown = decode_request(&s, &ctx(), &mut obj).expect("decodes");
        assert_eq!(
            unknown,
            vec![
                "metadata.bogus",
                "spec.unknown",
                "spec.template.metadata.junk"
            ]
        );
        assert_eq!(obj["spec"]["replicas"], json!(1));
        assert_eq!(
            obj["metadata"],
            json!({"name": "x", "namespace": "ns", "creationTimestamp": null})
        );
        assert_eq!(obj["spec"]["template"]["metadata"], json!({"name": "p"}));

        let mut bad = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"labels": {"a": 1}}});
        assert!(decode_request(&s, &ctx(), &mut bad)
            .unwrap_err()
            .starts_with("json: cannot unmarshal number"));
        let mut bad = json!({"apiVersion": "example.com/v1", "kind": "Foo", "spec": {"template": {"kind": 1}}});
        assert_eq!(
            decode_request(&s, &ctx(), &mut bad).unwrap_err(),
            "spec.template.kind: Invalid value: 1: must be a string"
        );
        let mut stored = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x", "labels": {"a": 1}}});
        decode_stored(&s, &ctx(), &mut stored);
        assert_eq!(stored["metadata"]["generation"], json!(1));
        assert!(stored["metadata"].get("labels").is_none());
    }

    #[test]
    fn create_validation_order_and_messages() {
        let s = schema();
        let obj = json!({"apiVersion": "example.com/v2", "kind": "Bar", "metadata": {"name": "Bad_Name"}, "spec": {"replicas": "x"}});
        assert_eq!(
            strings(&validate_create(&s, &ctx(), &obj)),
            vec![
                r#"kind: Invalid value: "Bar": must be Foo"#,
                r#"apiVersion: Invalid value: "example.com/v2": must be example.com/v1"#
            ]
        );
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x", "namespace": "ns"},
                         "spec": {"replicas": -1, "tags": ["a", "a"], "template": {"metadata": {}}}, "status": {"selector": 5}});
        assert_eq!(
            strings(&validate_create(&s, &ctx(), &obj)),
            vec![
                ".spec.replicas: Invalid value: -1: should be a non-negative integer",
                r#".status.selector: Invalid value: "": .status.selector accessor error: 5 is of the type int64, expected string"#,
                "spec.template.apiVersion: Required value",
                "spec.template.kind: Required value",
                r#"spec.tags[1]: Duplicate value: "a""#,
            ]
        );
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"}, "spec": {"replicas": "many"}});
        assert_eq!(
            strings(&validate_create(&s, &ctx(), &obj)),
            vec![
                "metadata.namespace: Required value",
                r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#,
                r#".spec.replicas: Invalid value: 0: .spec.replicas accessor error: many is of the type string, expected int64"#,
            ]
        );
    }

    #[test]
    fn prepare_and_status_update() {
        let c = ctx();
        let mut obj =
            json!({"metadata": {"name": "x"}, "spec": {"replicas": 1}, "status": {"replicas": 9}});
        prepare_for_create(&c, &mut obj);
        assert!(obj.get("status").is_none());
        assert_eq!(obj["metadata"]["generation"], json!(1));
        let old = json!({"metadata": {"name": "x", "generation": 1, "labels": {"a": "b"}}, "spec": {"replicas": 1}, "status": {"replicas": 1}});
        let mut new = json!({"metadata": {"name": "x", "generation": 1}, "spec": {"replicas": 2}, "status": {"replicas": 5}});
        prepare_for_update(&c, &mut new, &old);
        assert_eq!(new["status"], json!({"replicas": 1}));
        assert_eq!(new["metadata"]["generation"], json!(2));
        let mut st = json!({"metadata": {"name": "x", "labels": {}}, "spec": {"replicas": 7}, "status": {"replicas": "x"}});
        prepare_for_status_update(&mut st, &old);
        assert_eq!(st["spec"], json!({"replicas": 1}));
        assert_eq!(st["metadata"]["labels"], json!({"a": "b"}));
        let mut full = st.clone();
        full["apiVersion"] = json!("example.com/v1");
        full["kind"] = json!("Foo");
        full["metadata"]["namespace"] = json!("ns");
        full["metadata"]["resourceVersion"] = json!("3");
        let mut old_full = full.clone();
        old_full["status"] = json!({"replicas": 1});
        assert_eq!(
            strings(&validate_status_update(&schema(), &c, &full, &old_full)),
            vec![
                r#"status.replicas: Invalid value: "string": replicas in body must be of type integer: "string""#,
                r#".status.replicas: Invalid value: 0: .status.replicas accessor error: x is of the type string, expected int64"#,
            ]
        );
    }

    #[test]
    fn finalizer_warnings() {
        let obj = json!({"metadata": {"finalizers": ["cleanup", "example.com/ok"]}});
        assert_eq!(
            warnings_on_create(&obj),
            vec![
                r#"metadata.finalizers: "cleanup": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers"#
            ]
        );
        assert!(warnings_on_update(&obj, &obj).is_empty());
    }

    #[test]
    fn hostile_bodies() {
        let s = schema();
        let c = ctx();
        for body in [json!(null), json!([1, 2]), json!("x"), json!(5)] {
            let mut b = body.clone();
            assert!(decode_request(&s, &c, &mut b).is_err(), "{body}");
            assert!(!validate_create(&s, &c, &body).is_empty());
        }
        let mut bad_meta = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": "x"});
        assert_eq!(
            decode_request(&s, &c, &mut bad_meta).unwrap_err(),
            "json: cannot unmarshal string into Go value of type v1.ObjectMeta"
        );
        let mut bad_kind = json!({"apiVersion": "example.com/v1", "kind": 5});
        assert_eq!(
            decode_request(&s, &c, &mut bad_kind).unwrap_err(),
            ".kind accessor error: 5 is of the type int64, expected string"
        );
    }

    #[test]
    fn huge_arrays_and_deep_nesting() {
        let s = StructuralSchema::from_openapi(&json!({"type": "object", "properties": {"spec": {"type": "object",
            "x-kubernetes-preserve-unknown-fields": true, "properties": {
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "maxItems": 10, "items": {"type": "string"}}}}}}))
        .expect("schema");
        let c = ResourceContext::new("example.com", "v1", "Foo", false);
        let tags: Vec<Value> = (0..100_000)
            .map(|i| json!(format!("t{}", i % 50_000)))
            .collect();
        let mut deep = json!("leaf");
        for _ in 0..120 {
            deep = json!({"n": deep});
        }
        let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"},
                             "spec": {"tags": tags, "deep": deep}});
        decode_request(&s, &c, &mut obj).expect("decodes");
        let errs = validate_create(&s, &c, &obj);
        let duplicates = errs
            .iter()
            .filter(|e| e.error_type == crate::field::ErrorType::Duplicate)
            .count();
        assert_eq!(duplicates, 50_000);
        assert_eq!(
            errs.0[0].to_string(),
            "spec.tags: Too many: 100000: must have at most 10 items"
        );
    }
}
