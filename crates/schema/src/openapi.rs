//! The `JSONSchemaProps` model of a CRD's `openAPIV3Schema` (apiextensions' internal type),
//! decoded from `apiextensions.k8s.io/v1` JSON, plus the Go rendering of the internal struct
//! that upstream prints as the bad value of some CRD validation errors.

use crate::decode::Decoder;
use crate::gofmt;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One `x-kubernetes-validations` rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationRule {
    /// The CEL expression.
    pub rule: String,
    /// The static message.
    pub message: String,
    /// A CEL expression producing the message.
    pub message_expression: String,
    /// The cause reason (`FieldValueInvalid`...), if set.
    pub reason: Option<String>,
    /// A relative path where the error is reported.
    pub field_path: String,
    /// Whether `oldSelf` is optional (transition rules on create).
    pub optional_old_self: Option<bool>,
}

/// `items`: a schema or (invalid for CRDs) an array of schemas.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemsOrArray {
    /// A single schema for every item.
    Schema(Box<SchemaProps>),
    /// Per-position schemas (rejected by CRD validation).
    Array(Vec<SchemaProps>),
}

/// `additionalProperties` / `additionalItems`: a boolean or a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaOrBool {
    /// Whether additional entries are allowed (`true` when a schema is given).
    pub allows: bool,
    /// The schema, if one was given.
    pub schema: Option<Box<SchemaProps>>,
}

/// A `dependencies` entry: a schema or a list of property names.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaOrStringArray {
    /// The schema form.
    pub schema: Option<Box<SchemaProps>>,
    /// The property-list form.
    pub property: Vec<String>,
}

/// `externalDocs`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExternalDocs {
    /// Description.
    pub description: String,
    /// URL.
    pub url: String,
}

/// A JSON schema as a CRD declares it (apiextensions `JSONSchemaProps`).
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct SchemaProps {
    pub id: String,
    pub schema: String,
    pub reference: Option<String>,
    pub description: String,
    pub type_: String,
    pub nullable: bool,
    pub format: String,
    pub title: String,
    pub default: Option<Value>,
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
    pub enum_values: Option<Vec<Value>>,
    pub max_properties: Option<i64>,
    pub min_properties: Option<i64>,
    pub required: Vec<String>,
    pub items: Option<ItemsOrArray>,
    pub all_of: Vec<SchemaProps>,
    pub one_of: Vec<SchemaProps>,
    pub any_of: Vec<SchemaProps>,
    pub not: Option<Box<SchemaProps>>,
    pub properties: BTreeMap<String, SchemaProps>,
    pub additional_properties: Option<SchemaOrBool>,
    pub pattern_properties: BTreeMap<String, SchemaProps>,
    pub dependencies: Option<BTreeMap<String, SchemaOrStringArray>>,
    pub additional_items: Option<SchemaOrBool>,
    pub definitions: BTreeMap<String, SchemaProps>,
    pub external_docs: Option<ExternalDocs>,
    pub example: Option<Value>,
    pub x_preserve_unknown_fields: Option<bool>,
    pub x_embedded_resource: bool,
    pub x_int_or_string: bool,
    pub x_list_map_keys: Vec<String>,
    pub x_list_type: Option<String>,
    pub x_map_type: Option<String>,
    pub x_validations: Vec<ValidationRule>,
}

