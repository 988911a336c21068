//! Admission webhooks: a real HTTPS webhook server (certificate signed by a test CA,
//! `caBundle` = that CA) that records every AdmissionReview it is sent.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use serde_json::{json, Value};

use crate::common::{harness, Harness};

/// A recorded webhook call: the path it was sent to and the AdmissionReview.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

struct WebhookServer {
    port: u16,
    ca_bundle: String,
    /// The serving certificate itself, as envtest's `LocalServingCAData`.
    leaf_bundle: String,
    calls: Calls,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebhookServer {
    /// The reviews sent to `path`.
    fn calls_to(&self, path: &str) -> Vec<Value> {
        self.calls
            .lock()
            .expect("calls")
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, review)| review.clone())
            .collect()
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The webhook behaviours, by path.
fn answer(path: &str, review: &Value) -> Value {
    let uid = review["request"]["uid"].clone();
    let response = match path {
        "/deny" => json!({"uid": uid, "allowed": false,
            "status": {"message": "pets are not allowed here"}}),
        "/deny-403" => json!({"uid": uid, "allowed": false,
            "status": {"code": 403, "reason": "Forbidden", "message": "nope"}}),
        "/label" => {
            let has_labels = review["request"]["object"]["metadata"]["labels"].is_object();
            let patch = if has_labels {
                json!([{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}])
            } else {
                json!([{"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}])
            };
            json!({"uid": uid, "allowed": true, "patchType": "JSONPatch",
                "patch": base64::engine::general_purpose::STANDARD.encode(patch.to_string())})
        }
        "/warn" => json!({"uid": uid, "allowed": true, "warnings": ["think twice"]}),
        "/wrong-uid" => json!({"uid": "not-the-request-uid", "allowed": true}),
        "/replicas" => {
            let patch = json!([{"op": "replace", "path": "/spec/replicas", "value": 5}]);
            json!({"uid": uid, "allowed": true, "patchType": "JSONPatch",
                "patch": base64::engine::general_purpose::STANDARD.encode(patch.to_string())})
        }
        _ => json!({"uid": uid, "allowed": true}),
    };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
}

/// Start the webhook server on its own thread and runtime (the API server calls
/// webhooks synchronously, so they must not share its runtime thread).
fn start_webhook_server() -> WebhookServer {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "webhook test ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.signed_by(&key, &issuer).expect("serving cert");
    let leaf_pem = cert.pem();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let calls: Calls = Arc::default();
    let recorded = calls.clone();
    let (shutdown, mut stop) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let (tcp, _) = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                    _ = &mut stop => return,
                };
                let acceptor = acceptor.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(
                        move |req: http::Request<hyper::body::Incoming>| {
                            let recorded = recorded.clone();
                            async move {
                                let path = req.uri().path().to_string();
                                let body = req.into_body().collect().await?.to_bytes();
                                let review: Value =
                                    serde_json::from_slice(&body).unwrap_or(Value::Null);
                                if path == "/slow" {
                                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                                }
                                let reply = answer(&path, &review);
                                recorded.lock().expect("calls").push((path, review));
                                Ok::<_, hyper::Error>(
                                    http::Response::builder()
                                        .header("Content-Type", "application/json")
                                        .body(Full::new(Bytes::from(reply.to_string())))
                                        .expect("response"),
                                )
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    WebhookServer {
        port,
        ca_bundle: base64::engine::general_purpose::STANDARD.encode(ca_cert.pem()),
        leaf_bundle: base64::engine::general_purpose::STANDARD.encode(leaf_pem),
        calls,
        shutdown: Some(shutdown),
        thread: Some(thread),
    }
}

/// A webhook entry calling `url` for the given rule.
fn hook(name: &str, url: &str, ca_bundle: &str, rule: Value) -> Value {
    json!({
        "name": name,
        "clientConfig": {"url": url, "caBundle": ca_bundle},
        "rules": [rule],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    })
}

fn configmap_rule(operations: &[&str]) -> Value {
    json!({"operations": operations, "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]})
}

async fn register(h: &Harness, kind: &str, name: &str, webhooks: Vec<Value>) {
    let resource = match kind {
        "MutatingWebhookConfiguration" => "mutatingwebhookconfigurations",
        _ => "validatingwebhookconfigurations",
    };
    let body = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "webhooks": webhooks,
    });
    let r = h
        .req(
            "POST",
            &format!("/apis/admissionregistration.k8s.io/v1/{resource}"),
            Some(&body),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
}

fn configmap(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels}, "data": {"a": "1"}})
}

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn validating_webhook_denies_with_its_message() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "deny",
        vec![hook(
            "deny.pets.example.com",
            &webhook.url("/deny"),
            &webhook.ca_bundle,
            configmap_rule(&["CREATE"]),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("cat", json!({}))))
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "admission webhook \"deny.pets.example.com\" denied the request: pets are not allowed here"
    );
    let r = h.req("GET", &format!("{CONFIGMAPS}/cat"), None).await;
    assert_eq!(r.code, 404, "a denied create stores nothing");
    assert_eq!(webhook.calls_to("/deny").len(), 1);
}

#[tokio::test]
async fn denial_keeps_the_webhook_status_code_and_reason() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "deny",
        vec![hook(
            "forbid.example.com",
            &webhook.url("/deny-403"),
            &webhook.ca_bundle,
            configmap_rule(&["*"]),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("x", json!({}))))
        .await;
    assert_eq!(r.code, 403, "{}", r.text);
    assert_eq!(r.body["reason"], "Forbidden");
    assert_eq!(
        r.body["message"],
        "admission webhook \"forbid.example.com\" denied the request: nope"
    );
}

#[tokio::test]
async fn mutating_webhook_patch_adds_a_label_before_validation() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "MutatingWebhookConfiguration",
        "label",
        vec![hook(
            "label.example.com",
            &webhook.url("/label"),
            &webhook.ca_bundle,
            configmap_rule(&["CREATE", "UPDATE"]),
        )],
    )
    .await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "observe",
        vec![hook(
            "observe.example.com",
            &webhook.url("/allow"),
            &webhook.ca_bundle,
            configmap_rule(&["CREATE"]),
        )],
    )
    .await;
    let r = h
        .req(
            "POST",
            CONFIGMAPS,
            Some(&configmap("m", json!({"app": "x"}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["labels"],
        json!({"app": "x", "mutated": "yes"})
    );
    let stored = h.req("GET", &format!("{CONFIGMAPS}/m"), None).await;
    assert_eq!(stored.body["metadata"]["labels"]["mutated"], "yes");
    // The validating webhook sees the mutated object.
    let validated = webhook.calls_to("/allow");
    assert_eq!(validated.len(), 1);
    assert_eq!(
        validated[0]["request"]["object"]["metadata"]["labels"]["mutated"],
        "yes"
    );
    // Mutation also applies on update, to objects without labels.
    let mut update = stored.body.clone();
    update["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("labels");
    let r = h
        .req("PUT", &format!("{CONFIGMAPS}/m"), Some(&update))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["metadata"]["labels"], json!({"mutated": "yes"}));
    // Server-side apply creating an object goes through the same webhooks.
    let applied = configmap("applied", json!({"app": "y"}));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CONFIGMAPS}/applied?fieldManager=test"),
            Some(applied.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["labels"],
        json!({"app": "y", "mutated": "yes"})
    );
    let operations: Vec<String> = webhook
        .calls_to("/label")
        .iter()
        .map(|r| r["request"]["operation"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(operations, vec!["CREATE", "UPDATE", "CREATE"]);
}

#[tokio::test]
async fn webhook_warnings_become_warning_headers() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "warn",
        vec![hook(
            "warn.example.com",
            &webhook.url("/warn"),
            &webhook.ca_bundle,
            configmap_rule(&["CREATE", "DELETE"]),
        )],
    )
    .await;
    let warnings = |r: &crate::common::Resp| -> Vec<String> {
        r.headers
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("w", json!({}))))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(warnings(&r), vec!["299 - \"think twice\""]);
    let r = h.req("DELETE", &format!("{CONFIGMAPS}/w"), None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(warnings(&r), vec!["299 - \"think twice\""]);
}

#[tokio::test]
async fn non_matching_rules_and_selectors_are_not_called() {
    let webhook = start_webhook_server();
    let h = harness().await;
    h.create_ns("plain").await;
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces",
            Some(&json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "watched", "labels": {"webhooks": "on"}}})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut by_namespace = hook(
        "ns.example.com",
        &webhook.url("/ns"),
        &webhook.ca_bundle,
        configmap_rule(&["CREATE"]),
    );
    by_namespace["namespaceSelector"] = json!({"matchLabels": {"webhooks": "on"}});
    let mut by_object = hook(
        "obj.example.com",
        &webhook.url("/obj"),
        &webhook.ca_bundle,
        configmap_rule(&["CREATE"]),
    );
    by_object["objectSelector"] =
        json!({"matchExpressions": [{"key": "checked", "operator": "Exists"}]});
    let secrets_only = hook(
        "secrets.example.com",
        &webhook.url("/secrets"),
        &webhook.ca_bundle,
        json!({"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["secrets"]}),
    );
    let deletes_only = hook(
        "deletes.example.com",
        &webhook.url("/deletes"),
        &webhook.ca_bundle,
        configmap_rule(&["DELETE"]),
    );
    let status_only = hook(
        "status.example.com",
        &webhook.url("/status"),
        &webhook.ca_bundle,
        json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/status"]}),
    );
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "selective",
        vec![
            by_namespace,
            by_object,
            secrets_only,
            deletes_only,
            status_only,
        ],
    )
    .await;
    for (ns, name, labels) in [
        ("plain", "a", json!({})),
        ("watched", "b", json!({})),
        ("plain", "c", json!({"checked": "1"})),
    ] {
        let r = h
            .req(
                "POST",
                &format!("/api/v1/namespaces/{ns}/configmaps"),
                Some(&configmap(name, labels)),
            )
            .await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
    let names = |path: &str| -> Vec<String> {
        webhook
            .calls_to(path)
            .iter()
            .map(|r| r["request"]["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(names("/ns"), vec!["b"], "namespaceSelector");
    assert_eq!(names("/obj"), vec!["c"], "objectSelector");
    assert!(names("/secrets").is_empty(), "other resources");
    assert!(names("/deletes").is_empty(), "other operations");
    assert!(names("/status").is_empty(), "subresource rules");
    let r = h
        .req("DELETE", "/api/v1/namespaces/plain/configmaps/a", None)
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(names("/deletes"), vec!["a"]);
}

#[tokio::test]
async fn failure_policy_fail_refuses_and_ignore_proceeds_when_the_webhook_is_down() {
    let webhook = start_webhook_server();
    let down = webhook.url("/unreachable");
    let ca = webhook.ca_bundle.clone();
    // The server stops: its port refuses connections.
    drop(webhook);
    let h = harness().await;
    let mut ignore = hook(
        "ignore.example.com",
        &down,
        &ca,
        configmap_rule(&["CREATE"]),
    );
    ignore["failurePolicy"] = json!("Ignore");
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "a-ignore",
        vec![ignore],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("ignored", json!({}))))
        .await;
    assert_eq!(r.code, 201, "Ignore proceeds: {}", r.text);

    let fail = hook("fail.example.com", &down, &ca, configmap_rule(&["CREATE"]));
    register(&h, "ValidatingWebhookConfiguration", "b-fail", vec![fail]).await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("failed", json!({}))))
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    assert_eq!(r.body["reason"], "InternalError");
    let message = r.body["message"].as_str().unwrap_or("");
    let expected_prefix = format!(
        "Internal error occurred: failed calling webhook \"fail.example.com\": failed to call webhook: Post \"{down}?timeout=10s\": "
    );
    assert!(message.starts_with(&expected_prefix), "{message}");
}

