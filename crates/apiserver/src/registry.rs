//! The resource registry: every served (group, version, resource), built from
//! [`crate::kinds::BUILTIN_KINDS`] plus the established CRDs in the store.
//! Immutable once built; swapped atomically when a CRD changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::kinds::{self, BuiltinKind, GenerationPolicy, NameRule, BUILTIN_KINDS, FULL_VERBS};

/// CRD verbs, in the literal (unsorted) order apiextensions prints them.
pub const CRD_VERBS: &[&str] = &[
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "create",
    "update",
    "watch",
];
/// CRD verbs while the CRD is terminating.
pub const CRD_TERMINATING_VERBS: &[&str] = &["delete", "deletecollection", "get", "list", "watch"];

/// The scale subresource paths of a custom resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePaths {
    /// `.spec.replicas`
    pub spec_replicas: String,
    /// `.status.replicas`
    pub status_replicas: String,
    /// `.status.selector` (optional)
    pub label_selector: Option<String>,
}

/// Extra information for custom resources.
#[derive(Debug, Clone)]
pub struct CustomInfo {
    /// `metadata.name` of the CRD.
    pub crd_name: String,
    /// The CRD is being deleted.
    pub terminating: bool,
    /// `openAPIV3Schema` of this version.
    pub schema: Option<Value>,
    /// Scale subresource paths, if enabled for this version.
    pub scale: Option<ScalePaths>,
    /// `additionalPrinterColumns` of this version.
    pub printer_columns: Value,
    /// Version deprecation warning, if deprecated.
    pub deprecation_warning: Option<String>,
    /// `spec.preserveUnknownFields` or schema missing: do not prune.
    pub preserve_unknown_fields: bool,
    /// The compiled structural schema of this version.
    pub structural: Option<Arc<klite_schema::structural::StructuralSchema>>,
    /// The compiled structural schema of the storage version (pruning on conversion).
    pub storage_structural: Option<Arc<klite_schema::structural::StructuralSchema>>,
}

/// Everything the handlers need to know about one served resource.
#[derive(Debug, Clone)]
pub struct ResourceDef {
    /// Group ("" = core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural.
    pub resource: String,
    /// Singular.
    pub singular: String,
    /// Kind.
    pub kind: String,
    /// `<Kind>List`.
    pub list_kind: String,
    /// Scope.
    pub namespaced: bool,
    /// Discovery verbs.
    pub verbs: Vec<String>,
    /// Short names.
    pub short_names: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Subresources (`status`, `scale`, `finalize`).
    pub subresources: Vec<String>,
    /// Name rule.
    pub name_rule: NameRule,
    /// Generation policy.
    pub generation: GenerationPolicy,
    /// DELETE returns the object.
    pub returns_deleted_object: bool,
    /// PUT without resourceVersion allowed.
    pub allow_unconditional_update: bool,
    /// Field selector labels beyond metadata.name/namespace.
    pub field_selectors: Vec<String>,
    /// Known top-level fields (built-ins); `None` = schema-driven (CRs).
    pub known_fields: Option<&'static [&'static str]>,
    /// Storage identity (`<group>/<resource>`), shared by every served version.
    pub storage_id: Arc<str>,
    /// Version objects are stored in.
    pub storage_version: String,
    /// `storageVersionHash`.
    pub storage_version_hash: String,
    /// Set for custom resources.
    pub custom: Option<Arc<CustomInfo>>,
    /// Merge semantics (klite-merge type), computed on first use.
    pub merge_type: OnceLock<Arc<klite_merge::types::TypeRef>>,
}

impl ResourceDef {
    /// `<group>/<version>` or `v1` for core.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Does the resource have a status subresource?
    pub fn has_status(&self) -> bool {
        self.subresources.iter().any(|s| s == "status")
    }

    /// Does the resource serve `sub`?
    pub fn has_subresource(&self, sub: &str) -> bool {
        self.subresources.iter().any(|s| s == sub)
    }