const SCHEMA_FIELDS: &[&str] = &[
    "id",
    "$schema",
    "$ref",
    "description",
    "type",
    "format",
    "title",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "enum",
    "maxProperties",
    "minProperties",
    "required",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "properties",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "additionalItems",
    "definitions",
    "externalDocs",
    "example",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

const STRUCT: &str = "JSONSchemaProps";

impl SchemaProps {
    /// Decodes a v1 `JSONSchemaProps` JSON value. Never fails: type errors and unknown
    /// fields are recorded in `decoder`.
    pub(crate) fn decode(d: &mut Decoder, value: &Value) -> SchemaProps {
        let Some(map) = d.object(STRUCT, Some(value), "v1.JSONSchemaProps") else {
            return SchemaProps::default();
        };
        d.check_known(map, SCHEMA_FIELDS);
        let mut s = SchemaProps {
            id: d.string(STRUCT, map, "id"),
            schema: d.string(STRUCT, map, "$schema"),
            reference: d.opt_string(STRUCT, map, "$ref"),
            description: d.string(STRUCT, map, "description"),
            type_: d.string(STRUCT, map, "type"),
            nullable: d.boolean(STRUCT, map, "nullable"),
            format: d.string(STRUCT, map, "format"),
            title: d.string(STRUCT, map, "title"),
            default: json_field(map, "default"),
            maximum: d.opt_float(STRUCT, map, "maximum"),
            exclusive_maximum: d.boolean(STRUCT, map, "exclusiveMaximum"),
            minimum: d.opt_float(STRUCT, map, "minimum"),
            exclusive_minimum: d.boolean(STRUCT, map, "exclusiveMinimum"),
            max_length: d.opt_int(STRUCT, map, "maxLength", "int64"),
            min_length: d.opt_int(STRUCT, map, "minLength", "int64"),
            pattern: d.string(STRUCT, map, "pattern"),
            max_items: d.opt_int(STRUCT, map, "maxItems", "int64"),
            min_items: d.opt_int(STRUCT, map, "minItems", "int64"),
            unique_items: d.boolean(STRUCT, map, "uniqueItems"),
            multiple_of: d.opt_float(STRUCT, map, "multipleOf"),
            enum_values: None,
            max_properties: d.opt_int(STRUCT, map, "maxProperties", "int64"),
            min_properties: d.opt_int(STRUCT, map, "minProperties", "int64"),
            required: d.strings(STRUCT, map, "required"),
            example: json_field(map, "example"),
            x_preserve_unknown_fields: d.opt_bool(
                STRUCT,
                map,
                "x-kubernetes-preserve-unknown-fields",
            ),
            x_embedded_resource: d.boolean(STRUCT, map, "x-kubernetes-embedded-resource"),
            x_int_or_string: d.boolean(STRUCT, map, "x-kubernetes-int-or-string"),
            x_list_map_keys: d.strings(STRUCT, map, "x-kubernetes-list-map-keys"),
            x_list_type: d.opt_string(STRUCT, map, "x-kubernetes-list-type"),
            x_map_type: d.opt_string(STRUCT, map, "x-kubernetes-map-type"),
            ..SchemaProps::default()
        };
        match map.get("enum") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                s.enum_values = Some(
                    items
                        .iter()
                        .map(|v| if v.is_null() { Value::Null } else { v.clone() })
                        .collect(),
                )
            }
            Some(other) => d.at("enum", |d| d.type_error(STRUCT, other, "[]v1.JSON")),
        }
        s.items = match map.get("items") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(ItemsOrArray::Array(d.at("items", |d| {
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| d.at_index(i, |d| SchemaProps::decode(d, item)))
                    .collect()
            }))),
            Some(item @ Value::Object(_)) => Some(ItemsOrArray::Schema(Box::new(
                d.at("items", |d| SchemaProps::decode(d, item)),
            ))),
            Some(other) => {
                d.at("items", |d| {
                    d.type_error(STRUCT, other, "v1.JSONSchemaPropsOrArray")
                });
                None
            }
        };
        for (key, target) in [("allOf", 0), ("oneOf", 1), ("anyOf", 2)] {
            let list = d.list(STRUCT, map, key, "[]v1.JSONSchemaProps", |d, v| {
                Some(SchemaProps::decode(d, v))
            });
            match target {
                0 => s.all_of = list,
                1 => s.one_of = list,
                _ => s.any_of = list,
            }
        }
        if let Some(not) = map.get("not").filter(|v| !v.is_null()) {
            s.not = Some(Box::new(d.at("not", |d| SchemaProps::decode(d, not))));
        }
        s.properties = decode_schema_map(d, map, "properties");
        s.pattern_properties = decode_schema_map(d, map, "patternProperties");
        s.definitions = decode_schema_map(d, map, "definitions");
        s.additional_properties = decode_schema_or_bool(d, map, "additionalProperties");
        s.additional_items = decode_schema_or_bool(d, map, "additionalItems");
        if let Some(deps) = d.object(STRUCT, map.get("dependencies"), "v1.JSONSchemaDependencies") {
            let mut out = BTreeMap::new();
            d.at("dependencies", |d| {
                for (key, value) in deps {
                    let entry = d.at(key, |d| match value {
                        Value::Array(items) => SchemaOrStringArray {
                            schema: None,
                            property: items
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect(),
                        },
                        other => SchemaOrStringArray {
                            schema: Some(Box::new(SchemaProps::decode(d, other))),
                            property: Vec::new(),
                        },
                    });
                    out.insert(key.clone(), entry);
                }
            });
            s.dependencies = Some(out);
        }
        if let Some(docs) = d.object(STRUCT, map.get("externalDocs"), "v1.ExternalDocumentation") {
            s.external_docs = Some(d.at("externalDocs", |d| {
                d.check_known(docs, &["description", "url"]);
                ExternalDocs {
                    description: d.string("ExternalDocumentation", docs, "description"),
                    url: d.string("ExternalDocumentation", docs, "url"),
                }
            }));
        }
        s.x_validations = d.list(
            STRUCT,
            map,
            "x-kubernetes-validations",
            "v1.ValidationRules",
            |d, v| {
                let rule = d.object("ValidationRule", Some(v), "v1.ValidationRule")?;
                d.check_known(
                    rule,
                    &[
                        "rule",
                        "message",
                        "messageExpression",
                        "reason",
                        "fieldPath",
                        "optionalOldSelf",
                    ],
                );
                Some(ValidationRule {
                    rule: d.string("ValidationRule", rule, "rule"),
                    message: d.string("ValidationRule", rule, "message"),
                    message_expression: d.string("ValidationRule", rule, "messageExpression"),
                    reason: d.opt_string("ValidationRule", rule, "reason"),
                    field_path: d.string("ValidationRule", rule, "fieldPath"),
                    optional_old_self: d.opt_bool("ValidationRule", rule, "optionalOldSelf"),
                })
            },
        );
        s
    }

    /// Parses a v1 schema JSON value, returning the Go-style decode error if any.
    pub fn from_value(value: &Value) -> Result<SchemaProps, String> {
        let mut d = Decoder::new();
        let schema = SchemaProps::decode(&mut d, value);
        match d.error {
            Some(err) => Err(err),
            None => Ok(schema),
        }
    }

    /// The single item schema, if `items` is a schema.
    pub fn items_schema(&self) -> Option<&SchemaProps> {
        match &self.items {
            Some(ItemsOrArray::Schema(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether this schema or any nested schema satisfies `pred` (upstream `SchemaHas`).
    pub fn any(&self, pred: &mut dyn FnMut(&SchemaProps) -> bool) -> bool {
        if pred(self) {
            return true;
        }
        match &self.items {
            Some(ItemsOrArray::Schema(s)) if s.any(pred) => return true,
            Some(ItemsOrArray::Array(list)) if list.iter().any(|s| s.any(pred)) => return true,
            _ => {}
        }
        for list in [&self.all_of, &self.any_of, &self.one_of] {
            if list.iter().any(|s| s.any(pred)) {
                return true;
            }
        }
        if self.not.as_ref().is_some_and(|s| s.any(pred)) {
            return true;
        }
        if self.properties.values().any(|s| s.any(pred)) {
            return true;
        }
        if let Some(SchemaOrBool {
            schema: Some(s), ..
        }) = &self.additional_properties
        {
            if s.any(pred) {
                return true;
            }
        }
        if self.pattern_properties.values().any(|s| s.any(pred)) {
            return true;
        }
        if let Some(SchemaOrBool {
            schema: Some(s), ..
        }) = &self.additional_items
        {
            if s.any(pred) {
                return true;
            }
        }
        if self.definitions.values().any(|s| s.any(pred)) {
            return true;
        }
        if let Some(deps) = &self.dependencies {
            for dep in deps.values() {
                if dep.schema.as_ref().is_some_and(|s| s.any(pred)) {
                    return true;
                }
            }
        }
        false
    }

    /// Go `encoding/json` rendering of the internal struct (Go field names, declaration
    /// order), as upstream prints it as an error value.
    pub fn to_go_json(&self) -> String {
        let mut out = String::new();
        self.write_go_json(&mut out);
        out
    }

    fn write_go_json(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        let mut field = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{name}\":");
        };
        field(out, "ID");
        go_string(out, &self.id);
        field(out, "Schema");
        go_string(out, &self.schema);
        field(out, "Ref");
        go_opt_string(out, self.reference.as_deref());
        field(out, "Description");
        go_string(out, &self.description);
        field(out, "Type");
        go_string(out, &self.type_);
        field(out, "Nullable");
        go_bool(out, self.nullable);
        field(out, "Format");
        go_string(out, &self.format);
        field(out, "Title");
        go_string(out, &self.title);
        field(out, "Default");
        go_interface(out, self.default.as_ref());
        field(out, "Maximum");
        go_opt_float(out, self.maximum);
        field(out, "ExclusiveMaximum");
        go_bool(out, self.exclusive_maximum);
        field(out, "Minimum");
        go_opt_float(out, self.minimum);
        field(out, "ExclusiveMinimum");
        go_bool(out, self.exclusive_minimum);
        field(out, "MaxLength");
        go_opt_int(out, self.max_length);
        field(out, "MinLength");
        go_opt_int(out, self.min_length);
        field(out, "Pattern");
        go_string(out, &self.pattern);
        field(out, "MaxItems");
        go_opt_int(out, self.max_items);
        field(out, "MinItems");
        go_opt_int(out, self.min_items);
        field(out, "UniqueItems");
        go_bool(out, self.unique_items);
        field(out, "MultipleOf");
        go_opt_float(out, self.multiple_of);
        field(out, "Enum");
        match &self.enum_values {
            None => out.push_str("null"),
            Some(values) => {
                out.push('[');
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    go_interface(out, Some(v));
                }
                out.push(']');
            }
        }
        field(out, "MaxProperties");
        go_opt_int(out, self.max_properties);
        field(out, "MinProperties");
        go_opt_int(out, self.min_properties);
        field(out, "Required");
        go_strings(out, &self.required);
        field(out, "Items");
        match &self.items {
            None => out.push_str("null"),
            Some(items) => write_items_go_json(out, items),
        }
        for (name, list) in [
            ("AllOf", &self.all_of),
            ("OneOf", &self.one_of),
            ("AnyOf", &self.any_of),
        ] {
            field(out, name);
            go_schema_list(out, list);
        }
        field(out, "Not");
        match &self.not {
            None => out.push_str("null"),
            Some(s) => s.write_go_json(out),
        }
        field(out, "Properties");
        go_schema_map(out, &self.properties);
        field(out, "AdditionalProperties");
        go_schema_or_bool(out, self.additional_properties.as_ref());
        field(out, "PatternProperties");
        go_schema_map(out, &self.pattern_properties);
        field(out, "Dependencies");
        match &self.dependencies {
            None => out.push_str("null"),
            Some(deps) => {
                out.push('{');
                for (i, (k, dep)) in deps.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    gofmt::write_json_string(out, k);
                    out.push_str(":{\"Schema\":");
                    match &dep.schema {
                        None => out.push_str("null"),
                        Some(s) => s.write_go_json(out),
                    }
                    out.push_str(",\"Property\":");
                    go_strings(out, &dep.property);
                    out.push('}');
                }
                out.push('}');
            }
        }
        field(out, "AdditionalItems");
        go_schema_or_bool(out, self.additional_items.as_ref());
        field(out, "Definitions");
        go_schema_map(out, &self.definitions);
        field(out, "ExternalDocs");
        match &self.external_docs {
            None => out.push_str("null"),
            Some(docs) => {
                out.push_str("{\"Description\":");
                go_string(out, &docs.description);
                out.push_str(",\"URL\":");
                go_string(out, &docs.url);
                out.push('}');
            }
        }
        field(out, "Example");
        go_interface(out, self.example.as_ref());
        field(out, "XPreserveUnknownFields");
        match self.x_preserve_unknown_fields {
            None => out.push_str("null"),
            Some(b) => go_bool(out, b),
        }
        field(out, "XEmbeddedResource");
        go_bool(out, self.x_embedded_resource);
        field(out, "XIntOrString");
        go_bool(out, self.x_int_or_string);
        field(out, "XListMapKeys");
        go_strings(out, &self.x_list_map_keys);
        field(out, "XListType");
        go_opt_string(out, self.x_list_type.as_deref());
        field(out, "XMapType");
        go_opt_string(out, self.x_map_type.as_deref());
        field(out, "XValidations");
        if self.x_validations.is_empty() {
            out.push_str("null");
        } else {
            out.push('[');
            for (i, rule) in self.x_validations.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&rule.to_go_json());
            }
            out.push(']');
        }
        out.push('}');
    }
}

