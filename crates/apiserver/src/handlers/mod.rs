//! HTTP request handling: authentication, authorization, routing, content
//! negotiation, and the verb handlers in the submodules.

pub mod list;
pub mod meta;
pub mod watch;
pub mod write;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use crate::auth::{forbidden_reason, CertIdentity, Decision, UserInfo};
use crate::query::Query;
use crate::registry::ResourceDef;
use crate::request_info::{self, RequestInfo};
use crate::server::Shared;
use crate::status::ApiError;
use crate::store::StoredObject;

/// Response body type.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Maximum request body (kube-apiserver `MaxRequestBodyBytes`).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Output encoding chosen from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// application/json
    Json,
    /// application/yaml
    Yaml,
}

/// One request being served.
pub struct Ctx {
    /// Server state.
    pub(crate) shared: Arc<Shared>,
    /// Authenticated user.
    pub user: UserInfo,
    /// HTTP method.
    pub method: Method,
    /// Parsed attributes.
    pub info: RequestInfo,
    /// Query parameters.
    pub query: Query,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body (already size-limited).
    pub body: Bytes,
    /// Negotiated output format.
    pub format: Format,
    /// Pretty-print output.
    pub pretty: bool,
    /// `Warning` headers to send.
    pub warnings: Vec<String>,
    /// Keys repeated in the JSON body (strict decoding's `duplicate field`).
    pub duplicate_fields: Vec<String>,
}

/// A successful reply.
pub enum Reply {
    /// A complete JSON body.
    Json(u16, Bytes),
    /// A streaming body (watch).
    Stream(Body),
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn error_response(err: &ApiError, pretty: bool) -> Response<Body> {
    let code = StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(code);
    if let Some(text) = &err.plain_text {
        builder = builder
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("X-Content-Type-Options", "nosniff");
        return builder
            .body(full(text.clone()))
            .unwrap_or_else(|_| Response::new(full("")));
    }
    if let Some(retry) = err
        .details
        .as_ref()
        .and_then(|d| d.retry_after_seconds)
        .filter(|r| *r > 0)
    {
        builder = builder.header("Retry-After", retry.to_string());
    }
    if err.code == 403 {
        builder = builder.header("X-Content-Type-Options", "nosniff");
    }
    let mut body = err.to_status_json();
    if pretty {
        body = pretty_json(&body);
    }
    builder
        .header("Content-Type", "application/json")
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full("")))
}

/// A 500 InternalError response (used when a handler fails unexpectedly).
pub(crate) fn internal_error_response(message: &str) -> Response<Body> {
    error_response(&ApiError::internal(message), false)
}

/// Re-indent compact JSON with two spaces, preserving key order (Go's `json.Indent`).
pub fn pretty_json(compact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let bytes = compact.strip_suffix(b"\n").unwrap_or(compact);
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(b"  ");
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push(c);
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                if bytes.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\n' | b'\t' | b'\r' => {}
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn negotiate(headers: &HeaderMap) -> Result<Format, ApiError> {
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim().is_empty() {
        return Ok(Format::Json);
    }
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<&str> = parts.collect();
        // Transformations (`as=Table`, `as=PartialObjectMetadata`, aggregated discovery) are
        // declined here: the clause is skipped so a plain JSON clause answers.
        if params
            .iter()
            .any(|p| p.starts_with("as=") || p.starts_with("g=") || p.starts_with("v="))
        {
            continue;
        }
        if params
            .iter()
            .any(|p| p.starts_with("q=0") && !p.starts_with("q=0."))
        {
            continue;
        }
        match media.as_str() {
            "application/json"
            | "*/*"
            | "application/*"
            | "application/json-patch+json"
            | "application/merge-patch+json" => return Ok(Format::Json),
            "application/yaml" => return Ok(Format::Yaml),
            _ => {}
        }
    }
    Err(ApiError::not_acceptable(&[
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
    ]))
}

fn wants_pretty(query: &Query, headers: &HeaderMap) -> bool {
    if let Some(p) = query.get("pretty") {
        return request_info::parse_bool(p).unwrap_or(false);
    }
    let ua = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    ua.starts_with("curl") || ua.starts_with("Wget") || ua.starts_with("Mozilla/5.0")
}

