//! Value validation of custom resources against their OpenAPI schema, emulating
//! kube-openapi's `validate.SchemaValidator` as apiextensions configures it (message texts,
//! which keywords apply to which JSON kinds, the absence of short-circuits, anyOf/oneOf
//! best-failure selection) and `kubeOpenAPIResultToFieldErrors`.
//!
//! Patterns are compiled once when the validator is built.

use super::formats;
use crate::field::{ErrorList, FieldError, Path};
use crate::gofmt;
use crate::goregex;
use crate::openapi::{ItemsOrArray, SchemaProps};
use regex::Regex;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A compiled validation schema (kube-openapi `spec.Schema` after apiextensions'
/// conversion and format post-processing).
#[derive(Debug, Clone, Default)]
pub(crate) struct VSchema {
    types: Vec<String>,
    nullable: bool,
    format: String,
    enum_values: Option<Vec<Value>>,
    maximum: Option<f64>,
    exclusive_maximum: bool,
    minimum: Option<f64>,
    exclusive_minimum: bool,
    multiple_of: Option<f64>,
    max_length: Option<i64>,
    min_length: Option<i64>,
    pattern: Option<(String, Result<Regex, String>)>,
    max_items: Option<i64>,
    min_items: Option<i64>,
    unique_items: bool,
    max_properties: Option<i64>,
    min_properties: Option<i64>,
    required: Vec<String>,
    pub(crate) properties: BTreeMap<String, VSchema>,
    /// `(allows, schema)`.
    pub(crate) additional_properties: Option<(bool, Option<Box<VSchema>>)>,
    pub(crate) items: Option<Box<VSchema>>,
    all_of: Vec<VSchema>,
    any_of: Vec<VSchema>,
    one_of: Vec<VSchema>,
    not: Option<Box<VSchema>>,
    /// `x-kubernetes-list-type` and map keys, used for ratcheting correlation.
    pub(crate) list_type: Option<String>,
    pub(crate) list_map_keys: Vec<String>,
}

impl VSchema {
    /// Converts a CRD schema (apiextensions `ConvertJSONSchemaPropsWithPostProcess`).
    pub(crate) fn from_props(s: &SchemaProps) -> VSchema {
        let mut types = Vec::new();
        if !s.type_.is_empty() {
            types.push(s.type_.clone());
        }
        if s.x_int_or_string {
            types = vec!["integer".to_string(), "string".to_string()];
        }
        let single_type = if types.len() == 1 {
            types[0].as_str()
        } else {
            ""
        };
        let format = formats::effective_format(&s.format, single_type);
        let list = |l: &[SchemaProps]| l.iter().map(VSchema::from_props).collect::<Vec<_>>();
        VSchema {
            nullable: s.nullable,
            format,
            enum_values: s.enum_values.clone(),
            maximum: s.maximum,
            exclusive_maximum: s.exclusive_maximum,
            minimum: s.minimum,
            exclusive_minimum: s.exclusive_minimum,
            multiple_of: s.multiple_of,
            max_length: s.max_length,
            min_length: s.min_length,
            pattern: if s.pattern.is_empty() {
                None
            } else {
                Some((s.pattern.clone(), goregex::compile(&s.pattern)))
            },
            max_items: s.max_items,
            min_items: s.min_items,
            unique_items: s.unique_items,
            max_properties: s.max_properties,
            min_properties: s.min_properties,
            required: s.required.clone(),
            properties: s
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), VSchema::from_props(v)))
                .collect(),
            additional_properties: s.additional_properties.as_ref().map(|sob| {
                (
                    sob.allows,
                    sob.schema
                        .as_ref()
                        .map(|x| Box::new(VSchema::from_props(x))),
                )
            }),
            items: match &s.items {
                Some(ItemsOrArray::Schema(item)) => Some(Box::new(VSchema::from_props(item))),
                _ => None,
            },
            all_of: list(&s.all_of),
            any_of: list(&s.any_of),
            one_of: list(&s.one_of),
            not: s.not.as_ref().map(|n| Box::new(VSchema::from_props(n))),
            list_type: s.x_list_type.clone(),
            list_map_keys: s.x_list_map_keys.clone(),
            types,
        }
    }

    fn has_type(&self, t: &str) -> bool {
        self.types.iter().any(|x| x == t)
    }

    /// The schema that applies to an object key, for correlation (`Key`).
    fn field_schema(&self, key: &str) -> Option<&VSchema> {
        match self.properties.get(key) {
            Some(p) => Some(p),
            None => self
                .additional_properties
                .as_ref()
                .and_then(|(_, s)| s.as_deref()),
        }
    }
}

