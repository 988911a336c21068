//! The structural schema (apiextensions `pkg/apiserver/schema`): the typed skeleton used for
//! pruning, defaulting, list-type checks and CEL, its construction from [`SchemaProps`] and
//! the structural-schema rules enforced at CRD time (`ValidateStructural`).

use crate::field::{ErrorList, FieldError, Path};
use crate::goregex;
use crate::openapi::{ItemsOrArray, SchemaProps, ValidationRule};
use serde_json::Value;
use std::collections::BTreeMap;

/// `additionalProperties` of a structural schema.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuralOrBool {
    /// The value schema, if one was given.
    pub structural: Option<Box<Structural>>,
    /// `true` when a schema or `true` was given.
    pub allows: bool,
}

/// Value validations (the non-structural keywords).
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct ValueValidation {
    pub format: String,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub max_length: Option<i64>,
    pub min_length: Option<i64>,
    pub pattern: String,
    pub max_items: Option<i64>,
    pub min_items: Option<i64>,
    pub unique_items: bool,
    pub multiple_of: Option<f64>,
    pub enum_values: Vec<Value>,
    pub max_properties: Option<i64>,
    pub min_properties: Option<i64>,
    pub required: Vec<String>,
    pub all_of: Vec<NestedValueValidation>,
    pub one_of: Vec<NestedValueValidation>,
    pub any_of: Vec<NestedValueValidation>,
    pub not: Option<Box<NestedValueValidation>>,
}

/// A schema inside `allOf`/`anyOf`/`oneOf`/`not`: value validations only; every structural
/// keyword is recorded as forbidden.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct NestedValueValidation {
    pub value_validation: ValueValidation,
    pub x_validations: Vec<ValidationRule>,
    pub items: Option<Box<NestedValueValidation>>,
    pub properties: BTreeMap<String, NestedValueValidation>,
    pub additional_properties: Option<Box<NestedValueValidation>>,
    pub forbidden_type: String,
    pub forbidden_title: String,
    pub forbidden_description: String,
    pub forbidden_default: bool,
    pub forbidden_nullable: bool,
    pub forbidden_preserve_unknown_fields: bool,
    pub forbidden_embedded_resource: bool,
    pub forbidden_int_or_string: bool,
    pub forbidden_list_map_keys: bool,
    pub forbidden_list_type: bool,
    pub forbidden_map_type: bool,
}

/// A structural schema node.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Structural {
    pub items: Option<Box<Structural>>,
    pub properties: BTreeMap<String, Structural>,
    pub additional_properties: Option<StructuralOrBool>,
    pub description: String,
    pub type_: String,
    pub title: String,
    pub default: Option<Value>,
    pub nullable: bool,
    pub has_external_docs: bool,
    pub example: Option<Value>,
    pub x_preserve_unknown_fields: bool,
    pub x_embedded_resource: bool,
    pub x_int_or_string: bool,
    pub x_list_map_keys: Vec<String>,
    pub x_list_type: Option<String>,
    pub x_map_type: Option<String>,
    pub x_validations: Vec<ValidationRule>,
    pub value_validation: Option<ValueValidation>,
}

fn unsupported(s: &SchemaProps) -> Result<(), String> {
    let message = if !s.id.is_empty() {
        "OpenAPIV3Schema 'id' is not supported"
    } else if !s.schema.is_empty() {
        "OpenAPIV3Schema 'schema' is not supported"
    } else if s.reference.as_deref().is_some_and(|r| !r.is_empty()) {
        "OpenAPIV3Schema '$ref' is not supported"
    } else if !s.pattern_properties.is_empty() {
        "OpenAPIV3Schema 'patternProperties' is not supported"
    } else if s.dependencies.as_ref().is_some_and(|d| !d.is_empty()) {
        "OpenAPIV3Schema 'dependencies' is not supported"
    } else if s.additional_items.is_some() {
        "OpenAPIV3Schema 'additionalItems' is not supported"
    } else if !s.definitions.is_empty() {
        "OpenAPIV3Schema 'definitions' is not supported"
    } else {
        return Ok(());
    };
    Err(message.to_string())
}

fn extensions_check(s: &SchemaProps) -> Result<(), String> {
    if s.x_preserve_unknown_fields == Some(false) {
        return Err(
            "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
                .to_string(),
        );
    }
    Ok(())
}

