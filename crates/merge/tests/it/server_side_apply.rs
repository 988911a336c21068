//! Server-side apply and field ownership, checked against kube-apiserver's
//! documented behaviour (structured-merge-diff's merge/update algorithm and
//! apimachinery's managedfields field manager; message texts of the apply
//! conflict `Status`).

use chrono::{DateTime, Utc};
use klite_merge::apply::{
    apply, reset_fields, track_update, ApplyOptions, ApplyOutcome, UpdateOptions,
    LAST_APPLIED_ANNOTATION,
};
use klite_merge::fieldpath::FieldSet;
use klite_merge::types::{builtin, from_openapi_schema, TypeRef};
use klite_merge::{Error, StatusCause};
use serde_json::{json, Value};

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_557_600 + seconds, 0).expect("time")
}

fn deploy_type() -> TypeRef {
    builtin("apps", "v1", "Deployment").expect("type")
}

fn apply_opts(manager: &str, force: bool) -> ApplyOptions<'_> {
    ApplyOptions {
        manager,
        api_version: "apps/v1",
        kind: "Deployment",
        subresource: None,
        force,
        now: at(0),
        reset_fields: None,
    }
}

fn update_opts(manager: &str, now: DateTime<Utc>) -> UpdateOptions<'_> {
    UpdateOptions {
        manager,
        api_version: "apps/v1",
        subresource: None,
        now,
        reset_fields: None,
    }
}

/// The Deployment of the facts' FieldsV1 example.
fn web(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": image}]}
            }
        }
    })
}

fn partial(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

fn ok(result: Result<ApplyOutcome, Error>) -> Value {
    match result {
        Ok(outcome) => outcome.object,
        Err(e) => panic!("apply failed: {e}"),
    }
}

/// `(manager, operation, fieldsV1)` of each managedFields entry, in stored order.
fn entries(obj: &Value) -> Vec<(String, String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let fields = FieldSet::from_fields_v1(&e["fieldsV1"]).expect("fieldsV1");
            (
                e["manager"].as_str().unwrap_or("").to_string(),
                e["operation"].as_str().unwrap_or("").to_string(),
                fields.to_fields_v1_string(),
            )
        })
        .collect()
}

fn paths_of(obj: &Value, manager: &str) -> Vec<String> {
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["manager"] == manager)
        .flat_map(|e| {
            FieldSet::from_fields_v1(&e["fieldsV1"])
                .expect("fieldsV1")
                .paths()
                .into_iter()
                .map(|p| p.to_string())
        })
        .collect()
}

#[test]
fn apply_records_the_configured_fields_in_upstream_fields_v1() {
    let out = apply(
        None,
        &web(1, "nginx:1.27"),
        &deploy_type(),
        &apply_opts("kubectl", false),
    )
    .expect("apply");
    assert!(out.changed);
    let entry = &out.object["metadata"]["managedFields"][0];
    assert_eq!(entry["manager"], "kubectl");
    assert_eq!(entry["operation"], "Apply");
    assert_eq!(entry["apiVersion"], "apps/v1");
    assert_eq!(entry["time"], "2024-05-01T10:00:00Z");
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(entry.get("subresource").is_none());
    assert_eq!(
        FieldSet::from_fields_v1(&entry["fieldsV1"])
            .expect("decode")
            .to_fields_v1_string(),
        r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#
    );
    assert_eq!(out.object["spec"]["replicas"], 1);
}