/// kube-openapi error codes that `kubeOpenAPIResultToFieldErrors` distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    InvalidType,
    Required,
    TooLong,
    Enum,
    MaxItems,
    TooManyProperties,
    Other,
}

/// One kube-openapi error.
#[derive(Debug, Clone)]
enum OErr {
    Validation {
        code: Code,
        name: String,
        value: Option<Value>,
        valid: Option<i64>,
        values: Vec<Value>,
        message: String,
    },
    Plain(String),
}

impl OErr {
    fn message(&self) -> &str {
        match self {
            OErr::Validation { message, .. } | OErr::Plain(message) => message,
        }
    }

    /// An error carrying a size and its bound (`Value`/`Valid`).
    fn bounded(code: Code, name: &str, value: Value, valid: i64, message: String) -> OErr {
        OErr::Validation {
            code,
            name: name.to_string(),
            value: Some(value),
            valid: Some(valid),
            values: Vec::new(),
            message,
        }
    }

    fn validation(code: Code, name: &str, value: Option<Value>, message: String) -> OErr {
        OErr::Validation {
            code,
            name: name.to_string(),
            value,
            valid: None,
            values: Vec::new(),
            message,
        }
    }
}

/// kube-openapi `validate.Result`.
#[derive(Debug, Default)]
struct VResult {
    errors: Vec<OErr>,
    match_count: usize,
}

impl VResult {
    fn add(&mut self, err: OErr) {
        if !self.errors.iter().any(|e| e.message() == err.message()) {
            self.errors.push(err);
        }
    }

    fn merge(&mut self, other: VResult) {
        for e in other.errors {
            self.add(e);
        }
        self.match_count += other.match_count;
    }

    fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

const IN: &str = "body";

/// The kube-openapi "JSON kind" of a decoded unstructured value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    String,
    Int,
    Float,
    Slice,
    Map,
}

fn kind_of(value: &Value) -> Option<Kind> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(_) => Kind::Bool,
        Value::String(_) => Kind::String,
        Value::Number(n) if n.is_f64() => Kind::Float,
        Value::Number(_) => Kind::Int,
        Value::Array(_) => Kind::Slice,
        Value::Object(_) => Kind::Map,
    })
}

/// kube-openapi's schema type name for a value's kind and its implied format.
fn schema_info(value: &Value) -> (&'static str, &'static str) {
    match kind_of(value) {
        Some(Kind::Bool) => ("boolean", ""),
        Some(Kind::String) => ("string", ""),
        Some(Kind::Int) => ("integer", "int64"),
        Some(Kind::Float) => ("number", "float64"),
        Some(Kind::Slice) => ("array", ""),
        Some(Kind::Map) => ("object", ""),
        None => ("", ""),
    }
}

