//! Services over HTTPS: defaulting, ClusterIP and NodePort allocation from the
//! service range (unique, in range, released on delete, requested values
//! honoured, upstream errors), the allocated values kept on update, and the
//! `default/kubernetes` Service kube-apiserver creates for itself.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use crate::common::*;
use klite_apiserver::ServerOptions;
use serde_json::{json, Value};

const SVCS: &str = "/api/v1/namespaces/default/services";

fn svc(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
}

fn web(name: &str) -> Value {
    svc(
        name,
        json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}),
    )
}

fn in_range(ip: &str, network: [u8; 4], prefix: u32) -> bool {
    let ip: Ipv4Addr = ip.parse().expect("an IPv4 address");
    let mask = u32::MAX << (32 - prefix);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network))
        && u32::from(ip) != u32::from(Ipv4Addr::from(network))
        && u32::from(ip) != u32::from(Ipv4Addr::from(network)) | !mask
}

#[tokio::test]
async fn cluster_ip_service_is_defaulted_and_gets_an_address() {
    let h = harness().await;
    let r = h.req("POST", SVCS, Some(&web("web"))).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let ip = r.body["spec"]["clusterIP"].as_str().unwrap().to_string();
    assert!(in_range(&ip, [10, 0, 0, 0], 24), "{ip}");
    assert_eq!(
        r.body["spec"],
        json!({"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
               "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
               "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
               "selector": {"app": "web"}, "sessionAffinity": "None", "type": "ClusterIP"})
    );
    assert_eq!(r.body["status"], json!({"loadBalancer": {}}));
    let fields = &r.body["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"];
    assert!(fields.get("f:sessionAffinity").is_some() && fields.get("f:type").is_some());
    assert!(
        fields.get("f:clusterIP").is_none() && fields.get("f:ipFamilies").is_none(),
        "allocated values are not the creator's: {fields}"
    );
    // The kubernetes Service holds the first address of the range.
    let k = h.req("GET", &format!("{SVCS}/kubernetes"), None).await;
    assert_eq!(k.code, 200);
    assert_ne!(ip, "10.0.0.1");
    let port = h.server.local_addr().port();
    assert_eq!(
        k.body["spec"],
        json!({"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "internalTrafficPolicy": "Cluster",
               "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
               "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
               "sessionAffinity": "None", "type": "ClusterIP"})
    );
    assert_eq!(
        k.body["metadata"]["labels"],
        json!({"component": "apiserver", "provider": "kubernetes"})
    );
    assert_eq!(
        k.body["metadata"]["managedFields"][0]["manager"],
        "kube-apiserver"
    );
    // A ClientIP affinity gets its default timeout.
    let sticky = svc(
        "sticky",
        json!({"sessionAffinity": "ClientIP", "ports": [{"port": 81, "targetPort": "http"}]}),
    );
    let r = h.req("POST", SVCS, Some(&sticky)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["spec"]["sessionAffinityConfig"],
        json!({"clientIP": {"timeoutSeconds": 10800}})
    );
    assert_eq!(r.body["spec"]["ports"][0]["targetPort"], "http");
}

#[tokio::test]
async fn addresses_are_unique_released_on_delete_and_requests_are_honoured() {
    let h = harness().await;
    let mut seen = HashSet::new();
    seen.insert("10.0.0.1".to_string());
    let creates = (0..30).map(|i| {
        let h = &h;
        async move { h.req("POST", SVCS, Some(&web(&format!("s{i}")))).await }
    });
    for r in futures::future::join_all(creates).await {
        assert_eq!(r.code, 201, "{}", r.text);
        let ip = r.body["spec"]["clusterIP"].as_str().unwrap().to_string();
        assert!(in_range(&ip, [10, 0, 0, 0], 24), "{ip}");
        assert!(seen.insert(ip.clone()), "{ip} handed out twice");
    }
    // A requested address is honoured, and then taken.
    let mut fixed = web("fixed");
    fixed["spec"]["clusterIP"] = json!("10.0.0.5");
    let r = h.req("POST", SVCS, Some(&fixed)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["clusterIPs"], json!(["10.0.0.5"]));
    let mut clash = web("clash");
    clash["spec"]["clusterIP"] = json!("10.0.0.5");
    let r = h.req("POST", SVCS, Some(&clash)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"clash\" is invalid: spec.clusterIPs: Invalid value: [\"10.0.0.5\"]: failed to allocate IP 10.0.0.5: provided IP is already allocated"
    );
    assert_eq!(r.body["details"]["causes"][0]["field"], "spec.clusterIPs");
    let mut outside = web("outside");
    outside["spec"]["clusterIP"] = json!("10.1.0.5");
    let r = h.req("POST", SVCS, Some(&outside)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"outside\" is invalid: spec.clusterIPs: Invalid value: [\"10.1.0.5\"]: failed to allocate IP 10.1.0.5: the provided IP (10.1.0.5) is not in the valid range. The range of valid IPs is 10.0.0.0/24"
    );
    // A dry run does not keep the address.
    let r = h
        .req("POST", &format!("{SVCS}?dryRun=All"), Some(&clash))
        .await;
    assert_eq!(r.code, 422, "the dry run still sees the clash");
    let mut dry = web("dry");
    dry["spec"]["clusterIP"] = json!("10.0.0.6");
    let r = h
        .req("POST", &format!("{SVCS}?dryRun=All"), Some(&dry))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h.req("POST", SVCS, Some(&dry)).await;
    assert_eq!(r.code, 201, "the dry run reserved nothing: {}", r.text);
    // Deleting the Service releases its address (and removes its Endpoints).
    let endpoints = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "fixed"},
        "subsets": [{"addresses": [{"ip": "192.168.1.1"}], "ports": [{"port": 80}]}]});
    let r = h
        .req(
            "POST",
            "/api/v1/namespaces/default/endpoints",
            Some(&endpoints),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["subsets"][0]["ports"][0]["protocol"], "TCP");
    let r = h.req("DELETE", &format!("{SVCS}/fixed"), None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    let r = h
        .req("GET", "/api/v1/namespaces/default/endpoints/fixed", None)
        .await;
    assert_eq!(r.code, 404, "endpoints go with their service");
    let r = h.req("POST", SVCS, Some(&clash)).await;
    assert_eq!(r.code, 201, "released address is reusable: {}", r.text);
}

