//! Strategic merge patch on built-in kinds, checked against kube-apiserver's
//! documented behaviour (patch strategies and merge keys of k8s.io/api, the
//! directives and error texts of apimachinery's strategicpatch package).

use klite_merge::types::builtin;
use klite_merge::{strategic, Error, StrategicErrorKind};
use serde_json::{json, Value};

fn pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a.io/x", "b.io/y"]},
        "spec": {
            "containers": [
                {"name": "app", "image": "app:1",
                 "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                 "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "TCP"}]},
                {"name": "sidecar", "image": "proxy:1"}
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]
        }
    })
}

fn smp(doc: &Value, patch: Value) -> Result<Value, Error> {
    let ty = builtin("", "v1", "Pod").expect("pod type");
    strategic::apply(doc, &serde_json::to_vec(&patch).expect("encode"), &ty)
}

fn containers(v: &Value) -> &Value {
    &v["spec"]["containers"]
}

#[test]
fn containers_merge_by_name_and_keep_others_in_place() {
    let out = smp(
        &pod(),
        json!({"spec": {"containers": [{"name": "app", "image": "app:2"}]}}),
    )
    .expect("patch");
    assert_eq!(containers(&out)[0]["image"], "app:2");
    assert_eq!(
        containers(&out)[0]["env"],
        pod()["spec"]["containers"][0]["env"]
    );
    assert_eq!(
        containers(&out)[1],
        json!({"name": "sidecar", "image": "proxy:1"})
    );
}

#[test]
fn new_items_go_before_live_only_items_and_delete_directive_removes() {
    // Without $setElementOrder, upstream places patch items before the live-only ones.
    let out = smp(
        &pod(),
        json!({"spec": {"containers": [
            {"name": "debug", "image": "busybox", "args": null},
            {"name": "sidecar", "$patch": "delete"}
        ]}}),
    )
    .expect("patch");
    let names: Vec<&str> = containers(&out)
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["debug", "app"]);
    // nulls of a new item do not survive (they decode to absent fields)
    assert_eq!(
        containers(&out)[0],
        json!({"name": "debug", "image": "busybox"})
    );
}

#[test]
fn replace_directive_in_a_list_replaces_it() {
    let out = smp(
        &pod(),
        json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}}),
    )
    .expect("patch");
    assert_eq!(containers(&out), &json!([{"name": "only", "image": "x"}]));
}

#[test]
fn env_items_merge_and_null_deletes_inside_an_item() {
    let out = smp(
        &pod(),
        json!({"spec": {"containers": [{"name": "app", "env": [
            {"name": "B", "value": null, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "C", "value": "3"}
        ]}]}}),
    )
    .expect("patch");
    assert_eq!(
        containers(&out)[0]["env"],
        json!([
            {"name": "A", "value": "1"},
            {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "C", "value": "3"}
        ])
    );
}

#[test]
fn ports_merge_on_container_port_only() {
    // SMP's merge key is containerPort (SSA keys on containerPort+protocol).
    let out = smp(
        &pod(),
        json!({"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]}}),
    )
    .expect("patch");
    assert_eq!(
        containers(&out)[0]["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}])
    );
}

#[test]
fn tolerations_have_no_strategy_and_are_replaced() {
    let out = smp(
        &pod(),
        json!({"spec": {"tolerations": [{"key": "c", "operator": "Exists"}]}}),
    )
    .expect("patch");
    assert_eq!(
        out["spec"]["tolerations"],
        json!([{"key": "c", "operator": "Exists"}])
    );
}

#[test]
fn retain_keys_clears_unlisted_keys_of_a_volume() {
    let out = smp(
        &pod(),
        json!({"spec": {"volumes": [{"name": "data", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}}]}}),
    )
    .expect("patch");
    assert_eq!(
        out["spec"]["volumes"],
        json!([{"name": "data", "configMap": {"name": "cm"}}])
    );
}

#[test]
fn retain_keys_must_list_every_patched_key() {
    let err = smp(
        &pod(),
        json!({"spec": {"volumes": [{"name": "data", "$retainKeys": ["name"], "configMap": {"name": "cm"}}]}}),
    )
    .expect_err("configMap is not retained");
    let status = err.status();
    assert_eq!((status.code, status.reason), (400, Some("BadRequest")));
    assert_eq!(status.message, "invalid patch format of retainKeys");
}

#[test]
fn deployment_strategy_retain_keys() {
    let ty = builtin("apps", "v1", "Deployment").expect("type");
    let live =
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
    let out = strategic::apply(
        &live,
        br#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#,
        &ty,
    )
    .expect("patch");
    assert_eq!(out, json!({"spec": {"strategy": {"type": "Recreate"}}}));
}

#[test]
fn finalizers_are_a_union_and_delete_from_primitive_list_removes() {
    let out = smp(
        &pod(),
        json!({"metadata": {"finalizers": ["c.io/z", "a.io/x"]}}),
    )
    .expect("patch");
    // patch items in patch order, then the live-only ones
    assert_eq!(
        out["metadata"]["finalizers"],
        json!(["c.io/z", "a.io/x", "b.io/y"])
    );
    let out = smp(
        &pod(),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}),
    )
    .expect("patch");
    assert_eq!(out["metadata"]["finalizers"], json!(["b.io/y"]));
}

