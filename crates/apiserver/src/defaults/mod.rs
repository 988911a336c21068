//! Upstream defaulting of built-in kinds (`SetObjectDefaults_*` of kubernetes
//! `pkg/apis/<group>/<version>/zz_generated.defaults.go` and the `SetDefaults_*`
//! functions they call), for the Kubernetes version the server reports (1.32,
//! feature gates at their defaults).
//!
//! Defaulting runs where kube-apiserver decodes a request body into its typed
//! object: on create and update bodies, on the result of every patch and of
//! server-side apply, before admission, strategies and validation. It is
//! idempotent. Fields Go always serialises (non-pointer structs such as a
//! container's `resources: {}`) are filled in here too, because a typed
//! round-trip produces them.
//!
//! The per-kind tables are declarative: [`FieldDefault`] rows say "when this
//! field is unset (Go's zero/nil test), set it to this literal"; the
//! functions in [`core`], [`workloads`] and [`cluster`] walk the nested types
//! (pod templates, containers, volumes, webhooks…) and apply the rows.
//!
//! ```
//! use serde_json::json;
//! let mut deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web"},
//!     "spec": {"selector": {"matchLabels": {"app": "web"}},
//!              "template": {"metadata": {"labels": {"app": "web"}},
//!                           "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
//! klite_apiserver::defaults::apply("apps", "Deployment", &mut deploy).unwrap();
//! assert_eq!(deploy["spec"]["replicas"], 1);
//! assert_eq!(deploy["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
//! assert_eq!(deploy["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");
//! ```

pub mod cluster;
pub mod core;
pub mod quantity;
pub mod workloads;

use serde_json::{Map, Value};

use self::quantity::QuantityError;

/// A JSON object.
pub type Obj = Map<String, Value>;

/// A defaulting error: only unparseable quantities (upstream fails to decode them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultingError {
    /// Why the value did not decode.
    pub reason: QuantityError,
}

/// The result of a defaulting pass.
pub type Result<T = ()> = std::result::Result<T, DefaultingError>;

/// When a [`FieldDefault`] applies — the Go test on the typed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `== nil`: absent or `null` (pointers, slices, maps).
    Nil,
    /// `== ""`: absent, `null` or the empty string.
    EmptyString,
    /// `== 0`: absent, `null` or zero.
    Zero,
    /// `len(x) == 0`: absent, `null`, or an empty list/map/string.
    Empty,
}

/// A literal default value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    /// A string.
    Str(&'static str),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// An empty object (`{}`), e.g. a defaulted `*LabelSelector` or struct.
    EmptyObject,
}

impl Lit {
    fn to_value(self) -> Value {
        match self {
            Lit::Str(s) => Value::String(s.into()),
            Lit::Int(i) => Value::from(i),
            Lit::Bool(b) => Value::Bool(b),
            Lit::EmptyObject => Value::Object(Map::new()),
        }
    }
}

/// One row of a defaulting table: set `field` to `value` when `when` holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDefault {
    /// JSON field name.
    pub field: &'static str,
    /// The zero test.
    pub when: When,
    /// The default.
    pub value: Lit,
}

/// Shorthand for a table row.
pub const fn row(field: &'static str, when: When, value: Lit) -> FieldDefault {
    FieldDefault { field, when, value }
}

/// Does `when` hold for the current value of a field?
pub fn unset(current: Option<&Value>, when: When) -> bool {
    match current {
        None | Some(Value::Null) => true,
        Some(v) => match when {
            When::Nil => false,
            When::EmptyString => v.as_str() == Some(""),
            When::Zero => v.as_f64() == Some(0.0),
            When::Empty => match v {
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                _ => false,
            },
        },
    }
}

/// Apply a table of rows to one object.
pub fn apply_rows(obj: &mut Obj, rows: &[FieldDefault]) {
    for r in rows {
        if unset(obj.get(r.field), r.when) {
            obj.insert(r.field.to_string(), r.value.to_value());
        }
    }
}

/// The nested object under `key`, when present and an object.
pub fn child<'a>(obj: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    obj.get_mut(key).and_then(Value::as_object_mut)
}

/// The nested object under `key`, created (`{}`) when absent or `null` — a Go
/// non-pointer struct, which always exists after decoding. `None` when the
/// value has another type (left for validation to reject).
pub fn struct_child<'a>(obj: &'a mut Obj, key: &str) -> Option<&'a mut Obj> {
    let slot = obj.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

