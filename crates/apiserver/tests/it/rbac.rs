//! RBAC authorization against stored roles and bindings (facts-errors §1.5, §5).

use crate::common::{client, harness, send, Harness};
use klite_apiserver::{ServerOptions, TokenUser};
use serde_json::{json, Value};

async fn as_user(
    h: &Harness,
    user: &str,
    groups: &[&str],
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> crate::common::Resp {
    let creds = h
        .server
        .issue_client_cert(user, groups)
        .expect("issue cert");
    let c = client(&h.server, Some(&creds));
    send(
        &c,
        &h.base,
        method,
        path,
        body.map(|b| b.to_string()),
        "application/json",
    )
    .await
}

async fn admin_create(h: &Harness, path: &str, obj: Value) {
    let r = h.req("POST", path, Some(&obj)).await;
    assert_eq!(r.code, 201, "{path}: {}", r.text);
}

fn role(kind: &str, name: &str, ns: Option<&str>, rules: Value) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules})
}

fn binding(
    kind: &str,
    name: &str,
    ns: Option<&str>,
    role_kind: &str,
    role_name: &str,
    subjects: Value,
) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": subjects,
    })
}

const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

#[tokio::test]
async fn denials_have_the_upstream_forbidden_bodies() {
    let h = harness().await;
    let r = as_user(
        &h,
        "bob",
        &[],
        "GET",
        "/api/v1/namespaces/default/configmaps",
        None,
    )
    .await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff")
    );
    assert_eq!(
        r.body,
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
            "message":"configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"",
            "reason":"Forbidden","details":{"kind":"configmaps"},"code":403})
    );
    let r = as_user(&h, "bob", &[], "GET", "/apis/apps/v1/deployments", None).await;
    assert_eq!(
        r.body["message"],
        "deployments.apps is forbidden: User \"bob\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope"
    );
    let r = as_user(
        &h,
        "bob",
        &[],
        "PUT",
        "/api/v1/namespaces/default/pods/p/status",
        Some(&json!({})),
    )
    .await;
    assert_eq!(
        r.body["message"],
        "pods \"p\" is forbidden: User \"bob\" cannot update resource \"pods/status\" in API group \"\" in the namespace \"default\""
    );
    assert_eq!(r.body["details"], json!({"name": "p", "kind": "pods"}));

    // Anonymous: public info only; discovery needs authentication (bootstrap policy).
    let anonymous = client(&h.server, None);
    let r = send(&anonymous, &h.base, "GET", "/api", None, "").await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "forbidden: User \"system:anonymous\" cannot get path \"/api\""
    );
    assert_eq!(r.body["details"], json!({}));
    assert_eq!(
        send(&anonymous, &h.base, "GET", "/healthz", None, "")
            .await
            .code,
        200
    );
    assert_eq!(
        send(&anonymous, &h.base, "GET", "/version", None, "")
            .await
            .code,
        200
    );
    // Any authenticated user may discover.
    for path in ["/api", "/apis", "/api/v1", "/apis/apps/v1", "/version"] {
        assert_eq!(
            as_user(&h, "bob", &[], "GET", path, None).await.code,
            200,
            "{path}"
        );
    }
    let r = as_user(&h, "bob", &[], "GET", "/metrics", None).await;
    assert_eq!(r.code, 403, "{}", r.text);
}

