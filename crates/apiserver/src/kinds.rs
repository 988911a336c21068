//! The one declarative table of built-in kinds the server serves.
//!
//! Everything about a built-in resource — discovery entry, scope, subresources,
//! name rules, generation policy, field selectors, delete response shape — is
//! read from [`BUILTIN_KINDS`]. CRD-defined kinds are turned into the same
//! [`crate::registry::ResourceDef`] at runtime.

/// How `metadata.name` is validated (facts-errors §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain (most kinds).
    Subdomain,
    /// DNS-1123 label (namespaces).
    Label,
    /// DNS-1035 label (services).
    Dns1035,
    /// Only path-segment rules (RBAC objects, `system:foo`).
    PathSegment,
}

/// When `metadata.generation` is bumped on a main-endpoint update (facts-errors §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationPolicy {
    /// Not managed: the client's value is kept on create and frozen.
    Unmanaged,
    /// 1 on create; +1 when `spec` changes.
    Spec,
    /// 1 on create; +1 when `spec` or `metadata.annotations` change (Deployment).
    SpecOrAnnotations,
    /// 1 on create; +1 when anything outside `metadata` changes (custom resources).
    NonMetadata,
    /// 1 on create; +1 when anything outside `metadata`, or the labels, change (EndpointSlice).
    NonMetadataOrLabels,
    /// 1 on create; +1 when one of these top-level fields changes (webhook configurations).
    Fields(&'static [&'static str]),
    /// 1 on create, never bumped by updates (PriorityClass).
    CreateOnly,
}

/// A built-in kind.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinKind {
    /// API group ("" = core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Plural resource name.
    pub resource: &'static str,
    /// Singular resource name.
    pub singular: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Short names for discovery.
    pub short_names: &'static [&'static str],
    /// Categories for discovery (`all`, `api-extensions`).
    pub categories: &'static [&'static str],
    /// Subresources served (`status`, `scale`, `finalize`).
    pub subresources: &'static [&'static str],
    /// Verbs; empty = the full CRUD set.
    pub verbs: &'static [&'static str],
    /// Name validation.
    pub name_rule: NameRule,
    /// Generation bumping.
    pub generation: GenerationPolicy,
    /// DELETE answers the deleted object instead of a Status (ReturnDeletedObject).
    pub returns_deleted_object: bool,
    /// Field selector labels beyond `metadata.name`/`metadata.namespace`.
    pub field_selectors: &'static [&'static str],
    /// Known top-level fields besides kind/apiVersion/metadata (unknown-field warnings);
    /// empty = `spec`, `status`.
    pub top_level_fields: &'static [&'static str],
}

/// Full verb set for ordinary storage, sorted as discovery prints it.
pub const FULL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

const BASE: BuiltinKind = BuiltinKind {
    group: "",
    version: "v1",
    resource: "",
    singular: "",
    kind: "",
    namespaced: true,
    short_names: &[],
    categories: &[],
    subresources: &[],
    verbs: &[],
    name_rule: NameRule::Subdomain,
    generation: GenerationPolicy::Unmanaged,
    returns_deleted_object: false,
    field_selectors: &[],
    top_level_fields: &[],
};

const ALL: &[&str] = &["all"];
const API_EXT: &[&str] = &["api-extensions"];
const STATUS: &[&str] = &["status"];
const SCALE_STATUS: &[&str] = &["scale", "status"];
const CREATE_ONLY: &[&str] = &["create"];

