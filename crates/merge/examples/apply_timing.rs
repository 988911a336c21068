//! Times server-side apply and update tracking on a typical Deployment.
//!
//! `cargo run --release -p klite-merge --example apply_timing`

use klite_merge::apply::{apply, track_update, ApplyOptions, UpdateOptions};
use klite_merge::types::builtin;
use serde_json::{json, Value};
use std::time::Instant;

fn deployment(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default",
                     "labels": {"app": "web", "team": "platform"},
                     "annotations": {"example.com/owner": "platform"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "nginx", "image": image,
                        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443, "name": "https"}],
                        "env": [{"name": "MODE", "value": "prod"}, {"name": "LEVEL", "value": "info"},
                                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5},
                        "volumeMounts": [{"name": "config", "mountPath": "/etc/nginx/conf.d"}]
                    }, {
                        "name": "sidecar", "image": "envoy:1.30",
                        "ports": [{"containerPort": 9901}]
                    }],
                    "volumes": [{"name": "config", "configMap": {"name": "web-config"}}],
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]
                }
            }
        }
    })
}

fn main() {
    let ty = builtin("apps", "v1", "Deployment").expect("type");
    let now = chrono::Utc::now();
    let opts = |manager, force| ApplyOptions {
        manager,
        api_version: "apps/v1",
        kind: "Deployment",
        subresource: None,
        force,
        now,
        reset_fields: None,
    };
    let live = apply(
        None,
        &deployment(3, "nginx:1.27"),
        &ty,
        &opts("kubectl", false),
    )
    .expect("create")
    .object;
    let changed = deployment(4, "nginx:1.28");
    let same = deployment(3, "nginx:1.27");
    let n = 2000;
    for (label, config) in [
        ("apply (changes replicas + image)", &changed),
        ("apply (no change)", &same),
    ] {
        let start = Instant::now();
        for _ in 0..n {
            let out = apply(Some(&live), config, &ty, &opts("kubectl", false)).expect("apply");
            std::hint::black_box(out);
        }
        println!(
            "{label}: {:.1} µs/op",
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        );
    }
    let start = Instant::now();
    for _ in 0..n {
        let mut new = live.clone();
        new["spec"]["replicas"] = json!(7);
        track_update(
            Some(&live),
            &mut new,
            &ty,
            &UpdateOptions {
                manager: "hpa",
                api_version: "apps/v1",
                subresource: None,
                now,
                reset_fields: None,
            },
        );
        std::hint::black_box(new);
    }
    println!(
        "track_update (PUT changing replicas): {:.1} µs/op",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let start = Instant::now();
    for _ in 0..n {
        let out = klite_merge::strategic::apply(&live, br#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.29"}]}}}}"#, &ty).expect("smp");
        std::hint::black_box(out);
    }
    println!(
        "strategic merge patch (one container image): {:.1} µs/op",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