#[tokio::test]
async fn roles_and_bindings_grant_exactly_their_rules() {
    let h = harness().await;
    h.create_ns("team").await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/roles"),
        role("Role", "cm-reader", Some("default"), json!([
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"]},
            {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["visible"]},
        ])),
    )
    .await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "alice-reads",
            Some("default"),
            "Role",
            "cm-reader",
            json!([{"kind": "User", "name": "alice"}]),
        ),
    )
    .await;
    let get = |path: &'static str| as_user(&h, "alice", &[], "GET", path, None);
    assert_eq!(get("/api/v1/namespaces/default/configmaps").await.code, 200);
    assert_eq!(
        get("/api/v1/namespaces/team/configmaps").await.code,
        403,
        "a RoleBinding is namespace-local"
    );
    assert_eq!(
        get("/api/v1/configmaps").await.code,
        403,
        "all-namespaces list needs cluster scope"
    );
    assert_eq!(
        get("/api/v1/namespaces/default/secrets/visible").await.code,
        404,
        "allowed, then not found"
    );
    assert_eq!(
        get("/api/v1/namespaces/default/secrets/hidden").await.code,
        403
    );
    assert_eq!(
        get("/api/v1/namespaces/default/secrets").await.code,
        403,
        "resourceNames never match a list"
    );
    let r = as_user(
        &h,
        "alice",
        &[],
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&crate::common::cm("x", json!({}))),
    )
    .await;
    assert_eq!(r.code, 403);

    // A ClusterRole bound to a group by a RoleBinding applies in that namespace only;
    // by a ClusterRoleBinding everywhere.
    admin_create(
        &h,
        &format!("{RBAC}/clusterroles"),
        role("ClusterRole", "deploy-watcher", None, json!([{"verbs": ["list", "watch"], "apiGroups": ["apps"], "resources": ["deployments", "*/scale"]}])),
    )
    .await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/team/rolebindings"),
        binding(
            "RoleBinding",
            "devs",
            Some("team"),
            "ClusterRole",
            "deploy-watcher",
            json!([{"kind": "Group", "name": "devs"}]),
        ),
    )
    .await;
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["devs"],
            "GET",
            "/apis/apps/v1/namespaces/team/deployments",
            None
        )
        .await
        .code,
        200
    );
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["devs"],
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
            None
        )
        .await
        .code,
        403
    );
    admin_create(
        &h,
        &format!("{RBAC}/clusterrolebindings"),
        binding(
            "ClusterRoleBinding",
            "devs-everywhere",
            None,
            "ClusterRole",
            "deploy-watcher",
            json!([{"kind": "Group", "name": "devs"}]),
        ),
    )
    .await;
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["devs"],
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
            None
        )
        .await
        .code,
        200
    );
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["devs"],
            "GET",
            "/apis/apps/v1/deployments",
            None
        )
        .await
        .code,
        200
    );
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["other"],
            "GET",
            "/apis/apps/v1/deployments",
            None
        )
        .await
        .code,
        403
    );

    // Removing the binding takes the permission away at once.
    let r = h
        .req(
            "DELETE",
            &format!("{RBAC}/clusterrolebindings/devs-everywhere"),
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        as_user(
            &h,
            "carol",
            &["devs"],
            "GET",
            "/apis/apps/v1/deployments",
            None
        )
        .await
        .code,
        403
    );
}

#[tokio::test]
async fn missing_roles_are_reported_in_the_denial() {
    let h = harness().await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "dangling",
            Some("default"),
            "Role",
            "missing",
            json!([{"kind": "User", "name": "dave"}]),
        ),
    )
    .await;
    let r = as_user(
        &h,
        "dave",
        &[],
        "GET",
        "/api/v1/namespaces/default/pods",
        None,
    )
    .await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "pods is forbidden: User \"dave\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\": RBAC: role.rbac.authorization.k8s.io \"missing\" not found"
    );
}

#[tokio::test]
async fn service_account_subjects_match_service_account_users() {
    let options = ServerOptions {
        tokens: vec![TokenUser {
            token: "sa-token".into(),
            user: "system:serviceaccount:default:builder".into(),
            uid: String::new(),
            groups: vec![
                "system:serviceaccounts".into(),
                "system:serviceaccounts:default".into(),
            ],
        }],
        ..Default::default()
    };
    let h = crate::common::harness_with(options).await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/roles"),
        role("Role", "lease-editor", Some("default"), json!([{"verbs": ["*"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]}])),
    )
    .await;
    // The subject's namespace defaults to the binding's.
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "builder",
            Some("default"),
            "Role",
            "lease-editor",
            json!([{"kind": "ServiceAccount", "name": "builder"}]),
        ),
    )
    .await;
    let anonymous = client(&h.server, None);
    let get = |path: String| {
        let c = anonymous.clone();
        let base = h.base.clone();
        async move {
            let resp = c
                .get(format!("{base}{path}"))
                .bearer_auth("sa-token")
                .send()
                .await
                .expect("request");
            resp.status().as_u16()
        }
    };
    assert_eq!(
        get("/apis/coordination.k8s.io/v1/namespaces/default/leases".into()).await,
        200
    );
    assert_eq!(
        get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases".into()).await,
        403
    );
}