#[test]
fn conflicting_apply_is_refused_and_force_transfers_ownership() {
    let ty = deploy_type();
    let live = ok(apply(
        None,
        &web(2, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    ));
    let scale = partial(json!({"replicas": 3}));

    let err = apply(Some(&live), &scale, &ty, &apply_opts("bob", false)).expect_err("conflict");
    let status = err.status();
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, Some("Conflict"));
    assert_eq!(
        status.message,
        "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas"
    );
    assert_eq!(
        status.details,
        Some(vec![StatusCause {
            reason: "FieldManagerConflict",
            message: "conflict with \"alice\"".to_string(),
            field: ".spec.replicas".to_string(),
        }])
    );

    let forced = ok(apply(Some(&live), &scale, &ty, &apply_opts("bob", true)));
    assert_eq!(forced["spec"]["replicas"], 3);
    assert_eq!(paths_of(&forced, "bob"), [".spec.replicas"]);
    assert!(!paths_of(&forced, "alice").contains(&".spec.replicas".to_string()));

    // alice applying her old value now conflicts with bob
    let err = apply(
        Some(&forced),
        &web(2, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    )
    .expect_err("conflict");
    assert_eq!(
        err.status().message,
        "Apply failed with 1 conflict: conflict with \"bob\": .spec.replicas"
    );
}

#[test]
fn several_conflicts_are_grouped_by_manager() {
    let ty = deploy_type();
    let live = ok(apply(
        None,
        &web(2, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    ));
    let mut updated = live.clone();
    updated["metadata"]["labels"]["env"] = json!("prod");
    track_update(Some(&live), &mut updated, &ty, &update_opts("ctrl", at(10)));

    let mut config = web(5, "nginx:2");
    config["metadata"]["labels"]["env"] = json!("dev");
    let err =
        apply(Some(&updated), &config, &ty, &apply_opts("bob", false)).expect_err("conflicts");
    let status = err.status();
    assert_eq!(
        status.message,
        "Apply failed with 3 conflicts: conflicts with \"alice\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image\nconflicts with \"ctrl\" using apps/v1:\n- .metadata.labels.env"
    );
    let causes: Vec<(String, String)> = status
        .details
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.message, c.field))
        .collect();
    assert_eq!(
        causes,
        [
            (
                "conflict with \"alice\"".to_string(),
                ".spec.replicas".to_string()
            ),
            (
                "conflict with \"alice\"".to_string(),
                ".spec.template.spec.containers[name=\"nginx\"].image".to_string()
            ),
            (
                "conflict with \"ctrl\" using apps/v1".to_string(),
                ".metadata.labels.env".to_string()
            ),
        ]
    );
}

#[test]
fn equal_values_are_shared_without_conflict() {
    let ty = deploy_type();
    let live = ok(apply(
        None,
        &web(2, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    ));
    let same = partial(json!({"replicas": 2}));
    let out = apply(Some(&live), &same, &ty, &apply_opts("carol", false)).expect("shared");
    // the object is unchanged but ownership changed, so it must be written
    assert!(out.changed);
    assert_eq!(out.object["spec"], live["spec"]);
    assert!(paths_of(&out.object, "alice").contains(&".spec.replicas".to_string()));
    assert_eq!(paths_of(&out.object, "carol"), [".spec.replicas"]);
    // upstream stamps the time only when the applier changed the object
    let carol = out.object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["manager"] == "carol")
        .cloned()
        .expect("carol entry");
    assert!(carol.get("time").is_none());

    // now alice cannot change replicas alone
    let err = apply(
        Some(&out.object),
        &web(4, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    )
    .expect_err("conflict");
    assert_eq!(
        err.status().message,
        "Apply failed with 1 conflict: conflict with \"carol\": .spec.replicas"
    );
}

#[test]
fn reapplying_the_same_configuration_changes_nothing() {
    let ty = deploy_type();
    let live = ok(apply(
        None,
        &web(2, "nginx:1"),
        &ty,
        &apply_opts("alice", false),
    ));
    let mut later = apply_opts("alice", false);
    later.now = at(60);
    let out = apply(Some(&live), &web(2, "nginx:1"), &ty, &later).expect("no-op");
    assert!(!out.changed);
    assert_eq!(out.object, live);
}

fn cm_type() -> TypeRef {
    builtin("", "v1", "ConfigMap").expect("type")
}

fn cm(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": data})
}

fn cm_opts(manager: &str) -> ApplyOptions<'_> {
    ApplyOptions {
        manager,
        api_version: "v1",
        kind: "ConfigMap",
        subresource: None,
        force: false,
        now: at(0),
        reset_fields: None,
    }
}

#[test]
fn fields_the_applier_stops_applying_are_pruned_unless_someone_else_owns_them() {
    let ty = cm_type();
    let live = ok(apply(
        None,
        &cm(json!({"a": "1", "b": "2", "c": "3"})),
        &ty,
        &cm_opts("alice"),
    ));
    let live = ok(apply(
        Some(&live),
        &cm(json!({"c": "3"})),
        &ty,
        &cm_opts("bob"),
    ));
    let out = ok(apply(
        Some(&live),
        &cm(json!({"a": "1"})),
        &ty,
        &cm_opts("alice"),
    ));
    // b was only alice's: removed; c is still bob's: kept
    assert_eq!(out["data"], json!({"a": "1", "c": "3"}));
    assert_eq!(paths_of(&out, "alice"), [".data.a"]);
    assert_eq!(paths_of(&out, "bob"), [".data.c"]);
}

