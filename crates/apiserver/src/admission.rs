//! The mutating and refusing built-in admission plugins kube-apiserver runs
//! under envtest (its default plugin set minus `ServiceAccount`):
//! `Priority`, `DefaultTolerationSeconds`, `StorageObjectInUseProtection`,
//! `TaintNodesByCondition`, `DefaultStorageClass` and `DefaultIngressClass`.
//! `NamespaceLifecycle` lives in the write pipeline; `PodSecurity` admits
//! everything at its default level (`privileged`); `LimitRanger` and
//! `ResourceQuota` are not modelled. `MutatingAdmissionWebhook` and
//! `ValidatingAdmissionWebhook` run from the write pipeline (after these
//! plugins and defaulting, before validation and storage) in
//! [`crate::webhooks`], which says what of them is and isn't modelled;
//! `ValidatingAdmissionPolicy` (CEL) is not modelled.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::registry::ResourceDef;
use crate::server::Shared;
use crate::status::ApiError;
use crate::store::StoredObject;

/// Every stored object of a built-in resource.
pub(crate) fn stored(
    shared: &Shared,
    group: &str,
    version: &str,
    resource: &str,
) -> Vec<Arc<StoredObject>> {
    let registry = shared.registry();
    let Some(def) = registry.lookup(group, version, resource) else {
        return Vec::new();
    };
    let snapshot = shared.store.snapshot();
    let prefix = crate::store::object::storage_prefix(&def.storage_id, None);
    let mut upper = prefix.clone();
    upper.pop();
    upper.push('\u{1}');
    snapshot
        .map
        .range(prefix..upper)
        .map(|(_, o)| o.clone())
        .collect()
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn forbidden(def: &ResourceDef, name: &str, msg: &str) -> ApiError {
    ApiError::forbidden(&def.group, &def.resource, name, msg)
}

fn is(def: &ResourceDef, group: &str, resource: &str) -> bool {
    !def.is_custom() && def.group == group && def.resource == resource
}

/// The default PriorityClass: the global default with the lowest value.
fn default_priority_class(shared: &Shared) -> Option<Value> {
    stored(shared, "scheduling.k8s.io", "v1", "priorityclasses")
        .into_iter()
        .filter(|pc| pc.value.get("globalDefault").and_then(Value::as_bool) == Some(true))
        .min_by_key(|pc| pc.value.get("value").and_then(Value::as_i64).unwrap_or(0))
        .map(|pc| pc.value.clone())
}

/// `Priority` on pod create: priority and preemption policy from the class.
fn pod_priority(
    shared: &Shared,
    def: &ResourceDef,
    pod: &mut Value,
    name: &str,
) -> Result<(), ApiError> {
    let class_name = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let (class, priority, preemption) = if class_name.is_empty() {
        match default_priority_class(shared) {
            Some(pc) => (
                pc.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                pc.get("value").and_then(Value::as_i64).unwrap_or(0),
                pc.get("preemptionPolicy").cloned(),
            ),
            None => (String::new(), 0, Some(json!("PreemptLowerPriority"))),
        }
    } else {
        let found = stored(shared, "scheduling.k8s.io", "v1", "priorityclasses")
            .into_iter()
            .find(|pc| pc.name() == class_name);
        let Some(pc) = found else {
            return Err(forbidden(
                def,
                name,
                &format!("no PriorityClass with name {class_name} was found"),
            ));
        };
        (
            class_name.clone(),
            pc.value.get("value").and_then(Value::as_i64).unwrap_or(0),
            pc.value.get("preemptionPolicy").cloned(),
        )
    };
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    if let Some(given) = spec.get("priority").and_then(Value::as_i64) {
        if given != priority {
            return Err(forbidden(
                def,
                name,
                &format!("the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"),
            ));
        }
    }
    if !class.is_empty() {
        spec.insert("priorityClassName".into(), json!(class));
    }
    spec.insert("priority".into(), json!(priority));
    if let Some(policy) = preemption.filter(|p| !p.is_null()) {
        if let Some(given) = spec.get("preemptionPolicy").filter(|p| !p.is_null()) {
            if *given != policy {
                return Err(forbidden(
                    def,
                    name,
                    &format!(
                        "the string value of PreemptionPolicy ({}) must not be provided in pod spec; priority admission controller computed {} from the given PriorityClass name",
                        given.as_str().unwrap_or(""),
                        policy.as_str().unwrap_or("")
                    ),
                ));
            }
        }
        spec.insert("preemptionPolicy".into(), policy);
    }
    Ok(())
}

/// `DefaultTolerationSeconds`: tolerate not-ready/unreachable nodes for 300 s.
fn default_tolerations(pod: &mut Value) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let existing: Vec<Value> = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let tolerates = |taint: &str| {
        existing.iter().any(|t| {
            let key = t.get("key").and_then(Value::as_str).unwrap_or("");
            let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
            (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
        })
    };
    let mut added = Vec::new();
    for taint in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        if !tolerates(taint) {
            added.push(
                json!({"key": taint, "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 300}),
            );
        }
    }
    if !added.is_empty() {
        let mut list = existing;
        list.extend(added);
        spec.insert("tolerations".into(), Value::Array(list));
    }
}

fn add_finalizer(obj: &mut Value, finalizer: &str) {
    let mut list = crate::handlers::meta::finalizers(obj);
    if !list.iter().any(|f| f == finalizer) {
        list.push(finalizer.to_string());
        crate::handlers::meta::set_finalizers(obj, &list);
    }
}

/// The newest object carrying a "default class" annotation.
fn newest_default(objs: Vec<Arc<StoredObject>>, annotations: &[&str]) -> Option<String> {
    objs.into_iter()
        .filter(|o| {
            annotations
                .iter()
                .any(|a| annotation(&o.value, a) == Some("true"))
        })
        .max_by(|a, b| {
            let ts = |o: &StoredObject| {
                o.value
                    .pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            ts(a).cmp(&ts(b)).then_with(|| b.name().cmp(a.name()))
        })
        .map(|o| o.name().to_string())
}

/// Admission of a create through the main endpoint. `name` is the name
/// admission reports (the generateName prefix before a name is generated).
pub(crate) fn admit_create(
    shared: &Shared,
    def: &ResourceDef,
    obj: &mut Value,
    name: &str,
) -> Result<(), ApiError> {
    if is(def, "", "pods") {
        pod_priority(shared, def, obj, name)?;
        default_tolerations(obj);
    } else if is(def, "", "persistentvolumeclaims") {
        add_finalizer(obj, "kubernetes.io/pvc-protection");
        let unset = obj
            .pointer("/spec/storageClassName")
            .is_none_or(Value::is_null)
            && annotation(obj, "volume.beta.kubernetes.io/storage-class").is_none();
        if unset {
            let classes = stored(shared, "storage.k8s.io", "v1", "storageclasses");
            if let Some(class) = newest_default(
                classes,
                &[
                    "storageclass.kubernetes.io/is-default-class",
                    "storageclass.beta.kubernetes.io/is-default-class",
                ],
            ) {
                if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("storageClassName".into(), json!(class));
                }
            }
        }
    } else if is(def, "", "persistentvolumes") {
        add_finalizer(obj, "kubernetes.io/pv-protection");
    } else if is(def, "", "nodes") {
        let Some(spec) = crate::defaults::struct_child(
            obj.as_object_mut()
                .ok_or_else(|| ApiError::bad_request("body must be an object"))?,
            "spec",
        ) else {
            return Ok(());
        };
        let taints = spec.entry("taints").or_insert_with(|| json!([]));
        if let Some(list) = taints.as_array_mut() {
            let present = list.iter().any(|t| {
                t.get("key").and_then(Value::as_str) == Some("node.kubernetes.io/not-ready")
                    && t.get("effect").and_then(Value::as_str) == Some("NoSchedule")
            });
            if !present {
                list.push(json!({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}));
            }
        }
    } else if is(def, "networking.k8s.io", "ingresses") {
        let unset = obj
            .pointer("/spec/ingressClassName")
            .is_none_or(Value::is_null)
            && annotation(obj, "kubernetes.io/ingress.class").is_none();
        if unset {
            let classes = stored(shared, "networking.k8s.io", "v1", "ingressclasses");
            if let Some(class) =
                newest_default(classes, &["ingressclass.kubernetes.io/is-default-class"])
            {
                if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.insert("ingressClassName".into(), json!(class));
                }
            }
        }
    } else if is(def, "scheduling.k8s.io", "priorityclasses") {
        priority_class_default(shared, def, obj, name, None)?;
    }
    Ok(())
}

/// Only one PriorityClass may be the global default.
fn priority_class_default(
    shared: &Shared,
    def: &ResourceDef,
    pc: &Value,
    name: &str,
    updating: Option<&str>,
) -> Result<(), ApiError> {
    if pc.get("globalDefault").and_then(Value::as_bool) != Some(true) {
        return Ok(());
    }
    if let Some(existing) = default_priority_class(shared) {
        let existing_name = existing
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if updating.is_none_or(|n| n != existing_name) {
            return Err(forbidden(
                def,
                name,
                &format!("PriorityClass {existing_name} is already marked as default. Only one default can exist"),
            ));
        }
    }
    Ok(())
}

/// Admission of an update through the main endpoint.
pub(crate) fn admit_update(
    shared: &Shared,
    def: &ResourceDef,
    old: &Value,
    new: &mut Value,
    name: &str,
) -> Result<(), ApiError> {
    if is(def, "", "pods") {
        if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
            for key in ["priority", "preemptionPolicy"] {
                if spec.get(key).is_none_or(Value::is_null) {
                    if let Some(v) = old.pointer(&format!("/spec/{key}")) {
                        spec.insert(key.to_string(), v.clone());
                    }
                }
            }
        }
        default_tolerations(new);
    } else if is(def, "scheduling.k8s.io", "priorityclasses") {
        priority_class_default(shared, def, new, name, Some(name))?;
    }
    Ok(())
}
