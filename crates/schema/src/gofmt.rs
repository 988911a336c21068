//! Go formatting primitives that Kubernetes messages are made of.
//!
//! Upstream messages are produced by Go's `fmt` and `encoding/json`; matching them byte for
//! byte needs the same quoting (`%q`), float printing (`%v`) and JSON encoding (sorted map
//! keys, HTML-safe escapes, Go float layout). These helpers are public because every
//! component that renders upstream messages (the API server's `"name" not found` and so on)
//! needs the same rules.

use serde_json::Value;
use std::fmt::Write as _;

/// Go `strconv.Quote` / `%q`: a double-quoted string with Go escapes.
///
/// Printable characters are kept as they are; `\a \b \f \n \r \t \v`, `\\` and `\"` use their
/// short escapes; other non-printable characters become `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// An approximation of Go `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and the ASCII space. Control, format, private-use and non-ASCII space characters are not
/// printable. (Unassigned code points are treated as printable; Go escapes them.)
pub fn is_print(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x20 || (0x7f..=0xa0).contains(&cp) || cp == 0xad {
        return false;
    }
    if cp < 0x7f {
        return true;
    }
    if c.is_whitespace() {
        return false;
    }
    !matches!(cp,
        0x0600..=0x0605
        | 0x061c
        | 0x06dd
        | 0x070f
        | 0x0890..=0x0891
        | 0x08e2
        | 0x180e
        | 0x200b..=0x200f
        | 0x2028..=0x202e
        | 0x2060..=0x206f
        | 0xd800..=0xf8ff
        | 0xfeff
        | 0xfff9..=0xfffb
        | 0xfffe..=0xffff
        | 0x110bd
        | 0x110cd
        | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a
        | 0xe0001
        | 0xe0020..=0xe007f
        | 0xf0000..=0x10ffff
    )
}

/// The shortest round-trip decimal digits of a finite, non-zero `|value|` and the position
/// of the decimal point (Go's `decimalSlice` `d` and `dp`): value = 0.d × 10^dp.
fn shortest_digits(value: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-trip digits, e.g. `1.2345e6`.
    let text = format!("{:e}", value.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    (digits.to_string(), exponent + 1)
}

/// Go `%e` layout with `prec` digits after the point; Go always prints at least two
/// exponent digits (`1e+06`).
fn layout_e(out: &mut String, digits: &str, dp: i32, prec: usize) {
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if prec > 0 {
        out.push('.');
        let rest: String = chars.collect();
        out.push_str(&rest);
        for _ in rest.len()..prec {
            out.push('0');
        }
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let magnitude = exp.unsigned_abs();
    if magnitude < 10 {
        out.push('0');
    }
    let _ = write!(out, "{magnitude}");
}

/// Go `%f` layout of shortest digits (`prec` = digits after the point).
fn layout_f(out: &mut String, digits: &str, dp: i32, prec: usize) {
    let bytes = digits.as_bytes();
    let digit_at = |i: i32| -> char {
        if i >= 0 && (i as usize) < bytes.len() {
            bytes[i as usize] as char
        } else {
            '0'
        }
    };
    if dp > 0 {
        for i in 0..dp {
            out.push(digit_at(i));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            out.push(digit_at(dp + i));
        }
    }
}

fn non_finite(value: f64) -> Option<&'static str> {
    if value.is_nan() {
        Some("NaN")
    } else if value.is_infinite() {
        Some(if value > 0.0 { "+Inf" } else { "-Inf" })
    } else {
        None
    }
}

/// Go `%v` of a `float64` (`strconv.FormatFloat(v, 'g', -1, 64)`): `1.5`, `10`, `1e+06`,
/// `1e-05`.
pub fn format_float(value: f64) -> String {
    if let Some(text) = non_finite(value) {
        return text.to_string();
    }
    let mut out = String::new();
    if value.is_sign_negative() && value != 0.0 {
        out.push('-');
    }
    if value == 0.0 {
        if value.is_sign_negative() {
            out.push('-');
        }
        out.push('0');
        return out;
    }
    let (digits, dp) = shortest_digits(value);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        layout_e(&mut out, &digits, dp, digits.len() - 1);
    } else {
        let prec = (digits.len() as i32 - dp).max(0) as usize;
        layout_f(&mut out, &digits, dp, prec);
    }
    out
}

