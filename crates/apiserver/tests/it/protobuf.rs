//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`): objects
//! encoded with the k8s-pb prost types, as client-go's typed clients (and so
//! kubectl's imperative commands) send them, must be stored exactly like the
//! same object sent as JSON.

use crate::common::{harness, Harness, Resp};
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::core::v1 as core;
use k8s_pb::api::rbac::v1 as rbac;
use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::{json, Value};

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// `k8s\0` + runtime.Unknown{typeMeta, raw}, as client-go's protobuf serializer writes it.
fn envelope(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(object.encode_to_vec()),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = b"k8s\0".to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

async fn send_bytes(h: &Harness, method: &str, path: &str, body: Vec<u8>, accept: &str) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let resp = h
        .admin
        .request(m, format!("{}{path}", h.base))
        .header("Content-Type", PROTOBUF)
        .header("Accept", accept)
        .body(body)
        .send()
        .await
        .expect("request");
    let code = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Resp {
        code,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        headers,
    }
}

/// Go's generated marshalling writes every non-pointer field, zero or not: the
/// metadata a typed client sends for a new object.
fn go_meta(name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        generate_name: Some(String::new()),
        namespace: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    }
}

fn labelled(name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        labels: [("app".to_string(), "web".to_string())].into(),
        annotations: [("note".to_string(), String::new())].into(),
        ..go_meta(name)
    }
}

/// The stored object without the fields that differ between two creations.
fn comparable(mut v: Value) -> Value {
    if let Some(m) = v["metadata"].as_object_mut() {
        for k in ["name", "uid", "resourceVersion", "creationTimestamp"] {
            m.remove(k);
        }
        // Namespaces carry their name as a label.
        if let Some(Value::Object(labels)) = m.get_mut("labels") {
            labels.remove("kubernetes.io/metadata.name");
        }
        if let Some(Value::Array(entries)) = m.get_mut("managedFields") {
            for e in entries {
                e.as_object_mut().map(|e| e.remove("time"));
            }
        }
    }
    v
}

