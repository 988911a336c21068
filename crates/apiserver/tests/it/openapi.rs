//! `/openapi/v3` and `/openapi/v2` as kubectl 1.32 uses them (facts-protocol §2).

use crate::common::{client, harness, send, Harness};
use serde_json::{json, Value};

async fn get_raw(h: &Harness, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = h.admin.get(format!("{}{path}", h.base));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.expect("request")
}

async fn root(h: &Harness) -> Value {
    let r = h.req("GET", "/openapi/v3", None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    r.body
}

async fn document(h: &Harness, key: &str) -> Value {
    let root = root(h).await;
    let url = root["paths"][key]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing from the root"))
        .to_string();
    let r = h.req("GET", &url, None).await;
    assert_eq!(r.code, 200);
    r.body
}

/// The patch operation kubectl's query-param verifier looks for.
fn patch_operation<'d>(
    doc: &'d Value,
    group: &str,
    version: &str,
    kind: &str,
) -> Option<&'d Value> {
    let gvk = json!({"group": group, "version": version, "kind": kind});
    doc["paths"]
        .as_object()?
        .values()
        .filter_map(|p| p.get("patch"))
        .find(|op| op["x-kubernetes-group-version-kind"] == gvk)
}

#[tokio::test]
async fn root_index_lists_every_group_version_with_content_hashes() {
    let h = harness().await;
    let root = root(&h).await;
    let paths = root["paths"].as_object().unwrap();
    for key in [
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/rbac.authorization.k8s.io/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/authorization.k8s.io/v1",
    ] {
        assert!(paths.contains_key(key), "{key}");
    }
    let url = paths["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap();
    let hash = url
        .strip_prefix("/openapi/v3/apis/apps/v1?hash=")
        .expect("hash query");
    assert_eq!(hash.len(), 128, "hex SHA-512");
    assert!(hash
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));

    // Hash matches: cacheable forever.
    let resp = get_raw(&h, url, &[("Accept", "application/json")]).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(resp.headers()["cache-control"], "public, immutable");
    let bytes = resp.bytes().await.unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode_upper(sha2::Sha512::digest(&bytes)), hash);
    // Stale hash: redirect to the current one.
    let resp = h
        .admin
        .get(format!("{}/openapi/v3/apis/apps/v1?hash=ABC", h.base))
        .send()
        .await
        .unwrap();
    // reqwest follows the redirect; the final URL carries the current hash.
    assert_eq!(resp.url().query(), Some(format!("hash={hash}").as_str()));
    // No hash: not immutable; If-None-Match: 304.
    let resp = get_raw(&h, "/openapi/v3/apis/apps/v1", &[]).await;
    assert!(resp.headers().get("cache-control").is_none());
    let resp = get_raw(
        &h,
        "/openapi/v3/apis/apps/v1",
        &[("If-None-Match", &format!("\"{hash}\""))],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 304);
    // Protobuf only: 406. Unknown group version: 404. v2: 404 (protobuf-only for client-go).
    let resp = get_raw(
        &h,
        "/openapi/v3/apis/apps/v1",
        &[(
            "Accept",
            "application/com.github.proto-openapi.spec.v3.v1.0+protobuf",
        )],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 406);
    assert_eq!(
        h.req("GET", "/openapi/v3/apis/nope.example.com/v1", None)
            .await
            .code,
        404
    );
    assert_eq!(h.req("GET", "/openapi/v2", None).await.code, 404);
    // Anonymous users may not read OpenAPI (system:discovery is for the authenticated).
    let anonymous = client(&h.server, None);
    assert_eq!(
        send(&anonymous, &h.base, "GET", "/openapi/v3", None, "")
            .await
            .code,
        403
    );
}

#[tokio::test]
async fn documents_carry_what_kubectl_validation_and_explain_need() {
    let h = harness().await;
    let core = document(&h, "api/v1").await;
    assert_eq!(core["openapi"], "3.0.0");
    for kind in ["Namespace", "ConfigMap", "Pod", "Secret", "Service"] {
        let op =
            patch_operation(&core, "", "v1", kind).unwrap_or_else(|| panic!("patch op for {kind}"));
        let params = op["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
            "{kind}"
        );
        let content = op["requestBody"]["content"].as_object().unwrap();
        assert!(content.contains_key("application/apply-patch+yaml"));
        assert!(
            !content.contains_key("application/strategic-merge-patch+json"),
            "kubectl then uses compiled-in types"
        );
    }
    let cm = &core["components"]["schemas"]["io.k8s.api.core.v1.ConfigMap"];
    assert_eq!(
        cm["x-kubernetes-group-version-kind"],
        json!([{"group": "", "kind": "ConfigMap", "version": "v1"}])
    );
    assert_eq!(
        cm["properties"]["data"]["additionalProperties"],
        json!({"type": "string"})
    );
    assert!(cm["description"]
        .as_str()
        .unwrap()
        .starts_with("ConfigMap holds configuration data"));
    // Every $ref resolves inside the document.
    let schemas = core["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&core, &mut refs);
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(schemas.contains_key(name), "dangling {r}");
    }
    let apps = document(&h, "apis/apps/v1").await;
    let op = patch_operation(&apps, "apps", "v1", "Deployment").unwrap();
    assert_eq!(op["x-kubernetes-action"], "patch");
    assert!(
        apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
            .is_object()
    );
    assert!(apps["components"]["schemas"]["io.k8s.api.autoscaling.v1.Scale"].is_object());
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r.to_string());
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

#[tokio::test]
async fn custom_resource_documents_follow_crds() {
    let h = harness().await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "description": "Desired widget.", "properties": {"size": {"type": "integer"}}}}}}}]}
    });
    let before = root(&h).await;
    assert!(before["paths"].get("apis/example.com/v1").is_none());
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&crd),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let doc = document(&h, "apis/example.com/v1").await;
    let widget = &doc["components"]["schemas"]["com.example.v1.Widget"];
    assert_eq!(
        widget["x-kubernetes-group-version-kind"],
        json!([{"group": "example.com", "kind": "Widget", "version": "v1"}])
    );
    assert_eq!(
        widget["properties"]["spec"]["properties"]["size"],
        json!({"type": "integer"})
    );
    assert_eq!(
        widget["properties"]["metadata"]["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])
    );
    assert!(
        doc["components"]["schemas"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].is_object()
    );
    let op = patch_operation(&doc, "example.com", "v1", "Widget").expect("patch op for the CR");
    assert!(op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "fieldValidation"));
    assert!(
        doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status"]["patch"]
            .is_object()
    );
    // The built-in documents did not change.
    let after = root(&h).await;
    assert_eq!(after["paths"]["api/v1"], before["paths"]["api/v1"]);
    let r = h
        .req(
            "DELETE",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert!(root(&h).await["paths"].get("apis/example.com/v1").is_none());
}