fn as_f64(value: &Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// swag `IsFloat64AJSONInteger`.
fn is_float_a_json_integer(f: f64) -> bool {
    const MAX: f64 = 9_007_199_254_740_992.0;
    if !f.is_finite() || !(-MAX..=MAX).contains(&f) {
        return false;
    }
    let g = f.trunc();
    if f == g {
        return true;
    }
    let fa = f.abs();
    if fa < 1e-9 {
        return true;
    }
    (f - g).abs() / fa < 1e-9
}

/// Renders a bound with Go `%v`: as int64 for integer data, as float otherwise.
fn bound_text(bound: f64, int_data: bool) -> String {
    if int_data {
        (bound as i64).to_string()
    } else {
        gofmt::format_float(bound)
    }
}

/// The validation context: the old object for ratcheting (update only).
struct Walk;

impl Walk {
    /// `SchemaValidator.Validate` for `data` at `path`, with the correlated old value (if any)
    /// for ratcheting.
    fn validate(
        &self,
        s: &VSchema,
        data: &Value,
        path: &mut String,
        old: Option<&Value>,
    ) -> VResult {
        let mut result = VResult::default();
        let Some(kind) = kind_of(data) else {
            // null: type and enum checks only.
            if !s.types.is_empty() && !s.has_type("null") && !s.nullable {
                result.add(invalid_type(path, &s.types.join(","), "null"));
            }
            if let Some(err) = enum_check(s, data, path) {
                result.add(err);
            }
            return result;
        };
        // type validator
        if !s.types.is_empty() || !s.format.is_empty() {
            if let Some(err) = type_check(s, data, kind, path) {
                result.add(err);
            }
            result.match_count += 2;
        }
        // schema props validator (allOf/anyOf/oneOf/not)
        result.merge(self.schema_props(s, data, path, old));
        result.match_count += 1;
        // string validator
        if kind == Kind::String {
            if let Some(err) = string_check(s, data, path) {
                result.add(err);
            }
            result.match_count += 1;
        }
        // format validator
        if kind == Kind::String && formats::is_known(&s.format) {
            let text = data.as_str().unwrap_or("");
            if !formats::validates(&s.format, text) {
                result.add(invalid_type(path, &s.format, text));
            }
            result.match_count += 1;
        }
        // number validator
        if matches!(kind, Kind::Int | Kind::Float) {
            for err in number_check(s, data, kind, path) {
                result.add(err);
            }
            result.match_count += 2;
        }
        // slice validator
        if let Value::Array(items) = data {
            result.merge(self.slice(s, items, path, old));
            result.match_count += 1;
        }
        // common validator (enum)
        if let Some(err) = enum_check(s, data, path) {
            result.add(err);
        }
        result.match_count += 1;
        // object validator
        if let Value::Object(map) = data {
            result.merge(self.object(s, map, path, old));
            result.match_count += 1;
        }
        result.match_count += 1;
        result
    }

    /// A ratcheting child validation: errors on a node equal to its correlated old value are
    /// dropped (`ratchetingValueValidator`).
    fn validate_child(
        &self,
        s: &VSchema,
        data: &Value,
        path: &mut String,
        old: Option<&Value>,
    ) -> VResult {
        let result = self.validate(s, data, path, old);
        if !result.is_valid() {
            if let Some(old) = old {
                if correlated_equal(s, data, old) {
                    return VResult {
                        errors: Vec::new(),
                        match_count: result.match_count,
                    };
                }
            }
        }
        result
    }

    fn schema_props(
        &self,
        s: &VSchema,
        data: &Value,
        path: &mut String,
        old: Option<&Value>,
    ) -> VResult {
        let mut main = VResult::default();
        if !s.any_of.is_empty() {
            let mut best: Option<VResult> = None;
            let mut succeeded = false;
            for sub in &s.any_of {
                let r = self.validate(sub, data, path, old);
                if r.is_valid() {
                    succeeded = true;
                    best = Some(r);
                    break;
                }
                if best.as_ref().is_none_or(|b| r.match_count > b.match_count) {
                    best = Some(r);
                }
            }
            if !succeeded {
                main.add(OErr::Plain(format!(
                    "{} must validate at least one schema (anyOf)",
                    gofmt::quote(path)
                )));
            }
            if let Some(best) = best {
                main.merge(best);
            }
        }
        if !s.one_of.is_empty() {
            let mut best: Option<VResult> = None;
            let mut first_success: Option<VResult> = None;
            let mut validated = 0;
            for sub in &s.one_of {
                let r = self.validate(sub, data, path, old);
                if r.is_valid() {
                    validated += 1;
                    best = None;
                    if first_success.is_none() {
                        first_success = Some(r);
                    }
                    continue;
                }
                if validated == 0 && best.as_ref().is_none_or(|b| r.match_count > b.match_count) {
                    best = Some(r);
                }
            }
            if validated != 1 {
                let additional = if validated == 0 {
                    "Found none valid".to_string()
                } else {
                    format!("Found {validated} valid alternatives")
                };
                main.add(OErr::Plain(format!(
                    "{} must validate one and only one schema (oneOf). {additional}",
                    gofmt::quote(path)
                )));
                if let Some(best) = best {
                    main.merge(best);
                }
            } else if let Some(first) = first_success {
                main.merge(first);
            }
        }
        if !s.all_of.is_empty() {
            let mut validated = 0;
            for sub in &s.all_of {
                let r = self.validate(sub, data, path, old);
                if r.is_valid() {
                    validated += 1;
                }
                main.merge(r);
            }
            if validated != s.all_of.len() {
                let additional = if validated == 0 {
                    ". None validated"
                } else {
                    ""
                };
                main.add(OErr::Plain(format!(
                    "{} must validate all the schemas (allOf){additional}",
                    gofmt::quote(path)
                )));
            }
        }
        if let Some(not) = &s.not {
            if self.validate(not, data, path, old).is_valid() {
                main.add(OErr::Plain(format!(
                    "{} must not validate the schema (not)",
                    gofmt::quote(path)
                )));
            }
        }
        main.match_count += 1;
        main
    }

    fn slice(
        &self,
        s: &VSchema,
        items: &[Value],
        path: &mut String,
        old: Option<&Value>,
    ) -> VResult {
        let mut result = VResult::default();
        if let Some(item_schema) = &s.items {
            let old_items = old.and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let old_item = old_items.and_then(|o| correlate_index(s, item, o));
                let len = path.len();
                let _ = write!(path, "[{i}]");
                result.merge(self.validate_child(item_schema, item, path, old_item));
                path.truncate(len);
            }
        }
        let size = items.len() as i64;
        if let Some(min) = s.min_items {
            if size < min {
                result.add(OErr::bounded(
                    Code::Other,
                    path,
                    Value::from(size),
                    min,
                    format!("{path} in {IN} should have at least {min} items"),
                ));
            }
        }
        if let Some(max) = s.max_items {
            if size > max {
                result.add(OErr::bounded(
                    Code::MaxItems,
                    path,
                    Value::from(size),
                    max,
                    format!("{path} in {IN} should have at most {max} items"),
                ));
            }
        }
        if s.unique_items {
            let mut seen: Vec<&Value> = Vec::new();
            for item in items {
                if seen.contains(&item) {
                    result.add(OErr::validation(
                        Code::Other,
                        path,
                        None,
                        format!("{path} in {IN} shouldn't contain duplicates"),
                    ));
                    break;
                }
                seen.push(item);
            }
        }
        result.match_count += 1;
        result
    }

    fn object(
        &self,
        s: &VSchema,
        map: &Map<String, Value>,
        path: &mut String,
        old: Option<&Value>,
    ) -> VResult {
        let mut result = VResult::default();
        let count = map.len() as i64;
        if let Some(min) = s.min_properties {
            if count < min {
                result.add(OErr::bounded(
                    Code::Other,
                    path,
                    Value::from(count),
                    min,
                    format!("{path} in {IN} should have at least {min} properties"),
                ));
            }
        }
        if let Some(max) = s.max_properties {
            if count > max {
                result.add(OErr::bounded(
                    Code::TooManyProperties,
                    path,
                    Value::from(count),
                    max,
                    format!("{path} in {IN} should have at most {max} properties"),
                ));
            }
        }
        let old_map = old.and_then(Value::as_object);
        match &s.additional_properties {
            Some((false, _)) => {
                for key in map.keys() {
                    if !s.properties.contains_key(key) {
                        result.add(OErr::validation(
                            Code::Other,
                            path,
                            Some(Value::String(key.clone())),
                            format!("{path}.{key} in {IN} is a forbidden property"),
                        ));
                    }
                }
            }
            additional => {
                if let Some((_, Some(schema))) = additional {
                    for (key, value) in map {
                        if s.properties.contains_key(key) {
                            continue;
                        }
                        let old_value = old_map
                            .filter(|_| !(path.is_empty() && is_type_meta(key)))
                            .and_then(|o| o.get(key));
                        let len = path.len();
                        path.push('.');
                        path.push_str(key);
                        result.merge(self.validate_child(schema, value, path, old_value));
                        path.truncate(len);
                    }
                }
            }
        }
        for (name, schema) in &s.properties {
            if let Some(value) = map.get(name) {
                let old_value = old_map
                    .filter(|_| !(path.is_empty() && is_type_meta(name)))
                    .and_then(|o| o.get(name));
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                result.merge(self.validate_child(schema, value, path, old_value));
                path.truncate(len);
            }
        }
        for key in &s.required {
            if !map.contains_key(key) {
                let name = format!("{path}.{key}");
                let message = format!("{name} in {IN} is required");
                result.add(OErr::validation(Code::Required, &name, None, message));
            }
        }
        result
    }
}

