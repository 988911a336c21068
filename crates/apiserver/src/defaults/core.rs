//! core/v1 defaults (kubernetes `pkg/apis/core/v1/defaults.go` and the
//! generated walks of `zz_generated.defaults.go`).

use serde_json::{json, Value};

use super::When::{Empty, EmptyString, Nil, Zero};
use super::{
    apply_rows, child, each, quantity_field, resource_list, row, struct_child, unset, FieldDefault,
    Lit::*, Obj, Result,
};

const POD_SPEC: &[FieldDefault] = &[
    row("dnsPolicy", EmptyString, Str("ClusterFirst")),
    row("restartPolicy", EmptyString, Str("Always")),
    row("securityContext", Nil, EmptyObject),
    row("terminationGracePeriodSeconds", Nil, Int(30)),
    row("schedulerName", EmptyString, Str("default-scheduler")),
];
const CONTAINER: &[FieldDefault] = &[
    row(
        "terminationMessagePath",
        EmptyString,
        Str("/dev/termination-log"),
    ),
    row("terminationMessagePolicy", EmptyString, Str("File")),
];
const PROTOCOL_TCP: &[FieldDefault] = &[row("protocol", EmptyString, Str("TCP"))];
const FIELD_REF: &[FieldDefault] = &[row("apiVersion", EmptyString, Str("v1"))];
const PROBE: &[FieldDefault] = &[
    row("timeoutSeconds", Zero, Int(1)),
    row("periodSeconds", Zero, Int(10)),
    row("successThreshold", Zero, Int(1)),
    row("failureThreshold", Zero, Int(3)),
];
const HTTP_GET: &[FieldDefault] = &[
    row("path", EmptyString, Str("/")),
    row("scheme", EmptyString, Str("HTTP")),
];
const GRPC: &[FieldDefault] = &[row("service", Nil, Str(""))];
const MODE_420: &[FieldDefault] = &[row("defaultMode", Nil, Int(420))];
const TOKEN_PROJECTION: &[FieldDefault] = &[row("expirationSeconds", Nil, Int(3600))];
const HOST_PATH: &[FieldDefault] = &[row("type", Nil, Str(""))];
const ISCSI: &[FieldDefault] = &[row("iscsiInterface", EmptyString, Str("default"))];
const RBD: &[FieldDefault] = &[
    row("pool", EmptyString, Str("rbd")),
    row("user", EmptyString, Str("admin")),
    row("keyring", EmptyString, Str("/etc/ceph/keyring")),
];
const AZURE_DISK: &[FieldDefault] = &[
    row("cachingMode", Nil, Str("ReadWrite")),
    row("fsType", Nil, Str("ext4")),
    row("readOnly", Nil, Bool(false)),
    row("kind", Nil, Str("Shared")),
];
const SCALE_IO: &[FieldDefault] = &[
    row("storageMode", EmptyString, Str("ThinProvisioned")),
    row("fsType", EmptyString, Str("xfs")),
];
const PVC_SPEC: &[FieldDefault] = &[row("volumeMode", Nil, Str("Filesystem"))];
const PENDING_PHASE: &[FieldDefault] = &[row("phase", EmptyString, Str("Pending"))];
const PV_SPEC: &[FieldDefault] = &[
    row("persistentVolumeReclaimPolicy", EmptyString, Str("Retain")),
    row("volumeMode", Nil, Str("Filesystem")),
];
const SERVICE_SPEC: &[FieldDefault] = &[
    row("sessionAffinity", EmptyString, Str("None")),
    row("type", EmptyString, Str("ClusterIP")),
];
const REPLICAS_1: &[FieldDefault] = &[row("replicas", Nil, Int(1))];

