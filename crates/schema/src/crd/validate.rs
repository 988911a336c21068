//! CRD create/update validation (apiextensions `pkg/apis/apiextensions/validation`), with
//! the exact field paths and messages of the upstream catalogue.

use super::model::{
    strings_go_json, versions_go_json, Column, Conversion, Crd, Names, Spec, Subresources,
    Validation, WebhookClientConfig,
};
use super::schema_rules::{self, SchemaOptions};
use crate::field::{ErrorList, FieldError, Path};
use crate::gofmt;
use crate::openapi::SchemaProps;
use crate::structural::Structural;
use crate::validation::{
    is_dns1035_label, is_dns1123_subdomain, validate_immutable_field, validate_object_meta_update,
    validate_object_meta_with, NameRule,
};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

const PRINTER_COLUMN_TYPES: &str = "boolean,date,integer,number,string";
const PRINTER_COLUMN_FORMATS: &str = "byte,date,date-time,double,float,int32,int64,password";
const MAX_SELECTABLE_FIELDS: usize = 8;

/// Options that differ between create and update (ratcheting of rules already violated).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub allow_defaults: bool,
    pub require_recognized_conversion_review_version: bool,
    pub require_immutable_names: bool,
    pub require_open_api_schema: bool,
    pub require_valid_property_type: bool,
    pub require_structural_schema: bool,
    pub require_pruned_defaults: bool,
    pub require_atomic_set_type: bool,
    pub require_map_list_keys_map_set_validation: bool,
    pub preexisting_rules: HashSet<String>,
    pub allow_invalid_ca_bundle: bool,
    pub allow_too_many_selectable_fields: HashMap<String, bool>,
}

impl Options {
    pub fn for_create() -> Options {
        Options {
            allow_defaults: true,
            require_recognized_conversion_review_version: true,
            require_immutable_names: false,
            require_open_api_schema: true,
            require_valid_property_type: true,
            require_structural_schema: true,
            require_pruned_defaults: true,
            require_atomic_set_type: true,
            require_map_list_keys_map_set_validation: true,
            preexisting_rules: HashSet::new(),
            allow_invalid_ca_bundle: true,
            allow_too_many_selectable_fields: HashMap::new(),
        }
    }

    pub fn for_update(new: &Crd, old: &Crd) -> Options {
        let old_spec = &old.spec;
        Options {
            allow_defaults: true,
            require_recognized_conversion_review_version: old_spec
                .conversion
                .as_ref()
                .is_none_or(|c| has_valid_review_version_or_empty(&c.conversion_review_versions)),
            require_immutable_names: old.is_established(),
            require_open_api_schema: all_versions_specify_schema(old_spec),
            require_valid_property_type: !spec_has(old_spec, &mut |s| {
                !s.type_.is_empty() && !is_openapi_type(&s.type_)
            }),
            require_structural_schema: !spec_has_non_structural_schema(old_spec),
            require_pruned_defaults: !spec_has_unpruned_defaults(old_spec),
            require_atomic_set_type: !spec_has(old_spec, &mut has_non_atomic_set_type),
            require_map_list_keys_map_set_validation: !spec_has(old_spec, &mut |s| {
                !schema_rules::validate_map_list_keys_map_set(s, &Path::new("")).is_empty()
            }),
            preexisting_rules: preexisting_rules(old_spec),
            allow_invalid_ca_bundle: allow_invalid_ca_bundle(old),
            allow_too_many_selectable_fields: too_many_selectable_fields_allowed(new, old),
        }
    }
}

fn is_openapi_type(t: &str) -> bool {
    matches!(
        t,
        "string" | "number" | "integer" | "boolean" | "array" | "object"
    )
}

fn schemas(spec: &Spec) -> impl Iterator<Item = &SchemaProps> {
    spec.validation
        .iter()
        .chain(spec.versions.iter().filter_map(|v| v.schema.as_ref()))
        .filter_map(|v| v.open_api_v3_schema.as_ref())
}

fn spec_has(spec: &Spec, pred: &mut dyn FnMut(&SchemaProps) -> bool) -> bool {
    schemas(spec).any(|s| s.any(pred))
}

fn has_non_atomic_set_type(s: &SchemaProps) -> bool {
    if s.x_list_type.as_deref() != Some("set") {
        return false;
    }
    match s.items_schema() {
        Some(is) if is.type_ == "array" => is.x_list_type.as_deref().is_some_and(|t| t != "atomic"),
        Some(is) if is.type_ == "object" => is.x_map_type.as_deref() != Some("atomic"),
        _ => false,
    }
}

fn spec_has_non_structural_schema(spec: &Spec) -> bool {
    schemas(spec).any(|s| match Structural::from_props(s) {
        Err(_) => true,
        Ok(st) => !crate::structural::validate_structural(&Path::nil(), &st).is_empty(),
    })
}

fn spec_has_unpruned_defaults(spec: &Spec) -> bool {
    schemas(spec).any(|s| {
        if !s.any(&mut |x| x.default.is_some()) {
            return false;
        }
        let Ok(st) = Structural::from_props(s) else {
            return false;
        };
        if !crate::structural::validate_structural(&Path::nil(), &st).is_empty() {
            return false;
        }
        schema_rules::structural_has_unpruned_defaults(&st)
    })
}

