//! OpenAPI schemas of the built-in kinds, generated at run time from
//! k8s-openapi's JSON Schema implementations (the upstream definitions, with
//! their descriptions) — the source of `/openapi/v3` components, `kubectl
//! explain`, and the pruning of unknown fields of built-in objects.
//!
//! ```
//! use klite_apiserver::schemas;
//! let mut cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "x", "colour": "red"}, "data": {"a": "b"}, "extra": 1});
//! assert_eq!(schemas::prune_builtin("", "v1", "ConfigMap", &mut cm),
//!     Some(vec!["extra".to_string(), "metadata.colour".to_string()]));
//! assert_eq!(cm["data"]["a"], "b");
//! ```
//!
//! Deviations from upstream: the definitions are those of the Kubernetes
//! version k8s-openapi's `latest` feature targets (newer than 1.32, so fields
//! added since are accepted), and the x-kubernetes-list-type/patch-strategy
//! extensions are absent (kubectl then computes strategic merge patches from
//! its compiled-in types, see [`crate::openapi`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use k8s_openapi::schemars::{self, JsonSchema};
use klite_schema::openapi::SchemaProps;
use klite_schema::structural::{prune_with, Structural};
use serde_json::{json, Map, Value};

/// `#/components/schemas/`: the reference prefix of every component.
pub const REF_PREFIX: &str = "#/components/schemas/";

/// Group, version, kind.
pub type Gvk = (String, String, String);

/// The generated schemas: OpenAPI v3 components plus the kinds that own them.
pub struct BuiltinSchemas {
    components: BTreeMap<String, Value>,
    kinds: HashMap<Gvk, String>,
    structural: HashMap<Gvk, OnceLock<Option<Arc<Structural>>>>,
}

impl std::fmt::Debug for BuiltinSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinSchemas")
            .field("components", &self.components.len())
            .field("kinds", &self.kinds.len())
            .finish()
    }
}

macro_rules! builtin_kinds {
    ($generator:ident, $kinds:ident; $(($group:literal, $version:literal, $kind:literal, $ty:ty)),* $(,)?) => {
        $(
            let name = <$ty as JsonSchema>::schema_name().to_string();
            let _ = $generator.subschema_for::<$ty>();
            $kinds.insert(($group.to_string(), $version.to_string(), $kind.to_string()), name);
        )*
    };
}

