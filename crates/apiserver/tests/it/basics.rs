//! Transport, auth, discovery and CRUD over real HTTPS.

use crate::common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn health_and_version_are_open_to_anonymous_but_resources_are_not() {
    let h = harness().await;
    let anon = client(&h.server, None);
    let r = send(&anon, &h.base, "GET", "/healthz", None, "").await;
    assert_eq!((r.code, r.text.as_str()), (200, "ok"));
    let r = send(&anon, &h.base, "GET", "/version", None, "").await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["major"], "1");
    assert!(
        r.text.contains("\n  \"minor\""),
        "version is indented: {}",
        r.text
    );
    let r = send(
        &anon,
        &h.base,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        None,
        "",
    )
    .await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
    );
    let r = send(&anon, &h.base, "GET", "/api", None, "").await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
}

#[tokio::test]
async fn bad_token_and_foreign_client_cert_get_401() {
    let h = harness().await;
    let anon = client(&h.server, None);
    let r = anon
        .get(format!("{}/api/v1/namespaces", h.base))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})
    );
    let other = klite_apiserver::CertAuthority::generate("other").unwrap();
    let pair = other.issue_client("mallory", &["system:masters"]).unwrap();
    let creds = klite_apiserver::ClientCredentials {
        user: "mallory".into(),
        groups: vec![],
        cert_pem: pair.cert_pem,
        key_pem: pair.key_pem,
        token: None,
    };
    let r = send(
        &client(&h.server, Some(&creds)),
        &h.base,
        "GET",
        "/api/v1/namespaces",
        None,
        "",
    )
    .await;
    assert_eq!(r.code, 401);
}

#[tokio::test]
async fn issued_user_certs_authenticate_and_are_denied_without_rbac() {
    let h = harness().await;
    let alice = h.server.issue_client_cert("alice", &["devs"]).unwrap();
    let c = client(&h.server, Some(&alice));
    let r = send(
        &c,
        &h.base,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        None,
        "",
    )
    .await;
    assert_eq!(r.code, 403);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("User \"alice\" cannot list"));
    let r = send(&c, &h.base, "GET", "/apis", None, "").await;
    assert_eq!(r.code, 200, "discovery is allowed for authenticated users");
}

#[tokio::test]
async fn discovery_documents_have_upstream_shapes() {
    let h = harness().await;
    let r = h.req("GET", "/api", None).await;
    assert_eq!(r.body["kind"], "APIVersions");
    assert!(r.body.get("apiVersion").is_none());
    assert_eq!(
        r.body["serverAddressByClientCIDRs"][0]["serverAddress"],
        h.server.local_addr().to_string()
    );
    let r = h.req("GET", "/api/v1", None).await;
    let resources = r.body["resources"].as_array().unwrap();
    let cm = resources
        .iter()
        .find(|x| x["name"] == "configmaps")
        .unwrap();
    assert_eq!(cm["shortNames"], json!(["cm"]));
    assert_eq!(cm["storageVersionHash"], "qFsyl6wFWjQ=");
    assert_eq!(
        cm["verbs"],
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    );
    let r = h.req("GET", "/apis/apps/v1", None).await;
    let names: Vec<&str> = r.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    let d = names.iter().position(|n| *n == "deployments").unwrap();
    assert_eq!(
        &names[d..d + 3],
        &["deployments", "deployments/scale", "deployments/status"]
    );
    let scale = &r.body["resources"][d + 1];
    assert_eq!(
        (
            scale["group"].as_str(),
            scale["kind"].as_str(),
            scale["singularName"].as_str()
        ),
        (Some("autoscaling"), Some("Scale"), Some(""))
    );
    let r = h.req("GET", "/apis", None).await;
    assert_eq!(r.body["kind"], "APIGroupList");
    assert_eq!(r.body["groups"][0]["name"], "apps");
    let r = h.req("GET", "/apis/nope.example.com/v1", None).await;
    assert_eq!((r.code, r.text.as_str()), (404, "404 page not found\n"));
    let r = h.req("GET", "/api/v1/foos", None).await;
    assert_eq!(r.code, 404);
    assert_eq!(
        r.body["message"],
        "the server could not find the requested resource"
    );
}

