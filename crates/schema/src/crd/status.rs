//! CRD status handling: the strategy's status/generation/storedVersions rules and the
//! in-apiserver controllers that set `acceptedNames`, `NamesAccepted` and `Established`
//! (apiextensions `pkg/registry/customresourcedefinition/strategy.go`,
//! `pkg/controller/status/naming_controller.go`, `pkg/controller/establish`).

use serde_json::{json, Map, Value};
use std::collections::HashSet;

fn obj_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v.get(key).is_some_and(Value::is_object) {
        if let Value::Object(m) = v {
            m.insert(key.to_string(), Value::Object(Map::new()));
        }
    }
    match v.get_mut(key) {
        Some(Value::Object(m)) => m,
        _ => unreachable!("just inserted an object"),
    }
}

fn storage_version(crd: &Value) -> Option<String> {
    crd.pointer("/spec/versions")?
        .as_array()?
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
        .map(str::to_string)
}

/// The empty status a CRD gets on create:
/// `{"conditions":null,"acceptedNames":{"plural":"","kind":""},"storedVersions":[<storage>]}`.
pub fn initial_status(crd: &Value) -> Value {
    let stored = match storage_version(crd) {
        Some(v) => json!([v]),
        None => Value::Null,
    };
    json!({"conditions": null, "acceptedNames": {"plural": "", "kind": ""}, "storedVersions": stored})
}

/// `PrepareForCreate`: status wiped (stored versions = the storage version), generation 1.
pub fn prepare_for_create(crd: &mut Value) {
    let status = initial_status(crd);
    if let Value::Object(m) = crd {
        m.insert("status".into(), status);
    }
    obj_mut(crd, "metadata").insert("generation".into(), json!(1));
}

/// `PrepareForUpdate` of the main endpoint: status copied from the old object, generation
/// bumped when the spec changed, the storage version appended to `storedVersions`.
pub fn prepare_for_update(crd: &mut Value, old: &Value) {
    let old_status = old
        .get("status")
        .cloned()
        .unwrap_or_else(|| initial_status(old));
    let spec_changed = crd.get("spec") != old.get("spec");
    let old_generation = old
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Value::Object(m) = crd {
        m.insert("status".into(), old_status);
    }
    let generation = if spec_changed {
        old_generation + 1
    } else {
        old_generation
    };
    obj_mut(crd, "metadata").insert("generation".into(), json!(generation));
    if let Some(storage) = storage_version(crd) {
        let status = obj_mut(crd, "status");
        let stored = status.entry("storedVersions").or_insert(Value::Null);
        if !stored.is_array() {
            *stored = json!([]);
        }
        if let Value::Array(list) = stored {
            if !list.iter().any(|v| v.as_str() == Some(storage.as_str())) {
                list.push(Value::String(storage));
            }
        }
    }
}

/// `PrepareForUpdate` of `/status`: the spec is reset to the old one; metadata is kept.
pub fn prepare_for_status_update(crd: &mut Value, old: &Value) {
    if let Value::Object(m) = crd {
        match old.get("spec") {
            Some(spec) => {
                m.insert("spec".into(), spec.clone());
            }
            None => {
                m.remove("spec");
            }
        }
    }
}

/// A condition to set on a CRD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `Established`, `NamesAccepted`, `Terminating`, ...
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason.
    pub reason: String,
    /// Human-readable message.
    pub message: String,
}

