//! Defaults, strategies and admission of the non-workload built-ins over HTTPS:
//! webhook configurations, RBAC bindings, NetworkPolicy, HPA v2, PVC/PV and
//! StorageClass, Ingress/IngressClass, PDB, Secret, Node, EndpointSlice.

use crate::common::*;
use serde_json::{json, Value};

const ADMISSION: &str = "/apis/admissionregistration.k8s.io/v1";

async fn create(h: &Harness, path: &str, body: Value) -> Value {
    let r = h.req("POST", path, Some(&body)).await;
    assert_eq!(r.code, 201, "{path}: {}", r.text);
    r.body
}

#[tokio::test]
async fn webhook_configurations_are_defaulted_and_versioned_by_generation() {
    let h = harness().await;
    let hook = |name: &str| {
        json!({"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
               "clientConfig": {"service": {"name": "svc", "namespace": "ns", "path": "/hook"}},
               "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]})
    };
    let expected = |name: &str| {
        json!({"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
               "clientConfig": {"service": {"name": "svc", "namespace": "ns", "path": "/hook", "port": 443}},
               "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                          "resources": ["pods"], "scope": "*"}],
               "failurePolicy": "Fail", "matchPolicy": "Equivalent", "namespaceSelector": {},
               "objectSelector": {}, "timeoutSeconds": 10})
    };
    let v = create(
        &h,
        &format!("{ADMISSION}/validatingwebhookconfigurations"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
               "metadata": {"name": "v"}, "webhooks": [hook("v.example.com")]}),
    )
    .await;
    assert_eq!(v["webhooks"], json!([expected("v.example.com")]));
    assert_eq!(v["metadata"]["generation"], 1);
    let m = create(
        &h,
        &format!("{ADMISSION}/mutatingwebhookconfigurations"),
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
               "metadata": {"name": "m"}, "webhooks": [hook("m.example.com")]}),
    )
    .await;
    let mut mutating = expected("m.example.com");
    mutating["reinvocationPolicy"] = json!("Never");
    assert_eq!(m["webhooks"], json!([mutating]));
    // Label changes keep the generation, webhook changes bump it.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{ADMISSION}/mutatingwebhookconfigurations/m"),
            Some(r#"{"metadata":{"labels":{"a":"b"}}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.body["metadata"]["generation"], 1);
    let r = h
        .req_ct(
            "PATCH",
            &format!("{ADMISSION}/mutatingwebhookconfigurations/m"),
            Some(r#"[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":5}]"#.into()),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["metadata"]["generation"], 2);
}

#[tokio::test]
async fn rbac_bindings_default_api_groups_and_keep_their_role() {
    let h = harness().await;
    let rb = create(
        &h,
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
               "roleRef": {"kind": "ClusterRole", "name": "view"},
               "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                            {"kind": "ServiceAccount", "name": "sa", "namespace": "default"}]}),
    )
    .await;
    assert_eq!(
        rb["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"})
    );
    assert_eq!(
        rb["subjects"],
        json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"},
               {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "devs"},
               {"kind": "ServiceAccount", "name": "sa", "namespace": "default"}])
    );
    let r = h
        .req_ct(
            "PATCH",
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/rb",
            Some(r#"{"roleRef":{"name":"edit"}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "RoleBinding.rbac.authorization.k8s.io \"rb\" is invalid: roleRef: Invalid value: {\"APIGroup\":\"rbac.authorization.k8s.io\",\"Kind\":\"ClusterRole\",\"Name\":\"edit\"}: cannot change roleRef"
    );
}

#[tokio::test]
async fn network_policy_and_hpa_defaults() {
    let h = harness().await;
    let np = create(
        &h,
        "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"},
               "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}, {"port": 53, "protocol": "UDP"}]}]}}),
    )
    .await;
    assert_eq!(
        np["spec"],
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
               "egress": [{"ports": [{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]})
    );
    assert_eq!(np["metadata"]["generation"], 1);
    let hpa = create(
        &h,
        "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "maxReplicas": 5, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}}),
    )
    .await;
    assert_eq!(
        hpa["spec"],
        json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
               "minReplicas": 1, "maxReplicas": 5,
               "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80}}}],
               "behavior": {
                   "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                               "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                            {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                   "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                                 "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}})
    );
    assert_eq!(hpa["status"], json!({"desiredReplicas": 0}));
}

