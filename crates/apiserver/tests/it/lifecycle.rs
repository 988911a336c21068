//! Deletion, finalizers, namespaces, status subresource, generation, dry-run.

use crate::common::*;
use serde_json::json;

fn deploy(name: &str) -> serde_json::Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name},
           "spec":{"replicas":2,"selector":{"matchLabels":{"app":name}},
                   "template":{"metadata":{"labels":{"app":name}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})
}

#[tokio::test]
async fn finalizers_defer_deletion_until_removed() {
    let h = harness().await;
    let mut obj = cm("f", json!({}));
    obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
    h.req("POST", "/api/v1/namespaces/default/configmaps", Some(&obj))
        .await;
    let mut w = WatchStream::open(
        &h,
        "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Df",
    )
    .await;
    assert_eq!(w.next_pair().await.0, "ADDED");
    let r = h
        .req("DELETE", "/api/v1/namespaces/default/configmaps/f", None)
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(
        r.body["kind"], "ConfigMap",
        "deferred delete returns the object"
    );
    assert!(r.body["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(r.body["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(w.next_pair().await.0, "MODIFIED");
    let r = h
        .req("DELETE", "/api/v1/namespaces/default/configmaps/f", None)
        .await;
    assert_eq!(
        (r.code, r.body["kind"].as_str()),
        (200, Some("ConfigMap")),
        "repeat delete: current object"
    );
    let mut upd = r.body.clone();
    upd["metadata"]["finalizers"] = json!(["example.com/hold", "example.com/new"]);
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/f", Some(&upd))
        .await;
    assert_eq!(r.code, 422, "no new finalizers while deleting: {}", r.text);
    let mut upd = h
        .req("GET", "/api/v1/namespaces/default/configmaps/f", None)
        .await
        .body;
    upd["metadata"]["finalizers"] = json!([]);
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/f", Some(&upd))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(w.next_pair().await, ("DELETED".into(), "f".into()));
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/default/configmaps/f", None)
            .await
            .code,
        404
    );
}

#[tokio::test]
async fn propagation_policies_add_gc_finalizers_and_preconditions_conflict() {
    let h = harness().await;
    h.req(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        Some(&deploy("d")),
    )
    .await;
    let r = h
        .req(
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments/d",
            Some(&json!({"preconditions":{"uid":"nope"}})),
        )
        .await;
    assert_eq!(r.code, 409);
    assert!(r.body["message"].as_str().unwrap().starts_with("Operation cannot be fulfilled on Deployment.apps \"d\": the UID in the precondition (nope) does not match the UID in record"));
    let r = h
        .req(
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments/d?propagationPolicy=Foreground",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(
        r.body["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "generation bumped on deletion mark"
    );
    let r = h
        .req(
            "DELETE",
            "/apis/apps/v1/namespaces/default/deployments/x?propagationPolicy=Bogus",
            None,
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Bogus\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
}

#[tokio::test]
async fn namespace_deletion_leaves_it_terminating_and_blocks_creates() {
    let h = harness().await;
    h.create_ns("doomed").await;
    h.req(
        "POST",
        "/api/v1/namespaces/doomed/configmaps",
        Some(&cm("keep", json!({}))),
    )
    .await;
    let r = h.req("DELETE", "/api/v1/namespaces/doomed", None).await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["kind"], "Namespace");
    assert_eq!(r.body["status"]["phase"], "Terminating");
    assert!(r.body["metadata"]
        .get("deletionGracePeriodSeconds")
        .is_none());
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/doomed/configmaps",
            Some(&cm("new", json!({}))),
        )
        .await;
    assert_eq!(r.code, 403);
    assert_eq!(r.body["message"], "configmaps \"new\" is forbidden: unable to create new content in namespace doomed because it is being terminated");
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "NamespaceTerminating"
    );
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/doomed/configmaps/keep", None)
            .await
            .code,
        200,
        "contents remain"
    );
    let r = h.req("DELETE", "/api/v1/namespaces/default", None).await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
    let mut ns = h.req("GET", "/api/v1/namespaces/doomed", None).await.body;
    ns["spec"]["finalizers"] = json!([]);
    let r = h
        .req("PUT", "/api/v1/namespaces/doomed/finalize", Some(&ns))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/doomed", None).await.code,
        404,
        "finalize with no finalizers removes it"
    );
}

