//! Field paths and field errors, rendered exactly as apimachinery's
//! `k8s.io/apimachinery/pkg/util/validation/field` renders them (Kubernetes ≥ 1.34).
//!
//! ```
//! use klite_schema::field::{ErrorList, FieldError, Path};
//! use serde_json::json;
//!
//! let spec = Path::new("spec");
//! let mut errors = ErrorList::new();
//! errors.push(FieldError::required(&spec.child("replicas"), ""));
//! errors.push(FieldError::invalid(&spec.child("ports").index(0).child("port"), json!(-1), "must be positive"));
//! assert_eq!(
//!     errors.to_string(),
//!     "[spec.replicas: Required value, spec.ports[0].port: Invalid value: -1: must be positive]"
//! );
//! ```

use crate::gofmt;
use serde_json::Value;
use std::fmt;

/// One element of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A named child (`.name`).
    Field(String),
    /// A list index (`[3]`).
    Index(usize),
    /// A map key (`[key]`, unquoted).
    Key(String),
}

/// A field path such as `spec.containers[0].image` (upstream `*field.Path`).
///
/// The empty path is upstream's nil path and prints as `<nil>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path {
    elements: Vec<PathElement>,
}

impl Path {
    /// A path starting at a named root field (`field.NewPath`).
    pub fn new(name: &str) -> Path {
        Path {
            elements: vec![PathElement::Field(name.to_string())],
        }
    }

    /// The nil path (prints `<nil>`).
    pub fn nil() -> Path {
        Path::default()
    }

    /// Parses a dotted path such as `spec.template` into a path of named children.
    pub fn from_dotted(dotted: &str) -> Path {
        let mut path = Path::nil();
        for part in dotted.split('.') {
            path = path.child(part);
        }
        path
    }

    /// This path with a named child appended (`.name`).
    pub fn child(&self, name: &str) -> Path {
        self.with(PathElement::Field(name.to_string()))
    }

    /// This path with a list index appended (`[i]`).
    pub fn index(&self, index: usize) -> Path {
        self.with(PathElement::Index(index))
    }

    /// This path with a map key appended (`[key]`).
    pub fn key(&self, key: &str) -> Path {
        self.with(PathElement::Key(key.to_string()))
    }

    fn with(&self, element: PathElement) -> Path {
        let mut elements = Vec::with_capacity(self.elements.len() + 1);
        elements.extend(self.elements.iter().cloned());
        elements.push(element);
        Path { elements }
    }

    /// Appends an element in place.
    pub fn push(&mut self, element: PathElement) {
        self.elements.push(element);
    }

    /// Removes the last element.
    pub fn pop(&mut self) -> Option<PathElement> {
        self.elements.pop()
    }

    /// The elements of the path, root first.
    pub fn elements(&self) -> &[PathElement] {
        &self.elements
    }

    /// Whether this is the nil path.
    pub fn is_nil(&self) -> bool {
        self.elements.is_empty()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.elements.is_empty() {
            return f.write_str("<nil>");
        }
        for (i, element) in self.elements.iter().enumerate() {
            match element {
                PathElement::Field(name) if !name.is_empty() => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                // An empty name prints as an empty subscript, as upstream does.
                PathElement::Field(_) => f.write_str("[]")?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
                PathElement::Key(key) => write!(f, "[{key}]")?,
            }
        }
        Ok(())
    }
}

/// The machine-readable kind of a field error (the `reason` of a Status cause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// `FieldValueNotFound`: `Not found`.
    NotFound,
    /// `FieldValueRequired`: `Required value`.
    Required,
    /// `FieldValueDuplicate`: `Duplicate value`.
    Duplicate,
    /// `FieldValueInvalid`: `Invalid value`.
    Invalid,
    /// `FieldValueNotSupported`: `Unsupported value`.
    NotSupported,
    /// `FieldValueForbidden`: `Forbidden`.
    Forbidden,
    /// `FieldValueTooLong`: `Too long`.
    TooLong,
    /// `FieldValueTooMany`: `Too many`.
    TooMany,
    /// `FieldValueTooFew`: `Too few`.
    TooFew,
    /// `FieldValueTooShort`: `Too short`.
    TooShort,
    /// `InternalError`: `Internal error`.
    Internal,
    /// `FieldValueTypeInvalid`: prints as `Invalid value`.
    TypeInvalid,
}