fn all_versions_specify_schema(spec: &Spec) -> bool {
    if spec
        .validation
        .as_ref()
        .is_some_and(|v| v.open_api_v3_schema.is_some())
    {
        return true;
    }
    spec.versions.iter().all(|v| {
        v.schema
            .as_ref()
            .is_some_and(|s| s.open_api_v3_schema.is_some())
    })
}

fn preexisting_rules(spec: &Spec) -> HashSet<String> {
    let mut out = HashSet::new();
    for s in schemas(spec) {
        s.any(&mut |x| {
            for rule in &x.x_validations {
                out.insert(rule.rule.clone());
                if !rule.message_expression.is_empty() {
                    out.insert(rule.message_expression.clone());
                }
            }
            false
        });
    }
    out
}

fn has_valid_review_version_or_empty(versions: &[String]) -> bool {
    versions.is_empty() || versions.iter().any(|v| v == "v1" || v == "v1beta1")
}

fn allow_invalid_ca_bundle(old: &Crd) -> bool {
    if !old.is_established() {
        return true;
    }
    let Some(bundle) = old
        .spec
        .conversion
        .as_ref()
        .and_then(|c| c.webhook_client_config.as_ref())
        .and_then(|cc| cc.ca_bundle.as_ref())
        .filter(|b| !b.is_empty())
    else {
        return false;
    };
    !validate_ca_bundle(&Path::new("caBundle"), bundle).is_empty()
}

fn too_many_selectable_fields_allowed(new: &Crd, old: &Crd) -> HashMap<String, bool> {
    let mut out = HashMap::new();
    let old_top = old.spec.selectable_fields.clone().unwrap_or_default();
    if old_top.len() > MAX_SELECTABLE_FIELDS
        && new.spec.selectable_fields.clone().unwrap_or_default() == old_top
    {
        out.insert(String::new(), true);
    }
    for v in &new.spec.versions {
        if let Some(ov) = old.spec.versions.iter().find(|o| o.name == v.name) {
            if ov.selectable_fields.len() > MAX_SELECTABLE_FIELDS
                && ov.selectable_fields == v.selectable_fields
            {
                out.insert(v.name.clone(), true);
            }
        }
    }
    out
}

/// `ValidateCustomResourceDefinition`.
pub(crate) fn validate_create(crd: &Crd) -> ErrorList {
    let opts = Options::for_create();
    let mut errs = validate_metadata_create(crd);
    errs.extend(validate_spec(&crd.spec, &opts, &Path::new("spec")));
    errs.extend(validate_status(crd));
    errs.extend(validate_stored_versions(
        &crd.status.stored_versions,
        &crd.spec,
        &Path::new("status").child("storedVersions"),
    ));
    errs.extend(validate_api_approval(crd, None));
    errs.extend(validate_preserve_unknown_fields(crd, None));
    errs
}

/// `ValidateCustomResourceDefinitionUpdate`.
pub(crate) fn validate_update(crd: &Crd, old: &Crd) -> ErrorList {
    let opts = Options::for_update(crd, old);
    let mut errs =
        validate_object_meta_update(&crd.metadata, &old.metadata, &Path::new("metadata"));
    let spec_path = Path::new("spec");
    errs.extend(validate_spec(&crd.spec, &opts, &spec_path));
    if opts.require_immutable_names {
        errs.extend(validate_immutable_field(
            &Value::from(crd.spec.scope.as_str()),
            &Value::from(old.spec.scope.as_str()),
            &spec_path.child("scope"),
        ));
        errs.extend(validate_immutable_field(
            &Value::from(crd.spec.names.kind.as_str()),
            &Value::from(old.spec.names.kind.as_str()),
            &spec_path.child("names").child("kind"),
        ));
    }
    errs.extend(validate_immutable_field(
        &Value::from(crd.spec.group.as_str()),
        &Value::from(old.spec.group.as_str()),
        &spec_path.child("group"),
    ));
    errs.extend(validate_immutable_field(
        &Value::from(crd.spec.names.plural.as_str()),
        &Value::from(old.spec.names.plural.as_str()),
        &spec_path.child("names").child("plural"),
    ));
    errs.extend(validate_status(crd));
    errs.extend(validate_stored_versions(
        &crd.status.stored_versions,
        &crd.spec,
        &Path::new("status").child("storedVersions"),
    ));
    errs.extend(validate_api_approval(crd, Some(old)));
    errs.extend(validate_preserve_unknown_fields(crd, Some(old)));
    errs
}

/// `ValidateUpdateCustomResourceDefinitionStatus`.
pub(crate) fn validate_status_update(crd: &Crd, old: &Crd) -> ErrorList {
    let mut errs =
        validate_object_meta_update(&crd.metadata, &old.metadata, &Path::new("metadata"));
    errs.extend(validate_status(crd));
    errs
}

fn validate_metadata_create(crd: &Crd) -> ErrorList {
    let required_name = format!("{}.{}", crd.spec.names.plural, crd.spec.group);
    let name_fn = |name: &str, prefix: bool| -> Vec<String> {
        let mut out = NameRule::DnsSubdomain.validate(name, prefix);
        if name != required_name {
            out.push("must be spec.names.plural+\".\"+spec.group".to_string());
        }
        out
    };
    validate_object_meta_with(&crd.metadata, false, &name_fn, &Path::new("metadata"))
}

fn validate_status(crd: &Crd) -> ErrorList {
    validate_names(
        &crd.status.accepted_names,
        &Path::new("status").child("acceptedNames"),
    )
}

