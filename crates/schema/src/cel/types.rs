//! CEL types of schema nodes (apiserver `SchemaDeclType`) and property-name escaping
//! (apiserver `cel.Escape`).

use crate::structural::Structural;
use std::collections::BTreeMap;

/// A CEL type as the Kubernetes environment declares it for a schema node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CelType {
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    Null,
    List(Box<CelType>),
    Map(Box<CelType>, Box<CelType>),
    /// An object type: declared (escaped) property names only.
    Object(BTreeMap<String, CelType>),
    Optional(Box<CelType>),
    /// The type of a type (`int`, `string` identifiers used as values).
    Type,
    Dyn,
}

impl CelType {
    /// The cel-go type name used in checker messages.
    pub fn name(&self) -> String {
        match self {
            CelType::Bool => "bool".into(),
            CelType::Int => "int".into(),
            CelType::Uint => "uint".into(),
            CelType::Double => "double".into(),
            CelType::String => "string".into(),
            CelType::Bytes => "bytes".into(),
            CelType::Duration => "google.protobuf.Duration".into(),
            CelType::Timestamp => "google.protobuf.Timestamp".into(),
            CelType::Null => "null_type".into(),
            CelType::List(e) => format!("list({})", e.name()),
            CelType::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            CelType::Object(_) => "object".into(),
            CelType::Optional(t) => format!("optional_type({})", t.name()),
            CelType::Type => "type".into(),
            CelType::Dyn => "dyn".into(),
        }
    }
}

const RESERVED: [&str; 22] = [
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
    "",
];

/// `cel.Escape`: the CEL identifier of a property name, or `None` when it cannot be
/// accessed from CEL.
pub(crate) fn escape(ident: &str) -> Option<String> {
    let first = ident.chars().next()?;
    if first.is_ascii_digit() {
        return None;
    }
    if RESERVED[..21].contains(&ident) {
        return Some(format!("__{ident}__"));
    }
    let mut out = String::with_capacity(ident.len());
    let bytes = ident.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'_' if bytes.get(i + 1) == Some(&b'_') => {
                out.push_str("__underscores__");
                i += 2;
                continue;
            }
            b'.' => out.push_str("__dot__"),
            b'-' => out.push_str("__dash__"),
            b'/' => out.push_str("__slash__"),
            c if c.is_ascii_alphanumeric() || c == b'_' => out.push(c as char),
            _ => return None,
        }
        i += 1;
    }
    Some(out)
}

/// `SchemaDeclType`: the CEL type of a structural node; resource roots get `apiVersion`,
/// `kind` and `metadata.{name,generateName}`.
pub(crate) fn decl_type(s: &Structural, is_resource_root: bool) -> CelType {
    if s.x_int_or_string {
        return CelType::Dyn;
    }
    let base = match s.type_.as_str() {
        "array" => match &s.items {
            Some(items) => CelType::List(Box::new(decl_type(items, items.x_embedded_resource))),
            None => CelType::List(Box::new(CelType::Dyn)),
        },
        "object" => {
            if let Some(ap) = &s.additional_properties {
                let value = match &ap.structural {
                    Some(v) => decl_type(v, v.x_embedded_resource),
                    None => CelType::Dyn,
                };
                CelType::Map(Box::new(CelType::String), Box::new(value))
            } else if !s.properties.is_empty() || is_resource_root {
                let mut fields = BTreeMap::new();
                for (name, prop) in &s.properties {
                    if let Some(escaped) = escape(name) {
                        fields.insert(escaped, decl_type(prop, prop.x_embedded_resource));
                    }
                }
                CelType::Object(fields)
            } else if s.x_preserve_unknown_fields {
                CelType::Dyn
            } else {
                CelType::Object(BTreeMap::new())
            }
        }
        "integer" => CelType::Int,
        "number" => CelType::Double,
        "boolean" => CelType::Bool,
        "string" => match s.value_validation.as_ref().map(|v| v.format.as_str()) {
            Some("byte") => CelType::Bytes,
            Some("duration") => CelType::Duration,
            Some("date") | Some("date-time") => CelType::Timestamp,
            _ => CelType::String,
        },
        _ => CelType::Dyn,
    };
    if is_resource_root {
        if let CelType::Object(mut fields) = base {
            fields.insert("apiVersion".into(), CelType::String);
            fields.insert("kind".into(), CelType::String);
            let mut meta = BTreeMap::new();
            meta.insert("name".to_string(), CelType::String);
            meta.insert("generateName".to_string(), CelType::String);
            fields.insert("metadata".into(), CelType::Object(meta));
            return CelType::Object(fields);
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_upstream() {
        assert_eq!(escape("foo").as_deref(), Some("foo"));
        assert_eq!(escape("namespace").as_deref(), Some("__namespace__"));
        assert_eq!(
            escape("a-b.c/d").as_deref(),
            Some("a__dash__b__dot__c__slash__d")
        );
        assert_eq!(escape("a__b").as_deref(), Some("a__underscores__b"));
        assert_eq!(escape("1abc"), None);
        assert_eq!(escape("a b"), None);
        assert_eq!(escape(""), None);
    }
}