impl ErrorType {
    /// The cause reason string, e.g. `FieldValueRequired`.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::TooFew => "FieldValueTooFew",
            ErrorType::TooShort => "FieldValueTooShort",
            ErrorType::Internal => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// Parses a cause reason string (`FieldValueInvalid`, ...).
    pub fn from_reason(reason: &str) -> Option<ErrorType> {
        Some(match reason {
            "FieldValueNotFound" => ErrorType::NotFound,
            "FieldValueRequired" => ErrorType::Required,
            "FieldValueDuplicate" => ErrorType::Duplicate,
            "FieldValueInvalid" => ErrorType::Invalid,
            "FieldValueNotSupported" => ErrorType::NotSupported,
            "FieldValueForbidden" => ErrorType::Forbidden,
            "FieldValueTooLong" => ErrorType::TooLong,
            "FieldValueTooMany" => ErrorType::TooMany,
            "FieldValueTooFew" => ErrorType::TooFew,
            "FieldValueTooShort" => ErrorType::TooShort,
            "InternalError" => ErrorType::Internal,
            "FieldValueTypeInvalid" => ErrorType::TypeInvalid,
            _ => return None,
        })
    }

    /// The human word(s) that start the error body, e.g. `Required value`.
    pub fn words(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::TooFew => "Too few",
            ErrorType::TooShort => "Too short",
            ErrorType::Internal => "Internal error",
        }
    }

    /// Whether the body prints the bad value after the type words.
    fn prints_value(self) -> bool {
        !matches!(
            self,
            ErrorType::Required
                | ErrorType::Forbidden
                | ErrorType::TooLong
                | ErrorType::TooShort
                | ErrorType::Internal
        )
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// The offending value of a field error.
#[derive(Debug, Clone, PartialEq)]
pub enum BadValue {
    /// No value is printed (upstream's `omitValue`, or a type that never prints its value).
    Omitted,
    /// A JSON value, rendered the upstream way: strings Go-quoted, numbers and booleans bare,
    /// anything else JSON-encoded.
    Value(Value),
    /// A value already rendered as upstream prints it (e.g. a Go struct's JSON with Go field
    /// names in declaration order); printed verbatim.
    Rendered(String),
}

impl BadValue {
    /// Renders the value as upstream's `ErrorBody` does (≥ 1.34), or `None` when omitted.
    pub fn render(&self) -> Option<String> {
        match self {
            BadValue::Omitted => None,
            BadValue::Rendered(text) => Some(text.clone()),
            BadValue::Value(Value::String(s)) => Some(gofmt::quote(s)),
            BadValue::Value(Value::Number(n)) => Some(gofmt::format_number(n)),
            BadValue::Value(Value::Bool(b)) => Some(b.to_string()),
            BadValue::Value(other) => Some(gofmt::marshal_json(other)),
        }
    }
}

impl<T: Into<Value>> From<T> for BadValue {
    fn from(value: T) -> Self {
        BadValue::Value(value.into())
    }
}

/// A field-level validation error (upstream `*field.Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// What kind of problem this is.
    pub error_type: ErrorType,
    /// The rendered field path (`spec.replicas`, `<nil>` for no path).
    pub field: String,
    /// The offending value.
    pub bad_value: BadValue,
    /// Free-text detail appended after the value.
    pub detail: String,
}

impl FieldError {
    /// A general constructor.
    pub fn new(
        error_type: ErrorType,
        path: &Path,
        bad_value: impl Into<BadValue>,
        detail: impl Into<String>,
    ) -> FieldError {
        FieldError {
            error_type,
            field: path.to_string(),
            bad_value: bad_value.into(),
            detail: detail.into(),
        }
    }