fn generate() -> BuiltinSchemas {
    use k8s_openapi::api::{
        admissionregistration::v1 as admission, apps::v1 as apps, authentication::v1 as authn,
        authorization::v1 as authz, autoscaling::v1 as autoscaling_v1,
        autoscaling::v2 as autoscaling, batch::v1 as batch, coordination::v1 as coordination,
        core::v1 as core, discovery::v1 as discovery, events::v1 as events,
        networking::v1 as networking, policy::v1 as policy, rbac::v1 as rbac,
        scheduling::v1 as scheduling, storage::v1 as storage,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    let mut kinds: HashMap<Gvk, String> = HashMap::new();
    builtin_kinds!(generator, kinds;
        ("", "v1", "ConfigMap", core::ConfigMap),
        ("", "v1", "Endpoints", core::Endpoints),
        ("", "v1", "Event", core::Event),
        ("", "v1", "LimitRange", core::LimitRange),
        ("", "v1", "Namespace", core::Namespace),
        ("", "v1", "Node", core::Node),
        ("", "v1", "PersistentVolumeClaim", core::PersistentVolumeClaim),
        ("", "v1", "PersistentVolume", core::PersistentVolume),
        ("", "v1", "Pod", core::Pod),
        ("", "v1", "PodTemplate", core::PodTemplate),
        ("", "v1", "ReplicationController", core::ReplicationController),
        ("", "v1", "ResourceQuota", core::ResourceQuota),
        ("", "v1", "Secret", core::Secret),
        ("", "v1", "ServiceAccount", core::ServiceAccount),
        ("", "v1", "Service", core::Service),
        ("apps", "v1", "ControllerRevision", apps::ControllerRevision),
        ("apps", "v1", "DaemonSet", apps::DaemonSet),
        ("apps", "v1", "Deployment", apps::Deployment),
        ("apps", "v1", "ReplicaSet", apps::ReplicaSet),
        ("apps", "v1", "StatefulSet", apps::StatefulSet),
        ("autoscaling", "v1", "Scale", autoscaling_v1::Scale),
        ("autoscaling", "v2", "HorizontalPodAutoscaler", autoscaling::HorizontalPodAutoscaler),
        ("batch", "v1", "CronJob", batch::CronJob),
        ("batch", "v1", "Job", batch::Job),
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", rbac::ClusterRoleBinding),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole", rbac::ClusterRole),
        ("rbac.authorization.k8s.io", "v1", "RoleBinding", rbac::RoleBinding),
        ("rbac.authorization.k8s.io", "v1", "Role", rbac::Role),
        ("coordination.k8s.io", "v1", "Lease", coordination::Lease),
        ("authentication.k8s.io", "v1", "SelfSubjectReview", authn::SelfSubjectReview),
        ("authentication.k8s.io", "v1", "TokenReview", authn::TokenReview),
        ("authorization.k8s.io", "v1", "LocalSubjectAccessReview", authz::LocalSubjectAccessReview),
        ("authorization.k8s.io", "v1", "SelfSubjectAccessReview", authz::SelfSubjectAccessReview),
        ("authorization.k8s.io", "v1", "SelfSubjectRulesReview", authz::SelfSubjectRulesReview),
        ("authorization.k8s.io", "v1", "SubjectAccessReview", authz::SubjectAccessReview),
        ("events.k8s.io", "v1", "Event", events::Event),
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", apiext::CustomResourceDefinition),
        ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", admission::MutatingWebhookConfiguration),
        ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", admission::ValidatingAdmissionPolicy),
        ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", admission::ValidatingAdmissionPolicyBinding),
        ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", admission::ValidatingWebhookConfiguration),
        ("networking.k8s.io", "v1", "IngressClass", networking::IngressClass),
        ("networking.k8s.io", "v1", "Ingress", networking::Ingress),
        ("networking.k8s.io", "v1", "NetworkPolicy", networking::NetworkPolicy),
        ("policy", "v1", "PodDisruptionBudget", policy::PodDisruptionBudget),
        ("storage.k8s.io", "v1", "StorageClass", storage::StorageClass),
        ("scheduling.k8s.io", "v1", "PriorityClass", scheduling::PriorityClass),
        ("discovery.k8s.io", "v1", "EndpointSlice", discovery::EndpointSlice),
    );
    let _ = generator.subschema_for::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>();
    // Protobuf DELETE bodies (crate::protobuf) name their fields from this schema.
    let _ =
        generator.subschema_for::<k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions>();
    let mut components: BTreeMap<String, Value> = generator
        .take_definitions(true)
        .into_iter()
        .map(|(k, v)| (k, upstream_shape(v)))
        .collect();
    for ((group, version, kind), name) in &kinds {
        if let Some(Value::Object(schema)) = components.get_mut(name) {
            // k8s-openapi marks metadata/spec required on kinds; upstream does not.
            schema.remove("required");
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": group, "kind": kind, "version": version}]),
            );
        }
    }
    let structural = kinds.keys().map(|k| (k.clone(), OnceLock::new())).collect();
    BuiltinSchemas {
        components,
        kinds,
        structural,
    }
}

/// Upstream's v3 form of a referenced field with siblings: `{"description": D, "allOf": [{"$ref": R}]}`.
/// Walks schema positions only (a `properties` map may have a property named `$ref`).
fn upstream_shape(mut schema: Value) -> Value {
    let Value::Object(map) = &mut schema else {
        return schema;
    };
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" => {
                if let Value::Object(props) = child {
                    for prop in props.values_mut() {
                        *prop = upstream_shape(std::mem::take(prop));
                    }
                }
            }
            "items" | "additionalProperties" | "not" => {
                *child = upstream_shape(std::mem::take(child))
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(parts) = child {
                    for part in parts.iter_mut() {
                        *part = upstream_shape(std::mem::take(part));
                    }
                }
            }
            _ => {}
        }
    }
    if map.len() > 1 && map.get("$ref").is_some_and(Value::is_string) {
        if let Some(reference) = map.remove("$ref") {
            map.insert("allOf".into(), json!([{"$ref": reference}]));
        }
    }
    schema
}

