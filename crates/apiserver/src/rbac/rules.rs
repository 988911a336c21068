//! `PolicyRule` matching (upstream `rbac/v1/evaluation_helpers.go`) and rule
//! coverage for escalation checks (upstream `component-helpers/auth/rbac/validation`).

use serde_json::Value;

use crate::request_info::RequestInfo;

/// The wildcard of verbs, groups, resources and non-resource URLs.
pub const ALL: &str = "*";

/// One `rbac.authorization.k8s.io/v1` PolicyRule.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyRule {
    /// Verbs (`get`, `*`, …).
    pub verbs: Vec<String>,
    /// API groups (`""` = core, `*`).
    pub api_groups: Vec<String>,
    /// Resources (`pods`, `pods/status`, `*/scale`, `*`).
    pub resources: Vec<String>,
    /// Object names; empty = any.
    pub resource_names: Vec<String>,
    /// Non-resource URLs (`/healthz`, `/apis/*`, `*`).
    pub non_resource_urls: Vec<String>,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl PolicyRule {
    /// Read a rule from its JSON form (unknown or mistyped fields are ignored).
    pub fn from_json(v: &Value) -> PolicyRule {
        PolicyRule {
            verbs: strings(v, "verbs"),
            api_groups: strings(v, "apiGroups"),
            resources: strings(v, "resources"),
            resource_names: strings(v, "resourceNames"),
            non_resource_urls: strings(v, "nonResourceURLs"),
        }
    }

    /// The rules of a Role/ClusterRole object (`rules: null` → none).
    pub fn list_from_object(obj: &Value) -> Vec<PolicyRule> {
        obj.get("rules")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(PolicyRule::from_json).collect())
            .unwrap_or_default()
    }

    /// The JSON form, with empty lists omitted (as Go's `omitempty`).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("verbs".into(), Value::from(self.verbs.clone()));
        for (key, list) in [
            ("apiGroups", &self.api_groups),
            ("resources", &self.resources),
            ("resourceNames", &self.resource_names),
            ("nonResourceURLs", &self.non_resource_urls),
        ] {
            if !list.is_empty() {
                m.insert(key.into(), Value::from(list.clone()));
            }
        }
        Value::Object(m)
    }

    /// Does this rule allow the request (resource or non-resource)?
    pub fn allows(&self, request: &RequestInfo) -> bool {
        if request.is_resource {
            let combined = if request.subresource.is_empty() {
                request.resource.clone()
            } else {
                format!("{}/{}", request.resource, request.subresource)
            };
            verb_matches(self, &request.verb)
                && api_group_matches(self, &request.api_group)
                && resource_matches(self, &combined, &request.subresource)
                && resource_name_matches(self, &request.name)
        } else {
            verb_matches(self, &request.verb) && non_resource_url_matches(self, &request.path)
        }
    }

    /// Upstream `CompactString`: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
    pub fn compact_string(&self) -> String {
        let mut parts = Vec::new();
        for (label, list) in [
            ("APIGroups", &self.api_groups),
            ("Resources", &self.resources),
            ("NonResourceURLs", &self.non_resource_urls),
            ("ResourceNames", &self.resource_names),
            ("Verbs", &self.verbs),
        ] {
            if !list.is_empty() {
                parts.push(format!("{label}:{}", go_quoted_list(list)));
            }
        }
        format!("{{{}}}", parts.join(", "))
    }
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub fn go_quoted_list(list: &[String]) -> String {
    let items: Vec<String> = list.iter().map(|s| klite_schema::gofmt::quote(s)).collect();
    format!("[{}]", items.join(" "))
}

fn has(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    has(&rule.verbs, ALL) || has(&rule.verbs, verb)
}

fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    has(&rule.api_groups, ALL) || has(&rule.api_groups, group)
}

fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == ALL
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || has(&rule.resource_names, name)
}

fn non_resource_url_covers(owner: &str, requested: &str) -> bool {
    owner == ALL
        || owner == requested
        || owner
            .strip_suffix('*')
            .is_some_and(|prefix| requested.starts_with(prefix))
}

fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls
        .iter()
        .any(|u| non_resource_url_covers(u, path))
}

/// Split a rule into atomic rules (one verb × group × resource × name, one verb × URL).
pub fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    let one = |s: &String| vec![s.clone()];
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                if rule.resource_names.is_empty() {
                    out.push(PolicyRule {
                        verbs: one(verb),
                        api_groups: one(group),
                        resources: one(resource),
                        ..Default::default()
                    });
                } else {
                    for name in &rule.resource_names {
                        out.push(PolicyRule {
                            verbs: one(verb),
                            api_groups: one(group),
                            resources: one(resource),
                            resource_names: one(name),
                            ..Default::default()
                        });
                    }
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(PolicyRule {
                verbs: one(verb),
                non_resource_urls: one(url),
                ..Default::default()
            });
        }
    }
    out
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| has(set, w))
}