impl Condition {
    /// A condition from its parts.
    pub fn new(type_: &str, status: &str, reason: &str, message: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// Finds a condition of `type_` in a CRD status.
pub fn find_condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// `SetCRDCondition`: appends the condition, or updates it in place; `lastTransitionTime`
/// changes only when the status flips (or was unset); reason and message always overwrite.
pub fn set_condition(status: &mut Value, condition: &Condition, now: &str) {
    if !status.is_object() {
        *status = json!({});
    }
    let conditions = status
        .as_object_mut()
        .map(|m| m.entry("conditions").or_insert(Value::Null));
    let Some(conditions) = conditions else { return };
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    let Value::Array(list) = conditions else {
        return;
    };
    let existing = list
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(condition.type_.as_str()));
    match existing {
        None => list.push(json!({
            "type": condition.type_,
            "status": condition.status,
            "lastTransitionTime": now,
            "reason": condition.reason,
            "message": condition.message,
        })),
        Some(Value::Object(c)) => {
            let old_status = c.get("status").and_then(Value::as_str).unwrap_or("");
            let ltt_zero = c
                .get("lastTransitionTime")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if old_status != condition.status || ltt_zero {
                c.insert("lastTransitionTime".into(), json!(now));
            }
            c.insert("status".into(), json!(condition.status));
            c.insert("reason".into(), json!(condition.reason));
            c.insert("message".into(), json!(condition.message));
        }
        Some(_) => {}
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn names_equal(a: &Value, b: &Value) -> bool {
    ["plural", "singular", "kind", "listKind"]
        .iter()
        .all(|k| text(a, k) == text(b, k))
        && strings(a.get("shortNames")) == strings(b.get("shortNames"))
        && strings(a.get("categories")) == strings(b.get("categories"))
}

fn check(requested: &str, accepted: &str, used: &HashSet<String>) -> Result<(), String> {
    if requested == accepted || !used.contains(requested) {
        Ok(())
    } else {
        Err(format!(
            "{} is already in use",
            crate::gofmt::quote(requested)
        ))
    }
}

/// Renders names in Go's field order with `omitempty` rules.
fn names_value(
    plural: &str,
    singular: &str,
    short: &[String],
    kind: &str,
    list_kind: &str,
    categories: &[String],
) -> Value {
    let mut m = Map::new();
    m.insert("plural".into(), json!(plural));
    if !singular.is_empty() {
        m.insert("singular".into(), json!(singular));
    }
    if !short.is_empty() {
        m.insert("shortNames".into(), json!(short));
    }
    m.insert("kind".into(), json!(kind));
    if !list_kind.is_empty() {
        m.insert("listKind".into(), json!(list_kind));
    }
    if !categories.is_empty() {
        m.insert("categories".into(), json!(categories));
    }
    Value::Object(m)
}

/// The naming controller's sync for one CRD. `group_crds` are all CRDs (including this one,
/// at their current state) whose accepted names may conflict; those of other groups are
/// ignored. Returns the new status when it changes, `None` otherwise.
pub fn update_names_status(crd: &Value, group_crds: &[&Value], now: &str) -> Option<Value> {
    let empty = json!({});
    let requested = crd.pointer("/spec/names").unwrap_or(&empty);
    let status = crd
        .get("status")
        .cloned()
        .unwrap_or_else(|| initial_status(crd));
    let accepted = status.get("acceptedNames").unwrap_or(&empty).clone();
    if names_equal(requested, &accepted) {
        return None;
    }
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut resources = HashSet::new();
    let mut kinds = HashSet::new();
    for other in group_crds {
        if other
            .pointer("/spec/group")
            .and_then(Value::as_str)
            .unwrap_or("")
            != group
        {
            continue;
        }
        let names = other.pointer("/status/acceptedNames").unwrap_or(&empty);
        resources.insert(text(names, "plural"));
        resources.insert(text(names, "singular"));
        resources.extend(strings(names.get("shortNames")));
        kinds.insert(text(names, "kind"));
        kinds.insert(text(names, "listKind"));
    }
    let mut conflict: Option<(&str, String)> = None;
    let mut plural = text(&accepted, "plural");
    let mut singular = text(&accepted, "singular");
    let mut short = strings(accepted.get("shortNames"));
    let mut kind = text(&accepted, "kind");
    let mut list_kind = text(&accepted, "listKind");
    match check(&text(requested, "plural"), &plural, &resources) {
        Ok(()) => plural = text(requested, "plural"),
        Err(e) => conflict = Some(("PluralConflict", e)),
    }
    match check(&text(requested, "singular"), &singular, &resources) {
        Ok(()) => singular = text(requested, "singular"),
        Err(e) => conflict = Some(("SingularConflict", e)),
    }
    let requested_short = strings(requested.get("shortNames"));
    if requested_short != short {
        let existing: HashSet<&String> = short.iter().collect();
        let errs: Vec<String> = requested_short
            .iter()
            .filter(|s| !existing.contains(s))
            .filter_map(|s| check(s, "", &resources).err())
            .collect();
        if errs.is_empty() {
            short = requested_short;
        } else {
            let message = if errs.len() == 1 {
                errs[0].clone()
            } else {
                format!("[{}]", errs.join(", "))
            };
            conflict = Some(("ShortNamesConflict", message));
        }
    }
    match check(&text(requested, "kind"), &kind, &kinds) {
        Ok(()) => kind = text(requested, "kind"),
        Err(e) => conflict = Some(("KindConflict", e)),
    }
    match check(&text(requested, "listKind"), &list_kind, &kinds) {
        Ok(()) => list_kind = text(requested, "listKind"),
        Err(e) => conflict = Some(("ListKindConflict", e)),
    }
    let categories = strings(requested.get("categories"));
    let new_names = names_value(&plural, &singular, &short, &kind, &list_kind, &categories);
    let names_condition = match &conflict {
        None => Condition::new("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
        Some((reason, message)) => Condition::new("NamesAccepted", "False", reason, message),
    };
    let old_established = find_condition(&status, "Established");
    let mut established = match old_established {
        Some(c) => Condition::new(
            "Established",
            c.get("status").and_then(Value::as_str).unwrap_or(""),
            c.get("reason").and_then(Value::as_str).unwrap_or(""),
            c.get("message").and_then(Value::as_str).unwrap_or(""),
        ),
        None => Condition::new(
            "Established",
            "False",
            "NotAccepted",
            "not all names are accepted",
        ),
    };
    if established.status != "True" && names_condition.status == "True" {
        established = Condition::new(
            "Established",
            "False",
            "Installing",
            "the initial names have been accepted",
        );
    }
    let old_names_condition = find_condition(&status, "NamesAccepted");
    let equivalent = old_names_condition.is_some_and(|c| {
        text(c, "type") == names_condition.type_
            && text(c, "status") == names_condition.status
            && text(c, "reason") == names_condition.reason
            && text(c, "message") == names_condition.message
    });
    if names_equal(&accepted, &new_names) && equivalent {
        return None;
    }
    let mut new_status = status;
    if let Value::Object(m) = &mut new_status {
        m.insert("acceptedNames".into(), new_names);
    }
    set_condition(&mut new_status, &names_condition, now);
    set_condition(&mut new_status, &established, now);
    Some(new_status)
}

/// The establishing controller: when `NamesAccepted` is `True` and `Established` is not,
/// returns the status with `Established` `True` / `InitialNamesAccepted`.
pub fn establish(crd: &Value, now: &str) -> Option<Value> {
    let status = crd.get("status")?;
    let accepted = find_condition(status, "NamesAccepted")
        .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"));
    let established = find_condition(status, "Established")
        .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"));
    if !accepted || established {
        return None;
    }
    let mut new_status = status.clone();
    set_condition(
        &mut new_status,
        &Condition::new(
            "Established",
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
        ),
        now,
    );
    Some(new_status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(name: &str, plural: &str, kind: &str, short: &[&str]) -> Value {
        let mut v = json!({"metadata": {"name": name, "generation": 1},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List"), "shortNames": short},
                     "versions": [{"name": "v1", "served": true, "storage": true}]}});
        prepare_for_create(&mut v);
        v
    }

    #[test]
    fn create_status_and_generation() {
        let v = crd("foos.example.com", "foos", "Foo", &[]);
        assert_eq!(
            v["status"],
            json!({"conditions": null, "acceptedNames": {"plural": "", "kind": ""}, "storedVersions": ["v1"]})
        );
        assert_eq!(v["metadata"]["generation"], json!(1));
    }

    #[test]
    fn update_keeps_status_and_bumps_generation_on_spec_change() {
        let old = crd("foos.example.com", "foos", "Foo", &[]);
        let mut new = old.clone();
        new["status"] = json!({"storedVersions": ["bogus"]});
        prepare_for_update(&mut new, &old);
        assert_eq!(new["status"], old["status"]);
        assert_eq!(new["metadata"]["generation"], json!(1));
        new["spec"]["versions"] = json!([{"name": "v1", "served": true, "storage": false}, {"name": "v2", "served": true, "storage": true}]);
        prepare_for_update(&mut new, &old);
        assert_eq!(new["metadata"]["generation"], json!(2));
        assert_eq!(new["status"]["storedVersions"], json!(["v1", "v2"]));
    }

    #[test]
    fn names_then_established() {
        let mut foo = crd("foos.example.com", "foos", "Foo", &["fo"]);
        let status = update_names_status(&foo, &[&foo], "2024-01-01T00:00:00Z").expect("changes");
        assert_eq!(status["acceptedNames"]["plural"], "foos");
        let names = find_condition(&status, "NamesAccepted").expect("set");
        assert_eq!(names["reason"], "NoConflicts");
        let est = find_condition(&status, "Established").expect("set");
        assert_eq!(
            (est["status"].as_str(), est["reason"].as_str()),
            (Some("False"), Some("Installing"))
        );
        foo["status"] = status;
        assert!(update_names_status(&foo, &[&foo], "later").is_none());
        let established = establish(&foo, "2024-01-01T00:00:01Z").expect("establishes");
        let est = find_condition(&established, "Established").expect("set");
        assert_eq!(
            (
                est["status"].as_str(),
                est["reason"].as_str(),
                est["lastTransitionTime"].as_str()
            ),
            (
                Some("True"),
                Some("InitialNamesAccepted"),
                Some("2024-01-01T00:00:01Z")
            )
        );
        foo["status"] = established;
        assert!(establish(&foo, "x").is_none());

        let bar = crd("bars.example.com", "foos", "Foo", &["fo", "ba"]);
        let status = update_names_status(&bar, &[&foo, &bar], "t").expect("changes");
        let names = find_condition(&status, "NamesAccepted").expect("set");
        assert_eq!(names["status"], "False");
        assert_eq!(names["reason"], "ListKindConflict");
        assert_eq!(names["message"], "\"FooList\" is already in use");
        assert_eq!(status["acceptedNames"]["plural"], "");
        let est = find_condition(&status, "Established").expect("set");
        assert_eq!(est["reason"], "NotAccepted");

        let baz = crd("bazs.example.com", "bazs", "Baz", &["fo", "foos"]);
        let status = update_names_status(&baz, &[&foo, &baz], "t").expect("changes");
        let names = find_condition(&status, "NamesAccepted").expect("set");
        assert_eq!(names["reason"], "ShortNamesConflict");
        assert_eq!(
            names["message"],
            "[\"fo\" is already in use, \"foos\" is already in use]"
        );
    }
}