#[tokio::test]
async fn service_client_config_is_a_call_failure() {
    let h = harness().await;
    let mut service = hook("svc.example.com", "", "", configmap_rule(&["CREATE"]));
    service["clientConfig"] = json!({"service": {"namespace": "default", "name": "hooks"}});
    register(&h, "ValidatingWebhookConfiguration", "svc", vec![service]).await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("s", json!({}))))
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    let message = r.body["message"].as_str().unwrap_or("");
    assert!(
        message
            .starts_with("Internal error occurred: failed calling webhook \"svc.example.com\": ")
            && message.contains("clientConfig.service"),
        "{message}"
    );
}

#[tokio::test]
async fn dry_run_sets_the_request_flag_and_needs_side_effect_free_webhooks() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "dry",
        vec![hook(
            "dry.example.com",
            &webhook.url("/dry"),
            &webhook.ca_bundle,
            configmap_rule(&["CREATE"]),
        )],
    )
    .await;
    let r = h
        .req(
            "POST",
            &format!("{CONFIGMAPS}?dryRun=All"),
            Some(&configmap("d", json!({}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let calls = webhook.calls_to("/dry");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["request"]["dryRun"], true);
    assert_eq!(calls[0]["request"]["options"]["dryRun"], json!(["All"]));

    let mut unknown = hook(
        "unknown.example.com",
        &webhook.url("/unknown"),
        &webhook.ca_bundle,
        configmap_rule(&["CREATE"]),
    );
    unknown["sideEffects"] = json!("Some");
    register(&h, "ValidatingWebhookConfiguration", "side", vec![unknown]).await;
    let r = h
        .req(
            "POST",
            &format!("{CONFIGMAPS}?dryRun=All"),
            Some(&configmap("e", json!({}))),
        )
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "admission webhook \"unknown.example.com\" does not support dry run"
    );
    assert!(webhook.calls_to("/unknown").is_empty());
    // Without dryRun the same webhook is called.
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("e", json!({}))))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(webhook.calls_to("/unknown")[0]["request"]["dryRun"], false);
}

