//! CRD validation against the upstream error catalogue (facts-crd §1).

use super::*;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "foos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "foos", "kind": "Foo"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}
    })
}

fn create_errors(mut crd: Value) -> Vec<String> {
    decode_crd(&crd).expect("decodes");
    default_crd(&mut crd);
    prepare_crd_for_create(&mut crd);
    validate_crd_create(&crd)
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn with(mut crd: Value, pointer: &str, value: Value) -> Value {
    if let Some(slot) = crd.pointer_mut(pointer) {
        *slot = value;
    } else {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
        crd.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent exists")
            .insert(key.to_string(), value);
    }
    crd
}

#[test]
fn valid_crd_has_no_errors() {
    assert_eq!(create_errors(base()), Vec::<String>::new());
}

#[test]
fn name_group_and_scope() {
    assert_eq!(
        create_errors(with(base(), "/metadata/name", json!("bars.example.com"))),
        vec![
            r#"metadata.name: Invalid value: "bars.example.com": must be spec.names.plural+"."+spec.group"#
        ]
    );
    let errs = create_errors(with(
        with(base(), "/spec/group", json!("")),
        "/metadata/name",
        json!("foos."),
    ));
    assert!(
        errs.contains(&"spec.group: Required value".to_string()),
        "{errs:?}"
    );
    let errs = create_errors(with(
        with(base(), "/spec/group", json!("example")),
        "/metadata/name",
        json!("foos.example"),
    ));
    assert_eq!(
        errs,
        vec![r#"spec.group: Invalid value: "example": should be a domain with at least one dot"#]
    );
    let errs = create_errors(with(base(), "/spec/scope", json!("Global")));
    assert_eq!(
        errs,
        vec![
            r#"spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced""#
        ]
    );
    let errs = create_errors(with(base(), "/spec/scope", json!("")));
    assert_eq!(errs, vec!["spec.scope: Required value"]);
}

#[test]
fn names() {
    let errs = create_errors(with(base(), "/spec/names", json!({"plural": "foos"})));
    assert_eq!(
        errs,
        vec![
            "spec.names.singular: Required value",
            "spec.names.kind: Required value",
            "spec.names.listKind: Required value"
        ]
    );
    let errs = create_errors(with(
        base(),
        "/spec/names",
        json!({"plural": "foos", "kind": "Foo", "listKind": "Foo", "shortNames": ["F"]}),
    ));
    assert_eq!(
        errs,
        vec![
            r#"spec.names.shortNames[0]: Invalid value: "F": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
            r#"spec.names.listKind: Invalid value: "Foo": kind and listKind may not be the same"#,
        ]
    );
    // singular and listKind are derived from the kind, so all three are reported
    let errs = create_errors(with(base(), "/spec/names/kind", json!("Foo_Bar")));
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs[0].starts_with(r#"spec.names.singular: Invalid value: "foo_bar": a DNS-1035 label"#)
    );
    assert!(errs[1].starts_with(r#"spec.names.kind: Invalid value: "Foo_Bar": may have mixed case, but should otherwise match: a DNS-1035 label"#));
    assert!(errs[2]
        .starts_with(r#"spec.names.listKind: Invalid value: "Foo_BarList": may have mixed case"#));
}

#[test]
fn versions_and_storage() {
    let v1 = json!({"name": "v1", "served": true, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}});
    let errs = create_errors(with(base(), "/spec/versions", json!([v1])));
    assert_eq!(
        errs,
        vec![
            r#"spec.versions: Invalid value: [{"Name":"v1","Served":true,"Storage":false,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]: must have exactly one version marked as storage version"#,
            "status.storedVersions: Invalid value: null: must have at least one stored version",
        ]
    );
    let errs = create_errors(with(base(), "/spec/versions", json!([])));
    assert_eq!(
        errs,
        vec![
            "spec.versions: Invalid value: null: must have exactly one version marked as storage version",
            "status.storedVersions: Invalid value: null: must have at least one stored version",
        ]
    );
    let errs = create_errors(with(base(), "/spec/versions/0/name", json!("V1")));
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with(r#"spec.versions[0].name: Invalid value: "V1": a DNS-1035 label"#));
    assert!(errs[1].starts_with(r#"spec.version: Invalid value: "V1": a DNS-1035 label"#));
    let errs = create_errors(with(base(), "/spec/versions/0/schema", json!(null)));
    assert_eq!(
        errs,
        vec!["spec.versions[0].schema.openAPIV3Schema: Required value"]
    );
}

#[test]
fn hoisted_schema_paths_and_per_version_paths() {
    let errs = create_errors(with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/type",
        json!(null),
    ));
    assert_eq!(errs, vec!["spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"]);
    let versions = json!([
        {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"properties": {}}}}}},
        {"name": "v2", "served": true, "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}
    ]);
    let errs = create_errors(with(base(), "/spec/versions", versions));
    assert_eq!(errs, vec!["spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"]);
}

#[test]
fn preserve_unknown_fields_and_conversion() {
    let errs = create_errors(with(base(), "/spec/preserveUnknownFields", json!(true)));
    assert_eq!(
        errs,
        vec!["spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"]
    );
    let mut crd = with(base(), "/spec/preserveUnknownFields", json!(true));
    crd = with(
        crd,
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/size/default",
        json!(1),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            "spec.preserveUnknownFields: Invalid value: true: must be false in order to use defaults in the schema",
            "spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
        ]
    );
    let errs = create_errors(with(
        base(),
        "/spec/conversion",
        json!({"strategy": "Webhook"}),
    ));
    assert_eq!(
        errs,
        vec![
            "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
            "spec.conversion.conversionReviewVersions: Required value",
        ]
    );
    let errs = create_errors(with(
        base(),
        "/spec/conversion",
        json!({"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v3", "v3"], "clientConfig": {"url": "http://x.example.com/convert?x=1"}}}),
    ));
    assert_eq!(
        errs,
        vec![
            r#"spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]"#,
            r#"spec.conversion.webhookClientConfig.url: Invalid value: "x=1": query parameters are not permitted in the URL"#,
            r#"spec.conversion.conversionReviewVersions[1]: Invalid value: "v3": duplicate version"#,
            r#"spec.conversion.conversionReviewVersions: Invalid value: ["v3","v3"]: must include at least one of v1, v1beta1"#,
        ]
    );
    let errs = create_errors(with(
        base(),
        "/spec/conversion",
        json!({"strategy": "None", "webhook": {"conversionReviewVersions": ["v1"]}}),
    ));
    assert_eq!(errs, vec!["spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook"]);
    let errs = create_errors(with(
        base(),
        "/spec/conversion",
        json!({"strategy": "Magic"}),
    ));
    assert_eq!(
        errs,
        vec![
            r#"spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook""#,
        ]
    );
}

#[test]
fn deprecation_warning() {
    let errs = create_errors(with(
        base(),
        "/spec/versions/0/deprecationWarning",
        json!("old"),
    ));
    assert_eq!(
        errs,
        vec![
            r#"spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions"#
        ]
    );
    let mut crd = with(base(), "/spec/versions/0/deprecated", json!(true));
    crd = with(crd, "/spec/versions/0/deprecationWarning", json!(""));
    assert_eq!(
        create_errors(crd),
        vec![
            r#"spec.versions[0].deprecationWarning: Invalid value: "": must not be an empty string"#
        ]
    );
}

#[test]
fn subresources_scale_and_status_root() {
    let crd = with(
        base(),
        "/spec/versions/0/subresources",
        json!({"scale": {"specReplicasPath": ".x", "statusReplicasPath": "status.replicas", "labelSelectorPath": ".metadata.labels"}}),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            r#"spec.subresources.scale.specReplicasPath: Invalid value: ".x": should be a json path under .spec"#,
            r#"spec.subresources.scale.statusReplicasPath: Invalid value: "status.replicas": must be a simple json path starting with ."#,
            r#"spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status"#,
        ]
    );
    let crd = with(
        base(),
        "/spec/versions/0/subresources",
        json!({"scale": {}}),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            "spec.subresources.scale.specReplicasPath: Required value",
            "spec.subresources.scale.statusReplicasPath: Required value"
        ]
    );
    let mut crd = with(
        base(),
        "/spec/versions/0/subresources",
        json!({"status": {}}),
    );
    crd = with(
        crd,
        "/spec/versions/0/schema/openAPIV3Schema/required",
        json!(["spec"]),
    );
    assert!(create_errors(crd.clone()).is_empty());
    crd = with(
        crd,
        "/spec/versions/0/schema/openAPIV3Schema/anyOf",
        json!([{"required": ["spec"]}]),
    );
    let errs = create_errors(crd);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with(r#"spec.validation.openAPIV3Schema: Invalid value: {"ID":"","Schema":"","Ref":null,"Description":"","Type":"object""#), "{}", errs[0]);
    assert!(errs[0].ends_with(": only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled"), "{}", errs[0]);
}

