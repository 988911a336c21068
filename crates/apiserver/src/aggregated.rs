//! Aggregated discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`,
//! facts-protocol §1.6): `/api` and `/apis` answer the whole resource tree in one
//! document when the Accept header asks for it, so clients skip the per
//! group/version requests. Other Accept headers get the legacy documents.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha512};

use crate::handlers::Body;
use crate::registry::{Registry, ResourceDef};

/// Which aggregated version the Accept header chose (`v2`, or `v2beta1` as 1.32 still serves).
pub fn requested_version(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<(String, String)> = parts
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            })
            .collect();
        let param = |k: &str| {
            params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        if param("as").is_none()
            && matches!(media.as_str(), "application/json" | "*/*" | "application/*")
        {
            return None;
        }
        if media == "application/json"
            && param("as") == Some("APIGroupDiscoveryList")
            && param("g") == Some("apidiscovery.k8s.io")
            && param("profile").is_none()
        {
            match param("v") {
                Some("v2") => return Some("v2"),
                Some("v2beta1") => return Some("v2beta1"),
                _ => {}
            }
        }
    }
    None
}

fn response_kind(def: &ResourceDef, group: &str, version: &str, kind: &str) -> Value {
    // Built-ins show the APIResource's empty group/version; CRDs fill them in.
    if def.is_custom() {
        json!({"group": group, "version": version, "kind": kind})
    } else {
        json!({"group": "", "version": "", "kind": kind})
    }
}

fn resource_entry(def: &ResourceDef) -> Value {
    let mut entry = Map::new();
    entry.insert("resource".into(), json!(def.resource));
    entry.insert(
        "responseKind".into(),
        response_kind(def, &def.group, &def.version, &def.kind),
    );
    entry.insert(
        "scope".into(),
        json!(if def.namespaced {
            "Namespaced"
        } else {
            "Cluster"
        }),
    );
    entry.insert("singularResource".into(), json!(def.singular));
    entry.insert("verbs".into(), json!(def.verbs));
    if !def.short_names.is_empty() {
        entry.insert("shortNames".into(), json!(def.short_names));
    }
    if !def.categories.is_empty() {
        entry.insert("categories".into(), json!(def.categories));
    }
    let mut subresources: Vec<Value> = def
        .subresources
        .iter()
        .map(|sub| {
            let (kind, verbs) = match sub.as_str() {
                "scale" => (
                    json!({"group": "autoscaling", "version": "v1", "kind": "Scale"}),
                    json!(["get", "patch", "update"]),
                ),
                "finalize" => (
                    response_kind(def, &def.group, &def.version, &def.kind),
                    json!(["update"]),
                ),
                _ => (
                    response_kind(def, &def.group, &def.version, &def.kind),
                    json!(["get", "patch", "update"]),
                ),
            };
            json!({"subresource": sub, "responseKind": kind, "verbs": verbs})
        })
        .collect();
    subresources.sort_by(|a, b| a["subresource"].as_str().cmp(&b["subresource"].as_str()));
    if !subresources.is_empty() {
        entry.insert("subresources".into(), Value::Array(subresources));
    }
    Value::Object(entry)
}

fn group_item(registry: &Registry, name: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let resources: Vec<Value> = registry
                .resources_of(name, v)
                .iter()
                .map(|d| resource_entry(d))
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let metadata = if name.is_empty() {
        json!({"creationTimestamp": null})
    } else {
        json!({"name": name, "creationTimestamp": null})
    };
    json!({"metadata": metadata, "versions": versions})
}

/// The two documents (`/api`, `/apis`) of one registry state.
#[derive(Debug)]
struct Documents {
    core: Value,
    groups: Value,
}

fn build(registry: &Registry) -> Documents {
    let core = vec![group_item(registry, "", &["v1".to_string()])];
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .map(|g| group_item(registry, &g.name, &g.versions))
        .collect();
    Documents {
        core: Value::Array(core),
        groups: Value::Array(groups),
    }
}

type CacheEntry = (Weak<Registry>, Arc<Documents>);

fn documents(registry: &Arc<Registry>) -> Arc<Documents> {
    static CACHE: OnceLock<Mutex<Vec<CacheEntry>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut entries = cache.lock().unwrap_or_else(|e| e.into_inner());
    entries.retain(|(weak, _)| weak.strong_count() > 0);
    if let Some((_, docs)) = entries
        .iter()
        .find(|(weak, _)| weak.upgrade().is_some_and(|r| Arc::ptr_eq(&r, registry)))
    {
        return docs.clone();
    }
    let docs = Arc::new(build(registry));
    entries.push((Arc::downgrade(registry), docs.clone()));
    docs
}

fn body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Answer `GET /api` or `GET /apis` with the aggregated document when the
/// Accept header asks for it; `None` means "serve the legacy document".
pub(crate) fn respond(
    registry: &Arc<Registry>,
    path: &str,
    headers: &HeaderMap,
) -> Option<Response<Body>> {
    let version = requested_version(headers)?;
    let docs = documents(registry);
    let items = match path {
        "/api" => &docs.core,
        "/apis" => &docs.groups,
        _ => return None,
    };
    let document = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    });
    let mut bytes = serde_json::to_vec(&document).unwrap_or_default();
    bytes.push(b'\n');
    let etag = format!("\"{}\"", hex::encode_upper(Sha512::digest(&bytes)));
    let builder = Response::builder()
        .header("Etag", &etag)
        .header("Vary", "Accept")
        .header("Cache-Control", "public");
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return builder.status(StatusCode::NOT_MODIFIED).body(body("")).ok();
    }
    builder
        .status(200)
        .header(
            "Content-Type",
            format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"),
        )
        .body(body(bytes))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_follows_clause_order() {
        let mut h = HeaderMap::new();
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        h.insert("accept", kubectl.parse().unwrap());
        assert_eq!(requested_version(&h), Some("v2"));
        h.insert("accept", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json".parse().unwrap());
        assert_eq!(requested_version(&h), Some("v2beta1"));
        h.insert("accept", "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList".parse().unwrap());
        assert_eq!(requested_version(&h), None);
        h.insert(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json"
                .parse()
                .unwrap(),
        );
        assert_eq!(requested_version(&h), None);
    }
}
