//! String formats enforced on custom resources (kube-openapi `strfmt.Default` restricted to
//! the formats apiextensions supports; names are normalised by removing `-`).

use regex::Regex;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

/// Normalised names of the string formats apiextensions keeps (compatibility version ≥ 1.34).
const SUPPORTED: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
    "k8sshortname",
    "k8slongname",
];

/// Upstream's name normalisation (`-` removed).
pub fn normalize(format: &str) -> String {
    format.replace('-', "")
}

/// Whether a string format is enforced (after normalisation).
pub fn is_supported_string_format(format: &str) -> bool {
    SUPPORTED.contains(&normalize(format).as_str())
}

/// The format kept after apiextensions' post-processing for a schema whose single type is
/// `schema_type` (`""` for untyped or multi-typed schemas), or `""` when it is stripped.
pub fn effective_format(format: &str, schema_type: &str) -> String {
    if format.is_empty() {
        return String::new();
    }
    let keep = match schema_type {
        "" | "string" => is_supported_string_format(format),
        "integer" => format == "int32" || format == "int64",
        "number" => format == "float" || format == "double",
        _ => false,
    };
    if keep {
        format.to_string()
    } else {
        String::new()
    }
}

/// Whether the format is in kube-openapi's default registry (the format validator applies).
pub fn is_known(format: &str) -> bool {
    is_supported_string_format(format)
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|_| unreachable!("constant regex {pattern}"))
}

static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$",
    )
});
static UUID: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"));
static UUID3: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
});
static UUID4: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
});
static UUID5: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
});
static CREDIT_CARD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35[0-9]{3})[0-9]{11})$",
    )
});
static HEXCOLOR: LazyLock<Regex> = LazyLock::new(|| re(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"));
static RGBCOLOR: LazyLock<Regex> = LazyLock::new(|| {
    let n = r"(0|[1-9][0-9]?|1[0-9][0-9]?|2[0-4][0-9]|25[0-5])";
    let s = r"[\t\n\f\r ]*";
    re(&format!(r"^rgb\({s}{n}{s},{s}{n}{s},{s}{n}{s}\)$"))
});
static BASE64: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")
});
static SSN: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}$"));
static DATE_TIME_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")
});
static SCALA_DURATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(([0-9]+)[\t\n\f\r ]*([A-Za-zµ]+))"));
static SHORT_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
static LONG_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));

/// Whether `value` is valid for the (supported) string `format`.
pub fn validates(format: &str, value: &str) -> bool {
    match normalize(format).as_str() {
        "bsonobjectid" => value.len() == 24 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => is_request_uri(value),
        "email" => is_email(value),
        "hostname" => {
            HOSTNAME.is_match(value)
                && value.len() <= 255
                && value.split('.').all(|p| p.len() <= 63)
        }
        "ipv4" => parse_ip_sloppy(value).is_some() && value.contains('.'),
        "ipv6" => parse_ip_strict(value).is_some() && value.contains(':'),
        "cidr" => is_cidr(value),
        "mac" => is_mac(value),
        "uuid" => UUID.is_match(value),
        "uuid3" => UUID3.is_match(value),
        "uuid4" => UUID4.is_match(value),
        "uuid5" => UUID5.is_match(value),
        "isbn" => is_isbn10(value) || is_isbn13(value),
        "isbn10" => is_isbn10(value),
        "isbn13" => is_isbn13(value),
        "creditcard" => is_credit_card(value),
        "ssn" => value.len() == 11 && SSN.is_match(value),
        "hexcolor" => HEXCOLOR.is_match(value),
        "rgbcolor" => RGBCOLOR.is_match(value),
        "byte" => BASE64.is_match(value),
        "password" => true,
        "date" => is_date(value),
        "duration" => is_duration(value),
        "datetime" => is_date_time(value),
        "k8sshortname" => value.len() <= 63 && SHORT_NAME.is_match(value),
        "k8slongname" => value.len() <= 253 && LONG_NAME.is_match(value),
        _ => true,
    }
}

/// Go `url.ParseRequestURI` acceptance.
fn is_request_uri(value: &str) -> bool {
    if value.is_empty() || value.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    if value == "*" || value.starts_with('/') {
        return valid_escapes(value);
    }
    let Some(colon) = value.find(':') else {
        return false;
    };
    let scheme = &value[..colon];
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    let rest = &value[colon + 1..];
    if let Some(after) = rest.strip_prefix("//") {
        let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        let host = authority.rsplit('@').next().unwrap_or("");
        if host.contains(' ') || host.contains('%') && !valid_escapes(host) {
            return false;
        }
        if let Some(port_start) = host.rfind(':').filter(|_| !host.ends_with(']')) {
            if !host.starts_with('[') && !host[port_start + 1..].bytes().all(|b| b.is_ascii_digit())
            {
                return false;
            }
        }
    }
    valid_escapes(rest)
}