#[test]
fn printer_columns_and_selectable_fields() {
    let crd = with(
        base(),
        "/spec/versions/0/additionalPrinterColumns",
        json!([
            {"name": "", "type": "", "jsonPath": ""},
            {"name": "Size", "type": "int", "format": "big", "jsonPath": "spec.size"}
        ]),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            "spec.additionalPrinterColumns[0].name: Required value",
            "spec.additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string",
            "spec.additionalPrinterColumns[0].JSONPath: Required value",
            r#"spec.additionalPrinterColumns[1].type: Invalid value: "int": must be one of boolean,date,integer,number,string"#,
            r#"spec.additionalPrinterColumns[1].format: Invalid value: "big": must be one of byte,date,date-time,double,float,int32,int64,password"#,
            r#"spec.additionalPrinterColumns[1].JSONPath: Invalid value: "spec.size": must be a simple json path starting with ."#,
        ]
    );
    let crd = with(
        base(),
        "/spec/versions/0/selectableFields",
        json!([
            {"jsonPath": ".spec.size"}, {"jsonPath": ".spec.size"}, {"jsonPath": ".spec.nope"}, {"jsonPath": ".spec"}, {"jsonPath": ""}
        ]),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            r#"spec.selectableFields[1].jsonPath: Duplicate value: ".spec.size""#,
            r#"spec.selectableFields[2].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field"#,
            r#"spec.selectableFields[3].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."#,
            "spec.selectableFields[4].jsonPath: Required value",
        ]
    );
}

