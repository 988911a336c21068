//! The client against a real (embedded) API server: verbs, errors, discovery, watch.

use klite_apiserver::{start, ServerOptions};
use klite_client::{CallOptions, ClientOptions, DynamicClient, Error, ObjectBody, PatchType, Verb};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

fn options(verb: Verb, value: Value) -> CallOptions {
    CallOptions::parse(verb, value.as_object()).expect("options")
}

fn body(value: &Value) -> ObjectBody {
    ObjectBody {
        json: value.to_string(),
        name: value["metadata"]["name"].as_str().map(str::to_owned),
        namespace: value["metadata"]["namespace"].as_str().map(str::to_owned),
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON answer")
}

async fn client_for(server: &klite_apiserver::ApiServer) -> DynamicClient {
    let kubeconfig = server.kubeconfig(server.admin());
    DynamicClient::new(ClientOptions {
        kubeconfig: Some(kubeconfig),
        ..ClientOptions::default()
    })
    .expect("client")
}

#[tokio::test]
async fn crud_round_trip_with_upstream_errors() {
    let server = start(ServerOptions::default()).await.expect("server");
    let client = client_for(&server).await;
    let cancel = CancellationToken::new();
    let configmaps = client.resource("v1", "ConfigMap").unwrap();

    let created = parse(
        &configmaps
            .create(
                body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}})),
                &options(Verb::Create, json!({})),
                &cancel,
            )
            .await
            .expect("create"),
    );
    assert_eq!(
        created["metadata"]["namespace"], "default",
        "context namespace is the default"
    );
    assert_eq!(created["data"]["k"], "v");

    let again = configmaps
        .create(
            body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})),
            &options(Verb::Create, json!({})),
            &cancel,
        )
        .await
        .expect_err("duplicate");
    match again {
        Error::Api(failure) => {
            assert_eq!(failure.code, 409);
            assert_eq!(failure.reason, "AlreadyExists");
            assert_eq!(failure.message, "configmaps \"a\" already exists");
        }
        other => panic!("unexpected {other:?}"),
    }

    let mut stale = created.clone();
    stale["data"]["k"] = json!("w");
    configmaps
        .update(body(&stale), &options(Verb::Update, json!({})), &cancel)
        .await
        .expect("update");
    let conflict = configmaps
        .update(body(&stale), &options(Verb::Update, json!({})), &cancel)
        .await
        .expect_err("stale resourceVersion");
    assert!(
        matches!(&conflict, Error::Api(failure) if failure.reason == "Conflict" && failure.code == 409),
        "{conflict:?}"
    );

    let patched = parse(
        &configmaps
            .patch(
                "a",
                PatchType::Merge,
                br#"{"data":{"m":"1"}}"#.to_vec().into(),
                &options(Verb::Patch, json!({})),
                &cancel,
            )
            .await
            .expect("merge patch"),
    );
    assert_eq!(patched["data"], json!({"k": "w", "m": "1"}));

    let list = parse(
        &configmaps
            .list(
                &options(Verb::List, json!({"namespace": "default"})),
                &cancel,
            )
            .await
            .expect("list"),
    );
    assert_eq!(list["kind"], "ConfigMapList");
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|item| item["metadata"]["name"] == "a"));

    configmaps
        .delete("a", &options(Verb::Delete, json!({})), &cancel)
        .await
        .expect("delete");
    let gone = configmaps
        .get("a", &options(Verb::Get, json!({})), &cancel)
        .await
        .expect_err("deleted");
    assert!(
        matches!(&gone, Error::Api(failure) if failure.code == 404 && failure.reason == "NotFound"),
        "{gone:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_kinds_are_not_found_and_new_crds_are_discovered() {
    let server = start(ServerOptions::default()).await.expect("server");
    let client = client_for(&server).await;
    let cancel = CancellationToken::new();
    let widgets = client.resource("example.com/v1", "Widget").unwrap();
    let missing = widgets
        .list(&CallOptions::default(), &cancel)
        .await
        .expect_err("not served yet");
    assert!(
        matches!(&missing, Error::UnknownKind { kind, .. } if kind == "Widget"),
        "{missing:?}"
    );

    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    });
    client
        .resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        .unwrap()
        .create(body(&crd), &CallOptions::default(), &cancel)
        .await
        .expect("create CRD");
    let mut found = None;
    for _ in 0..200 {
        match widgets.list(&CallOptions::default(), &cancel).await {
            Ok(list) => {
                found = Some(parse(&list));
                break;
            }
            Err(Error::UnknownKind { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        found.expect("the CRD is discovered after a miss")["kind"],
        "WidgetList"
    );
    server.stop().await;
}

#[tokio::test]
async fn watch_delivers_events_in_order_and_stops() {
    let server = start(ServerOptions::default()).await.expect("server");
    let client = client_for(&server).await;
    let cancel = CancellationToken::new();
    let configmaps = client.resource("v1", "ConfigMap").unwrap();
    let list = parse(
        &configmaps
            .list(
                &options(Verb::List, json!({"namespace": "default"})),
                &cancel,
            )
            .await
            .unwrap(),
    );
    let from = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let watch = configmaps.watch(options(
        Verb::Watch,
        json!({"namespace": "default", "resourceVersion": from}),
    ));
    for index in 0..3 {
        let name = format!("w{index}");
        configmaps
            .create(
                body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})),
                &CallOptions::default(),
                &cancel,
            )
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    while names.len() < 3 {
        let batch = watch.next_batch(100).await.expect("batch").expect("open");
        for event in parse(batch.as_bytes()).as_array().unwrap() {
            assert_eq!(event["type"], "ADDED");
            names.push(
                event["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert_eq!(names, vec!["w0", "w1", "w2"]);
    watch.stop();
    assert!(watch.next_batch(100).await.expect("after stop").is_none());
    server.stop().await;
}

#[tokio::test]
async fn refused_connections_are_econnrefused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context:\n    cluster: k\n"
    );
    let client = DynamicClient::new(ClientOptions {
        kubeconfig: Some(kubeconfig),
        ..Default::default()
    })
    .unwrap();
    let err = client
        .resource("v1", "ConfigMap")
        .unwrap()
        .list(&CallOptions::default(), &CancellationToken::new())
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            &err,
            Error::Connection {
                code: "ECONNREFUSED",
                ..
            }
        ),
        "{err:?}"
    );
}