/// `parsers.ParseImageName` tag extraction: `Always` for `:latest` or an
/// untagged, undigested reference; `IfNotPresent` otherwise (also for
/// references that do not parse).
pub fn pull_policy_for(image: &str) -> &'static str {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    let tag = last_segment.split_once(':').map(|(_, t)| t);
    let repository = match tag {
        Some(t) => &name[..name.len() - t.len() - 1],
        None => name,
    };
    let path = match repository.split_once('/') {
        Some((domain, rest)) if domain.contains(['.', ':']) || domain == "localhost" => rest,
        _ => repository,
    };
    let parses = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
        && tag.is_none_or(|t| {
            !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
        && digest.is_none_or(|d| d.contains(':'));
    if !parses {
        return "IfNotPresent";
    }
    match (tag, digest) {
        (Some("latest"), _) | (None, None) => "Always",
        _ => "IfNotPresent",
    }
}

fn probe(container: &mut Obj, key: &str) {
    if let Some(p) = child(container, key) {
        apply_rows(p, PROBE);
        if let Some(h) = child(p, "httpGet") {
            apply_rows(h, HTTP_GET);
        }
        if let Some(g) = child(p, "grpc") {
            apply_rows(g, GRPC);
        }
    }
}

/// `SetDefaults_Container` and everything nested in a container.
pub fn container(c: &mut Obj) -> Result {
    if unset(c.get("imagePullPolicy"), EmptyString) {
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        let policy = pull_policy_for(image);
        c.insert("imagePullPolicy".into(), json!(policy));
    }
    apply_rows(c, CONTAINER);
    each(c, "ports", |p| {
        apply_rows(p, PROTOCOL_TCP);
        Ok(())
    })?;
    each(c, "env", |e| {
        if let Some(field_ref) = child(e, "valueFrom").and_then(|v| child(v, "fieldRef")) {
            apply_rows(field_ref, FIELD_REF);
        }
        Ok(())
    })?;
    if let Some(resources) = struct_child(c, "resources") {
        resource_list(resources, "limits")?;
        resource_list(resources, "requests")?;
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        probe(c, key);
    }
    if let Some(lifecycle) = child(c, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = child(lifecycle, hook).and_then(|h| child(h, "httpGet")) {
                apply_rows(h, HTTP_GET);
            }
        }
    }
    Ok(())
}

fn downward_api_items(source: &mut Obj) -> Result {
    each(source, "items", |item| {
        if let Some(field_ref) = child(item, "fieldRef") {
            apply_rows(field_ref, FIELD_REF);
        }
        Ok(())
    })
}

/// `SetDefaults_PersistentVolumeClaimSpec` plus its resource lists.
pub fn pvc_spec(spec: &mut Obj) -> Result {
    apply_rows(spec, PVC_SPEC);
    if let Some(resources) = struct_child(spec, "resources") {
        resource_list(resources, "limits")?;
        resource_list(resources, "requests")?;
    }
    Ok(())
}

/// `SetDefaults_Volume` and the volume sources' defaults.
pub fn volume(v: &mut Obj) -> Result {
    let has_source = v
        .iter()
        .any(|(k, val)| k != "name" && k != "image" && !val.is_null());
    if !has_source {
        v.insert("emptyDir".into(), json!({}));
    }
    if let Some(empty_dir) = child(v, "emptyDir") {
        quantity_field(empty_dir, "sizeLimit")?;
    }
    let tables: [(&str, &[FieldDefault]); 7] = [
        ("hostPath", HOST_PATH),
        ("secret", MODE_420),
        ("configMap", MODE_420),
        ("iscsi", ISCSI),
        ("rbd", RBD),
        ("azureDisk", AZURE_DISK),
        ("scaleIO", SCALE_IO),
    ];
    for (key, rows) in tables {
        if let Some(source) = child(v, key) {
            apply_rows(source, rows);
        }
    }
    if let Some(d) = child(v, "downwardAPI") {
        apply_rows(d, MODE_420);
        downward_api_items(d)?;
    }
    if let Some(p) = child(v, "projected") {
        apply_rows(p, MODE_420);
        each(p, "sources", |s| {
            if let Some(d) = child(s, "downwardAPI") {
                downward_api_items(d)?;
            }
            if let Some(t) = child(s, "serviceAccountToken") {
                apply_rows(t, TOKEN_PROJECTION);
            }
            Ok(())
        })?;
    }
    if let Some(spec) = child(v, "ephemeral")
        .and_then(|e| child(e, "volumeClaimTemplate"))
        .and_then(|t| child(t, "spec"))
    {
        pvc_spec(spec)?;
    }
    Ok(())
}

/// The deprecated `serviceAccount` mirrors `serviceAccountName` through the
/// v1 ↔ internal conversion (either one given sets both).
fn service_account_alias(spec: &mut Obj) {
    let name = spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| spec.get("serviceAccount").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    if name.is_empty() {
        spec.remove("serviceAccount");
    } else {
        spec.insert("serviceAccountName".into(), json!(name));
        spec.insert("serviceAccount".into(), json!(name));
    }
}

/// `SetDefaults_PodSpec` and the walk over volumes and containers (templates).
pub fn pod_spec(spec: &mut Obj) -> Result {
    service_account_alias(spec);
    apply_rows(spec, POD_SPEC);
    each(spec, "volumes", volume)?;
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        each(spec, key, container)?;
    }
    resource_list(spec, "overhead")?;
    Ok(())
}

/// `SetDefaults_Pod`: only for Pods, not templates.
fn pod_only(spec: &mut Obj) {
    for key in ["containers", "initContainers"] {
        let _ = each(spec, key, |c| {
            let Some(resources) = child(c, "resources") else {
                return Ok(());
            };
            let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
                return Ok(());
            };
            if let Some(requests) = struct_child(resources, "requests") {
                for (name, quantity) in limits {
                    requests.entry(name).or_insert(quantity);
                }
            }
            Ok(())
        });
    }
    if unset(spec.get("enableServiceLinks"), Nil) {
        spec.insert("enableServiceLinks".into(), json!(true));
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for key in ["containers", "initContainers"] {
            let _ = each(spec, key, |c| {
                each(c, "ports", |p| {
                    if unset(p.get("hostPort"), Zero) {
                        if let Some(port) = p.get("containerPort").cloned() {
                            p.insert("hostPort".into(), port);
                        }
                    }
                    Ok(())
                })
            });
        }
    }
}

