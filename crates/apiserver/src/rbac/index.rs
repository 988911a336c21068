//! The RBAC objects of one store snapshot, indexed by subject.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::errors_reason;
use super::rules::PolicyRule;
use crate::auth::{Decision, UserInfo};
use crate::request_info::RequestInfo;
use crate::store::object::storage_prefix;
use crate::store::ObjectMap;

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const CLUSTER_ROLES: &str = "rbac.authorization.k8s.io/clusterroles";
const ROLES: &str = "rbac.authorization.k8s.io/roles";
const CLUSTER_ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/clusterrolebindings";
const ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/rolebindings";

/// Is this storage one of the four RBAC kinds?
pub fn is_rbac_storage(storage_id: &str) -> bool {
    matches!(
        storage_id,
        CLUSTER_ROLES | ROLES | CLUSTER_ROLE_BINDINGS | ROLE_BINDINGS
    )
}

/// A subject as the index keys it: service accounts become their user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SubjectKey {
    User(String),
    Group(String),
}

/// A subject of a binding.
#[derive(Debug, Clone)]
struct Subject {
    key: Option<SubjectKey>,
    /// `User "alice"`, `Group "g"`, `ServiceAccount "sa/ns"`.
    description: String,
}

/// One RoleBinding or ClusterRoleBinding.
#[derive(Debug)]
pub struct Binding {
    /// Namespace ("" for ClusterRoleBindings).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `roleRef.kind`.
    pub role_kind: String,
    /// `roleRef.name`.
    pub role_name: String,
    subjects: Vec<Subject>,
}

