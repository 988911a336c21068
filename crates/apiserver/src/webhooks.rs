//! Dynamic admission: calling the webhooks of `admissionregistration.k8s.io/v1`
//! MutatingWebhookConfigurations and ValidatingWebhookConfigurations.
//!
//! Modelled: rule matching (operations, apiGroups, apiVersions, resources with
//! `*`, `*/*`, `resource/subresource`, scope), `namespaceSelector`,
//! `objectSelector`, `clientConfig.url` over HTTPS trusting `caBundle`,
//! `timeoutSeconds` (default 10), `failurePolicy` (default Fail),
//! `sideEffects` with dry-run, JSONPatch responses, `warnings`, and the
//! upstream refusal messages. Configurations run in name order, webhooks in
//! list order; mutating webhooks before validating ones. Writes through the
//! `scale` subresource send autoscaling/v1 Scale objects (a mutated Scale is
//! written back to its parent). Writes the server makes itself (bootstrap,
//! preloaded objects, CRD cleanup) skip webhooks.
//!
//! Not modelled: `matchPolicy: Equivalent` is treated as `Exact` (requests are
//! matched only by the group/version/resource they were made through);
//! `matchConditions` (CEL), `reinvocationPolicy`, `clientConfig.service`
//! (unreachable from an embedded server: a call failure saying so), and
//! audit annotations. Webhooks are called synchronously on a helper thread;
//! update webhooks run while the store's write lock is held, so a webhook
//! that writes to the API server during its call waits for its own request.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::auth::UserInfo;
use crate::registry::ResourceDef;
use crate::server::Shared;
use crate::status::ApiError;

const GROUP: &str = "admissionregistration.k8s.io";
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// An admission operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
        }
    }
}

/// What a webhook is told about the request.
pub(crate) struct Attributes<'a> {
    /// The resource the request was made through.
    pub def: &'a ResourceDef,
    /// The operation.
    pub operation: Operation,
    /// Subresource (`status`, `scale`) or empty.
    pub subresource: &'a str,
    /// A `scale` write: the objects are autoscaling/v1 Scales.
    pub scale: bool,
    /// Object name (may be empty on create with generateName).
    pub name: &'a str,
    /// Namespace (empty for cluster-scoped resources).
    pub namespace: &'a str,
    /// The requesting user (None: the server itself).
    pub user: Option<&'a UserInfo>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// CreateOptions / UpdateOptions / DeleteOptions of the request.
    pub options: Value,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Mutating,
    Validating,
}

impl Phase {
    fn resource(self) -> &'static str {
        match self {
            Phase::Mutating => "mutatingwebhookconfigurations",
            Phase::Validating => "validatingwebhookconfigurations",
        }
    }
}

