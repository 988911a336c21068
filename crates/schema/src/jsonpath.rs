//! JSON paths: the simple field paths of CRD `selectableFields` and CEL `fieldPath`
//! (resolved against a structural schema), and the kubectl/client-go JSONPath subset used
//! by `additionalPrinterColumns`.

use crate::error::SchemaError;
use crate::field::Path;
use crate::structural::Structural;
use serde_json::Value;

fn unescape_single_quote(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(d) = chars.next() else {
            out.push('\\');
            break;
        };
        out.push(match d {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\'' => '\'',
            '\\' => '\\',
            other => return Err(format!("invalid escape char \\{other}")),
        });
    }
    Ok(out)
}

/// Splits a field path into tokens: `.`, `[`, `]`, quoted strings, and names.
fn tokens(path: &str) -> Vec<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            let mut j = i + 1;
            while j < bytes.len() && !(bytes[j] == b'\'' && bytes[j - 1] != b'\\') {
                j += 1;
            }
            let end = (j + 1).min(bytes.len());
            out.push(path[i..end].to_string());
            i = end;
            continue;
        }
        if matches!(bytes[i], b'.' | b'[' | b']') {
            out.push(path[i..i + 1].to_string());
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && !matches!(bytes[j], b'.' | b'[' | b']') {
            j += 1;
        }
        out.push(path[i..j].to_string());
        i = j;
    }
    out
}

/// Resolves a simple field path (`.spec.a`, `.spec['x.y']`) against a structural schema
/// (apiextensions `ValidFieldPath`): returns the field path and the schema found, or the
/// upstream error text (`does not refer to a valid field`, `array notation is not allowed`...).
pub fn valid_field_path<'s>(
    json_path: &str,
    schema: &'s Structural,
    allow_array_notation: bool,
) -> Result<(Path, &'s Structural), String> {
    let mut path = Path::nil();
    let mut current = schema;
    let toks = tokens(json_path);
    let mut iter = toks.into_iter();
    let step = |path: &mut Path, current: &mut &'s Structural, name: &str| -> Result<(), String> {
        if !current.properties.is_empty() {
            *path = path.child(name);
            match current.properties.get(name) {
                Some(next) => *current = next,
                None => return Err("does not refer to a valid field".to_string()),
            }
        } else if let Some(ap) = &current.additional_properties {
            *path = path.key(name);
            match ap.structural.as_deref() {
                Some(next) => *current = next,
                None => return Err("does not refer to a valid field".to_string()),
            }
        } else {
            return Err("does not refer to a valid field".to_string());
        }
        Ok(())
    };
    while let Some(tok) = iter.next() {
        match tok.as_str() {
            "[" => {
                if !allow_array_notation {
                    return Err("array notation is not allowed".to_string());
                }
                let tok = iter.next().ok_or("unexpected end of JSON path")?;
                if tok.len() < 2 || !tok.starts_with('\'') || !tok.ends_with('\'') {
                    return Err(format!("expected single quoted string but got {tok}"));
                }
                let name = unescape_single_quote(&tok[1..tok.len() - 1])
                    .map_err(|e| format!("invalid string literal: {e}"))?;
                step(&mut path, &mut current, &name)?;
                let close = iter.next().ok_or("unexpected end of JSON path")?;
                if close != "]" {
                    return Err(format!("expected ] but got {close}"));
                }
            }
            "." => {
                let name = iter.next().ok_or("unexpected end of JSON path")?;
                step(&mut path, &mut current, &name)?;
            }
            other => return Err(format!("expected [ or . but got: {other}")),
        }
    }
    Ok((path, current))
}

/// Evaluates a printer-column or selectable-field JSONPath (`.spec.replicas`,
/// `.status.conditions[0].type`, `.metadata.labels['app']`) against an object: the first
/// match, or `None` when nothing matches (missing keys are allowed).
pub fn evaluate_jsonpath(obj: &Value, json_path: &str) -> Result<Option<Value>, SchemaError> {
    let compiled = JsonPath::parse(json_path)?;
    Ok(compiled.first(obj).cloned())
}

/// A parsed JSONPath expression of the subset Kubernetes columns use: fields (`.a`,
/// `['a.b']`), indexes (`[0]`, `[-1]`), wildcards (`[*]`, `.*`), recursive descent (`..a`)
/// and simple filters (`[?(@.type=="Ready")]`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Slice(Option<i64>, Option<i64>),
    Wildcard,
    Recursive(String),
    Filter(Vec<Step>, FilterOp, Value),
    Exists(Vec<Step>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn jp_err(msg: impl Into<String>) -> SchemaError {
    SchemaError::JsonPath(msg.into())
}

impl JsonPath {
    /// Parses a JSONPath; `{...}` braces (as kubectl templates write them) are accepted.
    pub fn parse(text: &str) -> Result<JsonPath, SchemaError> {
        let mut t = text.trim();
        if let Some(inner) = t.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            t = inner.trim();
        }
        if let Some(rest) = t.strip_prefix('$') {
            t = rest;
        }
        let steps = parse_steps(t)?;
        Ok(JsonPath { steps })
    }

    /// All matches, in document order.
    pub fn find<'v>(&self, obj: &'v Value) -> Vec<&'v Value> {
        let mut current = vec![obj];
        for step in &self.steps {
            let mut next = Vec::new();
            for v in current {
                apply(step, v, &mut next);
            }
            current = next;
        }
        current
    }

    /// The first match.
    pub fn first<'v>(&self, obj: &'v Value) -> Option<&'v Value> {
        self.find(obj).into_iter().next()
    }
}

