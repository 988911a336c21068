//! The OpenAPI schema rules of CRD validation (`ValidateCustomResourceDefinitionOpenAPISchema`
//! with `specStandardValidatorV3`), the validation of `default`s against their schema
//! (`defaulting.ValidateDefaults`) and the CRD-time compilation of CEL rules.

use crate::field::{ErrorList, FieldError, Path};
use crate::openapi::{as_go_floats, ItemsOrArray, SchemaProps};
use crate::structural::{objectmeta, Structural, StructuralSchema};
use serde_json::Value;
use std::collections::HashSet;

/// Options for the schema walk.
pub(crate) struct SchemaOptions<'a> {
    pub allow_defaults: bool,
    pub require_valid_property_type: bool,
    pub require_atomic_set_type: bool,
    pub require_map_list_keys_map_set_validation: bool,
    /// Whether CEL rules are compiled (the schema is structural and its defaults valid).
    pub cel_enabled: bool,
    pub preexisting_rules: &'a HashSet<String>,
}

/// `specStandardValidatorV3` state.
#[derive(Debug, Clone)]
struct Ssv {
    allow_defaults: bool,
    disallow_defaults_reason: String,
    inside_resource_meta: bool,
    require_valid_property_type: bool,
    uncorrelatable_path: Option<Path>,
}

impl Ssv {
    fn with_forbidden_defaults(&self, reason: &str) -> Ssv {
        Ssv {
            allow_defaults: false,
            disallow_defaults_reason: reason.to_string(),
            ..self.clone()
        }
    }

    fn with_inside_resource_meta(&self) -> Ssv {
        Ssv {
            inside_resource_meta: true,
            ..self.clone()
        }
    }

    fn with_forbid_old_self(&self, path: &Path) -> Ssv {
        if self.uncorrelatable_path.is_some() {
            return self.clone();
        }
        Ssv {
            uncorrelatable_path: Some(path.clone()),
            ..self.clone()
        }
    }

    fn validate(&self, s: &SchemaProps, path: &Path) -> ErrorList {
        let mut errs = ErrorList::new();
        const TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];
        if self.require_valid_property_type
            && !s.type_.is_empty()
            && !TYPES.contains(&s.type_.as_str())
        {
            errs.push(FieldError::not_supported(
                &path.child("type"),
                s.type_.as_str(),
                &TYPES,
            ));
        }
        if s.default.is_some() && !self.allow_defaults {
            let mut detail = "must not be set".to_string();
            if !self.disallow_defaults_reason.is_empty() {
                detail.push(' ');
                detail.push_str(&self.disallow_defaults_reason);
            }
            errs.push(FieldError::forbidden(&path.child("default"), detail));
        }
        if !s.id.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("id"),
                "id is not supported",
            ));
        }
        if s.additional_items.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("additionalItems"),
                "additionalItems is not supported",
            ));
        }
        if !s.pattern_properties.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("patternProperties"),
                "patternProperties is not supported",
            ));
        }
        if !s.definitions.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("definitions"),
                "definitions is not supported",
            ));
        }
        if s.dependencies.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("dependencies"),
                "dependencies is not supported",
            ));
        }
        if s.reference.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("$ref"),
                "$ref is not supported",
            ));
        }
        if s.type_ == "null" {
            errs.push(FieldError::forbidden(
                &path.child("type"),
                "type cannot be set to null, use nullable as an alternative",
            ));
        }
        if matches!(&s.items, Some(ItemsOrArray::Array(list)) if !list.is_empty()) {
            errs.push(FieldError::forbidden(
                &path.child("items"),
                "items must be a schema object and not an array",
            ));
        }
        if self.inside_resource_meta && s.x_embedded_resource {
            errs.push(FieldError::forbidden(
                &path.child("x-kubernetes-embedded-resource"),
                "must not be used inside of resource meta",
            ));
        }
        errs
    }
}

struct Walk<'a> {
    opts: &'a SchemaOptions<'a>,
}

/// Schema errors and CEL errors, kept apart (CEL rules are compiled only where no schema
/// errors exist at that node or below).
#[derive(Default)]
struct Errors {
    schema: ErrorList,
    cel: ErrorList,
}

