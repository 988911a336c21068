//! Upstream defaulting of built-in kinds over HTTPS: the exact objects
//! kube-apiserver 1.32 returns (expected values written from kubernetes
//! `pkg/apis/*/v1/defaults.go`, the registry strategies and the default
//! admission plugins), on create, update, patch and server-side apply.

use crate::common::*;
use serde_json::{json, Value};

const DEPLOYS: &str = "/apis/apps/v1/namespaces/default/deployments";
const PODS: &str = "/api/v1/namespaces/default/pods";
const JOBS: &str = "/apis/batch/v1/namespaces/default/jobs";

/// The pod-spec defaults every template gets (`SetDefaults_PodSpec`, `SetDefaults_Container`).
fn defaulted_container(name: &str, image: &str, pull: &str) -> Value {
    json!({"name": name, "image": image, "imagePullPolicy": pull, "resources": {},
           "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
}

fn template_spec_defaults(containers: Value) -> Value {
    json!({"containers": containers, "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
           "schedulerName": "default-scheduler", "securityContext": {},
           "terminationGracePeriodSeconds": 30})
}

/// The fields a manager owns, as `f:` keys under `path` of its FieldsV1.
fn owned_keys(obj: &Value, manager: &str, path: &[&str]) -> Vec<String> {
    let entry = obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|a| a.iter().find(|m| m["manager"] == manager))
        .unwrap_or_else(|| panic!("no managedFields entry for {manager}: {obj}"));
    let mut cur = &entry["fieldsV1"];
    for p in path {
        cur = &cur[*p];
    }
    let mut keys: Vec<String> = cur
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[tokio::test]
async fn deployment_is_defaulted_and_the_defaults_belong_to_the_creator() {
    let h = harness().await;
    let body = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "ports": [{"containerPort": 80}]}]}}}});
    let r = h
        .req(
            "POST",
            &format!("{DEPLOYS}?fieldManager=creator"),
            Some(&body),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut container = defaulted_container("web", "nginx:1.27", "IfNotPresent");
    container["ports"] = json!([{"containerPort": 80, "protocol": "TCP"}]);
    assert_eq!(
        r.body["spec"],
        json!({"progressDeadlineSeconds": 600, "replicas": 1, "revisionHistoryLimit": 10,
               "selector": {"matchLabels": {"app": "web"}},
               "strategy": {"type": "RollingUpdate",
                            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
               "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                            "spec": template_spec_defaults(json!([container]))}})
    );
    assert_eq!(r.body["status"], json!({}));
    assert_eq!(r.body["metadata"]["generation"], 1);
    assert_eq!(
        owned_keys(&r.body, "creator", &["f:spec"]),
        [
            "f:progressDeadlineSeconds",
            "f:replicas",
            "f:revisionHistoryLimit",
            "f:selector",
            "f:strategy",
            "f:template"
        ]
    );
    assert_eq!(
        owned_keys(&r.body, "creator", &["f:spec", "f:template", "f:metadata"]),
        ["f:labels"],
        "the typed round-trip's creationTimestamp is nobody's"
    );
    // Another manager applying a different replica count conflicts with the defaulted value.
    let apply = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"replicas": 3}});
    let r = h
        .req_ct(
            "PATCH",
            &format!("{DEPLOYS}/web?fieldManager=applier"),
            Some(apply.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 409, "{}", r.text);
    assert_eq!(
        r.body["message"],
        "Apply failed with 1 conflict: conflict with \"creator\" using apps/v1: .spec.replicas"
    );
}

#[tokio::test]
async fn defaults_are_reapplied_after_patches_updates_and_apply() {
    let h = harness().await;
    let body = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 2, "strategy": {"type": "Recreate"},
                 "selector": {"matchLabels": {"app": "d"}},
                 "template": {"metadata": {"labels": {"app": "d"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let r = h.req("POST", DEPLOYS, Some(&body)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["strategy"], json!({"type": "Recreate"}));
    // A merge patch that drops the strategy gets the default strategy back.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{DEPLOYS}/d"),
            Some(r#"{"spec":{"strategy":null}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.body["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    assert_eq!(r.body["metadata"]["generation"], 2);
    // A PUT without the defaulted fields is defaulted again: no spec change, no new generation.
    let mut put = body.clone();
    put["metadata"]["resourceVersion"] = r.body["metadata"]["resourceVersion"].clone();
    put["spec"]["strategy"] = Value::Null;
    let r = h.req("PUT", &format!("{DEPLOYS}/d"), Some(&put)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(
        r.body["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "Always"
    );
    assert_eq!(r.body["metadata"]["generation"], 2);
    // Server-side apply creating an object: defaults are filled in but not owned by the applier.
    let apply = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa"},
        "spec": {"selector": {"matchLabels": {"app": "s"}},
                 "template": {"metadata": {"labels": {"app": "s"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}});
    let r = h
        .req_ct(
            "PATCH",
            &format!("{DEPLOYS}/ssa?fieldManager=applier"),
            Some(apply.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 1);
    assert_eq!(r.body["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(
        owned_keys(&r.body, "applier", &["f:spec"]),
        ["f:selector", "f:template"]
    );
    // The applier may now set the replicas without a conflict.
    let mut apply2 = apply.clone();
    apply2["spec"]["replicas"] = json!(4);
    let r = h
        .req_ct(
            "PATCH",
            &format!("{DEPLOYS}/ssa?fieldManager=applier"),
            Some(apply2.to_string()),
            "application/apply-patch+yaml",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["replicas"], 4);
}

#[tokio::test]
async fn pod_gets_spec_defaults_admission_and_a_pending_status() {
    let h = harness().await;
    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "busybox",
            "resources": {"limits": {"cpu": "0.5", "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"port": 8080}},
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "cfg", "mountPath": "/cfg"}]}],
            "volumes": [{"name": "cache"}, {"name": "cfg", "configMap": {"name": "cfg"}},
                        {"name": "host", "hostPath": {"path": "/tmp"}}]}});
    let r = h.req("POST", PODS, Some(&body)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut container = defaulted_container("c", "busybox", "Always");
    container["resources"] = json!({"limits": {"cpu": "500m", "memory": "128Mi"},
                                    "requests": {"cpu": "500m", "memory": "128Mi"}});
    container["readinessProbe"] = json!({"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3});
    container["env"] = json!([{"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}]);
    container["volumeMounts"] = body["spec"]["containers"][0]["volumeMounts"].clone();
    let mut spec = template_spec_defaults(json!([container]));
    spec["volumes"] = json!([{"name": "cache", "emptyDir": {}},
                             {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}},
                             {"name": "host", "hostPath": {"path": "/tmp", "type": ""}}]);
    spec["enableServiceLinks"] = json!(true);
    spec["priority"] = json!(0);
    spec["preemptionPolicy"] = json!("PreemptLowerPriority");
    spec["tolerations"] = json!([
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]);
    assert_eq!(r.body["spec"], spec);
    assert_eq!(
        r.body["status"],
        json!({"phase": "Pending", "qosClass": "Guaranteed"})
    );
    // QoS classes and scheduling gates.
    let gated = json!({"metadata": {"name": "g"}, "spec": {"schedulingGates": [{"name": "example.com/wait"}],
        "containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"memory": "1Gi"}}}]}});
    let r = h.req("POST", PODS, Some(&gated)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["status"]["qosClass"], "Burstable");
    let condition = &r.body["status"]["conditions"][0];
    assert_eq!(
        (
            &condition["type"],
            &condition["status"],
            &condition["reason"],
            &condition["message"],
            &condition["lastProbeTime"]
        ),
        (
            &json!("PodScheduled"),
            &json!("False"),
            &json!("SchedulingGated"),
            &json!("Scheduling is blocked due to non-empty scheduling gates"),
            &Value::Null
        )
    );
    // Priority classes: the built-in ones resolve, unknown ones are refused.
    let mut critical = body.clone();
    critical["metadata"]["name"] = json!("crit");
    critical["spec"]["priorityClassName"] = json!("system-node-critical");
    let r = h.req("POST", PODS, Some(&critical)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["priority"], 2000001000);
    let mut unknown = body.clone();
    unknown["metadata"]["name"] = json!("nope");
    unknown["spec"]["priorityClassName"] = json!("gold");
    let r = h.req("POST", PODS, Some(&unknown)).await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "pods \"nope\" is forbidden: no PriorityClass with name gold was found"
    );
}

#[tokio::test]
async fn pod_spec_updates_are_limited_to_upstreams_mutable_fields() {
    let h = harness().await;
    let body = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox:1"}]}});
    let r = h.req("POST", PODS, Some(&body)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    // A PUT of the original (undefaulted) body with a new image is fine.
    let mut put = body.clone();
    put["spec"]["containers"][0]["image"] = json!("busybox:2");
    let r = h.req("PUT", &format!("{PODS}/p"), Some(&put)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["containers"][0]["image"], "busybox:2");
    assert_eq!(
        r.body["spec"]["tolerations"].as_array().map(Vec::len),
        Some(2)
    );
    // Anything else is Forbidden with upstream's message.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{PODS}/p"),
            Some(r#"{"spec":{"restartPolicy":"Never"}}"#.into()),
            "application/strategic-merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    let message = r.body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"),
        "{message}"
    );
    assert!(message.contains("restartPolicy"), "{message}");
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec");
    assert_eq!(
        r.body["details"]["causes"][0]["reason"],
        "FieldValueForbidden"
    );
    // Labels, annotations and added tolerations may change.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{PODS}/p"),
            Some(r#"{"metadata":{"labels":{"a":"b"}},"spec":{"activeDeadlineSeconds":60}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
}

#[tokio::test]
async fn job_gets_a_generated_selector_and_its_template_is_immutable() {
    let h = harness().await;
    let body = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "pi", "image": "perl:5.34", "command": ["perl"]}]}}}});
    let r = h.req("POST", JOBS, Some(&body)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let uid = r.body["metadata"]["uid"].as_str().unwrap().to_string();
    let generated = json!({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
                           "controller-uid": uid, "job-name": "pi"});
    let mut container = defaulted_container("pi", "perl:5.34", "IfNotPresent");
    container["command"] = json!(["perl"]);
    let mut template_spec = template_spec_defaults(json!([container]));
    template_spec["restartPolicy"] = json!("Never");
    assert_eq!(
        r.body["spec"],
        json!({"backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1,
               "manualSelector": false, "parallelism": 1,
               "podReplacementPolicy": "TerminatingOrFailed",
               "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
               "suspend": false,
               "template": {"metadata": {"creationTimestamp": null, "labels": generated},
                            "spec": template_spec}})
    );
    assert_eq!(
        r.body["metadata"]["labels"], generated,
        "copied from the template on read-back"
    );
    assert_eq!(r.body["status"], json!({}));
    // The template and the selector are immutable.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{JOBS}/pi"),
            Some(r#"{"spec":{"template":{"spec":{"containers":[{"name":"pi","image":"perl:5.36"}]}}}}"#.into()),
            "application/strategic-merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec.template");
    assert!(r.body["details"]["causes"][0]["message"]
        .as_str()
        .unwrap_or("")
        .ends_with(": field is immutable"));
    let r = h
        .req_ct(
            "PATCH",
            &format!("{JOBS}/pi"),
            Some(r#"{"spec":{"selector":{"matchLabels":{"x":"y"}}}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert!(r.body["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "spec.selector"
            && c["message"]
                .as_str()
                .unwrap_or("")
                .ends_with("field is immutable")));
    // A Job must not restart its pods forever.
    let mut always = body.clone();
    always["metadata"]["name"] = json!("always");
    always["spec"]["template"]["spec"]["restartPolicy"] = Value::Null;
    let r = h.req("POST", JOBS, Some(&always)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Job.batch \"always\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""
    );
    // A hand-written selector without manualSelector is not accepted.
    let mut manual = body.clone();
    manual["metadata"]["name"] = json!("manual");
    manual["spec"]["selector"] = json!({"matchLabels": {"app": "x"}});
    manual["spec"]["template"]["metadata"] = json!({"labels": {"app": "x"}});
    let r = h.req("POST", JOBS, Some(&manual)).await;
    assert_eq!(r.code, 422);
    assert!(r.body["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "spec.selector"
            && c["message"]
                .as_str()
                .unwrap_or("")
                .ends_with("`selector` not auto-generated")));
    manual["spec"]["manualSelector"] = json!(true);
    let r = h.req("POST", JOBS, Some(&manual)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["spec"]["selector"],
        json!({"matchLabels": {"app": "x"}})
    );
}

#[tokio::test]
async fn workload_kinds_get_their_defaults_and_zero_statuses() {
    let h = harness().await;
    let template = json!({"metadata": {"labels": {"app": "a"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let selector = json!({"matchLabels": {"app": "a"}});
    let cases = [
        (
            "/apis/apps/v1/namespaces/default/statefulsets",
            "StatefulSet",
            json!({"serviceName": "a", "selector": selector, "template": template,
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}),
        ),
        (
            "/apis/apps/v1/namespaces/default/daemonsets",
            "DaemonSet",
            json!({"selector": selector, "template": template}),
        ),
        (
            "/apis/apps/v1/namespaces/default/replicasets",
            "ReplicaSet",
            json!({"selector": selector, "template": template}),
        ),
    ];
    let mut bodies = Vec::new();
    for (path, kind, spec) in cases {
        let body =
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "a"}, "spec": spec});
        let r = h.req("POST", path, Some(&body)).await;
        assert_eq!(r.code, 201, "{kind}: {}", r.text);
        bodies.push(r.body);
    }
    let sts = &bodies[0];
    assert_eq!(sts["spec"]["podManagementPolicy"], "OrderedReady");
    assert_eq!(sts["spec"]["replicas"], 1);
    assert_eq!(sts["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(
        sts["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    );
    assert_eq!(
        sts["spec"]["persistentVolumeClaimRetentionPolicy"],
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0],
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "creationTimestamp": null},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                        "volumeMode": "Filesystem"},
               "status": {"phase": "Pending"}})
    );
    assert_eq!(
        sts["status"],
        json!({"replicas": 0, "availableReplicas": 0})
    );
    let ds = &bodies[1];
    assert_eq!(
        ds["spec"]["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    );
    assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(
        ds["status"],
        json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0})
    );
    assert_eq!(bodies[2]["spec"]["replicas"], 1);
    assert_eq!(bodies[2]["status"], json!({"replicas": 0}));
    // Selector/template mismatches and selector changes are refused as upstream does.
    let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
        "spec": {"selector": {"matchLabels": {"app": "other"}}, "template": template}});
    let r = h.req("POST", DEPLOYS, Some(&bad)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Deployment.apps \"bad\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"a\"}: `selector` does not match template `labels`"
    );
    let r = h
        .req_ct(
            "PATCH",
            "/apis/apps/v1/namespaces/default/statefulsets/a",
            Some(r#"{"spec":{"serviceName":"b"}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "StatefulSet.apps \"a\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    );
    let r = h
        .req_ct(
            "PATCH",
            "/apis/apps/v1/namespaces/default/replicasets/a",
            Some(r#"{"spec":{"selector":{"matchLabels":{"app":"a","x":"y"}},"template":{"metadata":{"labels":{"x":"y"}}}}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "ReplicaSet.apps \"a\" is invalid: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"a\",\"x\":\"y\"}}: field is immutable"
    );
    // CronJob: its own defaults, pod-spec defaults in the job template only.
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}});
    let r = h
        .req(
            "POST",
            "/apis/batch/v1/namespaces/default/cronjobs",
            Some(&cron),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["concurrencyPolicy"], "Allow");
    assert_eq!(r.body["spec"]["suspend"], false);
    assert_eq!(r.body["spec"]["successfulJobsHistoryLimit"], 3);
    assert_eq!(r.body["spec"]["failedJobsHistoryLimit"], 1);
    let job_template = &r.body["spec"]["jobTemplate"];
    assert_eq!(job_template["metadata"], json!({"creationTimestamp": null}));
    assert!(
        job_template["spec"].get("backoffLimit").is_none(),
        "no Job defaults in templates"
    );
    assert_eq!(
        job_template["spec"]["template"]["spec"]["dnsPolicy"],
        "ClusterFirst"
    );
}

#[tokio::test]
async fn quantities_are_canonical_and_bad_ones_do_not_decode() {
    let h = harness().await;
    let body = json!({"metadata": {"name": "q"}, "spec": {"containers": [{"name": "c", "image": "busybox",
        "resources": {"requests": {"cpu": "1000m", "memory": "1024Mi", "ephemeral-storage": "2000"},
                      "limits": {"cpu": 2, "memory": "1.5Gi"}}}]}});
    let r = h.req("POST", PODS, Some(&body)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["spec"]["containers"][0]["resources"],
        json!({"requests": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "2k"},
               "limits": {"cpu": "2", "memory": "1536Mi"}})
    );
    assert_eq!(r.body["status"]["qosClass"], "Burstable");
    let mut bad = body.clone();
    bad["metadata"]["name"] = json!("bad");
    bad["spec"]["containers"][0]["resources"] = json!({"limits": {"memory": "1GB"}});
    let r = h.req("POST", PODS, Some(&bad)).await;
    assert_eq!(r.code, 400);
    assert_eq!(
        r.body["message"],
        "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
}