#[tokio::test]
async fn status_subresource_and_generation_rules() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            Some(&deploy("g")),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["metadata"]["generation"], 1);
    let mut d = r.body.clone();
    d["status"] = json!({"replicas": 5});
    d["metadata"]["labels"] = json!({"x": "y"});
    let r = h
        .req(
            "PUT",
            "/apis/apps/v1/namespaces/default/deployments/g",
            Some(&d),
        )
        .await;
    assert_eq!(r.body["status"], json!({}), "main endpoint ignores status");
    assert_eq!(
        r.body["metadata"]["generation"], 1,
        "labels alone do not bump generation"
    );
    let mut d = r.body.clone();
    d["spec"]["replicas"] = json!(3);
    d["status"] = json!({"replicas": 3});
    let r = h
        .req(
            "PUT",
            "/apis/apps/v1/namespaces/default/deployments/g/status",
            Some(&d),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["status"]["replicas"], 3);
    assert_eq!(r.body["spec"]["replicas"], 2, "/status ignores spec");
    assert_eq!(r.body["metadata"]["generation"], 1);
    let mut d = r.body.clone();
    d["spec"]["replicas"] = json!(4);
    let r = h
        .req(
            "PUT",
            "/apis/apps/v1/namespaces/default/deployments/g",
            Some(&d),
        )
        .await;
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "spec change bumps generation"
    );
    let r = h
        .req(
            "GET",
            "/apis/apps/v1/namespaces/default/deployments/g/scale",
            None,
        )
        .await;
    assert_eq!(r.body["kind"], "Scale");
    assert_eq!(r.body["spec"]["replicas"], 4);
    assert_eq!(r.body["status"]["selector"], "app=g");
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let h = harness().await;
    let before = h.server.revision();
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps?dryRun=All",
            Some(&cm("dry", json!({}))),
        )
        .await;
    assert_eq!(r.code, 201);
    assert!(r.body["metadata"].get("resourceVersion").is_none());
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/default/configmaps/dry", None)
            .await
            .code,
        404
    );
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("real", json!({}))),
    )
    .await;
    let after_create = h.server.revision();
    assert_eq!(after_create, before + 1);
    let r = h
        .req(
            "DELETE",
            "/api/v1/namespaces/default/configmaps/real?dryRun=All",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/default/configmaps/real", None)
            .await
            .code,
        200
    );
    assert_eq!(h.server.revision(), after_create);
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps?dryRun=Some",
            Some(&cm("x", json!({}))),
        )
        .await;
    assert_eq!(r.code, 422);
}

#[tokio::test]
async fn delete_collection_returns_the_matched_list() {
    let h = harness().await;
    h.create_ns("dc").await;
    for (n, l) in [("a", "x"), ("b", "x"), ("c", "y")] {
        h.req(
            "POST",
            "/api/v1/namespaces/dc/configmaps",
            Some(&cm(n, json!({"l": l}))),
        )
        .await;
    }
    let r = h
        .req(
            "DELETE",
            "/api/v1/namespaces/dc/configmaps?labelSelector=l%3Dx",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["kind"], "ConfigMapList");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let r = h.req("GET", "/api/v1/namespaces/dc/configmaps", None).await;
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["c"]);
}

#[tokio::test]
async fn noop_update_does_not_bump_resource_version() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm("same", json!({}))),
        )
        .await;
    let rv = r.body["metadata"]["resourceVersion"].clone();
    let r = h
        .req(
            "PUT",
            "/api/v1/namespaces/default/configmaps/same",
            Some(&r.body),
        )
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["metadata"]["resourceVersion"], rv);
}

#[tokio::test]
async fn immutable_configmap_rejects_data_changes() {
    let h = harness().await;
    let mut obj = cm("imm", json!({}));
    obj["immutable"] = json!(true);
    let r = h
        .req("POST", "/api/v1/namespaces/default/configmaps", Some(&obj))
        .await;
    let mut upd = r.body.clone();
    upd["data"]["k"] = json!("changed");
    let r = h
        .req(
            "PUT",
            "/api/v1/namespaces/default/configmaps/imm",
            Some(&upd),
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "ConfigMap \"imm\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
    );
}

fn pod(name: &str, node: Option<&str>) -> serde_json::Value {
    let mut p = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name},
                       "spec":{"containers":[{"name":"c","image":"nginx"}]}});
    if let Some(n) = node {
        p["spec"]["nodeName"] = json!(n);
    }
    p
}

