//! LIST pagination/selectors/resourceVersion and WATCH semantics.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn list_selectors_and_field_selector_errors() {
    let h = harness().await;
    h.create_ns("ns1").await;
    for (n, app) in [("a", "web"), ("b", "db"), ("c", "web")] {
        let r = h
            .req(
                "POST",
                "/api/v1/namespaces/ns1/configmaps",
                Some(&cm(n, json!({"app": app}))),
            )
            .await;
        assert_eq!(r.code, 201);
    }
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/ns1/configmaps?labelSelector=app%3Dweb",
            None,
        )
        .await;
    assert_eq!(r.body["kind"], "ConfigMapList");
    assert_eq!(r.body["apiVersion"], "v1");
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "c"]);
    assert!(
        r.body["items"][0].get("kind").is_none(),
        "typed list items carry no kind"
    );
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/ns1/configmaps?fieldSelector=metadata.name%3Db",
            None,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/ns1/configmaps?fieldSelector=spec.foo%3Db",
            None,
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.body["message"], "\"spec.foo\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
    let r = h
        .req("GET", "/api/v1/pods?fieldSelector=spec.foo%3Db", None)
        .await;
    assert_eq!(r.body["message"], "field label not supported: spec.foo");
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/ns1/configmaps?labelSelector=a%20b",
            None,
        )
        .await;
    assert_eq!(r.code, 400);
    let r = h
        .req("GET", "/api/v1/configmaps?labelSelector=app", None)
        .await;
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        3,
        "all-namespaces list"
    );
    let r = h
        .req("GET", "/api/v1/namespaces/nope/configmaps", None)
        .await;
    assert_eq!(
        (r.code, r.body["items"].as_array().unwrap().len()),
        (200, 0)
    );
    assert!(
        r.text.contains("\"items\":[]"),
        "empty lists render items: []"
    );
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/ns1/configmaps?resourceVersionMatch=Exact",
            None,
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.body["message"], "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
}

#[tokio::test]
async fn paginated_list_is_one_consistent_snapshot_under_writes() {
    let h = harness().await;
    h.create_ns("p").await;
    for i in 0..25 {
        let r = h
            .req(
                "POST",
                "/api/v1/namespaces/p/configmaps",
                Some(&cm(&format!("cm-{i:03}"), json!({}))),
            )
            .await;
        assert_eq!(r.code, 201);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut list_rv = String::new();
    let mut pages = 0;
    loop {
        let path = if token.is_empty() {
            "/api/v1/namespaces/p/configmaps?limit=10".to_string()
        } else {
            format!("/api/v1/namespaces/p/configmaps?limit=10&continue={token}")
        };
        let r = h.req("GET", &path, None).await;
        assert_eq!(r.code, 200, "{}", r.text);
        pages += 1;
        if list_rv.is_empty() {
            list_rv = r.body["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string();
            // Concurrent writes after the first page must not show up in later pages.
            h.req(
                "POST",
                "/api/v1/namespaces/p/configmaps",
                Some(&cm("zzz-new", json!({}))),
            )
            .await;
            h.req("DELETE", "/api/v1/namespaces/p/configmaps/cm-024", None)
                .await;
        }
        assert_eq!(
            r.body["metadata"]["resourceVersion"].as_str().unwrap(),
            list_rv
        );
        for item in r.body["items"].as_array().unwrap() {
            seen.push(item["metadata"]["name"].as_str().unwrap().to_string());
        }
        match r.body["metadata"]["continue"].as_str() {
            Some(t) => {
                if pages == 1 {
                    assert_eq!(r.body["metadata"]["remainingItemCount"], 15);
                }
                token = t.to_string();
            }
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("cm-{i:03}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn exact_list_at_an_older_revision_and_too_large_rv() {
    let h = harness().await;
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm("x", json!({}))),
        )
        .await;
    let rv = r.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    h.req("DELETE", "/api/v1/namespaces/default/configmaps/x", None)
        .await;
    let r = h.req("GET", &format!("/api/v1/namespaces/default/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact"), None).await;
    assert_eq!(r.code, 200);
    assert_eq!(r.body["items"][0]["metadata"]["name"], "x");
    assert_eq!(r.body["metadata"]["resourceVersion"], rv);
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/default/configmaps?resourceVersion=abc",
            None,
        )
        .await;
    assert_eq!(r.code, 400);
}

#[tokio::test]
async fn watch_from_now_replays_state_then_streams_changes_with_selector_transitions() {
    let h = harness().await;
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("pre", json!({"w": "y"}))),
    )
    .await;
    let mut w = WatchStream::open(
        &h,
        "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=w%3Dy",
    )
    .await;
    assert_eq!(w.next_pair().await, ("ADDED".into(), "pre".into()));
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm("n", json!({"w": "n"}))),
        )
        .await;
    let mut obj = r.body.clone();
    obj["metadata"]["labels"]["w"] = json!("y");
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/n", Some(&obj))
        .await;
    assert_eq!(r.code, 200);
    let ev = w.next().await.unwrap();
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("n")),
        "entering the selector is ADDED"
    );
    assert_eq!(ev["object"]["kind"], "ConfigMap");
    let mut obj = r.body.clone();
    obj["metadata"]["labels"]["w"] = json!("gone");
    let r = h
        .req("PUT", "/api/v1/namespaces/default/configmaps/n", Some(&obj))
        .await;
    let ev = w.next().await.unwrap();
    assert_eq!(ev["type"], "DELETED", "leaving the selector is DELETED");
    assert_eq!(
        ev["object"]["metadata"]["labels"]["w"], "y",
        "DELETED carries the previous state"
    );
    assert_eq!(
        ev["object"]["metadata"]["resourceVersion"],
        r.body["metadata"]["resourceVersion"]
    );
    h.req("DELETE", "/api/v1/namespaces/default/configmaps/pre", None)
        .await;
    assert_eq!(w.next_pair().await, ("DELETED".into(), "pre".into()));
}