impl ValidationRule {
    /// Go rendering of the internal `ValidationRule` struct.
    pub fn to_go_json(&self) -> String {
        let mut out = String::from("{\"Rule\":");
        go_string(&mut out, &self.rule);
        out.push_str(",\"Message\":");
        go_string(&mut out, &self.message);
        out.push_str(",\"MessageExpression\":");
        go_string(&mut out, &self.message_expression);
        out.push_str(",\"Reason\":");
        go_opt_string(&mut out, self.reason.as_deref());
        out.push_str(",\"FieldPath\":");
        go_string(&mut out, &self.field_path);
        out.push_str(",\"OptionalOldSelf\":");
        match self.optional_old_self {
            None => out.push_str("null"),
            Some(b) => go_bool(&mut out, b),
        }
        out.push('}');
        out
    }
}

/// Go rendering of an internal `JSONSchemaPropsOrArray`.
pub(crate) fn write_items_go_json(out: &mut String, items: &ItemsOrArray) {
    out.push_str("{\"Schema\":");
    match items {
        ItemsOrArray::Schema(s) => {
            s.write_go_json(out);
            out.push_str(",\"JSONSchemas\":null}");
        }
        ItemsOrArray::Array(list) => {
            out.push_str("null,\"JSONSchemas\":");
            go_schema_list(out, list);
            out.push('}');
        }
    }
}