#[test]
fn fields_set_by_an_update_survive_the_appliers_prune() {
    let ty = cm_type();
    let live = ok(apply(None, &cm(json!({"a": "1"})), &ty, &cm_opts("alice")));
    let mut updated = live.clone();
    updated["data"]["u"] = json!("x");
    track_update(
        Some(&live),
        &mut updated,
        &ty,
        &UpdateOptions {
            manager: "kubectl-edit",
            api_version: "v1",
            subresource: None,
            now: at(5),
            reset_fields: None,
        },
    );
    assert_eq!(paths_of(&updated, "kubectl-edit"), [".data.u"]);
    let out = ok(apply(
        Some(&updated),
        &cm(json!({"b": "2"})),
        &ty,
        &cm_opts("alice"),
    ));
    assert_eq!(out["data"], json!({"u": "x", "b": "2"}));
}

#[test]
fn keyed_lists_merge_items_of_several_managers() {
    let ty = deploy_type();
    let containers = |items: Value| partial(json!({"template": {"spec": {"containers": items}}}));
    let live = ok(apply(
        None,
        &containers(json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}])),
        &ty,
        &apply_opts("alice", false),
    ));
    let live = ok(apply(
        Some(&live),
        &containers(json!([{"name": "c", "image": "c"}])),
        &ty,
        &apply_opts("bob", false),
    ));
    let names = |obj: &Value| -> Vec<String> {
        obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(&live), ["a", "b", "c"]);
    // the applier's order wins for its own items
    let out = ok(apply(
        Some(&live),
        &containers(json!([{"name": "b", "image": "b"}, {"name": "a", "image": "a"}])),
        &ty,
        &apply_opts("alice", false),
    ));
    assert_eq!(names(&out), ["b", "c", "a"]);
    // dropping an item removes it (and only alice owned it)
    let out = ok(apply(
        Some(&out),
        &containers(json!([{"name": "a", "image": "a"}])),
        &ty,
        &apply_opts("alice", false),
    ));
    assert_eq!(names(&out), ["c", "a"]);
}