/// Run `f` on every object item of the list under `key`.
pub fn each<F: FnMut(&mut Obj) -> Result>(obj: &mut Obj, key: &str, mut f: F) -> Result {
    if let Some(items) = obj.get_mut(key).and_then(Value::as_array_mut) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            f(item)?;
        }
    }
    Ok(())
}

/// Canonicalise (and milli-round) every quantity of a `ResourceList` map.
pub fn resource_list(obj: &mut Obj, key: &str) -> Result {
    if let Some(list) = child(obj, key) {
        for value in list.values_mut() {
            quantity::canonicalise_value(value, true)
                .map_err(|reason| DefaultingError { reason })?;
        }
    }
    Ok(())
}

/// Canonicalise one `Quantity` field (no rounding).
pub fn quantity_field(obj: &mut Obj, key: &str) -> Result {
    if let Some(value) = obj.get_mut(key).filter(|v| !v.is_null()) {
        quantity::canonicalise_value(value, false).map_err(|reason| DefaultingError { reason })?;
    }
    Ok(())
}

/// Nested `metadata` of a template: Go's `ObjectMeta` struct is always
/// serialised, with `creationTimestamp: null` (Kubernetes ≤ 1.33).
pub fn template_metadata(template: &mut Obj) {
    if let Some(meta) = struct_child(template, "metadata") {
        if !meta.contains_key("creationTimestamp") {
            meta.insert("creationTimestamp".into(), Value::Null);
        }
    }
}

/// Fields a typed round-trip adds that no client sends and no manager owns:
/// the nested `metadata` of pod templates (`{"creationTimestamp": null}`),
/// the TypeMeta of StatefulSet claim templates, and the non-`omitempty`
/// fields Go always encodes (`rules: null` of roles, `spec: {}` of Leases,
/// Ingresses and PDBs, an Event's empty `source` and `null` timestamps…).
/// Runs after field-manager tracking, where kube-apiserver's storage
/// encoding would add them.
pub fn storage_form(group: &str, kind: &str, obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    match (group, kind) {
        ("", "PodTemplate") => {
            if let Some(t) = child(map, "template") {
                template_metadata(t);
            }
        }
        ("", "ReplicationController")
        | ("apps", "Deployment")
        | ("apps", "ReplicaSet")
        | ("apps", "DaemonSet")
        | ("batch", "Job") => {
            if let Some(t) = child(map, "spec").and_then(|s| child(s, "template")) {
                template_metadata(t);
            }
        }
        ("apps", "StatefulSet") => {
            if let Some(spec) = child(map, "spec") {
                if let Some(t) = child(spec, "template") {
                    template_metadata(t);
                }
                // Conversion gives the claim templates their TypeMeta, too.
                let _ = each(spec, "volumeClaimTemplates", |claim| {
                    claim
                        .entry("apiVersion")
                        .or_insert_with(|| Value::String("v1".into()));
                    claim
                        .entry("kind")
                        .or_insert_with(|| Value::String("PersistentVolumeClaim".into()));
                    template_metadata(claim);
                    Ok(())
                });
            }
        }
        ("rbac.authorization.k8s.io", "Role") | ("rbac.authorization.k8s.io", "ClusterRole") => {
            map.entry("rules").or_insert(Value::Null);
        }
        ("discovery.k8s.io", "EndpointSlice") => {
            map.entry("endpoints").or_insert(Value::Null);
        }
        ("coordination.k8s.io", "Lease")
        | ("networking.k8s.io", "Ingress")
        | ("policy", "PodDisruptionBudget") => {
            struct_child(map, "spec");
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            if let Some(spec) = struct_child(map, "spec") {
                struct_child(spec, "podSelector");
            }
        }
        ("", "Event") => {
            for key in ["involvedObject", "source"] {
                struct_child(map, key);
            }
            for key in ["reportingComponent", "reportingInstance"] {
                map.entry(key)
                    .or_insert_with(|| Value::String(String::new()));
            }
            for key in ["firstTimestamp", "lastTimestamp", "eventTime"] {
                map.entry(key).or_insert(Value::Null);
            }
        }
        ("events.k8s.io", "Event") => {
            struct_child(map, "deprecatedSource");
            for key in [
                "eventTime",
                "deprecatedFirstTimestamp",
                "deprecatedLastTimestamp",
            ] {
                map.entry(key).or_insert(Value::Null);
            }
        }
        ("batch", "CronJob") => {
            if let Some(job) = child(map, "spec").and_then(|s| child(s, "jobTemplate")) {
                template_metadata(job);
                if let Some(t) = child(job, "spec").and_then(|s| child(s, "template")) {
                    template_metadata(t);
                }
            }
        }
        _ => {}
    }
}