    /// Is it a custom resource?
    pub fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// The merge type used by patches, apply and field management.
    pub fn merge_type(&self) -> Arc<klite_merge::types::TypeRef> {
        self.merge_type
            .get_or_init(|| {
                let ty = match &self.custom {
                    Some(c) => match &c.schema {
                        Some(schema) if !c.preserve_unknown_fields => {
                            klite_merge::types::from_openapi_schema(schema)
                        }
                        _ => klite_merge::types::TypeRef::deduced(),
                    },
                    None => klite_merge::types::builtin(&self.group, &self.version, &self.kind)
                        .unwrap_or_else(klite_merge::types::TypeRef::deduced),
                };
                Arc::new(ty)
            })
            .clone()
    }

    /// Is a verb allowed on the main resource?
    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    fn from_builtin(k: &BuiltinKind) -> Self {
        let verbs: &[&str] = if k.verbs.is_empty() {
            FULL_VERBS
        } else {
            k.verbs
        };
        ResourceDef {
            group: k.group.into(),
            version: k.version.into(),
            resource: k.resource.into(),
            singular: k.singular.into(),
            kind: k.kind.into(),
            list_kind: format!("{}List", k.kind),
            namespaced: k.namespaced,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            short_names: k.short_names.iter().map(|s| s.to_string()).collect(),
            categories: k.categories.iter().map(|s| s.to_string()).collect(),
            subresources: k.subresources.iter().map(|s| s.to_string()).collect(),
            name_rule: k.name_rule,
            generation: k.generation,
            returns_deleted_object: k.returns_deleted_object,
            allow_unconditional_update: k.resource != "customresourcedefinitions",
            field_selectors: k.field_selectors.iter().map(|s| s.to_string()).collect(),
            known_fields: Some(kinds::known_top_level(k)),
            storage_id: Arc::from(format!("{}/{}", k.group, k.resource)),
            storage_version: k.version.into(),
            // Create-only review resources have no storage, so no storageVersionHash (upstream omits it).
            storage_version_hash: if k.verbs == ["create"] {
                String::new()
            } else {
                storage_version_hash(k.group, k.version, k.kind)
            },
            custom: None,
            merge_type: OnceLock::new(),
        }
    }
}

/// `base64(sha256("<group>/<version>/<kind>")[0..8])`.
pub fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    let digest = Sha256::digest(format!("{group}/{version}/{kind}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

/// Kube-aware version ordering key: GA > beta > alpha, higher numbers first, others last.
pub fn version_rank(v: &str) -> (u8, i64, i64, String) {
    let parse = || -> Option<(u8, i64, i64)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let major: i64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((0, -major, 0));
        }
        let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
            (1, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (2, n)
        } else {
            return None;
        };
        let minor: i64 = num.parse().ok()?;
        Some((level, -major, -minor))
    };
    match parse() {
        Some((level, major, minor)) => (level, major, minor, String::new()),
        None => (3, 0, 0, v.to_string()),
    }
}

/// One API group as discovery shows it.
#[derive(Debug, Clone)]
pub struct GroupEntry {
    /// Group name.
    pub name: String,
    /// Versions, preferred first.
    pub versions: Vec<String>,
    /// Aggregator priority.
    pub priority: i64,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Registry {
    resources: HashMap<(String, String, String), Arc<ResourceDef>>,
    by_group_version: BTreeMap<(String, String), Vec<Arc<ResourceDef>>>,
    groups: Vec<GroupEntry>,
    /// Cached discovery bodies, keyed by path.
    discovery_cache: OnceLock<HashMap<String, bytes::Bytes>>,
}

impl Registry {
    /// Build from the built-in table plus the given CRD objects.
    pub fn build(crds: &[Arc<crate::store::StoredObject>]) -> Self {
        let mut defs: Vec<ResourceDef> = BUILTIN_KINDS
            .iter()
            .map(ResourceDef::from_builtin)
            .collect();
        for crd in crds {
            defs.extend(crate::crd::resource_defs(&crd.value));
        }
        let mut reg = Registry::default();
        let mut group_versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for def in defs {
            let def = Arc::new(def);
            let served_in_discovery = def.custom.as_ref().map(|_| true).unwrap_or(true);
            if served_in_discovery {
                let versions = group_versions.entry(def.group.clone()).or_default();
                if !versions.contains(&def.version) {
                    versions.push(def.version.clone());
                }
            }
            reg.by_group_version
                .entry((def.group.clone(), def.version.clone()))
                .or_default()
                .push(def.clone());
            reg.resources.insert(
                (def.group.clone(), def.version.clone(), def.resource.clone()),
                def,
            );
        }
        for list in reg.by_group_version.values_mut() {
            list.sort_by(|a, b| a.resource.cmp(&b.resource));
        }
        let mut groups: Vec<GroupEntry> = group_versions
            .into_iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(name, mut versions)| {
                versions.sort_by_key(|v| version_rank(v));
                GroupEntry {
                    priority: kinds::group_priority(&name),
                    name,
                    versions,
                }
            })
            .collect();
        groups.sort_by(|a, b| {
            b.priority.cmp(&a.priority).then_with(|| {
                let an = format!(
                    "{}.{}",
                    a.versions.first().map(String::as_str).unwrap_or(""),
                    a.name
                );
                let bn = format!(
                    "{}.{}",
                    b.versions.first().map(String::as_str).unwrap_or(""),
                    b.name
                );
                an.cmp(&bn)
            })
        });
        reg.groups = groups;
        reg
    }