/// `ValidateCustomResourceDefinitionNames`.
pub(crate) fn validate_names(names: &Names, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let join = |e: Vec<String>| e.join(",");
    for (field, value) in [("plural", &names.plural), ("singular", &names.singular)] {
        let problems = is_dns1035_label(value);
        if !value.is_empty() && !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child(field),
                value.as_str(),
                join(problems),
            ));
        }
    }
    for (field, value) in [("kind", &names.kind), ("listKind", &names.list_kind)] {
        let problems = is_dns1035_label(&value.to_lowercase());
        if !value.is_empty() && !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child(field),
                value.as_str(),
                format!(
                    "may have mixed case, but should otherwise match: {}",
                    join(problems)
                ),
            ));
        }
    }
    for (i, short) in names.short_names.iter().enumerate() {
        let problems = is_dns1035_label(short);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("shortNames").index(i),
                short.as_str(),
                join(problems),
            ));
        }
    }
    if !names.kind.is_empty() && names.kind == names.list_kind {
        errs.push(FieldError::invalid(
            &path.child("listKind"),
            names.list_kind.as_str(),
            "kind and listKind may not be the same",
        ));
    }
    for (i, category) in names.categories.iter().enumerate() {
        let problems = is_dns1035_label(category);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("categories").index(i),
                category.as_str(),
                join(problems),
            ));
        }
    }
    errs
}

fn validate_stored_versions(stored: &[String], spec: &Spec, path: &Path) -> ErrorList {
    if stored.is_empty() {
        return FieldError::invalid(path, Value::Null, "must have at least one stored version")
            .into();
    }
    let mut errs = ErrorList::new();
    let stored_value = Value::from(stored.to_vec());
    let mut remaining: Vec<(String, usize)> = Vec::new();
    for (i, v) in stored.iter().enumerate() {
        if let Some(existing) = remaining.iter_mut().find(|(name, _)| name == v) {
            existing.1 = i;
        } else {
            remaining.push((v.clone(), i));
        }
    }
    for v in &spec.versions {
        let present = remaining.iter().position(|(name, _)| *name == v.name);
        if v.storage && present.is_none() {
            errs.push(FieldError::invalid(
                path,
                stored_value.clone(),
                format!("must have the storage version {}", v.name),
            ));
        }
        if let Some(pos) = present {
            remaining.remove(pos);
        }
    }
    for (v, i) in remaining {
        errs.push(FieldError::invalid(
            &path.index(i),
            v.as_str(),
            format!("missing from spec.versions; {v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {v} and removes {v} from status.storedVersions"),
        ));
    }
    errs
}