#[tokio::test]
async fn pod_deletion_honours_grace_periods_without_a_kubelet() {
    let h = harness().await;
    let pods = "/api/v1/namespaces/default/pods";
    // Never scheduled: grace is forced to 0, the pod goes at once and the body is the pod.
    assert_eq!(
        h.req("POST", pods, Some(&pod("unscheduled", None)))
            .await
            .code,
        201
    );
    let r = h.req("DELETE", &format!("{pods}/unscheduled"), None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["kind"], "Pod", "pods return the deleted object");
    assert_eq!(
        h.req("GET", &format!("{pods}/unscheduled"), None)
            .await
            .code,
        404
    );

    // Bound to a node: the default 30 s grace marks it and it stays (no kubelet finishes it).
    let r = h.req("POST", pods, Some(&pod("bound", Some("n1")))).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["metadata"]["generation"], 1);
    let r = h.req("DELETE", &format!("{pods}/bound"), None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["kind"], "Pod");
    assert_eq!(r.body["metadata"]["deletionGracePeriodSeconds"], 30);
    assert_eq!(
        r.body["metadata"]["generation"], 2,
        "graceful delete bumps generation"
    );
    let marked = r.body["metadata"]["deletionTimestamp"]
        .as_str()
        .expect("deletionTimestamp")
        .to_string();
    let created = r.body["metadata"]["creationTimestamp"].as_str().unwrap();
    assert!(
        marked.as_str() > created,
        "deletionTimestamp is now + grace"
    );
    let r = h.req("GET", &format!("{pods}/bound"), None).await;
    assert_eq!(r.code, 200, "still there while the grace period runs");
    // A shorter grace shortens it; 0 removes the pod.
    let r = h
        .req(
            "DELETE",
            &format!("{pods}/bound?gracePeriodSeconds=5"),
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["metadata"]["deletionGracePeriodSeconds"], 5);
    assert!(r.body["metadata"]["deletionTimestamp"].as_str().unwrap() < marked.as_str());
    let r = h
        .req(
            "DELETE",
            &format!("{pods}/bound?gracePeriodSeconds=0"),
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(h.req("GET", &format!("{pods}/bound"), None).await.code, 404);
}