#[tokio::test]
async fn watch_from_resource_version_sends_only_later_changes_and_too_old_is_410() {
    let h = harness_with(klite_apiserver::ServerOptions {
        watch_history: 5,
        ..Default::default()
    })
    .await;
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm("a", json!({}))),
        )
        .await;
    let rv: u64 = r.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("b", json!({}))),
    )
    .await;
    let mut w = WatchStream::open(
        &h,
        &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}"),
    )
    .await;
    assert_eq!(w.next_pair().await, ("ADDED".into(), "b".into()));
    for i in 0..10 {
        h.req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm(&format!("f{i}"), json!({}))),
        )
        .await;
    }
    let mut old = WatchStream::open(
        &h,
        &format!("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}"),
    )
    .await;
    let ev = old.next().await.unwrap();
    assert_eq!(ev["type"], "ERROR");
    assert_eq!(ev["object"]["code"], 410);
    assert_eq!(ev["object"]["reason"], "Expired");
    assert!(ev["object"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("too old resource version: {rv} (")));
    assert!(old.next().await.is_none(), "stream closes after ERROR");
}

#[tokio::test]
async fn watch_list_sends_initial_events_end_bookmark_and_timeout_ends_stream() {
    let h = harness().await;
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("one", json!({}))),
    )
    .await;
    let mut w = WatchStream::open(
        &h,
        "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
    )
    .await;
    assert_eq!(w.next_pair().await, ("ADDED".into(), "one".into()));
    let bm = w.next().await.unwrap();
    assert_eq!(bm["type"], "BOOKMARK");
    assert_eq!(
        bm["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert_eq!(bm["object"]["kind"], "ConfigMap");
    assert!(w.next().await.is_none(), "timeoutSeconds ends the stream");
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true",
            None,
        )
        .await;
    assert_eq!(r.code, 422);
}

#[tokio::test]
async fn single_object_watch_by_field_selector() {
    let h = harness().await;
    let mut w = WatchStream::open(
        &h,
        "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dtarget",
    )
    .await;
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("other", json!({}))),
    )
    .await;
    h.req(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(&cm("target", json!({}))),
    )
    .await;
    assert_eq!(w.next_pair().await, ("ADDED".into(), "target".into()));
}

#[tokio::test]
async fn continue_token_from_a_future_revision_is_etcds_future_revision_error() {
    use base64::Engine;
    let h = harness().await;
    let future = h.server.revision() + 1000;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{{\"v\":\"meta.k8s.io/v1\",\"rv\":{future},\"start\":\"a\\u0000\"}}"
    ));
    let r = h
        .req(
            "GET",
            &format!("/api/v1/namespaces/default/configmaps?limit=1&continue={token}"),
            None,
        )
        .await;
    assert_eq!(r.code, 500, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "etcdserver: mvcc: required revision is a future revision", "code": 500})
    );
}