fn is_protected_group(group: &str) -> bool {
    group == "k8s.io"
        || group.ends_with(".k8s.io")
        || group == "kubernetes.io"
        || group.ends_with(".kubernetes.io")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalState {
    Invalid,
    Approved,
    Bypassed,
    Missing,
}

const APPROVAL_ANNOTATION: &str = "api-approved.kubernetes.io";

/// `GetAPIApprovalState`.
pub(crate) fn api_approval_state(metadata: &Value) -> (ApprovalState, String) {
    let annotation = metadata
        .get("annotations")
        .and_then(|a| a.get(APPROVAL_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or("");
    if annotation.is_empty() {
        return (
            ApprovalState::Missing,
            format!("protected groups must have approval annotation {}, see https://github.com/kubernetes/enhancements/pull/1111", gofmt::quote(APPROVAL_ANNOTATION)),
        );
    }
    if annotation.starts_with("unapproved") {
        return (
            ApprovalState::Bypassed,
            format!("not approved: {}", gofmt::quote(annotation)),
        );
    }
    if super::url::parse_request_uri(annotation)
        .is_some_and(|u| !u.host.is_empty() && !u.scheme.is_empty())
    {
        return (ApprovalState::Approved, format!("approved in {annotation}"));
    }
    (
        ApprovalState::Invalid,
        format!("protected groups must have approval annotation {} with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", gofmt::quote(APPROVAL_ANNOTATION)),
    )
}

fn validate_api_approval(crd: &Crd, old: Option<&Crd>) -> ErrorList {
    if !is_protected_group(&crd.spec.group) {
        return ErrorList::new();
    }
    let (state, reason) = api_approval_state(&crd.metadata);
    if let Some(old) = old {
        if api_approval_state(&old.metadata).0 == state {
            return ErrorList::new();
        }
    }
    let path = Path::new("metadata")
        .child("annotations")
        .key(APPROVAL_ANNOTATION);
    let value = crd
        .metadata
        .get("annotations")
        .and_then(|a| a.get(APPROVAL_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or("");
    match state {
        ApprovalState::Approved | ApprovalState::Bypassed => ErrorList::new(),
        ApprovalState::Missing => FieldError::required(&path, reason).into(),
        ApprovalState::Invalid => FieldError::invalid(&path, value, reason).into(),
    }
}

fn validate_preserve_unknown_fields(crd: &Crd, old: Option<&Crd>) -> ErrorList {
    if old.is_some_and(|o| o.spec.preserve_unknown_fields == Some(true)) {
        return ErrorList::new();
    }
    if crd.spec.preserve_unknown_fields == Some(true) {
        return FieldError::invalid(
            &Path::new("spec").child("preserveUnknownFields"),
            true,
            "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
        )
        .into();
    }
    ErrorList::new()
}

fn spec_has_defaults(spec: &Spec) -> bool {
    spec_has(spec, &mut |s| s.default.is_some())
}

fn spec_has_kubernetes_extensions(spec: &Spec) -> bool {
    spec_has(spec, &mut |s| {
        s.x_embedded_resource
            || s.x_preserve_unknown_fields.is_some()
            || s.x_int_or_string
            || !s.x_list_map_keys.is_empty()
            || s.x_list_type.is_some()
            || !s.x_validations.is_empty()
    })
}

fn has_status(sr: Option<&Subresources>) -> bool {
    sr.is_some_and(|s| s.status)
}

fn version_has_schema(v: &super::model::Version) -> bool {
    v.schema
        .as_ref()
        .is_some_and(|s| s.open_api_v3_schema.is_some())
}

fn subresources_for_version<'a>(spec: &'a Spec, version: &str) -> Option<&'a Subresources> {
    let per_version = spec.versions.iter().any(|v| v.subresources.is_some());
    if !per_version {
        return spec.subresources.as_ref();
    }
    spec.versions
        .iter()
        .find(|v| v.name == version)
        .and_then(|v| v.subresources.as_ref())
}

/// `validateCustomResourceDefinitionSpec`.
fn validate_spec(spec: &Spec, opts: &Options, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut opts = opts.clone();
    if spec.group.is_empty() {
        errs.push(FieldError::required(&path.child("group"), ""));
    } else {
        let problems = is_dns1123_subdomain(&spec.group);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("group"),
                spec.group.as_str(),
                problems.join(","),
            ));
        } else if spec.group.split('.').count() < 2 {
            errs.push(FieldError::invalid(
                &path.child("group"),
                spec.group.as_str(),
                "should be a domain with at least one dot",
            ));
        }
    }
    errs.extend(validate_enum(
        &path.child("scope"),
        &spec.scope,
        &["Cluster", "Namespaced"],
        true,
    ));

    let pruning = spec.preserve_unknown_fields != Some(true);
    if pruning {
        opts.require_structural_schema = true;
    }
    let top_schema = spec
        .validation
        .as_ref()
        .is_some_and(|v| v.open_api_v3_schema.is_some());
    if opts.require_open_api_schema {
        if !top_schema {
            for (i, v) in spec.versions.iter().enumerate() {
                if !version_has_schema(v) {
                    errs.push(FieldError::required(
                        &path
                            .child("versions")
                            .index(i)
                            .child("schema")
                            .child("openAPIV3Schema"),
                        "",
                    ));
                }
            }
        }
    } else if pruning && !top_schema {
        for (i, v) in spec.versions.iter().enumerate() {
            if v.served && !version_has_schema(v) {
                errs.push(FieldError::required(
                    &path
                        .child("versions")
                        .index(i)
                        .child("schema")
                        .child("openAPIV3Schema"),
                    "because otherwise all fields are pruned",
                ));
            }
        }
    }
    if opts.allow_defaults && spec_has_defaults(spec) {
        opts.require_structural_schema = true;
        if spec.preserve_unknown_fields.is_none_or(|p| p) {
            errs.push(FieldError::invalid(
                &path.child("preserveUnknownFields"),
                true,
                "must be false in order to use defaults in the schema",
            ));
        }
    }
    if spec_has_kubernetes_extensions(spec) {
        opts.require_structural_schema = true;
    }

    let mut storage_count = 0;
    let mut seen = HashSet::new();
    let mut unique = true;
    for (i, version) in spec.versions.iter().enumerate() {
        if version.storage {
            storage_count += 1;
        }
        if !seen.insert(version.name.clone()) {
            unique = false;
        }
        let problems = is_dns1035_label(&version.name);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("versions").index(i).child("name"),
                version.name.as_str(),
                problems.join(","),
            ));
        }
        let subresources = subresources_for_version(spec, &version.name);
        errs.extend(validate_version(
            version,
            &path.child("versions").index(i),
            has_status(subresources),
            &opts,
        ));
    }

    let versions_value = || serde_json::Value::String(versions_go_json(&spec.versions));
    if spec.validation.is_some() && spec.versions.iter().any(|v| v.schema.is_some()) {
        errs.push(FieldError::forbidden(
            &path.child("validation"),
            "top-level and per-version schemas are mutually exclusive",
        ));
    }
    if spec.subresources.is_some() && spec.versions.iter().any(|v| v.subresources.is_some()) {
        errs.push(FieldError::forbidden(
            &path.child("subresources"),
            "top-level and per-version subresources are mutually exclusive",
        ));
    }
    if !spec.additional_printer_columns.is_empty()
        && spec
            .versions
            .iter()
            .any(|v| !v.additional_printer_columns.is_empty())
    {
        errs.push(FieldError::forbidden(
            &path.child("additionalPrinterColumns"),
            "top-level and per-version additionalPrinterColumns are mutually exclusive",
        ));
    }
    if !unique {
        errs.push(raw_invalid(
            &path.child("versions"),
            versions_value(),
            "must contain unique version names",
        ));
    }
    if storage_count != 1 {
        errs.push(raw_invalid(
            &path.child("versions"),
            versions_value(),
            "must have exactly one version marked as storage version",
        ));
    }
    if !spec.version.is_empty() {
        let problems = is_dns1035_label(&spec.version);
        if !problems.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("version"),
                spec.version.as_str(),
                problems.join(","),
            ));
        }
        if spec
            .versions
            .first()
            .is_some_and(|v| v.name != spec.version)
        {
            errs.push(FieldError::invalid(
                &path.child("version"),
                spec.version.as_str(),
                "must match the first version in spec.versions",
            ));
        }
    }
    let names_path = path.child("names");
    for (field, value) in [
        ("plural", &spec.names.plural),
        ("singular", &spec.names.singular),
        ("kind", &spec.names.kind),
        ("listKind", &spec.names.list_kind),
    ] {
        if value.is_empty() {
            errs.push(FieldError::required(&names_path.child(field), ""));
        }
    }
    errs.extend(validate_names(&spec.names, &names_path));
    let any_status = has_status(spec.subresources.as_ref())
        || spec
            .versions
            .iter()
            .any(|v| has_status(v.subresources.as_ref()));
    errs.extend(validate_validation(
        spec.validation.as_ref(),
        any_status,
        &opts,
        &path.child("validation"),
    ));
    errs.extend(validate_subresources(
        spec.subresources.as_ref(),
        &path.child("subresources"),
    ));
    for (i, col) in spec.additional_printer_columns.iter().enumerate() {
        errs.extend(validate_column(
            col,
            &path.child("additionalPrinterColumns").index(i),
        ));
    }
    if let Some(fields) = spec.selectable_fields.as_ref().filter(|f| !f.is_empty()) {
        match &spec.validation {
            None => errs.push(FieldError::invalid(
                &path.child("selectableFields"),
                "",
                "may only be set when validations.schema is included",
            )),
            Some(validation) => {
                let structural = validation
                    .open_api_v3_schema
                    .as_ref()
                    .map(Structural::from_props);
                if let Some(Err(err)) = &structural {
                    errs.push(FieldError::invalid(
                        &path.child("schema.openAPIV3Schema"),
                        "",
                        err.as_str(),
                    ));
                }
                let structural = structural.and_then(Result::ok);
                errs.extend(validate_selectable_fields(
                    fields,
                    structural.as_ref(),
                    &path.child("selectableFields"),
                    &opts,
                    "",
                ));
            }
        }
    }
    if let Some(conversion) = &spec.conversion {
        if conversion.strategy != "None" && spec.preserve_unknown_fields.is_none_or(|p| p) {
            errs.push(FieldError::invalid(
                &path.child("conversion").child("strategy"),
                conversion.strategy.as_str(),
                "must be None if spec.preserveUnknownFields is true",
            ));
        }
        errs.extend(validate_conversion(
            conversion,
            &opts,
            &path.child("conversion"),
        ));
    }
    errs
}

