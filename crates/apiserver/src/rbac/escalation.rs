//! RBAC escalation prevention on Role/ClusterRole/RoleBinding/ClusterRoleBinding
//! writes (upstream `pkg/registry/rbac/*/policybased` + `validation/rule.go`
//! `ConfirmNoEscalation`): a user may only grant permissions it holds, unless it
//! is in `system:masters` or may `escalate` (roles) / `bind` (bindings).

use serde_json::Value;

use super::index::{RbacIndex, RBAC_GROUP};
use super::rules::{compact, go_quoted_list, uncovered, PolicyRule};
use super::PRIVILEGED_GROUP;
use crate::auth::{Decision, UserInfo};
use crate::registry::ResourceDef;
use crate::request_info::RequestInfo;
use crate::server::Shared;
use crate::status::ApiError;

fn meta<'v>(obj: &'v Value, key: &str) -> &'v str {
    obj.get("metadata")
        .and_then(|m| m.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Only `ownerReferences`/`finalizers` (and server-managed fields) changed.
fn only_gc_fields_changed(new: &Value, old: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in [
                "ownerReferences",
                "finalizers",
                "managedFields",
                "resourceVersion",
                "generation",
            ] {
                m.remove(key);
            }
        }
        v
    };
    strip(new) == strip(old)
}

fn allowed(
    shared: &Shared,
    user: &UserInfo,
    verb: &str,
    resource: &str,
    namespace: &str,
    name: &str,
) -> bool {
    let request = RequestInfo {
        is_resource: true,
        verb: verb.into(),
        api_group: RBAC_GROUP.into(),
        api_version: "v1".into(),
        namespace: namespace.into(),
        resource: resource.into(),
        name: name.into(),
        ..Default::default()
    };
    matches!(shared.authz.authorize(user, &request), Decision::Allow(_))
}

fn confirm_no_escalation(
    index: &RbacIndex,
    user: &UserInfo,
    namespace: &str,
    requested: &[PolicyRule],
) -> Result<(), String> {
    let (owned, errors) = index.rules_for(user, namespace);
    let missing = uncovered(&owned, requested);
    if missing.is_empty() {
        return Ok(());
    }
    let mut lines: Vec<String> = compact(missing)
        .iter()
        .map(PolicyRule::compact_string)
        .collect();
    lines.sort();
    lines.dedup();
    let mut msg = format!(
        "user {:?} (groups={}) is attempting to grant RBAC permissions not currently held:\n{}",
        user.name,
        go_quoted_list(&user.groups),
        lines.join("\n")
    );
    if !errors.is_empty() {
        msg.push_str(&format!("; resolution errors: [{}]", errors.join(" ")));
    }
    Err(msg)
}

/// Check a create (`old` = None) or update of an RBAC object by `user`.
/// Objects of other kinds, and writes without a user (bootstrap), pass.
pub(crate) fn admit(
    shared: &Shared,
    user: Option<&UserInfo>,
    def: &ResourceDef,
    new: &Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    let Some(user) = user else { return Ok(()) };
    if def.group != RBAC_GROUP || user.in_group(PRIVILEGED_GROUP) {
        return Ok(());
    }
    if old.is_some_and(|old| only_gc_fields_changed(new, old)) {
        return Ok(());
    }
    let name = meta(new, "name");
    let namespace = if def.namespaced {
        meta(new, "namespace")
    } else {
        ""
    };
    let forbidden = |msg: &str| ApiError::forbidden(&def.group, &def.resource, name, msg);
    match def.resource.as_str() {
        "roles" | "clusterroles" => {
            if allowed(shared, user, "escalate", &def.resource, namespace, name) {
                return Ok(());
            }
            let index = RbacIndex::build(&shared.store.snapshot().map);
            let rules = PolicyRule::list_from_object(new);
            confirm_no_escalation(&index, user, namespace, &rules).map_err(|m| forbidden(&m))?;
            if def.resource == "clusterroles"
                && new.get("aggregationRule").is_some_and(|a| !a.is_null())
            {
                let full = PolicyRule {
                    verbs: vec!["*".into()],
                    api_groups: vec!["*".into()],
                    resources: vec!["*".into()],
                    ..Default::default()
                };
                let urls = PolicyRule {
                    verbs: vec!["*".into()],
                    non_resource_urls: vec!["*".into()],
                    ..Default::default()
                };
                if confirm_no_escalation(&index, user, namespace, &[full, urls]).is_err() {
                    return Err(forbidden(
                        "must have cluster-admin privileges to use the aggregationRule",
                    ));
                }
            }
            Ok(())
        }
        "rolebindings" | "clusterrolebindings" => {
            let role_kind = new
                .pointer("/roleRef/kind")
                .and_then(Value::as_str)
                .unwrap_or("");
            let role_name = new
                .pointer("/roleRef/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let role_resource = if role_kind == "Role" {
                "roles"
            } else {
                "clusterroles"
            };
            if allowed(shared, user, "bind", role_resource, namespace, role_name) {
                return Ok(());
            }
            let index = RbacIndex::build(&shared.store.snapshot().map);
            let rules = index
                .role_reference_rules(role_kind, role_name, namespace)
                .map_err(|_| ApiError::not_found(RBAC_GROUP, role_resource, role_name))?;
            confirm_no_escalation(&index, user, namespace, &rules).map_err(|m| forbidden(&m))
        }
        _ => Ok(()),
    }
}