fn resources_cover_all(set: &[String], wanted: &[String]) -> bool {
    if has(set, ALL) || has_all(set, wanted) {
        return true;
    }
    wanted.iter().all(|path| {
        if has(set, path) {
            return true;
        }
        match path.split_once('/') {
            Some((_, sub)) => has(set, &format!("*/{sub}")),
            None => false,
        }
    })
}

fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verbs = has(&owner.verbs, ALL) || has_all(&owner.verbs, &sub.verbs);
    let groups = has(&owner.api_groups, ALL) || has_all(&owner.api_groups, &sub.api_groups);
    let resources = resources_cover_all(&owner.resources, &sub.resources);
    let urls = sub.non_resource_urls.iter().all(|u| {
        owner
            .non_resource_urls
            .iter()
            .any(|o| non_resource_url_covers(o, u))
    });
    let names = if sub.resource_names.is_empty() {
        owner.resource_names.is_empty()
    } else {
        owner.resource_names.is_empty() || has_all(&owner.resource_names, &sub.resource_names)
    };
    verbs && groups && resources && urls && names
}

/// Upstream `Covers`: do the owner's rules cover every servant rule? Returns the
/// atomic rules that are not covered.
pub fn uncovered(owner: &[PolicyRule], servant: &[PolicyRule]) -> Vec<PolicyRule> {
    servant
        .iter()
        .flat_map(breakdown)
        .filter(|atomic| !owner.iter().any(|o| rule_covers(o, atomic)))
        .collect()
}

/// Upstream `CompactRules`: merge the verbs of simple resource rules (one group,
/// one resource, at most one name) with the same group/resource/name.
pub fn compact(rules: Vec<PolicyRule>) -> Vec<PolicyRule> {
    let mut out: Vec<PolicyRule> = Vec::new();
    for rule in rules {
        let simple = rule.api_groups.len() == 1
            && rule.resources.len() == 1
            && rule.resource_names.len() <= 1
            && rule.non_resource_urls.is_empty();
        if simple {
            if let Some(existing) = out.iter_mut().find(|r| {
                r.non_resource_urls.is_empty()
                    && r.api_groups == rule.api_groups
                    && r.resources == rule.resources
                    && r.resource_names == rule.resource_names
            }) {
                for verb in rule.verbs {
                    if !has(&existing.verbs, &verb) {
                        existing.verbs.push(verb);
                    }
                }
                continue;
            }
        }
        out.push(rule);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> PolicyRule {
        PolicyRule::from_json(&v)
    }

    fn req(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> RequestInfo {
        RequestInfo {
            is_resource: true,
            verb: verb.into(),
            api_group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn resource_rules_match_like_upstream() {
        let pods =
            rule(json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}));
        assert!(pods.allows(&req("get", "", "pods", "", "a")));
        assert!(
            !pods.allows(&req("get", "", "pods", "status", "a")),
            "pods does not grant pods/status"
        );
        assert!(!pods.allows(&req("get", "apps", "pods", "", "a")));
        assert!(!pods.allows(&req("delete", "", "pods", "", "a")));
        let any_scale = rule(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*/scale"]}));
        assert!(any_scale.allows(&req("update", "apps", "deployments", "scale", "d")));
        assert!(!any_scale.allows(&req("update", "apps", "deployments", "", "d")));
        let named = rule(
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["x"]}),
        );
        assert!(named.allows(&req("get", "", "configmaps", "", "x")));
        assert!(
            !named.allows(&req("list", "", "configmaps", "", "")),
            "lists never match resourceNames"
        );
    }

    #[test]
    fn non_resource_rules_match_exact_and_prefix() {
        let r = rule(json!({"verbs": ["get"], "nonResourceURLs": ["/healthz", "/apis/*"]}));
        let path = |p: &str| RequestInfo {
            verb: "get".into(),
            path: p.into(),
            ..Default::default()
        };
        assert!(r.allows(&path("/healthz")));
        assert!(r.allows(&path("/apis/apps/v1")));
        assert!(!r.allows(&path("/apis")));
        assert!(!r.allows(&path("/healthz/etcd")));
    }

    #[test]
    fn coverage_and_compact_string() {
        let owner = vec![rule(
            json!({"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "*/status"]}),
        )];
        let servant = vec![rule(
            json!({"verbs": ["get", "watch"], "apiGroups": [""], "resources": ["pods", "services/status"]}),
        )];
        let missing = compact(uncovered(&owner, &servant));
        let text: Vec<String> = missing.iter().map(PolicyRule::compact_string).collect();
        assert_eq!(
            text,
            vec![
                r#"{APIGroups:[""], Resources:["pods"], Verbs:["watch"]}"#.to_string(),
                r#"{APIGroups:[""], Resources:["services/status"], Verbs:["watch"]}"#.to_string(),
            ]
        );
        let star = vec![rule(
            json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
        )];
        assert!(uncovered(&star, &servant).is_empty());
        let urls = vec![rule(
            json!({"verbs": ["get"], "nonResourceURLs": ["/metrics"]}),
        )];
        assert_eq!(
            uncovered(&star, &urls).len(),
            1,
            "resource wildcards do not cover URLs"
        );
    }
}