/// Serve one HTTP request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    identity: Arc<CertIdentity>,
    req: http::Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let query = Query::parse(parts.uri.query().unwrap_or(""));
    let pretty = wants_pretty(&query, &parts.headers);
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let user = match shared.authn.request(&identity, authorization) {
        Ok(u) => u,
        Err(crate::auth::Rejected) => return error_response(&ApiError::unauthorized(), pretty),
    };
    let path = parts.uri.path().to_string();
    let info = request_info::parse(parts.method.as_str(), &path, &query);
    if let Decision::Deny(reason) = shared.authz.authorize(&user, &info) {
        let mut msg = forbidden_reason(&user, &info);
        if !reason.is_empty() {
            msg = format!("{msg}: {reason}");
        }
        let err = if info.is_resource {
            ApiError::forbidden(&info.api_group, &info.resource, &info.name, &msg)
        } else {
            ApiError::forbidden("", "", "", &msg).with_details(Default::default())
        };
        return error_response(&err, pretty);
    }
    if !info.is_resource && (path == "/api" || path == "/apis") && parts.method == Method::GET {
        if let Some(response) =
            crate::aggregated::respond(&shared.registry(), &path, &parts.headers)
        {
            return response;
        }
    }
    if !info.is_resource
        && (path == "/openapi" || path.starts_with("/openapi/"))
        && parts.method == Method::GET
    {
        return crate::openapi::respond(&shared, &path, &query, &parts.headers);
    }
    let format = match negotiate(&parts.headers) {
        Ok(f) => f,
        Err(e) => {
            if info.is_resource || path.starts_with("/api") {
                return error_response(&e, pretty);
            }
            Format::Json
        }
    };
    let body = match read_body(body, &parts.headers).await {
        Ok(b) => b,
        Err(e) => return error_response(&e, pretty),
    };
    let mut ctx = Ctx {
        shared,
        user,
        method: parts.method,
        info,
        query,
        headers: parts.headers,
        body,
        format,
        pretty,
        warnings: Vec::new(),
        duplicate_fields: Vec::new(),
    };
    let result = if ctx.info.is_resource {
        resource_request(&mut ctx).await
    } else {
        non_resource(&ctx)
    };
    let result = crate::table::respond(&ctx, result);
    let mut response = match result {
        Ok(Reply::Json(code, bytes)) => {
            let bytes = render(&ctx, bytes);
            let content_type = if ctx.format == Format::Yaml {
                "application/yaml"
            } else {
                "application/json"
            };
            Response::builder()
                .status(code)
                .header("Content-Type", content_type)
                .body(full(bytes))
                .unwrap_or_else(|_| Response::new(full("")))
        }
        Ok(Reply::Stream(body)) => Response::builder()
            .status(200)
            .header("Content-Type", "application/json")
            .header("Cache-Control", "no-cache, private")
            .body(body)
            .unwrap_or_else(|_| Response::new(full(""))),
        Err(e) => error_response(&e, ctx.pretty),
    };
    for w in &ctx.warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            response.headers_mut().append("Warning", v);
        }
    }
    response
}

fn render(ctx: &Ctx, bytes: Bytes) -> Bytes {
    match ctx.format {
        Format::Yaml => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => Bytes::from(serde_yaml_ng::to_string(&v).unwrap_or_default()),
            Err(_) => bytes,
        },
        Format::Json if ctx.pretty => Bytes::from(pretty_json(&bytes)),
        Format::Json => bytes,
    }
}

async fn read_body(body: Incoming, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::too_large(&format!("limit is {MAX_BODY}"));
    if let Some(len) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > MAX_BODY {
            return Err(too_large());
        }
    }
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large())
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "unable to read request body: {e}"
        ))),
    }
}

fn non_resource(ctx: &Ctx) -> Result<Reply, ApiError> {
    let path = ctx.info.path.as_str();
    if ctx.method != Method::GET && ctx.method != Method::HEAD {
        return Err(ApiError::page_not_found());
    }
    match path {
        "/healthz" | "/readyz" | "/livez" | "/healthz/" | "/readyz/" | "/livez/" => {
            let healthy = path.starts_with("/livez")
                || ctx
                    .shared
                    .health_check
                    .as_ref()
                    .map(|h| h())
                    .unwrap_or(true);
            return if healthy {
                Ok(Reply::Json(200, Bytes::from_static(b"ok")))
            } else {
                let mut e = ApiError::new(500, "InternalError", "healthz check failed");
                e.plain_text = Some(format!(
                    "[-]etcd failed: reason withheld\n{} check failed\n",
                    path.trim_matches('/')
                ));
                Err(e)
            };
        }
        "/version" | "/version/" => return Ok(Reply::Json(200, ctx.shared.version_body.clone())),
        _ => {}
    }
    if path.starts_with("/openapi/") || path == "/openapi" {
        // Seam: OpenAPI documents are served by a later component. Declined as 404 so
        // kubectl falls back (`--validate=false` needed until then).
        return Err(ApiError::page_not_found());
    }
    let registry = ctx.shared.registry();
    match registry.discovery(path.trim_end_matches('/'), &ctx.shared.server_address) {
        Some(bytes) => Ok(Reply::Json(200, bytes)),
        None => Err(ApiError::page_not_found()),
    }
}

