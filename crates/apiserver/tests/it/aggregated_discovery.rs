//! Aggregated discovery (apidiscovery.k8s.io/v2, facts-protocol §1.6).

use crate::common::{harness, Harness};
use serde_json::{json, Value};

const KUBECTL_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

async fn aggregated(h: &Harness, path: &str, accept: &str) -> (u16, String, String, Value) {
    let resp = h
        .admin
        .get(format!("{}{path}", h.base))
        .header("Accept", accept)
        .send()
        .await
        .expect("request");
    let code = resp.status().as_u16();
    let header = |k: &str| {
        resp.headers()
            .get(k)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, etag) = (header("content-type"), header("etag"));
    let body = serde_json::from_str(&resp.text().await.expect("body")).unwrap_or(Value::Null);
    (code, ct, etag, body)
}

#[tokio::test]
async fn api_and_apis_serve_the_whole_tree_when_asked() {
    let h = harness().await;
    let (code, ct, etag, core) = aggregated(&h, "/api", KUBECTL_ACCEPT).await;
    assert_eq!(code, 200);
    assert_eq!(
        ct,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    assert_eq!(etag.len(), 130, "quoted uppercase SHA-512: {etag}");
    assert_eq!(core["kind"], "APIGroupDiscoveryList");
    assert_eq!(core["apiVersion"], "apidiscovery.k8s.io/v2");
    let item = &core["items"][0];
    assert_eq!(item["metadata"], json!({"creationTimestamp": null}));
    let v1 = &item["versions"][0];
    assert_eq!(
        (v1["version"].as_str(), v1["freshness"].as_str()),
        (Some("v1"), Some("Current"))
    );
    let pods = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "pods")
        .unwrap();
    assert_eq!(
        pods["responseKind"],
        json!({"group": "", "version": "", "kind": "Pod"})
    );
    assert_eq!(pods["scope"], "Namespaced");
    assert_eq!(pods["singularResource"], "pod");
    assert_eq!(pods["subresources"][0]["subresource"], "status");

    let (_, _, _, groups) = aggregated(&h, "/apis", KUBECTL_ACCEPT).await;
    let names: Vec<&str> = groups["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["apps", "events.k8s.io"]);
    let apps = &groups["items"][0]["versions"][0]["resources"];
    let deployments = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .unwrap();
    assert_eq!(deployments["shortNames"], json!(["deploy"]));
    assert_eq!(deployments["categories"], json!(["all"]));
    assert_eq!(
        deployments["subresources"],
        json!([
            {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]},
            {"subresource": "status", "responseKind": {"group": "", "version": "", "kind": "Deployment"}, "verbs": ["get", "patch", "update"]},
        ])
    );

    // Revalidation with the ETag.
    let resp = h
        .admin
        .get(format!("{}/apis", h.base))
        .header("Accept", KUBECTL_ACCEPT)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "the /api ETag does not match /apis"
    );
    let (_, _, apis_etag, _) = aggregated(&h, "/apis", KUBECTL_ACCEPT).await;
    let resp = h
        .admin
        .get(format!("{}/apis", h.base))
        .header("Accept", KUBECTL_ACCEPT)
        .header("If-None-Match", &apis_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 304);

    // A plain JSON Accept gets the legacy document.
    let (code, ct, _, legacy) = aggregated(&h, "/apis", "application/json").await;
    assert_eq!(
        (code, ct.as_str(), legacy["kind"].as_str()),
        (200, "application/json", Some("APIGroupList"))
    );
}

#[tokio::test]
async fn custom_resources_appear_with_full_response_kinds() {
    let h = harness().await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&crd),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let (_, _, _, groups) = aggregated(&h, "/apis", KUBECTL_ACCEPT).await;
    let last = groups["items"].as_array().unwrap().last().unwrap();
    assert_eq!(last["metadata"]["name"], "example.com");
    let gizmos = &last["versions"][0]["resources"][0];
    assert_eq!(gizmos["resource"], "gizmos");
    assert_eq!(
        gizmos["responseKind"],
        json!({"group": "example.com", "version": "v1", "kind": "Gizmo"})
    );
    assert_eq!(gizmos["scope"], "Cluster");
    assert_eq!(
        gizmos["verbs"],
        json!([
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "create",
            "update",
            "watch"
        ])
    );
    assert_eq!(
        gizmos["subresources"][0]["responseKind"],
        json!({"group": "example.com", "version": "v1", "kind": "Gizmo"})
    );
}