fn is_type_meta(key: &str) -> bool {
    key == "kind" || key == "apiVersion"
}

fn invalid_type(path: &str, type_name: &str, data: &str) -> OErr {
    OErr::validation(
        Code::InvalidType,
        path,
        Some(Value::String(data.to_string())),
        format!(
            "{path} in {IN} must be of type {type_name}: {}",
            gofmt::quote(data)
        ),
    )
}

/// kube-openapi `typeValidator.Validate` for non-null data.
fn type_check(s: &VSchema, data: &Value, kind: Kind, path: &str) -> Option<OErr> {
    let (sch_type, format) = schema_info(data);
    let is_float_int =
        sch_type == "number" && is_float_a_json_integer(as_f64(data)) && s.has_type("integer");
    let is_int_float = sch_type == "integer" && s.has_type("number");
    let string_or_slice = matches!(kind, Kind::String | Kind::Slice);
    let has_format = !s.format.is_empty();
    let numeric_schema = s.has_type("number") || s.has_type("integer");
    let format_compatible =
        s.has_type(sch_type) || format == s.format || is_float_int || is_int_float;
    if has_format && !string_or_slice && !format_compatible {
        return Some(invalid_type(path, &s.format, format));
    }
    if has_format && string_or_slice && !numeric_schema {
        return None;
    }
    if !(s.has_type(sch_type) || is_float_int || is_int_float) {
        return Some(invalid_type(path, &s.types.join(","), sch_type));
    }
    None
}