#[tokio::test]
async fn default_namespaces_exist_with_upstream_shape() {
    let h = harness().await;
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let r = h
            .req("GET", &format!("/api/v1/namespaces/{ns}"), None)
            .await;
        assert_eq!(r.code, 200);
        assert_eq!(r.body["spec"]["finalizers"], json!(["kubernetes"]));
        assert_eq!(r.body["status"]["phase"], "Active");
        assert_eq!(
            r.body["metadata"]["labels"]["kubernetes.io/metadata.name"],
            ns
        );
    }
}

#[tokio::test]
async fn configmap_crud_with_metadata_semantics_and_status_bodies() {
    let h = harness().await;
    let cm = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"default"},"data":{"k":"v"}});
    let r = h
        .req("POST", "/api/v1/namespaces/default/configmaps", Some(&cm))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let created = r.body.clone();
    assert!(created["metadata"]["uid"].as_str().unwrap().len() == 36);
    assert!(created["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let rv1: u64 = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = h
        .req("POST", "/api/v1/namespaces/default/configmaps", Some(&cm))
        .await;
    assert_eq!(r.code, 409);
    assert_eq!(r.text, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"configmaps \\\"a\\\" already exists\",\"reason\":\"AlreadyExists\",\"details\":{\"name\":\"a\",\"kind\":\"configmaps\"},\"code\":409}\n");
    let mut upd = created.clone();
    upd["data"]["k"] = json!("v2");
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/a", Some(&upd))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let rv2: u64 = r.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv2 > rv1);
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/a", Some(&upd))
        .await;
    assert_eq!(r.code, 409);
    assert_eq!(r.body["message"], "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again");
    let mut unconditional = upd.clone();
    unconditional["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    unconditional["data"]["k"] = json!("v3");
    let r = h
        .req(
            "PUT",
            "/api/v1/namespaces/default/configmaps/a",
            Some(&unconditional),
        )
        .await;
    assert_eq!(r.code, 200, "missing RV = unconditional update: {}", r.text);
    let r = h
        .req("GET", "/api/v1/namespaces/default/configmaps/a", None)
        .await;
    assert_eq!(r.body["data"]["k"], "v3");
    assert_eq!(r.body["kind"], "ConfigMap");
    let r = h
        .req("DELETE", "/api/v1/namespaces/default/configmaps/a", None)
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["status"], "Success");
    assert_eq!(r.body["details"]["uid"], created["metadata"]["uid"]);
    assert!(r.body.get("code").is_none());
    let r = h
        .req("GET", "/api/v1/namespaces/default/configmaps/a", None)
        .await;
    assert_eq!(r.code, 404);
    assert_eq!(r.body["message"], "configmaps \"a\" not found");
}

#[tokio::test]
async fn generate_name_and_validation_errors() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}})),
        )
        .await;
    assert_eq!(r.code, 201);
    let name = r.body["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}})),
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    assert_eq!(r.body["details"]["kind"], "ConfigMap");
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{}})),
        )
        .await;
    assert_eq!(r.body["message"], "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required");
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/nope/configmaps",
            Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})),
        )
        .await;
    assert_eq!(
        (r.code, r.body["message"].as_str()),
        (404, Some("namespaces \"nope\" not found"))
    );
}

#[tokio::test]
async fn hostile_bodies_are_rejected_cleanly() {
    let h = harness().await;
    let r = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some("{not json".into()),
            "application/json",
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.body["reason"], "BadRequest");
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}})),
        )
        .await;
    assert_eq!(r.code, 400);
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&json!({"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}})),
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(
        r.body["message"],
        "the API version in the data (apps/v1) does not match the expected API version (v1)"
    );
    let big = format!("{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"big\"}},\"data\":{{\"k\":\"{}\"}}}}", "x".repeat(3 * 1024 * 1024 + 10));
    let r = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(big),
            "application/json",
        )
        .await;
    assert_eq!(r.code, 413);
    assert_eq!(
        r.body["message"],
        "Request entity too large: limit is 3145728"
    );
    let r = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some("x".into()),
            "application/vnd.kubernetes.protobuf",
        )
        .await;
    // Protobuf is accepted for built-in kinds; a body without the envelope is a 400.
    assert_eq!(r.code, 400);
    assert_eq!(
        r.body["message"],
        "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    );
    let r = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some("x".into()),
            "application/cbor",
        )
        .await;
    assert_eq!(r.code, 415);
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps/named",
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.code, 405);
    let r = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\n".into()),
            "application/yaml",
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
}