impl Errors {
    fn append(&mut self, other: Errors) {
        self.schema.extend(other.schema);
        self.cel.extend(other.cel);
    }
}

/// Validates a CRD's schema at `path` (`<base>.openAPIV3Schema`).
pub(crate) fn validate_openapi_schema(
    schema: &SchemaProps,
    path: &Path,
    opts: &SchemaOptions<'_>,
) -> ErrorList {
    let ssv = Ssv {
        allow_defaults: opts.allow_defaults,
        disallow_defaults_reason: String::new(),
        inside_resource_meta: false,
        require_valid_property_type: opts.require_valid_property_type,
        uncorrelatable_path: None,
    };
    let walk = Walk { opts };
    let errs = walk.schema(
        schema,
        path,
        &ssv,
        true,
        opts.cel_enabled.then_some(CelNode {
            resource_root: true,
        }),
    );
    let mut all = errs.schema;
    all.extend(errs.cel);
    all
}

/// Where CEL compilation is possible, and whether the node is a resource root (root or
/// embedded resource: `apiVersion`, `kind`, `metadata.name` visible).
#[derive(Clone, Copy)]
struct CelNode {
    resource_root: bool,
}

fn map_is_correlatable(map_type: Option<&str>) -> bool {
    matches!(map_type, None | Some("granular") | Some("atomic"))
}

const META_FIELDS: [&str; 3] = ["metadata", "kind", "apiVersion"];