#[test]
fn container_ports_are_keyed_by_port_and_defaulted_protocol() {
    let ty = deploy_type();
    let config = partial(json!({"template": {"spec": {"containers": [
        {"name": "app", "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]}
    ]}}}));
    let out = ok(apply(None, &config, &ty, &apply_opts("alice", false)));
    let paths = paths_of(&out, "alice");
    assert!(paths.contains(
        &".spec.template.spec.containers[name=\"app\"].ports[containerPort=80,protocol=\"TCP\"].containerPort".to_string()
    ));
    assert!(paths.contains(
        &".spec.template.spec.containers[name=\"app\"].ports[containerPort=53,protocol=\"UDP\"].protocol".to_string()
    ));
}

#[test]
fn update_tracking_moves_ownership_and_names_the_updater_in_conflicts() {
    let ty = deploy_type();
    let mut created = web(1, "nginx:1");
    track_update(
        None,
        &mut created,
        &ty,
        &update_opts("kubectl-create", at(0)),
    );
    assert_eq!(
        entries(&created),
        [(
            "kubectl-create".to_string(),
            "Update".to_string(),
            r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#.to_string()
        )]
    );
    created["metadata"]["uid"] = json!("u-1");

    let mut changed = created.clone();
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
    track_update(
        Some(&created),
        &mut changed,
        &ty,
        &update_opts("ctrl", at(30)),
    );
    let image = ".spec.template.spec.containers[name=\"nginx\"].image".to_string();
    assert_eq!(paths_of(&changed, "ctrl"), std::slice::from_ref(&image));
    assert!(!paths_of(&changed, "kubectl-create").contains(&image));
    // entries: by time
    let managers: Vec<String> = entries(&changed).into_iter().map(|e| e.0).collect();
    assert_eq!(managers, ["kubectl-create", "ctrl"]);

    let err = apply(
        Some(&changed),
        &web(1, "nginx:3"),
        &ty,
        &apply_opts("alice", false),
    )
    .expect_err("conflict");
    assert_eq!(
        err.status().message,
        format!("Apply failed with 1 conflict: conflict with \"ctrl\" using apps/v1: {image}")
    );
}

#[test]
fn status_writes_are_tracked_per_subresource() {
    let ty = deploy_type();
    let mut live = web(1, "nginx:1");
    track_update(None, &mut live, &ty, &update_opts("kubectl-create", at(0)));
    live["metadata"]["uid"] = json!("u-1");
    let status_reset = reset_fields("apps", "Deployment", Some("status"), true);

    let mut with_status = live.clone();
    with_status["status"] = json!({"replicas": 1});
    track_update(
        Some(&live),
        &mut with_status,
        &ty,
        &UpdateOptions {
            manager: "ctrl",
            api_version: "apps/v1",
            subresource: Some("status"),
            now: at(10),
            reset_fields: Some(&status_reset),
        },
    );
    let ctrl = with_status["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["manager"] == "ctrl")
        .cloned()
        .expect("ctrl");
    assert_eq!(ctrl["subresource"], "status");
    assert_eq!(ctrl["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));

    let mut config = partial(json!({}));
    config["status"] = json!({"replicas": 2});
    let opts = ApplyOptions {
        subresource: Some("status"),
        reset_fields: Some(&status_reset),
        ..apply_opts("bob", false)
    };
    let err = apply(Some(&with_status), &config, &ty, &opts).expect_err("conflict");
    assert_eq!(
        err.status().message,
        "Apply failed with 1 conflict: conflict with \"ctrl\" with subresource \"status\" using apps/v1: .status.replicas"
    );
}

#[test]
fn the_main_resource_never_owns_reset_fields() {
    let ty = deploy_type();
    let main_reset = reset_fields("apps", "Deployment", None, true);
    let mut config = web(1, "nginx:1");
    config["status"] = json!({"replicas": 9});
    let opts = ApplyOptions {
        reset_fields: Some(&main_reset),
        ..apply_opts("alice", false)
    };
    let out = ok(apply(None, &config, &ty, &opts));
    assert!(paths_of(&out, "alice")
        .iter()
        .all(|p| !p.starts_with(".status")));
}

#[test]
fn first_apply_on_an_untracked_object_attributes_existing_fields_to_before_first_apply() {
    let ty = cm_type();
    let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "c", "namespace": "ns", "uid": "u-1"}, "data": {"a": "1"}});
    let err =
        apply(Some(&live), &cm(json!({"a": "2"})), &ty, &cm_opts("alice")).expect_err("conflict");
    assert_eq!(
        err.status().message,
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a"
    );
    let out = ok(apply(
        Some(&live),
        &cm(json!({"b": "2"})),
        &ty,
        &cm_opts("alice"),
    ));
    let managers: Vec<(String, String)> = entries(&out).into_iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        managers,
        [
            ("alice".to_string(), "Apply".to_string()),
            ("before-first-apply".to_string(), "Update".to_string())
        ]
    );
    // data is a map (absent from a typed zero object): the map itself is owned too
    assert_eq!(paths_of(&out, "before-first-apply"), [".data", ".data.a"]);
}

#[test]
fn empty_managed_fields_in_a_request_reset_tracking() {
    let ty = cm_type();
    let mut live = cm(json!({"a": "1"}));
    track_update(
        None,
        &mut live,
        &ty,
        &UpdateOptions {
            manager: "creator",
            api_version: "v1",
            subresource: None,
            now: at(0),
            reset_fields: None,
        },
    );
    live["metadata"]["uid"] = json!("u-1");
    assert!(live["metadata"]["managedFields"].is_array());

    let opts = UpdateOptions {
        manager: "editor",
        api_version: "v1",
        subresource: None,
        now: at(1),
        reset_fields: None,
    };
    let mut reset = live.clone();
    reset["metadata"]["managedFields"] = json!([]);
    reset["data"]["b"] = json!("2");
    track_update(Some(&live), &mut reset, &ty, &opts);
    assert!(reset["metadata"].get("managedFields").is_none());
    // later updates record nothing until the next apply
    let mut again = reset.clone();
    again["data"]["c"] = json!("3");
    track_update(Some(&reset), &mut again, &ty, &opts);
    assert!(again["metadata"].get("managedFields").is_none());
}