    /// Served API groups other than core, in `/apis` order, versions preferred first.
    pub fn groups(&self) -> &[GroupEntry] {
        &self.groups
    }

    /// The resources of one group/version, sorted by name (empty when not served).
    pub fn resources_of(&self, group: &str, version: &str) -> &[Arc<ResourceDef>] {
        self.by_group_version
            .get(&(group.to_string(), version.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The registry of built-in kinds only, built once per process and shared
    /// (a fresh server starts without building or rendering discovery again).
    pub fn builtin() -> Arc<Registry> {
        static BUILTIN: OnceLock<Arc<Registry>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Arc::new(Registry::build(&[])))
            .clone()
    }

    /// Look up a served resource.
    pub fn lookup(&self, group: &str, version: &str, resource: &str) -> Option<Arc<ResourceDef>> {
        self.resources
            .get(&(group.to_string(), version.to_string(), resource.to_string()))
            .cloned()
    }

    /// Is this group/version served?
    pub fn serves_group_version(&self, group: &str, version: &str) -> bool {
        self.by_group_version
            .contains_key(&(group.to_string(), version.to_string()))
    }

    /// All resources (every version) of one storage.
    pub fn resources_of_storage(&self, storage_id: &str) -> Vec<Arc<ResourceDef>> {
        self.resources
            .values()
            .filter(|d| &*d.storage_id == storage_id)
            .cloned()
            .collect()
    }

    /// The first resource definition with this group and kind (any version).
    pub fn by_group_kind(&self, group: &str, kind: &str) -> Option<Arc<ResourceDef>> {
        self.groups
            .iter()
            .find(|g| g.name == group)
            .map(|g| g.versions.clone())
            .unwrap_or_else(|| vec!["v1".to_string()])
            .iter()
            .find_map(|v| {
                self.by_group_version
                    .get(&(group.to_string(), v.clone()))
                    .and_then(|list| list.iter().find(|d| d.kind == kind).cloned())
            })
    }

    /// Discovery body for a path (`/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`),
    /// `None` when the path is not a discovery path of this registry.
    pub fn discovery(&self, path: &str, server_address: &str) -> Option<bytes::Bytes> {
        if path == "/api" {
            // Contains the client-visible address: not cached.
            let body = json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
            });
            return Some(bytes::Bytes::from(crate::json::to_body(&body)));
        }
        let cache = self.discovery_cache.get_or_init(|| self.render_discovery());
        cache.get(path).cloned()
    }