fn json_field(map: &Map<String, Value>, key: &str) -> Option<Value> {
    match map.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.clone()),
    }
}

fn decode_schema_map(
    d: &mut Decoder,
    map: &Map<String, Value>,
    key: &str,
) -> BTreeMap<String, SchemaProps> {
    let mut out = BTreeMap::new();
    if let Some(props) = d.object(STRUCT, map.get(key), "map[string]v1.JSONSchemaProps") {
        d.at(key, |d| {
            for (name, value) in props {
                let schema = d.at(name, |d| SchemaProps::decode(d, value));
                out.insert(name.clone(), schema);
            }
        });
    }
    out
}

fn decode_schema_or_bool(
    d: &mut Decoder,
    map: &Map<String, Value>,
    key: &str,
) -> Option<SchemaOrBool> {
    match map.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(SchemaOrBool {
            allows: *b,
            schema: None,
        }),
        Some(value @ Value::Object(_)) => Some(SchemaOrBool {
            allows: true,
            schema: Some(Box::new(d.at(key, |d| SchemaProps::decode(d, value)))),
        }),
        Some(other) => {
            d.at(key, |d| {
                d.type_error(STRUCT, other, "v1.JSONSchemaPropsOrBool")
            });
            None
        }
    }
}

pub(crate) fn go_string(out: &mut String, s: &str) {
    gofmt::write_json_string(out, s);
}

