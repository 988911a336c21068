//! PATCH (JSON, merge, strategic) and server-side apply over HTTPS.

use crate::common::*;
use serde_json::json;

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn json_merge_and_strategic_patches() {
    let h = harness().await;
    h.req("POST", CMS, Some(&cm("p", json!({"a": "1"})))).await;
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p"),
            Some(r#"{"data":{"k":null,"n":"2"}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["data"], json!({"n": "2"}));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p"),
            Some(r#"[{"op":"test","path":"/data/n","value":"nope"}]"#.into()),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "the server rejected our request due to an error in our request"
    );
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p"),
            Some(r#"[{"op":"add","path":"/metadata/labels/b","value":"x"}]"#.into()),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["metadata"]["labels"], json!({"a": "1", "b": "x"}));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/missing"),
            Some("{}".into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 404);
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p?force=true"),
            Some("{}".into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch");
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p"),
            Some("{}".into()),
            "text/plain",
        )
        .await;
    assert_eq!(r.code, 415);
    let rv =
        h.req("GET", &format!("{CMS}/p"), None).await.body["metadata"]["resourceVersion"].clone();
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/p"),
            Some("{}".into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(
        r.body["metadata"]["resourceVersion"], rv,
        "empty patch writes nothing"
    );

    let dep = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
        "spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},
        "spec":{"containers":[{"name":"a","image":"one"},{"name":"b","image":"two"}]}}}});
    h.req(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        Some(&dep),
    )
    .await;
    let smp = r#"{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"three"}]}}}}"#;
    let r = h
        .req_ct(
            "PATCH",
            "/apis/apps/v1/namespaces/default/deployments/d",
            Some(smp.into()),
            "application/strategic-merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let containers = r.body["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(containers.len(), 2, "merged by name, not replaced");
    assert_eq!(containers[1]["image"], "three");
}

#[tokio::test]
async fn server_side_apply_creates_tracks_conflicts_and_forces() {
    let h = harness().await;
    let cfg = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  x: \"1\"\n";
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa"),
            Some(cfg.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa?fieldManager=alice"),
            Some(cfg.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 201, "apply-create: {}", r.text);
    let mf = &r.body["metadata"]["managedFields"][0];
    assert_eq!(
        (mf["manager"].as_str(), mf["operation"].as_str()),
        (Some("alice"), Some("Apply"))
    );
    assert_eq!(mf["fieldsV1"], json!({"f:data": {"f:x": {}}}));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa?fieldManager=alice"),
            Some(cfg.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 200);
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  x: \"2\"\n";
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa?fieldManager=bob"),
            Some(other.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 409);
    assert_eq!(
        r.body["message"],
        "Apply failed with 1 conflict: conflict with \"alice\": .data.x"
    );
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "FieldManagerConflict"
    );
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa?fieldManager=bob&force=true"),
            Some(other.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["data"]["x"], "2");
    let wrong = "apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n";
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/ssa?fieldManager=bob"),
            Some(wrong.into()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.body["message"], "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1");
}

#[tokio::test]
async fn non_apply_writes_record_update_managers() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            &format!("{CMS}?fieldManager=creator"),
            Some(&cm("mf", json!({}))),
        )
        .await;
    let mf = &r.body["metadata"]["managedFields"][0];
    assert_eq!(
        (
            mf["manager"].as_str(),
            mf["operation"].as_str(),
            mf["apiVersion"].as_str()
        ),
        (Some("creator"), Some("Update"), Some("v1"))
    );
    assert!(mf["fieldsV1"]["f:data"]["f:k"].is_object());
}

#[tokio::test]
async fn apply_bodies_must_not_carry_managed_fields() {
    let h = harness().await;
    let body = json!({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"m","managedFields":[{"manager":"x","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{}}]},
        "data":{"k":"v"}});
    let r = h
        .req_ct(
            "PATCH",
            "/api/v1/namespaces/default/configmaps/m?fieldManager=m",
            Some(body.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(r.body["reason"], "BadRequest");
    assert_eq!(r.body["message"], "metadata.managedFields must be nil");
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/default/configmaps/m", None)
            .await
            .code,
        404
    );
}

#[tokio::test]
async fn patches_and_applies_that_change_nothing_do_not_write() {
    let h = harness().await;
    let path = "/api/v1/namespaces/default/configmaps/same";
    let apply = |manager: &str| {
        let h = &h;
        let manager = manager.to_string();
        async move {
            h.req_ct(
                "PATCH",
                &format!("{path}?fieldManager={manager}"),
                Some(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"same"},"data":{"k":"v"}}).to_string()),
                "application/apply-patch+yaml",
            )
            .await
        }
    };
    let r = apply("a").await;
    assert_eq!(r.code, 201, "{}", r.text);
    let rv = r.body["metadata"]["resourceVersion"].clone();
    let mut w = WatchStream::open(
        &h,
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={}",
            rv.as_str().unwrap()
        ),
    )
    .await;
    let r = apply("a").await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["resourceVersion"], rv,
        "re-apply is a no-op"
    );
    let r = h
        .req_ct(
            "PATCH",
            path,
            Some(json!({"data":{"k":"v"}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["resourceVersion"], rv,
        "no-op merge patch"
    );
    let r = h
        .req_ct(
            "PATCH",
            path,
            Some(json!([{"op":"test","path":"/data/k","value":"v"}]).to_string()),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.body["metadata"]["resourceVersion"], rv,
        "no-op JSON patch"
    );
    // A second applier sharing the same value changes managedFields, so it writes.
    let r = apply("b").await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_ne!(r.body["metadata"]["resourceVersion"], rv);
    let managers: Vec<&str> = r.body["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    // structured-merge-diff returns no object when the value is unchanged, so the updater
    // stamps no time on the new entry; time-less entries sort first (0 seconds).
    assert_eq!(
        managers,
        vec!["b", "a"],
        "{}",
        r.body["metadata"]["managedFields"]
    );
    assert!(r.body["metadata"]["managedFields"][0].get("time").is_none());
    assert!(r.body["metadata"]["managedFields"][1]["time"].is_string());
    let ev = w.next().await.expect("event");
    assert_eq!(
        ev["type"], "MODIFIED",
        "only the shared-ownership apply is an event"
    );
    assert_eq!(
        ev["object"]["metadata"]["resourceVersion"],
        r.body["metadata"]["resourceVersion"]
    );
}
