//! Label and field selectors (apimachinery `labels` and `fields` grammar).

use serde_json::Value;

use crate::registry::ResourceDef;

/// One `matchExpressions` entry of a metav1 `LabelSelector` object.
pub(crate) struct Expression<'a> {
    pub key: &'a str,
    pub operator: &'a str,
    pub values: Vec<&'a str>,
}

/// The `matchExpressions` of a metav1 `LabelSelector` object (`matchLabels` are plain pairs).
pub(crate) fn metav1_expressions(selector: &Value) -> Vec<Expression<'_>> {
    selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| Expression {
            key: e.get("key").and_then(Value::as_str).unwrap_or(""),
            operator: e.get("operator").and_then(Value::as_str).unwrap_or(""),
            values: e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// Whether `labels` satisfy a metav1 `LabelSelector` object (an unknown operator never does).
pub(crate) fn metav1_matches(selector: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    let pairs_match = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|pairs| pairs.iter().all(|(k, v)| labels.get(k) == Some(v)));
    pairs_match
        && metav1_expressions(selector).iter().all(|e| {
            let actual = labels.get(e.key).and_then(Value::as_str);
            match e.operator {
                "In" => actual.is_some_and(|a| e.values.contains(&a)),
                "NotIn" => actual.is_none_or(|a| !e.values.contains(&a)),
                "Exists" => actual.is_some(),
                "DoesNotExist" => actual.is_none(),
                _ => false,
            }
        })
}

/// One label requirement.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelRequirement {
    /// `key` exists.
    Exists(String),
    /// `!key`.
    NotExists(String),
    /// `key in (…)` / `key=v` / `key==v`.
    In(String, Vec<String>),
    /// `key notin (…)` / `key!=v`.
    NotIn(String, Vec<String>),
    /// `key>N`.
    Gt(String, i64),
    /// `key<N`.
    Lt(String, i64),
}

/// A parsed label selector (AND of requirements).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSelector {
    /// Requirements.
    pub requirements: Vec<LabelRequirement>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Open,
    Close,
    Comma,
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    In,
    NotIn,
    End,
}

impl Token {
    fn literal(&self) -> String {
        match self {
            Token::Ident(s) => s.clone(),
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::Comma => ",".into(),
            Token::Not => "!".into(),
            Token::Eq => "=".into(),
            Token::DoubleEq => "==".into(),
            Token::NotEq => "!=".into(),
            Token::Gt => ">".into(),
            Token::Lt => "<".into(),
            Token::In => "in".into(),
            Token::NotIn => "notin".into(),
            Token::End => "".into(),
        }
    }
}

fn lex(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' | '\n' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::NotEq);
                i += 2
            }
            '!' => {
                tokens.push(Token::Not);
                i += 1
            }
            '=' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::DoubleEq);
                i += 2
            }
            '=' => {
                tokens.push(Token::Eq);
                i += 1
            }
            '>' => {
                tokens.push(Token::Gt);
                i += 1
            }
            '<' => {
                tokens.push(Token::Lt);
                i += 1
            }
            _ => {
                let start = i;
                while i < chars.len() && !" \t\r\n=!(),<>".contains(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                tokens.push(match word.as_str() {
                    "in" => Token::In,
                    "notin" => Token::NotIn,
                    _ => Token::Ident(word),
                });
            }
        }
    }
    tokens.push(Token::End);
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }
}

/// Parse a label selector; the error is the upstream parser message.
pub fn parse_label_selector(input: &str) -> Result<LabelSelector, String> {
    let mut p = Parser {
        tokens: lex(input),
        pos: 0,
    };
    let mut sel = LabelSelector::default();
    if matches!(p.peek(), Token::End) {
        return Ok(sel);
    }
    loop {
        match p.peek() {
            Token::Ident(_) | Token::Not => {}
            Token::End => break,
            t => {
                return Err(format!(
                    "found '{}', expected: !, identifier, or 'end of string'",
                    t.literal()
                ))
            }
        }
        // Like upstream's parser, only errors inside one requirement carry this prefix.
        let req =
            parse_requirement(&mut p).map_err(|e| format!("unable to parse requirement: {e}"))?;
        sel.requirements.push(req);
        match p.next() {
            Token::End => break,
            Token::Comma => {
                if !matches!(p.peek(), Token::Ident(_) | Token::Not) {
                    return Err(format!(
                        "found '{}', expected: identifier after ','",
                        p.peek().literal()
                    ));
                }
            }
            t => {
                return Err(format!(
                    "found '{}', expected: ',' or 'end of string'",
                    t.literal()
                ))
            }
        }
    }
    Ok(sel)
}