fn go_opt_string(out: &mut String, s: Option<&str>) {
    match s {
        None => out.push_str("null"),
        Some(s) => go_string(out, s),
    }
}

pub(crate) fn go_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

fn go_opt_float(out: &mut String, f: Option<f64>) {
    match f {
        None => out.push_str("null"),
        Some(f) => out.push_str(&gofmt::format_json_float(f)),
    }
}

fn go_opt_int(out: &mut String, n: Option<i64>) {
    match n {
        None => out.push_str("null"),
        Some(n) => {
            let _ = write!(out, "{n}");
        }
    }
}

pub(crate) fn go_strings(out: &mut String, list: &[String]) {
    if list.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_string(out, s);
    }
    out.push(']');
}

/// An internal `JSON` (`interface{}` holding the decoded value: numbers are float64).
fn go_interface(out: &mut String, value: Option<&Value>) {
    match value {
        None => out.push_str("null"),
        Some(v) => out.push_str(&gofmt::marshal_json(&as_go_floats(v))),
    }
}

/// Converts every number to a float, as Go's `interface{}` decoding does.
pub(crate) fn as_go_floats(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.iter().map(as_go_floats).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), as_go_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn go_schema_list(out: &mut String, list: &[SchemaProps]) {
    if list.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        s.write_go_json(out);
    }
    out.push(']');
}