#[tokio::test]
async fn unknown_fields_warn_by_default_and_fail_when_strict() {
    let h = harness().await;
    let body = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u","foo":1},"data":{},"bogus":true});
    let r = h
        .req("POST", "/api/v1/namespaces/default/configmaps", Some(&body))
        .await;
    assert_eq!(r.code, 201);
    let warnings: Vec<&str> = r
        .headers
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        vec![
            "299 - \"unknown field \\\"bogus\\\"\"",
            "299 - \"unknown field \\\"metadata.foo\\\"\""
        ]
    );
    assert!(r.body.get("bogus").is_none());
    let mut strict = body.clone();
    strict["metadata"]["name"] = json!("s");
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            Some(&strict),
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.body["message"], "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\", unknown field \"metadata.foo\"");
}

#[tokio::test]
async fn bearer_tokens_http2_yaml_and_pretty_output() {
    let h = harness_with(klite_apiserver::ServerOptions {
        tokens: vec![klite_apiserver::TokenUser {
            token: "s3cret".into(),
            user: "robot".into(),
            uid: String::new(),
            groups: vec!["system:masters".into()],
        }],
        ..Default::default()
    })
    .await;
    let anon = client(&h.server, None);
    let r = anon
        .get(format!("{}/api/v1/namespaces/default", h.base))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.version(),
        reqwest::Version::HTTP_2,
        "h2 negotiated through ALPN"
    );
    let r = h
        .admin
        .get(format!("{}/api/v1/namespaces/default", h.base))
        .header("Accept", "application/yaml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/yaml");
    let text = r.text().await.unwrap();
    assert!(text.contains("kind: Namespace"), "{text}");
    let r = h
        .admin
        .get(format!("{}/api/v1/namespaces/default", h.base))
        .header("User-Agent", "curl/8.0")
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with("{\n  \"kind\": \"Namespace\",\n  \"apiVersion\": \"v1\","),
        "{text}"
    );
    let r = h
        .admin
        .get(format!("{}/api/v1/namespaces/default", h.base))
        .header("Accept", "application/vnd.kubernetes.protobuf")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(h.server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = h1.get(format!("{}/livez", h.base)).send().await.unwrap();
    assert_eq!(
        (r.version(), r.status().as_u16()),
        (reqwest::Version::HTTP_11, 200)
    );
}

#[tokio::test]
async fn kubeconfig_embeds_server_ca_and_client_credentials() {
    let h = harness().await;
    let kc = h.server.kubeconfig(h.server.admin());
    assert!(kc.contains(&format!("server: {}", h.server.url())));
    assert!(kc.contains("current-context: envtest"));
    use base64::Engine;
    let ca_line = kc
        .lines()
        .find(|l| l.trim_start().starts_with("certificate-authority-data:"))
        .unwrap();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_line.split(": ").nth(1).unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(ca).unwrap(), h.server.ca_pem());
    assert!(kc.contains("client-certificate-data:") && kc.contains("client-key-data:"));
}

#[tokio::test]
async fn duplicate_json_fields_fail_strict_decoding_and_warn_otherwise() {
    let h = harness().await;
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"bogus":1,"data":{"k":"first","k":"second"}}"#;
    let strict = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
            Some(body.into()),
            "application/json",
        )
        .await;
    assert_eq!(strict.code, 400, "{}", strict.text);
    assert_eq!(
        strict.body["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\", duplicate field \"data.k\""
    );
    let warned = h
        .req_ct(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(body.into()),
            "application/json",
        )
        .await;
    assert_eq!(warned.code, 201, "{}", warned.text);
    let warnings: Vec<&str> = warned
        .headers
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        warnings,
        vec![
            "299 - \"unknown field \\\"bogus\\\"\"",
            "299 - \"duplicate field \\\"data.k\\\"\""
        ]
    );
    assert_eq!(
        warned.body["data"]["k"], "second",
        "the last occurrence wins"
    );
}