#[tokio::test]
async fn object_metadata_is_validated_on_every_write() {
    let h = harness().await;
    let cms = "/api/v1/namespaces/default/configmaps";
    let mut bad_label = cm("a", json!({"app": "bad value!"}));
    bad_label["data"] = json!({});
    let r = h.req("POST", cms, Some(&bad_label)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "ConfigMap \"a\" is invalid: metadata.labels: Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    let mut both = cm("a", json!({}));
    both["metadata"]["finalizers"] = json!(["orphan", "foregroundDeletion"]);
    let r = h.req("POST", cms, Some(&both)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "ConfigMap \"a\" is invalid: metadata.finalizers: Invalid value: [\"orphan\",\"foregroundDeletion\"]: finalizer orphan and foregroundDeletion cannot be both set"
    );
    let owner = |name: &str, uid: &str| json!({"apiVersion":"apps/v1","kind":"Deployment","name":name,"uid":uid,"controller":true});
    let mut two = cm("a", json!({}));
    two["metadata"]["ownerReferences"] = json!([owner("d1", "u1"), owner("d2", "u2")]);
    let r = h.req("POST", cms, Some(&two)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["details"]["causes"][0]["field"],
        "metadata.ownerReferences"
    );
    assert!(
        r.body["message"].as_str().unwrap().ends_with(
            "Only one reference can have Controller set to true. Found \"true\" in references for Deployment/d1 and Deployment/d2"
        ),
        "{}",
        r.text
    );
    // The same checks guard updates.
    let r = h.req("POST", cms, Some(&cm("a", json!({})))).await;
    assert_eq!(r.code, 201);
    let mut upd = r.body.clone();
    upd["metadata"]["labels"] = json!({"app": "bad value!"});
    let r = h.req("PUT", &format!("{cms}/a"), Some(&upd)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(r.body["details"]["causes"][0]["field"], "metadata.labels");
}

#[tokio::test]
async fn status_endpoints_keep_what_upstream_keeps() {
    let h = harness().await;
    // Namespace: the main endpoint restores spec.finalizers and status and re-forces the
    // name label; /status changes only status.
    h.create_ns("ns1").await;
    let ns = h.req("GET", "/api/v1/namespaces/ns1", None).await.body;
    let mut upd = ns.clone();
    upd["spec"]["finalizers"] = json!([]);
    upd["status"]["phase"] = json!("Terminating");
    upd["metadata"]["labels"] = json!({"team": "a"});
    let r = h.req("PUT", "/api/v1/namespaces/ns1", Some(&upd)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(r.body["status"]["phase"], "Active");
    assert_eq!(
        r.body["metadata"]["labels"],
        json!({"team": "a", "kubernetes.io/metadata.name": "ns1"})
    );
    let mut upd = r.body.clone();
    upd["spec"]["finalizers"] = json!([]);
    upd["status"]["phase"] = json!("Terminating");
    let r = h
        .req("PUT", "/api/v1/namespaces/ns1/status", Some(&upd))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(r.body["status"]["phase"], "Terminating");

    // Deployment /status: spec and labels are restored, annotations stay writable.
    let r = h
        .req(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            Some(&deploy("d")),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut upd = r.body.clone();
    upd["spec"]["replicas"] = json!(9);
    upd["metadata"]["labels"] = json!({"x": "y"});
    upd["metadata"]["annotations"] = json!({"note": "kept"});
    upd["status"] = json!({"replicas": 1, "observedGeneration": 1});
    let r = h
        .req(
            "PUT",
            "/apis/apps/v1/namespaces/default/deployments/d/status",
            Some(&upd),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 2);
    assert!(r.body["metadata"].get("labels").is_none(), "{}", r.text);
    assert_eq!(r.body["metadata"]["annotations"], json!({"note": "kept"}));
    assert_eq!(r.body["status"]["replicas"], 1);
    assert_eq!(r.body["metadata"]["generation"], 1);
}

#[tokio::test]
async fn orphan_deletes_wait_forever_without_a_garbage_collector() {
    let h = harness().await;
    let cms = "/api/v1/namespaces/default/configmaps";
    assert_eq!(
        h.req("POST", cms, Some(&cm("o", json!({})))).await.code,
        201
    );
    let r = h
        .req(
            "DELETE",
            &format!("{cms}/o"),
            Some(&json!({"propagationPolicy":"Orphan","orphanDependents":true})),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set"
    );
    let r = h
        .req("DELETE", &format!("{cms}/o?propagationPolicy=Orphan"), None)
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["metadata"]["finalizers"], json!(["orphan"]));
    assert!(r.body["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(
        h.req("GET", &format!("{cms}/o"), None).await.code,
        200,
        "no garbage collector removes the orphan finalizer"
    );
}

#[tokio::test]
async fn dry_run_updates_patches_applies_and_collection_deletes_write_nothing() {
    let h = harness().await;
    let cms = "/api/v1/namespaces/default/configmaps";
    let r = h
        .req("POST", cms, Some(&cm("real", json!({"l": "x"}))))
        .await;
    assert_eq!(r.code, 201);
    let stored = r.body.clone();
    let revision = h.server.revision();
    let mut upd = stored.clone();
    upd["data"] = json!({"k": "put"});
    let r = h
        .req("PUT", &format!("{cms}/real?dryRun=All"), Some(&upd))
        .await;
    assert_eq!(
        (r.code, r.body["data"]["k"].as_str()),
        (200, Some("put")),
        "{}",
        r.text
    );
    let r = h
        .req_ct(
            "PATCH",
            &format!("{cms}/real?dryRun=All"),
            Some(json!({"data":{"k":"patch"}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(
        (r.code, r.body["data"]["k"].as_str()),
        (200, Some("patch")),
        "{}",
        r.text
    );
    let r = h
        .req_ct(
            "PATCH",
            &format!("{cms}/ghost?dryRun=All&fieldManager=m"),
            Some(
                json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ghost"}})
                    .to_string(),
            ),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h
        .req(
            "DELETE",
            &format!("{cms}?dryRun=All&labelSelector=l%3Dx"),
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["kind"], "ConfigMapList");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(h.server.revision(), revision, "nothing was written");
    let r = h.req("GET", &format!("{cms}/real"), None).await;
    assert_eq!(r.body["data"], stored["data"]);
    assert_eq!(h.req("GET", &format!("{cms}/ghost"), None).await.code, 404);
}

#[tokio::test]
async fn workload_selectors_are_immutable() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            Some(&deploy("sel")),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut upd = r.body.clone();
    upd["spec"]["selector"] = json!({"matchLabels": {"app": "other"}});
    upd["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let r = h
        .req(
            "PUT",
            "/apis/apps/v1/namespaces/default/deployments/sel",
            Some(&upd),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Deployment.apps \"sel\" is invalid: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"other\"}}: field is immutable"
    );
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "FieldValueInvalid"
    );
}