#[test]
fn bad_delete_from_primitive_list_key_is_400() {
    let err = smp(
        &pod(),
        json!({"metadata": {"$deleteFromPrimitiveList": ["a.io/x"]}}),
    )
    .expect_err("no field");
    assert_eq!(err.status().code, 400);
    assert_eq!(
        err.status().message,
        "invalid patch format of primitive list"
    );
}

#[test]
fn set_element_order_decides_the_final_order() {
    let out = smp(
        &pod(),
        json!({"spec": {
            "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}],
            "containers": [{"name": "app", "image": "app:3"}]
        }}),
    )
    .expect("patch");
    assert_eq!(containers(&out)[0]["name"], "sidecar");
    assert_eq!(containers(&out)[1]["image"], "app:3");
}

#[test]
fn set_element_order_that_contradicts_the_patch_list_fails() {
    let err = smp(
        &pod(),
        json!({"spec": {
            "$setElementOrder/containers": [{"name": "app"}],
            "containers": [{"name": "app", "image": "x"}, {"name": "sidecar", "image": "y"}]
        }}),
    )
    .expect_err("order mismatch");
    let status = err.status();
    assert_eq!(status.code, 500);
    assert!(
        status.message.starts_with("The order in patch list:\n"),
        "{}",
        status.message
    );
    let err = smp(&pod(), json!({"spec": {"$setElementOrder": []}})).expect_err("no field");
    assert_eq!(
        err.status().message,
        "invalid patch format of setElementOrder list"
    );
}

#[test]
fn merge_directive_in_a_list_is_refused() {
    let err = smp(
        &pod(),
        json!({"spec": {"containers": [{"$patch": "merge"}]}}),
    )
    .expect_err("merge");
    assert!(matches!(
        err,
        Error::StrategicMergePatch {
            kind: StrategicErrorKind::Internal,
            ..
        }
    ));
    assert_eq!(
        err.status().message,
        "merging lists cannot yet be specified in the patch"
    );
    assert_eq!(err.status().reason, None);
}

#[test]
fn list_items_without_the_merge_key_are_refused() {
    let err = smp(&pod(), json!({"spec": {"containers": [{"image": "x"}]}})).expect_err("no name");
    assert_eq!(err.status().code, 500);
    assert_eq!(
        err.status().message,
        "map: map[image:x] does not contain declared merge key: name"
    );
}

#[test]
fn map_directives() {
    let out = smp(
        &pod(),
        json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}}),
    )
    .expect("patch");
    assert_eq!(out["metadata"]["labels"], json!({"only": "this"}));
    let out = smp(
        &pod(),
        json!({"metadata": {"labels": {"$patch": "delete"}}}),
    )
    .expect("patch");
    assert_eq!(out["metadata"]["labels"], json!({}));
    let out = smp(
        &pod(),
        json!({"metadata": {"annotations": {"$patch": "delete"}}}),
    )
    .expect("patch");
    assert!(out["metadata"].get("annotations").is_none());
}

#[test]
fn null_deletes_a_key() {
    let out = smp(&pod(), json!({"metadata": {"labels": {"tier": null}}})).expect("patch");
    assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
}

#[test]
fn lists_of_lists_are_422() {
    let mut doc = pod();
    doc["metadata"]["finalizers"] = json!([]);
    let err = smp(&doc, json!({"metadata": {"finalizers": [["x"]]}})).expect_err("list of lists");
    let status = err.status();
    assert_eq!(status.code, 422);
    assert_eq!(
        status.message,
        "the server rejected our request due to an error in our request"
    );
    // mixed element kinds are a plain (500) error
    let err = smp(&pod(), json!({"metadata": {"finalizers": [["x"]]}})).expect_err("mixed");
    assert_eq!(err.status().code, 500);
    assert_eq!(
        err.status().message,
        "list element types are not identical: [[a.io/x b.io/y] [[x]]]"
    );
}

#[test]
fn owner_references_merge_by_uid() {
    let ty = builtin("", "v1", "ConfigMap").expect("type");
    let live = json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a", "kind": "X", "apiVersion": "v1"}]}});
    let out = strategic::apply(
        &live,
        br#"{"metadata":{"ownerReferences":[{"uid":"2","name":"b","kind":"X","apiVersion":"v1"}]}}"#,
        &ty,
    )
    .expect("patch");
    assert_eq!(
        out["metadata"]["ownerReferences"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn invalid_bodies() {
    let ty = builtin("", "v1", "Pod").expect("type");
    assert_eq!(
        strategic::apply(&pod(), b"{", &ty)
            .expect_err("syntax")
            .status()
            .message,
        "invalid JSON patch"
    );
    let err = strategic::apply(&pod(), b"[1]", &ty).expect_err("not an object");
    assert_eq!(err.status().code, 400);
    assert_eq!(
        err.status().message,
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
}