fn value_validation(s: &SchemaProps) -> Result<ValueValidation, String> {
    let nested = |list: &[SchemaProps]| -> Result<Vec<NestedValueValidation>, String> {
        list.iter().map(NestedValueValidation::from_props).collect()
    };
    Ok(ValueValidation {
        format: s.format.clone(),
        maximum: s.maximum,
        exclusive_maximum: s.exclusive_maximum,
        minimum: s.minimum,
        exclusive_minimum: s.exclusive_minimum,
        max_length: s.max_length,
        min_length: s.min_length,
        pattern: s.pattern.clone(),
        max_items: s.max_items,
        min_items: s.min_items,
        unique_items: s.unique_items,
        multiple_of: s.multiple_of,
        enum_values: s.enum_values.clone().unwrap_or_default(),
        max_properties: s.max_properties,
        min_properties: s.min_properties,
        required: s.required.clone(),
        all_of: nested(&s.all_of)?,
        one_of: nested(&s.one_of)?,
        any_of: nested(&s.any_of)?,
        not: match &s.not {
            Some(n) => Some(Box::new(NestedValueValidation::from_props(n)?)),
            None => None,
        },
    })
}

impl NestedValueValidation {
    fn from_props(s: &SchemaProps) -> Result<NestedValueValidation, String> {
        unsupported(s)?;
        let value_validation = value_validation(s)?;
        extensions_check(s)?;
        let items = match &s.items {
            Some(ItemsOrArray::Array(list)) if !list.is_empty() => {
                return Err("OpenAPIV3Schema 'items' must be a schema, but is an array".into())
            }
            Some(ItemsOrArray::Schema(item)) => Some(Box::new(Self::from_props(item)?)),
            _ => None,
        };
        let mut properties = BTreeMap::new();
        for (k, v) in &s.properties {
            properties.insert(k.clone(), Self::from_props(v)?);
        }
        let additional_properties = match &s.additional_properties {
            Some(sob) => match &sob.schema {
                Some(schema) => Some(Box::new(Self::from_props(schema)?)),
                None if sob.allows => Some(Box::default()),
                None => None,
            },
            None => None,
        };
        Ok(NestedValueValidation {
            value_validation,
            x_validations: s.x_validations.clone(),
            items,
            properties,
            additional_properties,
            forbidden_type: s.type_.clone(),
            forbidden_title: s.title.clone(),
            forbidden_description: s.description.clone(),
            forbidden_default: s.default.is_some(),
            forbidden_nullable: s.nullable,
            forbidden_preserve_unknown_fields: s.x_preserve_unknown_fields == Some(true),
            forbidden_embedded_resource: s.x_embedded_resource,
            forbidden_int_or_string: s.x_int_or_string,
            forbidden_list_map_keys: !s.x_list_map_keys.is_empty(),
            forbidden_list_type: s.x_list_type.is_some(),
            forbidden_map_type: s.x_map_type.is_some(),
        })
    }

    fn is_only_type(&self, type_: &str) -> bool {
        let mut expected = NestedValueValidation {
            forbidden_type: type_.to_string(),
            ..Default::default()
        };
        expected.value_validation = self.value_validation.clone();
        self.value_validation == ValueValidation::default() && *self == expected
    }
}

impl Structural {
    /// Builds the structural schema (upstream `NewStructural`); errors such as
    /// `OpenAPIV3Schema 'id' is not supported`.
    pub fn from_props(s: &SchemaProps) -> Result<Structural, String> {
        unsupported(s)?;
        let vv = value_validation(s)?;
        extensions_check(s)?;
        let items = match &s.items {
            Some(ItemsOrArray::Array(list)) if !list.is_empty() => {
                return Err("OpenAPIV3Schema 'items' must be a schema, but is an array".into())
            }
            Some(ItemsOrArray::Schema(item)) => Some(Box::new(Structural::from_props(item)?)),
            _ => None,
        };
        let mut properties = BTreeMap::new();
        for (k, v) in &s.properties {
            properties.insert(k.clone(), Structural::from_props(v)?);
        }
        let additional_properties = match &s.additional_properties {
            Some(sob) => Some(match &sob.schema {
                Some(schema) => StructuralOrBool {
                    structural: Some(Box::new(Structural::from_props(schema)?)),
                    allows: true,
                },
                None => StructuralOrBool {
                    structural: None,
                    allows: sob.allows,
                },
            }),
            None => None,
        };
        Ok(Structural {
            items,
            properties,
            additional_properties,
            description: s.description.clone(),
            type_: s.type_.clone(),
            title: s.title.clone(),
            default: s.default.clone(),
            nullable: s.nullable,
            has_external_docs: s.external_docs.is_some(),
            example: s.example.clone(),
            x_preserve_unknown_fields: s.x_preserve_unknown_fields == Some(true),
            x_embedded_resource: s.x_embedded_resource,
            x_int_or_string: s.x_int_or_string,
            x_list_map_keys: s.x_list_map_keys.clone(),
            x_list_type: s.x_list_type.clone(),
            x_map_type: s.x_map_type.clone(),
            x_validations: s.x_validations.clone(),
            value_validation: Some(vv),
        })
    }

