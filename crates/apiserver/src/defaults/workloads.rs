//! apps/v1 and batch/v1 defaults (kubernetes `pkg/apis/apps/v1/defaults.go`,
//! `pkg/apis/batch/v1/defaults.go`); pod templates get core's pod-spec defaults.

use serde_json::{json, Value};

use super::core::{pod_template_spec, pvc_spec};
use super::When::{Empty, EmptyString, Nil};
use super::{
    apply_rows, child, each, resource_list, row, struct_child, unset, FieldDefault, Lit::*, Obj,
    Result,
};

const DEPLOYMENT_SPEC: &[FieldDefault] = &[
    row("replicas", Nil, Int(1)),
    row("revisionHistoryLimit", Nil, Int(10)),
    row("progressDeadlineSeconds", Nil, Int(600)),
];
const DEPLOYMENT_ROLLING: &[FieldDefault] = &[
    row("maxUnavailable", Nil, Str("25%")),
    row("maxSurge", Nil, Str("25%")),
];
const DAEMONSET_ROLLING: &[FieldDefault] = &[
    row("maxUnavailable", Nil, Int(1)),
    row("maxSurge", Nil, Int(0)),
];
const STATEFULSET_SPEC: &[FieldDefault] = &[
    row("podManagementPolicy", Empty, Str("OrderedReady")),
    row("replicas", Nil, Int(1)),
    row("revisionHistoryLimit", Nil, Int(10)),
];
const RETENTION_POLICY: &[FieldDefault] = &[
    row("whenDeleted", Empty, Str("Retain")),
    row("whenScaled", Empty, Str("Retain")),
];
const JOB_SPEC: &[FieldDefault] = &[
    row("parallelism", Nil, Int(1)),
    row("completionMode", Nil, Str("NonIndexed")),
    row("suspend", Nil, Bool(false)),
    row("manualSelector", Nil, Bool(false)),
];
const CRONJOB_SPEC: &[FieldDefault] = &[
    row("concurrencyPolicy", EmptyString, Str("Allow")),
    row("suspend", Nil, Bool(false)),
    row("successfulJobsHistoryLimit", Nil, Int(3)),
    row("failedJobsHistoryLimit", Nil, Int(1)),
];

fn template(spec: &mut Obj) -> Result {
    match struct_child(spec, "template") {
        Some(t) => pod_template_spec(t),
        None => Ok(()),
    }
}

/// Deployment (`SetDefaults_Deployment`).
pub fn deployment(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, DEPLOYMENT_SPEC);
    if let Some(strategy) = struct_child(spec, "strategy") {
        apply_rows(strategy, &[row("type", EmptyString, Str("RollingUpdate"))]);
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(rolling) = struct_child(strategy, "rollingUpdate") {
                apply_rows(rolling, DEPLOYMENT_ROLLING);
            }
        }
    }
    template(spec)
}

/// ReplicaSet (`SetDefaults_ReplicaSet`).
pub fn replica_set(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, &[row("replicas", Nil, Int(1))]);
    template(spec)
}

/// DaemonSet (`SetDefaults_DaemonSet`).
pub fn daemon_set(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    if let Some(strategy) = struct_child(spec, "updateStrategy") {
        apply_rows(strategy, &[row("type", EmptyString, Str("RollingUpdate"))]);
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(rolling) = struct_child(strategy, "rollingUpdate") {
                apply_rows(rolling, DAEMONSET_ROLLING);
            }
        }
    }
    apply_rows(spec, &[row("revisionHistoryLimit", Nil, Int(10))]);
    template(spec)
}

/// StatefulSet (`SetDefaults_StatefulSet`, StatefulSetAutoDeletePVC on).
pub fn stateful_set(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, STATEFULSET_SPEC);
    if let Some(strategy) = struct_child(spec, "updateStrategy") {
        if unset(strategy.get("type"), EmptyString) {
            strategy.insert("type".into(), json!("RollingUpdate"));
            if unset(strategy.get("rollingUpdate"), Nil) {
                strategy.insert("rollingUpdate".into(), json!({}));
            }
        }
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            if let Some(rolling) = child(strategy, "rollingUpdate") {
                apply_rows(rolling, &[row("partition", Nil, Int(0))]);
            }
        }
    }
    if let Some(policy) = struct_child(spec, "persistentVolumeClaimRetentionPolicy") {
        apply_rows(policy, RETENTION_POLICY);
    }
    each(spec, "volumeClaimTemplates", |claim| {
        if let Some(claim_spec) = struct_child(claim, "spec") {
            pvc_spec(claim_spec)?;
        }
        if let Some(status) = struct_child(claim, "status") {
            apply_rows(status, &[row("phase", EmptyString, Str("Pending"))]);
            resource_list(status, "capacity")?;
        }
        Ok(())
    })?;
    template(spec)
}

/// Job (`SetDefaults_Job`, JobPodReplacementPolicy on).
pub fn job(obj: &mut Obj) -> Result {
    let template_labels = obj
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(meta) = struct_child(obj, "metadata") {
            if unset(meta.get("labels"), Empty) {
                meta.insert("labels".into(), labels);
            }
        }
    }
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    if unset(spec.get("completions"), Nil) && unset(spec.get("parallelism"), Nil) {
        spec.insert("completions".into(), json!(1));
        spec.insert("parallelism".into(), json!(1));
    }
    if unset(spec.get("backoffLimit"), Nil) {
        let per_index = !unset(spec.get("backoffLimitPerIndex"), Nil);
        spec.insert(
            "backoffLimit".into(),
            json!(if per_index { i32::MAX as i64 } else { 6 }),
        );
    }
    apply_rows(spec, JOB_SPEC);
    let has_failure_policy = !unset(spec.get("podFailurePolicy"), Nil);
    if let Some(policy) = child(spec, "podFailurePolicy") {
        each(policy, "rules", |rule| {
            each(rule, "onPodConditions", |pattern| {
                apply_rows(pattern, &[row("status", EmptyString, Str("True"))]);
                Ok(())
            })
        })?;
    }
    if unset(spec.get("podReplacementPolicy"), Nil) {
        let policy = if has_failure_policy {
            "Failed"
        } else {
            "TerminatingOrFailed"
        };
        spec.insert("podReplacementPolicy".into(), json!(policy));
    }
    template(spec)
}

/// CronJob (`SetDefaults_CronJob`; the job template only gets pod-spec defaults).
pub fn cron_job(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, CRONJOB_SPEC);
    if let Some(job_spec) = struct_child(spec, "jobTemplate").and_then(|t| struct_child(t, "spec"))
    {
        if let Some(policy) = child(job_spec, "podFailurePolicy") {
            each(policy, "rules", |rule| {
                each(rule, "onPodConditions", |pattern| {
                    apply_rows(pattern, &[row("status", EmptyString, Str("True"))]);
                    Ok(())
                })
            })?;
        }
        template(job_spec)?;
    }
    Ok(())
}