/// The schemas, generated on first use.
pub fn builtin_schemas() -> &'static BuiltinSchemas {
    static SCHEMAS: OnceLock<BuiltinSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(generate)
}

/// Re-formats an RFC 3339 timestamp in UTC with `format`.
fn normalize_time(value: &mut Value, format: &str) {
    if let Some(parsed) = value
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        *value = Value::String(
            parsed
                .with_timezone(&chrono::Utc)
                .format(format)
                .to_string(),
        );
    }
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(REF_PREFIX))
}

impl BuiltinSchemas {
    /// The component name of a kind (`io.k8s.api.apps.v1.Deployment`).
    pub fn component_name(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.kinds
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .map(String::as_str)
    }

    /// One component schema.
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.components.get(name)
    }

    /// Every component name.
    pub fn component_names(&self) -> impl Iterator<Item = &str> {
        self.components.keys().map(String::as_str)
    }

    /// Every kind with a schema.
    pub fn kinds(&self) -> impl Iterator<Item = &Gvk> {
        self.kinds.keys()
    }

    /// The named components and everything they reference, transitively.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        let mut pending: Vec<String> = roots.into_iter().map(str::to_string).collect();
        while let Some(name) = pending.pop() {
            if out.contains_key(&name) {
                continue;
            }
            let Some(schema) = self.components.get(&name) else {
                continue;
            };
            collect_refs(schema, &mut pending);
            out.insert(name, schema.clone());
        }
        out
    }

    /// Rewrites the `metav1.Time` and `metav1.MicroTime` fields of a built-in object the way
    /// the typed round trip does: UTC, seconds for `Time`, six fractional digits for
    /// `MicroTime` (client-go parses MicroTime with exactly six). Unparsable values are left
    /// for validation.
    pub fn normalize_times(&self, group: &str, version: &str, kind: &str, obj: &mut Value) {
        if let Some(name) = self.component_name(group, version, kind) {
            let name = name.to_string();
            self.normalize_component(&name, obj, 0);
        }
    }

    fn normalize_component(&self, name: &str, value: &mut Value, depth: usize) {
        const TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
        const MICRO_TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
        match name {
            TIME => normalize_time(value, "%Y-%m-%dT%H:%M:%SZ"),
            MICRO_TIME => normalize_time(value, "%Y-%m-%dT%H:%M:%S%.6fZ"),
            _ => {
                if let Some(schema) = self.components.get(name) {
                    self.normalize_schema(schema, value, depth + 1);
                }
            }
        }
    }

    fn normalize_schema(&self, schema: &Value, value: &mut Value, depth: usize) {
        // Recursive kinds (JSONSchemaProps) have no time fields deep down; stop early.
        if depth > 32 {
            return;
        }
        let referenced = ref_name(schema).or_else(|| {
            schema
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|all| all.iter().find_map(ref_name))
        });
        if let Some(name) = referenced {
            return self.normalize_component(name, value, depth);
        }
        match value {
            Value::Object(map) => {
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (key, item) in map.iter_mut() {
                        if let Some(prop) = props.get(key) {
                            self.normalize_schema(prop, item, depth + 1);
                        }
                    }
                } else if let Some(extra) = schema.get("additionalProperties") {
                    for item in map.values_mut() {
                        self.normalize_schema(extra, item, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for item in items {
                        self.normalize_schema(item_schema, item, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    /// The structural schema of a kind (references inlined, recursion and
    /// free-form objects preserved), built on first use.
    pub fn structural(&self, group: &str, version: &str, kind: &str) -> Option<Arc<Structural>> {
        let key = (group.to_string(), version.to_string(), kind.to_string());
        let cell = self.structural.get(&key)?;
        cell.get_or_init(|| {
            let name = self.kinds.get(&key)?;
            let root = self.components.get(name)?;
            let inlined = self.inline(root, &mut Vec::new());
            let props = SchemaProps::from_value(&inlined).ok()?;
            Structural::from_props(&props).ok().map(Arc::new)
        })
        .clone()
    }

    fn inline(&self, schema: &Value, stack: &mut Vec<String>) -> Value {
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if let Some(name) = ref_name(schema).map(str::to_string) {
            if stack.contains(&name) {
                return json!({"x-kubernetes-preserve-unknown-fields": true});
            }
            let Some(target) = self.components.get(&name) else {
                return json!({"x-kubernetes-preserve-unknown-fields": true});
            };
            stack.push(name);
            let out = self.inline(target, stack);
            stack.pop();
            return out;
        }
        let mut out = Map::new();
        for (key, value) in map {
            match key.as_str() {
                "allOf" => {
                    // `allOf: [{$ref}]` wrappers: merge the referenced schema in.
                    for part in value.as_array().into_iter().flatten() {
                        if let Value::Object(resolved) = self.inline(part, stack) {
                            for (k, v) in resolved {
                                out.entry(k).or_insert(v);
                            }
                        }
                    }
                }
                "properties" => {
                    let props: Map<String, Value> = value
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), self.inline(v, stack)))
                        .collect();
                    out.insert(key.clone(), Value::Object(props));
                }
                "items" | "additionalProperties" if value.is_object() => {
                    out.insert(key.clone(), self.inline(value, stack));
                }
                // Value-level alternatives (JSONSchemaPropsOrBool…) do not shape pruning.
                "description" | "x-kubernetes-group-version-kind" | "oneOf" | "anyOf" | "not" => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        let free_form = !out.contains_key("properties")
            && !out.contains_key("additionalProperties")
            && !out.contains_key("items")
            && !out.contains_key("x-kubernetes-int-or-string")
            && out.get("type").is_none_or(|t| t == "object");
        if free_form {
            out.insert("x-kubernetes-preserve-unknown-fields".into(), json!(true));
        }
        Value::Object(out)
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = ref_name(v) {
                out.push(name.to_string());
            }
            for child in map.values() {
                collect_refs(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

/// Drop the fields of a built-in object that its kind does not declare, as
/// kube-apiserver's decoding does; returns their paths (`spec.foo`,
/// `metadata.bar`), sorted, for `unknown field` warnings or Strict errors.
/// `None` when the kind has no built-in schema (custom resources).
pub fn prune_builtin(
    group: &str,
    version: &str,
    kind: &str,
    obj: &mut Value,
) -> Option<Vec<String>> {
    let structural = builtin_schemas().structural(group, version, kind)?;
    Some(prune_with(obj, &structural, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_component_with_its_gvk() {
        let schemas = builtin_schemas();
        let name = schemas.component_name("apps", "v1", "Deployment").unwrap();
        assert_eq!(name, "io.k8s.api.apps.v1.Deployment");
        let deployment = schemas.component(name).unwrap();
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        assert!(deployment.get("required").is_none());
        // Referenced fields with descriptions take upstream's allOf form.
        assert_eq!(
            deployment["properties"]["spec"]["allOf"],
            json!([{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}])
        );
        let closure = schemas.closure([name]);
        assert!(closure.contains_key("io.k8s.api.core.v1.PodSpec"));
        assert!(closure.contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        for gvk in schemas.kinds() {
            assert!(
                schemas.structural(&gvk.0, &gvk.1, &gvk.2).is_some(),
                "{gvk:?}"
            );
        }
    }

    #[test]
    fn pruning_reports_nested_unknown_fields_and_keeps_free_form_ones() {
        let mut deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"a": "b"}, "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"replicas": 1, "bogus": true, "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i", "colour": "red",
                    "resources": {"limits": {"cpu": "1"}}, "ports": [{"containerPort": 80}]}]}}},
        });
        let unknown = prune_builtin("apps", "v1", "Deployment", &mut deployment).unwrap();
        assert_eq!(
            unknown,
            vec![
                "spec.bogus".to_string(),
                "spec.template.spec.containers[0].colour".to_string()
            ]
        );
        assert_eq!(
            deployment["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:spec": {}})
        );
        assert_eq!(
            deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"],
            "1"
        );
        let mut crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "x"},
            "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "properties": {"a": {"type": "object",
                "properties": {"b": {"type": "string", "default": "x"}}}}}}}]}});
        let before = crd.clone();
        assert_eq!(
            prune_builtin(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
                &mut crd
            ),
            Some(vec![])
        );
        assert_eq!(crd, before, "recursive JSONSchemaProps are kept whole");
        assert_eq!(
            prune_builtin("example.com", "v1", "Foo", &mut json!({})),
            None
        );
    }
}