/// Every built-in kind, grouped by API group (discovery order is computed, not this order).
pub const BUILTIN_KINDS: &[BuiltinKind] = &[
    // ---- core/v1
    BuiltinKind {
        resource: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        short_names: &["cm"],
        top_level_fields: &["data", "binaryData", "immutable"],
        ..BASE
    },
    BuiltinKind {
        resource: "endpoints",
        singular: "endpoints",
        kind: "Endpoints",
        short_names: &["ep"],
        top_level_fields: &["subsets"],
        ..BASE
    },
    BuiltinKind {
        resource: "events",
        singular: "event",
        kind: "Event",
        short_names: &["ev"],
        field_selectors: &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        top_level_fields: &[
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "eventTime",
            "series",
            "action",
            "related",
            "reportingComponent",
            "reportingInstance",
        ],
        ..BASE
    },
    BuiltinKind {
        resource: "limitranges",
        singular: "limitrange",
        kind: "LimitRange",
        short_names: &["limits"],
        ..BASE
    },
    BuiltinKind {
        resource: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        subresources: &["finalize", "status"],
        name_rule: NameRule::Label,
        returns_deleted_object: true,
        field_selectors: &["status.phase"],
        ..BASE
    },
    BuiltinKind {
        resource: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        subresources: STATUS,
        field_selectors: &["spec.unschedulable"],
        ..BASE
    },
    BuiltinKind {
        resource: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        kind: "PersistentVolumeClaim",
        short_names: &["pvc"],
        subresources: STATUS,
        returns_deleted_object: true,
        ..BASE
    },
    BuiltinKind {
        resource: "persistentvolumes",
        singular: "persistentvolume",
        kind: "PersistentVolume",
        namespaced: false,
        short_names: &["pv"],
        subresources: STATUS,
        returns_deleted_object: true,
        ..BASE
    },
    BuiltinKind {
        resource: "pods",
        singular: "pod",
        kind: "Pod",
        short_names: &["po"],
        categories: ALL,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        returns_deleted_object: true,
        field_selectors: &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        ..BASE
    },
    BuiltinKind {
        resource: "podtemplates",
        singular: "podtemplate",
        kind: "PodTemplate",
        top_level_fields: &["template"],
        ..BASE
    },
    BuiltinKind {
        resource: "replicationcontrollers",
        singular: "replicationcontroller",
        kind: "ReplicationController",
        short_names: &["rc"],
        categories: ALL,
        subresources: SCALE_STATUS,
        generation: GenerationPolicy::Spec,
        field_selectors: &["status.replicas"],
        ..BASE
    },
    BuiltinKind {
        resource: "resourcequotas",
        singular: "resourcequota",
        kind: "ResourceQuota",
        short_names: &["quota"],
        subresources: STATUS,
        ..BASE
    },
    BuiltinKind {
        resource: "secrets",
        singular: "secret",
        kind: "Secret",
        field_selectors: &["type"],
        top_level_fields: &["data", "stringData", "type", "immutable"],
        ..BASE
    },
    BuiltinKind {
        resource: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        short_names: &["sa"],
        returns_deleted_object: true,
        top_level_fields: &[
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        ..BASE
    },
    BuiltinKind {
        resource: "services",
        singular: "service",
        kind: "Service",
        short_names: &["svc"],
        categories: ALL,
        subresources: STATUS,
        name_rule: NameRule::Dns1035,
        returns_deleted_object: true,
        field_selectors: &["spec.clusterIP", "spec.type"],
        ..BASE
    },
    // ---- apps/v1
    BuiltinKind {
        group: "apps",
        resource: "controllerrevisions",
        singular: "controllerrevision",
        kind: "ControllerRevision",
        top_level_fields: &["data", "revision"],
        ..BASE
    },
    BuiltinKind {
        group: "apps",
        resource: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        short_names: &["ds"],
        categories: ALL,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "apps",
        resource: "deployments",
        singular: "deployment",
        kind: "Deployment",
        short_names: &["deploy"],
        categories: ALL,
        subresources: SCALE_STATUS,
        generation: GenerationPolicy::SpecOrAnnotations,
        ..BASE
    },
    BuiltinKind {
        group: "apps",
        resource: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        short_names: &["rs"],
        categories: ALL,
        subresources: SCALE_STATUS,
        generation: GenerationPolicy::Spec,
        field_selectors: &["status.replicas"],
        ..BASE
    },
    BuiltinKind {
        group: "apps",
        resource: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        short_names: &["sts"],
        categories: ALL,
        subresources: SCALE_STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    // ---- autoscaling/v2
    BuiltinKind {
        group: "autoscaling",
        version: "v2",
        resource: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        kind: "HorizontalPodAutoscaler",
        short_names: &["hpa"],
        categories: ALL,
        subresources: STATUS,
        ..BASE
    },
    // ---- batch/v1
    BuiltinKind {
        group: "batch",
        resource: "cronjobs",
        singular: "cronjob",
        kind: "CronJob",
        short_names: &["cj"],
        categories: ALL,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "batch",
        resource: "jobs",
        singular: "job",
        kind: "Job",
        categories: ALL,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        field_selectors: &["status.successful"],
        ..BASE
    },
    // ---- rbac.authorization.k8s.io/v1
    BuiltinKind {
        group: "rbac.authorization.k8s.io",
        resource: "clusterrolebindings",
        singular: "clusterrolebinding",
        kind: "ClusterRoleBinding",
        namespaced: false,
        name_rule: NameRule::PathSegment,
        top_level_fields: &["subjects", "roleRef"],
        ..BASE
    },
    BuiltinKind {
        group: "rbac.authorization.k8s.io",
        resource: "clusterroles",
        singular: "clusterrole",
        kind: "ClusterRole",
        namespaced: false,
        name_rule: NameRule::PathSegment,
        top_level_fields: &["rules", "aggregationRule"],
        ..BASE
    },
    BuiltinKind {
        group: "rbac.authorization.k8s.io",
        resource: "rolebindings",
        singular: "rolebinding",
        kind: "RoleBinding",
        name_rule: NameRule::PathSegment,
        top_level_fields: &["subjects", "roleRef"],
        ..BASE
    },
    BuiltinKind {
        group: "rbac.authorization.k8s.io",
        resource: "roles",
        singular: "role",
        kind: "Role",
        name_rule: NameRule::PathSegment,
        top_level_fields: &["rules"],
        ..BASE
    },
    // ---- coordination.k8s.io/v1
    BuiltinKind {
        group: "coordination.k8s.io",
        resource: "leases",
        singular: "lease",
        kind: "Lease",
        ..BASE
    },
    // ---- review APIs (create-only, nothing stored; served by crate::reviews)
    BuiltinKind {
        group: "authentication.k8s.io",
        resource: "selfsubjectreviews",
        singular: "selfsubjectreview",
        kind: "SelfSubjectReview",
        namespaced: false,
        verbs: CREATE_ONLY,
        ..BASE
    },
    BuiltinKind {
        group: "authentication.k8s.io",
        resource: "tokenreviews",
        singular: "tokenreview",
        kind: "TokenReview",
        namespaced: false,
        verbs: CREATE_ONLY,
        ..BASE
    },
    BuiltinKind {
        group: "authorization.k8s.io",
        resource: "localsubjectaccessreviews",
        singular: "localsubjectaccessreview",
        kind: "LocalSubjectAccessReview",
        verbs: CREATE_ONLY,
        ..BASE
    },
    BuiltinKind {
        group: "authorization.k8s.io",
        resource: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        kind: "SelfSubjectAccessReview",
        namespaced: false,
        verbs: CREATE_ONLY,
        ..BASE
    },
    BuiltinKind {
        group: "authorization.k8s.io",
        resource: "selfsubjectrulesreviews",
        singular: "selfsubjectrulesreview",
        kind: "SelfSubjectRulesReview",
        namespaced: false,
        verbs: CREATE_ONLY,
        ..BASE
    },
    BuiltinKind {
        group: "authorization.k8s.io",
        resource: "subjectaccessreviews",
        singular: "subjectaccessreview",
        kind: "SubjectAccessReview",
        namespaced: false,
        verbs: CREATE_ONLY,
        ..BASE
    },
    // ---- events.k8s.io/v1
    BuiltinKind {
        group: "events.k8s.io",
        resource: "events",
        singular: "event",
        kind: "Event",
        short_names: &["ev"],
        top_level_fields: &[
            "eventTime",
            "series",
            "reportingController",
            "reportingInstance",
            "action",
            "reason",
            "regarding",
            "related",
            "note",
            "type",
            "deprecatedSource",
            "deprecatedFirstTimestamp",
            "deprecatedLastTimestamp",
            "deprecatedCount",
        ],
        ..BASE
    },
    // ---- apiextensions.k8s.io/v1
    BuiltinKind {
        group: "apiextensions.k8s.io",
        resource: "customresourcedefinitions",
        singular: "customresourcedefinition",
        kind: "CustomResourceDefinition",
        namespaced: false,
        short_names: &["crd", "crds"],
        categories: API_EXT,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    // ---- admissionregistration.k8s.io/v1
    BuiltinKind {
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        singular: "mutatingwebhookconfiguration",
        kind: "MutatingWebhookConfiguration",
        namespaced: false,
        categories: API_EXT,
        top_level_fields: &["webhooks"],
        generation: GenerationPolicy::Fields(&["webhooks"]),
        ..BASE
    },
    BuiltinKind {
        group: "admissionregistration.k8s.io",
        resource: "validatingadmissionpolicies",
        singular: "validatingadmissionpolicy",
        kind: "ValidatingAdmissionPolicy",
        namespaced: false,
        categories: API_EXT,
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "admissionregistration.k8s.io",
        resource: "validatingadmissionpolicybindings",
        singular: "validatingadmissionpolicybinding",
        kind: "ValidatingAdmissionPolicyBinding",
        namespaced: false,
        categories: API_EXT,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "admissionregistration.k8s.io",
        resource: "validatingwebhookconfigurations",
        singular: "validatingwebhookconfiguration",
        kind: "ValidatingWebhookConfiguration",
        namespaced: false,
        categories: API_EXT,
        top_level_fields: &["webhooks"],
        generation: GenerationPolicy::Fields(&["webhooks"]),
        ..BASE
    },
    // ---- networking.k8s.io/v1
    BuiltinKind {
        group: "networking.k8s.io",
        resource: "ingressclasses",
        singular: "ingressclass",
        kind: "IngressClass",
        namespaced: false,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "networking.k8s.io",
        resource: "ingresses",
        singular: "ingress",
        kind: "Ingress",
        short_names: &["ing"],
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    BuiltinKind {
        group: "networking.k8s.io",
        resource: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        short_names: &["netpol"],
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    // ---- policy/v1
    BuiltinKind {
        group: "policy",
        resource: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        kind: "PodDisruptionBudget",
        short_names: &["pdb"],
        subresources: STATUS,
        generation: GenerationPolicy::Spec,
        ..BASE
    },
    // ---- storage.k8s.io/v1
    BuiltinKind {
        group: "storage.k8s.io",
        resource: "storageclasses",
        singular: "storageclass",
        kind: "StorageClass",
        namespaced: false,
        short_names: &["sc"],
        top_level_fields: &[
            "provisioner",
            "parameters",
            "reclaimPolicy",
            "mountOptions",
            "allowVolumeExpansion",
            "volumeBindingMode",
            "allowedTopologies",
        ],
        ..BASE
    },
    // ---- scheduling.k8s.io/v1
    BuiltinKind {
        group: "scheduling.k8s.io",
        resource: "priorityclasses",
        singular: "priorityclass",
        kind: "PriorityClass",
        namespaced: false,
        short_names: &["pc"],
        top_level_fields: &["value", "globalDefault", "description", "preemptionPolicy"],
        generation: GenerationPolicy::CreateOnly,
        ..BASE
    },
    // ---- discovery.k8s.io/v1
    BuiltinKind {
        group: "discovery.k8s.io",
        resource: "endpointslices",
        singular: "endpointslice",
        kind: "EndpointSlice",
        top_level_fields: &["addressType", "endpoints", "ports"],
        generation: GenerationPolicy::NonMetadataOrLabels,
        ..BASE
    },
];

/// Group priorities of kube-apiserver's aggregator (`/apis` order; facts-protocol §1.3).
pub fn group_priority(group: &str) -> i64 {
    match group {
        "apps" => 17800,
        "events.k8s.io" => 17750,
        "authentication.k8s.io" => 17700,
        "authorization.k8s.io" => 17600,
        "autoscaling" => 17500,
        "batch" => 17400,
        "certificates.k8s.io" => 17300,
        "networking.k8s.io" => 17200,
        "policy" => 17100,
        "rbac.authorization.k8s.io" => 17000,
        "storage.k8s.io" => 16800,
        "admissionregistration.k8s.io" => 16700,
        "apiextensions.k8s.io" => 16700,
        "scheduling.k8s.io" => 16600,
        "coordination.k8s.io" => 16500,
        "node.k8s.io" => 16300,
        "discovery.k8s.io" => 16200,
        "resource.k8s.io" => 16200,
        "flowcontrol.apiserver.k8s.io" => 16100,
        _ => 1000,
    }
}

/// Top-level keys of an object of this kind that are not reported as unknown.
pub fn known_top_level(kind: &BuiltinKind) -> &'static [&'static str] {
    if kind.top_level_fields.is_empty() {
        &["spec", "status"]
    } else {
        kind.top_level_fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_unique_group_resource_pairs() {
        let mut seen = std::collections::HashSet::new();
        for k in BUILTIN_KINDS {
            assert!(
                seen.insert((k.group, k.resource)),
                "duplicate {}/{}",
                k.group,
                k.resource
            );
        }
    }
}
