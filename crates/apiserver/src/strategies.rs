//! Create/update strategies of built-in kinds (kubernetes `pkg/registry/*/strategy.go`
//! and the parts of `pkg/apis/*/validation` that controllers' tests run into):
//! what a create resets (`status` to the kind's zero value, Pod phase and QoS
//! class, a Job's generated selector), and which updates are refused
//! (immutable selectors, Job templates, StatefulSet spec fields, Pod spec,
//! RoleBinding `roleRef`), with upstream's field errors.

use serde_json::{json, Map, Value};

use crate::defaults::quantity::Quantity;
use crate::registry::ResourceDef;
use crate::status::{ApiError, FieldIssue};

fn is(def: &ResourceDef, group: &str, kind: &str) -> bool {
    !def.is_custom() && def.group == group && def.kind == kind
}

/// Decode-time work on a built-in body: Secret `stringData` folded into `data`
/// (conversion), then upstream defaulting. A bad quantity is a decode error (400).
pub fn decode(def: &ResourceDef, obj: &mut Value) -> Result<(), ApiError> {
    if def.is_custom() {
        return Ok(());
    }
    if is(def, "", "Secret") {
        crate::handlers::meta::prepare_secret(obj)?;
    }
    crate::schemas::builtin_schemas().normalize_times(&def.group, &def.version, &def.kind, obj);
    crate::defaults::apply(&def.group, &def.kind, obj).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {}",
            def.kind, def.version, def.kind, e.reason
        ))
    })
}

/// `status` a create leaves (the Go zero value of the kind's status struct,
/// as encoded), for kinds whose strategy resets it. `None`: status is kept.
pub fn initial_status(def: &ResourceDef) -> Option<Value> {
    if def.is_custom() {
        return None;
    }
    let status = match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "ReplicaSet") | ("", "ReplicationController") => json!({"replicas": 0}),
        ("apps", "StatefulSet") => json!({"replicas": 0, "availableReplicas": 0}),
        ("apps", "DaemonSet") => json!({"currentNumberScheduled": 0, "numberMisscheduled": 0,
            "desiredNumberScheduled": 0, "numberReady": 0}),
        ("autoscaling", "HorizontalPodAutoscaler") => json!({"desiredReplicas": 0}),
        ("policy", "PodDisruptionBudget") => json!({"disruptionsAllowed": 0, "currentHealthy": 0,
            "desiredHealthy": 0, "expectedPods": 0}),
        ("", "Service") | ("networking.k8s.io", "Ingress") => json!({"loadBalancer": {}}),
        ("", "Node") => return None,
        _ if def.has_status() => json!({}),
        _ => return None,
    };
    Some(status)
}

/// PrepareForCreate parts that need the final name and UID (run after they are set).
pub fn prepare_create(def: &ResourceDef, obj: &mut Value) {
    if is(def, "", "Pod") {
        let qos = pod_qos_class(obj);
        let mut status = json!({"phase": "Pending", "qosClass": qos});
        let gated = obj
            .pointer("/spec/schedulingGates")
            .and_then(Value::as_array)
            .is_some_and(|g| !g.is_empty());
        if gated {
            status["conditions"] = json!([{"type": "PodScheduled", "status": "False",
                "lastProbeTime": null, "lastTransitionTime": crate::handlers::meta::now(),
                "reason": "SchedulingGated",
                "message": "Scheduling is blocked due to non-empty scheduling gates"}]);
        }
        obj["status"] = status;
    } else if is(def, "batch", "Job") {
        generate_job_selector(obj);
    }
}

/// PrepareForUpdate parts of built-ins beyond the generic status/spec copies.
pub fn prepare_update(def: &ResourceDef, old: &Value, new: &mut Value, sub: &str) {
    if is(def, "", "Pod") && sub == "status" {
        // The QoS class is immutable; a status write that drops it gets it back.
        let qos = old.pointer("/status/qosClass").cloned();
        if let (Some(qos), Some(status)) =
            (qos, new.get_mut("status").and_then(Value::as_object_mut))
        {
            if status
                .get("qosClass")
                .is_none_or(|q| q.as_str().is_none_or(str::is_empty))
            {
                status.insert("qosClass".into(), qos);
            }
        }
    }
}

const JOB_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
const LEGACY_JOB_UID_LABEL: &str = "controller-uid";
const LEGACY_JOB_NAME_LABEL: &str = "job-name";

