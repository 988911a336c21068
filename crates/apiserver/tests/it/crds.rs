//! CustomResourceDefinitions: discovery, conditions, validation/pruning/defaulting,
//! status/scale subresources, deletion cleanup.

use crate::common::*;
use serde_json::{json, Value};

fn crd() -> Value {
    json!({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "foos.example.com"},
      "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "foos", "singular": "foo", "kind": "Foo", "shortNames": ["fo"], "categories": ["all"]},
        "versions": [{
          "name": "v1", "served": true, "storage": true,
          "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
              "replicas": {"type": "integer", "minimum": 0},
              "mode": {"type": "string", "enum": ["a", "b"], "default": "a"}}},
            "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}
        }]
      }
    })
}

fn foo(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": name}, "spec": spec})
}

#[tokio::test]
async fn crd_is_established_and_served_in_discovery_immediately() {
    let h = harness().await;
    let mut w = WatchStream::open(
        &h,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=1",
    )
    .await;
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&crd()),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"]["conditions"], Value::Null);
    assert_eq!(
        r.body["status"]["acceptedNames"],
        json!({"plural": "", "kind": ""})
    );
    assert_eq!(r.body["status"]["storedVersions"], json!(["v1"]));
    let r = h.req("GET", "/apis/example.com/v1", None).await;
    assert_eq!(r.code, 200);
    let res = r.body["resources"].as_array().unwrap();
    assert_eq!(res[0]["name"], "foos");
    assert_eq!(
        res[0]["verbs"],
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
    assert_eq!(res[0]["shortNames"], json!(["fo"]));
    assert_eq!(res[0]["storageVersionHash"], "4XyhoHMtUhg=");
    let names: Vec<&str> = res.iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["foos", "foos/scale", "foos/status"]);
    let r = h.req("GET", "/apis", None).await;
    let last = r.body["groups"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["name"], "example.com",
        "CRD groups come after built-ins"
    );
    let r = h
        .req(
            "GET",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/foos.example.com",
            None,
        )
        .await;
    let conds = r.body["status"]["conditions"].as_array().unwrap();
    let types: Vec<(&str, &str)> = conds
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        vec![("NamesAccepted", "True"), ("Established", "True")]
    );
    assert_eq!(w.next_pair().await.0, "ADDED");
    let ev = w.next().await.unwrap();
    assert_eq!(ev["type"], "MODIFIED");
    assert_eq!(
        ev["object"]["status"]["conditions"][1]["reason"],
        "Installing"
    );
    let ev = w.next().await.unwrap();
    assert_eq!(
        ev["object"]["status"]["conditions"][1]["reason"],
        "InitialNamesAccepted"
    );
}

