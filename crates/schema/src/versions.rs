//! Multiple CRD versions (facts-crd §7): kube-aware version ordering, storage and served
//! versions, conversion with strategy `None` (apiVersion rewrite), deprecation warnings.
//!
//! ```
//! use klite_schema::versions::{convert_none, sort_versions};
//! use serde_json::json;
//!
//! assert_eq!(sort_versions(&["v1beta1", "v2", "foo", "v1"]), vec!["v2", "v1", "v1beta1", "foo"]);
//! let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Foo"});
//! convert_none(&mut obj, "example.com", &["v1", "v2"], "v2").unwrap();
//! assert_eq!(obj["apiVersion"], "example.com/v2");
//! ```

use serde_json::Value;
use std::cmp::Ordering;

/// A parsed Kubernetes version name (`v2`, `v1beta1`, `v1alpha3`), or `None` for anything
/// else.
fn parse_kube_version(v: &str) -> Option<(u64, u8, u64)> {
    let rest = v.strip_prefix('v')?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if digits_end == 0 || rest.starts_with('0') {
        return None;
    }
    let major: u64 = rest[..digits_end].parse().ok()?;
    let tail = &rest[digits_end..];
    if tail.is_empty() {
        return Some((major, 2, 0));
    }
    let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n)
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (0, n)
    } else {
        return None;
    };
    if num.is_empty() || num.starts_with('0') || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((major, level, num.parse().ok()?))
}

/// apimachinery `version.CompareKubeAwareVersionStrings`: GA > beta > alpha, higher numbers
/// first, non-Kubernetes names last in alphabetical order. `Less` means `a` sorts first
/// (has higher priority).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    match (parse_kube_version(a), parse_kube_version(b)) {
        (Some((ma, la, na)), Some((mb, lb, nb))) => {
            // GA versions rank by major only; pre-releases by level, then major, then number.
            if la == 2 && lb == 2 {
                return mb.cmp(&ma);
            }
            if la != lb {
                return lb.cmp(&la);
            }
            mb.cmp(&ma).then(nb.cmp(&na))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Sorts version names highest priority first.
pub fn sort_versions<'a>(versions: &[&'a str]) -> Vec<&'a str> {
    let mut out = versions.to_vec();
    out.sort_by(|a, b| compare_versions(a, b));
    out
}