impl Binding {
    fn from_object(obj: &Value) -> Binding {
        let meta = |k: &str| {
            obj.pointer(&format!("/metadata/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let namespace = meta("namespace");
        let role = |k: &str| {
            obj.pointer(&format!("/roleRef/{k}"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let subjects = obj
            .get("subjects")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(|s| subject(s, &namespace)).collect())
            .unwrap_or_default();
        Binding {
            name: meta("name"),
            role_kind: role("kind"),
            role_name: role("name"),
            subjects,
            namespace,
        }
    }

    /// The first subject that applies to the user (upstream `appliesTo`).
    fn applying_subject(&self, user: &UserInfo) -> Option<&Subject> {
        self.subjects.iter().find(|s| match &s.key {
            Some(SubjectKey::User(name)) => *name == user.name,
            Some(SubjectKey::Group(group)) => user.in_group(group),
            None => false,
        })
    }

    fn description(&self) -> String {
        if self.namespace.is_empty() {
            format!(
                "ClusterRoleBinding {:?} of {} {:?}",
                self.name, self.role_kind, self.role_name
            )
        } else {
            format!(
                "RoleBinding \"{}/{}\" of {} {:?}",
                self.name, self.namespace, self.role_kind, self.role_name
            )
        }
    }
}

fn subject(s: &Value, binding_namespace: &str) -> Subject {
    let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
    let (kind, name, namespace) = (field("kind"), field("name"), field("namespace"));
    match kind {
        "User" => Subject {
            key: Some(SubjectKey::User(name.into())),
            description: format!("User {name:?}"),
        },
        "Group" => Subject {
            key: Some(SubjectKey::Group(name.into())),
            description: format!("Group {name:?}"),
        },
        "ServiceAccount" => {
            let ns = if namespace.is_empty() {
                binding_namespace
            } else {
                namespace
            };
            let key = (!ns.is_empty() && !name.is_empty())
                .then(|| SubjectKey::User(format!("system:serviceaccount:{ns}:{name}")));
            Subject {
                key,
                description: format!("ServiceAccount \"{name}/{ns}\""),
            }
        }
        other => Subject {
            key: None,
            description: format!("{other} {name:?}"),
        },
    }
}

/// Unique bindings of several lists, sorted by name.
fn collect_sorted<'a>(lists: impl Iterator<Item = &'a Vec<Arc<Binding>>>) -> Vec<Arc<Binding>> {
    let mut found: Vec<Arc<Binding>> = Vec::new();
    for b in lists.flatten() {
        if !found.iter().any(|f| Arc::ptr_eq(f, b)) {
            found.push(b.clone());
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Roles and bindings of one snapshot, bindings indexed by subject.
#[derive(Debug, Default)]
pub struct RbacIndex {
    cluster_roles: HashMap<String, Arc<[PolicyRule]>>,
    roles: HashMap<(String, String), Arc<[PolicyRule]>>,
    cluster_bindings: HashMap<SubjectKey, Vec<Arc<Binding>>>,
    bindings: HashMap<(String, SubjectKey), Vec<Arc<Binding>>>,
}

fn objects<'m>(map: &'m ObjectMap, storage_id: &str) -> impl Iterator<Item = &'m Value> + 'm {
    let prefix = storage_prefix(storage_id, None);
    map.range(prefix.clone()..)
        .take_while(move |(k, _)| k.starts_with(&prefix))
        .map(|(_, o)| &o.value)
}

impl RbacIndex {
    /// Index the RBAC objects of a snapshot.
    pub fn build(map: &ObjectMap) -> RbacIndex {
        let mut index = RbacIndex::default();
        for obj in objects(map, CLUSTER_ROLES) {
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            index
                .cluster_roles
                .insert(name.to_string(), PolicyRule::list_from_object(obj).into());
        }
        for obj in objects(map, ROLES) {
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            index.roles.insert(
                (ns.to_string(), name.to_string()),
                PolicyRule::list_from_object(obj).into(),
            );
        }
        for (storage, cluster) in [(CLUSTER_ROLE_BINDINGS, true), (ROLE_BINDINGS, false)] {
            for obj in objects(map, storage) {
                let binding = Arc::new(Binding::from_object(obj));
                let mut keys: Vec<SubjectKey> = binding
                    .subjects
                    .iter()
                    .filter_map(|s| s.key.clone())
                    .collect();
                keys.dedup();
                for key in keys {
                    let list = if cluster {
                        index.cluster_bindings.entry(key).or_default()
                    } else {
                        index
                            .bindings
                            .entry((binding.namespace.clone(), key))
                            .or_default()
                    };
                    if !list.iter().any(|b| Arc::ptr_eq(b, &binding)) {
                        list.push(binding.clone());
                    }
                }
            }
        }
        index
    }

    /// The bindings that may apply to a user: ClusterRoleBindings first, then
    /// RoleBindings of `namespace` (when non-empty); each sorted by name.
    fn bindings_for(&self, user: &UserInfo, namespace: &str) -> Vec<Arc<Binding>> {
        let mut keys = vec![SubjectKey::User(user.name.clone())];
        keys.extend(user.groups.iter().map(|g| SubjectKey::Group(g.clone())));
        let mut out = collect_sorted(keys.iter().filter_map(|k| self.cluster_bindings.get(k)));
        if !namespace.is_empty() {
            out.extend(collect_sorted(
                keys.into_iter()
                    .filter_map(|k| self.bindings.get(&(namespace.to_string(), k))),
            ));
        }
        out
    }

    /// The rules a binding grants, or the upstream resolution error.
    fn role_rules(&self, binding: &Binding) -> Result<Arc<[PolicyRule]>, String> {
        match binding.role_kind.as_str() {
            "ClusterRole" => self
                .cluster_roles
                .get(&binding.role_name)
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "clusterrole.rbac.authorization.k8s.io {:?} not found",
                        binding.role_name
                    )
                }),
            "Role" => self
                .roles
                .get(&(binding.namespace.clone(), binding.role_name.clone()))
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "role.rbac.authorization.k8s.io {:?} not found",
                        binding.role_name
                    )
                }),
            other => Err(format!("unsupported role reference kind: {other:?}")),
        }
    }

    /// Upstream `RBACAuthorizer.Authorize` (without the privileged group).
    pub fn authorize(&self, user: &UserInfo, request: &RequestInfo) -> Decision {
        let mut errors = Vec::new();
        for binding in self.bindings_for(user, &request.namespace) {
            let Some(subject) = binding.applying_subject(user) else {
                continue;
            };
            match self.role_rules(&binding) {
                Ok(rules) => {
                    if rules.iter().any(|r| r.allows(request)) {
                        return Decision::Allow(format!(
                            "RBAC: allowed by {} to {}",
                            binding.description(),
                            subject.description
                        ));
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        Decision::Deny(errors_reason(&errors))
    }

    /// Every rule that applies to `user` in `namespace`, with resolution errors.
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> (Vec<PolicyRule>, Vec<String>) {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for binding in self.bindings_for(user, namespace) {
            if binding.applying_subject(user).is_none() {
                continue;
            }
            match self.role_rules(&binding) {
                Ok(r) => rules.extend(r.iter().cloned()),
                Err(e) => errors.push(e),
            }
        }
        (rules, errors)
    }

    /// The rules of a role reference as a binding in `namespace` would grant them.
    pub fn role_reference_rules(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<Vec<PolicyRule>, String> {
        let probe = Binding {
            namespace: namespace.to_string(),
            name: String::new(),
            role_kind: kind.to_string(),
            role_name: name.to_string(),
            subjects: Vec::new(),
        };
        self.role_rules(&probe).map(|r| r.to_vec())
    }
}