/// Pod.
pub fn pod(obj: &mut Obj) -> Result {
    if let Some(spec) = struct_child(obj, "spec") {
        pod_only(spec);
        pod_spec(spec)?;
    }
    Ok(())
}

/// A `PodTemplateSpec` (`template` of workloads): its pod spec.
pub fn pod_template_spec(template: &mut Obj) -> Result {
    if let Some(spec) = struct_child(template, "spec") {
        pod_spec(spec)?;
    }
    Ok(())
}

/// PodTemplate.
pub fn pod_template(obj: &mut Obj) -> Result {
    match struct_child(obj, "template") {
        Some(t) => pod_template_spec(t),
        None => Ok(()),
    }
}

/// ReplicationController: selector and labels from the template's labels, replicas 1.
pub fn replication_controller(obj: &mut Obj) -> Result {
    let template_labels = obj
        .get("spec")
        .and_then(|s| s.get("template"))
        .and_then(|t| t.get("metadata"))
        .and_then(|m| m.get("labels"))
        .filter(|l| l.is_object())
        .cloned();
    if let Some(labels) = &template_labels {
        if let Some(spec) = struct_child(obj, "spec") {
            if unset(spec.get("selector"), Empty) {
                spec.insert("selector".into(), labels.clone());
            }
        }
        if let Some(meta) = struct_child(obj, "metadata") {
            if unset(meta.get("labels"), Empty) {
                meta.insert("labels".into(), labels.clone());
            }
        }
    }
    if let Some(spec) = struct_child(obj, "spec") {
        apply_rows(spec, REPLICAS_1);
        if let Some(t) = child(spec, "template") {
            pod_template_spec(t)?;
        }
    }
    Ok(())
}