type Defaulter = fn(&mut Obj) -> Result;

/// Which defaulter runs for a (group, kind) of the built-in table.
const DEFAULTERS: &[(&str, &str, Defaulter)] = &[
    ("", "Pod", core::pod),
    ("", "PodTemplate", core::pod_template),
    ("", "ReplicationController", core::replication_controller),
    ("", "Service", core::service),
    ("", "Secret", core::secret),
    ("", "ConfigMap", core::config_map),
    ("", "Namespace", core::namespace),
    ("", "Endpoints", core::endpoints),
    ("", "PersistentVolumeClaim", core::persistent_volume_claim),
    ("", "PersistentVolume", core::persistent_volume),
    ("", "LimitRange", core::limit_range),
    ("", "ResourceQuota", core::resource_quota),
    ("", "Node", core::node),
    ("apps", "Deployment", workloads::deployment),
    ("apps", "ReplicaSet", workloads::replica_set),
    ("apps", "StatefulSet", workloads::stateful_set),
    ("apps", "DaemonSet", workloads::daemon_set),
    ("batch", "Job", workloads::job),
    ("batch", "CronJob", workloads::cron_job),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        cluster::horizontal_pod_autoscaler,
    ),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        cluster::network_policy,
    ),
    ("networking.k8s.io", "IngressClass", cluster::ingress_class),
    ("discovery.k8s.io", "EndpointSlice", cluster::endpoint_slice),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        cluster::role_binding,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        cluster::role_binding,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        cluster::validating_webhook_configuration,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        cluster::mutating_webhook_configuration,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        cluster::validating_admission_policy,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        cluster::validating_admission_policy_binding,
    ),
    ("storage.k8s.io", "StorageClass", cluster::storage_class),
    (
        "scheduling.k8s.io",
        "PriorityClass",
        cluster::priority_class,
    ),
];

/// Does the kind have a defaulter?
pub fn has_defaults(group: &str, kind: &str) -> bool {
    DEFAULTERS.iter().any(|(g, k, _)| *g == group && *k == kind)
}

/// Default one object of `group`/`kind` in place. Kinds without upstream
/// defaults are left untouched; so are non-object values.
pub fn apply(group: &str, kind: &str, obj: &mut Value) -> Result {
    let Some((_, _, defaulter)) = DEFAULTERS
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
    else {
        return Ok(());
    };
    match obj.as_object_mut() {
        Some(map) => defaulter(map),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zero_tests_mirror_go() {
        assert!(unset(None, When::Nil));
        assert!(unset(Some(&Value::Null), When::Nil));
        assert!(!unset(Some(&json!(0)), When::Nil));
        assert!(unset(Some(&json!(0)), When::Zero));
        assert!(!unset(Some(&json!(3)), When::Zero));
        assert!(unset(Some(&json!("")), When::EmptyString));
        assert!(!unset(Some(&json!("x")), When::EmptyString));
        assert!(unset(Some(&json!([])), When::Empty));
        assert!(!unset(Some(&json!(false)), When::Nil));
    }

    #[test]
    fn every_builtin_with_defaults_is_served() {
        for (group, kind, _) in DEFAULTERS {
            assert!(
                crate::kinds::BUILTIN_KINDS
                    .iter()
                    .any(|k| k.group == *group && k.kind == *kind),
                "{group}/{kind} has defaults but is not served"
            );
        }
    }

    #[test]
    fn defaulting_is_idempotent() {
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "x:1",
            "resources": {"limits": {"cpu": "0.5"}}, "ports": [{"containerPort": 80}],
            "livenessProbe": {"httpGet": {"port": 80}}}],
            "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "s"}}]}});
        apply("", "Pod", &mut pod).unwrap();
        let once = pod.clone();
        apply("", "Pod", &mut pod).unwrap();
        assert_eq!(pod, once);
    }
}
