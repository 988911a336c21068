//! `/openapi/v3` (root index and one OpenAPI 3.0 document per group/version)
//! and `/openapi/v2` (404: client-go only decodes it as protobuf), per
//! facts-protocol §2.
//!
//! Every kind gets the operations kubectl looks for: a `patch` operation with
//! `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter
//! (so `kubectl create/apply` validate server-side), and a component schema
//! carrying `x-kubernetes-group-version-kind` (so `kubectl explain` works).
//! Patch operations do not advertise `application/strategic-merge-patch+json`:
//! the built-in schemas lack patch-merge-key extensions, so client-side
//! `kubectl apply` computes strategic merge patches from its compiled-in types.
//!
//! Built-in documents are generated once per process from [`crate::schemas`];
//! custom-resource documents are rebuilt when the registry changes (a CRD was
//! established, changed or removed).

mod document;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use sha2::{Digest, Sha512};

use crate::handlers::Body;
use crate::query::Query;
use crate::registry::Registry;
use crate::server::Shared;

pub use document::{crd_component_name, ResourceInfo};

/// One served document: its hash (`ETag`, `?hash=`) and bytes.
#[derive(Debug, Clone)]
pub struct Document {
    /// Uppercase hex SHA-512 of `bytes`.
    pub hash: String,
    /// The JSON document.
    pub bytes: Bytes,
}

impl Document {
    fn new(value: &serde_json::Value) -> Document {
        let bytes = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        Document {
            hash: hex::encode_upper(Sha512::digest(&bytes)),
            bytes,
        }
    }
}

/// All documents of one registry state, keyed `api/v1`, `apis/<g>/<v>`.
#[derive(Debug, Default)]
pub struct Documents {
    /// Per group/version.
    pub by_key: BTreeMap<String, Document>,
    /// The root index body.
    pub root: Bytes,
}

/// The per-server cache: documents of the last registry seen.
#[derive(Debug, Default)]
pub struct Cache {
    current: Mutex<Option<(Weak<Registry>, Arc<Documents>)>>,
}

fn builtin_documents() -> &'static BTreeMap<String, Document> {
    static DOCS: OnceLock<BTreeMap<String, Document>> = OnceLock::new();
    DOCS.get_or_init(|| {
        document::builtin_group_versions()
            .into_iter()
            .map(|(key, resources)| {
                let doc = document::build(&resources, &[]);
                (key, Document::new(&doc))
            })
            .collect()
    })
}

/// Build (or reuse) the documents for the server's current registry.
pub(crate) fn documents(shared: &Shared) -> Arc<Documents> {
    let registry = shared.registry();
    let cache = &shared.openapi;
    {
        let guard = cache.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((weak, docs)) = guard.as_ref() {
            if weak.upgrade().is_some_and(|r| Arc::ptr_eq(&r, &registry)) {
                return docs.clone();
            }
        }
    }
    let mut by_key = builtin_documents().clone();
    for (key, resources, crd_schemas) in document::custom_group_versions(shared, &registry) {
        by_key.insert(
            key,
            Document::new(&document::build(&resources, &crd_schemas)),
        );
    }
    let paths: serde_json::Map<String, serde_json::Value> = by_key
        .iter()
        .map(|(key, doc)| (key.clone(), serde_json::json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={}", doc.hash)})))
        .collect();
    let root =
        Bytes::from(serde_json::to_vec(&serde_json::json!({"paths": paths})).unwrap_or_default());
    let docs = Arc::new(Documents { by_key, root });
    *cache.current.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((Arc::downgrade(&registry), docs.clone()));
    docs
}

fn body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn plain(code: StatusCode, text: &'static str) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("X-Content-Type-Options", "nosniff")
        .body(body(text))
        .unwrap_or_else(|_| Response::new(body("")))
}

fn accepts_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.trim().is_empty()
        || accept.split(',').any(|clause| {
            let media = clause
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(media.as_str(), "application/json" | "application/*" | "*/*")
        })
}

/// Serve a GET under `/openapi`.
pub(crate) fn respond(
    shared: &Shared,
    path: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Response<Body> {
    let path = path.trim_end_matches('/');
    let Some(rest) = path.strip_prefix("/openapi/v3") else {
        // `/openapi/v2` is protobuf-only for client-go: declined with 404 (facts-protocol §2.1).
        return plain(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    let docs = documents(shared);
    if rest.is_empty() {
        return Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .body(body(docs.root.clone()))
            .unwrap_or_else(|_| Response::new(body("")));
    }
    let key = rest.trim_start_matches('/');
    let Some(doc) = docs.by_key.get(key) else {
        return plain(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    if !accepts_json(headers) {
        return plain(StatusCode::NOT_ACCEPTABLE, "406 Not Acceptable\n");
    }
    let etag = format!("\"{}\"", doc.hash);
    let builder = Response::builder()
        .header("Etag", &etag)
        .header("Vary", "Accept");
    if let Some(requested) = query.get("hash") {
        if requested != doc.hash {
            return builder
                .status(StatusCode::MOVED_PERMANENTLY)
                .header("Location", format!("/openapi/v3/{key}?hash={}", doc.hash))
                .body(body(""))
                .unwrap_or_else(|_| Response::new(body("")));
        }
    }
    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(body(""))
            .unwrap_or_else(|_| Response::new(body("")));
    }
    let mut builder = builder
        .status(200)
        .header("Content-Type", "application/json");
    if query.get("hash").is_some() {
        let expires = chrono::Utc::now() + chrono::Duration::days(365);
        builder = builder.header("Cache-Control", "public, immutable").header(
            "Expires",
            expires.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        );
    }
    builder
        .body(body(doc.bytes.clone()))
        .unwrap_or_else(|_| Response::new(body("")))
}
