//! Request-level error bodies from the facts' catalogue (apiserver-facts-errors.md §1,
//! apiserver-facts-protocol.md §3–§4): identity mismatches, preconditions, unsupported methods
//! and media types, list/watch option validation and selector syntax.

use crate::common::*;
use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

async fn create_cm(h: &Harness, name: &str) -> Value {
    let r = h.req("POST", CMS, Some(&cm(name, json!({})))).await;
    assert_eq!(r.code, 201, "{}", r.text);
    r.body
}

fn assert_status(r: &Resp, code: u16, reason: &str, message: &str) {
    assert_eq!(r.code, code, "{}", r.text);
    assert_eq!(r.body["kind"], "Status", "{}", r.text);
    assert_eq!(r.body["apiVersion"], "v1");
    assert_eq!(r.body["status"], "Failure");
    assert_eq!(r.body["reason"], reason, "{}", r.text);
    assert_eq!(r.body["message"], message, "{}", r.text);
    assert_eq!(r.body["code"], code);
}

#[tokio::test]
async fn body_name_and_namespace_must_match_the_url() {
    let h = harness().await;
    let stored = create_cm(&h, "a").await;

    let mut renamed = stored.clone();
    renamed["metadata"]["name"] = json!("other");
    let r = h.req("PUT", &format!("{CMS}/a"), Some(&renamed)).await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (a)",
    );
    assert!(r.body.get("details").is_none(), "BadRequest has no details");

    let mut moved = stored.clone();
    moved["metadata"]["namespace"] = json!("kube-system");
    let r = h.req("PUT", &format!("{CMS}/a"), Some(&moved)).await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "the namespace of the object (kube-system) does not match the namespace on the request (default)",
    );

    let mut elsewhere = cm("b", json!({}));
    elsewhere["metadata"]["namespace"] = json!("kube-system");
    let r = h.req("POST", CMS, Some(&elsewhere)).await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
    );
    assert_eq!(
        h.req("GET", "/api/v1/namespaces/kube-system/configmaps/b", None)
            .await
            .code,
        404,
        "nothing was created anywhere"
    );
}

#[tokio::test]
async fn a_foreign_uid_in_an_update_is_a_storage_precondition_conflict() {
    let h = harness().await;
    let stored = create_cm(&h, "a").await;
    let stored_uid = stored["metadata"]["uid"].as_str().unwrap().to_string();
    let foreign = "00000000-0000-0000-0000-000000000001";
    let mut body = stored.clone();
    body["metadata"]["uid"] = json!(foreign);
    let r = h.req("PUT", &format!("{CMS}/a"), Some(&body)).await;
    assert_status(
        &r,
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on configmaps \"a\": StorageError: invalid object, Code: 4, Key: /registry/configmaps/default/a, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {foreign}, UID in object meta: {stored_uid}"
        ),
    );
    assert_eq!(r.body["details"], json!({"name":"a","kind":"configmaps"}));
}