fn apply<'v>(step: &Step, v: &'v Value, out: &mut Vec<&'v Value>) {
    match step {
        Step::Field(name) => {
            if let Some(x) = v.get(name.as_str()) {
                out.push(x);
            }
        }
        Step::Index(i) => {
            if let Value::Array(items) = v {
                let len = items.len() as i64;
                let idx = if *i < 0 { len + i } else { *i };
                if (0..len).contains(&idx) {
                    out.push(&items[idx as usize]);
                }
            }
        }
        Step::Slice(start, end) => {
            if let Value::Array(items) = v {
                let len = items.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let s = start.map_or(0, norm);
                let e = end.map_or(len, norm);
                for item in items.iter().take(e.max(0) as usize).skip(s.max(0) as usize) {
                    out.push(item);
                }
            }
        }
        Step::Wildcard => match v {
            Value::Array(items) => out.extend(items.iter()),
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.extend(keys.into_iter().map(|k| &map[k]));
            }
            _ => {}
        },
        Step::Recursive(name) => recursive(v, name, out),
        Step::Filter(path, op, expected) => {
            if let Value::Array(items) = v {
                for item in items {
                    let sub = JsonPath {
                        steps: path.clone(),
                    };
                    if sub
                        .first(item)
                        .is_some_and(|found| compare(found, *op, expected))
                    {
                        out.push(item);
                    }
                }
            }
        }
        Step::Exists(path) => {
            if let Value::Array(items) = v {
                for item in items {
                    let sub = JsonPath {
                        steps: path.clone(),
                    };
                    if sub.first(item).is_some() {
                        out.push(item);
                    }
                }
            }
        }
    }
}

fn recursive<'v>(v: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(map) => {
            if let Some(x) = map.get(name) {
                out.push(x);
            }
            for child in map.values() {
                recursive(child, name, out);
            }
        }
        Value::Array(items) => {
            for child in items {
                recursive(child, name, out);
            }
        }
        _ => {}
    }
}

fn compare(found: &Value, op: FilterOp, expected: &Value) -> bool {
    let ordering = match (found, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (a, b) if a == b => Some(std::cmp::Ordering::Equal),
        _ => None,
    };
    match (op, ordering) {
        (FilterOp::Eq, Some(o)) => o.is_eq(),
        (FilterOp::Ne, Some(o)) => o.is_ne(),
        (FilterOp::Ne, None) => true,
        (FilterOp::Lt, Some(o)) => o.is_lt(),
        (FilterOp::Le, Some(o)) => o.is_le(),
        (FilterOp::Gt, Some(o)) => o.is_gt(),
        (FilterOp::Ge, Some(o)) => o.is_ge(),
        _ => false,
    }
}

fn parse_steps(text: &str) -> Result<Vec<Step>, SchemaError> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut steps = Vec::new();
    let ident_end = |from: usize| {
        let mut j = from;
        while j < b.len() && !matches!(b[j], b'.' | b'[') {
            j += 1;
        }
        j
    };
    while i < b.len() {
        match b[i] {
            b'.' if b.get(i + 1) == Some(&b'.') => {
                let end = ident_end(i + 2);
                let name = &text[i + 2..end];
                if name.is_empty() {
                    return Err(jp_err(format!("invalid recursive descent in {text}")));
                }
                steps.push(Step::Recursive(name.to_string()));
                i = end;
            }
            b'.' => {
                let end = ident_end(i + 1);
                let name = &text[i + 1..end];
                if name == "*" {
                    steps.push(Step::Wildcard);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name.to_string()));
                }
                i = end;
            }
            b'[' => {
                let close = find_bracket_end(text, i)
                    .ok_or_else(|| jp_err(format!("unterminated array notation in {text}")))?;
                let inner = text[i + 1..close].trim();
                steps.push(parse_bracket(inner, text)?);
                i = close + 1;
            }
            _ => {
                let end = ident_end(i);
                let name = &text[i..end];
                steps.push(Step::Field(name.to_string()));
                i = end;
            }
        }
    }
    Ok(steps)
}