#[test]
fn managed_fields_sent_with_an_update_are_kept_when_valid() {
    let ty = cm_type();
    let mut live = cm(json!({"a": "1"}));
    track_update(
        None,
        &mut live,
        &ty,
        &UpdateOptions {
            manager: "creator",
            api_version: "v1",
            subresource: None,
            now: at(0),
            reset_fields: None,
        },
    );
    live["metadata"]["uid"] = json!("u-1");
    // a client that drops managedFields keeps the live ones
    let mut new = live.clone();
    new["metadata"]
        .as_object_mut()
        .map(|m| m.remove("managedFields"));
    new["data"]["a"] = json!("2");
    track_update(
        Some(&live),
        &mut new,
        &ty,
        &UpdateOptions {
            manager: "editor",
            api_version: "v1",
            subresource: None,
            now: at(5),
            reset_fields: None,
        },
    );
    let managers: Vec<String> = entries(&new).into_iter().map(|e| e.0).collect();
    assert_eq!(managers, ["creator", "editor"]);
    assert_eq!(paths_of(&new, "editor"), [".data.a"]);
    assert_eq!(paths_of(&new, "creator"), [".data"]);
}

#[test]
fn apply_request_errors() {
    let ty = deploy_type();
    let mut with_managed = web(1, "x");
    with_managed["metadata"]["managedFields"] = json!([]);
    let err = apply(None, &with_managed, &ty, &apply_opts("a", false)).expect_err("managedFields");
    assert_eq!(
        (err.status().code, err.status().message.as_str()),
        (400, "metadata.managedFields must be nil")
    );

    let mut wrong = web(1, "x");
    wrong["apiVersion"] = json!("apps/v1beta1");
    let err = apply(None, &wrong, &ty, &apply_opts("a", false)).expect_err("version");
    assert_eq!(err.status().code, 400);
    assert_eq!(
        err.status().message,
        "invalid object type: apps/v1beta1, Kind=Deployment"
    );

    let dup = partial(
        json!({"template": {"spec": {"containers": [{"name": "nginx"}, {"name": "nginx"}]}}}),
    );
    let err = apply(None, &dup, &ty, &apply_opts("a", false)).expect_err("duplicates");
    let status = err.status();
    assert_eq!((status.code, status.reason), (500, None));
    assert_eq!(
        status.message,
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name=\"nginx\"]"
    );

    let keyless = partial(json!({"template": {"spec": {"containers": [{"image": "x"}]}}}));
    let err = apply(None, &keyless, &ty, &apply_opts("a", false)).expect_err("no key");
    assert!(err.status().message.ends_with(
        ".spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields [\"name\"] (and doesn't have default values for any key fields)"
    ));

    let mut broken = web(1, "x");
    broken["metadata"]["managedFields"] =
        json!([{"manager": "m", "operation": "Frobnicate", "apiVersion": "v1"}]);
    let err =
        apply(Some(&broken), &web(1, "x"), &ty, &apply_opts("a", false)).expect_err("bad live");
    assert_eq!(err.status().code, 500);
    assert_eq!(
        err.status().message,
        "failed to decode managed fields: operation must be `Apply` or `Update`"
    );
}