#[tokio::test]
async fn admission_review_request_fields() {
    let webhook = start_webhook_server();
    let h = harness().await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "record",
        vec![hook(
            "record.example.com",
            &webhook.url("/record"),
            &webhook.ca_bundle,
            configmap_rule(&["*"]),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("r", json!({}))))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut changed = r.body.clone();
    changed["data"]["a"] = json!("2");
    let r = h
        .req("PUT", &format!("{CONFIGMAPS}/r"), Some(&changed))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let r = h.req("DELETE", &format!("{CONFIGMAPS}/r"), None).await;
    assert_eq!(r.code, 200, "{}", r.text);

    let calls = webhook.calls_to("/record");
    assert_eq!(calls.len(), 3);
    for review in &calls {
        assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(review["kind"], "AdmissionReview");
        let request = &review["request"];
        assert_eq!(request["uid"].as_str().map(str::len), Some(36), "{request}");
        assert_eq!(
            request["kind"],
            json!({"group": "", "version": "v1", "kind": "ConfigMap"})
        );
        assert_eq!(
            request["resource"],
            json!({"group": "", "version": "v1", "resource": "configmaps"})
        );
        assert_eq!(request["name"], "r");
        assert_eq!(request["namespace"], "default");
        assert_eq!(request["userInfo"]["username"], "admin");
        assert!(request["userInfo"]["groups"]
            .as_array()
            .is_some_and(|g| g.contains(&json!("system:masters"))));
        assert_eq!(request["dryRun"], false);
    }
    let uids: std::collections::BTreeSet<&str> = calls
        .iter()
        .filter_map(|r| r["request"]["uid"].as_str())
        .collect();
    assert_eq!(uids.len(), 3, "every call has its own uid");
    let (create, update, delete) = (
        &calls[0]["request"],
        &calls[1]["request"],
        &calls[2]["request"],
    );
    assert_eq!(create["operation"], "CREATE");
    assert_eq!(create["object"]["data"]["a"], "1");
    assert_eq!(create["oldObject"], Value::Null);
    assert_eq!(create["options"]["kind"], "CreateOptions");
    assert_eq!(update["operation"], "UPDATE");
    assert_eq!(update["object"]["data"]["a"], "2");
    assert_eq!(update["oldObject"]["data"]["a"], "1");
    assert_eq!(update["options"]["kind"], "UpdateOptions");
    assert_eq!(delete["operation"], "DELETE");
    assert_eq!(delete["object"], Value::Null);
    assert_eq!(delete["oldObject"]["data"]["a"], "2");
    assert_eq!(delete["options"]["kind"], "DeleteOptions");
}