#[tokio::test]
async fn list_at_resource_version_zero_ignores_limit() {
    let h = harness().await;
    for n in ["a", "b", "c"] {
        h.req(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(&cm(n, json!({}))),
        )
        .await;
    }
    // What client-go reflectors send first: the watch cache serves everything, no continue.
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/default/configmaps?resourceVersion=0&limit=1",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
    assert!(r.body["metadata"].get("continue").is_none(), "{}", r.text);
    assert!(r.body["metadata"].get("remainingItemCount").is_none());
    // Without RV=0 the limit applies and remainingItemCount counts the rest.
    let r = h
        .req("GET", "/api/v1/namespaces/default/configmaps?limit=1", None)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["metadata"]["remainingItemCount"], 2);
    // With a selector the count is not reported.
    let r = h
        .req(
            "GET",
            "/api/v1/namespaces/default/configmaps?limit=1&labelSelector=!nope",
            None,
        )
        .await;
    assert!(r.body["metadata"]["continue"].is_string());
    assert!(
        r.body["metadata"].get("remainingItemCount").is_none(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn per_kind_field_selectors_filter_events_pods_and_secrets() {
    let h = harness().await;
    let ns = "/api/v1/namespaces/default";
    for (name, obj) in [("e1", "a"), ("e2", "b")] {
        let ev = json!({"apiVersion":"v1","kind":"Event","metadata":{"name":name},
            "involvedObject":{"kind":"ConfigMap","name":obj,"namespace":"default"},
            "reason":"Tested","message":"m","type":"Normal"});
        let r = h.req("POST", &format!("{ns}/events"), Some(&ev)).await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
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
            &format!("{ns}/events?fieldSelector=involvedObject.name%3Db,involvedObject.kind%3DConfigMap,type%3DNormal"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["e2"], "{}", r.text);
    for (name, node) in [("p1", Some("n1")), ("p2", None)] {
        let mut pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name},
            "spec":{"containers":[{"name":"c","image":"nginx"}]}});
        if let Some(n) = node {
            pod["spec"]["nodeName"] = json!(n);
        }
        assert_eq!(
            h.req("POST", &format!("{ns}/pods"), Some(&pod)).await.code,
            201
        );
    }
    let r = h
        .req(
            "GET",
            &format!("{ns}/pods?fieldSelector=spec.nodeName%3Dn1"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["p1"], "{}", r.text);
    let r = h
        .req(
            "GET",
            &format!("{ns}/pods?fieldSelector=spec.nodeName%3D,status.phase%3DPending"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["p2"], "unscheduled pods: {}", r.text);
    let secret = |name: &str, ty: &str| json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":name},"type":ty});
    for (name, ty) in [("s1", "Opaque"), ("s2", "kubernetes.io/tls")] {
        let mut s = secret(name, ty);
        if ty == "kubernetes.io/tls" {
            s["data"] = json!({"tls.crt": "", "tls.key": ""});
        }
        let r = h.req("POST", &format!("{ns}/secrets"), Some(&s)).await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
    let r = h
        .req(
            "GET",
            &format!("{ns}/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls"),
            None,
        )
        .await;
    assert_eq!(names(&r), vec!["s2"], "{}", r.text);
    let r = h
        .req(
            "GET",
            &format!("{ns}/secrets?fieldSelector=data.x%3Dy"),
            None,
        )
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.body["message"], "field label not supported: data.x");
}

#[tokio::test]
async fn all_namespace_watches_see_every_namespace_and_deletes_carry_their_revision() {
    let h = harness().await;
    h.create_ns("w1").await;
    h.create_ns("w2").await;
    let mut all = WatchStream::open(&h, "/api/v1/configmaps?watch=1&resourceVersion=0").await;
    let mut one = WatchStream::open(&h, "/api/v1/namespaces/w2/configmaps?watch=1").await;
    for ns in ["w1", "w2"] {
        let r = h
            .req(
                "POST",
                &format!("/api/v1/namespaces/{ns}/configmaps"),
                Some(&cm("c", json!({}))),
            )
            .await;
        assert_eq!(r.code, 201);
    }
    let first = all.next().await.unwrap();
    let second = all.next().await.unwrap();
    assert_eq!(
        (
            first["object"]["metadata"]["namespace"].as_str(),
            second["object"]["metadata"]["namespace"].as_str()
        ),
        (Some("w1"), Some("w2"))
    );
    let only = one.next().await.unwrap();
    assert_eq!(only["object"]["metadata"]["namespace"], "w2");
    let created_rv: u64 = second["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = h
        .req("DELETE", "/api/v1/namespaces/w2/configmaps/c", None)
        .await;
    assert_eq!(r.code, 200);
    for w in [&mut all, &mut one] {
        let ev = w.next().await.unwrap();
        assert_eq!(ev["type"], "DELETED");
        assert_eq!(ev["object"]["metadata"]["namespace"], "w2");
        let rv: u64 = ev["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rv > created_rv, "DELETED carries the delete's revision");
    }
}
