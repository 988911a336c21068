//! Measures the per-object cost of the custom-resource pipeline on a typical CR:
//! `cargo run -p klite-schema --release --example throughput`.

use klite_schema::custom_resource::{self as cr, ResourceContext};
use klite_schema::structural::StructuralSchema;
use serde_json::{json, Value};
use std::time::Instant;

fn schema(with_rules: bool) -> Value {
    let mut s = json!({"type": "object", "properties": {
        "spec": {"type": "object", "required": ["image"], "properties": {
            "image": {"type": "string", "pattern": "^[a-z0-9./:-]+$"},
            "replicas": {"type": "integer", "minimum": 0, "maximum": 100, "default": 1},
            "mode": {"type": "string", "enum": ["fast", "safe"], "default": "safe"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "required": ["name"], "properties": {
                          "name": {"type": "string", "maxLength": 15},
                          "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                          "protocol": {"type": "string", "enum": ["TCP", "UDP"], "default": "TCP"}}}},
            "resources": {"type": "object", "properties": {
                "cpu": {"x-kubernetes-int-or-string": true}, "memory": {"x-kubernetes-int-or-string": true}}},
            "endpoint": {"type": "string", "format": "uri"}
        }},
        "status": {"type": "object", "properties": {
            "ready": {"type": "boolean"}, "replicas": {"type": "integer"},
            "conditions": {"type": "array", "items": {"type": "object", "properties": {
                "type": {"type": "string"}, "status": {"type": "string"}, "lastTransitionTime": {"type": "string", "format": "date-time"}}}}}}
    }});
    if with_rules {
        s["properties"]["spec"]["x-kubernetes-validations"] = json!([
            {"rule": "self.replicas <= 50 || self.mode == 'safe'", "message": "fast mode allows at most 50 replicas"},
            {"rule": "self.ports.all(p, p.port > 0)"}
        ]);
    }
    s
}

fn object() -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "App",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "frontend"}, "annotations": {"note": "x"}},
        "spec": {"image": "registry.example.com/web:1.2.3", "replicas": 3, "labels": {"a": "b", "c": "d"},
                 "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}, {"name": "metrics", "port": 9090}],
                 "resources": {"cpu": "500m", "memory": "1Gi"}, "endpoint": "https://web.example.com/health", "unknown": true},
        "status": {"ready": true, "replicas": 3, "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}})
}

fn measure(label: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed() / iterations;
    println!("{label:<55} {:>8.2} µs", per.as_nanos() as f64 / 1000.0);
}

fn main() {
    let ctx = ResourceContext::new("example.com", "v1", "App", true);
    for with_rules in [false, true] {
        let s = StructuralSchema::from_openapi(&schema(with_rules)).expect("schema");
        let suffix = if with_rules { " (2 CEL rules)" } else { "" };
        let base = object();
        measure(
            &format!("decode (metadata, prune, nulls, embedded, defaults){suffix}"),
            20_000,
            || {
                let mut obj = base.clone();
                let unknown = cr::decode_request(&s, &ctx, &mut obj).expect("decodes");
                assert_eq!(unknown.len(), 1);
            },
        );
        let mut decoded = base.clone();
        cr::decode_request(&s, &ctx, &mut decoded).expect("decodes");
        measure(
            &format!("validate_create (meta, schema, list types, CEL){suffix}"),
            20_000,
            || {
                let errs = cr::validate_create(&s, &ctx, &decoded);
                assert!(errs.is_empty(), "{errs}");
            },
        );
        let mut updated = decoded.clone();
        updated["metadata"]["resourceVersion"] = json!("2");
        let mut old = decoded.clone();
        old["metadata"]["resourceVersion"] = json!("1");
        measure(
            &format!("validate_update (ratcheting){suffix}"),
            20_000,
            || {
                let errs = cr::validate_update(&s, &ctx, &updated, &old);
                assert!(errs.is_empty(), "{errs}");
            },
        );
    }
    measure(
        "StructuralSchema::from_openapi (compile, incl. CEL)",
        2_000,
        || {
            let s = StructuralSchema::from_openapi(&schema(true)).expect("schema");
            assert!(s.has_cel_rules());
        },
    );
}