#[tokio::test]
async fn timeouts_and_invalid_answers_are_call_failures() {
    let webhook = start_webhook_server();
    let h = harness().await;
    let mut slow = hook(
        "slow.example.com",
        &webhook.url("/slow"),
        &webhook.ca_bundle,
        configmap_rule(&["CREATE"]),
    );
    slow["timeoutSeconds"] = json!(1);
    register(&h, "ValidatingWebhookConfiguration", "slow", vec![slow]).await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("t", json!({}))))
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    assert_eq!(
        r.body["message"],
        format!(
            "Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"{}?timeout=1s\": context deadline exceeded",
            webhook.url("/slow")
        )
    );
    let r = h
        .req(
            "DELETE",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/slow",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);

    let wrong = hook(
        "wrong.example.com",
        &webhook.url("/wrong-uid"),
        &webhook.ca_bundle,
        configmap_rule(&["CREATE"]),
    );
    register(&h, "ValidatingWebhookConfiguration", "wrong", vec![wrong]).await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("u", json!({}))))
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    let uid = webhook.calls_to("/wrong-uid")[0]["request"]["uid"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        r.body["message"],
        format!(
            "Internal error occurred: failed calling webhook \"wrong.example.com\": received invalid webhook response: expected response.uid=\"{uid}\", got \"not-the-request-uid\""
        )
    );
}

