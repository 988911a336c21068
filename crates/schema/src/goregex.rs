//! Go `regexp` (RE2) semantics on top of the `regex` crate.
//!
//! Both implement RE2 syntax; the differences that matter for CRD patterns are handled here:
//! Go's Perl classes (`\d`, `\w`, `\s`, `\b`) are ASCII-only, Go rejects repeat counts above
//! 1000, and Go's error messages (`error parsing regexp: invalid or unsupported Perl syntax:
//! `(?=``) are what upstream prints.

use regex::Regex;

/// Compiles a Go regular expression; the error is Go's `regexp.Compile` message.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if let Some(err) = go_syntax_error(pattern) {
        return Err(format!("error parsing regexp: {err}"));
    }
    let translated = translate(pattern);
    regex::RegexBuilder::new(&translated)
        .size_limit(64 << 20)
        .build()
        .map_err(|err| {
            format!(
                "error parsing regexp: {}",
                describe_regex_error(&err, pattern)
            )
        })
}

/// Rewrites Go-only constructs to their `regex` crate equivalents: ASCII Perl classes.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, class_depth > 0) {
                    ('d', false) => Some("[0-9]"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    ('s', false) => Some("[\\t\\n\\f\\r ]"),
                    ('S', false) => Some("[^\\t\\n\\f\\r ]"),
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    ('d', true) => Some("0-9"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('s', true) => Some("\\t\\n\\f\\r "),
                    ('D', true) => Some("[^0-9]"),
                    ('W', true) => Some("[^0-9A-Za-z_]"),
                    ('S', true) => Some("[^\\t\\n\\f\\r ]"),
                    _ => None,
                };
                match replacement {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(next);
                    }
                }
            }
            '[' => {
                out.push('[');
                if class_depth == 0 {
                    class_depth = 1;
                    // A leading `^` and a leading `]` are literal parts of the class opener.
                    if chars.peek() == Some(&'^') {
                        out.push('^');
                        chars.next();
                    }
                    if chars.peek() == Some(&']') {
                        out.push_str("\\]");
                        chars.next();
                    }
                } else if chars.peek() == Some(&':') {
                    // POSIX class `[:alpha:]` inside a class.
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == ']' {
                            break;
                        }
                    }
                } else {
                    // Go has no nested classes: a `[` inside a class is literal.
                    out.pop();
                    out.push_str("\\[");
                }
            }
            ']' if class_depth > 0 => {
                class_depth = 0;
                out.push(']');
            }
            // Go treats `&&`, `--` and `~~` inside classes literally; the regex crate treats
            // them as set operations.
            '&' | '-' | '~' if class_depth > 0 && chars.peek() == Some(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Detects the Go syntax errors the regex crate would report differently (or not at all).
fn go_syntax_error(pattern: &str) -> Option<String> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    let mut depth: i32 = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\\' => {
                if i + 1 >= bytes.len() {
                    return Some("trailing backslash at end of expression: ``".to_string());
                }
                let next = bytes[i + 1];
                if next.is_ascii_digit() && next != b'0' && !in_class {
                    return Some(format!("invalid escape sequence: `\\{}`", next as char));
                }
                if matches!(
                    next,
                    b'Z' | b'k' | b'g' | b'K' | b'R' | b'X' | b'h' | b'H' | b'V' | b'N' | b'e'
                ) {
                    return Some(format!("invalid escape sequence: `\\{}`", next as char));
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                i += 1;
                if bytes.get(i) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i) == Some(&b']') {
                    i += 1;
                }
                continue;
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                if bytes.get(i + 1) == Some(&b'?') {
                    let rest = &pattern[i..];
                    for bad in [
                        "(?=", "(?!", "(?<=", "(?<!", "(?>", "(?#", "(?|", "(?R", "(?&",
                    ] {
                        if rest.starts_with(bad) {
                            return Some(format!("invalid or unsupported Perl syntax: `{bad}`"));
                        }
                    }
                }
                depth += 1;
            }
            b')' if !in_class => {
                depth -= 1;
                if depth < 0 {
                    return Some(format!("unexpected ): `{pattern}`"));
                }
            }
            b'{' if !in_class => {
                if let Some(err) = repeat_count_error(pattern, i) {
                    return Some(err);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if in_class {
        let start = pattern.rfind('[').unwrap_or(0);
        return Some(format!("missing closing ]: `{}`", &pattern[start..]));
    }
    if depth > 0 {
        return Some(format!("missing closing ): `{pattern}`"));
    }
    None
}

/// Go rejects `{n,m}` with n or m above 1000, or m < n.
fn repeat_count_error(pattern: &str, open: usize) -> Option<String> {
    let rest = &pattern[open + 1..];
    let close = rest.find('}')?;
    let body = &rest[..close];
    let (min, max) = match body.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    if min.is_empty() || !min.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(max) = max {
        if !max.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let text = &pattern[open..open + close + 2];
    let min: u64 = min.parse().unwrap_or(u64::MAX);
    let max_value: Option<u64> = match max {
        Some("") | None => None,
        Some(m) => Some(m.parse().unwrap_or(u64::MAX)),
    };
    if min > 1000 || max_value.is_some_and(|m| m > 1000 || m < min) {
        return Some(format!("invalid repeat count: `{text}`"));
    }
    None
}

fn describe_regex_error(err: &regex::Error, pattern: &str) -> String {
    let text = err.to_string();
    if text.contains("repetition operator missing expression") {
        return format!(
            "missing argument to repetition operator: `{}`",
            first_repetition(pattern)
        );
    }
    if text.contains("invalid character class range") {
        return format!("invalid character class range: `{pattern}`");
    }
    if text.contains("unrecognized escape sequence") {
        return format!("invalid escape sequence: `{pattern}`");
    }
    if text.contains("exceeds size limit") {
        return format!("expression too large: `{pattern}`");
    }
    // Fall back to the regex crate's own one-line description.
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_string()
        })
        .unwrap_or(text);
    format!("{line}: `{pattern}`")
}