/// An Invalid error whose value is already Go-JSON text (rendered bare).
fn raw_invalid(path: &Path, rendered: Value, detail: &str) -> FieldError {
    let mut err = FieldError::invalid(path, Value::Null, detail);
    if let Value::String(text) = rendered {
        err.bad_value = crate::field::BadValue::Rendered(text);
    }
    err
}

fn validate_enum(path: &Path, value: &str, accepted: &[&str], required: bool) -> ErrorList {
    if value.is_empty() {
        return if required {
            FieldError::required(path, "").into()
        } else {
            ErrorList::new()
        };
    }
    if accepted.contains(&value) {
        return ErrorList::new();
    }
    FieldError::not_supported(path, value, accepted).into()
}

fn validate_version(
    version: &super::model::Version,
    path: &Path,
    status_enabled: bool,
    opts: &Options,
) -> ErrorList {
    let mut errs = ErrorList::new();
    for msg in
        validate_deprecation_warning(version.deprecated, version.deprecation_warning.as_deref())
    {
        let value = version
            .deprecation_warning
            .as_ref()
            .map_or(Value::Null, |w| Value::String(w.clone()));
        errs.push(FieldError::invalid(
            &path.child("deprecationWarning"),
            value,
            msg,
        ));
    }
    errs.extend(validate_validation(
        version.schema.as_ref(),
        status_enabled,
        opts,
        &path.child("schema"),
    ));
    errs.extend(validate_subresources(
        version.subresources.as_ref(),
        &path.child("subresources"),
    ));
    for (i, col) in version.additional_printer_columns.iter().enumerate() {
        errs.extend(validate_column(
            col,
            &path.child("additionalPrinterColumns").index(i),
        ));
    }
    if !version.selectable_fields.is_empty() {
        match version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
        {
            None => errs.push(FieldError::invalid(
                &path.child("selectableFields"),
                "",
                "may only be set when `version.schema.openAPIV3Schema` is not included",
            )),
            Some(schema) => {
                let structural = Structural::from_props(schema);
                if let Err(err) = &structural {
                    errs.push(FieldError::invalid(
                        &path.child("schema.openAPIV3Schema"),
                        "",
                        err.as_str(),
                    ));
                }
                errs.extend(validate_selectable_fields(
                    &version.selectable_fields,
                    structural.ok().as_ref(),
                    &path.child("selectableFields"),
                    opts,
                    &version.name,
                ));
            }
        }
    }
    errs
}

fn validate_deprecation_warning(deprecated: bool, warning: Option<&str>) -> Vec<String> {
    if !deprecated && warning.is_some() {
        return vec!["can only be set for deprecated versions".to_string()];
    }
    let Some(warning) = warning else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    if warning.len() > 256 {
        errs.push("must be <= 256 characters long".to_string());
    }
    if warning.is_empty() {
        errs.push("must not be an empty string".to_string());
    }
    for (i, c) in warning.char_indices() {
        if !gofmt::is_print(c) {
            errs.push(format!("must only contain printable UTF-8 characters; non-printable character found at index {i}"));
            break;
        }
    }
    errs
}

