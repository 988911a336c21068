//! CEL rules: runtime messages (facts-crd §5.4) and CRD-time compile checks (§5.1).

use super::*;
use crate::custom_resource::{self as cr, ResourceContext};
use serde_json::json;

fn schema(v: Json) -> StructuralSchema {
    StructuralSchema::from_openapi(&v).expect("schema builds")
}

fn spec_schema(spec: Json) -> StructuralSchema {
    schema(json!({"type": "object", "properties": {"spec": spec}}))
}

fn errors(s: &StructuralSchema, obj: Json) -> Vec<String> {
    s.validate_cel(&obj, None)
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn update_outcome(s: &StructuralSchema, obj: Json, old: Json) -> CelOutcome {
    s.validate_cel(&obj, Some(&old))
}

#[test]
fn failed_rules_render_like_upstream() {
    let s = spec_schema(json!({"type": "object",
    "x-kubernetes-validations": [
        {"rule": "has(self.a) || has(self.b)", "message": "must have a or b"},
        {"rule": "self.replicas <= self.max"},
        {"rule": "self.replicas < 100", "messageExpression": "'replicas ' + string(self.replicas) + ' too high'"},
        {"rule": "self.replicas != 7", "reason": "FieldValueForbidden", "fieldPath": ".replicas", "message": "seven"},
        {"rule": "self.replicas != 8", "reason": "FieldValueDuplicate", "message": "lost"}
    ],
    "properties": {
        "a": {"type": "string"}, "b": {"type": "string"},
        "replicas": {"type": "integer", "x-kubernetes-validations": [{"rule": "self <= 3", "message": "must be <= 3"}]},
        "max": {"type": "integer"}
    }}));
    assert_eq!(
        errors(&s, json!({"spec": {"replicas": 5, "max": 4}})),
        vec![
            "spec: Invalid value: must have a or b",
            "spec: Invalid value: failed rule: self.replicas <= self.max",
            "spec.replicas: Invalid value: 5: must be <= 3",
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"a": "x", "replicas": 200, "max": 500}})),
        vec![
            "spec: Invalid value: replicas 200 too high",
            "spec.replicas: Invalid value: 200: must be <= 3"
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"a": "x", "replicas": 7, "max": 9}})),
        vec![
            "spec.replicas: Forbidden: seven",
            "spec.replicas: Invalid value: 7: must be <= 3"
        ]
    );
    assert_eq!(
        errors(&s, json!({"spec": {"a": "x", "replicas": 8, "max": 9}})),
        vec![
            "spec: Duplicate value",
            "spec.replicas: Invalid value: 8: must be <= 3"
        ]
    );
}

#[test]
fn root_rules_report_at_nil_path() {
    let s = schema(
        json!({"type": "object", "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('x')"}],
                          "properties": {"spec": {"type": "object"}}}),
    );
    assert_eq!(
        errors(
            &s,
            json!({"apiVersion": "g/v1", "kind": "K", "metadata": {"name": "abc"}, "spec": {}})
        ),
        vec!["<nil>: Invalid value: failed rule: self.metadata.name.startsWith('x')"]
    );
    assert!(errors(&s, json!({"metadata": {"name": "xyz"}})).is_empty());
}