fn first_repetition(pattern: &str) -> String {
    pattern
        .chars()
        .find(|c| matches!(c, '*' | '+' | '?'))
        .map(|c| c.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii() {
        let re = compile(r"^\d+$").expect("compiles");
        assert!(re.is_match("123"));
        assert!(!re.is_match("١٢٣"), "Arabic-Indic digits are not \\d in Go");
        let re = compile(r"^[\w.-]+$").expect("compiles");
        assert!(re.is_match("a_b.c-d"));
        assert!(!re.is_match("é"));
        let re = compile(r"^[^\s]+$").expect("compiles");
        assert!(re.is_match("abc"));
        assert!(!re.is_match("a b"));
    }

    #[test]
    fn unanchored_like_go() {
        let re = compile("[a-z]+").expect("compiles");
        assert!(re.is_match("ABC-def"));
        let re = compile("^[a-z]+$").expect("compiles");
        assert!(!re.is_match("abc\n"));
    }

    #[test]
    fn go_error_messages() {
        assert_eq!(
            compile("(?=x)").unwrap_err(),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
        );
        assert_eq!(
            compile("a(b").unwrap_err(),
            "error parsing regexp: missing closing ): `a(b`"
        );
        assert_eq!(
            compile("a)b").unwrap_err(),
            "error parsing regexp: unexpected ): `a)b`"
        );
        assert_eq!(
            compile("[a-").unwrap_err(),
            "error parsing regexp: missing closing ]: `[a-`"
        );
        assert_eq!(
            compile(r"(a)\1").unwrap_err(),
            r"error parsing regexp: invalid escape sequence: `\1`"
        );
        assert_eq!(
            compile("a{1001}").unwrap_err(),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            compile("*a").unwrap_err(),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
    }

    #[test]
    fn go_literal_class_operators() {
        let re = compile("^[a&&b]+$").expect("compiles");
        assert!(re.is_match("a&b"));
    }
}