/// `type` of a Service (after defaulting).
fn service_type(spec: &Obj) -> &str {
    spec.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Service (`SetDefaults_Service`).
pub fn service(obj: &mut Obj) -> Result {
    let Some(spec) = struct_child(obj, "spec") else {
        return Ok(());
    };
    apply_rows(spec, SERVICE_SPEC);
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let has_timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|c| c.get("clientIP"))
                .and_then(|c| c.get("timeoutSeconds"))
                .is_some_and(|t| !t.is_null());
            if !has_timeout {
                spec.insert(
                    "sessionAffinityConfig".into(),
                    json!({"clientIP": {"timeoutSeconds": 10800}}),
                );
            }
        }
        _ => {}
    }
    each(spec, "ports", |p| {
        apply_rows(p, PROTOCOL_TCP);
        let target_unset = match p.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(v) => v.as_i64() == Some(0),
        };
        if target_unset {
            if let Some(port) = p.get("port").cloned() {
                p.insert("targetPort".into(), port);
            }
        }
        Ok(())
    })?;
    let ty = service_type(spec).to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible =
        ty == "LoadBalancer" || ty == "NodePort" || (ty == "ClusterIP" && has_external_ips);
    if externally_accessible && unset(spec.get("externalTrafficPolicy"), EmptyString) {
        spec.insert("externalTrafficPolicy".into(), json!("Cluster"));
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer" | "ClusterIP")
        && unset(spec.get("internalTrafficPolicy"), Nil)
    {
        spec.insert("internalTrafficPolicy".into(), json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        if unset(spec.get("allocateLoadBalancerNodePorts"), Nil) {
            spec.insert("allocateLoadBalancerNodePorts".into(), json!(true));
        }
        if let Some(ingress) = obj
            .get_mut("status")
            .and_then(|s| s.get_mut("loadBalancer"))
            .and_then(|l| l.get_mut("ingress"))
            .and_then(Value::as_array_mut)
        {
            for ing in ingress.iter_mut().filter_map(Value::as_object_mut) {
                let has_ip = ing
                    .get("ip")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if has_ip && unset(ing.get("ipMode"), Nil) {
                    ing.insert("ipMode".into(), json!("VIP"));
                }
            }
        }
    }
    Ok(())
}

/// Secret: `type` Opaque.
pub fn secret(obj: &mut Obj) -> Result {
    apply_rows(obj, &[row("type", EmptyString, Str("Opaque"))]);
    Ok(())
}

/// ConfigMap: `data` becomes a non-nil map, which Go omits when empty.
pub fn config_map(_obj: &mut Obj) -> Result {
    Ok(())
}

/// Namespace: the `kubernetes.io/metadata.name` label and `status.phase`.
pub fn namespace(obj: &mut Obj) -> Result {
    let name = obj
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        if let Some(labels) = struct_child(obj, "metadata").and_then(|m| struct_child(m, "labels"))
        {
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if let Some(status) = child(obj, "status") {
        apply_rows(status, &[row("phase", EmptyString, Str("Active"))]);
    }
    Ok(())
}

/// Endpoints: ports' protocol.
pub fn endpoints(obj: &mut Obj) -> Result {
    each(obj, "subsets", |subset| {
        each(subset, "ports", |p| {
            apply_rows(p, PROTOCOL_TCP);
            Ok(())
        })
    })
}

/// PersistentVolumeClaim: `status.phase` Pending, `spec.volumeMode` Filesystem.
pub fn persistent_volume_claim(obj: &mut Obj) -> Result {
    if let Some(spec) = struct_child(obj, "spec") {
        pvc_spec(spec)?;
    }
    if let Some(status) = struct_child(obj, "status") {
        apply_rows(status, PENDING_PHASE);
        resource_list(status, "capacity")?;
        resource_list(status, "allocatedResources")?;
    }
    Ok(())
}

/// PersistentVolume: reclaim policy Retain, volumeMode Filesystem, phase Pending.
pub fn persistent_volume(obj: &mut Obj) -> Result {
    if let Some(spec) = struct_child(obj, "spec") {
        apply_rows(spec, PV_SPEC);
        resource_list(spec, "capacity")?;
        let tables: [(&str, &[FieldDefault]); 5] = [
            ("hostPath", HOST_PATH),
            ("iscsi", ISCSI),
            ("rbd", RBD),
            ("azureDisk", AZURE_DISK),
            ("scaleIO", SCALE_IO),
        ];
        for (key, rows) in tables {
            if let Some(source) = child(spec, key) {
                apply_rows(source, rows);
            }
        }
    }
    if let Some(status) = struct_child(obj, "status") {
        apply_rows(status, PENDING_PHASE);
    }
    Ok(())
}

/// LimitRange: container items get default limit ← max, request ← limit ← min.
pub fn limit_range(obj: &mut Obj) -> Result {
    let Some(spec) = child(obj, "spec") else {
        return Ok(());
    };
    each(spec, "limits", |item| {
        if item.get("type").and_then(Value::as_str) == Some("Container") {
            let max = item
                .get("max")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let min = item
                .get("min")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Some(default) = struct_child(item, "default") {
                for (k, v) in max {
                    default.entry(k).or_insert(v);
                }
            }
            let default = item
                .get("default")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Some(request) = struct_child(item, "defaultRequest") {
                for (k, v) in default {
                    request.entry(k).or_insert(v);
                }
                for (k, v) in min {
                    request.entry(k).or_insert(v);
                }
            }
        }
        for key in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            resource_list(item, key)?;
        }
        // Empty maps are omitted by Go's encoder.
        for key in ["default", "defaultRequest"] {
            if item
                .get(key)
                .and_then(Value::as_object)
                .is_some_and(|m| m.is_empty())
            {
                item.remove(key);
            }
        }
        Ok(())
    })
}

/// ResourceQuota: quantities of `spec.hard` and the status lists.
pub fn resource_quota(obj: &mut Obj) -> Result {
    if let Some(spec) = child(obj, "spec") {
        resource_list(spec, "hard")?;
    }
    if let Some(status) = child(obj, "status") {
        resource_list(status, "hard")?;
        resource_list(status, "used")?;
    }
    Ok(())
}

/// Node: `status.allocatable` ← `status.capacity`.
pub fn node(obj: &mut Obj) -> Result {
    if let Some(status) = child(obj, "status") {
        if unset(status.get("allocatable"), Nil) {
            if let Some(capacity) = status.get("capacity").filter(|c| c.is_object()).cloned() {
                status.insert("allocatable".into(), capacity);
            }
        }
        resource_list(status, "capacity")?;
        resource_list(status, "allocatable")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pull_policy_follows_the_tag() {
        assert_eq!(pull_policy_for("nginx"), "Always");
        assert_eq!(pull_policy_for("nginx:latest"), "Always");
        assert_eq!(pull_policy_for("nginx:1.27"), "IfNotPresent");
        assert_eq!(pull_policy_for("localhost:5000/app"), "Always");
        assert_eq!(pull_policy_for("localhost:5000/app:v2"), "IfNotPresent");
        assert_eq!(pull_policy_for("registry.k8s.io/pause:3.9"), "IfNotPresent");
        assert_eq!(
            pull_policy_for(
                "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            ),
            "IfNotPresent"
        );
        assert_eq!(pull_policy_for(""), "IfNotPresent");
        assert_eq!(pull_policy_for("Nginx"), "IfNotPresent");
    }
}