impl Walk<'_> {
    fn schema(
        &self,
        s: &SchemaProps,
        path: &Path,
        ssv: &Ssv,
        is_root: bool,
        cel: Option<CelNode>,
    ) -> Errors {
        let mut errs = Errors::default();
        errs.schema.extend(ssv.validate(s, path));
        if s.unique_items {
            errs.schema.push(FieldError::forbidden(
                &path.child("uniqueItems"),
                "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            ));
        }
        if let Some(ap) = &s.additional_properties {
            if !s.properties.is_empty() && (!ap.allows || ap.schema.is_some()) {
                errs.schema.push(FieldError::forbidden(
                    &path.child("additionalProperties"),
                    "additionalProperties and properties are mutual exclusive",
                ));
            }
            let sub = if ssv.inside_resource_meta {
                ssv.with_forbidden_defaults(
                    "inside additionalProperties applying to object metadata",
                )
            } else {
                ssv.clone()
            };
            if let Some(schema) = &ap.schema {
                let child_cel = cel.map(|_| CelNode {
                    resource_root: schema.x_embedded_resource,
                });
                errs.append(self.schema(
                    schema,
                    &path.child("additionalProperties"),
                    &sub,
                    false,
                    child_cel,
                ));
            }
        }
        for (name, prop) in &s.properties {
            let mut sub = ssv.clone();
            if !map_is_correlatable(s.x_map_type.as_deref()) {
                sub = sub.with_forbid_old_self(path);
            }
            if (is_root || s.x_embedded_resource) && META_FIELDS.contains(&name.as_str()) {
                sub = sub.with_inside_resource_meta();
                if is_root {
                    sub = sub.with_forbidden_defaults(&format!("in top-level {name}"));
                }
            }
            let child_cel = cel.map(|_| CelNode {
                resource_root: prop.x_embedded_resource,
            });
            errs.append(self.schema(
                prop,
                &path.child("properties").key(name),
                &sub,
                false,
                child_cel,
            ));
        }
        if let Some(not) = &s.not {
            errs.append(self.schema(not, &path.child("not"), ssv, false, None));
        }
        for (name, list) in [
            ("allOf", &s.all_of),
            ("oneOf", &s.one_of),
            ("anyOf", &s.any_of),
        ] {
            for (i, sub) in list.iter().enumerate() {
                errs.append(self.schema(sub, &path.child(name).index(i), ssv, false, None));
            }
        }
        for (name, def) in &s.definitions {
            errs.append(self.schema(def, &path.child("definitions").key(name), ssv, false, None));
        }
        if let Some(items) = &s.items {
            let sub = if s.x_list_type.as_deref() != Some("map") {
                ssv.with_forbid_old_self(path)
            } else {
                ssv.clone()
            };
            match items {
                ItemsOrArray::Schema(item) => {
                    let child_cel = cel.map(|_| CelNode {
                        resource_root: item.x_embedded_resource,
                    });
                    errs.append(self.schema(item, &path.child("items"), &sub, false, child_cel));
                }
                ItemsOrArray::Array(list) => {
                    for (i, item) in list.iter().enumerate() {
                        errs.append(self.schema(
                            item,
                            &path.child("items").index(i),
                            &sub,
                            false,
                            None,
                        ));
                    }
                }
            }
        }
        if let Some(deps) = &s.dependencies {
            for (name, dep) in deps {
                if let Some(schema) = &dep.schema {
                    errs.append(self.schema(
                        schema,
                        &path.child("dependencies").key(name),
                        ssv,
                        false,
                        None,
                    ));
                }
            }
        }
        errs.schema.extend(extension_rules(s, path, self.opts));
        if !s.x_validations.is_empty() {
            errs.schema.extend(rule_shape_errors(s, path));
            if errs.schema.is_empty() {
                if let Some(node) = cel {
                    errs.cel.extend(crate::cel::crd_compile_errors(
                        s,
                        path,
                        node.resource_root || is_root,
                        ssv.uncorrelatable_path.as_ref(),
                        self.opts.preexisting_rules,
                    ));
                }
            }
        }
        errs
    }
}

fn extension_rules(s: &SchemaProps, path: &Path, opts: &SchemaOptions<'_>) -> ErrorList {
    let mut errs = ErrorList::new();
    if s.x_preserve_unknown_fields == Some(false) {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            false,
            "must be true or undefined",
        ));
    }
    if s.x_map_type.is_some() && s.type_ != "object" {
        if s.type_.is_empty() {
            errs.push(FieldError::required(
                &path.child("type"),
                "must be object if x-kubernetes-map-type is specified",
            ));
        } else {
            errs.push(FieldError::invalid(
                &path.child("type"),
                s.type_.as_str(),
                "must be object if x-kubernetes-map-type is specified",
            ));
        }
    }
    if let Some(map_type) = &s.x_map_type {
        if map_type != "atomic" && map_type != "granular" {
            errs.push(FieldError::not_supported(
                &path.child("x-kubernetes-map-type"),
                map_type.as_str(),
                &["atomic", "granular"],
            ));
        }
    }
    if s.x_list_type.is_some() && s.type_ != "array" {
        if s.type_.is_empty() {
            errs.push(FieldError::required(
                &path.child("type"),
                "must be array if x-kubernetes-list-type is specified",
            ));
        } else {
            errs.push(FieldError::invalid(
                &path.child("type"),
                s.type_.as_str(),
                "must be array if x-kubernetes-list-type is specified",
            ));
        }
    } else if opts.require_atomic_set_type && s.x_list_type.as_deref() == Some("set") {
        if let Some(is) = s.items_schema() {
            let list_type_value = is
                .x_list_type
                .as_ref()
                .map_or(Value::Null, |t| Value::String(t.clone()));
            match is.type_.as_str() {
                "array" if is.x_list_type.as_deref().is_some_and(|t| t != "atomic") => {
                    errs.push(FieldError::invalid(
                        &path.child("items").child("x-kubernetes-list-type"),
                        list_type_value,
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    ));
                }
                "object" if is.x_map_type.as_deref() != Some("atomic") => {
                    errs.push(FieldError::invalid(
                        &path.child("items").child("x-kubernetes-map-type"),
                        list_type_value,
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    ));
                }
                _ => {}
            }
        }
    }
    if let Some(list_type) = &s.x_list_type {
        if !matches!(list_type.as_str(), "atomic" | "set" | "map") {
            errs.push(FieldError::not_supported(
                &path.child("x-kubernetes-list-type"),
                list_type.as_str(),
                &["atomic", "set", "map"],
            ));
        }
    }
    if !s.x_list_map_keys.is_empty() {
        match s.x_list_type.as_deref() {
            None => errs.push(FieldError::required(
                &path.child("x-kubernetes-list-type"),
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
            Some("map") => {}
            Some(other) => errs.push(FieldError::invalid(
                &path.child("x-kubernetes-list-type"),
                other,
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
        }
    }
    if s.x_list_type.as_deref() == Some("map") {
        if s.x_list_map_keys.is_empty() {
            errs.push(FieldError::required(
                &path.child("x-kubernetes-list-map-keys"),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        match &s.items {
            None => errs.push(FieldError::required(
                &path.child("items"),
                "must have a schema if x-kubernetes-list-type is map",
            )),
            Some(ItemsOrArray::Array(_)) => {
                let mut err = FieldError::invalid(
                    &path.child("items"),
                    Value::Null,
                    "must only have a single schema if x-kubernetes-list-type is map",
                );
                if let Some(items) = &s.items {
                    let mut text = String::new();
                    crate::openapi::write_items_go_json(&mut text, items);
                    err.bad_value = crate::field::BadValue::Rendered(text);
                }
                errs.push(err);
            }
            Some(ItemsOrArray::Schema(item)) => {
                if item.type_ != "object" {
                    errs.push(FieldError::invalid(
                        &path.child("items").child("type"),
                        item.type_.as_str(),
                        "must be object if parent array's x-kubernetes-list-type is map",
                    ));
                } else {
                    let keys_value = Value::from(s.x_list_map_keys.clone());
                    let mut seen = HashSet::new();
                    for k in &s.x_list_map_keys {
                        match item.properties.get(k) {
                            Some(p) if p.type_ == "array" || p.type_ == "object" => errs.push(FieldError::invalid(
                                &path.child("items").child("properties").key(k).child("type"),
                                item.type_.as_str(),
                                "must be a scalar type if parent array's x-kubernetes-list-type is map",
                            )),
                            Some(_) => {}
                            None => errs.push(FieldError::invalid(
                                &path.child("x-kubernetes-list-map-keys"),
                                keys_value.clone(),
                                "entries must all be names of item properties",
                            )),
                        }
                        if !seen.insert(k.as_str()) {
                            errs.push(FieldError::invalid(
                                &path.child("x-kubernetes-list-map-keys"),
                                keys_value.clone(),
                                "must not contain duplicate entries",
                            ));
                        }
                    }
                }
            }
        }
    }
    if opts.require_map_list_keys_map_set_validation {
        errs.extend(validate_map_list_keys_map_set(s, path));
    }
    errs
}

/// `validateMapListKeysMapSet`: set/map list items not nullable, map keys required or
/// defaulted and not nullable.
pub(crate) fn validate_map_list_keys_map_set(s: &SchemaProps, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    let Some(item) = s.items_schema() else {
        return errs;
    };
    let Some(list_type) = s.x_list_type.as_deref() else {
        return errs;
    };
    if list_type != "set" && list_type != "map" {
        return errs;
    }
    if item.nullable {
        errs.push(FieldError::forbidden(
            &path.child("items").child("nullable"),
            format!("cannot be nullable when x-kubernetes-list-type is {list_type}"),
        ));
    }
    if list_type == "map" {
        for k in &s.x_list_map_keys {
            let Some(prop) = item.properties.get(k) else {
                continue;
            };
            if !item.required.contains(k) && prop.default.is_none() {
                errs.push(FieldError::required(
                    &path.child("items").child("properties").key(k).child("default"),
                    "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                ));
            }
            if prop.nullable {
                errs.push(FieldError::forbidden(
                    &path
                        .child("items")
                        .child("properties")
                        .key(k)
                        .child("nullable"),
                    "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                ));
            }
        }
    }
    errs
}

const SUPPORTED_REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

fn has_newlines(s: &str) -> bool {
    s.contains('\n') || s.contains('\r')
}

/// The shape checks of `x-kubernetes-validations` entries.
fn rule_shape_errors(s: &SchemaProps, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    for (i, rule) in s.x_validations.iter().enumerate() {
        let rp = path.child("x-kubernetes-validations").index(i);
        let trimmed_rule = rule.rule.trim();
        let trimmed_msg = rule.message.trim();
        if trimmed_rule.is_empty() {
            errs.push(FieldError::required(
                &rp.child("rule"),
                "rule is not specified",
            ));
        } else if !rule.message.is_empty() && trimmed_msg.is_empty() {
            errs.push(FieldError::invalid(
                &rp.child("message"),
                rule.message.as_str(),
                "must be non-empty if specified",
            ));
        } else if has_newlines(trimmed_msg) {
            errs.push(FieldError::invalid(
                &rp.child("message"),
                rule.message.as_str(),
                "must not contain line breaks",
            ));
        } else if has_newlines(trimmed_rule) && trimmed_msg.is_empty() {
            errs.push(FieldError::required(
                &rp.child("message"),
                "message must be specified if rule contains line breaks",
            ));
        }
        if !rule.message_expression.is_empty() && rule.message_expression.trim().is_empty() {
            errs.push(FieldError::required(
                &rp.child("messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = &rule.reason {
            if !SUPPORTED_REASONS.contains(&reason.as_str()) {
                errs.push(FieldError::not_supported(
                    &rp.child("reason"),
                    reason.as_str(),
                    &SUPPORTED_REASONS,
                ));
            }
        }
        if !rule.field_path.is_empty() && rule.field_path.trim().is_empty() {
            errs.push(FieldError::invalid(
                &rp.child("fieldPath"),
                rule.field_path.as_str(),
                "must be non-empty if specified",
            ));
        }
        if has_newlines(&rule.field_path) {
            errs.push(FieldError::invalid(
                &rp.child("fieldPath"),
                rule.field_path.as_str(),
                "must not contain line breaks",
            ));
        }
        if !rule.field_path.is_empty() {
            let valid = match Structural::from_props(s) {
                Ok(ss) => crate::jsonpath::valid_field_path(&rule.field_path, &ss, true).is_ok(),
                Err(_) => true,
            };
            if !valid {
                errs.push(FieldError::invalid(
                    &rp.child("fieldPath"),
                    rule.field_path.as_str(),
                    "must be a valid path",
                ));
            }
        }
    }
    errs
}

/// `defaulting.ValidateDefaults`: every default (under properties and items) must be pruned
/// and valid against its own schema; defaults inside resource metadata must give valid
/// metadata.
pub(crate) fn validate_defaults(
    path: &Path,
    props: &SchemaProps,
    s: &Structural,
    require_pruned: bool,
) -> ErrorList {
    let mut root = s.clone();
    root.x_embedded_resource = true;
    let mut errs = ErrorList::new();
    walk_defaults(
        path,
        props,
        &root,
        &root,
        &mut Vec::new(),
        false,
        require_pruned,
        &mut errs,
    );
    errs
}

#[allow(clippy::too_many_arguments)]
fn walk_defaults(
    path: &Path,
    props: &SchemaProps,
    s: &Structural,
    root_schema: &Structural,
    surrounding: &mut Vec<Option<String>>,
    inside_meta: bool,
    require_pruned: bool,
    errs: &mut ErrorList,
) {
    let (root_schema, inside_meta, mut local_surrounding) = if s.x_embedded_resource {
        (s, false, Vec::new())
    } else {
        (root_schema, inside_meta, std::mem::take(surrounding))
    };
    if let Some(default) = &s.default {
        let go_default = as_go_floats(default);
        let default_path = path.child("default");
        let node_schema = StructuralSchema::from_props(props.clone()).ok();
        if inside_meta {
            let mut obj = surround(go_default.clone(), &local_surrounding);
            if let Value::Object(m) = &mut obj {
                m.entry("apiVersion".to_string())
                    .or_insert(Value::String("validation/v1".into()));
                m.entry("kind".to_string())
                    .or_insert(Value::String("Validation".into()));
            }
            if let Err(err) =
                objectmeta::coerce(&Path::nil(), &mut obj, Some(root_schema), true, false)
            {
                errs.push(FieldError::invalid(
                    &default_path,
                    go_default.clone(),
                    format!("must result in valid metadata: {err}"),
                ));
            } else {
                let meta_errs =
                    objectmeta::validate_embedded(&Path::nil(), &obj, Some(root_schema), true);
                if !meta_errs.is_empty() {
                    errs.push(FieldError::invalid(
                        &default_path,
                        go_default.clone(),
                        format!("must result in valid metadata: {meta_errs}"),
                    ));
                } else if let Some(ns) = &node_schema {
                    errs.extend(validate_default_value(ns, &go_default, &default_path));
                }
            }
        } else {
            if require_pruned {
                let mut pruned = go_default.clone();
                crate::structural::prune_with(&mut pruned, s, s.x_embedded_resource);
                if pruned != go_default {
                    errs.push(FieldError::invalid(
                        &default_path,
                        go_default.clone(),
                        "must not have unknown fields",
                    ));
                }
            }
            let mut coerced = go_default.clone();
            match objectmeta::coerce(
                &default_path,
                &mut coerced,
                Some(s),
                s.x_embedded_resource,
                false,
            ) {
                Err(err) => errs.push(err),
                Ok(_) => {
                    let meta_errs = objectmeta::validate_embedded(
                        &default_path,
                        &go_default,
                        Some(s),
                        s.x_embedded_resource,
                    );
                    if !meta_errs.is_empty() {
                        errs.extend(meta_errs);
                    } else if let Some(ns) = &node_schema {
                        errs.extend(validate_default_value(ns, &go_default, &default_path));
                    }
                }
            }
        }
    }
    if let (Some(item_props), Some(item_s)) = (props.items_schema(), s.items.as_deref()) {
        local_surrounding.push(None);
        walk_defaults(
            &path.child("items"),
            item_props,
            item_s,
            root_schema,
            &mut local_surrounding,
            inside_meta,
            require_pruned,
            errs,
        );
        local_surrounding.pop();
    }
    for (k, sub) in &s.properties {
        let Some(sub_props) = props.properties.get(k) else {
            continue;
        };
        let sub_inside =
            inside_meta || (s.x_embedded_resource && META_FIELDS.contains(&k.as_str()));
        local_surrounding.push(Some(k.clone()));
        walk_defaults(
            &path.child("properties").key(k),
            sub_props,
            sub,
            root_schema,
            &mut local_surrounding,
            sub_inside,
            require_pruned,
            errs,
        );
        local_surrounding.pop();
    }
    if !s.x_embedded_resource {
        *surrounding = local_surrounding;
    }
}

fn surround(value: Value, path: &[Option<String>]) -> Value {
    let mut v = value;
    for seg in path.iter().rev() {
        v = match seg {
            Some(k) => {
                let mut m = serde_json::Map::new();
                m.insert(k.clone(), v);
                Value::Object(m)
            }
            None => Value::Array(vec![v]),
        };
    }
    v
}

fn validate_default_value(
    ns: &StructuralSchema,
    default: &Value,
    default_path: &Path,
) -> ErrorList {
    let errs = ns.validate_schema_at(default, default_path);
    if !errs.is_empty() {
        return errs;
    }
    crate::cel::validate_default_rules(ns, default, default_path)
}

/// Whether any default would change by pruning (`schemaHasUnprunedDefaults`, simplified to
/// pruning each default against its own schema).
pub(crate) fn structural_has_unpruned_defaults(s: &Structural) -> bool {
    if let Some(default) = &s.default {
        let mut pruned = default.clone();
        crate::structural::prune_with(&mut pruned, s, s.x_embedded_resource);
        if &pruned != default {
            return true;
        }
    }
    if let Some(ap) = s
        .additional_properties
        .as_ref()
        .and_then(|a| a.structural.as_deref())
    {
        if structural_has_unpruned_defaults(ap) {
            return true;
        }
    }
    if let Some(items) = &s.items {
        if structural_has_unpruned_defaults(items) {
            return true;
        }
    }
    s.properties.values().any(structural_has_unpruned_defaults)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: Value) -> Vec<String> {
        let props = SchemaProps::from_value(&schema).expect("decodes");
        let rules = HashSet::new();
        let opts = SchemaOptions {
            allow_defaults: true,
            require_valid_property_type: true,
            require_atomic_set_type: true,
            require_map_list_keys_map_set_validation: true,
            cel_enabled: false,
            preexisting_rules: &rules,
        };
        validate_openapi_schema(
            &props,
            &Path::new("spec")
                .child("validation")
                .child("openAPIV3Schema"),
            &opts,
        )
        .iter()
        .map(|e| e.to_string())
        .collect()
    }

    #[test]
    fn type_and_forbidden_keywords() {
        assert_eq!(
            run(json!({"type": "object", "properties": {"a": {"type": "foo"}}})),
            vec![
                r#"spec.validation.openAPIV3Schema.properties[a].type: Unsupported value: "foo": supported values: "array", "boolean", "integer", "number", "object", "string""#
            ]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"a": {"type": "null"}}})),
            vec![
                r#"spec.validation.openAPIV3Schema.properties[a].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string""#,
                "spec.validation.openAPIV3Schema.properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative",
            ]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"metadata": {"type": "object", "default": {}}}})),
            vec!["spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata"]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"a": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}}})),
            vec!["spec.validation.openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"a": {"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false}}})),
            vec!["spec.validation.openAPIV3Schema.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"]
        );
        assert_eq!(
            run(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": false})),
            vec!["spec.validation.openAPIV3Schema.x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"]
        );
    }

    #[test]
    fn list_and_map_rules() {
        assert_eq!(
            run(json!({"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}})),
            vec!["spec.validation.openAPIV3Schema.properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map"]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "nope"], "items": {"type": "object", "properties": {"name": {"type": "string", "nullable": true}}}}}})),
            vec![
                r#"spec.validation.openAPIV3Schema.properties[l].x-kubernetes-list-map-keys: Invalid value: ["name","nope"]: entries must all be names of item properties"#,
                "spec.validation.openAPIV3Schema.properties[l].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                "spec.validation.openAPIV3Schema.properties[l].items.properties[name].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
            ]
        );
        assert_eq!(
            run(json!({"type": "object", "properties": {"l": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "object"}}}})),
            vec!["spec.validation.openAPIV3Schema.properties[l].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set"]
        );
        assert_eq!(
            run(
                json!({"type": "object", "properties": {"m": {"type": "string", "x-kubernetes-map-type": "weird"}}})
            ),
            vec![
                r#"spec.validation.openAPIV3Schema.properties[m].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified"#,
                r#"spec.validation.openAPIV3Schema.properties[m].x-kubernetes-map-type: Unsupported value: "weird": supported values: "atomic", "granular""#,
            ]
        );
    }

    #[test]
    fn rule_shapes() {
        assert_eq!(
            run(json!({"type": "object", "x-kubernetes-validations": [{"rule": " "}, {"rule": "a", "message": " "}, {"rule": "a\nb"}, {"rule": "x", "reason": "Nope"}]})),
            vec![
                "spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule: Required value: rule is not specified",
                r#"spec.validation.openAPIV3Schema.x-kubernetes-validations[1].message: Invalid value: " ": must be non-empty if specified"#,
                "spec.validation.openAPIV3Schema.x-kubernetes-validations[2].message: Required value: message must be specified if rule contains line breaks",
                r#"spec.validation.openAPIV3Schema.x-kubernetes-validations[3].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired""#,
            ]
        );
    }

    #[test]
    fn defaults_must_validate_and_be_pruned() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "size": {"type": "integer", "maximum": 3, "default": 5},
            "obj": {"type": "object", "properties": {"a": {"type": "string"}}, "default": {"a": "x", "b": 1}},
            "name": {"type": "string", "default": 7}
        }}}});
        let props = SchemaProps::from_value(&schema).expect("decodes");
        let s = Structural::from_props(&props).expect("structural");
        let errs: Vec<String> = validate_defaults(
            &Path::new("spec")
                .child("validation")
                .child("openAPIV3Schema"),
            &props,
            &s,
            true,
        )
        .iter()
        .map(|e| e.to_string())
        .collect();
        assert_eq!(
            errs,
            vec![
                "spec.validation.openAPIV3Schema.properties[spec].properties[name].default: Invalid value: \"number\":  in body must be of type string: \"number\"",
                r#"spec.validation.openAPIV3Schema.properties[spec].properties[obj].default: Invalid value: {"a":"x","b":1}: must not have unknown fields"#,
                "spec.validation.openAPIV3Schema.properties[spec].properties[size].default: Invalid value: 5:  in body should be less than or equal to 3",
            ]
        );
    }
}