/// `validateCustomResourceDefinitionValidation`.
fn validate_validation(
    validation: Option<&Validation>,
    status_enabled: bool,
    opts: &Options,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(validation) = validation else {
        return errs;
    };
    if let Some(schema) = &validation.open_api_v3_schema {
        if status_enabled {
            if let Some(err) = root_fields_with_status(schema, path) {
                errs.push(err);
            }
        }
        if schema.nullable {
            errs.push(FieldError::forbidden(
                &path.child("openAPIV3Schema.nullable"),
                "nullable cannot be true at the root",
            ));
        }
        let schema_path = path.child("openAPIV3Schema");
        let mut structural_init_errs = ErrorList::new();
        let mut cel_enabled = false;
        if opts.require_structural_schema {
            match Structural::from_props(schema) {
                Err(err) => structural_init_errs.push(FieldError::invalid(&schema_path, "", err)),
                Ok(ss) => {
                    let structural_errs = crate::structural::validate_structural(&schema_path, &ss);
                    if !structural_errs.is_empty() {
                        errs.extend(structural_errs);
                    } else {
                        let default_errs = schema_rules::validate_defaults(
                            &schema_path,
                            schema,
                            &ss,
                            opts.require_pruned_defaults,
                        );
                        if !default_errs.is_empty() {
                            errs.extend(default_errs);
                        } else {
                            cel_enabled = true;
                        }
                    }
                }
            }
        }
        let schema_opts = SchemaOptions {
            allow_defaults: opts.allow_defaults,
            require_valid_property_type: opts.require_valid_property_type,
            require_atomic_set_type: opts.require_atomic_set_type,
            require_map_list_keys_map_set_validation: opts.require_map_list_keys_map_set_validation,
            cel_enabled,
            preexisting_rules: &opts.preexisting_rules,
        };
        errs.extend(schema_rules::validate_openapi_schema(
            schema,
            &schema_path,
            &schema_opts,
        ));
        if errs.is_empty() && !structural_init_errs.is_empty() {
            errs.extend(structural_init_errs);
        }
    }
    errs
}

const ALLOWED_AT_ROOT: &str = "[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations]";

/// The status-subresource root restriction; fields are checked in Go declaration order and
/// the first offending one is reported.
fn root_fields_with_status(s: &SchemaProps, path: &Path) -> Option<FieldError> {
    let checks: [(&str, bool); 45] = [
        ("ID", !s.id.is_empty()),
        ("Schema", !s.schema.is_empty()),
        ("Ref", s.reference.is_some()),
        ("Description", false),
        ("Type", !s.type_.is_empty()),
        ("Nullable", s.nullable),
        ("Format", false),
        ("Title", false),
        ("Default", s.default.is_some()),
        ("Maximum", false),
        ("ExclusiveMaximum", false),
        ("Minimum", false),
        ("ExclusiveMinimum", false),
        ("MaxLength", false),
        ("MinLength", false),
        ("Pattern", false),
        ("MaxItems", false),
        ("MinItems", false),
        ("UniqueItems", false),
        ("MultipleOf", false),
        ("Enum", s.enum_values.is_some()),
        ("MaxProperties", s.max_properties.is_some()),
        ("MinProperties", s.min_properties.is_some()),
        ("Required", false),
        ("Items", false),
        ("AllOf", !s.all_of.is_empty()),
        ("OneOf", !s.one_of.is_empty()),
        ("AnyOf", !s.any_of.is_empty()),
        ("Not", s.not.is_some()),
        ("Properties", false),
        ("AdditionalProperties", s.additional_properties.is_some()),
        ("PatternProperties", !s.pattern_properties.is_empty()),
        ("Dependencies", s.dependencies.is_some()),
        ("AdditionalItems", s.additional_items.is_some()),
        ("Definitions", !s.definitions.is_empty()),
        ("ExternalDocs", false),
        ("Example", false),
        ("XPreserveUnknownFields", false),
        ("XEmbeddedResource", s.x_embedded_resource),
        ("XIntOrString", s.x_int_or_string),
        ("XListMapKeys", !s.x_list_map_keys.is_empty()),
        ("XListType", s.x_list_type.is_some()),
        ("XMapType", s.x_map_type.is_some()),
        ("XValidations", false),
        ("", false),
    ];
    for (name, offending) in checks {
        if name == "Type" && offending {
            if s.type_ != "object" {
                return Some(FieldError::invalid(
                    &path.child("openAPIV3Schema.type"),
                    s.type_.as_str(),
                    "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled",
                ));
            }
            continue;
        }
        if offending {
            let mut err = FieldError::invalid(
                &path.child("openAPIV3Schema"),
                Value::Null,
                format!("only {ALLOWED_AT_ROOT} fields are allowed at the root of the schema if the status subresource is enabled"),
            );
            err.bad_value = crate::field::BadValue::Rendered(s.to_go_json());
            return Some(err);
        }
    }
    None
}