fn valid_escapes(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// An approximation of Go `net/mail.ParseAddress` (`Name <addr>` or a bare address).
fn is_email(value: &str) -> bool {
    let value = value.trim();
    let addr = match (value.rfind('<'), value.ends_with('>')) {
        (Some(open), true) => &value[open + 1..value.len() - 1],
        _ => value,
    };
    let Some(at) = addr.rfind('@') else {
        return false;
    };
    let (local, domain) = (&addr[..at], &addr[at + 1..]);
    let atext = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii();
    let dot_atom = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|part| !part.is_empty() && part.chars().all(atext))
    };
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        true
    } else {
        dot_atom(local)
    };
    let domain_ok = (domain.starts_with('[') && domain.ends_with(']')) || dot_atom(domain);
    local_ok && domain_ok
}

/// Go `netutils.ParseIPSloppy`: like `net.ParseIP` but IPv4 octets may have leading zeros.
fn parse_ip_sloppy(value: &str) -> Option<IpAddr> {
    if let Some(v4) = parse_v4_sloppy(value) {
        return Some(IpAddr::V4(v4));
    }
    if value.contains(':') {
        if let Some(pos) = value.rfind(':') {
            let tail = &value[pos + 1..];
            if tail.contains('.') {
                let v4 = parse_v4_sloppy(tail)?;
                let head = format!("{}{}", &value[..pos + 1], v4);
                return head.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
            }
        }
        return value.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    None
}

fn parse_v4_sloppy(value: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = value.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        octets[i] = part.parse::<u16>().ok().filter(|n| *n <= 255)? as u8;
    }
    Some(Ipv4Addr::from(octets))
}

/// Go `net.ParseIP` (strict: no leading zeros in IPv4 octets).
fn parse_ip_strict(value: &str) -> Option<IpAddr> {
    let ip = parse_ip_sloppy(value)?;
    let v4_part = if value.contains(':') {
        value.rsplit(':').next().filter(|t| t.contains('.'))
    } else {
        Some(value)
    };
    if let Some(v4) = v4_part {
        if v4.split('.').any(|p| p.len() > 1 && p.starts_with('0')) {
            return None;
        }
    }
    Some(ip)
}

fn is_cidr(value: &str) -> bool {
    let Some((ip, prefix)) = value.split_once('/') else {
        return false;
    };
    let Some(addr) = parse_ip_sloppy(ip) else {
        return false;
    };
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let bits: u32 = prefix.parse().unwrap_or(u32::MAX);
    let max = if ip.contains(':') {
        128
    } else {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    };
    bits <= max
}

/// Go `net.ParseMAC`.
fn is_mac(value: &str) -> bool {
    if value.len() < 14 {
        return false;
    }
    let bytes = value.as_bytes();
    let hex2 = |s: &[u8]| s.len() == 2 && s.iter().all(u8::is_ascii_hexdigit);
    let hex4 = |s: &[u8]| s.len() == 4 && s.iter().all(u8::is_ascii_hexdigit);
    match bytes[2] {
        sep @ (b':' | b'-') => {
            let groups: Vec<&[u8]> = bytes.split(|b| *b == sep).collect();
            matches!(groups.len(), 6 | 8 | 20) && groups.iter().all(|g| hex2(g))
        }
        _ if bytes.get(4) == Some(&b'.') => {
            let groups: Vec<&[u8]> = bytes.split(|b| *b == b'.').collect();
            matches!(groups.len(), 3 | 4 | 10) && groups.iter().all(|g| hex4(g))
        }
        _ => false,
    }
}

fn isbn_sanitized(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t' | '\n' | '\r' | '\u{c}'))
        .collect()
}

fn is_isbn10(value: &str) -> bool {
    let s = isbn_sanitized(value);
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[..9].iter().all(u8::is_ascii_digit)
        && (b[9].is_ascii_digit() || b[9] == b'X');
    if !shape {
        return false;
    }
    let mut checksum: i32 = 0;
    for (i, d) in b[..9].iter().enumerate() {
        checksum += (i as i32 + 1) * i32::from(d - b'0');
    }
    checksum += 10
        * if b[9] == b'X' {
            10
        } else {
            i32::from(b[9] - b'0')
        };
    checksum % 11 == 0
}

fn is_isbn13(value: &str) -> bool {
    let s = isbn_sanitized(value);
    let b = s.as_bytes();
    if b.len() != 13 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut checksum: i32 = 0;
    for (i, d) in b[..12].iter().enumerate() {
        let factor = if i % 2 == 0 { 1 } else { 3 };
        checksum += factor * i32::from(d - b'0');
    }
    i32::from(b[12] - b'0') - ((10 - (checksum % 10)) % 10) == 0
}

fn is_credit_card(value: &str) -> bool {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if !CREDIT_CARD.is_match(&digits) {
        return false;
    }
    let mut sum = 0u32;
    let mut double = false;
    for c in digits.bytes().rev() {
        let mut n = u32::from(c - b'0');
        if double {
            n *= 2;
            if n >= 10 {
                n = n % 10 + 1;
            }
        }
        sum += n;
        double = !double;
    }
    sum.is_multiple_of(10)
}