#[tokio::test]
async fn custom_resources_are_validated_pruned_and_defaulted() {
    let h = harness().await;
    h.req(
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some(&crd()),
    )
    .await;
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1/namespaces/default/foos",
            Some(&foo("x", json!({"replicas": 1, "extra": true}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"], json!({"replicas": 1, "mode": "a"}));
    assert_eq!(r.body["metadata"]["generation"], 1);
    let warnings: Vec<&str> = r
        .headers
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(warnings, vec!["299 - \"unknown field \\\"spec.extra\\\"\""]);
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1/namespaces/default/foos",
            Some(&foo("bad", json!({"replicas": "many"}))),
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "Foo.example.com \"bad\" is invalid: spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "FieldValueTypeInvalid"
    );
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1/namespaces/default/foos",
            Some(&foo("bad2", json!({"mode": "z"}))),
        )
        .await;
    assert_eq!(r.body["message"], "Foo.example.com \"bad2\" is invalid: spec.mode: Unsupported value: \"z\": supported values: \"a\", \"b\"");
    let r = h
        .req("GET", "/apis/example.com/v1/namespaces/default/foos", None)
        .await;
    assert_eq!(r.body["kind"], "FooList");
    assert_eq!(
        r.body["items"][0]["kind"], "Foo",
        "CR list items keep kind/apiVersion"
    );
    let mut x = h
        .req(
            "GET",
            "/apis/example.com/v1/namespaces/default/foos/x",
            None,
        )
        .await
        .body;
    x["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let r = h
        .req(
            "PUT",
            "/apis/example.com/v1/namespaces/default/foos/x",
            Some(&x),
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "foos.example.com \"x\" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update");
    let r = h
        .req_ct(
            "PATCH",
            "/apis/example.com/v1/namespaces/default/foos/x",
            Some("{}".into()),
            "application/strategic-merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 415);
    assert_eq!(r.body["message"], "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
}

#[tokio::test]
async fn status_and_scale_subresources_of_custom_resources() {
    let h = harness().await;
    h.req(
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some(&crd()),
    )
    .await;
    let r = h.req("POST", "/apis/example.com/v1/namespaces/default/foos", Some(&json!({"apiVersion":"example.com/v1","kind":"Foo","metadata":{"name":"s"},"spec":{"replicas":1},"status":{"replicas":9}}))).await;
    assert!(r.body.get("status").is_none(), "status dropped on create");
    let mut obj = r.body.clone();
    obj["status"] = json!({"replicas": 2});
    obj["spec"]["replicas"] = json!(7);
    obj["metadata"]["labels"] = json!({"ignored": "yes"});
    let r = h
        .req(
            "PUT",
            "/apis/example.com/v1/namespaces/default/foos/s/status",
            Some(&obj),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["status"]["replicas"], 2);
    assert_eq!(r.body["spec"]["replicas"], 1);
    assert!(r.body["metadata"].get("labels").is_none());
    let r = h
        .req(
            "GET",
            "/apis/example.com/v1/namespaces/default/foos/s/scale",
            None,
        )
        .await;
    assert_eq!(
        r.body,
        json!({"kind":"Scale","apiVersion":"autoscaling/v1","metadata":r.body["metadata"].clone(),"spec":{"replicas":1},"status":{"replicas":2}})
    );
    let mut scale = r.body.clone();
    scale["spec"]["replicas"] = json!(5);
    let r = h
        .req(
            "PUT",
            "/apis/example.com/v1/namespaces/default/foos/s/scale",
            Some(&scale),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 5);
    let r = h
        .req(
            "GET",
            "/apis/example.com/v1/namespaces/default/foos/s",
            None,
        )
        .await;
    assert_eq!(r.body["spec"]["replicas"], 5);
    assert_eq!(r.body["metadata"]["generation"], 2);
}

#[tokio::test]
async fn deleting_a_crd_removes_its_objects_and_its_kind() {
    let h = harness().await;
    h.req(
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some(&crd()),
    )
    .await;
    for n in ["a", "b"] {
        let r = h
            .req(
                "POST",
                "/apis/example.com/v1/namespaces/default/foos",
                Some(&foo(n, json!({}))),
            )
            .await;
        assert_eq!(r.code, 201);
    }
    let mut w = WatchStream::open(
        &h,
        "/apis/example.com/v1/namespaces/default/foos?watch=1&resourceVersion=0",
    )
    .await;
    assert_eq!(w.next_pair().await.0, "ADDED");
    assert_eq!(w.next_pair().await.0, "ADDED");
    let r = h
        .req(
            "DELETE",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/foos.example.com",
            None,
        )
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["kind"], "CustomResourceDefinition");
    assert!(r.body["metadata"]["finalizers"]
        .as_array()
        .unwrap()
        .contains(&json!("customresourcecleanup.apiextensions.k8s.io")));
    assert_eq!(w.next_pair().await.0, "DELETED");
    assert_eq!(w.next_pair().await.0, "DELETED");
    let r = h
        .req(
            "GET",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/foos.example.com",
            None,
        )
        .await;
    assert_eq!(r.code, 404, "CRD gone after cleanup: {}", r.text);
    let r = h
        .req("GET", "/apis/example.com/v1/namespaces/default/foos", None)
        .await;
    assert_eq!((r.code, r.text.as_str()), (404, "404 page not found\n"));
}

#[tokio::test]
async fn cluster_scoped_crd_and_name_validation() {
    let h = harness().await;
    let mut c = crd();
    c["spec"]["scope"] = json!("Cluster");
    c["metadata"]["name"] = json!("wrong.example.com");
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&c),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().starts_with("CustomResourceDefinition.apiextensions.k8s.io \"wrong.example.com\" is invalid: metadata.name"));
    c["metadata"]["name"] = json!("foos.example.com");
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&c),
        )
        .await;
    assert_eq!(r.code, 201);
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1/foos",
            Some(&foo("c", json!({}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert!(r.body["metadata"].get("namespace").is_none());
    let r = h
        .req("GET", "/apis/example.com/v1/namespaces/default/foos", None)
        .await;
    assert_eq!(r.code, 404);
}

#[tokio::test]
async fn multiple_versions_convert_with_strategy_none_and_warn_on_deprecated() {
    let h = harness().await;
    let mut c = crd();
    let v1 = c["spec"]["versions"][0].clone();
    let mut beta = v1.clone();
    beta["name"] = json!("v1beta1");
    beta["storage"] = json!(false);
    beta["deprecated"] = json!(true);
    beta["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["betaOnly"] =
        json!({"type": "string"});
    c["spec"]["versions"] = json!([beta, v1]);
    let r = h
        .req(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(&c),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h.req("GET", "/apis/example.com", None).await;
    assert_eq!(r.body["preferredVersion"]["version"], "v1");
    let obj = json!({"apiVersion": "example.com/v1beta1", "kind": "Foo", "metadata": {"name": "m"}, "spec": {"replicas": 1, "betaOnly": "x"}});
    let r = h
        .req(
            "POST",
            "/apis/example.com/v1beta1/namespaces/default/foos",
            Some(&obj),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["apiVersion"], "example.com/v1beta1");
    let warnings: Vec<&str> = r
        .headers
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        vec!["299 - \"example.com/v1beta1 Foo is deprecated; use example.com/v1 Foo\""]
    );
    let r = h
        .req(
            "GET",
            "/apis/example.com/v1/namespaces/default/foos/m",
            None,
        )
        .await;
    assert_eq!(r.body["apiVersion"], "example.com/v1");
    assert!(
        r.body["spec"].get("betaOnly").is_none(),
        "fields unknown to the storage version are pruned on write"
    );
    let r = h
        .req(
            "GET",
            "/apis/example.com/v1beta1/namespaces/default/foos",
            None,
        )
        .await;
    assert_eq!(r.body["apiVersion"], "example.com/v1beta1");
    assert_eq!(r.body["items"][0]["apiVersion"], "example.com/v1beta1");
}

const CRDS: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const FOOS: &str = "/apis/example.com/v1/namespaces/default/foos";

/// Polls `path` until `done` holds for its body (the CRD controllers run asynchronously).
async fn eventually(h: &Harness, path: &str, done: impl Fn(&Resp) -> bool) -> Resp {
    for _ in 0..200 {
        let r = h.req("GET", path, None).await;
        if done(&r) {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never reached the expected state");
}

#[tokio::test]
async fn creates_are_forbidden_while_the_crd_terminates() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&crd())).await.code, 201);
    let mut held = foo("held", json!({}));
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    let r = h.req("POST", FOOS, Some(&held)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h
        .req("DELETE", &format!("{CRDS}/foos.example.com"), None)
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    // The cleanup cannot finish while `held` keeps its finalizer.
    let held_path = format!("{FOOS}/held");
    eventually(&h, &held_path, |r| {
        r.body["metadata"]["deletionTimestamp"].is_string()
    })
    .await;

    let r = h.req("POST", FOOS, Some(&foo("new", json!({})))).await;
    assert_eq!(r.code, 403, "{}", r.text);
    assert_eq!(r.body["reason"], "Forbidden");
    assert_eq!(
        r.body["message"],
        "foos.example.com \"new\" is forbidden: create not allowed while custom resource definition is terminating"
    );
    let r = h.req("GET", "/apis/example.com/v1", None).await;
    assert_eq!(
        r.body["resources"][0]["verbs"],
        json!(["delete", "deletecollection", "get", "list", "watch"]),
        "discovery verbs shrink while terminating"
    );
    let r = h
        .req("GET", &format!("{CRDS}/foos.example.com"), None)
        .await;
    let terminating = r.body["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Terminating")
        .cloned()
        .expect("Terminating condition");
    assert_eq!(terminating["status"], "True", "{terminating}");
    // Reads and updates of existing objects keep working; dropping the finalizer lets the
    // cleanup finish and the CRD go.
    let r = h
        .req_ct(
            "PATCH",
            &held_path,
            Some(json!({"metadata":{"finalizers":null}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    eventually(&h, &format!("{CRDS}/foos.example.com"), |r| r.code == 404).await;
}

fn ranged_crd() -> Value {
    let mut c = crd();
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = json!({
        "type": "object",
        "x-kubernetes-validations": [
            {"rule": "self.min <= self.max", "message": "min must not exceed max"},
            {"rule": "self.min == oldSelf.min", "message": "min is immutable"}
        ],
        "properties": {
            "min": {"type": "integer"},
            "max": {"type": "integer",
                    "x-kubernetes-validations": [{"rule": "self <= 100"}]},
            "color": {"type": "string"}
        }
    });
    c["spec"]["versions"][0]["selectableFields"] = json!([{"jsonPath": ".spec.color"}]);
    c
}

/// Rule failures render as Kubernetes >= 1.35 does (klite-schema's choice): the value is
/// omitted for objects and arrays and is the actual value for scalars.
#[tokio::test]
async fn cel_rules_reject_custom_resources_with_upstream_field_errors() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&ranged_crd())).await.code, 201);
    let r = h
        .req("POST", FOOS, Some(&foo("x", json!({"min": 5, "max": 1}))))
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: spec: Invalid value: min must not exceed max"
    );
    assert_eq!(
        r.body["details"]["causes"],
        json!([{"reason":"FieldValueInvalid","message":"Invalid value: min must not exceed max","field":"spec"}])
    );
    let r = h
        .req("POST", FOOS, Some(&foo("x", json!({"min": 1, "max": 500}))))
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: spec.max: Invalid value: 500: failed rule: self <= 100"
    );
    let r = h
        .req("POST", FOOS, Some(&foo("x", json!({"min": 1, "max": 2}))))
        .await;
    assert_eq!(
        r.code, 201,
        "transition rules do not run on create: {}",
        r.text
    );
    let r = h
        .req_ct(
            "PATCH",
            &format!("{FOOS}/x"),
            Some(json!({"spec":{"min":2}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: spec: Invalid value: min is immutable"
    );
}

#[tokio::test]
async fn selectable_fields_filter_custom_resource_lists_and_watches() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&ranged_crd())).await.code, 201);
    for (name, color) in [("r", "red"), ("b", "blue")] {
        let r = h
            .req(
                "POST",
                FOOS,
                Some(&foo(name, json!({"min": 1, "max": 2, "color": color}))),
            )
            .await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
    let r = h
        .req(
            "POST",
            FOOS,
            Some(&foo("none", json!({"min": 1, "max": 2}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let names = |r: &Resp| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let r = h
        .req(
            "GET",
            &format!("{FOOS}?fieldSelector=spec.color%3Dred"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["r"], "{}", r.text);
    let r = h
        .req(
            "GET",
            &format!("{FOOS}?fieldSelector=spec.color%21%3Dred"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["b", "none"], "a missing field is \"\"");
    let r = h
        .req("GET", &format!("{FOOS}?fieldSelector=spec.min%3D1"), None)
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
    assert_eq!(r.body["reason"], "BadRequest");
    assert_eq!(r.body["message"], "field label not supported: spec.min");
    let mut w = WatchStream::open(
        &h,
        &format!("{FOOS}?watch=1&fieldSelector=spec.color%3Dblue"),
    )
    .await;
    assert_eq!(w.next_pair().await, ("ADDED".into(), "b".into()));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{FOOS}/b"),
            Some(json!({"spec":{"color":"green"}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        w.next_pair().await,
        ("DELETED".into(), "b".into()),
        "leaving the field selector is DELETED"
    );
}

#[tokio::test]
async fn cel_rules_are_skipped_after_blocking_schema_errors() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&ranged_crd())).await.code, 201);
    let r = h
        .req(
            "POST",
            FOOS,
            Some(&foo("x", json!({"min": "five", "max": 1}))),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: [spec.min: Invalid value: \"string\": spec.min in body must be of type integer: \"string\", <nil>: Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"
    );
}

fn keyword_crd() -> Value {
    let mut c = crd();
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5},
            "email": {"type": "string", "format": "email"},
            "port": {"x-kubernetes-int-or-string": true},
            "size": {"type": "integer", "maximum": 10},
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "required": ["name"],
                                "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    });
    c
}

#[tokio::test]
async fn schema_keywords_reject_custom_resources_as_kube_openapi_does() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&keyword_crd())).await.code, 201);
    let invalid = |spec: Value| {
        let h = &h;
        async move {
            let r = h.req("POST", FOOS, Some(&foo("x", spec))).await;
            assert_eq!(r.code, 422, "{}", r.text);
            assert_eq!(r.body["reason"], "Invalid");
            r.body["message"]
                .as_str()
                .unwrap()
                .trim_start_matches("Foo.example.com \"x\" is invalid: ")
                .to_string()
        }
    };
    assert_eq!(invalid(json!({})).await, "spec.name: Required value");
    assert_eq!(
        invalid(json!({"name": "ABC"})).await,
        "spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"
    );
    assert_eq!(
        invalid(json!({"name": "abcdef"})).await,
        "spec.name: Too long: may not be more than 5 bytes"
    );
    assert_eq!(
        invalid(json!({"name": "a", "email": "nope"})).await,
        "spec.email: Invalid value: \"nope\": spec.email in body must be of type email: \"nope\""
    );
    assert_eq!(
        invalid(json!({"name": "a", "port": true})).await,
        "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""
    );
    assert_eq!(
        invalid(json!({"name": "a", "size": 11})).await,
        "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"
    );
    assert_eq!(
        invalid(json!({"name": "a", "tags": ["a", "b", "a"]})).await,
        "spec.tags[2]: Duplicate value: \"a\""
    );
    assert_eq!(
        invalid(json!({"name": "a", "ports": [{"name": "http", "port": 1}, {"name": "http", "port": 2}]})).await,
        "spec.ports[1]: Duplicate value: {\"name\":\"http\"}"
    );
    let r = h
        .req(
            "POST",
            FOOS,
            Some(&foo(
                "ok",
                json!({"name": "a", "port": "http", "free": {"any": {"thing": [1]}}, "dropped": 1}),
            )),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["spec"],
        json!({"name": "a", "port": "http", "free": {"any": {"thing": [1]}}}),
        "preserve-unknown-fields keeps its subtree; unknown fields elsewhere are pruned"
    );
}