fn parse_requirement(p: &mut Parser) -> Result<LabelRequirement, String> {
    let negated = matches!(p.peek(), Token::Not);
    if negated {
        p.next();
    }
    let key = match p.next() {
        Token::Ident(k) => k,
        t => return Err(format!("found '{}', expected: identifier", t.literal())),
    };
    validate_label_key(&key)?;
    if negated {
        return Ok(LabelRequirement::NotExists(key));
    }
    let op = match p.peek() {
        Token::Comma | Token::End => return Ok(LabelRequirement::Exists(key)),
        _ => p.next(),
    };
    match op {
        Token::In | Token::NotIn => {
            match p.next() {
                Token::Open => {}
                t => return Err(format!("found '{}' expected: '('", t.literal())),
            }
            let mut values = Vec::new();
            loop {
                match p.peek().clone() {
                    Token::Close => {
                        p.next();
                        if values.is_empty() {
                            values.push(String::new());
                        }
                        break;
                    }
                    Token::Ident(v) => {
                        p.next();
                        values.push(v);
                        match p.next() {
                            Token::Comma => {}
                            Token::Close => break,
                            t => {
                                return Err(format!(
                                    "found '{}', expected: ',' or ')'",
                                    t.literal()
                                ))
                            }
                        }
                    }
                    Token::Comma => {
                        p.next();
                        values.push(String::new());
                    }
                    t => {
                        return Err(format!(
                            "found '{}', expected: ',', ')' or identifier",
                            t.literal()
                        ))
                    }
                }
            }
            let mut sorted: Vec<&String> = values.iter().collect();
            sorted.sort();
            sorted.dedup();
            for (index, v) in sorted.into_iter().enumerate() {
                validate_label_value(v, index)?;
            }
            Ok(if op == Token::In {
                LabelRequirement::In(key, values)
            } else {
                LabelRequirement::NotIn(key, values)
            })
        }
        Token::Eq | Token::DoubleEq | Token::NotEq | Token::Gt | Token::Lt => {
            let value = match p.peek().clone() {
                Token::Ident(v) => {
                    p.next();
                    v
                }
                Token::Comma | Token::End => String::new(),
                t => return Err(format!("found '{}', expected: identifier", t.literal())),
            };
            match op {
                Token::Gt | Token::Lt => {
                    let n: i64 = value.parse().map_err(|_| {
                        format!(
                            "values[0]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            klite_schema::gofmt::quote(&value)
                        )
                    })?;
                    Ok(if op == Token::Gt {
                        LabelRequirement::Gt(key, n)
                    } else {
                        LabelRequirement::Lt(key, n)
                    })
                }
                _ => {
                    validate_label_value(&value, 0)?;
                    Ok(if op == Token::NotEq {
                        LabelRequirement::NotIn(key, vec![value])
                    } else {
                        LabelRequirement::In(key, vec![value])
                    })
                }
            }
        }
        t => Err(format!(
            "found '{}', expected: in, notin, =, ==, !=, gt, lt",
            t.literal()
        )),
    }
}

fn validate_label_key(key: &str) -> Result<(), String> {
    let issues = crate::validation::qualified_name(key);
    if !issues.is_empty() {
        return Err(format!(
            "key: Invalid value: {}: {}",
            klite_schema::gofmt::quote(key),
            issues.join("; ")
        ));
    }
    Ok(())
}

/// Upstream checks the values as a sorted set, so `index` is the position in that order.
fn validate_label_value(value: &str, index: usize) -> Result<(), String> {
    let issues = crate::validation::label_value(value);
    if !issues.is_empty() {
        return Err(format!(
            "values[{index}][{value}]: Invalid value: {}: {}",
            klite_schema::gofmt::quote(value),
            issues.join("; ")
        ));
    }
    Ok(())
}

impl LabelSelector {
    /// Does an object's `metadata.labels` match?
    pub fn matches(&self, object: &Value) -> bool {
        if self.requirements.is_empty() {
            return true;
        }
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            LabelRequirement::Exists(k) => get(k).is_some(),
            LabelRequirement::NotExists(k) => get(k).is_none(),
            LabelRequirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            LabelRequirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
            LabelRequirement::Gt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            LabelRequirement::Lt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

/// One field requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRequirement {
    /// Field label, e.g. `metadata.name`.
    pub field: String,
    /// `!=` when true.
    pub negated: bool,
    /// Value.
    pub value: String,
}

/// A parsed field selector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSelector {
    /// Requirements (AND).
    pub requirements: Vec<FieldRequirement>,
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if escaped {
        cur.push('\\');
    }
    out.push(cur);
    out
}