#[test]
fn protected_group_needs_approval() {
    let mut crd = with(base(), "/spec/group", json!("things.k8s.io"));
    crd = with(crd, "/metadata/name", json!("foos.things.k8s.io"));
    assert_eq!(
        create_errors(crd.clone()),
        vec![
            r#"metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111"#
        ]
    );
    let approved = with(
        crd.clone(),
        "/metadata/annotations",
        json!({"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1"}),
    );
    assert!(create_errors(approved).is_empty());
    let unapproved = with(
        crd.clone(),
        "/metadata/annotations",
        json!({"api-approved.kubernetes.io": "unapproved, testing"}),
    );
    assert!(create_errors(unapproved).is_empty());
    let invalid = with(
        crd,
        "/metadata/annotations",
        json!({"api-approved.kubernetes.io": "yes"}),
    );
    assert_eq!(
        create_errors(invalid),
        vec![
            r#"metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111"#
        ]
    );
}

#[test]
fn schema_rules_and_defaults() {
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/name",
        json!({"type": "string", "pattern": "(?=x)"}),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            r#"spec.validation.openAPIV3Schema.properties[spec].properties[name].pattern: Invalid value: "(?=x)": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"#
        ]
    );
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/size/default",
        json!("x"),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            r#"spec.validation.openAPIV3Schema.properties[spec].properties[size].default: Invalid value: "string":  in body must be of type integer: "string""#
        ]
    );
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/kind",
        json!({"type": "string", "default": "Foo"}),
    );
    assert_eq!(
        create_errors(crd),
        vec!["spec.validation.openAPIV3Schema.properties[kind].default: Forbidden: must not be set in top-level kind"]
    );
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/nullable",
        json!(true),
    );
    assert_eq!(create_errors(crd), vec!["spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root"]);
}