    /// `Required value[: detail]`.
    pub fn required(path: &Path, detail: impl Into<String>) -> FieldError {
        FieldError::new(ErrorType::Required, path, BadValue::Omitted, detail)
    }

    /// `Forbidden[: detail]`.
    pub fn forbidden(path: &Path, detail: impl Into<String>) -> FieldError {
        FieldError::new(ErrorType::Forbidden, path, BadValue::Omitted, detail)
    }

    /// `Invalid value: <value>[: detail]`.
    pub fn invalid(path: &Path, value: impl Into<Value>, detail: impl Into<String>) -> FieldError {
        FieldError::new(
            ErrorType::Invalid,
            path,
            BadValue::Value(value.into()),
            detail,
        )
    }

    /// `Invalid value: <detail>`: an Invalid error whose value is omitted.
    pub fn invalid_omit_value(path: &Path, detail: impl Into<String>) -> FieldError {
        FieldError::new(ErrorType::Invalid, path, BadValue::Omitted, detail)
    }

    /// A type error (`FieldValueTypeInvalid`), printed as `Invalid value: <value>: detail`.
    pub fn type_invalid(
        path: &Path,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> FieldError {
        FieldError::new(
            ErrorType::TypeInvalid,
            path,
            BadValue::Value(value.into()),
            detail,
        )
    }

    /// `Unsupported value: <value>: supported values: "a", "b"` (each supported value quoted).
    pub fn not_supported<S: AsRef<str>>(
        path: &Path,
        value: impl Into<Value>,
        supported: &[S],
    ) -> FieldError {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| gofmt::quote(s.as_ref())).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError::new(
            ErrorType::NotSupported,
            path,
            BadValue::Value(value.into()),
            detail,
        )
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(path: &Path, value: impl Into<Value>) -> FieldError {
        FieldError::new(
            ErrorType::Duplicate,
            path,
            BadValue::Value(value.into()),
            "",
        )
    }

    /// `Not found: <value>`.
    pub fn not_found(path: &Path, value: impl Into<Value>) -> FieldError {
        FieldError::new(ErrorType::NotFound, path, BadValue::Value(value.into()), "")
    }

    /// `Too long: may not be more than N bytes` (`byte` when N = 1).
    pub fn too_long(path: &Path, max_length: i64) -> FieldError {
        let detail = if max_length >= 0 {
            let unit = if max_length == 1 { "byte" } else { "bytes" };
            format!("may not be more than {max_length} {unit}")
        } else {
            "value is too long".to_string()
        };
        FieldError::new(ErrorType::TooLong, path, BadValue::Omitted, detail)
    }

    /// `Too many: <actual>: must have at most N items` (`item` when N = 1); the actual count
    /// is omitted when unknown.
    pub fn too_many(path: &Path, actual: Option<i64>, max: i64) -> FieldError {
        let detail = if max >= 0 {
            let unit = if max == 1 { "item" } else { "items" };
            format!("must have at most {max} {unit}")
        } else {
            "has too many items".to_string()
        };
        let value = match actual {
            Some(n) if n >= 0 => BadValue::Value(Value::from(n)),
            _ => BadValue::Omitted,
        };
        FieldError::new(ErrorType::TooMany, path, value, detail)
    }

    /// `Internal error: <err>`.
    pub fn internal(path: &Path, err: impl fmt::Display) -> FieldError {
        FieldError::new(
            ErrorType::Internal,
            path,
            BadValue::Omitted,
            err.to_string(),
        )
    }

    /// The error without its field: `Invalid value: "x": detail` (upstream `ErrorBody`).
    pub fn body(&self) -> String {
        let mut body = String::from(self.error_type.words());
        if self.error_type.prints_value() {
            if let Some(value) = self.bad_value.render() {
                body.push_str(": ");
                body.push_str(&value);
            }
        }
        if !self.detail.is_empty() {
            body.push_str(": ");
            body.push_str(&self.detail);
        }
        body
    }

    /// The Status cause `{reason, message, field}` of this error.
    pub fn to_status_cause(&self) -> StatusCause {
        StatusCause {
            reason: self.error_type.reason().to_string(),
            message: self.body(),
            field: self.field.clone(),
        }
    }

    /// Whether this error blocks CEL validation (Required, NotSupported, TooLong, TooMany or
    /// TypeInvalid; facts-crd §4.1 step 7).
    pub fn is_blocking(&self) -> bool {
        matches!(
            self.error_type,
            ErrorType::Required
                | ErrorType::NotSupported
                | ErrorType::TooLong
                | ErrorType::TooMany
                | ErrorType::TypeInvalid
        )
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl std::error::Error for FieldError {}

/// A list of field errors (upstream `field.ErrorList`).
///
/// `Display` renders the upstream aggregate: duplicates (by full message) dropped, a single
/// error as itself, several as `[e1, e2]`; an empty list renders as the empty string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorList(pub Vec<FieldError>);

impl ErrorList {
    /// An empty list.
    pub fn new() -> ErrorList {
        ErrorList(Vec::new())
    }

    /// Adds one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Adds every error of another list.
    pub fn extend(&mut self, other: impl IntoIterator<Item = FieldError>) {
        self.0.extend(other);
    }

    /// Whether there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// The errors, deduplicated by their full message (first occurrence kept), as
    /// upstream's `ToAggregate`.
    pub fn deduplicated(&self) -> Vec<&FieldError> {
        let mut seen = std::collections::HashSet::new();
        self.0
            .iter()
            .filter(|e| seen.insert(e.to_string()))
            .collect()
    }

    /// The aggregate message, or `None` for an empty list.
    pub fn aggregate_message(&self) -> Option<String> {
        let unique = self.deduplicated();
        match unique.len() {
            0 => None,
            1 => Some(unique[0].to_string()),
            _ => {
                let parts: Vec<String> = unique.iter().map(|e| e.to_string()).collect();
                Some(format!("[{}]", parts.join(", ")))
            }
        }
    }

    /// One Status cause per error (not deduplicated, as upstream `NewInvalid`).
    pub fn to_status_causes(&self) -> Vec<StatusCause> {
        self.0.iter().map(FieldError::to_status_cause).collect()
    }

    /// Sorts the errors by their full message (upstream sorts structural-schema errors).
    pub fn sort_by_message(&mut self) {
        self.0.sort_by_cached_key(|e| e.to_string());
    }

    /// Whether any error blocks CEL validation (see [`FieldError::is_blocking`]).
    pub fn has_blocking(&self) -> bool {
        self.0.iter().any(FieldError::is_blocking)
    }

    /// The errors as a vector.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl fmt::Display for ErrorList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.aggregate_message().unwrap_or_default())
    }
}

impl From<Vec<FieldError>> for ErrorList {
    fn from(errors: Vec<FieldError>) -> Self {
        ErrorList(errors)
    }
}

impl From<FieldError> for ErrorList {
    fn from(error: FieldError) -> Self {
        ErrorList(vec![error])
    }
}

impl FromIterator<FieldError> for ErrorList {
    fn from_iter<I: IntoIterator<Item = FieldError>>(iter: I) -> Self {
        ErrorList(iter.into_iter().collect())
    }
}

impl IntoIterator for ErrorList {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ErrorList {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Extend<FieldError> for ErrorList {
    fn extend<I: IntoIterator<Item = FieldError>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

pub use crate::status::StatusCause;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_print_like_upstream() {
        let p = Path::new("spec")
            .child("versions")
            .index(0)
            .child("schema")
            .child("openAPIV3Schema")
            .child("properties")
            .key("spec")
            .child("type");
        assert_eq!(
            p.to_string(),
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type"
        );
        assert_eq!(Path::nil().to_string(), "<nil>");
        assert_eq!(
            Path::new("data").key("bad key").to_string(),
            "data[bad key]"
        );
        assert_eq!(Path::nil().index(2).child("a").to_string(), "[2].a");
        assert_eq!(
            Path::from_dotted("metadata.annotations").to_string(),
            "metadata.annotations"
        );
    }

    #[test]
    fn bodies_by_type() {
        let p = Path::new("spec").child("x");
        assert_eq!(
            FieldError::required(&p, "").to_string(),
            "spec.x: Required value"
        );
        assert_eq!(
            FieldError::required(&p, "must not be empty").body(),
            "Required value: must not be empty"
        );
        assert_eq!(
            FieldError::forbidden(&p, "not allowed").body(),
            "Forbidden: not allowed"
        );
        assert_eq!(
            FieldError::invalid(&p, "abc", "bad").body(),
            r#"Invalid value: "abc": bad"#
        );
        assert_eq!(
            FieldError::invalid(&p, 5, "bad").body(),
            "Invalid value: 5: bad"
        );
        assert_eq!(
            FieldError::invalid(&p, 1.5, "bad").body(),
            "Invalid value: 1.5: bad"
        );
        assert_eq!(
            FieldError::invalid(&p, true, "bad").body(),
            "Invalid value: true: bad"
        );
        assert_eq!(
            FieldError::invalid(&p, Value::Null, "must have at least one stored version").body(),
            "Invalid value: null: must have at least one stored version"
        );
        assert_eq!(
            FieldError::invalid(&p, json!({"name": "a"}), "x").body(),
            r#"Invalid value: {"name":"a"}: x"#
        );
        assert_eq!(
            FieldError::invalid(&p, json!(["a", "b"]), "x").body(),
            r#"Invalid value: ["a","b"]: x"#
        );
        assert_eq!(
            FieldError::invalid_omit_value(&p, "must have a or b").body(),
            "Invalid value: must have a or b"
        );
        assert_eq!(
            FieldError::type_invalid(
                &p,
                "string",
                "x in body must be of type integer: \"string\""
            )
            .body(),
            r#"Invalid value: "string": x in body must be of type integer: "string""#
        );
        assert_eq!(
            FieldError::not_supported(&p, "X", &["Cluster", "Namespaced"]).body(),
            r#"Unsupported value: "X": supported values: "Cluster", "Namespaced""#
        );
        assert_eq!(
            FieldError::duplicate(&p, "a").body(),
            r#"Duplicate value: "a""#
        );
        assert_eq!(FieldError::not_found(&p, "a").body(), r#"Not found: "a""#);
        assert_eq!(
            FieldError::too_long(&p, 5).body(),
            "Too long: may not be more than 5 bytes"
        );
        assert_eq!(
            FieldError::too_long(&p, 1).body(),
            "Too long: may not be more than 1 byte"
        );
        assert_eq!(
            FieldError::too_many(&p, Some(4), 3).body(),
            "Too many: 4: must have at most 3 items"
        );
        assert_eq!(
            FieldError::too_many(&p, None, 1).body(),
            "Too many: must have at most 1 item"
        );
        assert_eq!(
            FieldError::internal(&p, "boom").body(),
            "Internal error: boom"
        );
    }

    #[test]
    fn aggregate_dedups_and_brackets() {
        let p = Path::new("a");
        let mut list = ErrorList::new();
        assert_eq!(list.aggregate_message(), None);
        list.push(FieldError::required(&p, ""));
        assert_eq!(list.to_string(), "a: Required value");
        list.push(FieldError::required(&p, ""));
        assert_eq!(list.to_string(), "a: Required value");
        list.push(FieldError::forbidden(&Path::new("b"), "no"));
        assert_eq!(list.to_string(), "[a: Required value, b: Forbidden: no]");
        // causes are not deduplicated
        assert_eq!(list.to_status_causes().len(), 3);
        let cause = &list.to_status_causes()[2];
        assert_eq!(cause.reason, "FieldValueForbidden");
        assert_eq!(cause.message, "Forbidden: no");
        assert_eq!(cause.field, "b");
    }
}