/// kube-openapi `stringValidator`: maxLength, then minLength, then pattern (first failure).
fn string_check(s: &VSchema, data: &Value, path: &str) -> Option<OErr> {
    let text = data.as_str().unwrap_or("");
    let runes = text.chars().count() as i64;
    if let Some(max) = s.max_length {
        if runes > max {
            return Some(OErr::bounded(
                Code::TooLong,
                path,
                data.clone(),
                max,
                format!("{path} in {IN} should be at most {max} chars long"),
            ));
        }
    }
    if let Some(min) = s.min_length {
        if runes < min {
            return Some(OErr::bounded(
                Code::Other,
                path,
                data.clone(),
                min,
                format!("{path} in {IN} should be at least {min} chars long"),
            ));
        }
    }
    if let Some((pattern, compiled)) = &s.pattern {
        let failure = match compiled {
            Ok(re) if re.is_match(text) => None,
            Ok(_) => Some(pattern.clone()),
            Err(err) => Some(format!("{pattern}, but pattern is invalid: {err}")),
        };
        if let Some(shown) = failure {
            return Some(OErr::validation(
                Code::Other,
                path,
                Some(data.clone()),
                format!("{path} in {IN} should match '{shown}'"),
            ));
        }
    }
    None
}

/// kube-openapi `numberValidator` (type/format range checks disabled, as in Kubernetes
/// ≤ 1.35): multipleOf, minimum, maximum, compared natively for integers.
fn number_check(s: &VSchema, data: &Value, kind: Kind, path: &str) -> Vec<OErr> {
    let mut errs = Vec::new();
    let int_data = kind == Kind::Int;
    let value = as_f64(data);
    let int_value = data.as_i64().unwrap_or(value as i64);
    if let Some(factor) = s.multiple_of {
        if int_data {
            let f = factor as i64;
            if f <= 0 {
                errs.push(OErr::validation(
                    Code::Other,
                    path,
                    Some(Value::from(f)),
                    format!("factor MultipleOf declared for {path} must be positive: {f}"),
                ));
            } else if int_value % f != 0 {
                errs.push(OErr::validation(
                    Code::Other,
                    path,
                    Some(data.clone()),
                    format!("{path} in {IN} should be a multiple of {f}"),
                ));
            }
        } else if factor <= 0.0 {
            errs.push(OErr::validation(
                Code::Other,
                path,
                Number::from_f64(factor).map(Value::Number),
                format!(
                    "factor MultipleOf declared for {path} must be positive: {}",
                    gofmt::format_float(factor)
                ),
            ));
        } else {
            let mult = if factor < 1.0 {
                1.0 / factor * value
            } else {
                value / factor
            };
            if !is_float_a_json_integer(mult) {
                errs.push(OErr::validation(
                    Code::Other,
                    path,
                    Some(data.clone()),
                    format!(
                        "{path} in {IN} should be a multiple of {}",
                        gofmt::format_float(factor)
                    ),
                ));
            }
        }
    }
    if let Some(min) = s.minimum {
        let fails = if int_data {
            let m = min as i64;
            (!s.exclusive_minimum && int_value < m) || (s.exclusive_minimum && int_value <= m)
        } else {
            (!s.exclusive_minimum && value < min) || (s.exclusive_minimum && value <= min)
        };
        if fails {
            let word = if s.exclusive_minimum {
                "greater than"
            } else {
                "greater than or equal to"
            };
            errs.push(OErr::validation(
                Code::Other,
                path,
                Some(data.clone()),
                format!(
                    "{path} in {IN} should be {word} {}",
                    bound_text(min, int_data)
                ),
            ));
        }
    }
    if let Some(max) = s.maximum {
        let fails = if int_data {
            let m = max as i64;
            (!s.exclusive_maximum && int_value > m) || (s.exclusive_maximum && int_value >= m)
        } else {
            (!s.exclusive_maximum && value > max) || (s.exclusive_maximum && value >= max)
        };
        if fails {
            let word = if s.exclusive_maximum {
                "less than"
            } else {
                "less than or equal to"
            };
            errs.push(OErr::validation(
                Code::Other,
                path,
                Some(data.clone()),
                format!(
                    "{path} in {IN} should be {word} {}",
                    bound_text(max, int_data)
                ),
            ));
        }
    }
    errs
}