/// Create `pb` (protobuf) and `json` (the JSON a client would send for the same
/// object, named `<name>-json`) under `collection`; the stored objects must match.
async fn same_as_json(
    h: &Harness,
    collection: &str,
    api_version: &str,
    kind: &str,
    pb: &impl Message,
    name: &str,
    json_body: Value,
) -> Value {
    let created = send_bytes(
        h,
        "POST",
        collection,
        envelope(api_version, kind, pb),
        "application/vnd.kubernetes.protobuf, */*",
    )
    .await;
    assert_eq!(created.code, 201, "{kind}: {}", created.text);
    assert_eq!(
        created.headers["content-type"], "application/json",
        "JSON answers a client that accepts */*"
    );
    let via_json = h.req("POST", collection, Some(&json_body)).await;
    assert_eq!(via_json.code, 201, "{kind} JSON: {}", via_json.text);
    let a = h.req("GET", &format!("{collection}/{name}"), None).await;
    let b = h
        .req("GET", &format!("{collection}/{name}-json"), None)
        .await;
    assert_eq!(comparable(a.body.clone()), comparable(b.body), "{kind}");
    a.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_in_kinds_decode_like_their_json() {
    let h = harness().await;
    // Namespace: what `kubectl create namespace team` sends.
    let ns = core::Namespace {
        metadata: Some(go_meta("team")),
        spec: Some(core::NamespaceSpec::default()),
        status: Some(core::NamespaceStatus::default()),
    };
    let r = send_bytes(
        &h,
        "POST",
        "/api/v1/namespaces",
        envelope("v1", "Namespace", &ns),
        PROTOBUF,
    )
    .await;
    // Protobuf-only Accept: we cannot answer in protobuf, so 406 as upstream negotiation does.
    assert_eq!(r.code, 406, "{}", r.text);
    assert_eq!(r.body["reason"], "NotAcceptable");
    let team = same_as_json(
        &h,
        "/api/v1/namespaces",
        "v1",
        "Namespace",
        &ns,
        "team",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-json", "creationTimestamp": null},
            "spec": {}, "status": {}}),
    )
    .await;
    assert_eq!(team["status"]["phase"], "Active");

    // ConfigMap and Secret: string maps, bytes maps (base64), empty values kept in maps.
    let cm = core::ConfigMap {
        metadata: Some(labelled("cfg")),
        data: [
            ("a".to_string(), "b".to_string()),
            ("empty".to_string(), String::new()),
        ]
        .into(),
        binary_data: [("bin".to_string(), vec![0u8, 159, 146, 150])].into(),
        immutable: None,
    };
    let stored = same_as_json(
        &h,
        "/api/v1/namespaces/team/configmaps",
        "v1",
        "ConfigMap",
        &cm,
        "cfg",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg-json", "labels": {"app": "web"}, "annotations": {"note": ""}},
            "data": {"a": "b", "empty": ""}, "binaryData": {"bin": "AJ+Slg=="}}),
    )
    .await;
    assert_eq!(stored["data"], json!({"a": "b", "empty": ""}));
    let secret = core::Secret {
        metadata: Some(go_meta("s")),
        data: [("token".to_string(), b"s3cr3t".to_vec())].into(),
        r#type: Some("Opaque".into()),
        ..Default::default()
    };
    same_as_json(
        &h,
        "/api/v1/namespaces/team/secrets",
        "v1",
        "Secret",
        &secret,
        "s",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s-json"},
            "data": {"token": "czNjcjN0"}, "type": "Opaque"}),
    )
    .await;

    // Deployment: nested messages, embedded structs (ProbeHandler, VolumeSource),
    // IntOrString, Quantity maps, capitalised JSON names (hostIPC), repeated messages.
    let container = core::Container {
        name: Some("web".into()),
        image: Some("nginx:1.27".into()),
        ports: vec![core::ContainerPort {
            name: Some("http".into()),
            container_port: Some(8080),
            protocol: Some("TCP".into()),
            host_port: Some(0),
            host_ip: Some(String::new()),
        }],
        env: vec![core::EnvVar {
            name: Some("MODE".into()),
            value: Some("prod".into()),
            value_from: None,
        }],
        resources: Some(core::ResourceRequirements {
            limits: [(
                "cpu".to_string(),
                Quantity {
                    string: Some("500m".into()),
                },
            )]
            .into(),
            ..Default::default()
        }),
        liveness_probe: Some(core::Probe {
            handler: Some(core::ProbeHandler {
                http_get: Some(core::HttpGetAction {
                    path: Some("/healthz".into()),
                    port: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: Some("http".into()),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            period_seconds: Some(7),
            ..Default::default()
        }),
        volume_mounts: vec![core::VolumeMount {
            name: Some("cfg".into()),
            mount_path: Some("/etc/cfg".into()),
            read_only: Some(true),
            ..Default::default()
        }],
        stdin: Some(false),
        tty: Some(false),
        ..Default::default()
    };
    let deployment = apps::Deployment {
        metadata: Some(labelled("web")),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(3),
            selector: Some(meta::LabelSelector {
                match_labels: [("app".to_string(), "web".to_string())].into(),
                match_expressions: vec![],
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels: [("app".to_string(), "web".to_string())].into(),
                    creation_timestamp: Some(meta::Time::default()),
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    volumes: vec![core::Volume {
                        name: Some("cfg".into()),
                        volume_source: Some(core::VolumeSource {
                            config_map: Some(core::ConfigMapVolumeSource {
                                local_object_reference: Some(core::LocalObjectReference {
                                    name: Some("cfg".into()),
                                }),
                                default_mode: Some(420),
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                    }],
                    host_ipc: Some(true),
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: Some("25%".into()),
                    }),
                    max_unavailable: Some(IntOrString {
                        r#type: Some(0),
                        int_val: Some(1),
                        str_val: Some(String::new()),
                    }),
                }),
            }),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus::default()),
    };
    let stored = same_as_json(
        &h,
        "/apis/apps/v1/namespaces/team/deployments",
        "apps/v1",
        "Deployment",
        &deployment,
        "web",
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web-json", "labels": {"app": "web"}, "annotations": {"note": ""}, "creationTimestamp": null},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                        "env": [{"name": "MODE", "value": "prod"}],
                        "resources": {"limits": {"cpu": "500m"}},
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 7},
                        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg", "readOnly": true}]}],
                        "volumes": [{"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}],
                        "hostIPC": true}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}},
            "status": {}}),
    )
    .await;
    let pod = &stored["spec"]["template"]["spec"];
    assert_eq!(pod["hostIPC"], true);
    assert_eq!(
        pod["containers"][0]["livenessProbe"]["httpGet"]["port"],
        "http"
    );
    assert_eq!(pod["volumes"][0]["configMap"]["name"], "cfg");

    // RBAC: repeated strings and messages.
    let role = rbac::ClusterRole {
        metadata: Some(go_meta("reader")),
        rules: vec![rbac::PolicyRule {
            verbs: vec!["get".into(), "list".into()],
            api_groups: vec![String::new()],
            resources: vec!["pods".into()],
            ..Default::default()
        }],
        aggregation_rule: None,
    };
    same_as_json(
        &h,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        &role,
        "reader",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader-json"},
            "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]}),
    )
    .await;

    // Lease: MicroTime keeps microseconds.
    let lease = coordination::Lease {
        metadata: Some(go_meta("lock")),
        spec: Some(coordination::LeaseSpec {
            holder_identity: Some("me".into()),
            lease_duration_seconds: Some(15),
            renew_time: Some(meta::MicroTime {
                seconds: Some(1_700_000_000),
                nanos: Some(123_456_000),
            }),
            ..Default::default()
        }),
    };
    let stored = same_as_json(
        &h,
        "/apis/coordination.k8s.io/v1/namespaces/team/leases",
        "coordination.k8s.io/v1",
        "Lease",
        &lease,
        "lock",
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "lock-json"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15, "renewTime": "2023-11-14T22:13:20.123456Z"}}),
    )
    .await;
    assert_eq!(stored["spec"]["renewTime"], "2023-11-14T22:13:20.123456Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crd_schemas_decode_their_unions_and_embedded_json() {
    let h = harness().await;
    let props = |ty: &str| apiext::JsonSchemaProps {
        r#type: Some(ty.into()),
        ..Default::default()
    };
    let spec_schema = apiext::JsonSchemaProps {
        r#type: Some("object".into()),
        properties: [
            (
                "size".to_string(),
                apiext::JsonSchemaProps {
                    default: Some(apiext::Json {
                        raw: Some(b"3".to_vec()),
                    }),
                    minimum: Some(1.0),
                    ..props("integer")
                },
            ),
            (
                "tags".to_string(),
                apiext::JsonSchemaProps {
                    items: Some(Box::new(apiext::JsonSchemaPropsOrArray {
                        schema: Some(Box::new(props("string"))),
                        j_son_schemas: vec![],
                    })),
                    x_kubernetes_list_type: Some("set".into()),
                    ..props("array")
                },
            ),
            (
                "extra".to_string(),
                apiext::JsonSchemaProps {
                    additional_properties: Some(Box::new(apiext::JsonSchemaPropsOrBool {
                        allows: Some(true),
                        schema: Some(Box::new(props("string"))),
                    })),
                    ..props("object")
                },
            ),
            (
                "free".to_string(),
                apiext::JsonSchemaProps {
                    x_kubernetes_preserve_unknown_fields: Some(true),
                    ..props("object")
                },
            ),
        ]
        .into(),
        required: vec!["size".into()],
        ..Default::default()
    };
    let crd = apiext::CustomResourceDefinition {
        metadata: Some(go_meta("widgets.example.com")),
        spec: Some(apiext::CustomResourceDefinitionSpec {
            group: Some("example.com".into()),
            names: Some(apiext::CustomResourceDefinitionNames {
                plural: Some("widgets".into()),
                singular: Some("widget".into()),
                kind: Some("Widget".into()),
                list_kind: Some("WidgetList".into()),
                ..Default::default()
            }),
            scope: Some("Namespaced".into()),
            versions: vec![apiext::CustomResourceDefinitionVersion {
                name: Some("v1".into()),
                served: Some(true),
                storage: Some(true),
                schema: Some(apiext::CustomResourceValidation {
                    open_apiv3_schema: Some(apiext::JsonSchemaProps {
                        r#type: Some("object".into()),
                        properties: [("spec".to_string(), spec_schema)].into(),
                        ..Default::default()
                    }),
                }),
                subresources: Some(apiext::CustomResourceSubresources {
                    status: Some(apiext::CustomResourceSubresourceStatus {}),
                    scale: None,
                }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: Some(apiext::CustomResourceDefinitionStatus::default()),
    };
    let r = send_bytes(
        &h,
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", &crd),
        "application/json",
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let schema = &r.body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(
        schema["properties"]["size"],
        json!({"type": "integer", "default": 3, "minimum": 1.0})
    );
    assert_eq!(
        schema["properties"]["tags"],
        json!({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"})
    );
    assert_eq!(
        schema["properties"]["extra"]["additionalProperties"],
        json!({"type": "string"})
    );
    assert_eq!(
        schema["properties"]["free"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    assert_eq!(schema["required"], json!(["size"]));
    assert_eq!(
        r.body["spec"]["versions"][0]["subresources"],
        json!({"status": {}})
    );
    // The CRD works: defaulting from the decoded `default` applies to its objects.
    h.create_ns("crs").await;
    let mut served = false;
    for _ in 0..100 {
        let probe = h
            .req("GET", "/apis/example.com/v1/namespaces/crs/widgets", None)
            .await;
        if probe.code == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "the CRD is served");
    let w = h
        .req(
            "POST",
            "/apis/example.com/v1/namespaces/crs/widgets",
            Some(&json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}})),
        )
        .await;
    assert_eq!(w.code, 201, "{}", w.text);
    assert_eq!(w.body["spec"]["size"], 3);
    // Custom resources accept no protobuf (upstream: 415 listing JSON and YAML only).
    let r = send_bytes(
        &h,
        "POST",
        "/apis/example.com/v1/namespaces/crs/widgets",
        envelope("example.com/v1", "Widget", &core::ConfigMap::default()),
        "application/json",
    )
    .await;
    assert_eq!(r.code, 415, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_deletes_and_bad_bodies() {
    let h = harness().await;
    h.create_ns("ns").await;
    let path = "/api/v1/namespaces/ns/configmaps";
    let cm = |value: &str, rv: &str| core::ConfigMap {
        metadata: Some(meta::ObjectMeta {
            resource_version: Some(rv.into()),
            ..go_meta("c")
        }),
        data: [("k".to_string(), value.to_string())].into(),
        ..Default::default()
    };
    let created = send_bytes(
        &h,
        "POST",
        path,
        envelope("v1", "ConfigMap", &cm("1", "")),
        "application/json",
    )
    .await;
    assert_eq!(created.code, 201, "{}", created.text);
    let rv = created.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    // PUT with protobuf: optimistic concurrency works on the decoded resourceVersion.
    let stale = send_bytes(
        &h,
        "PUT",
        &format!("{path}/c"),
        envelope("v1", "ConfigMap", &cm("2", "1")),
        "application/json",
    )
    .await;
    assert_eq!(stale.code, 409, "{}", stale.text);
    let updated = send_bytes(
        &h,
        "PUT",
        &format!("{path}/c"),
        envelope("v1", "ConfigMap", &cm("2", &rv)),
        "application/json",
    )
    .await;
    assert_eq!(updated.code, 200, "{}", updated.text);
    assert_eq!(updated.body["data"]["k"], "2");

    // DeleteOptions in protobuf: a failed precondition proves the body was read;
    // an explicit zero (gracePeriodSeconds: 0) is kept, not dropped as a Go zero value.
    let options = |rv: &str| meta::DeleteOptions {
        grace_period_seconds: Some(0),
        preconditions: Some(meta::Preconditions {
            uid: None,
            resource_version: Some(rv.into()),
        }),
        ..Default::default()
    };
    let refused = send_bytes(
        &h,
        "DELETE",
        &format!("{path}/c"),
        envelope("meta.k8s.io/v1", "DeleteOptions", &options("1")),
        "application/json",
    )
    .await;
    assert_eq!(refused.code, 409, "{}", refused.text);
    let current = h.req("GET", &format!("{path}/c"), None).await;
    let rv = current.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap();
    let deleted = send_bytes(
        &h,
        "DELETE",
        &format!("{path}/c"),
        envelope("meta.k8s.io/v1", "DeleteOptions", &options(rv)),
        "application/json",
    )
    .await;
    assert_eq!(deleted.code, 200, "{}", deleted.text);
    assert_eq!(h.req("GET", &format!("{path}/c"), None).await.code, 404);

    // A kind that does not belong to the URL, and bodies that are not protobuf.
    let wrong = send_bytes(
        &h,
        "POST",
        path,
        envelope("v1", "Secret", &core::Secret::default()),
        "application/json",
    )
    .await;
    assert_eq!(wrong.code, 400, "{}", wrong.text);
    assert_eq!(
        wrong.body["message"],
        "Secret in version \"v1\" cannot be handled as a ConfigMap: no kind \"Secret\" is registered for version \"v1\""
    );
    let not_protobuf = send_bytes(&h, "POST", path, b"{}".to_vec(), "application/json").await;
    assert_eq!(not_protobuf.code, 400);
    assert_eq!(
        not_protobuf.body["message"],
        "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    );
    let mut truncated = envelope("v1", "ConfigMap", &cm("x", ""));
    truncated.truncate(truncated.len() - 3);
    let r = send_bytes(&h, "POST", path, truncated, "application/json").await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("unexpected end of data"),
        "{}",
        r.text
    );
}