fn go_schema_map(out: &mut String, map: &BTreeMap<String, SchemaProps>) {
    if map.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('{');
    for (i, (k, s)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_string(out, k);
        out.push(':');
        s.write_go_json(out);
    }
    out.push('}');
}

fn go_schema_or_bool(out: &mut String, value: Option<&SchemaOrBool>) {
    match value {
        None => out.push_str("null"),
        Some(sob) => {
            out.push_str("{\"Allows\":");
            go_bool(out, sob.allows);
            out.push_str(",\"Schema\":");
            match &sob.schema {
                None => out.push_str("null"),
                Some(s) => s.write_go_json(out),
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_v1_schema() {
        let v = json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {"size": {"type": "integer", "maximum": 10, "default": 3}}},
                "list": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"}
            },
            "additionalProperties": false,
            "x-kubernetes-validations": [{"rule": "self.x", "reason": "FieldValueForbidden"}]
        });
        let s = SchemaProps::from_value(&v).expect("decodes");
        assert_eq!(s.type_, "object");
        assert_eq!(s.properties["spec"].properties["size"].maximum, Some(10.0));
        assert_eq!(
            s.properties["spec"].properties["size"].default,
            Some(json!(3))
        );
        assert_eq!(
            s.properties["list"]
                .items_schema()
                .map(|i| i.type_.as_str()),
            Some("string")
        );
        assert_eq!(
            s.additional_properties,
            Some(SchemaOrBool {
                allows: false,
                schema: None
            })
        );
        assert_eq!(
            s.x_validations[0].reason.as_deref(),
            Some("FieldValueForbidden")
        );
    }

    #[test]
    fn type_errors_and_unknown_fields() {
        let err = SchemaProps::from_value(&json!({"properties": {"a": {"type": 5}}})).unwrap_err();
        assert_eq!(
            err,
            "json: cannot unmarshal number into Go struct field JSONSchemaProps.properties.a.type of type string"
        );
        let mut d = Decoder::new();
        SchemaProps::decode(
            &mut d,
            &json!({"type": "object", "requred": ["a"], "properties": {"a": {"tpye": "string"}}}),
        );
        assert_eq!(
            d.unknown,
            vec!["requred".to_string(), "properties.a.tpye".to_string()]
        );
    }

    #[test]
    fn go_rendering_of_rule() {
        let rule = ValidationRule {
            rule: "self > 0".into(),
            ..Default::default()
        };
        assert_eq!(
            rule.to_go_json(),
            r#"{"Rule":"self \u003e 0","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}"#
        );
        let s = SchemaProps {
            type_: "string".into(),
            default: Some(json!(1)),
            ..Default::default()
        };
        let text = s.to_go_json();
        assert!(text.starts_with(r#"{"ID":"","Schema":"","Ref":null,"Description":"","Type":"string","Nullable":false,"Format":"","Title":"","Default":1,"Maximum":null"#), "{text}");
        assert!(
            text.ends_with(r#""XListType":null,"XMapType":null,"XValidations":null}"#),
            "{text}"
        );
    }
}