async fn resource_request(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let registry = ctx.shared.registry();
    let info = ctx.info.clone();
    if !registry.serves_group_version(&info.api_group, &info.api_version) {
        return Err(ApiError::page_not_found());
    }
    let Some(def) = registry.lookup(&info.api_group, &info.api_version, &info.resource) else {
        return Err(ApiError::resource_not_found());
    };
    if let Some(custom) = &def.custom {
        if let Some(w) = &custom.deprecation_warning {
            ctx.warnings.push(w.clone());
        }
    }
    // Scope checks, as go-restful routes them.
    let namespace = info.namespace.clone();
    if def.resource != "namespaces" {
        if !def.namespaced && !namespace.is_empty() {
            return Err(ApiError::resource_not_found());
        }
        if def.namespaced
            && namespace.is_empty()
            && !info.name.is_empty()
            && !matches!(info.verb.as_str(), "list" | "watch")
        {
            return Err(ApiError::resource_not_found());
        }
    }
    if info.parts.len() > 3 {
        return Err(ApiError::resource_not_found());
    }
    let sub = info.subresource.as_str();
    if !sub.is_empty() && !def.has_subresource(sub) {
        return Err(if def.is_custom() {
            ApiError::not_found(&def.group, &def.resource, &info.name)
        } else {
            ApiError::resource_not_found()
        });
    }
    let ns = if def.namespaced {
        namespace.clone()
    } else {
        String::new()
    };
    if crate::reviews::is_review(&def) {
        return crate::reviews::handle(ctx, &def, &ns);
    }
    match (ctx.method.clone(), info.verb.as_str()) {
        (_, "get") => get(ctx, &def, &ns, &info.name, sub),
        (_, "list") => list::list(ctx, &def, &ns).await,
        (_, "watch") => watch::watch(ctx, &def, &ns).await,
        (Method::POST, "create") => {
            if !info.name.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            if def.namespaced && namespace.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            write::create(ctx, &def, &ns)
        }
        (Method::PUT, "update") => {
            if info.name.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            write::update(ctx, &def, &ns, &info.name, sub)
        }
        (Method::PATCH, "patch") => {
            if info.name.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            write::patch(ctx, &def, &ns, &info.name, sub)
        }
        (Method::DELETE, "delete") => {
            if !sub.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            write::delete(ctx, &def, &ns, &info.name)
        }
        (Method::DELETE, "deletecollection") => {
            if def.namespaced && namespace.is_empty() {
                return Err(ApiError::method_not_allowed());
            }
            write::delete_collection(ctx, &def, &ns)
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The bytes of a stored object as served through `def` (CRs served at a
/// non-storage version get their apiVersion rewritten).
pub fn object_bytes(def: &ResourceDef, stored: &StoredObject) -> Bytes {
    if def.is_custom() && def.version != def.storage_version {
        // Conversion strategy None: rewrite apiVersion, prune by the served version's schema.
        let mut v = stored.value.clone();
        v["apiVersion"] = Value::String(def.api_version());
        let _ = crate::custom::prune(def, &mut v);
        let (bytes, _) = crate::json::encode_object(&v);
        return Bytes::from(bytes);
    }
    stored.bytes.clone()
}

/// An object as served through `def`, with a trailing newline.
pub fn object_body(def: &ResourceDef, stored: &StoredObject) -> Bytes {
    let bytes = object_bytes(def, stored);
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.extend_from_slice(&bytes);
    out.push(b'\n');
    Bytes::from(out)
}

fn get(
    ctx: &Ctx,
    def: &Arc<ResourceDef>,
    ns: &str,
    name: &str,
    sub: &str,
) -> Result<Reply, ApiError> {
    let key = crate::store::ObjectKey::new(def.storage_id.clone(), ns, name);
    let Some(stored) = ctx.shared.store.get(&key) else {
        return Err(ApiError::not_found(&def.group, &def.resource, name));
    };
    if sub == "scale" {
        let scale = write::scale_of(def, &stored.value)?;
        return Ok(Reply::Json(200, Bytes::from(crate::json::to_body(&scale))));
    }
    Ok(Reply::Json(200, object_body(def, &stored)))
}

/// The namespaces and RBAC bootstrap policy every server starts with.
fn bootstrap_sources() -> Vec<Value> {
    let mut objects: Vec<Value> = ["default", "kube-system", "kube-public", "kube-node-lease"]
        .into_iter()
        .map(|ns| serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        .collect();
    objects.extend(crate::rbac::bootstrap::policy());
    objects
}

/// Where a bootstrap object is stored.
pub(crate) fn bootstrap_key(shared: &Shared, obj: &Value) -> Option<crate::store::ObjectKey> {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let def = shared.registry().by_group_kind(group, kind)?;
    let namespace = if def.namespaced {
        meta::meta_str(obj, "namespace")
    } else {
        ""
    };
    Some(crate::store::ObjectKey::new(
        def.storage_id.clone(),
        namespace,
        meta::meta_str(obj, "name"),
    ))
}

/// The bootstrap objects exactly as the create pipeline stores them (defaults,
/// labels, finalizers, managedFields), captured from the first server of the
/// process; later servers insert copies with their own uid and timestamps.
static BOOTSTRAP_TEMPLATE: std::sync::OnceLock<Vec<(crate::store::ObjectKey, Value)>> =
    std::sync::OnceLock::new();

/// A template object made this server's: fresh uid, creation and managedFields times.
fn instantiate(template: &Value, now: &str) -> Value {
    let mut obj = template.clone();
    let m = meta::meta_mut(&mut obj);
    m.insert(
        "uid".into(),
        Value::String(uuid::Uuid::new_v4().to_string()),
    );
    m.insert("creationTimestamp".into(), Value::String(now.to_string()));
    if let Some(Value::Array(entries)) = m.get_mut("managedFields") {
        for entry in entries {
            if let Some(e) = entry.as_object_mut() {
                e.insert("time".into(), Value::String(now.to_string()));
            }
        }
    }
    obj
}

fn preload_error(index: usize) -> impl Fn(ApiError) -> crate::error::Error {
    move |e| crate::error::Error::PreloadedObject {
        index,
        message: e.message,
    }
}

/// Create the built-in namespaces, the RBAC bootstrap policy, the system
/// objects and the pre-loaded objects. Objects that exist already (a server
/// continuing from persisted state) are kept.
pub(crate) fn bootstrap(shared: &Arc<Shared>, objects: &[Value]) -> crate::error::Result<()> {
    if let Some(template) = BOOTSTRAP_TEMPLATE.get() {
        // Fast path: one bulk insert of prepared objects, no per-object pipeline.
        let now = meta::now();
        shared
            .store
            .insert_missing(
                template
                    .iter()
                    .map(|(key, obj)| (key.clone(), instantiate(obj, &now))),
            )
            .map_err(preload_error(0))?;
    } else {
        let fresh = shared.store.snapshot().map.is_empty();
        let mut keys = Vec::new();
        for obj in bootstrap_sources() {
            let key = bootstrap_key(shared, &obj);
            if let Some(k) = &key {
                if shared.store.get(k).is_some() {
                    continue;
                }
            }
            write::create_internal(shared, obj).map_err(preload_error(0))?;
            keys.extend(key);
        }
        if fresh {
            let captured = keys
                .into_iter()
                .filter_map(|key| {
                    let stored = shared.store.get(&key)?;
                    let mut value = stored.value.clone();
                    meta::meta_mut(&mut value).remove("resourceVersion");
                    Some((key, value))
                })
                .collect();
            let _ = BOOTSTRAP_TEMPLATE.set(captured);
        }
    }
    crate::bootstrap::create(shared).map_err(preload_error(0))?;
    for (index, obj) in objects.iter().enumerate() {
        write::create_internal(shared, obj.clone()).map_err(preload_error(index))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_printing_keeps_order_and_go_indent() {
        let out = pretty_json(br#"{"b":1,"a":{},"c":[1,"x,y"],"d":{"e":"q\"{"}}"#);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": {},\n  \"c\": [\n    1,\n    \"x,y\"\n  ],\n  \"d\": {\n    \"e\": \"q\\\"{\"\n  }\n}"
        );
    }

    #[test]
    fn protobuf_first_accept_falls_back_to_json_and_table_is_declined() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept",
            HeaderValue::from_static("application/vnd.kubernetes.protobuf,application/json"),
        );
        assert_eq!(negotiate(&h).unwrap(), Format::Json);
        h.insert(
            "accept",
            HeaderValue::from_static(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            ),
        );
        assert_eq!(negotiate(&h).unwrap(), Format::Json);
        h.insert(
            "accept",
            HeaderValue::from_static("application/vnd.kubernetes.protobuf"),
        );
        assert_eq!(negotiate(&h).unwrap_err().code, 406);
    }
}