fn widget_crd() -> Value {
    json!({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.example.com"},
      "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{
          "name": "v1", "served": true, "storage": true,
          "subresources": {"status": {}},
          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
              "mode": {"type": "string", "default": "fast"}}},
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}}
        }]
      }
    })
}

#[tokio::test]
async fn custom_resources_and_subresource_rules() {
    let webhook = start_webhook_server();
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&widget_crd()),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    register(
        &h,
        "MutatingWebhookConfiguration",
        "label-widgets",
        vec![hook(
            "label.widgets.example.com",
            &webhook.url("/label"),
            &webhook.ca_bundle,
            json!({"operations": ["CREATE"], "apiGroups": ["example.com"],
                "apiVersions": ["*"], "resources": ["widgets"], "scope": "Namespaced"}),
        )],
    )
    .await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "deny-widget-status",
        vec![hook(
            "status.widgets.example.com",
            &webhook.url("/deny"),
            &webhook.ca_bundle,
            json!({"operations": ["UPDATE"], "apiGroups": ["example.com"],
                "apiVersions": ["v1"], "resources": ["widgets/status"]}),
        )],
    )
    .await;
    let widgets = "/apis/example.com/v1/namespaces/default/widgets";
    let r = h
        .req(
            "POST",
            widgets,
            Some(&json!({"apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "w"}, "spec": {}})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["metadata"]["labels"], json!({"mutated": "yes"}));
    assert_eq!(
        r.body["spec"]["mode"], "fast",
        "schema defaults still apply"
    );
    let created = webhook.calls_to("/label");
    assert_eq!(
        created[0]["request"]["kind"],
        json!({"group": "example.com", "version": "v1", "kind": "Widget"})
    );

    // The main resource's update does not match `widgets/status`…
    let mut obj = r.body.clone();
    obj["spec"]["mode"] = json!("slow");
    let r = h.req("PUT", &format!("{widgets}/w"), Some(&obj)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert!(webhook.calls_to("/deny").is_empty());
    // …the status subresource's does.
    let mut obj = r.body.clone();
    obj["status"] = json!({"ready": true});
    let r = h
        .req("PUT", &format!("{widgets}/w/status"), Some(&obj))
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "admission webhook \"status.widgets.example.com\" denied the request: pets are not allowed here"
    );
    let denied = webhook.calls_to("/deny");
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["request"]["subResource"], "status");
    assert_eq!(denied[0]["request"]["object"]["status"]["ready"], true);
    let r = h.req("GET", &format!("{widgets}/w"), None).await;
    assert!(r.body.get("status").is_none(), "denied status not stored");
}

#[tokio::test]
async fn wildcard_rules_match_everything_but_webhook_configurations() {
    let webhook = start_webhook_server();
    let h = harness().await;
    let everything = json!({"operations": ["*"], "apiGroups": ["*"],
        "apiVersions": ["*"], "resources": ["*/*"]});
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "deny-all",
        vec![hook(
            "all.example.com",
            &webhook.url("/deny"),
            &webhook.ca_bundle,
            everything.clone(),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("c", json!({}))))
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces",
            Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})),
        )
        .await;
    assert_eq!(r.code, 400, "cluster-scoped objects match too: {}", r.text);
    let namespaced_only = json!({"operations": ["*"], "apiGroups": ["*"],
        "apiVersions": ["*"], "resources": ["*"], "scope": "Namespaced"});
    // Webhook configurations themselves are never sent to webhooks.
    register(
        &h,
        "MutatingWebhookConfiguration",
        "namespaced",
        vec![hook(
            "namespaced.example.com",
            &webhook.url("/deny"),
            &webhook.ca_bundle,
            namespaced_only,
        )],
    )
    .await;
    let r = h
        .req(
            "DELETE",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/deny-all",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let before = webhook.calls_to("/deny").len();
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces",
            Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})),
        )
        .await;
    assert_eq!(r.code, 201, "scope Namespaced skips namespaces: {}", r.text);
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("c", json!({}))))
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(webhook.calls_to("/deny").len(), before + 1);
}