/// Go's `reflect` conversion + `DeepEqual` enum matching: enum values are decoded Go
/// `interface{}` values (numbers are float64), data numbers are int64 or float64.
fn enum_matches(data: &Value, candidate: &Value) -> bool {
    match (candidate, data) {
        (Value::Null, _) => false,
        (Value::Number(c), Value::Number(d)) => c.as_f64() == d.as_f64(),
        (Value::String(c), Value::String(d)) => c == d,
        (Value::String(c), Value::Number(d)) if d.is_i64() || d.is_u64() => {
            // Go converts an integer to a one-rune string.
            let n = d.as_i64().unwrap_or(-1);
            let rune = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            *c == rune.to_string()
        }
        (Value::Bool(c), Value::Bool(d)) => c == d,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            go_deep_equal_float_candidate(candidate, data)
        }
        _ => false,
    }
}

/// DeepEqual of an enum value (numbers float64) with data (numbers int64/float64): nested
/// integers in data never equal the candidate's floats.
fn go_deep_equal_float_candidate(candidate: &Value, data: &Value) -> bool {
    match (candidate, data) {
        (Value::Number(c), Value::Number(d)) => d.is_f64() && c.as_f64() == d.as_f64(),
        (Value::Array(c), Value::Array(d)) => {
            c.len() == d.len()
                && c.iter()
                    .zip(d)
                    .all(|(a, b)| go_deep_equal_float_candidate(a, b))
        }
        (Value::Object(c), Value::Object(d)) => {
            c.len() == d.len()
                && c.iter().all(|(k, v)| {
                    d.get(k)
                        .is_some_and(|dv| go_deep_equal_float_candidate(v, dv))
                })
        }
        (a, b) => a == b,
    }
}

fn enum_check(s: &VSchema, data: &Value, path: &str) -> Option<OErr> {
    let values = s.enum_values.as_ref().filter(|v| !v.is_empty())?;
    if values.iter().any(|candidate| enum_matches(data, candidate)) {
        return None;
    }
    let rendered: Vec<String> = values.iter().map(go_sprint_interface).collect();
    Some(OErr::Validation {
        code: Code::Enum,
        name: path.to_string(),
        value: Some(data.clone()),
        valid: None,
        values: values.clone(),
        message: format!("{path} in {IN} should be one of [{}]", rendered.join(" ")),
    })
}

fn go_sprint_interface(value: &Value) -> String {
    gofmt::sprint(&crate::openapi::as_go_floats(value))
}

/// Correlates an array item with its old counterpart: only for `x-kubernetes-list-type: map`
/// lists, by the map keys.
pub(crate) fn correlate_index<'a>(
    s: &VSchema,
    item: &Value,
    old: &'a [Value],
) -> Option<&'a Value> {
    if s.list_type.as_deref() != Some("map") {
        return None;
    }
    correlate_map_item(&s.list_map_keys, item, old)
}

/// Finds the old element of a list-type=map list with the same key values as `item`.
pub(crate) fn correlate_map_item<'a>(
    keys: &[String],
    item: &Value,
    old: &'a [Value],
) -> Option<&'a Value> {
    let item = item.as_object()?;
    old.iter().find(|candidate| {
        candidate
            .as_object()
            .is_some_and(|c| keys.iter().all(|k| c.get(k) == item.get(k)))
    })
}

/// `CorrelatedObject.CachedDeepEqual`: deep equality where list-type=map lists correlate by
/// key and object fields without a schema never compare equal.
fn correlated_equal(s: &VSchema, new: &Value, old: &Value) -> bool {
    match (new, old) {
        (Value::Array(n), Value::Array(o)) => {
            if n.len() != o.len() {
                return false;
            }
            if s.list_type.as_deref() == Some("map") {
                let Some(items) = &s.items else {
                    return n == o;
                };
                n.iter().all(|item| {
                    correlate_map_item(&s.list_map_keys, item, o)
                        .is_some_and(|old_item| correlated_equal(items, item, old_item))
                })
            } else {
                n == o
            }
        }
        (Value::Object(n), Value::Object(o)) => {
            n.len() == o.len()
                && n.iter().all(|(k, v)| match (s.field_schema(k), o.get(k)) {
                    (Some(child), Some(ov)) => correlated_equal(child, v, ov),
                    _ => false,
                })
        }
        (a, b) => a == b,
    }
}

/// Validates `data` (rooted at `root`: `None` for a whole object, `Some(status)` for the
/// status endpoint) and converts the result to field errors
/// (`kubeOpenAPIResultToFieldErrors`). `old` enables ratcheting on update.
pub(crate) fn validate_value(
    schema: &VSchema,
    data: &Value,
    old: Option<&Value>,
    root: Option<&Path>,
) -> ErrorList {
    let walk = Walk;
    let mut path = String::new();
    let mut result = walk.validate(schema, data, &mut path, old);
    if let Some(old) = old {
        if !result.is_valid() && correlated_equal(schema, data, old) {
            result.errors.clear();
        }
    }
    to_field_errors(result, root)
}