fn versions(crd: &Value) -> &[Value] {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn name(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The storage version of a CRD.
pub fn storage_version(crd: &Value) -> Option<String> {
    versions(crd)
        .iter()
        .find(|v| flag(v, "storage"))
        .map(|v| name(v).to_string())
}

/// The served versions, highest priority first (discovery order; the first is preferred).
pub fn served_versions(crd: &Value) -> Vec<String> {
    let served: Vec<&str> = versions(crd)
        .iter()
        .filter(|v| flag(v, "served"))
        .map(name)
        .collect();
    sort_versions(&served)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Whether `version` is a served version.
pub fn is_served(crd: &Value, version: &str) -> bool {
    versions(crd)
        .iter()
        .any(|v| name(v) == version && flag(v, "served"))
}

/// The deprecation warning for requests to `version` (`defaultDeprecationWarning`):
/// `deprecationWarning` verbatim, otherwise `<group>/<version> <Kind> is deprecated`
/// followed by `; use <group>/<best> <Kind>` for the highest-ranked served, non-deprecated
/// version ranked above it. `None` for non-deprecated versions.
pub fn deprecation_warning(crd: &Value, version: &str) -> Option<String> {
    let v = versions(crd).iter().find(|v| name(v) == version)?;
    if !flag(v, "deprecated") {
        return None;
    }
    if let Some(custom) = v.get("deprecationWarning").and_then(Value::as_str) {
        return Some(custom.to_string());
    }
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut warning = format!("{group}/{version} {kind} is deprecated");
    let mut candidates: Vec<&str> = versions(crd)
        .iter()
        .filter(|c| flag(c, "served") && !flag(c, "deprecated"))
        .map(name)
        .filter(|n| compare_versions(n, version) == Ordering::Less)
        .collect();
    candidates.sort_by(|a, b| compare_versions(a, b));
    if let Some(best) = candidates.first() {
        warning.push_str(&format!("; use {group}/{best} {kind}"));
    }
    Some(warning)
}

/// Conversion with strategy `None`: rewrites `apiVersion` of an object, or of a list and
/// every item, to `<group>/<to_version>` (the caller then prunes with the target version's
/// schema). Errors as upstream: `request to convert CR to an invalid group/version: g/v9`,
/// `request to convert CR from an invalid group/version: ...`,
/// `request to convert CR list failed, list index N has invalid group/version: ...`.
pub fn convert_none(
    obj: &mut Value,
    group: &str,
    known_versions: &[&str],
    to_version: &str,
) -> Result<(), String> {
    let valid = |api_version: &str| -> bool {
        api_version
            .split_once('/')
            .is_some_and(|(g, v)| g == group && known_versions.contains(&v))
    };
    let target = format!("{group}/{to_version}");
    if !known_versions.contains(&to_version) {
        return Err(format!(
            "request to convert CR to an invalid group/version: {target}"
        ));
    }
    let from = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let is_list = obj.get("items").is_some_and(Value::is_array)
        && obj
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
    if is_list {
        if let Some(Value::Array(items)) = obj.get_mut("items") {
            for (i, item) in items.iter_mut().enumerate() {
                let item_version = item
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if !valid(&item_version) {
                    return Err(format!(
                        "request to convert CR list failed, list index {i} has invalid group/version: {item_version}"
                    ));
                }
                item["apiVersion"] = Value::String(target.clone());
            }
        }
        obj["apiVersion"] = Value::String(target);
        return Ok(());
    }
    if !valid(&from) {
        return Err(format!(
            "request to convert CR from an invalid group/version: {from}"
        ));
    }
    obj["apiVersion"] = Value::String(target);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kube_aware_ordering() {
        assert_eq!(
            sort_versions(&[
                "v1alpha1",
                "v11alpha2",
                "foo10",
                "v10",
                "v2",
                "v1beta2",
                "v1",
                "foo1",
                "v12alpha1",
                "v10beta3",
                "v3beta1"
            ]),
            vec![
                "v10",
                "v2",
                "v1",
                "v10beta3",
                "v3beta1",
                "v1beta2",
                "v12alpha1",
                "v11alpha2",
                "v1alpha1",
                "foo1",
                "foo10"
            ]
        );
    }

    fn crd() -> Value {
        json!({"spec": {"group": "example.com", "names": {"kind": "Foo"}, "versions": [
            {"name": "v1alpha1", "served": true, "deprecated": true},
            {"name": "v1", "served": true, "storage": true},
            {"name": "v2", "served": false},
            {"name": "v1beta1", "served": true, "deprecated": true, "deprecationWarning": "custom text"}
        ]}})
    }

    #[test]
    fn storage_served_and_deprecation() {
        let c = crd();
        assert_eq!(storage_version(&c).as_deref(), Some("v1"));
        assert_eq!(served_versions(&c), vec!["v1", "v1beta1", "v1alpha1"]);
        assert!(!is_served(&c, "v2"));
        assert_eq!(
            deprecation_warning(&c, "v1alpha1").as_deref(),
            Some("example.com/v1alpha1 Foo is deprecated; use example.com/v1 Foo")
        );
        assert_eq!(
            deprecation_warning(&c, "v1beta1").as_deref(),
            Some("custom text")
        );
        assert_eq!(deprecation_warning(&c, "v1"), None);
    }

    #[test]
    fn none_conversion() {
        let mut list = json!({"apiVersion": "example.com/v1", "kind": "FooList", "items": [{"apiVersion": "example.com/v1", "kind": "Foo"}]});
        convert_none(&mut list, "example.com", &["v1", "v2"], "v2").expect("converts");
        assert_eq!(list["items"][0]["apiVersion"], "example.com/v2");
        let mut obj = json!({"apiVersion": "example.com/v1"});
        assert_eq!(
            convert_none(&mut obj, "example.com", &["v1"], "v9").unwrap_err(),
            "request to convert CR to an invalid group/version: example.com/v9"
        );
        let mut obj = json!({"apiVersion": "other.com/v1"});
        assert_eq!(
            convert_none(&mut obj, "example.com", &["v1"], "v1").unwrap_err(),
            "request to convert CR from an invalid group/version: other.com/v1"
        );
        let mut list = json!({"kind": "FooList", "items": [{"apiVersion": "example.com/v1"}, {"apiVersion": "x/v1"}]});
        assert_eq!(
            convert_none(&mut list, "example.com", &["v1"], "v1").unwrap_err(),
            "request to convert CR list failed, list index 1 has invalid group/version: x/v1"
        );
    }
}