#[test]
fn kubectl_upgrades_from_client_side_apply() {
    let ty = deploy_type();
    let old_config = web(2, "nginx:1");
    let mut live = old_config.clone();
    let mut text = serde_json::to_string(&old_config).expect("json");
    text.push('\n');
    live["metadata"]["annotations"] = json!({ LAST_APPLIED_ANNOTATION: text });
    track_update(
        None,
        &mut live,
        &ty,
        &update_opts("kubectl-client-side-apply", at(0)),
    );
    live["metadata"]["uid"] = json!("u-1");

    // a different manager conflicts
    let new_config = web(3, "nginx:1");
    let err =
        apply(Some(&live), &new_config, &ty, &apply_opts("someone", false)).expect_err("conflict");
    assert_eq!(err.status().code, 409);

    // kubectl's conflicts are explained by its last-applied annotation: forced
    let out = ok(apply(
        Some(&live),
        &new_config,
        &ty,
        &apply_opts("kubectl", false),
    ));
    assert_eq!(out["spec"]["replicas"], 3);
    assert!(paths_of(&out, "kubectl").contains(&".spec.replicas".to_string()));
    let annotation = out["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
        .as_str()
        .expect("annotation");
    assert_eq!(
        annotation,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1\",\"name\":\"nginx\"}]}}}}\n"
    );
}

#[test]
fn more_than_ten_updaters_are_merged_into_ancient_changes() {
    let ty = cm_type();
    fn opts(manager: &str, i: i64) -> UpdateOptions<'_> {
        UpdateOptions {
            manager,
            api_version: "v1",
            subresource: None,
            now: at(i),
            reset_fields: None,
        }
    }
    let mut live = cm(json!({"k0": "v"}));
    track_update(None, &mut live, &ty, &opts("m00", 0));
    live["metadata"]["uid"] = json!("u-1");
    for i in 1..12 {
        let mut new = live.clone();
        new["data"][format!("k{i}")] = json!("v");
        let manager = format!("m{i:02}");
        track_update(Some(&live), &mut new, &ty, &opts(&manager, i));
        live = new;
    }
    let list = entries(&live);
    assert_eq!(list.len(), 10);
    let ancient = list
        .iter()
        .find(|e| e.0 == "ancient-changes")
        .expect("bucket");
    assert_eq!(
        ancient.2,
        r#"{"f:data":{".":{},"f:k0":{},"f:k1":{},"f:k2":{}}}"#
    );
    assert!(list.iter().any(|e| e.0 == "m03"));
    assert!(!list.iter().any(|e| e.0 == "m00" || e.0 == "m02"));
}

#[test]
fn custom_resource_list_maps_follow_the_schema() {
    let ty = from_openapi_schema(&json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {
            "rules": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host"],
                      "items": {"type": "object", "properties": {"host": {"type": "string"}, "port": {"type": "integer"}}}},
            "tags": {"type": "array", "items": {"type": "string"}}
        }}}
    }));
    let opts = |manager| ApplyOptions {
        manager,
        api_version: "example.com/v1",
        kind: "Site",
        subresource: None,
        force: false,
        now: at(0),
        reset_fields: None,
    };
    let cr = |spec: Value| json!({"apiVersion": "example.com/v1", "kind": "Site", "metadata": {"name": "s"}, "spec": spec});
    let live = ok(apply(
        None,
        &cr(json!({"rules": [{"host": "a", "port": 1}], "tags": ["x"]})),
        &ty,
        &opts("alice"),
    ));
    let out = ok(apply(
        Some(&live),
        &cr(json!({"rules": [{"host": "b", "port": 2}]})),
        &ty,
        &opts("bob"),
    ));
    assert_eq!(
        out["spec"]["rules"],
        json!([{"host": "a", "port": 1}, {"host": "b", "port": 2}])
    );
    // atomic lists are owned as a whole: another value conflicts
    let err =
        apply(Some(&out), &cr(json!({"tags": ["y"]})), &ty, &opts("bob")).expect_err("atomic");
    assert_eq!(
        err.status().message,
        "Apply failed with 1 conflict: conflict with \"alice\": .spec.tags"
    );
}

#[test]
fn reset_fields_follow_the_upstream_strategies() {
    let paths = |s: FieldSet| s.paths().iter().map(|p| p.to_string()).collect::<Vec<_>>();
    assert_eq!(
        paths(reset_fields("apps", "Deployment", None, true)),
        [".status"]
    );
    assert!(paths(reset_fields("", "ConfigMap", None, false)).is_empty());
    assert_eq!(
        paths(reset_fields("apps", "Deployment", Some("status"), true)),
        [".spec", ".metadata.labels"]
    );
    assert_eq!(
        paths(reset_fields("", "Pod", Some("status"), true)),
        [
            ".spec",
            ".metadata.deletionTimestamp",
            ".metadata.ownerReferences"
        ]
    );
    assert_eq!(
        paths(reset_fields("", "Service", Some("status"), true)),
        [".spec"]
    );
    // custom resources, even in a *.k8s.io group
    assert_eq!(
        paths(reset_fields(
            "gateway.networking.k8s.io",
            "HTTPRoute",
            Some("status"),
            true
        )),
        [".metadata", ".spec"]
    );
}