fn manual_selector(job: &Value) -> bool {
    job.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true)
}

/// `generateSelectorIfNeeded`: pod labels and a selector unique to this Job.
fn generate_job_selector(job: &mut Value) {
    if manual_selector(job) {
        return;
    }
    let name = crate::handlers::meta::meta_str(job, "name").to_string();
    let uid = crate::handlers::meta::meta_str(job, "uid").to_string();
    let Some(spec) = job.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(labels) = crate::defaults::struct_child(spec, "template")
        .and_then(|t| crate::defaults::struct_child(t, "metadata"))
        .and_then(|m| crate::defaults::struct_child(m, "labels"))
    {
        for key in [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL] {
            labels.entry(key.to_string()).or_insert_with(|| json!(name));
        }
        for key in [LEGACY_JOB_UID_LABEL, JOB_UID_LABEL] {
            labels.entry(key.to_string()).or_insert_with(|| json!(uid));
        }
    }
    if let Some(match_labels) = crate::defaults::struct_child(spec, "selector")
        .and_then(|s| crate::defaults::struct_child(s, "matchLabels"))
    {
        match_labels
            .entry(JOB_UID_LABEL.to_string())
            .or_insert_with(|| json!(uid));
    }
}

/// `qos.GetPodQOS` (container-level resources; cpu and memory only).
pub fn pod_qos_class(pod: &Value) -> &'static str {
    let mut requests: Map<String, Value> = Map::new();
    let mut limits: Map<String, Value> = Map::new();
    let mut guaranteed = true;
    let sum = |into: &mut Map<String, Value>, name: &str, q: Quantity| {
        let total = match into
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Quantity>().ok())
        {
            Some(prev) => prev.add(&q),
            None => q,
        };
        into.insert(name.to_string(), json!(total.canonical()));
    };
    for key in ["containers", "initContainers"] {
        let Some(containers) = pod
            .pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        for c in containers {
            let mut limit_names = Vec::new();
            for (which, into) in [("requests", &mut requests), ("limits", &mut limits)] {
                let Some(list) = c
                    .pointer(&format!("/resources/{which}"))
                    .and_then(Value::as_object)
                else {
                    continue;
                };
                for (name, value) in list {
                    if name != "cpu" && name != "memory" {
                        continue;
                    }
                    let Some(q) = value.as_str().and_then(|s| s.parse::<Quantity>().ok()) else {
                        continue;
                    };
                    if q.is_positive() {
                        sum(into, name, q);
                        if which == "limits" {
                            limit_names.push(name.clone());
                        }
                    }
                }
            }
            if !(limit_names.iter().any(|n| n == "cpu")
                && limit_names.iter().any(|n| n == "memory"))
            {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        for (name, req) in &requests {
            if limits.get(name) != Some(req) {
                guaranteed = false;
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn selector_is_empty(selector: &Value) -> bool {
    let n = |k: &str| {
        selector
            .get(k)
            .map(|v| match v {
                Value::Object(o) => o.len(),
                Value::Array(a) => a.len(),
                _ => 0,
            })
            .unwrap_or(0)
    };
    n("matchLabels") + n("matchExpressions") == 0
}

fn template_labels(obj: &Value, template_path: &str) -> Map<String, Value> {
    obj.pointer(&format!("{template_path}/metadata/labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `ValidatePodSpec` essentials: containers present, each with a unique DNS-label
/// name, an image and valid container ports.
fn pod_spec_issues(spec: Option<&Value>, path: &str, issues: &mut Vec<FieldIssue>) {
    let containers = spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array);
    match containers {
        None => issues.push(FieldIssue::required(&format!("{path}.containers"), "")),
        Some(list) if list.is_empty() => {
            issues.push(FieldIssue::required(&format!("{path}.containers"), ""))
        }
        Some(_) => {}
    }
    let mut names: Vec<String> = Vec::new();
    for key in ["initContainers", "containers"] {
        let Some(list) = spec.and_then(|s| s.get(key)).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in list.iter().enumerate() {
            let field = format!("{path}.{key}[{i}]");
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                issues.push(FieldIssue::required(&format!("{field}.name"), ""));
            } else {
                for msg in klite_schema::validation::is_dns1123_label(name) {
                    issues.push(FieldIssue::invalid(
                        &format!("{field}.name"),
                        &json!(name),
                        &msg,
                    ));
                }
                if names.iter().any(|n| n == name) {
                    issues.push(FieldIssue::new(
                        "FieldValueDuplicate",
                        &format!("{field}.name"),
                        format!("Duplicate value: {name:?}"),
                    ));
                }
                names.push(name.to_string());
            }
            if c.get("image")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                issues.push(FieldIssue::required(&format!("{field}.image"), ""));
            }
            if let Some(ports) = c.get("ports").and_then(Value::as_array) {
                for (j, p) in ports.iter().enumerate() {
                    let port_field = format!("{field}.ports[{j}].containerPort");
                    match p.get("containerPort").and_then(Value::as_i64).unwrap_or(0) {
                        0 => issues.push(FieldIssue::required(&port_field, "")),
                        n if !(1..=65535).contains(&n) => issues.push(FieldIssue::invalid(
                            &port_field,
                            &json!(n),
                            "must be between 1 and 65535, inclusive",
                        )),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// `ValidateService` essentials: ports, their names and numbers, the type.
fn service_issues(svc: &Value, issues: &mut Vec<FieldIssue>) {
    let ty = svc
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let headless = svc.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None");
    let ports = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ports.is_empty() && !headless && ty != "ExternalName" {
        issues.push(FieldIssue::required("spec.ports", ""));
    }
    const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !TYPES.contains(&ty) {
        issues.push(FieldIssue::not_supported("spec.type", &json!(ty), TYPES));
    }
    let external_name = svc.pointer("/spec/externalName").and_then(Value::as_str);
    if ty == "ExternalName" && external_name.unwrap_or("").is_empty() {
        issues.push(FieldIssue::required("spec.externalName", ""));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let field = format!("spec.ports[{i}]");
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            issues.push(FieldIssue::required(&format!("{field}.name"), ""));
        } else if !name.is_empty() {
            for msg in klite_schema::validation::is_dns1123_label(name) {
                issues.push(FieldIssue::invalid(
                    &format!("{field}.name"),
                    &json!(name),
                    &msg,
                ));
            }
            if names.contains(&name) {
                issues.push(FieldIssue::new(
                    "FieldValueDuplicate",
                    &format!("{field}.name"),
                    format!("Duplicate value: {name:?}"),
                ));
            }
            names.push(name);
        }
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        if !(1..=65535).contains(&port) {
            issues.push(FieldIssue::invalid(
                &format!("{field}.port"),
                &json!(port),
                "must be between 1 and 65535, inclusive",
            ));
        }
        const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
        let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("");
        if !PROTOCOLS.contains(&protocol) {
            issues.push(FieldIssue::not_supported(
                &format!("{field}.protocol"),
                &json!(protocol),
                PROTOCOLS,
            ));
        }
    }
}

/// Selector + template checks of a replicated workload (`ValidatePodTemplateSpecForReplicaSet`).
fn workload_selector_issues(obj: &Value, kind_word: &str, issues: &mut Vec<FieldIssue>) {
    match obj.pointer("/spec/selector").filter(|s| !s.is_null()) {
        None => issues.push(FieldIssue::required("spec.selector", "")),
        Some(selector) => {
            if selector_is_empty(selector) {
                issues.push(FieldIssue::invalid(
                    "spec.selector",
                    selector,
                    &format!("empty selector is invalid for {kind_word}"),
                ));
            } else {
                let labels = template_labels(obj, "/spec/template");
                if !crate::selectors::metav1_matches(selector, &labels) {
                    issues.push(FieldIssue::invalid(
                        "spec.template.metadata.labels",
                        &Value::Object(labels),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
        }
    }
}

fn restart_policy_issue(
    obj: &Value,
    template_path: &str,
    field: &str,
    allowed: &[&str],
    issues: &mut Vec<FieldIssue>,
) {
    let policy = obj
        .pointer(&format!("{template_path}/spec/restartPolicy"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !allowed.contains(&policy) {
        issues.push(FieldIssue::not_supported(field, &json!(policy), allowed));
    }
}

/// Create validation of built-in kinds (the subset listed in the module docs).
pub fn validate_create(def: &ResourceDef, obj: &Value) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if def.is_custom() {
        return issues;
    }
    match (def.group.as_str(), def.kind.as_str()) {
        ("", "Pod") => pod_spec_issues(obj.get("spec"), "spec", &mut issues),
        ("", "Service") => service_issues(obj, &mut issues),
        ("apps", "Deployment")
        | ("apps", "ReplicaSet")
        | ("apps", "StatefulSet")
        | ("apps", "DaemonSet") => {
            let word = match def.kind.as_str() {
                "Deployment" | "ReplicaSet" => "deployment",
                "StatefulSet" => "statefulset",
                _ => "daemonset",
            };
            workload_selector_issues(obj, word, &mut issues);
            pod_spec_issues(
                obj.pointer("/spec/template/spec"),
                "spec.template.spec",
                &mut issues,
            );
            restart_policy_issue(
                obj,
                "/spec/template",
                "spec.template.spec.restartPolicy",
                &["Always"],
                &mut issues,
            );
        }
        ("batch", "Job") => {
            job_selector_issues(obj, &mut issues);
            pod_spec_issues(
                obj.pointer("/spec/template/spec"),
                "spec.template.spec",
                &mut issues,
            );
            restart_policy_issue(
                obj,
                "/spec/template",
                "spec.template.spec.restartPolicy",
                &["OnFailure", "Never"],
                &mut issues,
            );
        }
        ("batch", "CronJob") => {
            pod_spec_issues(
                obj.pointer("/spec/jobTemplate/spec/template/spec"),
                "spec.jobTemplate.spec.template.spec",
                &mut issues,
            );
            restart_policy_issue(
                obj,
                "/spec/jobTemplate/spec/template",
                "spec.jobTemplate.spec.template.spec.restartPolicy",
                &["OnFailure", "Never"],
                &mut issues,
            );
        }
        _ => {}
    }
    issues
}

/// `ValidateGeneratedSelector` and the selector/template match of a Job.
fn job_selector_issues(job: &Value, issues: &mut Vec<FieldIssue>) {
    let labels = template_labels(job, "/spec/template");
    let selector = job.pointer("/spec/selector").filter(|s| !s.is_null());
    if !manual_selector(job) {
        let uid = crate::handlers::meta::meta_str(job, "uid");
        let name = crate::handlers::meta::meta_str(job, "name");
        for (key, expected) in [
            (LEGACY_JOB_UID_LABEL, uid),
            (LEGACY_JOB_NAME_LABEL, name),
            (JOB_UID_LABEL, uid),
            (JOB_NAME_LABEL, name),
        ] {
            let field = format!("spec.template.metadata.labels[{key}]");
            match labels.get(key) {
                None => issues.push(FieldIssue::required(
                    &field,
                    &format!("must be '{expected}'"),
                )),
                Some(v) if v.as_str() != Some(expected) => issues.push(FieldIssue::invalid(
                    &field,
                    v,
                    &format!("must be '{expected}'"),
                )),
                Some(_) => {}
            }
        }
        if let Some(selector) = selector {
            let generated = json!({"matchLabels": {JOB_UID_LABEL: uid}});
            let same = selector.get("matchLabels") == generated.get("matchLabels")
                && selector
                    .get("matchExpressions")
                    .and_then(Value::as_array)
                    .is_none_or(|e| e.is_empty());
            if !same {
                issues.push(FieldIssue::invalid(
                    "spec.selector",
                    selector,
                    "`selector` not auto-generated",
                ));
            }
        }
    }
    match selector {
        None => issues.push(FieldIssue::required("spec.selector", "")),
        Some(selector) => {
            if !crate::selectors::metav1_matches(selector, &labels) {
                issues.push(FieldIssue::invalid(
                    "spec.template.metadata.labels",
                    &Value::Object(labels),
                    "`selector` does not match template `labels`",
                ));
            }
        }
    }
}

fn immutable(field: &str, new: Option<&Value>, old: Option<&Value>, issues: &mut Vec<FieldIssue>) {
    let norm = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    if norm(new) != norm(old) {
        issues.push(FieldIssue::invalid(
            field,
            new.unwrap_or(&Value::Null),
            klite_schema::validation::FIELD_IMMUTABLE,
        ));
    }
}

/// Update validation of built-in kinds through the main endpoint.
pub fn validate_update(def: &ResourceDef, old: &Value, new: &Value, sub: &str) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if def.is_custom() || !sub.is_empty() {
        return issues;
    }
    match (def.group.as_str(), def.kind.as_str()) {
        ("apps", "Deployment") | ("apps", "ReplicaSet") | ("apps", "DaemonSet") => {
            immutable(
                "spec.selector",
                new.pointer("/spec/selector"),
                old.pointer("/spec/selector"),
                &mut issues,
            );
            issues.extend(validate_create(def, new));
        }
        ("apps", "StatefulSet") => {
            let mut new_spec = new.get("spec").cloned().unwrap_or(json!({}));
            let old_spec = old.get("spec").cloned().unwrap_or(json!({}));
            for key in [
                "replicas",
                "template",
                "updateStrategy",
                "minReadySeconds",
                "ordinals",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
            ] {
                match old_spec.get(key) {
                    Some(v) => new_spec[key] = v.clone(),
                    None => {
                        if let Some(m) = new_spec.as_object_mut() {
                            m.remove(key);
                        }
                    }
                }
            }
            if new_spec != old_spec {
                issues.push(FieldIssue::forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
            issues.extend(validate_create(def, new));
        }
        ("batch", "Job") => {
            for key in [
                "selector",
                "completionMode",
                "podFailurePolicy",
                "backoffLimitPerIndex",
                "managedBy",
                "successPolicy",
            ] {
                immutable(
                    &format!("spec.{key}"),
                    new.pointer(&format!("/spec/{key}")),
                    old.pointer(&format!("/spec/{key}")),
                    &mut issues,
                );
            }
            let completions_mutable =
                old.pointer("/spec/completionMode").and_then(Value::as_str) == Some("Indexed");
            if !completions_mutable {
                immutable(
                    "spec.completions",
                    new.pointer("/spec/completions"),
                    old.pointer("/spec/completions"),
                    &mut issues,
                );
            }
            job_template_update(old, new, &mut issues);
            issues.extend(validate_create(def, new));
        }
        ("batch", "CronJob") => issues.extend(validate_create(def, new)),
        ("", "Pod") => pod_update(old, new, &mut issues),
        ("", "Service") => {
            issues.extend(crate::services::validate_update(new, old));
            service_issues(new, &mut issues);
        }
        ("rbac.authorization.k8s.io", "RoleBinding")
        | ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            let role_ref = |v: &Value| v.get("roleRef").cloned().unwrap_or(json!({}));
            let (new_ref, old_ref) = (role_ref(new), role_ref(old));
            if new_ref != old_ref {
                let field = |k: &str| new_ref.get(k).cloned().unwrap_or(json!(""));
                issues.push(FieldIssue::invalid(
                    "roleRef",
                    &json!({"APIGroup": field("apiGroup"), "Kind": field("kind"), "Name": field("name")}),
                    "cannot change roleRef",
                ));
            }
        }
        _ => {}
    }
    issues
}

/// `validatePodTemplateUpdate` of a Job: the template is immutable, except the
/// scheduling directives of a suspended Job that never started.
fn job_template_update(old: &Value, new: &Value, issues: &mut Vec<FieldIssue>) {
    let new_template = new
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null);
    let mut old_template = old
        .pointer("/spec/template")
        .cloned()
        .unwrap_or(Value::Null);
    let suspended_never_started = old.pointer("/spec/suspend").and_then(Value::as_bool)
        == Some(true)
        && old.pointer("/status/startTime").is_none_or(Value::is_null);
    if suspended_never_started {
        for (path, key) in [
            ("/spec", "nodeSelector"),
            ("/spec", "tolerations"),
            ("/spec", "affinity"),
            ("/spec", "schedulingGates"),
            ("/metadata", "labels"),
            ("/metadata", "annotations"),
        ] {
            let value = new_template.pointer(&format!("{path}/{key}")).cloned();
            if let Some(parent) = old_template
                .pointer_mut(path)
                .and_then(Value::as_object_mut)
            {
                match value {
                    Some(v) => parent.insert(key.to_string(), v),
                    None => parent.remove(key),
                };
            }
        }
    }
    if new_template != old_template {
        issues.push(FieldIssue::invalid(
            "spec.template",
            &new_template,
            klite_schema::validation::FIELD_IMMUTABLE,
        ));
    }
}

/// The fields a Pod update may change (1.32, InPlacePodVerticalScaling off).
const POD_UPDATABLE: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodUpdate`: only images, activeDeadlineSeconds, added tolerations,
/// removed scheduling gates and a negative grace period → 1 may change.
fn pod_update(old: &Value, new: &Value, issues: &mut Vec<FieldIssue>) {
    let old_spec = old.get("spec").cloned().unwrap_or(json!({}));
    let new_spec = new.get("spec").cloned().unwrap_or(json!({}));
    let mut munged = new_spec.clone();
    for key in ["containers", "initContainers"] {
        let old_list = old_spec
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(list) = munged.get_mut(key).and_then(Value::as_array_mut) {
            for (i, c) in list.iter_mut().enumerate() {
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                if image.is_empty() {
                    issues.push(FieldIssue::required(&format!("spec.{key}[{i}].image"), ""));
                }
                if let (Some(old_c), Some(c)) = (old_list.get(i), c.as_object_mut()) {
                    match old_c.get("image") {
                        Some(img) => c.insert("image".into(), img.clone()),
                        None => c.remove("image"),
                    };
                }
            }
        }
    }
    let old_deadline = old_spec
        .get("activeDeadlineSeconds")
        .and_then(Value::as_i64);
    let new_deadline = new_spec
        .get("activeDeadlineSeconds")
        .and_then(Value::as_i64);
    if let Some(old_d) = old_deadline {
        match new_deadline {
            None => issues.push(FieldIssue::invalid(
                "spec.activeDeadlineSeconds",
                &Value::Null,
                "must not update from a positive integer to nil value",
            )),
            Some(n) if n > old_d => issues.push(FieldIssue::invalid(
                "spec.activeDeadlineSeconds",
                &json!(n),
                "must be less than or equal to previous value",
            )),
            _ => {}
        }
    }
    let old_tolerations = old_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let new_tolerations = new_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let additions_only = old_tolerations.iter().all(|t| new_tolerations.contains(t));
    let old_gates = old_spec
        .get("schedulingGates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let new_gates = new_spec
        .get("schedulingGates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let gates_removed_only = new_gates.iter().all(|g| old_gates.contains(g));
    if let Some(m) = munged.as_object_mut() {
        for (key, keep_new) in [
            ("activeDeadlineSeconds", true),
            ("tolerations", additions_only),
            ("schedulingGates", gates_removed_only),
        ] {
            if keep_new {
                match old_spec.get(key) {
                    Some(v) => m.insert(key.to_string(), v.clone()),
                    None => m.remove(key),
                };
            }
        }
        let old_grace = old_spec
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        let new_grace = m
            .get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        if old_grace.is_some_and(|g| g < 0) && new_grace == Some(1) {
            if let Some(g) = old_spec.get("terminationGracePeriodSeconds") {
                m.insert("terminationGracePeriodSeconds".into(), g.clone());
            }
        }
    }
    if munged != old_spec {
        let mut diff = String::from("  core.PodSpec{\n");
        let keys: std::collections::BTreeSet<&String> = old_spec
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .chain(munged.as_object().into_iter().flat_map(|o| o.keys()))
            .collect();
        for key in keys {
            let (a, b) = (old_spec.get(key), munged.get(key));
            if a != b {
                if let Some(a) = a {
                    diff.push_str(&format!("- \t{key}: {a},\n"));
                }
                if let Some(b) = b {
                    diff.push_str(&format!("+ \t{key}: {b},\n"));
                }
            }
        }
        diff.push_str("  }\n");
        issues.push(FieldIssue::forbidden(
            "spec",
            &format!("{POD_UPDATABLE}\n{diff}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes() {
        let pod = |resources: Value| json!({"spec": {"containers": [{"name": "a", "resources": resources}]}});
        assert_eq!(pod_qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            pod_qos_class(&pod(json!({"requests": {"cpu": "100m"}}))),
            "Burstable"
        );
        assert_eq!(
            pod_qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"},
                "requests": {"cpu": "1000m", "memory": "1Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            pod_qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"},
                "requests": {"cpu": "500m", "memory": "1Gi"}}))),
            "Burstable"
        );
        assert_eq!(
            pod_qos_class(&pod(json!({"requests": {"ephemeral-storage": "1Gi"}}))),
            "BestEffort"
        );
    }

    #[test]
    fn label_selectors_match_like_metav1() {
        let labels: Map<String, Value> =
            serde_json::from_value(json!({"app": "x", "tier": "web"})).unwrap();
        assert!(crate::selectors::metav1_matches(
            &json!({"matchLabels": {"app": "x"}}),
            &labels
        ));
        assert!(!crate::selectors::metav1_matches(
            &json!({"matchLabels": {"app": "y"}}),
            &labels
        ));
        assert!(crate::selectors::metav1_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "db"]},
                {"key": "gone", "operator": "DoesNotExist"}]}),
            &labels
        ));
        assert!(!crate::selectors::metav1_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}),
            &labels
        ));
    }
}