#[test]
fn runtime_errors() {
    let s = spec_schema(
        json!({"type": "object", "x-kubernetes-validations": [{"rule": "self.foo == 1"}],
                               "properties": {"foo": {"type": "integer"}}}),
    );
    assert_eq!(
        errors(&s, json!({"spec": {}})),
        vec![r#"spec: Invalid value: "object": no such key: foo evaluating rule: self.foo == 1"#]
    );
}

#[test]
fn library_functions() {
    let s = spec_schema(json!({"type": "object", "properties": {
        "name": {"type": "string", "x-kubernetes-validations": [
            {"rule": "self.matches('^[a-z]+$')", "message": "lowercase"},
            {"rule": "size(self) <= 5", "message": "short"},
            {"rule": "self.lowerAscii() == self", "message": "lower"}
        ]},
        "items": {"type": "array", "items": {"type": "string"}, "x-kubernetes-validations": [
            {"rule": "self.all(i, i.startsWith('a'))", "message": "all a"},
            {"rule": "self.exists(i, i == 'abc')", "message": "has abc"},
            {"rule": "self.isSorted()", "message": "sorted"}
        ]},
        "memory": {"type": "string", "x-kubernetes-validations": [
            {"rule": "quantity(self).isLessThan(quantity('1Gi'))", "message": "too much"}
        ]},
        "endpoint": {"type": "string", "x-kubernetes-validations": [
            {"rule": "isURL(self) && url(self).getScheme() == 'https'", "message": "https only"}
        ]}
    }}));
    assert!(errors(&s, json!({"spec": {"name": "abc", "items": ["abc", "ad"], "memory": "512Mi", "endpoint": "https://x.example.com"}})).is_empty());
    assert_eq!(
        errors(
            &s,
            json!({"spec": {"name": "Abcdefg", "items": ["b", "a"], "memory": "2Gi", "endpoint": "http://x"}})
        ),
        vec![
            r#"spec.endpoint: Invalid value: "http://x": https only"#,
            r#"spec.items: Invalid value: all a"#,
            r#"spec.items: Invalid value: has abc"#,
            r#"spec.items: Invalid value: sorted"#,
            r#"spec.memory: Invalid value: "2Gi": too much"#,
            r#"spec.name: Invalid value: "Abcdefg": lowercase"#,
            r#"spec.name: Invalid value: "Abcdefg": short"#,
            r#"spec.name: Invalid value: "Abcdefg": lower"#,
        ]
    );
}

#[test]
fn transition_rules_and_optional_old_self() {
    let s = spec_schema(json!({"type": "object", "properties": {
        "immutable": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutable"}]},
        "counter": {"type": "integer", "x-kubernetes-validations": [
            {"rule": "oldSelf.hasValue() ? self >= oldSelf.value() : self == 0", "optionalOldSelf": true, "message": "monotonic"}
        ]}
    }}));
    // create: the transition rule does not run; the optional one sees optional.none()
    assert!(errors(&s, json!({"spec": {"immutable": "a", "counter": 0}})).is_empty());
    assert_eq!(
        errors(&s, json!({"spec": {"immutable": "a", "counter": 3}})),
        vec!["spec.counter: Invalid value: 3: monotonic"]
    );
    let out = update_outcome(
        &s,
        json!({"spec": {"immutable": "b", "counter": 1}}),
        json!({"spec": {"immutable": "a", "counter": 2}}),
    );
    let rendered: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        rendered,
        vec![
            r#"spec.counter: Invalid value: 1: monotonic"#,
            r#"spec.immutable: Invalid value: "b": immutable"#
        ]
    );
}