/// A server whose history window holds only a few events, so old versions expire quickly.
async fn short_history_server() -> klite_apiserver::ApiServer {
    start(ServerOptions {
        watch_history: 4,
        ..ServerOptions::default()
    })
    .await
    .expect("server")
}

#[tokio::test]
async fn expired_continue_tokens_are_410_expired() {
    let server = short_history_server().await;
    let client = client_for(&server).await;
    let cancel = CancellationToken::new();
    let configmaps = client.resource("v1", "ConfigMap").unwrap();
    for index in 0..3 {
        configmaps
            .create(body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("p{index}")}})), &CallOptions::default(), &cancel)
            .await
            .unwrap();
    }
    let page = parse(
        &configmaps
            .list(
                &options(Verb::List, json!({"namespace": "default", "limit": 1})),
                &cancel,
            )
            .await
            .unwrap(),
    );
    let token = page["metadata"]["continue"]
        .as_str()
        .expect("a continue token")
        .to_owned();
    // The server keeps a bounded number of list snapshots besides its history window (as etcd
    // keeps revisions until compaction): keep writing and paging until the token's snapshot
    // is gone.
    let mut expired = None;
    for round in 0..500 {
        configmaps
            .create(body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("later{round}")}})), &CallOptions::default(), &cancel)
            .await
            .unwrap();
        configmaps
            .list(
                &options(Verb::List, json!({"namespace": "default", "limit": 1})),
                &cancel,
            )
            .await
            .unwrap();
        match configmaps
            .list(
                &options(
                    Verb::List,
                    json!({"namespace": "default", "limit": 1, "continue": token}),
                ),
                &cancel,
            )
            .await
        {
            Ok(_) => continue,
            Err(error) => {
                expired = Some(error);
                break;
            }
        }
    }
    let expired = expired.expect("the continue token eventually expires");
    match expired {
        Error::Api(failure) => {
            assert_eq!((failure.code, failure.reason.as_str()), (410, "Expired"));
            assert!(
                failure
                    .message
                    .starts_with("The provided continue parameter is too old"),
                "{}",
                failure.message
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn watching_from_an_expired_version_yields_an_error_event() {
    let server = short_history_server().await;
    let client = client_for(&server).await;
    let cancel = CancellationToken::new();
    let configmaps = client.resource("v1", "ConfigMap").unwrap();
    let list = parse(
        &configmaps
            .list(
                &options(Verb::List, json!({"namespace": "default"})),
                &cancel,
            )
            .await
            .unwrap(),
    );
    let old = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    for index in 0..10 {
        configmaps
            .create(body(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("e{index}")}})), &CallOptions::default(), &cancel)
            .await
            .unwrap();
    }
    let watch = configmaps.watch(options(
        Verb::Watch,
        json!({"namespace": "default", "resourceVersion": old}),
    ));
    let batch = parse(
        watch
            .next_batch(10)
            .await
            .expect("batch")
            .expect("an event")
            .as_bytes(),
    );
    assert_eq!(batch[0]["type"], "ERROR");
    assert_eq!(batch[0]["object"]["code"], 410);
    assert_eq!(batch[0]["object"]["reason"], "Expired");
    assert!(
        watch.next_batch(10).await.expect("end").is_none(),
        "the server closes the stream after ERROR"
    );
    server.stop().await;
}