/// Go `encoding/json` layout of a `float64`: plain decimal between 1e-6 and 1e21, otherwise
/// exponent form with a trimmed exponent (`1e+21`, `1e-7`).
pub fn format_json_float(value: f64) -> String {
    if let Some(text) = non_finite(value) {
        return text.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let mut out = String::new();
    if value < 0.0 {
        out.push('-');
    }
    let (digits, dp) = shortest_digits(value);
    let abs = value.abs();
    if !(1e-6..1e21).contains(&abs) {
        let mut e = String::new();
        layout_e(&mut e, &digits, dp, digits.len() - 1);
        // Go trims `e-07` to `e-7` (but keeps `e+21`).
        if let Some(pos) = e.find("e-0") {
            e.replace_range(pos..pos + 3, "e-");
        }
        out.push_str(&e);
    } else {
        let prec = (digits.len() as i32 - dp).max(0) as usize;
        layout_f(&mut out, &digits, dp, prec);
    }
    out
}

/// Go `%v` of a JSON number as the unstructured decoder holds it: integers as `int64`
/// (printed bare), everything else as `float64`.
pub fn format_number(number: &serde_json::Number) -> String {
    if let Some(i) = number.as_i64() {
        i.to_string()
    } else if let Some(u) = number.as_u64() {
        u.to_string()
    } else {
        format_float(number.as_f64().unwrap_or(0.0))
    }
}

/// Go `encoding/json.Marshal` of an unstructured value: object keys sorted, `<`, `>`, `&`,
/// U+2028 and U+2029 escaped, Go float layout.
pub fn marshal_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&format_json_float(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_json(out, &map[key]);
            }
            out.push('}');
        }
    }
}

/// Go `encoding/json` string encoding (HTML-safe).
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go `%T` of an unstructured value (`int64`, `float64`, `map[string]interface {}`, `<nil>`).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go `fmt.Sprint` of an unstructured value, as used for field-selector values and printer
/// columns: strings bare, numbers and booleans as `%v`, `<nil>` for null, maps as
/// `map[k:v ...]` (sorted keys) and slices as `[a b]`.
pub fn sprint(value: &Value) -> String {
    let mut out = String::new();
    write_sprint(&mut out, value);
    out
}

fn write_sprint(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_sprint(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_sprint(out, &map[key]);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quote_matches_go_strconv_quote() {
        assert_eq!(quote("abc"), r#""abc""#);
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("line\nbreak\ttab"), r#""line\nbreak\ttab""#);
        assert_eq!(quote("\u{1}\u{7f}"), r#""\x01\x7f""#);
        assert_eq!(quote("héllo ☃"), "\"héllo ☃\"");
        assert_eq!(quote("zero\u{200b}width"), r#""zero\u200bwidth""#);
        assert_eq!(quote("nbsp\u{a0}"), r#""nbsp\u00a0""#);
    }

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(10.0), "10");
        assert_eq!(format_float(-2.25), "-2.25");
        assert_eq!(format_float(100000.0), "100000");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(1234567.0), "1.234567e+06");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(0.0), "0");
        assert_eq!(format_float(0.1), "0.1");
    }

    #[test]
    fn floats_marshal_like_go_json() {
        assert_eq!(format_json_float(1.0), "1");
        assert_eq!(format_json_float(1.5), "1.5");
        assert_eq!(format_json_float(1e6), "1000000");
        assert_eq!(format_json_float(1e21), "1e+21");
        assert_eq!(format_json_float(1e-7), "1e-7");
        assert_eq!(format_json_float(0.000001), "0.000001");
    }

    #[test]
    fn marshal_sorts_keys_and_escapes_html() {
        let v = json!({"b": 1, "a": [true, null, "x<y&z>"], "c": {"z": 1.0, "y": 2.5}});
        assert_eq!(
            marshal_json(&v),
            r#"{"a":[true,null,"x\u003cy\u0026z\u003e"],"b":1,"c":{"y":2.5,"z":1}}"#
        );
    }

    #[test]
    fn sprint_matches_go_fmt_sprint() {
        assert_eq!(sprint(&json!("red")), "red");
        assert_eq!(sprint(&json!(5)), "5");
        assert_eq!(sprint(&json!(true)), "true");
        assert_eq!(sprint(&json!(null)), "<nil>");
        assert_eq!(sprint(&json!([1, "a"])), "[1 a]");
        assert_eq!(sprint(&json!({"b": 1, "a": 2})), "map[a:2 b:1]");
    }
}