    /// The schema that applies to the value of `key` in an object: the property schema or the
    /// `additionalProperties` schema.
    pub fn child(&self, key: &str) -> Option<&Structural> {
        match self.properties.get(key) {
            Some(p) => Some(p),
            None => self
                .additional_properties
                .as_ref()
                .and_then(|a| a.structural.as_deref()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

/// Upstream `ValidateStructural`: structural invariants plus completeness, sorted by their
/// full message.
pub fn validate_structural(path: &Path, s: &Structural) -> ErrorList {
    let mut errs = ErrorList::new();
    invariants(s, Level::Root, path, &mut errs);
    completeness_value(s.value_validation.as_ref(), Some(s), path, path, &mut errs);
    errs.sort_by_message();
    errs
}

fn is_int_or_string_pair(list: &[NestedValueValidation]) -> bool {
    list.len() == 2 && list[0].is_only_type("integer") && list[1].is_only_type("string")
}

fn invariants(s: &Structural, lvl: Level, path: &Path, errs: &mut ErrorList) {
    if s.type_ == "array" && s.items.is_none() {
        errs.push(FieldError::required(
            &path.child("items"),
            "must be specified",
        ));
    }
    if let Some(items) = &s.items {
        invariants(items, Level::Item, &path.child("items"), errs);
    }
    for (k, v) in &s.properties {
        invariants(v, Level::Field, &path.child("properties").key(k), errs);
    }
    if let Some(ap) = &s.additional_properties {
        if lvl == Level::Root {
            errs.push(FieldError::forbidden(
                &path.child("additionalProperties"),
                "must not be used at the root",
            ));
        }
        if let Some(st) = &ap.structural {
            invariants(st, Level::Field, &path.child("additionalProperties"), errs);
        }
    }
    if s.x_int_or_string && s.x_preserve_unknown_fields {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if s.x_int_or_string && s.x_embedded_resource {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-embedded-resource"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if let Some(vv) = &s.value_validation {
        let skip_any_of = is_int_or_string_pair(&vv.any_of);
        let skip_first_all_of_any_of = vv
            .all_of
            .first()
            .is_some_and(|a| is_int_or_string_pair(&a.value_validation.any_of));
        value_validation_invariants(vv, skip_any_of, skip_first_all_of_any_of, path, errs);
    }
    let check_metadata = lvl == Level::Root || s.x_embedded_resource;
    if s.x_embedded_resource && s.type_ != "object" {
        if s.type_.is_empty() {
            errs.push(FieldError::required(
                &path.child("type"),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            errs.push(FieldError::invalid(
                &path.child("type"),
                s.type_.as_str(),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    } else if s.type_.is_empty() && !s.x_int_or_string && !s.x_preserve_unknown_fields {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(&path.child("type"), detail));
    }
    if s.x_embedded_resource && s.additional_properties.is_some() {
        errs.push(FieldError::forbidden(
            &path.child("additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !s.type_.is_empty() && s.type_ != "object" {
        errs.push(FieldError::invalid(
            &path.child("type"),
            s.type_.as_str(),
            "must be object at the root",
        ));
    }
    if check_metadata {
        for key in ["kind", "apiVersion"] {
            if let Some(p) = s.properties.get(key) {
                if p.type_ != "string" {
                    errs.push(FieldError::invalid(
                        &path.child("properties").key(key).child("type"),
                        p.type_.as_str(),
                        "must be string",
                    ));
                }
            }
        }
    }
    if let Some(metadata) = s.properties.get("metadata") {
        let mpath = path.child("properties").key("metadata");
        if check_metadata && metadata.type_ != "object" {
            errs.push(FieldError::invalid(
                &mpath.child("type"),
                metadata.type_.as_str(),
                "must be object",
            ));
        }
        if lvl == Level::Root {
            let mut m = metadata.clone();
            let has_name = m.properties.contains_key("name");
            let has_generate = m.properties.contains_key("generateName");
            if (has_name && has_generate && m.properties.len() == 2)
                || ((has_name || has_generate) && m.properties.len() == 1)
            {
                m.properties.clear();
            }
            m.type_.clear();
            m.default = None;
            if m.value_validation.is_none() {
                m.value_validation = Some(ValueValidation::default());
            }
            let expected = Structural {
                value_validation: Some(ValueValidation::default()),
                ..Structural::default()
            };
            if m != expected {
                errs.push(FieldError::forbidden(
                    &mpath,
                    "must not specify anything other than name and generateName, but metadata is implicitly specified",
                ));
            }
        }
    }
    if s.x_embedded_resource && !s.x_preserve_unknown_fields && s.properties.is_empty() {
        errs.push(FieldError::required(
            &path.child("properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

fn value_validation_invariants(
    v: &ValueValidation,
    skip_any_of: bool,
    skip_first_all_of_any_of: bool,
    path: &Path,
    errs: &mut ErrorList,
) {
    if !skip_any_of {
        for (i, n) in v.any_of.iter().enumerate() {
            nested_invariants(n, false, &path.child("anyOf").index(i), errs);
        }
    }
    for (i, n) in v.all_of.iter().enumerate() {
        let skip = skip_first_all_of_any_of && i == 0;
        nested_invariants(n, skip, &path.child("allOf").index(i), errs);
    }
    for (i, n) in v.one_of.iter().enumerate() {
        nested_invariants(n, false, &path.child("oneOf").index(i), errs);
    }
    if let Some(n) = &v.not {
        nested_invariants(n, false, &path.child("not"), errs);
    }
    if !v.pattern.is_empty() {
        if let Err(err) = goregex::compile(&v.pattern) {
            errs.push(FieldError::invalid(
                &path.child("pattern"),
                v.pattern.as_str(),
                format!("must be a valid regular expression, but isn't: {err}"),
            ));
        }
    }
}

fn nested_invariants(
    v: &NestedValueValidation,
    skip_any_of: bool,
    path: &Path,
    errs: &mut ErrorList,
) {
    value_validation_invariants(&v.value_validation, skip_any_of, false, path, errs);
    if let Some(items) = &v.items {
        nested_invariants(items, false, &path.child("items"), errs);
    }
    for (k, p) in &v.properties {
        nested_invariants(p, false, &path.child("properties").key(k), errs);
    }
    if !v.forbidden_type.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("type"),
            "must be empty to be structural",
        ));
    }
    if v.additional_properties.is_some() {
        errs.push(FieldError::forbidden(
            &path.child("additionalProperties"),
            "must be undefined to be structural",
        ));
    }
    if v.forbidden_default {
        errs.push(FieldError::forbidden(
            &path.child("default"),
            "must be undefined to be structural",
        ));
    }
    if !v.forbidden_title.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("title"),
            "must be empty to be structural",
        ));
    }
    if !v.forbidden_description.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("description"),
            "must be empty to be structural",
        ));
    }
    if v.forbidden_nullable {
        errs.push(FieldError::forbidden(
            &path.child("nullable"),
            "must be false to be structural",
        ));
    }
    let flags = [
        (
            v.forbidden_preserve_unknown_fields,
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        ),
        (
            v.forbidden_embedded_resource,
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        ),
        (
            v.forbidden_int_or_string,
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        ),
        (
            v.forbidden_list_map_keys,
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        ),
        (
            v.forbidden_list_type,
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        ),
        (
            v.forbidden_map_type,
            "x-kubernetes-map-type",
            "must be undefined to be structural",
        ),
        (
            !v.x_validations.is_empty(),
            "x-kubernetes-validations",
            "must be empty to be structural",
        ),
    ];
    for (set, name, detail) in flags {
        if set {
            errs.push(FieldError::forbidden(&path.child(name), detail));
        }
    }
    if v.properties.contains_key("metadata") {
        errs.push(FieldError::forbidden(
            &path.child("properties").key("metadata"),
            "must not be specified in a nested context",
        ));
    }
}

fn completeness_value(
    v: Option<&ValueValidation>,
    s: Option<&Structural>,
    s_path: &Path,
    v_path: &Path,
    errs: &mut ErrorList,
) {
    let Some(v) = v else { return };
    let Some(s) = s else {
        errs.push(FieldError::required(
            s_path,
            format!("because it is defined in {v_path}"),
        ));
        return;
    };
    if let Some(n) = &v.not {
        completeness_nested(n, Some(s), s_path, &v_path.child("not"), errs);
    }
    for (name, list) in [
        ("allOf", &v.all_of),
        ("anyOf", &v.any_of),
        ("oneOf", &v.one_of),
    ] {
        for (i, n) in list.iter().enumerate() {
            completeness_nested(n, Some(s), s_path, &v_path.child(name).index(i), errs);
        }
    }
}

fn completeness_nested(
    v: &NestedValueValidation,
    s: Option<&Structural>,
    s_path: &Path,
    v_path: &Path,
    errs: &mut ErrorList,
) {
    let Some(s) = s else {
        errs.push(FieldError::required(
            s_path,
            format!("because it is defined in {v_path}"),
        ));
        return;
    };
    completeness_value(Some(&v.value_validation), Some(s), s_path, v_path, errs);
    if let Some(items) = &v.items {
        completeness_nested(
            items,
            s.items.as_deref(),
            &s_path.child("items"),
            &v_path.child("items"),
            errs,
        );
    }
    for (k, field) in &v.properties {
        match s.properties.get(k) {
            None => errs.push(FieldError::required(
                &s_path.child("properties").key(k),
                format!(
                    "because it is defined in {}",
                    v_path.child("properties").key(k)
                ),
            )),
            Some(sf) => completeness_nested(
                field,
                Some(sf),
                &s_path.child("properties").key(k),
                &v_path.child("properties").key(k),
                errs,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn structural(v: Value) -> Structural {
        let props = SchemaProps::from_value(&v).expect("decodes");
        Structural::from_props(&props).expect("structural")
    }

    fn messages(v: Value) -> Vec<String> {
        let s = structural(v);
        validate_structural(
            &Path::new("spec")
                .child("validation")
                .child("openAPIV3Schema"),
            &s,
        )
        .iter()
        .map(|e| e.to_string())
        .collect()
    }

    #[test]
    fn missing_types() {
        assert_eq!(
            messages(json!({"type": "object", "properties": {"spec": {"properties": {"a": {"type": "array"}}}}})),
            vec![
                "spec.validation.openAPIV3Schema.properties[spec].properties[a].items: Required value: must be specified",
                "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
            ]
        );
        assert_eq!(
            messages(json!({"properties": {}})),
            vec!["spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root"]
        );
    }

    #[test]
    fn root_rules() {
        assert_eq!(
            messages(json!({"type": "array", "items": {"type": "string"}})),
            vec![
                r#"spec.validation.openAPIV3Schema.type: Invalid value: "array": must be object at the root"#
            ]
        );
        assert_eq!(
            messages(json!({"type": "object", "additionalProperties": {"type": "string"}})),
            vec!["spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root"]
        );
        assert_eq!(
            messages(json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"labels": {"type": "object"}}}}})),
            vec!["spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"]
        );
        assert!(messages(json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}}}})).is_empty());
    }

    #[test]
    fn nested_contexts_and_int_or_string() {
        assert!(messages(json!({"type": "object", "properties": {"p": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}}})).is_empty());
        assert_eq!(
            messages(json!({"type": "object", "properties": {"spec": {"type": "object"}}, "anyOf": [{"type": "object", "properties": {"spec": {"properties": {"foo": {"nullable": true}}}}}]})),
            vec![
                "spec.validation.openAPIV3Schema.anyOf[0].properties[spec].properties[foo].nullable: Forbidden: must be false to be structural",
                "spec.validation.openAPIV3Schema.anyOf[0].type: Forbidden: must be empty to be structural",
                "spec.validation.openAPIV3Schema.properties[spec].properties[foo]: Required value: because it is defined in spec.validation.openAPIV3Schema.anyOf[0].properties[spec].properties[foo]",
            ]
        );
    }

    #[test]
    fn invalid_pattern() {
        assert_eq!(
            messages(
                json!({"type": "object", "properties": {"p": {"type": "string", "pattern": "(?=x)"}}})
            ),
            vec![
                r#"spec.validation.openAPIV3Schema.properties[p].pattern: Invalid value: "(?=x)": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"#
            ]
        );
    }

    #[test]
    fn unsupported_fields() {
        let props =
            SchemaProps::from_value(&json!({"type": "object", "$ref": "#/x"})).expect("decodes");
        assert_eq!(
            Structural::from_props(&props).unwrap_err(),
            "OpenAPIV3Schema '$ref' is not supported"
        );
    }
}