fn validate_subresources(sr: Option<&Subresources>, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(scale) = sr.and_then(|s| s.scale.as_ref()) else {
        return errs;
    };
    let spec_path = path.child("scale.specReplicasPath");
    if scale.spec_replicas_path.is_empty() {
        errs.push(FieldError::required(&spec_path, ""));
    } else {
        let simple = validate_simple_json_path(&scale.spec_replicas_path, &spec_path);
        if !simple.is_empty() {
            errs.extend(simple);
        } else if !scale.spec_replicas_path.starts_with(".spec.") {
            errs.push(FieldError::invalid(
                &spec_path,
                scale.spec_replicas_path.as_str(),
                "should be a json path under .spec",
            ));
        }
    }
    let status_path = path.child("scale.statusReplicasPath");
    if scale.status_replicas_path.is_empty() {
        errs.push(FieldError::required(&status_path, ""));
    } else {
        let simple = validate_simple_json_path(&scale.status_replicas_path, &status_path);
        if !simple.is_empty() {
            errs.extend(simple);
        } else if !scale.status_replicas_path.starts_with(".status.") {
            errs.push(FieldError::invalid(
                &status_path,
                scale.status_replicas_path.as_str(),
                "should be a json path under .status",
            ));
        }
    }
    if let Some(selector) = scale.label_selector_path.as_ref().filter(|p| !p.is_empty()) {
        let selector_path = path.child("scale.labelSelectorPath");
        let simple = validate_simple_json_path(selector, &selector_path);
        if !simple.is_empty() {
            errs.extend(simple);
        } else if !selector.starts_with(".spec.") && !selector.starts_with(".status.") {
            errs.push(FieldError::invalid(
                &selector_path,
                selector.as_str(),
                "should be a json path under either .spec or .status",
            ));
        }
    }
    errs
}

fn validate_simple_json_path(s: &str, path: &Path) -> ErrorList {
    if s.is_empty() {
        return FieldError::invalid(path, s, "must not be empty").into();
    }
    if !s.starts_with('.') {
        return FieldError::invalid(path, s, "must be a simple json path starting with .").into();
    }
    ErrorList::new()
}

fn validate_column(col: &Column, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    if col.name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    }
    if col.type_.is_empty() {
        errs.push(FieldError::required(
            &path.child("type"),
            format!("must be one of {PRINTER_COLUMN_TYPES}"),
        ));
    } else if !PRINTER_COLUMN_TYPES.split(',').any(|t| t == col.type_) {
        errs.push(FieldError::invalid(
            &path.child("type"),
            col.type_.as_str(),
            format!("must be one of {PRINTER_COLUMN_TYPES}"),
        ));
    }
    if !col.format.is_empty() && !PRINTER_COLUMN_FORMATS.split(',').any(|f| f == col.format) {
        errs.push(FieldError::invalid(
            &path.child("format"),
            col.format.as_str(),
            format!("must be one of {PRINTER_COLUMN_FORMATS}"),
        ));
    }
    if col.json_path.is_empty() {
        errs.push(FieldError::required(&path.child("JSONPath"), ""));
    } else {
        errs.extend(validate_simple_json_path(
            &col.json_path,
            &path.child("JSONPath"),
        ));
    }
    errs
}

fn validate_selectable_fields(
    fields: &[String],
    schema: Option<&Structural>,
    path: &Path,
    opts: &Options,
    version: &str,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let mut unique: BTreeSet<String> = BTreeSet::new();
    for (i, json_path) in fields.iter().enumerate() {
        let field_path = path.index(i).child("jsonPath");
        if json_path.is_empty() {
            errs.push(FieldError::required(&field_path, ""));
            continue;
        }
        let resolved = match schema {
            Some(s) => crate::jsonpath::valid_field_path(json_path, s, false),
            None => Err("schema is not structural".to_string()),
        };
        let (resolved_path, found) = match resolved {
            Ok(r) => r,
            Err(err) => {
                errs.push(FieldError::invalid(
                    &field_path,
                    json_path.as_str(),
                    format!("is an invalid path: {err}"),
                ));
                continue;
            }
        };
        if resolved_path.elements().first()
            == Some(&crate::field::PathElement::Field("metadata".into()))
        {
            errs.push(FieldError::invalid(
                &field_path,
                json_path.as_str(),
                "must not point to fields in metadata",
            ));
        }
        if !matches!(found.type_.as_str(), "string" | "boolean" | "integer") {
            errs.push(FieldError::invalid(
                &field_path,
                json_path.as_str(),
                "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            ));
        }
        let key = resolved_path.to_string();
        if !unique.insert(key) {
            errs.push(FieldError::duplicate(&field_path, json_path.as_str()));
        }
    }
    if unique.len() > MAX_SELECTABLE_FIELDS
        && !opts
            .allow_too_many_selectable_fields
            .get(version)
            .copied()
            .unwrap_or(false)
    {
        errs.push(FieldError::too_many(
            path,
            Some(unique.len() as i64),
            MAX_SELECTABLE_FIELDS as i64,
        ));
    }
    errs
}

fn validate_conversion(conversion: &Conversion, opts: &Options, path: &Path) -> ErrorList {
    let mut errs = validate_enum(
        &path.child("strategy"),
        &conversion.strategy,
        &["None", "Webhook"],
        true,
    );
    if conversion.strategy == "Webhook" {
        match &conversion.webhook_client_config {
            None => errs.push(FieldError::required(
                &path.child("webhookClientConfig"),
                "required when strategy is set to Webhook",
            )),
            Some(cc) => errs.extend(validate_client_config(
                cc,
                opts,
                &path.child("webhookClientConfig"),
            )),
        }
        errs.extend(validate_review_versions(
            &conversion.conversion_review_versions,
            opts.require_recognized_conversion_review_version,
            &path.child("conversionReviewVersions"),
        ));
    } else {
        if conversion.webhook_client_config.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("webhookClientConfig"),
                "should not be set when strategy is not set to Webhook",
            ));
        }
        if !conversion.conversion_review_versions.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("conversionReviewVersions"),
                "should not be set when strategy is not set to Webhook",
            ));
        }
    }
    errs
}

