//! A minimal Go `net/url` parser: enough to reproduce `url.Parse` / `url.ParseRequestURI`
//! acceptance and the parts webhook and approval-annotation checks look at.

/// The parts of a parsed URL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Url {
    /// Scheme, lower-cased.
    pub scheme: String,
    /// User info (`user:pass`), if any.
    pub user: Option<String>,
    /// Host (with port).
    pub host: String,
    /// Raw query without `?`.
    pub query: String,
    /// Fragment without `#`.
    pub fragment: String,
}

fn valid_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn parse_inner(raw: &str, via_request: bool) -> Option<Url> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let mut url = Url::default();
    let mut rest = raw;
    if !via_request {
        if let Some(pos) = rest.find('#') {
            url.fragment = rest[pos + 1..].to_string();
            rest = &rest[..pos];
        }
    }
    if via_request && raw.is_empty() {
        return None;
    }
    if let Some(colon) = rest.find(':') {
        let scheme = &rest[..colon];
        if valid_scheme(scheme) {
            url.scheme = scheme.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        } else if colon == 0 {
            return None;
        }
    }
    if let Some(q) = rest.find('?') {
        url.query = rest[q + 1..].to_string();
        rest = &rest[..q];
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            return Some(url);
        }
        if via_request {
            return None;
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let authority = &after[..end];
        let host = match authority.rfind('@') {
            Some(at) => {
                url.user = Some(authority[..at].to_string());
                &authority[at + 1..]
            }
            None => authority,
        };
        if host.contains(' ') {
            return None;
        }
        url.host = host.to_string();
    }
    Some(url)
}

/// Go `url.Parse` (lenient: relative references are accepted).
pub fn parse(raw: &str) -> Option<Url> {
    parse_inner(raw, false)
}

/// Go `url.ParseRequestURI` (absolute URI or absolute path; no fragment splitting).
pub fn parse_request_uri(raw: &str) -> Option<Url> {
    parse_inner(raw, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let u = parse("https://user@example.com:8443/path?x=1#frag").expect("parses");
        assert_eq!(u.scheme, "https");
        assert_eq!(u.user.as_deref(), Some("user"));
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(u.query, "x=1");
        assert_eq!(u.fragment, "frag");
        assert!(
            parse_request_uri("https://github.com/kubernetes/enhancements/pull/1111")
                .is_some_and(|u| !u.host.is_empty())
        );
        assert!(parse_request_uri("not a url").is_none());
        assert!(parse("http://exa mple.com").is_none());
    }
}