#[tokio::test]
async fn crds_with_rules_that_do_not_compile_are_invalid() {
    let h = harness().await;
    let mut c = ranged_crd();
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["x-kubernetes-validations"] = json!([{"rule": "self.min <"}]);
    let r = h.req("POST", CRDS, Some(&c)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    let cause = &r.body["details"]["causes"][0];
    assert_eq!(
        cause["field"],
        "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule",
        "{}",
        r.text
    );
    assert!(
        cause["message"]
            .as_str()
            .unwrap()
            .contains("compilation failed: ERROR: <input>:1:"),
        "{}",
        r.text
    );
    assert!(r.body["message"].as_str().unwrap().starts_with(
        "CustomResourceDefinition.apiextensions.k8s.io \"foos.example.com\" is invalid: "
    ));
}

#[tokio::test]
async fn custom_resource_status_writes_keep_everything_but_status() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&crd())).await.code, 201);
    let mut obj = foo("s", json!({"replicas": 1}));
    obj["status"] = json!({"replicas": 9});
    let r = h.req("POST", FOOS, Some(&obj)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert!(
        r.body.get("status").is_none(),
        "create drops status: {}",
        r.text
    );
    let mut upd = r.body.clone();
    upd["status"] = json!({"replicas": 2});
    upd["spec"]["replicas"] = json!(5);
    upd["metadata"]["labels"] = json!({"new": "label"});
    upd["metadata"]["annotations"] = json!({"new": "annotation"});
    upd["metadata"]["finalizers"] = json!(["example.com/f"]);
    let r = h.req("PUT", &format!("{FOOS}/s/status"), Some(&upd)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["status"], json!({"replicas": 2}));
    assert_eq!(r.body["spec"]["replicas"], 1, "spec is restored");
    assert!(r.body["metadata"].get("labels").is_none(), "{}", r.text);
    assert!(r.body["metadata"].get("annotations").is_none());
    assert!(r.body["metadata"].get("finalizers").is_none());
    assert_eq!(
        r.body["metadata"]["generation"], 1,
        "/status never bumps generation"
    );
    // The main endpoint keeps the stored status and bumps generation on spec changes.
    let mut upd = r.body.clone();
    upd["status"] = json!({"replicas": 7});
    upd["spec"]["replicas"] = json!(3);
    let r = h.req("PUT", &format!("{FOOS}/s"), Some(&upd)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["status"], json!({"replicas": 2}));
    assert_eq!(r.body["spec"]["replicas"], 3);
    assert_eq!(r.body["metadata"]["generation"], 2);
    // Status is validated against properties.status.
    let mut bad = r.body.clone();
    bad["status"] = json!({"replicas": "many"});
    let r = h.req("PUT", &format!("{FOOS}/s/status"), Some(&bad)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"s\" is invalid: status.replicas: Invalid value: \"string\": replicas in body must be of type integer: \"string\""
    );
}