#[tokio::test]
async fn delete_resource_version_precondition_names_the_kind() {
    let h = harness().await;
    let stored = create_cm(&h, "a").await;
    let rv = stored["metadata"]["resourceVersion"].as_str().unwrap();
    let r = h
        .req(
            "DELETE",
            &format!("{CMS}/a"),
            Some(&json!({"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}})),
        )
        .await;
    assert_status(
        &r,
        409,
        "Conflict",
        &format!("Operation cannot be fulfilled on ConfigMap \"a\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ({rv}). The object might have been modified"),
    );
    assert_eq!(r.body["details"], json!({"name":"a","kind":"ConfigMap"}));
    let r = h
        .req(
            "DELETE",
            &format!("{CMS}/a"),
            Some(&json!({"preconditions":{"resourceVersion":rv}})),
        )
        .await;
    assert_eq!(r.code, 200, "a matching precondition deletes: {}", r.text);
    assert_eq!(r.body["status"], "Success");
}

#[tokio::test]
async fn create_with_a_resource_version_is_a_plain_storage_error() {
    let h = harness().await;
    let mut body = cm("a", json!({}));
    body["metadata"]["resourceVersion"] = json!("5");
    let r = h.req("POST", CMS, Some(&body)).await;
    assert_eq!(r.code, 500, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "resourceVersion should not be set on objects to be created"
    );
    assert!(
        r.body.get("reason").is_none(),
        "a non-Status error has no reason: {}",
        r.text
    );
    assert_eq!(h.req("GET", &format!("{CMS}/a"), None).await.code, 404);
}

#[tokio::test]
async fn unregistered_methods_are_405_with_empty_details() {
    let h = harness().await;
    create_cm(&h, "a").await;
    for (method, path) in [("POST", format!("{CMS}/a")), ("PUT", CMS.to_string())] {
        let r = h.req(method, &path, Some(&cm("a", json!({})))).await;
        assert_status(
            &r,
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
        assert_eq!(r.body["details"], json!({}), "{method} {path}");
    }
}

#[tokio::test]
async fn recreating_an_object_that_waits_on_finalizers_says_it_is_being_deleted() {
    let h = harness().await;
    let mut obj = cm("a", json!({}));
    obj["metadata"]["finalizers"] = json!(["example.com/hold"]);
    assert_eq!(h.req("POST", CMS, Some(&obj)).await.code, 201);
    assert_eq!(h.req("DELETE", &format!("{CMS}/a"), None).await.code, 200);
    let r = h.req("POST", CMS, Some(&cm("a", json!({})))).await;
    assert_status(
        &r,
        409,
        "AlreadyExists",
        "object is being deleted: configmaps \"a\" already exists",
    );
    assert_eq!(r.body["details"], json!({"name":"a","kind":"configmaps"}));
}

#[tokio::test]
async fn applying_a_uid_to_a_missing_object_is_a_uid_mismatch() {
    let h = harness().await;
    let uid = "00000000-0000-0000-0000-000000000002";
    let body = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","uid":uid},"data":{"k":"v"}});
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/n?fieldManager=m"),
            Some(body.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_status(
        &r,
        409,
        "Conflict",
        &format!("Operation cannot be fulfilled on configmaps \"n\": uid mismatch: the provided object specified uid {uid}, and no existing object was found"),
    );
    assert_eq!(h.req("GET", &format!("{CMS}/n"), None).await.code, 404);
    // A non-apply patch of a missing object stays a plain NotFound.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/n"),
            Some(json!({"metadata":{"uid":uid}}).to_string()),
            "application/merge-patch+json",
        )
        .await;
    assert_status(&r, 404, "NotFound", "configmaps \"n\" not found");
}

#[tokio::test]
async fn list_option_errors_are_upstream_invalids_and_bad_requests() {
    let h = harness().await;
    create_cm(&h, "a").await;
    create_cm(&h, "b").await;
    let page = h.req("GET", &format!("{CMS}?limit=1"), None).await;
    let token = page.body["metadata"]["continue"]
        .as_str()
        .expect("continue token")
        .to_string();
    let invalid = |msg: &str| format!("ListOptions.meta.k8s.io \"\" is invalid: {msg}");
    let cases = [
        (
            format!("{CMS}?resourceVersion=1&resourceVersionMatch=NotOlderThan&continue={token}"),
            invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided"),
        ),
        (
            format!("{CMS}?resourceVersion=0&resourceVersionMatch=Exact"),
            invalid("resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""),
        ),
        (
            format!("{CMS}?resourceVersion=1&resourceVersionMatch=Newest"),
            invalid("resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
        ),
        (
            format!("{CMS}?sendInitialEvents=true"),
            invalid("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
        ),
    ];
    for (path, message) in cases {
        let r = h.req("GET", &path, None).await;
        assert_status(&r, 422, "Invalid", &message);
        assert_eq!(r.body["details"]["group"], "meta.k8s.io", "{path}");
        assert_eq!(r.body["details"]["kind"], "ListOptions", "{path}");
    }

    let r = h
        .req(
            "GET",
            &format!("{CMS}?resourceVersion=5&continue={token}"),
            None,
        )
        .await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "specifying resource version is not allowed when using continue",
    );
    let r = h.req("GET", &format!("{CMS}?continue=%21%21"), None).await;
    assert_eq!(
        (r.code, r.body["reason"].as_str()),
        (400, Some("BadRequest"))
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid continue token: "),
        "{}",
        r.text
    );
    let r = h
        .req("GET", &format!("{CMS}?resourceVersion=abc"), None)
        .await;
    assert_eq!(
        (r.code, r.body["reason"].as_str()),
        (400, Some("BadRequest"))
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid resource version: "),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_resource_version_ahead_of_the_store_is_a_504_with_retry_after() {
    let h = harness().await;
    let current: u64 = h.req("GET", CMS, None).await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ahead = current + 1000;
    let r = h
        .req(
            "GET",
            &format!("{CMS}?resourceVersion={ahead}&resourceVersionMatch=NotOlderThan"),
            None,
        )
        .await;
    assert_eq!(r.code, 504, "{}", r.text);
    assert_eq!(r.body["reason"], "Timeout");
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Timeout: Too large resource version: {ahead}, current: "
        )),
        "{message}"
    );
    assert_eq!(
        r.body["details"],
        json!({"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1})
    );
    assert_eq!(
        r.headers.get("Retry-After").and_then(|v| v.to_str().ok()),
        Some("1")
    );
}

#[tokio::test]
async fn watch_option_errors_are_upstream_invalids() {
    let h = harness().await;
    create_cm(&h, "a").await;
    let invalid = |msg: &str| format!("ListOptions.meta.k8s.io \"\" is invalid: {msg}");
    let cases = [
        (
            format!("{CMS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"),
            invalid("resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"),
        ),
        (
            format!("{CMS}?watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1"),
            invalid("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
        ),
    ];
    for (path, message) in cases {
        let r = h.req("GET", &path, None).await;
        assert_status(&r, 422, "Invalid", &message);
    }
    let r = h
        .req(
            "GET",
            "/api/v1/watch/namespaces/default/configmaps/a?fieldSelector=metadata.name%3Db",
            None,
        )
        .await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "fieldSelector metadata.name doesn't match requested name",
    );
}

#[tokio::test]
async fn selector_syntax_errors_are_bad_requests() {
    let h = harness().await;
    let r = h
        .req("GET", &format!("{CMS}?fieldSelector=foo"), None)
        .await;
    assert_status(
        &r,
        400,
        "BadRequest",
        "invalid selector: 'foo'; can't understand 'foo'",
    );
    let r = h
        .req("GET", &format!("{CMS}?labelSelector=a%20in%20b"), None)
        .await;
    assert_eq!(
        (r.code, r.body["reason"].as_str()),
        (400, Some("BadRequest"))
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("unable to parse requirement: found 'b' expected: '('"),
        "{}",
        r.text
    );
    let r = h
        .req("GET", &format!("{CMS}?labelSelector=a%3Db%20c"), None)
        .await;
    assert_eq!(r.code, 400, "{}", r.text);
}

#[tokio::test]
async fn unsupported_media_types_and_accept_headers() {
    let h = harness().await;
    create_cm(&h, "a").await;
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/a"),
            Some("{}".into()),
            "application/json",
        )
        .await;
    assert_status(
        &r,
        415,
        "UnsupportedMediaType",
        "415: Unsupported Media Type",
    );
    assert_eq!(r.body["details"], json!({}));
    let r = h
        .req_ct("POST", CMS, Some("a: b".into()), "text/plain")
        .await;
    assert_status(
        &r,
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    );
    let resp = h
        .admin
        .get(format!("{}{CMS}/a", h.base))
        .header("Accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 406);
    let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["reason"], "NotAcceptable");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("only the following media types are accepted: application/json"),
        "{body}"
    );
}

#[tokio::test]
async fn json_patches_with_too_many_operations_are_413() {
    let h = harness().await;
    create_cm(&h, "a").await;
    let ops: Vec<Value> = (0..10001)
        .map(|_| json!({"op":"test","path":"/data/k","value":"v"}))
        .collect();
    let r = h
        .req_ct(
            "PATCH",
            &format!("{CMS}/a"),
            Some(Value::Array(ops).to_string()),
            "application/json-patch+json",
        )
        .await;
    assert_status(
        &r,
        413,
        "RequestEntityTooLarge",
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    );
}

#[tokio::test]
async fn write_option_errors_are_upstream_invalids() {
    let h = harness().await;
    let invalid = |msg: &str| format!("CreateOptions.meta.k8s.io \"\" is invalid: {msg}");
    let cases = [
        (
            format!("{CMS}?fieldValidation=Loose"),
            invalid("fieldValidation: Unsupported value: \"Loose\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""),
        ),
        (
            format!("{CMS}?dryRun=All&dryRun=Some"),
            invalid("dryRun: Unsupported value: [\"All\",\"Some\"]: supported values: \"All\""),
        ),
        (
            format!("{CMS}?fieldManager=a%07b"),
            invalid("fieldManager: Invalid value: \"a\\ab\": invalid character U+0007 (at position 1)"),
        ),
        (
            format!("{CMS}?fieldManager={}", "m".repeat(129)),
            invalid("fieldManager: Too long: may not be more than 128 bytes"),
        ),
    ];
    for (path, message) in cases {
        let r = h.req("POST", &path, Some(&cm("a", json!({})))).await;
        assert_status(&r, 422, "Invalid", &message);
        assert_eq!(r.body["details"]["kind"], "CreateOptions", "{path}");
        assert_eq!(r.body["details"]["group"], "meta.k8s.io", "{path}");
    }
    assert_eq!(
        h.req("GET", &format!("{CMS}/a"), None).await.code,
        404,
        "nothing was created"
    );
    let r = h
        .req(
            "POST",
            &format!("{CMS}?fieldManager=my%20manager"),
            Some(&cm("a", json!({}))),
        )
        .await;
    assert_eq!(r.code, 201, "spaces are printable: {}", r.text);
    assert_eq!(
        r.body["metadata"]["managedFields"][0]["manager"],
        "my manager"
    );
}

#[tokio::test]
async fn option_validation_reports_every_violation() {
    let h = harness().await;
    let r = h
        .req("GET", &format!("{CMS}?resourceVersionMatch=Newest"), None)
        .await;
    assert_status(
        &r,
        422,
        "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\"]",
    );
    assert_eq!(r.body["details"]["causes"].as_array().unwrap().len(), 2);
    let r = h
        .req(
            "GET",
            &format!("{CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=Exact"),
            None,
        )
        .await;
    assert_status(
        &r,
        422,
        "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]",
    );
}