fn to_field_errors(result: VResult, root: Option<&Path>) -> ErrorList {
    let base = root.cloned().unwrap_or_default();
    let mut errs = ErrorList::new();
    for err in result.errors {
        match err {
            OErr::Validation {
                code,
                name,
                value,
                valid,
                values,
                message,
            } => {
                let mut path = base.clone();
                if !name.is_empty() && name != "." {
                    path = path.child(name.strip_prefix('.').unwrap_or(&name));
                }
                let value = value.unwrap_or_else(|| Value::String(String::new()));
                errs.push(match code {
                    Code::Required => FieldError::required(&path, ""),
                    Code::Enum => {
                        let supported: Vec<String> = values
                            .iter()
                            .map(|v| match v {
                                Value::String(s) => s.clone(),
                                other => gofmt::marshal_json(&crate::openapi::as_go_floats(other)),
                            })
                            .collect();
                        FieldError::not_supported(&path, value, &supported)
                    }
                    Code::TooLong => FieldError::too_long(&path, valid.unwrap_or(-1)),
                    Code::MaxItems | Code::TooManyProperties => {
                        FieldError::too_many(&path, value.as_i64(), valid.unwrap_or(-1))
                    }
                    Code::InvalidType => FieldError::type_invalid(&path, value, message),
                    Code::Other => FieldError::invalid(&path, value, message),
                });
            }
            OErr::Plain(message) => errs.push(FieldError::invalid(&base, "", message)),
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, data: Value) -> Vec<String> {
        let props = SchemaProps::from_value(&schema).expect("schema decodes");
        let v = VSchema::from_props(&props);
        validate_value(&v, &data, None, None)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn spec(props: Value) -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": props}}})
    }

    #[test]
    fn type_errors() {
        assert_eq!(
            check(
                spec(json!({"size": {"type": "integer"}})),
                json!({"spec": {"size": "x"}})
            ),
            vec![
                r#"spec.size: Invalid value: "string": spec.size in body must be of type integer: "string""#
            ]
        );
        assert!(check(
            spec(json!({"size": {"type": "integer"}})),
            json!({"spec": {"size": 1.0}})
        )
        .is_empty());
        assert_eq!(
            check(
                spec(json!({"size": {"type": "integer"}})),
                json!({"spec": {"size": 1.5}})
            ),
            vec![
                r#"spec.size: Invalid value: "number": spec.size in body must be of type integer: "number""#
            ]
        );
        assert!(check(
            spec(json!({"r": {"type": "number"}})),
            json!({"spec": {"r": 3}})
        )
        .is_empty());
        assert_eq!(
            check(
                spec(json!({"p": {"x-kubernetes-int-or-string": true}})),
                json!({"spec": {"p": true}})
            ),
            vec![
                r#"spec.p: Invalid value: "boolean": spec.p in body must be of type integer,string: "boolean""#
            ]
        );
        assert_eq!(
            check(
                spec(json!({"l": {"type": "array", "items": {"type": "string"}}})),
                json!({"spec": {"l": [null]}})
            ),
            vec![
                r#"spec.l[0]: Invalid value: "null": spec.l[0] in body must be of type string: "null""#
            ]
        );
    }

    #[test]
    fn keyword_errors() {
        let s = spec(json!({
            "color": {"type": "string", "enum": ["red", "green"]},
            "name": {"type": "string", "maxLength": 5, "minLength": 3, "pattern": "^[a-z]+$"},
            "list": {"type": "array", "items": {"type": "integer"}, "maxItems": 3, "minItems": 2},
            "m": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 3, "minProperties": 1},
            "r": {"type": "integer", "minimum": 0, "maximum": 10, "multipleOf": 5},
            "f": {"type": "number", "maximum": 1.5, "exclusiveMaximum": true},
            "email": {"type": "string", "format": "email"}
        }));
        assert_eq!(
            check(s.clone(), json!({"spec": {"color": "blue"}})),
            vec![r#"spec.color: Unsupported value: "blue": supported values: "red", "green""#]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"name": "abcdef"}})),
            vec!["spec.name: Too long: may not be more than 5 bytes"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"name": "ab"}})),
            vec![
                r#"spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long"#
            ]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"name": "ABC"}})),
            vec![r#"spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$'"#]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"list": [1, 2, 3, 4]}})),
            vec!["spec.list: Too many: 4: must have at most 3 items"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"list": [1]}})),
            vec!["spec.list: Invalid value: 1: spec.list in body should have at least 2 items"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"m": {}}})),
            vec!["spec.m: Invalid value: 0: spec.m in body should have at least 1 properties"]
        );
        assert_eq!(
            check(
                s.clone(),
                json!({"spec": {"m": {"a":"1","b":"2","c":"3","d":"4"}}})
            ),
            vec!["spec.m: Too many: 4: must have at most 3 items"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"r": 11}})),
            vec![
                "spec.r: Invalid value: 11: spec.r in body should be a multiple of 5",
                "spec.r: Invalid value: 11: spec.r in body should be less than or equal to 10",
            ]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"r": -5}})),
            vec!["spec.r: Invalid value: -5: spec.r in body should be greater than or equal to 0"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"f": 1.5}})),
            vec!["spec.f: Invalid value: 1.5: spec.f in body should be less than 1.5"]
        );
        assert_eq!(
            check(s.clone(), json!({"spec": {"email": "x"}})),
            vec![
                r#"spec.email: Invalid value: "x": spec.email in body must be of type email: "x""#
            ]
        );
        assert_eq!(
            check(s, json!({"spec": {"m": {"a": 1}}})),
            vec![
                r#"spec.m.a: Invalid value: "integer": spec.m.a in body must be of type string: "integer""#
            ]
        );
    }

    #[test]
    fn required_and_enum_next_to_type_error() {
        let s = json!({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object", "required": ["replicas"], "properties": {"replicas": {"type": "integer"}, "mode": {"type": "string", "enum": ["a", "b"]}}}}});
        assert_eq!(check(s.clone(), json!({})), vec!["spec: Required value"]);
        assert_eq!(
            check(s.clone(), json!({"spec": {}})),
            vec!["spec.replicas: Required value"]
        );
        assert_eq!(
            check(s, json!({"spec": {"replicas": 1, "mode": 5}})),
            vec![
                r#"spec.mode: Invalid value: "integer": spec.mode in body must be of type string: "integer""#,
                r#"spec.mode: Unsupported value: 5: supported values: "a", "b""#,
            ]
        );
    }

    #[test]
    fn any_of_and_not() {
        let s = spec(json!({"x": {"type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 0}]}}));
        assert_eq!(
            check(s, json!({"spec": {"x": 5}})),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)"#,
                "spec.x: Invalid value: 5: spec.x in body should be greater than or equal to 10",
            ]
        );
        let s = spec(json!({"x": {"type": "string", "not": {"enum": ["forbidden"]}}}));
        assert_eq!(
            check(s, json!({"spec": {"x": "forbidden"}})),
            vec![r#"<nil>: Invalid value: "": "spec.x" must not validate the schema (not)"#]
        );
    }

    #[test]
    fn enum_go_semantics() {
        let s = spec(
            json!({"n": {"type": "integer", "enum": [1, 2]}, "o": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "enum": [{"a": 1}]}}),
        );
        assert!(check(s.clone(), json!({"spec": {"n": 2}})).is_empty());
        assert_eq!(
            check(s, json!({"spec": {"o": {"a": 1}}})),
            vec![r#"spec.o: Unsupported value: {"a":1}: supported values: "{\"a\":1}""#]
        );
    }

    #[test]
    fn ratcheting_drops_errors_on_unchanged_nodes() {
        let props = SchemaProps::from_value(&spec(json!({"a": {"type": "string", "maxLength": 2}, "b": {"type": "string", "maxLength": 2}}))).expect("decodes");
        let v = VSchema::from_props(&props);
        let old = json!({"spec": {"a": "long", "b": "ok"}});
        let new = json!({"spec": {"a": "long", "b": "longer"}});
        let errs: Vec<String> = validate_value(&v, &new, Some(&old), None)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs, vec!["spec.b: Too long: may not be more than 2 bytes"]);
        let status = validate_value(&v, &new, None, Some(&Path::new("status")));
        assert_eq!(status.0[0].field, "status.spec.a");
    }
}

#[cfg(test)]
mod nullable_tests {
    use super::*;
    use serde_json::json;

    /// kube-openapi's common validator runs the enum check on null data even when the schema
    /// is nullable (no enum value converts from nil), so a nullable enum rejects null.
    #[test]
    fn nullable_enum_still_rejects_null() {
        let props = SchemaProps::from_value(&json!({"type": "object", "properties": {
            "mode": {"type": "string", "nullable": true, "enum": ["a", "b"]},
            "free": {"type": "string", "nullable": true}}}))
        .expect("decodes");
        let v = VSchema::from_props(&props);
        assert!(validate_value(&v, &json!({"free": null}), None, None).is_empty());
        assert_eq!(
            validate_value(&v, &json!({"mode": null}), None, None).to_string(),
            r#"mode: Unsupported value: null: supported values: "a", "b""#
        );
    }
}
