//! Request attributes (upstream `RequestInfo`): verb, group, version,
//! namespace, resource, subresource, name — the input of authorization and
//! routing. Follows `k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`.

use crate::query::Query;

/// Parsed attributes of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// A resource request (`/api/v1/…`, `/apis/<g>/<v>/…` with a resource)?
    pub is_resource: bool,
    /// URL path.
    pub path: String,
    /// Kube verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
    /// `deletecollection`) or lowercase HTTP method for non-resource requests.
    pub verb: String,
    /// `api` or `apis`.
    pub api_prefix: String,
    /// API group.
    pub api_group: String,
    /// API version.
    pub api_version: String,
    /// Namespace.
    pub namespace: String,
    /// Resource.
    pub resource: String,
    /// Subresource.
    pub subresource: String,
    /// Object name.
    pub name: String,
    /// The path parts after the namespace (resource/name/subresource/…).
    pub parts: Vec<String>,
    /// The verb came from a `/watch/` path prefix.
    pub watch_prefix: bool,
}

/// Go `strconv.ParseBool` truthiness.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Parse a request.
pub fn parse(method: &str, path: &str, query: &Query) -> RequestInfo {
    let mut info = RequestInfo {
        path: path.to_string(),
        verb: method.to_lowercase(),
        ..Default::default()
    };
    let mut parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 3 || !matches!(parts[0], "api" | "apis") {
        return info;
    }
    info.api_prefix = parts[0].to_string();
    parts.remove(0);
    if info.api_prefix == "apis" {
        if parts.len() < 3 {
            return info;
        }
        info.api_group = parts.remove(0).to_string();
    }
    info.is_resource = true;
    info.api_version = parts.remove(0).to_string();
    if parts.first() == Some(&"watch") || parts.first() == Some(&"proxy") {
        if parts.len() < 2 {
            info.is_resource = false;
            return info;
        }
        info.verb = parts.remove(0).to_string();
        info.watch_prefix = info.verb == "watch";
    } else {
        info.verb = match method {
            "POST" => "create",
            "GET" | "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        }
        .to_string();
    }
    if parts.first() == Some(&"namespaces") && parts.len() > 1 {
        info.namespace = parts[1].to_string();
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts.drain(..2);
        }
    }
    info.parts = parts.iter().map(|s| s.to_string()).collect();
    if parts.len() >= 3 && info.verb != "proxy" {
        info.subresource = parts[2].to_string();
    }
    if parts.len() >= 2 {
        info.name = parts[1].to_string();
    }
    if !parts.is_empty() {
        info.resource = parts[0].to_string();
    }
    if info.name.is_empty() && info.verb == "get" {
        info.verb = if query.get("watch").and_then(parse_bool) == Some(true) {
            "watch"
        } else {
            "list"
        }
        .into();
    }
    if (info.verb == "list" || info.verb == "watch") && info.name.is_empty() {
        if let Some(name) = query
            .get("fieldSelector")
            .and_then(crate::selectors::exact_name)
        {
            if !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains('/')
                && !name.contains('%')
            {
                info.name = name;
            }
        }
    }
    if info.name.is_empty() && info.verb == "delete" {
        info.verb = "deletecollection".into();
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(method: &str, url: &str) -> RequestInfo {
        let (path, q) = url.split_once('?').unwrap_or((url, ""));
        parse(method, path, &Query::parse(q))
    }

    #[test]
    fn resource_paths_parse_like_upstream() {
        let i = p("GET", "/api/v1/namespaces/default/configmaps/a");
        assert_eq!(
            (
                i.verb.as_str(),
                i.namespace.as_str(),
                i.resource.as_str(),
                i.name.as_str()
            ),
            ("get", "default", "configmaps", "a")
        );
        let i = p("GET", "/apis/apps/v1/deployments?watch=1");
        assert_eq!(
            (i.verb.as_str(), i.api_group.as_str(), i.resource.as_str()),
            ("watch", "apps", "deployments")
        );
        let i = p("PUT", "/apis/apps/v1/namespaces/ns/deployments/d/status");
        assert_eq!(
            (i.verb.as_str(), i.subresource.as_str(), i.name.as_str()),
            ("update", "status", "d")
        );
        let i = p("DELETE", "/api/v1/namespaces/ns/configmaps");
        assert_eq!(i.verb, "deletecollection");
        let i = p("GET", "/api/v1/namespaces/foo");
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.namespace.as_str()),
            ("namespaces", "foo", "foo")
        );
        let i = p("PUT", "/api/v1/namespaces/foo/finalize");
        assert_eq!(
            (i.resource.as_str(), i.subresource.as_str()),
            ("namespaces", "finalize")
        );
        let i = p("GET", "/api/v1/watch/namespaces/ns/configmaps/x");
        assert_eq!(
            (i.verb.as_str(), i.name.as_str(), i.watch_prefix),
            ("watch", "x", true)
        );
        let i = p(
            "GET",
            "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dabc",
        );
        assert_eq!((i.verb.as_str(), i.name.as_str()), ("list", "abc"));
    }

    #[test]
    fn non_resource_paths() {
        for path in [
            "/api",
            "/apis",
            "/api/v1",
            "/apis/apps",
            "/apis/apps/v1",
            "/healthz",
            "/version",
        ] {
            let i = p("GET", path);
            assert!(!i.is_resource, "{path}");
            assert_eq!(i.verb, "get");
        }
    }
}
