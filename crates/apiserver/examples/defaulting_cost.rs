//! What upstream defaulting costs per write: `defaults::apply` on typical
//! objects, and the create-path extra (two defaulting passes, as the write
//! pipeline runs them, plus the tracking snapshot's clone).
//!
//! `cargo run --release -p klite-apiserver --example defaulting_cost`

use std::time::Instant;

use klite_apiserver::defaults;
use serde_json::{json, Value};

fn container(name: &str) -> Value {
    json!({"name": name, "image": format!("registry.example.com/{name}:1.2.3"),
           "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "metrics"}],
           "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                   {"name": "MODE", "value": "prod"}],
           "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
           "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
           "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
           "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "cache", "mountPath": "/cache"}]})
}

fn deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
           "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [container("web"), container("sidecar")],
                                          "volumes": [{"name": "config", "configMap": {"name": "web"}},
                                                      {"name": "cache"}]}}}})
}

fn pod() -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}});
    pod["spec"] = deployment()["spec"]["template"]["spec"].clone();
    pod
}

fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080},
                                                         {"name": "metrics", "port": 9090}]}})
}

fn configmap() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
           "data": {"a": "b", "c": "d"}})
}

fn measure(label: &str, group: &str, kind: &str, object: Value) {
    const ROUNDS: u32 = 20_000;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let mut obj = object.clone();
        defaults::apply(group, kind, &mut obj).expect("defaults apply");
        std::hint::black_box(&obj);
    }
    let one_pass = started.elapsed() / ROUNDS;
    let clone_started = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(object.clone());
    }
    let clone = clone_started.elapsed() / ROUNDS;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        // The create path: defaulting, a snapshot for field tracking, the
        // read-back pass after the strategy, the typed round-trip fields.
        let mut obj = object.clone();
        defaults::apply(group, kind, &mut obj).expect("defaults apply");
        let snapshot = obj.clone();
        defaults::apply(group, kind, &mut obj).expect("defaults apply");
        defaults::storage_form(group, kind, &mut obj);
        std::hint::black_box((&obj, snapshot));
    }
    let create_path = started.elapsed() / ROUNDS;
    println!(
        "{label:<12} one pass {:>7.2} µs (object clone {:>6.2} µs) · create path {:>7.2} µs",
        one_pass.saturating_sub(clone).as_secs_f64() * 1e6,
        clone.as_secs_f64() * 1e6,
        create_path.saturating_sub(clone).as_secs_f64() * 1e6,
    );
}

fn main() {
    measure("Deployment", "apps", "Deployment", deployment());
    measure("Pod", "", "Pod", pod());
    measure("Service", "", "Service", service());
    measure("ConfigMap", "", "ConfigMap", configmap());
}
