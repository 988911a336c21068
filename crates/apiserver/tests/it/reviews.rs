//! Review APIs: SelfSubjectAccessReview, SubjectAccessReview,
//! LocalSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview (facts-errors §5.5).

use crate::common::{client, harness, send, Harness};
use serde_json::{json, Value};

const AUTHZ: &str = "/apis/authorization.k8s.io/v1";

async fn post_as(
    h: &Harness,
    user: Option<(&str, &[&str])>,
    path: &str,
    body: Value,
) -> crate::common::Resp {
    match user {
        None => h.req("POST", path, Some(&body)).await,
        Some((name, groups)) => {
            let creds = h.server.issue_client_cert(name, groups).expect("cert");
            send(
                &client(&h.server, Some(&creds)),
                &h.base,
                "POST",
                path,
                Some(body.to_string()),
                "application/json",
            )
            .await
        }
    }
}

fn ssar(attrs: Value) -> Value {
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {"creationTimestamp": null}, "spec": attrs})
}

#[tokio::test]
async fn self_subject_access_reviews_answer_for_the_caller() {
    let h = harness().await;
    let list_secrets = json!({"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "secrets"}});
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(list_secrets.clone()),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["kind"], "SelfSubjectAccessReview");
    assert_eq!(r.body["apiVersion"], "authorization.k8s.io/v1");
    assert_eq!(r.body["spec"], list_secrets);
    assert_eq!(
        r.body["status"],
        json!({"allowed": true}),
        "system:masters: empty reason"
    );

    let r = post_as(
        &h,
        Some(("bob", &[])),
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(list_secrets.clone()),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"], json!({"allowed": false}));

    let r = h
        .req(
            "POST",
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            Some(&json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "bob-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "User", "name": "bob"}]})),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = post_as(
        &h,
        Some(("bob", &[])),
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(list_secrets),
    )
    .await;
    assert_eq!(
        r.body["status"],
        json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"bob-admin\" of ClusterRole \"cluster-admin\" to User \"bob\""})
    );

    // Non-resource attributes.
    let r = post_as(
        &h,
        Some(("eve", &[])),
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(json!({"nonResourceAttributes": {"path": "/apis", "verb": "get"}})),
    )
    .await;
    assert_eq!(
        r.body["status"],
        json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\""})
    );
    let r = post_as(
        &h,
        Some(("eve", &[])),
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(json!({"nonResourceAttributes": {"path": "/metrics", "verb": "get"}})),
    )
    .await;
    assert_eq!(r.body["status"], json!({"allowed": false}));
}

#[tokio::test]
async fn review_validation_errors_are_upstream_invalids() {
    let h = harness().await;
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(json!({})),
    )
    .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified"
    );
    let both = json!({"resourceAttributes": {"verb": "get", "resource": "pods"}, "nonResourceAttributes": {"path": "/x", "verb": "get"}});
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/selfsubjectaccessreviews"),
        ssar(both),
    )
    .await;
    assert_eq!(r.code, 422);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .ends_with("cannot be specified in combination with resourceAttributes"),
        "{}",
        r.text
    );
    let sar = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}});
    let r = post_as(&h, None, &format!("{AUTHZ}/subjectaccessreviews"), sar).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "SubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.user: Invalid value: \"\": at least one of user or group must be specified"
    );
    // Only create exists.
    assert_eq!(
        h.req("GET", &format!("{AUTHZ}/selfsubjectaccessreviews"), None)
            .await
            .code,
        405
    );
}

#[tokio::test]
async fn subject_access_reviews_use_the_given_user_and_groups_as_is() {
    let h = harness().await;
    let sar = |user: &str, groups: Value| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "nonResourceAttributes": {"path": "/api", "verb": "get"}}})
    };
    // No implicit system:authenticated: discovery is not granted.
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/subjectaccessreviews"),
        sar("zed", json!([])),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"]["allowed"], false);
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/subjectaccessreviews"),
        sar("zed", json!(["system:authenticated"])),
    )
    .await;
    assert_eq!(r.body["status"]["allowed"], true);
    // An unprivileged caller may not ask.
    let r = post_as(
        &h,
        Some(("bob", &[])),
        &format!("{AUTHZ}/subjectaccessreviews"),
        sar("zed", json!([])),
    )
    .await;
    assert_eq!(r.code, 403);
    // Local reviews must name their own namespace.
    let local = |ns: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview", "metadata": {"namespace": "default"},
            "spec": {"user": "zed", "resourceAttributes": {"namespace": ns, "verb": "get", "resource": "pods"}}})
    };
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/namespaces/default/localsubjectaccessreviews"),
        local("default"),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"]["allowed"], false);
    let r = post_as(
        &h,
        None,
        &format!("{AUTHZ}/namespaces/default/localsubjectaccessreviews"),
        local("other"),
    )
    .await;
    assert_eq!(r.code, 422, "{}", r.text);
}

#[tokio::test]
async fn rules_review_and_self_subject_review_describe_the_caller() {
    let h = harness().await;
    let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "default"}});
    let r = post_as(
        &h,
        Some(("bob", &["devs"])),
        &format!("{AUTHZ}/selfsubjectrulesreviews"),
        body,
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"]["incomplete"], false);
    let resource_rules = r.body["status"]["resourceRules"].as_array().unwrap();
    assert!(resource_rules.contains(&json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]})));
    let non_resource = r.body["status"]["nonResourceRules"].as_array().unwrap();
    assert!(non_resource.iter().any(|rule| rule["nonResourceURLs"]
        .as_array()
        .unwrap()
        .contains(&json!("/apis/*"))));

    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let r = post_as(
        &h,
        None,
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        review.clone(),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let info = &r.body["status"]["userInfo"];
    assert_eq!(info["username"], "admin");
    assert_eq!(
        info["groups"],
        json!(["system:masters", "system:authenticated"])
    );
    assert!(
        info["extra"]["authentication.kubernetes.io/credential-id"][0]
            .as_str()
            .unwrap()
            .starts_with("X509SHA256=")
    );
    assert!(r.body["metadata"]["creationTimestamp"].is_string());
    let r = post_as(
        &h,
        Some(("bob", &["devs"])),
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        review,
    )
    .await;
    assert_eq!(
        r.body["status"]["userInfo"]["groups"],
        json!(["devs", "system:authenticated"])
    );

    // Discovery lists the review resources as create-only.
    let r = h.req("GET", AUTHZ, None).await;
    let names: Vec<&str> = r.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "localsubjectaccessreviews",
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews",
            "subjectaccessreviews"
        ]
    );
    assert_eq!(r.body["resources"][1]["verbs"], json!(["create"]));
}

#[tokio::test]
async fn review_resources_have_no_storage_version_hash_in_discovery() {
    let h = harness().await;
    for gv in [
        "/apis/authorization.k8s.io/v1",
        "/apis/authentication.k8s.io/v1",
    ] {
        let r = h.req("GET", gv, None).await;
        assert_eq!(r.code, 200);
        let resources = r.body["resources"].as_array().unwrap();
        assert!(!resources.is_empty());
        for resource in resources {
            assert_eq!(resource["verbs"], serde_json::json!(["create"]));
            assert!(
                resource.get("storageVersionHash").is_none(),
                "storage-less {resource}"
            );
        }
    }
    // Stored kinds keep theirs.
    let r = h
        .req("GET", "/apis/rbac.authorization.k8s.io/v1", None)
        .await;
    assert!(r.body["resources"][0]["storageVersionHash"].is_string());
}