#[tokio::test]
async fn updates_keep_allocated_values_and_refuse_to_change_them() {
    let h = harness().await;
    let np = svc(
        "np",
        json!({"type": "NodePort", "selector": {"app": "x"},
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443, "nodePort": 30443}]}),
    );
    let r = h.req("POST", SVCS, Some(&np)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let ip = r.body["spec"]["clusterIP"].clone();
    let node_port = r.body["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    assert!((30000..=32767).contains(&node_port), "{node_port}");
    assert_eq!(r.body["spec"]["ports"][1]["nodePort"], 30443);
    assert_eq!(r.body["spec"]["externalTrafficPolicy"], "Cluster");
    // Re-sending the original manifest keeps the allocated IP and ports.
    let r = h.req("PUT", &format!("{SVCS}/np"), Some(&np)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["spec"]["clusterIP"], ip);
    assert_eq!(r.body["spec"]["ports"][0]["nodePort"], node_port);
    // The primary ClusterIP may not change.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{SVCS}/np"),
            Some(r#"{"spec":{"clusterIP":"10.0.0.200","clusterIPs":["10.0.0.200"]}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"np\" is invalid: spec.clusterIPs[0]: Invalid value: [\"10.0.0.200\"]: may not change once set"
    );
    // Node ports: taken ones and ones outside the range are refused.
    let taken = svc(
        "taken",
        json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30443}]}),
    );
    let r = h.req("POST", SVCS, Some(&taken)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"taken\" is invalid: spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated"
    );
    let low = svc(
        "low",
        json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 8080}]}),
    );
    let r = h.req("POST", SVCS, Some(&low)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"low\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767"
    );
    // Switching to ClusterIP releases the node ports.
    let r = h
        .req_ct(
            "PATCH",
            &format!("{SVCS}/np"),
            Some(r#"{"spec":{"type":"ClusterIP","externalTrafficPolicy":null,"ports":[{"name":"http","port":80},{"name":"https","port":443}]}}"#.into()),
            "application/merge-patch+json",
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert!(
        r.body["spec"]["ports"][1].get("nodePort").is_none(),
        "{}",
        r.text
    );
    let r = h.req("POST", SVCS, Some(&taken)).await;
    assert_eq!(r.code, 201, "port 30443 was released: {}", r.text);
    // LoadBalancer defaults.
    let lb = svc(
        "lb",
        json!({"type": "LoadBalancer", "ports": [{"port": 80}]}),
    );
    let r = h.req("POST", SVCS, Some(&lb)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["allocateLoadBalancerNodePorts"], true);
    assert_eq!(r.body["spec"]["externalTrafficPolicy"], "Cluster");
    assert!(r.body["spec"]["ports"][0]["nodePort"].is_i64());
}

#[tokio::test]
async fn headless_and_external_name_services_get_no_address() {
    let h = harness().await;
    let headless = svc(
        "h",
        json!({"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
    );
    let r = h.req("POST", SVCS, Some(&headless)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        (
            &r.body["spec"]["clusterIP"],
            &r.body["spec"]["clusterIPs"],
            &r.body["spec"]["ipFamilies"],
            &r.body["spec"]["ipFamilyPolicy"]
        ),
        (
            &json!("None"),
            &json!(["None"]),
            &json!(["IPv4"]),
            &json!("SingleStack")
        )
    );
    let selectorless = svc(
        "hs",
        json!({"clusterIP": "None", "ports": [{"port": 5432}]}),
    );
    let r = h.req("POST", SVCS, Some(&selectorless)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.body["spec"]["ipFamilyPolicy"], "RequireDualStack");
    assert_eq!(r.body["spec"]["ipFamilies"], json!(["IPv4", "IPv6"]));
    let external = svc(
        "ext",
        json!({"type": "ExternalName", "externalName": "example.com"}),
    );
    let r = h.req("POST", SVCS, Some(&external)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.body["spec"],
        json!({"externalName": "example.com", "sessionAffinity": "None", "type": "ExternalName"})
    );
    let dual = svc(
        "dual",
        json!({"ipFamilyPolicy": "RequireDualStack", "ports": [{"port": 1}]}),
    );
    let r = h.req("POST", SVCS, Some(&dual)).await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.body["message"],
        "Service \"dual\" is invalid: spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"
    );
}

#[tokio::test]
async fn the_service_range_is_a_server_option() {
    let h = harness_with(ServerOptions {
        service_cluster_ip_range: "10.96.0.0/12".into(),
        ..Default::default()
    })
    .await;
    let r = h.req("GET", &format!("{SVCS}/kubernetes"), None).await;
    assert_eq!(r.body["spec"]["clusterIP"], "10.96.0.1");
    let r = h.req("POST", SVCS, Some(&web("a"))).await;
    assert!(
        in_range(
            r.body["spec"]["clusterIP"].as_str().unwrap(),
            [10, 96, 0, 0],
            12
        ),
        "{}",
        r.text
    );
    let mut fixed = web("fixed");
    fixed["spec"]["clusterIP"] = json!("10.0.0.10");
    let r = h.req("POST", SVCS, Some(&fixed)).await;
    assert_eq!(r.code, 422);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .ends_with("The range of valid IPs is 10.96.0.0/12"));
    let err = klite_apiserver::start(ServerOptions {
        service_cluster_ip_range: "10.0.0.0".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid service range \"10.0.0.0\": invalid CIDR address: 10.0.0.0"
    );
}

#[tokio::test]
async fn system_priority_classes_exist_at_start() {
    let h = harness().await;
    let r = h
        .req(
            "GET",
            "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical",
            None,
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.body["value"], 2000001000);
    assert_eq!(r.body["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(r.body["metadata"]["generation"], 1);
    assert_eq!(
        r.body["description"],
        "Used for system critical pods that must not be moved from their current node."
    );
    let r = h
        .req(
            "GET",
            "/apis/scheduling.k8s.io/v1/priorityclasses/system-cluster-critical",
            None,
        )
        .await;
    assert_eq!(r.body["value"], 2000000000);
    // Only one global default.
    let pc = |name: &str| {
        json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": name}, "value": 1000, "globalDefault": true})
    };
    let r = h
        .req(
            "POST",
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            Some(&pc("first")),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = h
        .req(
            "POST",
            "/apis/scheduling.k8s.io/v1/priorityclasses",
            Some(&pc("second")),
        )
        .await;
    assert_eq!(r.code, 403);
    assert_eq!(
        r.body["message"],
        "priorityclasses.scheduling.k8s.io \"second\" is forbidden: PriorityClass first is already marked as default. Only one default can exist"
    );
    // Pods without a class now get the default one.
    let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let r = h
        .req("POST", "/api/v1/namespaces/default/pods", Some(&pod))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        (
            &r.body["spec"]["priorityClassName"],
            &r.body["spec"]["priority"]
        ),
        (&json!("first"), &json!(1000))
    );
}

#[tokio::test]
async fn invalid_services_get_upstreams_field_errors() {
    let h = harness().await;
    let cases = [
        (svc("noports", json!({"selector": {"app": "x"}})), "Service \"noports\" is invalid: spec.ports: Required value"),
        (
            svc("unnamed", json!({"ports": [{"port": 80}, {"port": 443}]})),
            "Service \"unnamed\" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]",
        ),
        (
            svc("dup", json!({"ports": [{"name": "web", "port": 80}, {"name": "web", "port": 443}]})),
            "Service \"dup\" is invalid: spec.ports[1].name: Duplicate value: \"web\"",
        ),
        (
            svc("badtype", json!({"type": "Magic", "ports": [{"port": 80}]})),
            "Service \"badtype\" is invalid: spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
        ),
        (
            svc("noname", json!({"type": "ExternalName"})),
            "Service \"noname\" is invalid: spec.externalName: Required value",
        ),
    ];
    for (body, message) in cases {
        let r = h.req("POST", SVCS, Some(&body)).await;
        assert_eq!(
            (r.code, r.body["message"].as_str().unwrap_or("")),
            (422, message)
        );
    }
    // Nothing was allocated for the rejected services: all 253 other addresses are still free.
    let mut free = 0;
    for i in 0..253 {
        let r = h.req("POST", SVCS, Some(&web(&format!("f{i}")))).await;
        if r.code == 201 {
            free += 1;
        }
    }
    assert_eq!(free, 253, "10.0.0.2–10.0.0.254 were all free");
    let r = h.req("POST", SVCS, Some(&web("full"))).await;
    assert_eq!(r.code, 500);
    assert_eq!(
        r.body["message"],
        "Internal error occurred: failed to allocate a serviceIP: range is full"
    );
}