/// The webhooks of `phase` in upstream's order: configurations by name, webhooks in order.
fn webhooks(shared: &Shared, phase: Phase) -> Vec<Value> {
    let mut configs = crate::admission::stored(shared, GROUP, "v1", phase.resource());
    configs.sort_by(|a, b| {
        let name = |o: &crate::store::StoredObject| {
            o.value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        name(a).cmp(&name(b))
    });
    configs
        .iter()
        .filter_map(|c| c.value.get("webhooks").and_then(Value::as_array))
        .flatten()
        .cloned()
        .collect()
}

/// Writes of the admission configuration objects themselves never reach webhooks.
fn exempt(def: &ResourceDef) -> bool {
    !def.is_custom()
        && def.group == GROUP
        && matches!(
            def.resource.as_str(),
            "mutatingwebhookconfigurations"
                | "validatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings"
        )
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn listed(values: &[&str], wanted: &str) -> bool {
    values.iter().any(|v| *v == "*" || *v == wanted)
}

fn resource_matches(pattern: &str, resource: &str, subresource: &str) -> bool {
    if pattern == "*/*" {
        return true;
    }
    let (res, sub) = pattern.split_once('/').unwrap_or((pattern, ""));
    let res_ok = res == "*" || res == resource;
    let sub_ok = if sub == "*" { true } else { sub == subresource };
    res_ok && sub_ok
}

fn rule_matches(rule: &Value, attrs: &Attributes) -> bool {
    let def = attrs.def;
    if !listed(&strings(rule.get("operations")), attrs.operation.as_str())
        || !listed(&strings(rule.get("apiGroups")), &def.group)
        || !listed(&strings(rule.get("apiVersions")), &def.version)
    {
        return false;
    }
    if !strings(rule.get("resources"))
        .iter()
        .any(|p| resource_matches(p, &def.resource, attrs.subresource))
    {
        return false;
    }
    let cluster_scoped = !def.namespaced;
    match rule.get("scope").and_then(Value::as_str).unwrap_or("*") {
        "Cluster" => cluster_scoped,
        "Namespaced" => !cluster_scoped,
        _ => true,
    }
}

fn labels(obj: Option<&Value>) -> Map<String, Value> {
    obj.and_then(|o| o.pointer("/metadata/labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn namespace_matches(
    shared: &Shared,
    hook: &Value,
    attrs: &Attributes,
    object: Option<&Value>,
    old: Option<&Value>,
) -> bool {
    let Some(selector) = hook.get("namespaceSelector") else {
        return true;
    };
    let is_namespace =
        !attrs.def.is_custom() && attrs.def.group.is_empty() && attrs.def.resource == "namespaces";
    let namespace_labels = if is_namespace {
        labels(object.or(old))
    } else if attrs.def.namespaced {
        // One key lookup, as the write pipeline's namespace check does.
        let namespace = shared
            .registry()
            .lookup("", "v1", "namespaces")
            .and_then(|def| {
                shared.store.get(&crate::store::object::ObjectKey::new(
                    def.storage_id.clone(),
                    "",
                    attrs.namespace,
                ))
            });
        labels(namespace.as_ref().map(|n| &n.value))
    } else {
        // Cluster-scoped objects other than namespaces are not selected by namespace.
        return true;
    };
    crate::selectors::metav1_matches(selector, &namespace_labels)
}

fn object_matches(hook: &Value, object: Option<&Value>, old: Option<&Value>) -> bool {
    let Some(selector) = hook.get("objectSelector") else {
        return true;
    };
    [object, old]
        .into_iter()
        .flatten()
        .any(|o| crate::selectors::metav1_matches(selector, &labels(Some(o))))
}

fn hook_matches(
    shared: &Shared,
    hook: &Value,
    attrs: &Attributes,
    object: Option<&Value>,
    old: Option<&Value>,
) -> bool {
    let rules = hook.get("rules").and_then(Value::as_array);
    rules.is_some_and(|r| r.iter().any(|rule| rule_matches(rule, attrs)))
        && namespace_matches(shared, hook, attrs, object, old)
        && object_matches(hook, object, old)
}

fn hook_name(hook: &Value) -> String {
    hook.get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn user_info(user: Option<&UserInfo>) -> Value {
    match user {
        Some(u) => {
            let mut info = json!({"username": u.name, "groups": u.groups});
            if !u.uid.is_empty() {
                info["uid"] = json!(u.uid);
            }
            if !u.extra.is_empty() {
                info["extra"] = json!(u.extra);
            }
            info
        }
        None => json!({"username": "system:apiserver", "groups": ["system:masters"]}),
    }
}

fn review(attrs: &Attributes, uid: &str, object: Option<&Value>, old: Option<&Value>) -> Value {
    let def = attrs.def;
    let kind = if attrs.scale {
        json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    } else {
        json!({"group": def.group, "version": def.version, "kind": def.kind})
    };
    let resource = json!({"group": def.group, "version": def.version, "resource": def.resource});
    let mut request = json!({
        "uid": uid,
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "operation": attrs.operation.as_str(),
        "userInfo": user_info(attrs.user),
        "object": object.cloned().unwrap_or(Value::Null),
        "oldObject": old.cloned().unwrap_or(Value::Null),
        "dryRun": attrs.dry_run,
        "options": attrs.options,
    });
    if !attrs.subresource.is_empty() {
        request["subResource"] = json!(attrs.subresource);
        request["requestSubResource"] = json!(attrs.subresource);
    }
    if !attrs.name.is_empty() {
        request["name"] = json!(attrs.name);
    }
    if !attrs.namespace.is_empty() {
        request["namespace"] = json!(attrs.namespace);
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

/// Outcome of one webhook call.
enum Verdict {
    /// Allowed, with an optional decoded JSON patch.
    Allowed(Option<Vec<u8>>),
    /// Refused.
    Denied(ApiError),
}

/// Run the mutating webhooks matching the request; `object` is patched in
/// place (None on DELETE). Returns whether any webhook changed it.
pub(crate) fn mutate(
    shared: &Shared,
    attrs: &Attributes,
    object: Option<&mut Value>,
    old: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<bool, ApiError> {
    if exempt(attrs.def) {
        return Ok(false);
    }
    let hooks = webhooks(shared, Phase::Mutating);
    if hooks.is_empty() {
        return Ok(false);
    }
    let mut object = object;
    let mut changed = false;
    for hook in &hooks {
        let current = object.as_deref();
        if !hook_matches(shared, hook, attrs, current, old) {
            continue;
        }
        match call(hook, attrs, current, old, warnings)? {
            Verdict::Denied(e) => return Err(e),
            Verdict::Allowed(Some(patch)) => {
                if let Some(obj) = object.as_deref_mut() {
                    let patched = klite_merge::json_patch::apply(obj, &patch).map_err(|e| {
                        ApiError::internal(&format!(
                            "admission webhook \"{}\" returned an invalid patch: {e}",
                            hook_name(hook)
                        ))
                    })?;
                    if patched != *obj {
                        *obj = patched;
                        changed = true;
                    }
                }
            }
            Verdict::Allowed(None) => {}
        }
    }
    Ok(changed)
}

/// Run the validating webhooks matching the request (object None on DELETE).
pub(crate) fn validate(
    shared: &Shared,
    attrs: &Attributes,
    object: Option<&Value>,
    old: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    if exempt(attrs.def) {
        return Ok(());
    }
    for hook in &webhooks(shared, Phase::Validating) {
        if !hook_matches(shared, hook, attrs, object, old) {
            continue;
        }
        if let Verdict::Denied(e) = call(hook, attrs, object, old, warnings)? {
            return Err(e);
        }
    }
    Ok(())
}

/// Call one matching webhook, applying its failure policy.
fn call(
    hook: &Value,
    attrs: &Attributes,
    object: Option<&Value>,
    old: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<Verdict, ApiError> {
    let name = hook_name(hook);
    if attrs.dry_run {
        let side_effects = hook
            .get("sideEffects")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !matches!(side_effects, "None" | "NoneOnDryRun") {
            return Err(ApiError::bad_request(format!(
                "admission webhook \"{name}\" does not support dry run"
            )));
        }
    }
    let uid = uuid::Uuid::new_v4().to_string();
    let body = review(attrs, &uid, object, old);
    let outcome = post_review(hook, &body).and_then(|answer| interpret(&name, &uid, &answer));
    match outcome {
        Ok((verdict, hook_warnings)) => {
            warnings.extend(hook_warnings);
            Ok(verdict)
        }
        Err(reason) => {
            let policy = hook
                .get("failurePolicy")
                .and_then(Value::as_str)
                .unwrap_or("Fail");
            if policy == "Ignore" {
                tracing::warn!(webhook = %name, %reason, "failed calling webhook, failing open");
                Ok(Verdict::Allowed(None))
            } else {
                Err(ApiError::internal(&format!(
                    "failed calling webhook \"{name}\": {reason}"
                )))
            }
        }
    }
}

/// Read the AdmissionReview answer.
fn interpret(name: &str, uid: &str, answer: &Value) -> Result<(Verdict, Vec<String>), String> {
    let Some(response) = answer.get("response") else {
        return Err("received invalid webhook response: response is nil".to_string());
    };
    let got_uid = response.get("uid").and_then(Value::as_str).unwrap_or("");
    if got_uid != uid {
        return Err(format!(
            "received invalid webhook response: expected response.uid=\"{uid}\", got \"{got_uid}\""
        ));
    }
    let warnings = strings(response.get("warnings"))
        .into_iter()
        .map(str::to_string)
        .collect();
    if response.get("allowed").and_then(Value::as_bool) != Some(true) {
        return Ok((
            Verdict::Denied(denial(name, response.get("status"))),
            warnings,
        ));
    }
    let patch = match response.get("patch").and_then(Value::as_str) {
        Some(encoded) if !encoded.is_empty() => {
            let patch_type = response
                .get("patchType")
                .and_then(Value::as_str)
                .unwrap_or("");
            if patch_type != "JSONPatch" {
                return Err(format!(
                    "received invalid webhook response: unsupported patch type \"{patch_type}\""
                ));
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| format!("received invalid webhook response: patch: {e}"))?;
            Some(decoded)
        }
        _ => None,
    };
    Ok((Verdict::Allowed(patch), warnings))
}

/// `ToStatusErr`: the webhook's Status, code at least 400, message prefixed.
fn denial(name: &str, status: Option<&Value>) -> ApiError {
    let field = |k: &str| {
        status
            .and_then(|s| s.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let code = status
        .and_then(|s| s.get("code"))
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| *c >= 400)
        .unwrap_or(400);
    let (message, reason) = (field("message"), field("reason"));
    let denied_by = format!("admission webhook \"{name}\" denied the request");
    let text = if !message.is_empty() {
        format!("{denied_by}: {message}")
    } else if !reason.is_empty() {
        format!("{denied_by}: {reason}")
    } else {
        format!("{denied_by} without explanation")
    };
    ApiError::new(code, &reason, text)
}

/// The URL client-go's REST client posts to: the path cleaned as Go's
/// `path.Join` does (envtest's rewritten URLs have `//path`), `timeout` added.
fn request_url(url: &str, timeout: u64) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (origin, path) = match base.find("://") {
        Some(scheme_end) => match base[scheme_end + 3..].find('/') {
            Some(slash) => base.split_at(scheme_end + 3 + slash),
            None => (base, ""),
        },
        None => (base, ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let path = format!("/{}", segments.join("/"));
    let path = if path == "/" && segments.is_empty() {
        String::new()
    } else {
        path
    };
    if query.is_empty() {
        format!("{origin}{path}?timeout={timeout}s")
    } else {
        format!("{origin}{path}?{query}&timeout={timeout}s")
    }
}

fn timeout_of(hook: &Value) -> u64 {
    hook.get("timeoutSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_TIMEOUT_SECONDS)
}

/// POST the review to the webhook and parse its answer; errors are the
/// reason text of a call failure.
fn post_review(hook: &Value, review: &Value) -> Result<Value, String> {
    let config = hook.get("clientConfig").cloned().unwrap_or(Value::Null);
    let Some(url) = config.get("url").and_then(Value::as_str) else {
        if config.get("service").is_some() {
            return Err("failed to call webhook: clientConfig.service is not reachable from klite's embedded API server; use clientConfig.url".to_string());
        }
        return Err("failed to call webhook: clientConfig has neither url nor service".to_string());
    };
    let timeout = timeout_of(hook);
    let url = request_url(url, timeout);
    let ca_bundle = config
        .get("caBundle")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let body = Bytes::from(review.to_string());
    let url_for_call = url.clone();
    let call = async move {
        match tokio::time::timeout(
            Duration::from_secs(timeout),
            https_post(&url_for_call, &ca_bundle, body),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err("context deadline exceeded".to_string()),
        }
    };
    // The write pipeline is synchronous. On a multi-thread runtime the call runs on it, with
    // this worker handed over for the wait; elsewhere (a current-thread runtime, or none) on a
    // thread of its own, because blocking here would stall the runtime the webhook may need.
    let joined = match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            Ok(tokio::task::block_in_place(|| handle.block_on(call)))
        }
        _ => std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(call)
        })
        .join(),
    };
    let answer = joined
        .map_err(|_| "failed to call webhook: the calling thread panicked".to_string())?
        .map_err(|e| format!("failed to call webhook: Post \"{url}\": {e}"))?;
    serde_json::from_slice(&answer).map_err(|e| format!("received invalid webhook response: {e}"))
}

/// Trusts what Go's `x509` trusts for a `caBundle`: chains to its certificates,
/// and a server certificate that is itself in the bundle (envtest's
/// `LocalServingCAData` is the serving certificate, not its CA).
#[derive(Debug)]
struct BundleVerifier {
    chained: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    pinned: Vec<rustls_pki_types::CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for BundleVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_name(&parsed, server_name)?;
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        match &self.chained {
            Some(verifier) => verifier.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn tls_config(ca_bundle: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    let mut pinned = Vec::new();
    if !ca_bundle.is_empty() {
        let pem = base64::engine::general_purpose::STANDARD
            .decode(ca_bundle)
            .map_err(|e| format!("caBundle: {e}"))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| format!("caBundle: {e}"))?;
            // A certificate that cannot be an anchor may still be pinned.
            let _ = roots.add(cert.clone());
            pinned.push(cert);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chained = if roots.is_empty() {
        None
    } else {
        rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .ok()
    };
    let verifier = BundleVerifier {
        chained,
        pinned,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn https_post(url: &str, ca_bundle: &str, body: Bytes) -> Result<Bytes, String> {
    use http_body_util::{BodyExt, Full};

    let uri: http::Uri = url.parse().map_err(|e| format!("invalid url: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err("webhook url must use the https scheme".to_string());
    }
    let host = uri.host().ok_or("webhook url has no host")?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                format!("dial tcp {host}:{port}: connect: connection refused")
            } else {
                format!("dial tcp {host}:{port}: {e}")
            }
        })?;
    let server_name = rustls_pki_types::ServerName::try_from(host.clone())
        .map_err(|e| format!("invalid server name {host}: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(tls_config(ca_bundle)?);
    let tls = connector
        .connect(server_name, tcp)
        .await
        .map_err(|e| format!("tls: {e}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = match (uri.path(), uri.query()) {
        ("", Some(query)) => format!("/?{query}"),
        ("", None) => "/".to_string(),
        (path, Some(query)) => format!("{path}?{query}"),
        (path, None) => path.to_string(),
    };
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or(host);
    let request = http::Request::post(path)
        .header("Host", authority)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, */*")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!(
            "the server responded with status {}: {}",
            status.as_u16(),
            String::from_utf8_lossy(&bytes).trim()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_urls_are_cleaned_and_carry_the_timeout() {
        assert_eq!(
            request_url("https://127.0.0.1:9443//mutate-v1", 10),
            "https://127.0.0.1:9443/mutate-v1?timeout=10s"
        );
        assert_eq!(
            request_url("https://h:1/a/./b/../c/?x=1", 3),
            "https://h:1/a/c?x=1&timeout=3s"
        );
        assert_eq!(request_url("https://h:1", 10), "https://h:1?timeout=10s");
    }

    #[test]
    fn resource_patterns_match_as_upstreams_rules() {
        assert!(resource_matches("*", "pods", ""));
        assert!(!resource_matches("*", "pods", "status"));
        assert!(resource_matches("*/*", "pods", "status"));
        assert!(resource_matches("*/*", "pods", ""));
        assert!(resource_matches("pods/*", "pods", "status"));
        assert!(!resource_matches("pods/*", "services", "status"));
        assert!(resource_matches("*/status", "deployments", "status"));
        assert!(!resource_matches("*/status", "deployments", "scale"));
        assert!(resource_matches("pods/status", "pods", "status"));
        assert!(!resource_matches("pods", "pods", "status"));
        assert!(!resource_matches("pods/status", "pods", ""));
    }

    #[test]
    fn denials_are_at_least_400_and_explain_themselves() {
        let e = denial("a.example.com", None);
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "admission webhook \"a.example.com\" denied the request without explanation"
        );
        let e = denial(
            "a.example.com",
            Some(&json!({"code": 200, "reason": "NotAllowed"})),
        );
        assert_eq!(e.code, 400);
        assert_eq!(e.reason, "NotAllowed");
        assert_eq!(
            e.message,
            "admission webhook \"a.example.com\" denied the request: NotAllowed"
        );
        let e = denial(
            "a.example.com",
            Some(&json!({"code": 422, "message": "bad"})),
        );
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "admission webhook \"a.example.com\" denied the request: bad"
        );
    }
}