fn validate_client_config(cc: &WebhookClientConfig, opts: &Options, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    match (&cc.url, &cc.service) {
        (Some(_), Some(_)) | (None, None) => {
            errs.push(FieldError::required(
                path,
                "exactly one of url or service is required",
            ));
        }
        (Some(url), None) => errs.extend(validate_webhook_url(&path.child("url"), url)),
        (None, Some(svc)) => errs.extend(validate_webhook_service(&path.child("service"), svc)),
    }
    if let Some(bundle) = cc.ca_bundle.as_ref().filter(|b| !b.is_empty()) {
        if !opts.allow_invalid_ca_bundle {
            errs.extend(validate_ca_bundle(&path.child("caBundle"), bundle));
        }
    }
    errs
}

fn validate_ca_bundle(path: &Path, bundle_base64: &str) -> ErrorList {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(bundle_base64)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&decoded);
    if text.contains("-----BEGIN CERTIFICATE-----") && text.contains("-----END CERTIFICATE-----") {
        return ErrorList::new();
    }
    FieldError::invalid(
        path,
        bundle_base64,
        "unable to load root certificates: unable to parse bytes as PEM block",
    )
    .into()
}

fn validate_webhook_url(path: &Path, url: &str) -> ErrorList {
    const FORM: &str = "; desired format: https://host[/path]";
    let mut errs = ErrorList::new();
    let Some(u) = super::url::parse(url) else {
        errs.push(FieldError::required(
            path,
            format!(
                "url must be a valid URL: parse {}: invalid URI{FORM}",
                gofmt::quote(url)
            ),
        ));
        return errs;
    };
    if u.scheme != "https" {
        errs.push(FieldError::invalid(
            path,
            u.scheme.as_str(),
            format!("'https' is the only allowed URL scheme{FORM}"),
        ));
    }
    if u.host.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.host.as_str(),
            format!("host must be specified{FORM}"),
        ));
    }
    if let Some(user) = &u.user {
        errs.push(FieldError::invalid(
            path,
            user.as_str(),
            "user information is not permitted in the URL",
        ));
    }
    if !u.fragment.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.fragment.as_str(),
            "fragments are not permitted in the URL",
        ));
    }
    if !u.query.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.query.as_str(),
            "query parameters are not permitted in the URL",
        ));
    }
    errs
}

fn validate_webhook_service(path: &Path, svc: &super::model::ServiceReference) -> ErrorList {
    let mut errs = ErrorList::new();
    if svc.name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    }
    if svc.namespace.is_empty() {
        errs.push(FieldError::required(&path.child("namespace"), ""));
    }
    if !(1..=65535).contains(&svc.port) {
        errs.push(FieldError::invalid(
            &path.child("port"),
            svc.port,
            "port is not valid: must be between 1 and 65535, inclusive",
        ));
    }
    let Some(url_path) = &svc.path else {
        return errs;
    };
    if url_path == "/" || url_path.is_empty() {
        return errs;
    }
    if url_path == "//" {
        errs.push(FieldError::invalid(
            &path.child("path"),
            url_path.as_str(),
            "segment[0] may not be empty",
        ));
        return errs;
    }
    if !url_path.starts_with('/') {
        errs.push(FieldError::invalid(
            &path.child("path"),
            url_path.as_str(),
            "must start with a '/'",
        ));
    }
    let mut to_check = url_path.get(1..).unwrap_or("");
    if let Some(stripped) = to_check.strip_suffix('/') {
        to_check = stripped;
    }
    for (i, step) in to_check.split('/').enumerate() {
        if step.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("path"),
                url_path.as_str(),
                format!("segment[{i}] may not be empty"),
            ));
            continue;
        }
        for failure in is_dns1123_subdomain(step) {
            errs.push(FieldError::invalid(
                &path.child("path"),
                url_path.as_str(),
                format!("segment[{i}]: {failure}"),
            ));
        }
    }
    errs
}

fn validate_review_versions(
    versions: &[String],
    require_recognized: bool,
    path: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    if versions.is_empty() {
        errs.push(FieldError::required(path, ""));
        return errs;
    }
    let mut seen = HashSet::new();
    let mut accepted = false;
    for (i, v) in versions.iter().enumerate() {
        if !seen.insert(v.as_str()) {
            errs.push(FieldError::invalid(
                &path.index(i),
                v.as_str(),
                "duplicate version",
            ));
            continue;
        }
        for msg in is_dns1035_label(v) {
            errs.push(FieldError::invalid(&path.index(i), v.as_str(), msg));
        }
        if v == "v1" || v == "v1beta1" {
            accepted = true;
        }
    }
    if require_recognized && !accepted {
        errs.push(raw_invalid(
            path,
            Value::String(strings_go_json(versions)),
            "must include at least one of v1, v1beta1",
        ));
    }
    errs
}