fn find_bracket_end(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0;
    for (j, &c) in b.iter().enumerate().skip(open) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\'' | b'"' => quote = Some(c),
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

fn parse_bracket(inner: &str, whole: &str) -> Result<Step, SchemaError> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if (inner.starts_with('\'') && inner.ends_with('\'')
        || inner.starts_with('"') && inner.ends_with('"'))
        && inner.len() >= 2
    {
        return Ok(Step::Field(inner[1..inner.len() - 1].to_string()));
    }
    if let Some(filter) = inner.strip_prefix("?(").and_then(|s| s.strip_suffix(')')) {
        return parse_filter(filter.trim(), whole);
    }
    if let Some((a, b)) = inner.split_once(':') {
        let num = |s: &str| -> Result<Option<i64>, SchemaError> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| jp_err(format!("invalid array index {s}")))
            }
        };
        let end = b.split(':').next().unwrap_or("");
        return Ok(Step::Slice(num(a)?, num(end)?));
    }
    inner
        .parse::<i64>()
        .map(Step::Index)
        .map_err(|_| jp_err(format!("invalid array index {inner} in {whole}")))
}

fn parse_filter(filter: &str, whole: &str) -> Result<Step, SchemaError> {
    let ops = [
        ("==", FilterOp::Eq),
        ("!=", FilterOp::Ne),
        ("<=", FilterOp::Le),
        (">=", FilterOp::Ge),
        ("<", FilterOp::Lt),
        (">", FilterOp::Gt),
    ];
    for (token, op) in ops {
        if let Some((lhs, rhs)) = filter.split_once(token) {
            let lhs = lhs
                .trim()
                .strip_prefix('@')
                .ok_or_else(|| jp_err(format!("unrecognized filter {whole}")))?;
            let rhs = rhs.trim();
            let expected = if (rhs.starts_with('\'') && rhs.ends_with('\''))
                || (rhs.starts_with('"') && rhs.ends_with('"'))
            {
                Value::String(rhs[1..rhs.len() - 1].to_string())
            } else {
                serde_json::from_str(rhs)
                    .map_err(|_| jp_err(format!("unrecognized filter value {rhs}")))?
            };
            return Ok(Step::Filter(parse_steps(lhs)?, op, expected));
        }
    }
    let path = filter
        .strip_prefix('@')
        .ok_or_else(|| jp_err(format!("unrecognized filter {whole}")))?;
    Ok(Step::Exists(parse_steps(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::SchemaProps;
    use serde_json::json;

    fn structural(v: Value) -> Structural {
        Structural::from_props(&SchemaProps::from_value(&v).expect("decodes")).expect("structural")
    }

    #[test]
    fn field_paths_resolve_against_schema() {
        let s = structural(
            json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "color": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }}}}),
        );
        let (p, found) = valid_field_path(".spec.color", &s, false).expect("valid");
        assert_eq!(p.to_string(), "spec.color");
        assert_eq!(found.type_, "string");
        let (p, _) = valid_field_path(".spec.labels['a.b']", &s, true).expect("valid");
        assert_eq!(p.to_string(), "spec.labels[a.b]");
        assert_eq!(
            valid_field_path(".spec.x", &s, true).unwrap_err(),
            "does not refer to a valid field"
        );
        assert_eq!(
            valid_field_path(".spec.labels['a']", &s, false).unwrap_err(),
            "array notation is not allowed"
        );
        assert_eq!(
            valid_field_path(".spec[0]", &s, true).unwrap_err(),
            "expected single quoted string but got 0"
        );
        assert_eq!(
            valid_field_path("spec", &s, true).unwrap_err(),
            "expected [ or . but got: spec"
        );
    }

    #[test]
    fn evaluates_column_paths() {
        let obj = json!({"spec": {"replicas": 3}, "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
                         "status": {"conditions": [{"type": "A", "status": "False"}, {"type": "Ready", "status": "True"}]}});
        assert_eq!(
            evaluate_jsonpath(&obj, ".spec.replicas").expect("parses"),
            Some(json!(3))
        );
        assert_eq!(
            evaluate_jsonpath(&obj, ".spec.missing").expect("parses"),
            None
        );
        assert_eq!(
            evaluate_jsonpath(&obj, ".status.conditions[1].type").expect("parses"),
            Some(json!("Ready"))
        );
        assert_eq!(
            evaluate_jsonpath(&obj, ".status.conditions[-1].status").expect("parses"),
            Some(json!("True"))
        );
        assert_eq!(
            evaluate_jsonpath(&obj, r#".status.conditions[?(@.type=="Ready")].status"#)
                .expect("parses"),
            Some(json!("True"))
        );
        assert_eq!(
            evaluate_jsonpath(&obj, ".metadata.labels['app.kubernetes.io/name']").expect("parses"),
            Some(json!("x"))
        );
        assert_eq!(
            evaluate_jsonpath(&obj, "{.status.conditions[*].type}").expect("parses"),
            Some(json!("A"))
        );
        assert!(evaluate_jsonpath(&obj, ".status.conditions[x]").is_err());
    }
}