#[tokio::test]
async fn claims_are_protected_and_get_the_default_storage_class() {
    let h = harness().await;
    let sc = create(
        &h,
        "/apis/storage.k8s.io/v1/storageclasses",
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
               "provisioner": "example.com/disk"}),
    )
    .await;
    assert_eq!(
        (&sc["reclaimPolicy"], &sc["volumeBindingMode"]),
        (&json!("Delete"), &json!("Immediate"))
    );
    let pvc = create(
        &h,
        "/api/v1/namespaces/default/persistentvolumeclaims",
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}}),
    )
    .await;
    assert_eq!(
        pvc["spec"],
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
               "storageClassName": "standard", "volumeMode": "Filesystem"})
    );
    assert_eq!(
        pvc["metadata"]["finalizers"],
        json!(["kubernetes.io/pvc-protection"])
    );
    assert_eq!(pvc["status"], json!({"phase": "Pending"}));
    // Without a controller to lift the protection, a deleted claim stays Terminating.
    let r = h
        .req(
            "DELETE",
            "/api/v1/namespaces/default/persistentvolumeclaims/data",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    assert!(r.body["metadata"]["deletionTimestamp"].is_string());
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/default/persistentvolumeclaims/data",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    let pv = create(
        &h,
        "/api/v1/persistentvolumes",
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/x"}}}),
    )
    .await;
    assert_eq!(
        pv["spec"],
        json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/x", "type": ""},
               "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"})
    );
    assert_eq!(
        pv["metadata"]["finalizers"],
        json!(["kubernetes.io/pv-protection"])
    );
    assert_eq!(pv["status"], json!({"phase": "Pending"}));
}

#[tokio::test]
async fn ingress_pdb_node_and_endpoint_slice() {
    let h = harness().await;
    let class = create(
        &h,
        "/apis/networking.k8s.io/v1/ingressclasses",
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
               "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
               "spec": {"controller": "example.com/ingress", "parameters": {"apiGroup": "example.com", "kind": "P", "name": "p"}}}),
    )
    .await;
    assert_eq!(class["spec"]["parameters"]["scope"], "Cluster");
    assert_eq!(class["metadata"]["generation"], 1);
    let ing = create(
        &h,
        "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
               "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}),
    )
    .await;
    assert_eq!(ing["spec"]["ingressClassName"], "nginx");
    assert_eq!(ing["status"], json!({"loadBalancer": {}}));
    assert_eq!(ing["metadata"]["generation"], 1);
    let pdb = create(
        &h,
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
               "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
    )
    .await;
    assert_eq!(
        pdb["status"],
        json!({"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0})
    );
    let node = create(
        &h,
        "/api/v1/nodes",
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
               "status": {"capacity": {"cpu": "4", "memory": "8Gi"}}}),
    )
    .await;
    assert_eq!(
        node["spec"]["taints"],
        json!([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])
    );
    assert_eq!(
        node["status"]["allocatable"],
        json!({"cpu": "4", "memory": "8Gi"})
    );
    let slice = create(
        &h,
        "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "s"},
               "addressType": "IPv4", "endpoints": [{"addresses": ["10.1.2.3"]}], "ports": [{"port": 8080}]}),
    )
    .await;
    assert_eq!(
        slice["ports"],
        json!([{"port": 8080, "name": "", "protocol": "TCP"}])
    );
    assert_eq!(slice["metadata"]["generation"], 1);
    let r = h
        .req_ct(
            "PATCH",
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/s",
            Some(r#"{"metadata":{"labels":{"kubernetes.io/service-name":"web"}}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "label changes count for slices"
    );
    // The kubernetes Service's endpoints, when the host has an address to advertise.
    let ep = h
        .req(
            "GET",
            "/api/v1/namespaces/default/endpoints/kubernetes",
            None,
        )
        .await;
    let es = h
        .req(
            "GET",
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes",
            None,
        )
        .await;
    assert_eq!(ep.code, es.code, "both or neither");
    if ep.code == 200 {
        let port = h.server.local_addr().port();
        let ip = ep.body["subsets"][0]["addresses"][0]["ip"].clone();
        assert_eq!(
            ep.body["subsets"][0]["ports"],
            json!([{"name": "https", "port": port, "protocol": "TCP"}])
        );
        assert_eq!(
            ep.body["metadata"]["labels"],
            json!({"endpointslice.kubernetes.io/skip-mirror": "true"})
        );
        assert_eq!(
            es.body["endpoints"],
            json!([{"addresses": [ip], "conditions": {"ready": true}}])
        );
        assert_eq!(
            es.body["metadata"]["labels"],
            json!({"kubernetes.io/service-name": "kubernetes"})
        );
    }
}