#[tokio::test]
async fn bootstrap_policy_is_present_with_upstream_bindings() {
    let h = harness().await;
    let r = h
        .req("GET", &format!("{RBAC}/clusterroles/cluster-admin"), None)
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(
        r.body["metadata"]["labels"]["kubernetes.io/bootstrapping"],
        "rbac-defaults"
    );
    assert_eq!(
        r.body["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"],
        "true"
    );
    let r = h
        .req(
            "GET",
            &format!("{RBAC}/clusterrolebindings/system:basic-user"),
            None,
        )
        .await;
    assert_eq!(
        r.body["subjects"],
        json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}])
    );
    // No aggregation controller under envtest: admin/edit/view grant nothing.
    let r = h
        .req("GET", &format!("{RBAC}/clusterroles/edit"), None)
        .await;
    assert_eq!(r.code, 200);
    assert!(r.body.get("rules").is_none_or(Value::is_null), "{}", r.text);
    assert!(r.body["aggregationRule"]["clusterRoleSelectors"].is_array());
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "erin-edit",
            Some("default"),
            "ClusterRole",
            "edit",
            json!([{"kind": "User", "name": "erin"}]),
        ),
    )
    .await;
    assert_eq!(
        as_user(
            &h,
            "erin",
            &[],
            "GET",
            "/api/v1/namespaces/default/configmaps",
            None
        )
        .await
        .code,
        403
    );
    // system:masters via any user name.
    assert_eq!(
        as_user(
            &h,
            "root",
            &["system:masters"],
            "GET",
            "/api/v1/secrets",
            None
        )
        .await
        .code,
        200
    );
}

#[tokio::test]
async fn escalation_is_prevented_unless_escalate_or_bind_is_granted() {
    let h = harness().await;
    // frank may manage roles and bindings in default, and read configmaps there.
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/roles"),
        role("Role", "rbac-manager", Some("default"), json!([
            {"verbs": ["create", "update", "get"], "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"]},
            {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["configmaps"]},
        ])),
    )
    .await;
    admin_create(
        &h,
        &format!("{RBAC}/namespaces/default/rolebindings"),
        binding(
            "RoleBinding",
            "frank",
            Some("default"),
            "Role",
            "rbac-manager",
            json!([{"kind": "User", "name": "frank"}]),
        ),
    )
    .await;
    let roles = format!("{RBAC}/namespaces/default/roles");
    // Granting what he holds is fine.
    let held = role(
        "Role",
        "cm-get",
        Some("default"),
        json!([{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"]}]),
    );
    let r = as_user(&h, "frank", &["qa"], "POST", &roles, Some(&held)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    // Granting more is not.
    let more = role(
        "Role",
        "pods",
        Some("default"),
        json!([{"verbs": ["get", "delete"], "apiGroups": [""], "resources": ["pods"]}]),
    );
    let r = as_user(&h, "frank", &["qa"], "POST", &roles, Some(&more)).await;
    assert_eq!(r.code, 403, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "roles.rbac.authorization.k8s.io \"pods\" is forbidden: user \"frank\" (groups=[\"qa\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\" \"delete\"]}"
    );
    assert_eq!(r.body["reason"], "Forbidden");
    assert_eq!(
        r.body["details"],
        json!({"name": "pods", "group": "rbac.authorization.k8s.io", "kind": "roles"})
    );
    // Binding a role whose rules he lacks is refused; binding one he holds is fine.
    let bindings = format!("{RBAC}/namespaces/default/rolebindings");
    let to_admin = binding(
        "RoleBinding",
        "grab",
        Some("default"),
        "ClusterRole",
        "cluster-admin",
        json!([{"kind": "User", "name": "frank"}]),
    );
    let r = as_user(&h, "frank", &[], "POST", &bindings, Some(&to_admin)).await;
    assert_eq!(r.code, 403, "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().starts_with(
        "rolebindings.rbac.authorization.k8s.io \"grab\" is forbidden: user \"frank\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
    ));
    let ok = binding(
        "RoleBinding",
        "share",
        Some("default"),
        "Role",
        "cm-get",
        json!([{"kind": "User", "name": "gina"}]),
    );
    assert_eq!(
        as_user(&h, "frank", &[], "POST", &bindings, Some(&ok))
            .await
            .code,
        201
    );
    // With `escalate` on roles, anything goes.
    admin_create(
        &h,
        &roles,
        role("Role", "escalator", Some("default"), json!([{"verbs": ["escalate"], "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"]}])),
    )
    .await;
    admin_create(
        &h,
        &bindings,
        binding(
            "RoleBinding",
            "frank-escalates",
            Some("default"),
            "Role",
            "escalator",
            json!([{"kind": "User", "name": "frank"}]),
        ),
    )
    .await;
    let r = as_user(&h, "frank", &[], "POST", &roles, Some(&more)).await;
    assert_eq!(r.code, 201, "{}", r.text);
}