    fn render_discovery(&self) -> HashMap<String, bytes::Bytes> {
        let mut out = HashMap::new();
        let body = |v: Value| bytes::Bytes::from(crate::json::to_body(&v));
        let group_json = |g: &GroupEntry| {
            let versions: Vec<Value> = g
                .versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{}/{}", g.name, v), "version": v}))
                .collect();
            (
                versions.clone(),
                versions.first().cloned().unwrap_or(Value::Null),
            )
        };
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let (versions, preferred) = group_json(g);
                json!({"name": g.name, "versions": versions, "preferredVersion": preferred})
            })
            .collect();
        out.insert(
            "/apis".into(),
            body(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})),
        );
        for g in &self.groups {
            let (versions, preferred) = group_json(g);
            out.insert(
                format!("/apis/{}", g.name),
                body(json!({"kind": "APIGroup", "apiVersion": "v1", "name": g.name, "versions": versions, "preferredVersion": preferred})),
            );
        }
        for ((group, version), defs) in &self.by_group_version {
            let resources = resource_list(defs);
            let (path, doc) = if group.is_empty() {
                (
                    format!("/api/{version}"),
                    json!({"kind": "APIResourceList", "groupVersion": version, "resources": resources}),
                )
            } else {
                (
                    format!("/apis/{group}/{version}"),
                    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": format!("{group}/{version}"), "resources": resources}),
                )
            };
            out.insert(path, body(doc));
        }
        out
    }
}

fn api_resource(def: &ResourceDef) -> Value {
    // serde_json's map is ordered alphabetically; discovery consumers do not care
    // about key order, only about presence (singularName/namespaced always present).
    let mut v = json!({
        "name": def.resource,
        "singularName": def.singular,
        "namespaced": def.namespaced,
        "kind": def.kind,
        "verbs": def.verbs,
    });
    if !def.short_names.is_empty() {
        v["shortNames"] = json!(def.short_names);
    }
    if !def.categories.is_empty() {
        v["categories"] = json!(def.categories);
    }
    if !def.storage_version_hash.is_empty() {
        v["storageVersionHash"] = json!(def.storage_version_hash);
    }
    v
}

fn resource_list(defs: &[Arc<ResourceDef>]) -> Vec<Value> {
    // Storage paths sorted lexicographically: `deployments`, `deployments/scale`, `deployments/status`.
    let mut entries: Vec<(String, Value)> = Vec::new();
    for def in defs {
        entries.push((def.resource.clone(), api_resource(def)));
        for sub in &def.subresources {
            let name = format!("{}/{}", def.resource, sub);
            let verbs: Vec<&str> = match sub.as_str() {
                "finalize" => vec!["update"],
                _ => vec!["get", "patch", "update"],
            };
            let v = if sub == "scale" {
                json!({"name": name, "singularName": "", "namespaced": def.namespaced, "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": verbs})
            } else {
                json!({"name": name, "singularName": "", "namespaced": def.namespaced, "kind": def.kind, "verbs": verbs})
            };
            entries.push((name, v));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_version_hash_matches_upstream_vectors() {
        assert_eq!(storage_version_hash("", "v1", "Pod"), "xPOwRZ+Yhw8=");
        assert_eq!(storage_version_hash("", "v1", "ConfigMap"), "qFsyl6wFWjQ=");
        assert_eq!(
            storage_version_hash("apps", "v1", "Deployment"),
            "8aSe+NMegvE="
        );
        assert_eq!(
            storage_version_hash("example.com", "v1", "Foo"),
            "4XyhoHMtUhg="
        );
    }

    #[test]
    fn versions_sort_kube_aware() {
        let mut v = vec!["v1alpha1", "foo", "v1beta1", "v2", "v1", "v1beta2", "v10"];
        v.sort_by_key(|x| version_rank(x));
        assert_eq!(
            v,
            vec!["v10", "v2", "v1", "v1beta2", "v1beta1", "v1alpha1", "foo"]
        );
    }

    #[test]
    fn groups_are_ordered_by_priority_then_name() {
        let reg = Registry::build(&[]);
        let names: Vec<&str> = reg.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names[0], "apps");
        assert_eq!(names[1], "events.k8s.io");
        let adm = names
            .iter()
            .position(|n| *n == "admissionregistration.k8s.io")
            .unwrap();
        let ext = names
            .iter()
            .position(|n| *n == "apiextensions.k8s.io")
            .unwrap();
        assert_eq!(ext, adm + 1);
    }
}