fn unescape_value(v: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('\\' | ',' | '=')) => out.push(n),
                Some(n) => return Err(format!("invalid escape sequence: \\{n}")),
                None => return Err("invalid escape sequence: \\".into()),
            },
            ',' | '=' => return Err(format!("invalid field selector value: unescaped {c}")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Parse a field selector; errors are the 400 message.
pub fn parse_field_selector(input: &str) -> Result<FieldSelector, String> {
    let mut sel = FieldSelector::default();
    if input.trim().is_empty() {
        return Ok(sel);
    }
    for term in split_unescaped(input, ',') {
        if term.is_empty() {
            continue;
        }
        let (field, negated, raw) = if let Some(i) = find_op(&term) {
            let (f, rest) = term.split_at(i);
            if let Some(v) = rest.strip_prefix("!=") {
                (f, true, v)
            } else if let Some(v) = rest.strip_prefix("==") {
                (f, false, v)
            } else {
                (f, false, &rest[1..])
            }
        } else {
            return Err(format!(
                "invalid selector: '{input}'; can't understand '{term}'"
            ));
        };
        let value = unescape_value(raw)?;
        sel.requirements.push(FieldRequirement {
            field: field.to_string(),
            negated,
            value,
        });
    }
    Ok(sel)
}

fn find_op(term: &str) -> Option<usize> {
    let b = term.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'\\' {
            continue;
        }
        if b[i] == b'!' && b.get(i + 1) == Some(&b'=') {
            return Some(i);
        }
        if b[i] == b'=' {
            return Some(i);
        }
    }
    None
}

/// `metadata.name=<n>` exact match in a raw field selector, if present.
pub fn exact_name(raw: &str) -> Option<String> {
    let sel = parse_field_selector(raw).ok()?;
    sel.requirements
        .iter()
        .find(|r| r.field == "metadata.name" && !r.negated)
        .map(|r| r.value.clone())
}

impl FieldSelector {
    /// Check every field label is supported by the resource (400 message otherwise).
    pub fn validate_for(&self, def: &ResourceDef) -> Result<(), String> {
        let has_converter = def.is_custom() || !def.field_selectors.is_empty();
        for r in &self.requirements {
            let f = r.field.as_str();
            let ok = f == "metadata.name"
                || (f == "metadata.namespace" && (def.namespaced || !has_converter))
                || def.field_selectors.iter().any(|s| s == f);
            if !ok {
                return Err(if has_converter {
                    format!("field label not supported: {f}")
                } else {
                    format!("\"{f}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                });
            }
        }
        Ok(())
    }

    /// Does the object match?
    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|r| {
            let actual = field_value(object, &r.field);
            (actual == r.value) != r.negated
        })
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

/// `fmt.Sprint` of a field's value ("" when missing).
pub fn field_value(object: &Value, field: &str) -> String {
    let path = match field {
        "source" => "source.component",
        f => f,
    };
    let mut cur = object;
    for part in path.split('.') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) if field == "status.podIPs" => items
            .first()
            .and_then(|i| i.get("ip"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "n", "labels": labels}})
    }

    #[test]
    fn label_selector_grammar_and_semantics() {
        let s = parse_label_selector("app=web, tier in (a,b),!legacy,env!=prod,rank>3").unwrap();
        assert!(s.matches(&obj(json!({"app":"web","tier":"a","rank":"4"}))));
        assert!(!s.matches(&obj(json!({"app":"web","tier":"a","rank":"2"}))));
        assert!(!s.matches(&obj(json!({"app":"web","tier":"c","rank":"4"}))));
        assert!(!s.matches(&obj(json!({"app":"web","tier":"a","rank":"4","legacy":""}))));
        let notin = parse_label_selector("env notin (prod)").unwrap();
        assert!(notin.matches(&obj(json!({}))), "notin matches absent keys");
        let empty_value = parse_label_selector("k=").unwrap();
        assert!(empty_value.matches(&obj(json!({"k":""}))));
        assert!(parse_label_selector("app=web)").is_err());
        assert!(parse_label_selector("a b")
            .unwrap_err()
            .contains("found 'b'"));
    }

    #[test]
    fn label_selector_errors_are_upstreams_parser_messages() {
        let err = |s: &str| parse_label_selector(s).unwrap_err();
        // Errors inside one requirement are prefixed; errors between requirements are not.
        assert_eq!(
            err("a in b"),
            "unable to parse requirement: found 'b' expected: '('"
        );
        assert_eq!(
            err("x ("),
            "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"
        );
        assert_eq!(
            err("!,a"),
            "unable to parse requirement: found ',', expected: identifier"
        );
        assert_eq!(err("a=b)"), "found ')', expected: ',' or 'end of string'");
        assert_eq!(err("a,,b"), "found ',', expected: identifier after ','");
        assert_eq!(err("a=b,"), "found '', expected: identifier after ','");
        assert_eq!(
            err("=a"),
            "found '=', expected: !, identifier, or 'end of string'"
        );
        assert_eq!(
            err("n>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"
        );
        let bad_second = err("k in (zz_,a)");
        assert!(
            bad_second.starts_with("unable to parse requirement: values[1][zz_]: Invalid value: \"zz_\": a valid label must be"),
            "{bad_second}"
        );
    }

    #[test]
    fn field_selector_parsing_and_escapes() {
        let s = parse_field_selector(r"metadata.name=a\,b,status.phase!=Running").unwrap();
        assert_eq!(s.requirements[0].value, "a,b");
        assert!(s.requirements[1].negated);
        assert_eq!(
            parse_field_selector("foo").unwrap_err(),
            "invalid selector: 'foo'; can't understand 'foo'"
        );
        assert_eq!(exact_name("metadata.name==x").as_deref(), Some("x"));
    }
}