#[tokio::test]
async fn rules_added_later_ratchet_unchanged_values_into_warnings() {
    let h = harness().await;
    let r = h.req("POST", CRDS, Some(&ranged_crd())).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h
        .req(
            "POST",
            FOOS,
            Some(&foo("x", json!({"min": 1, "max": 2, "color": "crimson"}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    // Tighten the schema: colors must now be short.
    let mut c = h
        .req("GET", &format!("{CRDS}/foos.example.com"), None)
        .await
        .body;
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["color"]["x-kubernetes-validations"] =
        json!([{"rule": "self.size() < 5", "message": "too long"}]);
    let r = h
        .req("PUT", &format!("{CRDS}/foos.example.com"), Some(&c))
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let patch = |spec: Value| {
        let h = &h;
        async move {
            h.req_ct(
                "PATCH",
                &format!("{FOOS}/x"),
                Some(json!({ "spec": spec }).to_string()),
                "application/merge-patch+json",
            )
            .await
        }
    };
    let r = patch(json!({"max": 3})).await;
    assert_eq!(
        r.code, 200,
        "an unchanged violation is ratcheted: {}",
        r.text
    );
    let warnings: Vec<&str> = r
        .headers
        .get_all("Warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        warnings,
        vec!["299 - \"spec.color: Invalid value: \\\"crimson\\\": too long\""]
    );
    let r = patch(json!({"color": "scarlet"})).await;
    assert_eq!(r.code, 422, "a changed value must pass: {}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: spec.color: Invalid value: \"scarlet\": too long"
    );
}

#[tokio::test]
async fn custom_resources_with_a_foreign_kind_are_invalid() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&crd())).await.code, 201);
    let mut body = foo("x", json!({}));
    body["kind"] = json!("Bar");
    let r = h.req("POST", FOOS, Some(&body)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: kind: Invalid value: \"Bar\": must be Foo"
    );
    let r = h.req("POST", FOOS, Some(&foo("x", json!({})))).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut upd = r.body.clone();
    upd["kind"] = json!("Bar");
    let r = h.req("PUT", &format!("{FOOS}/x"), Some(&upd)).await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Foo.example.com \"x\" is invalid: kind: Invalid value: \"Bar\": must be Foo"
    );
}

