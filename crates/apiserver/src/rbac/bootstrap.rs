//! The bootstrap RBAC policy kube-apiserver creates at start (facts-errors §5.4),
//! authored from the upstream policy: the cluster roles and bindings every
//! envtest control plane has, with the aggregated `admin`/`edit`/`view` roles
//! left without rules (no aggregation controller runs under envtest).

use serde_json::{json, Value};

use super::index::RBAC_GROUP;

const AUTHENTICATED: &str = "system:authenticated";
const UNAUTHENTICATED: &str = "system:unauthenticated";

fn metadata(name: &str, namespace: Option<&str>, extra_labels: &[(&str, &str)]) -> Value {
    let mut labels = serde_json::Map::new();
    labels.insert("kubernetes.io/bootstrapping".into(), json!("rbac-defaults"));
    for (k, v) in extra_labels {
        labels.insert((*k).into(), json!(v));
    }
    let mut meta = json!({
        "name": name,
        "labels": labels,
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    });
    if let Some(ns) = namespace {
        meta["namespace"] = json!(ns);
    }
    meta
}

fn cluster_role(name: &str, rules: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": metadata(name, None, &[]), "rules": rules})
}

fn aggregated_role(name: &str, selector_label: &str, own_labels: &[(&str, &str)]) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": metadata(name, None, own_labels),
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {selector_label: "true"}}]},
        "rules": null,
    })
}

fn subject(kind: &str, name: &str) -> Value {
    match kind {
        "ServiceAccount" => json!({"kind": kind, "name": name}),
        _ => json!({"kind": kind, "apiGroup": RBAC_GROUP, "name": name}),
    }
}

fn cluster_role_binding(name: &str, subjects: Vec<Value>) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": metadata(name, None, &[]),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name},
        "subjects": subjects,
    })
}

fn get_urls(urls: &[&str]) -> Value {
    json!([{"verbs": ["get"], "nonResourceURLs": urls}])
}

/// The bootstrap objects, in creation order (roles before their bindings).
pub fn policy() -> Vec<Value> {
    let group = |g: &str| subject("Group", g);
    vec![
        cluster_role(
            "cluster-admin",
            json!([
                {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                {"verbs": ["*"], "nonResourceURLs": ["*"]},
            ]),
        ),
        cluster_role(
            "system:discovery",
            get_urls(&[
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ]),
        ),
        cluster_role(
            "system:basic-user",
            json!([
                {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
                {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]},
            ]),
        ),
        cluster_role(
            "system:public-info-viewer",
            get_urls(&["/healthz", "/livez", "/readyz", "/version", "/version/"]),
        ),
        cluster_role(
            "system:monitoring",
            get_urls(&[
                "/healthz",
                "/healthz/*",
                "/livez",
                "/livez/*",
                "/metrics",
                "/metrics/slis",
                "/readyz",
                "/readyz/*",
            ]),
        ),
        cluster_role(
            "system:service-account-issuer-discovery",
            get_urls(&["/.well-known/openid-configuration", "/openid/v1/jwks"]),
        ),
        cluster_role(
            "system:auth-delegator",
            json!([
                {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"]},
                {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"]},
            ]),
        ),
        aggregated_role("admin", "rbac.authorization.k8s.io/aggregate-to-admin", &[]),
        aggregated_role(
            "edit",
            "rbac.authorization.k8s.io/aggregate-to-edit",
            &[("rbac.authorization.k8s.io/aggregate-to-admin", "true")],
        ),
        aggregated_role(
            "view",
            "rbac.authorization.k8s.io/aggregate-to-view",
            &[("rbac.authorization.k8s.io/aggregate-to-edit", "true")],
        ),
        cluster_role_binding("cluster-admin", vec![group("system:masters")]),
        cluster_role_binding("system:discovery", vec![group(AUTHENTICATED)]),
        cluster_role_binding("system:basic-user", vec![group(AUTHENTICATED)]),
        cluster_role_binding(
            "system:public-info-viewer",
            vec![group(AUTHENTICATED), group(UNAUTHENTICATED)],
        ),
        cluster_role_binding("system:monitoring", vec![group("system:monitoring")]),
        cluster_role_binding(
            "system:service-account-issuer-discovery",
            vec![group("system:serviceaccounts")],
        ),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": metadata("extension-apiserver-authentication-reader", Some("kube-system"), &[]),
            "rules": [{"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["extension-apiserver-authentication"]}],
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": metadata("system::extension-apiserver-authentication-reader", Some("kube-system"), &[]),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "extension-apiserver-authentication-reader"},
            "subjects": [subject("User", "system:kube-controller-manager"), subject("User", "system:kube-scheduler")],
        }),
    ]
}