#[tokio::test]
async fn scale_writes_send_scale_objects_to_scale_rules_only() {
    let webhook = start_webhook_server();
    let h = harness().await;
    let deployments = "/apis/apps/v1/namespaces/default/deployments";
    let r = h
        .req(
            "POST",
            deployments,
            Some(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "d"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    register(
        &h,
        "MutatingWebhookConfiguration",
        "replicas",
        vec![hook(
            "replicas.example.com",
            &webhook.url("/replicas"),
            &webhook.ca_bundle,
            json!({"operations": ["UPDATE"], "apiGroups": ["apps"],
                "apiVersions": ["v1"], "resources": ["deployments/scale"]}),
        )],
    )
    .await;
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "main",
        vec![hook(
            "main.example.com",
            &webhook.url("/main"),
            &webhook.ca_bundle,
            json!({"operations": ["UPDATE"], "apiGroups": ["apps"],
                "apiVersions": ["v1"], "resources": ["deployments"]}),
        )],
    )
    .await;
    let r = h
        .req_ct(
            "PATCH",
            &format!("{deployments}/d/scale"),
            Some(json!({"spec": {"replicas": 2}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["kind"], "Scale");
    assert_eq!(
        r.body["spec"]["replicas"], 5,
        "the webhook's patch of the Scale"
    );
    let r = h.req("GET", &format!("{deployments}/d"), None).await;
    assert_eq!(r.body["spec"]["replicas"], 5);
    let calls = webhook.calls_to("/replicas");
    assert_eq!(calls.len(), 1);
    let request = &calls[0]["request"];
    assert_eq!(request["subResource"], "scale");
    assert_eq!(
        request["kind"],
        json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    );
    assert_eq!(
        request["resource"],
        json!({"group": "apps", "version": "v1", "resource": "deployments"})
    );
    assert_eq!(request["object"]["spec"]["replicas"], 2);
    assert_eq!(request["oldObject"]["spec"]["replicas"], 1);
    assert!(
        webhook.calls_to("/main").is_empty(),
        "main-resource rules skip scale writes"
    );
}

#[tokio::test]
async fn ca_bundles_trust_their_chains_and_a_bundled_serving_certificate() {
    let webhook = start_webhook_server();
    let stranger = start_webhook_server();
    let h = harness().await;
    // envtest puts the serving certificate itself into caBundle, and rewrites
    // service paths into `https://host:port//path` URLs (posted to `/path`).
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "leaf",
        vec![hook(
            "leaf.example.com",
            &webhook.url("//deny"),
            &webhook.leaf_bundle,
            configmap_rule(&["CREATE"]),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("l", json!({}))))
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(webhook.calls_to("/deny").len(), 1);
    let r = h
        .req(
            "DELETE",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/leaf",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    // A bundle of another CA does not trust the server: the call fails.
    register(
        &h,
        "ValidatingWebhookConfiguration",
        "untrusted",
        vec![hook(
            "untrusted.example.com",
            &webhook.url("/deny"),
            &stranger.ca_bundle,
            configmap_rule(&["CREATE"]),
        )],
    )
    .await;
    let r = h
        .req("POST", CONFIGMAPS, Some(&configmap("u", json!({}))))
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    let message = r.body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with(
            "Internal error occurred: failed calling webhook \"untrusted.example.com\": failed to call webhook: "
        ),
        "{message}"
    );
    assert_eq!(webhook.calls_to("/deny").len(), 1, "no request got through");
}