#[tokio::test]
async fn conflicting_names_in_a_group_are_not_accepted() {
    let h = harness().await;
    assert_eq!(h.req("POST", CRDS, Some(&crd())).await.code, 201);
    let mut bars = crd();
    bars["metadata"]["name"] = json!("bars.example.com");
    bars["spec"]["names"] =
        json!({"plural": "bars", "singular": "bar", "kind": "Bar", "shortNames": ["fo"]});
    let r = h.req("POST", CRDS, Some(&bars)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = eventually(&h, &format!("{CRDS}/bars.example.com"), |r| {
        r.body["status"]["conditions"].is_array()
    })
    .await;
    let conditions = r.body["status"]["conditions"].as_array().unwrap();
    let find = |t: &str| {
        conditions
            .iter()
            .find(|c| c["type"] == t)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let names = find("NamesAccepted");
    assert_eq!(
        (
            names["status"].as_str(),
            names["reason"].as_str(),
            names["message"].as_str()
        ),
        (
            Some("False"),
            Some("ShortNamesConflict"),
            Some("\"fo\" is already in use")
        ),
        "{}",
        r.text
    );
    let established = find("Established");
    assert_eq!(
        (
            established["status"].as_str(),
            established["reason"].as_str(),
            established["message"].as_str()
        ),
        (
            Some("False"),
            Some("NotAccepted"),
            Some("not all names are accepted")
        ),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["status"]["acceptedNames"]["shortNames"],
        Value::Null,
        "the conflicting short name is not accepted: {}",
        r.text
    );
    let r = h.req("GET", "/apis/example.com/v1", None).await;
    let served: Vec<&str> = r.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(!served.contains(&"bars"), "{served:?}");
}
