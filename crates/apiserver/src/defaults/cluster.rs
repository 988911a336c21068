//! Defaults of the cluster-level groups: autoscaling/v2, networking.k8s.io/v1,
//! discovery.k8s.io/v1, rbac.authorization.k8s.io/v1,
//! admissionregistration.k8s.io/v1, storage.k8s.io/v1, scheduling.k8s.io/v1.
//! (policy/v1, coordination.k8s.io/v1 and events.k8s.io/v1 have none.)

use serde_json::{json, Value};

use super::When::{Empty, EmptyString, Nil};
use super::{apply_rows, child, each, row, struct_child, unset, FieldDefault, Lit::*, Obj, Result};

const WEBHOOK: &[FieldDefault] = &[
    row("failurePolicy", Nil, Str("Fail")),
    row("matchPolicy", Nil, Str("Equivalent")),
    row("namespaceSelector", Nil, EmptyObject),
    row("objectSelector", Nil, EmptyObject),
    row("timeoutSeconds", Nil, Int(10)),
];
const MUTATING_WEBHOOK: &[FieldDefault] = &[row("reinvocationPolicy", Nil, Str("Never"))];
const RULE: &[FieldDefault] = &[row("scope", Nil, Str("*"))];
const SERVICE_REFERENCE: &[FieldDefault] = &[row("port", Nil, Int(443))];
const MATCH_RESOURCES: &[FieldDefault] = &[
    row("matchPolicy", Nil, Str("Equivalent")),
    row("namespaceSelector", Nil, EmptyObject),
    row("objectSelector", Nil, EmptyObject),
];
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn webhook(w: &mut Obj, mutating: bool) -> Result {
    apply_rows(w, WEBHOOK);
    if mutating {
        apply_rows(w, MUTATING_WEBHOOK);
    }
    each(w, "rules", |r| {
        apply_rows(r, RULE);
        Ok(())
    })?;
    if let Some(service) = child(w, "clientConfig").and_then(|c| child(c, "service")) {
        apply_rows(service, SERVICE_REFERENCE);
    }
    Ok(())
}

/// ValidatingWebhookConfiguration (`SetDefaults_ValidatingWebhook`, rules, service port).
pub fn validating_webhook_configuration(obj: &mut Obj) -> Result {
    each(obj, "webhooks", |w| webhook(w, false))
}

/// MutatingWebhookConfiguration (adds `reinvocationPolicy: Never`).
pub fn mutating_webhook_configuration(obj: &mut Obj) -> Result {
    each(obj, "webhooks", |w| webhook(w, true))
}

fn match_resources(m: &mut Obj) -> Result {
    apply_rows(m, MATCH_RESOURCES);
    for key in ["resourceRules", "excludeResourceRules"] {
        each(m, key, |r| {
            apply_rows(r, RULE);
            Ok(())
        })?;
    }
    Ok(())
}

/// ValidatingAdmissionPolicy: `failurePolicy` Fail, match constraints.
pub fn validating_admission_policy(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, &[row("failurePolicy", Nil, Str("Fail"))]);
    if let Some(m) = child(spec, "matchConstraints") {
        match_resources(m)?;
    }
    Ok(())
}

/// ValidatingAdmissionPolicyBinding: match resources.
pub fn validating_admission_policy_binding(obj: &mut Obj) -> Result {
    if let Some(m) = child(obj, "spec").and_then(|s| child(s, "matchResources")) {
        match_resources(m)?;
    }
    Ok(())
}

/// RoleBinding/ClusterRoleBinding: `roleRef.apiGroup`, subjects' `apiGroup`.
pub fn role_binding(obj: &mut Obj) -> Result {
    if let Some(role_ref) = struct_child(obj, "roleRef") {
        apply_rows(role_ref, &[row("apiGroup", EmptyString, Str(RBAC_GROUP))]);
    }
    each(obj, "subjects", |s| {
        if unset(s.get("apiGroup"), EmptyString) {
            match s.get("kind").and_then(Value::as_str) {
                Some("User") | Some("Group") => {
                    s.insert("apiGroup".into(), json!(RBAC_GROUP));
                }
                Some("ServiceAccount") => {
                    s.remove("apiGroup");
                }
                _ => {}
            }
        }
        Ok(())
    })
}

/// NetworkPolicy: `policyTypes` and ports' protocol.
pub fn network_policy(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    if unset(spec.get("policyTypes"), Empty) {
        let has_egress = spec
            .get("egress")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        let types = if has_egress {
            json!(["Ingress", "Egress"])
        } else {
            json!(["Ingress"])
        };
        spec.insert("policyTypes".into(), types);
    }
    for key in ["ingress", "egress"] {
        each(spec, key, |rule| {
            each(rule, "ports", |p| {
                apply_rows(p, &[row("protocol", Nil, Str("TCP"))]);
                Ok(())
            })
        })?;
    }
    Ok(())
}

/// IngressClass: `spec.parameters.scope` Cluster.
pub fn ingress_class(obj: &mut Obj) -> Result {
    if let Some(p) = child(obj, "spec").and_then(|s| child(s, "parameters")) {
        apply_rows(p, &[row("scope", Nil, Str("Cluster"))]);
    }
    Ok(())
}

/// EndpointSlice: ports' `name` "" and `protocol` TCP.
pub fn endpoint_slice(obj: &mut Obj) -> Result {
    each(obj, "ports", |p| {
        apply_rows(
            p,
            &[row("name", Nil, Str("")), row("protocol", Nil, Str("TCP"))],
        );
        Ok(())
    })
}

fn scaling_rules(behavior: &mut Obj, key: &str, defaults: Value) {
    let mut rules = defaults;
    if let (Some(given), Some(target)) = (
        behavior.get(key).and_then(Value::as_object),
        rules.as_object_mut(),
    ) {
        for (k, v) in given {
            if !v.is_null() {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    behavior.insert(key.into(), rules);
}

/// HorizontalPodAutoscaler v2: minReplicas 1, CPU 80% metric, behavior rules.
pub fn horizontal_pod_autoscaler(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, &[row("minReplicas", Nil, Int(1))]);
    if unset(spec.get("metrics"), Empty) {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        );
    }
    if let Some(behavior) = child(spec, "behavior") {
        scaling_rules(
            behavior,
            "scaleUp",
            json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}),
        );
        scaling_rules(
            behavior,
            "scaleDown",
            json!({"selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}),
        );
    }
    Ok(())
}

/// StorageClass: reclaim policy Delete, binding mode Immediate.
pub fn storage_class(obj: &mut Obj) -> Result {
    apply_rows(
        obj,
        &[
            row("reclaimPolicy", Nil, Str("Delete")),
            row("volumeBindingMode", Nil, Str("Immediate")),
        ],
    );
    Ok(())
}

/// PriorityClass: preemption policy PreemptLowerPriority.
pub fn priority_class(obj: &mut Obj) -> Result {
    apply_rows(
        obj,
        &[row("preemptionPolicy", Nil, Str("PreemptLowerPriority"))],
    );
    Ok(())
}
