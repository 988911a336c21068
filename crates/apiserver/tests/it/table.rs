//! Table output for `kubectl get` (facts-protocol §5, facts-crd §9.2).

use crate::common::{harness, Harness};
use serde_json::{json, Value};

const KUBECTL_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

async fn get_table(h: &Harness, path: &str) -> (u16, Value, String) {
    let resp = h
        .admin
        .get(format!("{}{path}", h.base))
        .header("Accept", KUBECTL_ACCEPT)
        .send()
        .await
        .expect("request");
    let code = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
    (code, body, ct)
}

fn column_names(table: &Value) -> Vec<&str> {
    table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn built_in_lists_and_objects_become_tables() {
    let h = harness().await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "labels": {"a": "b"}}, "data": {"x": "1", "y": "2"}});
    let r = h
        .req("POST", "/api/v1/namespaces/default/configmaps", Some(&cm))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let rv = r.body["metadata"]["resourceVersion"].clone();

    let (code, table, ct) = get_table(&h, "/api/v1/namespaces/default/configmaps").await;
    assert_eq!(code, 200);
    assert_eq!(ct, "application/json");
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(column_names(&table), vec!["Name", "Data", "Age"]);
    let name_col = &table["columnDefinitions"][0];
    assert_eq!(
        (
            name_col["type"].as_str(),
            name_col["format"].as_str(),
            name_col["priority"].as_i64()
        ),
        (Some("string"), Some("name"), Some(0))
    );
    assert!(name_col["description"]
        .as_str()
        .unwrap()
        .starts_with("Name must be unique within a namespace."));
    assert_eq!(
        table["metadata"]["resourceVersion"],
        json!(rv.as_str().unwrap())
    );
    let row = &table["rows"][0];
    assert_eq!(row["cells"][0], "conf");
    assert_eq!(row["cells"][1], 2);
    let age = row["cells"][2].as_str().unwrap();
    assert!(
        age.ends_with('s') && age.trim_end_matches('s').parse::<u32>().is_ok(),
        "{age}"
    );
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(row["object"]["metadata"]["labels"], json!({"a": "b"}));
    assert!(row["object"].get("data").is_none());

    // One object: one row with the object's resourceVersion.
    let (_, table, _) = get_table(
        &h,
        "/api/v1/namespaces/default/configmaps/conf?includeObject=Object",
    )
    .await;
    assert_eq!(table["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        table["rows"][0]["object"]["data"],
        json!({"x": "1", "y": "2"})
    );
    assert_eq!(table["rows"][0]["object"]["kind"], "ConfigMap");
    let (_, table, _) = get_table(
        &h,
        "/api/v1/namespaces/default/configmaps/conf?includeObject=None",
    )
    .await;
    assert!(table["rows"][0].get("object").is_none());
    let (code, status, _) = get_table(
        &h,
        "/api/v1/namespaces/default/configmaps?includeObject=Everything",
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        "unrecognized includeObject value: \"Everything\""
    );

    // Empty list: rows null. Kinds without a printer: Name and Age.
    let (_, table, _) = get_table(&h, "/api/v1/namespaces/default/serviceaccounts").await;
    assert_eq!(column_names(&table), vec!["Name", "Age"]);
    assert_eq!(table["rows"], Value::Null);
    let (_, table, _) = get_table(&h, "/api/v1/namespaces").await;
    assert_eq!(column_names(&table), vec!["Name", "Status", "Age"]);
    let names: Vec<&str> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cells"][0].as_str().unwrap())
        .collect();
    assert!(names.contains(&"kube-system"));

    // Plain JSON requests are untouched.
    let r = h
        .req("GET", "/api/v1/namespaces/default/configmaps/conf", None)
        .await;
    assert_eq!(r.body["kind"], "ConfigMap");
}

#[tokio::test]
async fn custom_resources_use_their_printer_columns() {
    let h = harness().await;
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [
                {"name": "v1", "served": true, "storage": true,
                 "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Colour", "type": "string", "jsonPath": ".spec.colour", "description": "The colour."},
                    {"name": "Ready", "type": "boolean", "jsonPath": ".status.ready", "priority": 1},
                    {"name": "Started", "type": "date", "jsonPath": ".spec.started"}],
                 "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                {"name": "v2", "served": true, "storage": false,
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
    let gadget = json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"},
        "spec": {"size": 3, "colour": "red", "started": "2020-01-01T00:00:00Z"}});
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1/namespaces/default/gadgets",
            Some(&gadget),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);

    let (_, table, _) = get_table(&h, "/apis/example.com/v1/namespaces/default/gadgets").await;
    assert_eq!(
        column_names(&table),
        vec!["Name", "Size", "Colour", "Ready", "Started"]
    );
    let defs = &table["columnDefinitions"];
    assert_eq!(
        defs[1]["description"],
        "Custom resource definition column (in JSONPath format): .spec.size"
    );
    assert_eq!(defs[2]["description"], "The colour.");
    assert_eq!(defs[3]["priority"], 1);
    assert_eq!(defs[4]["type"], "date");
    let cells = &table["rows"][0]["cells"];
    assert_eq!(cells[0], "g1");
    assert_eq!(cells[1], 3);
    assert_eq!(cells[2], "red");
    assert_eq!(cells[3], Value::Null, "missing value");
    assert!(
        cells[4].as_str().unwrap().ends_with('y') || cells[4].as_str().unwrap().contains('y'),
        "{}",
        cells[4]
    );

    // A version without columns shows Age.
    let (_, table, _) = get_table(&h, "/apis/example.com/v2/namespaces/default/gadgets/g1").await;
    assert_eq!(column_names(&table), vec!["Name", "Age"]);
    assert_eq!(table["columnDefinitions"][1]["type"], "date");
}

/// Reads the next newline-terminated watch event from a streaming response.
async fn next_event(resp: &mut reqwest::Response, buf: &mut Vec<u8>) -> Value {
    loop {
        if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            return serde_json::from_slice(&line).expect("event json");
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), resp.chunk())
            .await
            .expect("event within 10s")
            .expect("chunk")
            .expect("stream open");
        buf.extend_from_slice(&chunk);
    }
}

#[tokio::test]
async fn watches_stream_one_row_tables_and_send_headers_once() {
    let h = harness().await;
    let cms = "/api/v1/namespaces/default/configmaps";
    let cm =
        |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
    assert_eq!(h.req("POST", cms, Some(&cm("first"))).await.code, 201);
    let mut resp = h
        .admin
        .get(format!("{}{cms}?watch=1", h.base))
        .header("Accept", KUBECTL_ACCEPT)
        .send()
        .await
        .expect("watch");
    assert_eq!(resp.status().as_u16(), 200);
    let mut buf = Vec::new();
    let first = next_event(&mut resp, &mut buf).await;
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["kind"], "Table");
    assert_eq!(first["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(column_names(&first["object"])[0], "Name");
    assert_eq!(first["object"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(first["object"]["rows"][0]["cells"][0], "first");
    assert_eq!(h.req("POST", cms, Some(&cm("second"))).await.code, 201);
    let second = next_event(&mut resp, &mut buf).await;
    assert_eq!(second["type"], "ADDED");
    assert_eq!(second["object"]["kind"], "Table");
    assert_eq!(
        second["object"]["columnDefinitions"],
        Value::Null,
        "headers only in the first event"
    );
    assert_eq!(second["object"]["rows"][0]["cells"][0], "second");
    assert_eq!(
        second["object"]["rows"][0]["object"]["kind"],
        "PartialObjectMetadata"
    );
}