#[test]
fn stored_versions_on_update() {
    let mut old = base();
    default_crd(&mut old);
    prepare_crd_for_create(&mut old);
    old["metadata"]["resourceVersion"] = json!("1");
    let mut new = old.clone();
    new["spec"]["versions"] = json!([{"name": "v2", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]);
    prepare_crd_for_update(&mut new, &old);
    assert_eq!(new["status"]["storedVersions"], json!(["v1", "v2"]));
    let errs: Vec<String> = validate_crd_update(&new, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        vec![
            r#"status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions"#
        ]
    );
}

#[test]
fn immutable_fields_on_update() {
    let mut old = base();
    default_crd(&mut old);
    prepare_crd_for_create(&mut old);
    old["metadata"]["resourceVersion"] = json!("1");
    old["status"]["conditions"] = json!([{"type": "Established", "status": "True"}]);
    let mut new = old.clone();
    new["spec"]["scope"] = json!("Cluster");
    new["spec"]["names"]["plural"] = json!("bars");
    let errs: Vec<String> = validate_crd_update(&new, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(
        errs.contains(&r#"spec.scope: Invalid value: "Cluster": field is immutable"#.to_string()),
        "{errs:?}"
    );
    assert!(
        errs.contains(
            &r#"spec.names.plural: Invalid value: "bars": field is immutable"#.to_string()
        ),
        "{errs:?}"
    );
}

#[test]
fn ratcheting_of_already_invalid_schema_on_update() {
    let mut old = base();
    default_crd(&mut old);
    prepare_crd_for_create(&mut old);
    old["metadata"]["resourceVersion"] = json!("1");
    old["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["size"]["type"] = json!("int");
    let mut new = old.clone();
    new["spec"]["versions"][0]["served"] = json!(false);
    assert!(validate_crd_update(&new, &old).is_empty());
}

#[test]
fn defaults_and_status_shape() {
    let mut crd = base();
    crd["status"] = json!({"storedVersions": []});
    crd["spec"]["conversion"] = json!(null);
    default_crd(&mut crd);
    assert_eq!(crd["spec"]["names"]["singular"], "foo");
    assert_eq!(crd["spec"]["names"]["listKind"], "FooList");
    assert_eq!(crd["spec"]["conversion"], json!({"strategy": "None"}));
    assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));
}

#[test]
fn warnings() {
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/name",
        json!({"type": "string", "format": "fancy"}),
    );
    assert_eq!(
        crd_warnings_on_create(&crd),
        vec![r#"unrecognized format "fancy""#]
    );
    assert!(crd_warnings_on_update(&crd, &crd).is_empty());
    let crd = with(
        base(),
        "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/l",
        json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "object", "x-kubernetes-map-type": "atomic"}}),
    );
    assert_eq!(
        crd_warnings_on_create(&crd),
        vec![
            r#"x-kubernetes-list-type: set for items of type "object" is not supported by server-side apply or CEL validation rules"#
        ]
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    for body in [
        json!(null),
        json!([]),
        json!("x"),
        json!({"spec": 5}),
        json!({"spec": {"versions": [1, "a", null]}}),
        json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"items": [1]}}}]}}),
    ] {
        let _ = decode_crd(&body);
        let _ = validate_crd_create(&body);
    }
    // deep nesting
    let mut schema = json!({"type": "string"});
    for _ in 0..60 {
        schema = json!({"type": "object", "properties": {"a": schema}});
    }
    let crd = with(base(), "/spec/versions/0/schema/openAPIV3Schema", schema);
    assert!(create_errors(crd).is_empty());
}

#[test]
fn status_update_keeps_spec_and_validates_accepted_names() {
    let mut old = base();
    default_crd(&mut old);
    prepare_crd_for_create(&mut old);
    old["metadata"]["resourceVersion"] = json!("1");
    let mut new = old.clone();
    new["spec"]["scope"] = json!("Cluster");
    new["metadata"]["finalizers"] = json!(["example.com/keep"]);
    new["status"]["acceptedNames"] = json!({"plural": "Foos", "kind": "Foo"});
    prepare_crd_for_status_update(&mut new, &old);
    assert_eq!(new["spec"], old["spec"]);
    assert_eq!(new["metadata"]["finalizers"], json!(["example.com/keep"]));
    let errs: Vec<String> = validate_crd_status_update(&new, &old)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0]
        .starts_with(r#"status.acceptedNames.plural: Invalid value: "Foos": a DNS-1035 label"#));
}

#[test]
fn webhook_service_reference() {
    let crd = with(
        base(),
        "/spec/conversion",
        json!({"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"],
        "clientConfig": {"service": {"name": "", "namespace": "ns", "path": "/a//B", "port": 70000}}}}),
    );
    assert_eq!(
        create_errors(crd),
        vec![
            "spec.conversion.webhookClientConfig.service.name: Required value",
            "spec.conversion.webhookClientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive",
            r#"spec.conversion.webhookClientConfig.service.path: Invalid value: "/a//B": segment[1] may not be empty"#,
            r#"spec.conversion.webhookClientConfig.service.path: Invalid value: "/a//B": segment[2]: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
        ]
    );
}