#[tokio::test]
async fn secrets_fold_string_data_and_respect_immutability() {
    let h = harness().await;
    let s = create(
        &h,
        "/api/v1/namespaces/default/secrets",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"user": "admin"},
               "immutable": true}),
    )
    .await;
    assert_eq!(s["type"], "Opaque");
    assert_eq!(s["data"], json!({"user": "YWRtaW4="}));
    assert!(s.get("stringData").is_none());
    assert_eq!(
        s["metadata"]["managedFields"][0]["fieldsV1"]["f:data"],
        json!({".": {}, "f:user": {}}),
        "the creator owns data, not stringData"
    );
    let r = h
        .req_ct(
            "PATCH",
            "/api/v1/namespaces/default/secrets/s",
            Some(r#"{"stringData":{"user":"root"}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
    );
    let r = h
        .req_ct(
            "PATCH",
            "/api/v1/namespaces/default/secrets/s",
            Some(r#"{"type":"kubernetes.io/tls"}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/tls\": field is immutable"
    );
}

#[tokio::test]
async fn typed_round_trip_fields_and_conversions() {
    let h = harness().await;
    let role = create(
        &h,
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "empty"}}),
    )
    .await;
    assert_eq!(
        role.get("rules"),
        Some(&Value::Null),
        "rules has no omitempty"
    );
    let lease = create(
        &h,
        "/apis/coordination.k8s.io/v1/namespaces/default/leases",
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}}),
    )
    .await;
    assert_eq!(lease["spec"], json!({}));
    let event = create(
        &h,
        "/api/v1/namespaces/default/events",
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "reason": "Started",
               "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"}}),
    )
    .await;
    assert_eq!(
        (
            &event["source"],
            &event["reportingComponent"],
            &event["reportingInstance"],
            &event["eventTime"],
            &event["firstTimestamp"]
        ),
        (
            &json!({}),
            &json!(""),
            &json!(""),
            &Value::Null,
            &Value::Null
        )
    );
    // The deprecated serviceAccount mirrors serviceAccountName, both ways.
    let pod = create(
        &h,
        "/api/v1/namespaces/default/pods",
        json!({"metadata": {"name": "p"}, "spec": {"serviceAccountName": "bot",
               "containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .await;
    assert_eq!(
        (
            &pod["spec"]["serviceAccountName"],
            &pod["spec"]["serviceAccount"]
        ),
        (&json!("bot"), &json!("bot"))
    );
    let old_style = create(
        &h,
        "/api/v1/namespaces/default/pods",
        json!({"metadata": {"name": "q"}, "spec": {"serviceAccount": "legacy",
               "containers": [{"name": "c", "image": "busybox"}]}}),
    )
    .await;
    assert_eq!(old_style["spec"]["serviceAccountName"], "legacy");
}