#[test]
fn ratcheting_turns_unchanged_failures_into_warnings() {
    let s = spec_schema(json!({"type": "object", "properties": {
        "a": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 3", "message": "short"}]},
        "b": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 3", "message": "short"}]}
    }}));
    let out = update_outcome(
        &s,
        json!({"spec": {"a": "long", "b": "longer"}}),
        json!({"spec": {"a": "long", "b": "ok"}}),
    );
    let rendered: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(rendered, vec![r#"spec.b: Invalid value: "longer": short"#]);
    assert_eq!(
        out.warnings,
        vec![r#"spec.a: Invalid value: "long": short"#.to_string()]
    );
}

#[test]
fn escaped_property_names_and_list_maps() {
    let s = spec_schema(json!({"type": "object",
    "x-kubernetes-validations": [{"rule": "self.max__dash__size > 0 && self.__namespace__ != ''", "message": "names"}],
    "properties": {
        "max-size": {"type": "integer"}, "namespace": {"type": "string"},
        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                      "x-kubernetes-validations": [{"rule": "self.port == oldSelf.port", "message": "port is immutable"}]}}
    }}));
    assert_eq!(
        errors(&s, json!({"spec": {"max-size": 0, "namespace": "x"}})),
        vec!["spec: Invalid value: names"]
    );
    let out = update_outcome(
        &s,
        json!({"spec": {"max-size": 1, "namespace": "x", "ports": [{"name": "b", "port": 2}, {"name": "a", "port": 9}]}}),
        json!({"spec": {"max-size": 1, "namespace": "x", "ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]}}),
    );
    let rendered: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        rendered,
        vec!["spec.ports[1]: Invalid value: port is immutable"]
    );
}

#[test]
fn custom_resource_pipeline_skips_rules_after_blocking_errors() {
    let s = spec_schema(
        json!({"type": "object", "required": ["size"], "x-kubernetes-validations": [{"rule": "self.size > 1"}],
                               "properties": {"size": {"type": "integer"}}}),
    );
    let ctx = ResourceContext::new("example.com", "v1", "Foo", false);
    let obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"}, "spec": {}});
    let errs: Vec<String> = cr::validate_create(&s, &ctx, &obj)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        vec![
            "spec.size: Required value",
            "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ]
    );
    let obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"}, "spec": {"size": 1}});
    let errs: Vec<String> = cr::validate_create(&s, &ctx, &obj)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        vec!["spec: Invalid value: failed rule: self.size > 1"]
    );
}

fn crd_errors(node: Json) -> Vec<String> {
    let props = SchemaProps::from_value(&node).expect("decodes");
    crd_compile_errors(
        &props,
        &Path::new("spec")
            .child("validation")
            .child("openAPIV3Schema"),
        true,
        None,
        &HashSet::new(),
    )
    .iter()
    .map(|e| e.to_string())
    .collect()
}

#[test]
fn crd_time_compile_checks() {
    let base = |rule: Json| json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}, "x-kubernetes-validations": [rule]});
    assert!(crd_errors(base(json!({"rule": "self.spec.a == 'x'"}))).is_empty());
    assert_eq!(
        crd_errors(base(json!({"rule": "self.spec.b == 'x'"}))),
        vec![
            r#"spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self.spec.b == 'x'","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: compilation failed: ERROR: <input>:1:10: undefined field 'b'
 | self.spec.b == 'x'
 | .........^"#
        ]
    );
    assert_eq!(
        crd_errors(base(json!({"rule": "foo == 1"}))),
        vec![
            r#"spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule: Invalid value: {"Rule":"foo == 1","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')
 | foo == 1
 | ^"#
        ]
    );
    let errs = crd_errors(base(json!({"rule": "self.spec.a"})));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].ends_with(": cel expression must evaluate to a bool"),
        "{}",
        errs[0]
    );
    let errs = crd_errors(base(json!({"rule": "self.spec.a =="})));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].contains("compilation failed: ERROR: <input>:1:"),
        "{}",
        errs[0]
    );
    let errs = crd_errors(base(json!({"rule": "true", "optionalOldSelf": true})));
    assert_eq!(errs, vec!["spec.validation.openAPIV3Schema.x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"]);
    let errs = crd_errors(base(json!({"rule": "true", "messageExpression": "1"})));
    assert!(
        errs[0].ends_with("messageExpression must evaluate to a string"),
        "{errs:?}"
    );
}

#[test]
fn crd_rejects_old_self_under_atomic_lists() {
    let mut crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "foos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "foos", "kind": "Foo"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}},
                                  "x-kubernetes-validations": [{"rule": "self.x == oldSelf.x"}]}}}}}}}}]}
    });
    crate::crd::default_crd(&mut crd);
    crate::crd::prepare_crd_for_create(&mut crd);
    let errs: Vec<String> = crate::crd::validate_crd_create(&crd)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        vec![
            r#"spec.validation.openAPIV3Schema.properties[spec].properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self.x == oldSelf.x": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[list]"#
        ]
    );
}

#[test]
fn crd_validates_defaults_with_rules() {
    let mut crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "foos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "foos", "kind": "Foo"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer", "default": 5, "x-kubernetes-validations": [{"rule": "self < 3", "message": "small"}]}}}}}}}]}
    });
    crate::crd::default_crd(&mut crd);
    crate::crd::prepare_crd_for_create(&mut crd);
    let errs: Vec<String> = crate::crd::validate_crd_create(&crd)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errs, vec!["spec.validation.openAPIV3Schema.properties[spec].properties[size].default: Invalid value: 5: small"]);
}
