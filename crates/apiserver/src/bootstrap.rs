//! Objects kube-apiserver creates for itself after start (its post-start hooks
//! and bootstrap controller), which envtest clusters therefore have:
//! the `default/kubernetes` Service (first address of the service range, port
//! 443 → the secure port) with its Endpoints and EndpointSlice, and the
//! `system-node-critical` / `system-cluster-critical` PriorityClasses.
//! They are written by the `kube-apiserver` field manager.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::server::Shared;

/// The address kube-apiserver advertises when bound to loopback or to every
/// interface: the host's address on its default route (`ResolveBindAddress`).
/// `None` when there is none — kube-apiserver's endpoints reconciler would then
/// fail validation (loopback is not a valid endpoint), so no Endpoints are written.
fn advertise_address(listen: &SocketAddr) -> Option<IpAddr> {
    let ip = listen.ip();
    if !ip.is_loopback() && !ip.is_unspecified() {
        return Some(ip);
    }
    let probe = UdpSocket::bind("0.0.0.0:0").ok()?;
    probe.connect("192.0.2.1:9").ok()?;
    let local = probe.local_addr().ok()?.ip();
    (!local.is_loopback() && !local.is_unspecified()).then_some(local)
}

/// The system objects, in creation order.
pub(crate) fn system_objects(shared: &Shared) -> Vec<Value> {
    let listen: SocketAddr = shared
        .server_address
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 6443)));
    let port = listen.port();
    let cidr = shared.services.cidr();
    let mut objects = vec![json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": port}],
            "clusterIP": cidr.first_ip().to_string(), "ipFamilyPolicy": "SingleStack",
            "sessionAffinity": "None", "type": "ClusterIP"}
    })];
    if let Some(ip) = advertise_address(&listen) {
        let address_type = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        objects.push(json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": ip.to_string()}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]
        }));
        objects.push(json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": address_type,
            "endpoints": [{"addresses": [ip.to_string()], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]
        }));
    }
    objects.push(json!({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": 2000001000,
        "description": "Used for system critical pods that must not be moved from their current node."
    }));
    objects.push(json!({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "system-cluster-critical"},
        "value": 2000000000,
        "description": "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."
    }));
    objects
}

/// Create the system objects; ones that already exist (a persisted store) are kept.
pub(crate) fn create(shared: &Arc<Shared>) -> Result<(), crate::status::ApiError> {
    for obj in system_objects(shared) {
        // Checked before creating: a persisted Service's IP is already allocated.
        if crate::handlers::bootstrap_key(shared, &obj)
            .is_some_and(|k| shared.store.get(&k).is_some())
        {
            continue;
        }
        match crate::handlers::write::create_internal_as(shared, obj, "kube-apiserver") {
            Err(e) if e.reason == "AlreadyExists" => {}
            other => other?,
        }
    }
    Ok(())
}