/// Go `time.Parse("2006-01-02", s)`.
fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !digits(&b[..4]) || !digits(&b[5..7]) || !digits(&b[8..]) {
        return false;
    }
    let year: i32 = value[..4].parse().unwrap_or(0);
    let month: u32 = value[5..7].parse().unwrap_or(0);
    let day: u32 = value[8..].parse().unwrap_or(0);
    chrono::NaiveDate::from_ymd_opt(year, month, day).is_some()
}

fn is_date_time(value: &str) -> bool {
    if value.len() < 4 {
        return false;
    }
    let lower = value.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if parts.len() < 2 || !is_date(parts[0]) {
        return false;
    }
    let Some(caps) = DATE_TIME_TAIL.captures(parts[1]) else {
        return false;
    };
    let get = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    get(1) <= "23" && get(2) <= "59" && get(3) <= "59"
}

/// Go `time.ParseDuration`.
pub fn parse_go_duration(value: &str) -> Option<f64> {
    let mut s = value;
    let mut negative = false;
    if let Some(rest) = s.strip_prefix('-') {
        negative = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Some(0.0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let number = &s[..num_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let n: f64 = number.parse().ok()?;
        s = &s[num_end..];
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        let multiplier = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * multiplier;
        s = &s[unit_end..];
    }
    if total > 9.223_372_036_854_776e18 {
        return None;
    }
    Some(if negative { -total } else { total })
}

fn is_duration(value: &str) -> bool {
    if parse_go_duration(value).is_some() {
        return true;
    }
    const UNITS: &[&[&str]] = &[
        &["ns", "nano"],
        &["us", "µs", "micro"],
        &["ms", "milli"],
        &["s", "sec"],
        &["m", "min"],
        &["h", "hr", "hour"],
        &["d", "day"],
        &["w", "wk", "week"],
    ];
    let mut ok = false;
    for caps in SCALA_DURATION.captures_iter(value) {
        let factor = caps.get(2).map_or("", |m| m.as_str());
        if factor.parse::<i64>().is_err() {
            return false;
        }
        let unit = caps.get(3).map_or("", |m| m.as_str()).trim().to_lowercase();
        for variants in UNITS {
            let last = variants.len() - 1;
            for (i, variant) in variants.iter().enumerate() {
                if (i == last && unit.starts_with(variant)) || unit.eq_ignore_ascii_case(variant) {
                    ok = true;
                }
            }
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_formats() {
        assert_eq!(effective_format("date-time", "string"), "date-time");
        assert_eq!(effective_format("int-or-string", "string"), "");
        assert_eq!(effective_format("int32", "integer"), "int32");
        assert_eq!(effective_format("uint64", "integer"), "");
        assert_eq!(effective_format("double", "number"), "double");
        assert_eq!(effective_format("email", ""), "email");
        assert_eq!(effective_format("email", "object"), "");
    }

    #[test]
    fn string_formats() {
        assert!(validates("email", "a.b@example.com"));
        assert!(validates("email", "Joe <joe@example.com>"));
        assert!(!validates("email", "x"));
        assert!(validates("hostname", "example.com"));
        assert!(!validates("hostname", "-bad-"));
        assert!(validates("ipv4", "10.0.0.1"));
        assert!(validates("ipv4", "010.0.0.1"));
        assert!(!validates("ipv4", "::1"));
        assert!(validates("ipv6", "::1"));
        assert!(!validates("ipv6", "10.0.0.1"));
        assert!(validates("cidr", "10.0.0.0/8"));
        assert!(!validates("cidr", "10.0.0.0/33"));
        assert!(validates("mac", "01:23:45:67:89:ab"));
        assert!(validates("mac", "0123.4567.89ab"));
        assert!(!validates("mac", "01:23:45"));
        assert!(validates("uuid", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(!validates("uuid4", "123e4567-e89b-12d3-a456-426614174000"));
        assert!(validates("date", "2024-02-29"));
        assert!(!validates("date", "2023-02-29"));
        assert!(!validates("date", "2024-2-1"));
        assert!(validates("date-time", "2024-01-02T03:04:05Z"));
        assert!(validates("date-time", "2024-01-02T03:04:05.123+01:00"));
        assert!(!validates("date-time", "2024-01-02T25:04:05Z"));
        assert!(validates("duration", "1h30m"));
        assert!(validates("duration", "3 days"));
        assert!(!validates("duration", "soon"));
        assert!(validates("byte", "aGVsbG8="));
        assert!(!validates("byte", "not base64!"));
        assert!(validates("uri", "https://example.com/x?y=1"));
        assert!(validates("uri", "/relative/path"));
        assert!(!validates("uri", "relative"));
        assert!(validates("isbn10", "0321751043"));
        assert!(validates("isbn13", "978-0321751041"));
        assert!(validates("creditcard", "4111 1111 1111 1111"));
        assert!(validates("ssn", "123-45-6789"));
        assert!(validates("hexcolor", "#FFF"));
        assert!(validates("rgbcolor", "rgb(255, 0, 10)"));
        assert!(validates("bsonobjectid", "507f1f77bcf86cd799439011"));
        assert!(validates("k8s-short-name", "abc-1"));
        assert!(!validates("k8s-short-name", "a.b"));
        assert!(validates("k8s-long-name", "a.b"));
    }
}
