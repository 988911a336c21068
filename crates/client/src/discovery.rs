//! Resolving an apiVersion + kind to the resource that serves it, with a per-client cache.
//!
//! Only the one group-version asked for is fetched (`/api/v1` or `/apis/<group>/<version>`).
//! A hit is served from memory for the client's lifetime; a miss (unknown group-version or a
//! kind not in the cached list) fetches again, so a CustomResourceDefinition installed after
//! the first lookup is still found.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// How a kind is served: the REST resource behind an apiVersion + kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    /// API group; empty for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// `group/version`, or just the version for the core group.
    pub api_version: String,
    /// The kind (`ConfigMap`).
    pub kind: String,
    /// The plural resource name used in URLs (`configmaps`).
    pub plural: String,
    /// The singular name (`configmap`); may be empty on old servers.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Verbs the server supports on the resource (`get`, `list`, `watch`, …).
    pub verbs: Vec<String>,
    /// Short names (`cm`).
    pub short_names: Vec<String>,
    /// Subresources the server serves (`status`, `scale`).
    pub subresources: Vec<String>,
}

impl ApiResource {
    /// `plural` or `plural.group`, as Kubernetes prints a GroupResource.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// Splits an apiVersion into (group, version): `"apps/v1"` → `("apps", "v1")`, `"v1"` → `("", "v1")`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The discovery path for an apiVersion.
pub fn discovery_path(api_version: &str) -> String {
    match split_api_version(api_version) {
        ("", version) => format!("/api/{version}"),
        (group, version) => format!("/apis/{group}/{version}"),
    }
}

/// One fetched `APIResourceList`, reduced to what resolution needs.
#[derive(Debug, Default)]
pub struct GroupVersionResources {
    by_kind: HashMap<String, Arc<ApiResource>>,
}

impl GroupVersionResources {
    /// Builds the lookup table from the JSON text of an `APIResourceList`.
    pub fn from_json(api_version: &str, text: &str) -> Result<Self, serde_json::Error> {
        let list: ResourceListWire = serde_json::from_str(text)?;
        let (group, version) = split_api_version(api_version);
        let mut subresources: HashMap<&str, Vec<String>> = HashMap::new();
        for entry in &list.resources {
            if let Some((parent, sub)) = entry.name.split_once('/') {
                subresources.entry(parent).or_default().push(sub.to_owned());
            }
        }
        let mut by_kind = HashMap::new();
        for entry in &list.resources {
            if entry.name.contains('/') {
                continue;
            }
            let resource = ApiResource {
                group: group.to_owned(),
                version: version.to_owned(),
                api_version: api_version.to_owned(),
                kind: entry.kind.clone(),
                plural: entry.name.clone(),
                singular: entry.singular_name.clone(),
                namespaced: entry.namespaced,
                verbs: entry.verbs.clone(),
                short_names: entry.short_names.clone(),
                subresources: subresources
                    .get(entry.name.as_str())
                    .cloned()
                    .unwrap_or_default(),
            };
            // The first resource serving a kind wins, as in client-go's RESTMapper.
            by_kind
                .entry(entry.kind.clone())
                .or_insert_with(|| Arc::new(resource));
        }
        Ok(GroupVersionResources { by_kind })
    }

    /// The resource serving `kind`, if any.
    pub fn find(&self, kind: &str) -> Option<Arc<ApiResource>> {
        self.by_kind.get(kind).cloned()
    }
}

#[derive(Deserialize)]
struct ResourceListWire {
    #[serde(default)]
    resources: Vec<ResourceWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceWire {
    name: String,
    #[serde(default)]
    singular_name: String,
    #[serde(default)]
    namespaced: bool,
    kind: String,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
}

/// The per-client cache of group-versions fetched so far.
#[derive(Debug, Default)]
pub struct DiscoveryCache {
    fetched: Mutex<HashMap<String, Arc<GroupVersionResources>>>,
    /// One lock per group-version so concurrent misses fetch once.
    fetch_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl DiscoveryCache {
    /// The cached resource for `api_version` + `kind`, without I/O.
    pub fn cached(&self, api_version: &str, kind: &str) -> Option<Arc<ApiResource>> {
        let fetched = self
            .fetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        fetched
            .get(api_version)
            .and_then(|resources| resources.find(kind))
    }

    /// Stores a freshly fetched list (or forgets the group-version when `None`).
    pub fn store(&self, api_version: &str, resources: Option<Arc<GroupVersionResources>>) {
        let mut fetched = self
            .fetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match resources {
            Some(resources) => {
                fetched.insert(api_version.to_owned(), resources);
            }
            None => {
                fetched.remove(api_version);
            }
        }
    }

    /// The lock serialising fetches of one group-version.
    pub fn fetch_lock(&self, api_version: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .fetch_locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(api_version.to_owned()).or_default().clone()
    }

    /// Forgets everything; the next lookup of each kind fetches again.
    pub fn invalidate(&self) {
        self.fetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_map_to_discovery_paths() {
        assert_eq!(discovery_path("v1"), "/api/v1");
        assert_eq!(discovery_path("apps/v1"), "/apis/apps/v1");
        assert_eq!(
            split_api_version("example.com/v1alpha1"),
            ("example.com", "v1alpha1")
        );
    }

    #[test]
    fn resource_lists_resolve_kinds_and_collect_subresources() {
        let text = r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[
            {"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment","verbs":["get","list"],"shortNames":["deploy"]},
            {"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get","patch","update"]},
            {"name":"deployments/status","singularName":"","namespaced":true,"kind":"Deployment","verbs":["get","patch","update"]}]}"#;
        let resources = GroupVersionResources::from_json("apps/v1", text).expect("parse");
        let deployment = resources.find("Deployment").expect("Deployment");
        assert_eq!(deployment.plural, "deployments");
        assert_eq!(deployment.group, "apps");
        assert!(deployment.namespaced);
        assert_eq!(deployment.short_names, vec!["deploy"]);
        assert_eq!(deployment.subresources, vec!["scale", "status"]);
        assert_eq!(deployment.group_resource(), "deployments.apps");
        assert!(
            resources.find("Scale").is_none(),
            "a subresource kind is not a top-level resource"
        );
    }
}