#[tokio::test]
async fn system_fields_in_bodies_are_replaced_and_names_generated_like_upstream() {
    let h = harness().await;
    let cms = "/api/v1/namespaces/default/configmaps";
    let long_prefix = "p".repeat(70);
    let r = h
        .req(
            "POST",
            cms,
            Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{
                "generateName": long_prefix,
                "uid": "00000000-0000-0000-0000-00000000000a",
                "creationTimestamp": "2001-01-01T00:00:00Z",
                "deletionTimestamp": "2001-01-01T00:00:00Z",
                "deletionGracePeriodSeconds": 5}})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let meta = &r.body["metadata"];
    let name = meta["name"].as_str().unwrap();
    assert_eq!(name.len(), 63, "58-byte prefix + 5 random characters");
    assert!(name.starts_with(&"p".repeat(58)));
    assert!(
        name[58..]
            .chars()
            .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
        "{name}"
    );
    assert_ne!(meta["uid"], "00000000-0000-0000-0000-00000000000a");
    assert_ne!(meta["creationTimestamp"], "2001-01-01T00:00:00Z");
    assert!(meta.get("deletionTimestamp").is_none(), "{}", r.text);
    assert!(meta.get("deletionGracePeriodSeconds").is_none());

    // ConfigMaps allow unconditional updates: an empty resourceVersion overwrites.
    let mut upd = r.body.clone();
    upd["metadata"]["resourceVersion"] = json!("");
    upd["data"] = json!({"k": "unconditional"});
    let r = h.req("PUT", &format!("{cms}/{name}"), Some(&upd)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["data"]["k"], "unconditional");

    // In a namespace that does not exist: get/update/delete are the object's NotFound, list is empty.
    let r = h
        .req("GET", "/api/v1/namespaces/nowhere/configmaps/x", None)
        .await;
    assert_eq!(r.body["message"], "configmaps \"x\" not found");
    let r = h
        .req("DELETE", "/api/v1/namespaces/nowhere/configmaps/x", None)
        .await;
    assert_eq!(
        (r.code, r.body["message"].as_str()),
        (404, Some("configmaps \"x\" not found"))
    );
    let r = h
        .req("GET", "/api/v1/namespaces/nowhere/configmaps", None)
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["items"], json!([]));
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/nowhere/configmaps",
            Some(&cm("x", json!({}))),
        )
        .await;
    assert_eq!(r.code, 404);
    assert_eq!(r.body["message"], "namespaces \"nowhere\" not found");
    assert_eq!(
        r.body["details"],
        json!({"name":"nowhere","kind":"namespaces"})
    );
}

#[tokio::test]
async fn leases_round_trip_micro_times_for_leader_election() {
    let h = harness().await;
    let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    let lease = json!({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"leader"},
        "spec":{"holderIdentity":"a","leaseDurationSeconds":15,"acquireTime":"2024-05-01T10:00:00.000000Z",
                "renewTime":"2024-05-01T10:00:05.123456Z","leaseTransitions":0}});
    let r = h.req("POST", leases, Some(&lease)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["renewTime"], "2024-05-01T10:00:05.123456Z");
    assert_eq!(r.body["spec"]["acquireTime"], "2024-05-01T10:00:00.000000Z");
    // A renewal is an optimistic-concurrency update of renewTime (what client-go's resourcelock does).
    let mut renew = r.body.clone();
    renew["spec"]["renewTime"] = json!("2024-05-01T10:00:07.5Z");
    let r = h
        .req("PUT", &format!("{leases}/leader"), Some(&renew))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.body["spec"]["renewTime"], "2024-05-01T10:00:07.500000Z",
        "MicroTime is written with six fractional digits"
    );
    let r = h
        .req("PUT", &format!("{leases}/leader"), Some(&renew))
        .await;
    assert_eq!(r.code, 409, "a stale renewal loses: {}", r.text);
    // metav1.Time fields are UTC seconds after the typed round trip.
    let event = json!({"apiVersion":"v1","kind":"Event","metadata":{"name":"ev"},
        "involvedObject":{"kind":"Lease","name":"leader","namespace":"default"},
        "reason":"Elected","type":"Normal",
        "lastTimestamp":"2024-05-01T12:00:07.9+02:00","eventTime":"2024-05-01T10:00:07.25Z",
        "reportingComponent":"c","reportingInstance":"i","action":"Elect"});
    let r = h
        .req("POST", "/api/v1/namespaces/default/events", Some(&event))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["lastTimestamp"], "2024-05-01T10:00:07Z");
    assert_eq!(r.body["eventTime"], "2024-05-01T10:00:07.250000Z");
}
