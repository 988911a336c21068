//! The apiextensions internal view of a v1 CustomResourceDefinition: decoded from JSON with
//! Go-style type errors and unknown-field tracking, with identical per-version fields
//! hoisted to the top level (`Convert_v1_CustomResourceDefinitionSpec_To_apiextensions_...`),
//! plus the Go rendering of internal structs used as error values.

use crate::decode::Decoder;
use crate::openapi::{go_bool, go_string, go_strings, SchemaProps};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// `spec.names` / `status.acceptedNames`.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Names {
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub kind: String,
    pub list_kind: String,
    pub categories: Vec<String>,
}

/// `CustomResourceValidation`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Validation {
    /// The schema, if set.
    pub open_api_v3_schema: Option<SchemaProps>,
}

/// `subresources.scale`.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Scale {
    pub spec_replicas_path: String,
    pub status_replicas_path: String,
    pub label_selector_path: Option<String>,
}

/// `subresources`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Subresources {
    /// Whether `status: {}` is present.
    pub status: bool,
    /// The scale subresource.
    pub scale: Option<Scale>,
}

/// An additional printer column.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Column {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub json_path: String,
}

/// A CRD version.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Version {
    pub name: String,
    pub served: bool,
    pub storage: bool,
    pub deprecated: bool,
    pub deprecation_warning: Option<String>,
    pub schema: Option<Validation>,
    pub subresources: Option<Subresources>,
    pub additional_printer_columns: Vec<Column>,
    pub selectable_fields: Vec<String>,
}

/// A webhook service reference.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct ServiceReference {
    pub namespace: String,
    pub name: String,
    pub path: Option<String>,
    pub port: i64,
}

/// A webhook client config.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct WebhookClientConfig {
    pub url: Option<String>,
    pub service: Option<ServiceReference>,
    pub ca_bundle: Option<String>,
}

/// `spec.conversion` (internal shape: webhook fields flattened).
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Conversion {
    pub strategy: String,
    pub webhook_client_config: Option<WebhookClientConfig>,
    pub conversion_review_versions: Vec<String>,
}

/// The internal spec, with identical per-version fields hoisted.
#[derive(Debug, Clone, PartialEq, Default)]
#[allow(missing_docs)]
pub struct Spec {
    pub group: String,
    pub version: String,
    pub names: Names,
    pub scope: String,
    pub validation: Option<Validation>,
    pub subresources: Option<Subresources>,
    pub versions: Vec<Version>,
    pub additional_printer_columns: Vec<Column>,
    pub selectable_fields: Option<Vec<String>>,
    pub conversion: Option<Conversion>,
    pub preserve_unknown_fields: Option<bool>,
}

/// The internal status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// Accepted names.
    pub accepted_names: Names,
    /// Stored versions.
    pub stored_versions: Vec<String>,
    /// Conditions, as JSON.
    pub conditions: Vec<Value>,
}

/// A decoded CRD.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Crd {
    /// `metadata` as given.
    pub metadata: Value,
    /// The internal spec.
    pub spec: Spec,
    /// The internal status.
    pub status: Status,
}

const SPEC: &str = "CustomResourceDefinitionSpec";

fn decode_names(d: &mut Decoder, value: Option<&Value>) -> Names {
    let Some(map) = d.object(
        "CustomResourceDefinitionNames",
        value,
        "v1.CustomResourceDefinitionNames",
    ) else {
        return Names::default();
    };
    d.check_known(
        map,
        &[
            "plural",
            "singular",
            "shortNames",
            "kind",
            "listKind",
            "categories",
        ],
    );
    let s = "CustomResourceDefinitionNames";
    Names {
        plural: d.string(s, map, "plural"),
        singular: d.string(s, map, "singular"),
        short_names: d.strings(s, map, "shortNames"),
        kind: d.string(s, map, "kind"),
        list_kind: d.string(s, map, "listKind"),
        categories: d.strings(s, map, "categories"),
    }
}

fn decode_validation(d: &mut Decoder, value: Option<&Value>) -> Option<Validation> {
    let map = d.object(
        "CustomResourceValidation",
        value,
        "v1.CustomResourceValidation",
    )?;
    d.check_known(map, &["openAPIV3Schema"]);
    Some(Validation {
        open_api_v3_schema: match map.get("openAPIV3Schema") {
            None | Some(Value::Null) => None,
            Some(schema) => Some(d.at("openAPIV3Schema", |d| SchemaProps::decode(d, schema))),
        },
    })
}

fn decode_subresources(d: &mut Decoder, value: Option<&Value>) -> Option<Subresources> {
    let map = d.object(
        "CustomResourceSubresources",
        value,
        "v1.CustomResourceSubresources",
    )?;
    d.check_known(map, &["status", "scale"]);
    let status = match map.get("status") {
        None | Some(Value::Null) => false,
        Some(Value::Object(inner)) => {
            d.at("status", |d| d.check_known(inner, &[]));
            true
        }
        Some(other) => {
            d.at("status", |d| {
                d.type_error(
                    "CustomResourceSubresources",
                    other,
                    "v1.CustomResourceSubresourceStatus",
                )
            });
            false
        }
    };
    let scale = d.at("scale", |d| {
        let scale = d.object(
            "CustomResourceSubresourceScale",
            map.get("scale"),
            "v1.CustomResourceSubresourceScale",
        )?;
        d.check_known(
            scale,
            &[
                "specReplicasPath",
                "statusReplicasPath",
                "labelSelectorPath",
            ],
        );
        let s = "CustomResourceSubresourceScale";
        Some(Scale {
            spec_replicas_path: d.string(s, scale, "specReplicasPath"),
            status_replicas_path: d.string(s, scale, "statusReplicasPath"),
            label_selector_path: d.opt_string(s, scale, "labelSelectorPath"),
        })
    });
    Some(Subresources { status, scale })
}

fn decode_columns(d: &mut Decoder, map: &Map<String, Value>) -> Vec<Column> {
    let s = "CustomResourceColumnDefinition";
    d.list(
        s,
        map,
        "additionalPrinterColumns",
        "[]v1.CustomResourceColumnDefinition",
        |d, v| {
            let col = d.object(s, Some(v), "v1.CustomResourceColumnDefinition")?;
            d.check_known(
                col,
                &[
                    "name",
                    "type",
                    "format",
                    "description",
                    "priority",
                    "jsonPath",
                ],
            );
            Some(Column {
                name: d.string(s, col, "name"),
                type_: d.string(s, col, "type"),
                format: d.string(s, col, "format"),
                description: d.string(s, col, "description"),
                priority: d.opt_int(s, col, "priority", "int32").unwrap_or(0),
                json_path: d.string(s, col, "jsonPath"),
            })
        },
    )
}

fn decode_selectable_fields(d: &mut Decoder, map: &Map<String, Value>) -> Vec<String> {
    let s = "SelectableField";
    d.list(
        s,
        map,
        "selectableFields",
        "[]v1.SelectableField",
        |d, v| {
            let f = d.object(s, Some(v), "v1.SelectableField")?;
            d.check_known(f, &["jsonPath"]);
            Some(d.string(s, f, "jsonPath"))
        },
    )
}

fn decode_version(d: &mut Decoder, v: &Value) -> Option<Version> {
    let s = "CustomResourceDefinitionVersion";
    let map = d.object(s, Some(v), "v1.CustomResourceDefinitionVersion")?;
    d.check_known(
        map,
        &[
            "name",
            "served",
            "storage",
            "deprecated",
            "deprecationWarning",
            "schema",
            "subresources",
            "additionalPrinterColumns",
            "selectableFields",
        ],
    );
    Some(Version {
        name: d.string(s, map, "name"),
        served: d.boolean(s, map, "served"),
        storage: d.boolean(s, map, "storage"),
        deprecated: d.boolean(s, map, "deprecated"),
        deprecation_warning: d.opt_string(s, map, "deprecationWarning"),
        schema: d.at("schema", |d| decode_validation(d, map.get("schema"))),
        subresources: d.at("subresources", |d| {
            decode_subresources(d, map.get("subresources"))
        }),
        additional_printer_columns: decode_columns(d, map),
        selectable_fields: decode_selectable_fields(d, map),
    })
}

fn decode_conversion(d: &mut Decoder, value: Option<&Value>) -> Option<Conversion> {
    let s = "CustomResourceConversion";
    let map = d.object(s, value, "v1.CustomResourceConversion")?;
    d.check_known(map, &["strategy", "webhook"]);
    let mut conversion = Conversion {
        strategy: d.string(s, map, "strategy"),
        ..Conversion::default()
    };
    d.at("webhook", |d| {
        let Some(webhook) = d.object(
            "WebhookConversion",
            map.get("webhook"),
            "v1.WebhookConversion",
        ) else {
            return;
        };
        d.check_known(webhook, &["clientConfig", "conversionReviewVersions"]);
        conversion.conversion_review_versions =
            d.strings("WebhookConversion", webhook, "conversionReviewVersions");
        conversion.webhook_client_config = d.at("clientConfig", |d| {
            let cc = d.object(
                "WebhookClientConfig",
                webhook.get("clientConfig"),
                "v1.WebhookClientConfig",
            )?;
            d.check_known(cc, &["url", "service", "caBundle"]);
            let service = d.at("service", |d| {
                let svc = d.object("ServiceReference", cc.get("service"), "v1.ServiceReference")?;
                d.check_known(svc, &["namespace", "name", "path", "port"]);
                Some(ServiceReference {
                    namespace: d.string("ServiceReference", svc, "namespace"),
                    name: d.string("ServiceReference", svc, "name"),
                    path: d.opt_string("ServiceReference", svc, "path"),
                    port: d
                        .opt_int("ServiceReference", svc, "port", "int32")
                        .unwrap_or(443),
                })
            });
            Some(WebhookClientConfig {
                url: d.opt_string("WebhookClientConfig", cc, "url"),
                service,
                ca_bundle: d.opt_string("WebhookClientConfig", cc, "caBundle"),
            })
        });
    });
    Some(conversion)
}

/// Whether two optional JSON values are equal under Go's semantic equality of the
/// converted structs (absent, null and empty lists compare equal).
fn semantic_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let norm = |v: Option<&Value>| -> Option<Value> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(other) => Some(other.clone()),
        }
    };
    norm(a) == norm(b)
}

/// The outcome of decoding a CRD.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The internal model.
    pub crd: Crd,
    /// Unknown fields (`spec.foo`), for warnings or Strict rejection.
    pub unknown_fields: Vec<String>,
}

impl Crd {
    /// Decodes a v1 CRD JSON value into the internal model, hoisting identical per-version
    /// fields. Fails with a Go-style decode error on type mismatches.
    pub fn decode(value: &Value) -> Result<Decoded, String> {
        let mut d = Decoder::new();
        let Some(root) = d.object(
            "CustomResourceDefinition",
            Some(value),
            "v1.CustomResourceDefinition",
        ) else {
            return Err(d
                .error
                .unwrap_or_else(|| "Object 'Kind' is missing in 'null'".to_string()));
        };
        d.check_known(root, &["apiVersion", "kind", "metadata", "spec", "status"]);
        let metadata = root.get("metadata").cloned().unwrap_or(Value::Null);
        if !metadata.is_null() {
            match crate::structural::objectmeta::coerce_object_meta(
                &metadata,
                &crate::field::Path::nil(),
                false,
            ) {
                Ok(coerced) => d.unknown.extend(coerced.unknown),
                Err(err) => return Err(err),
            }
        }
        let empty = Map::new();
        let spec_map = d
            .at("spec", |d| {
                d.object(SPEC, root.get("spec"), "v1.CustomResourceDefinitionSpec")
            })
            .unwrap_or(&empty);
        let versions_raw: Vec<&Map<String, Value>> = spec_map
            .get("versions")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default();
        let spec = d.at("spec", |d| {
            d.check_known(
                spec_map,
                &[
                    "group",
                    "names",
                    "scope",
                    "versions",
                    "conversion",
                    "preserveUnknownFields",
                ],
            );
            let versions = d.list(
                SPEC,
                spec_map,
                "versions",
                "[]v1.CustomResourceDefinitionVersion",
                decode_version,
            );
            Spec {
                group: d.string(SPEC, spec_map, "group"),
                names: d.at("names", |d| decode_names(d, spec_map.get("names"))),
                scope: d.string(SPEC, spec_map, "scope"),
                versions,
                conversion: d.at("conversion", |d| {
                    decode_conversion(d, spec_map.get("conversion"))
                }),
                // v1 has a plain bool: the internal pointer is never nil.
                preserve_unknown_fields: Some(d.boolean(SPEC, spec_map, "preserveUnknownFields")),
                ..Spec::default()
            }
        });
        let status_map = d.at("status", |d| {
            d.object(
                "CustomResourceDefinitionStatus",
                root.get("status"),
                "v1.CustomResourceDefinitionStatus",
            )
        });
        let status = match status_map {
            None => Status::default(),
            Some(m) => d.at("status", |d| {
                d.check_known(
                    m,
                    &[
                        "conditions",
                        "acceptedNames",
                        "storedVersions",
                        "observedGeneration",
                    ],
                );
                Status {
                    accepted_names: d
                        .at("acceptedNames", |d| decode_names(d, m.get("acceptedNames"))),
                    stored_versions: d.strings(
                        "CustomResourceDefinitionStatus",
                        m,
                        "storedVersions",
                    ),
                    conditions: m
                        .get("conditions")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                }
            }),
        };
        if let Some(err) = d.error {
            return Err(err);
        }
        let mut crd = Crd {
            metadata,
            spec,
            status,
        };
        crd.hoist(&versions_raw);
        Ok(Decoded {
            crd,
            unknown_fields: d.unknown,
        })
    }

    fn hoist(&mut self, raw: &[&Map<String, Value>]) {
        let spec = &mut self.spec;
        if spec.versions.is_empty() {
            return;
        }
        spec.version = spec.versions[0].name.clone();
        if raw.len() != spec.versions.len() {
            return;
        }
        let identical = |key: &str| raw.iter().all(|m| semantic_eq(m.get(key), raw[0].get(key)));
        if identical("subresources") {
            spec.subresources = spec.versions[0].subresources.clone();
            for v in &mut spec.versions {
                v.subresources = None;
            }
        }
        if identical("schema") {
            spec.validation = spec.versions[0].schema.clone();
            for v in &mut spec.versions {
                v.schema = None;
            }
        }
        if identical("additionalPrinterColumns") {
            spec.additional_printer_columns = spec.versions[0].additional_printer_columns.clone();
            for v in &mut spec.versions {
                v.additional_printer_columns.clear();
            }
        }
        if identical("selectableFields") {
            let fields = spec.versions[0].selectable_fields.clone();
            spec.selectable_fields = if raw[0].get("selectableFields").is_some_and(|v| !v.is_null())
            {
                Some(fields)
            } else {
                None
            };
            for v in &mut spec.versions {
                v.selectable_fields.clear();
            }
        }
    }

    /// Whether the `Established` condition is `True`.
    pub fn is_established(&self) -> bool {
        condition_is_true(&self.status.conditions, "Established")
    }
}

/// Whether `conditions` contains `type` with status `True`.
pub fn condition_is_true(conditions: &[Value], type_: &str) -> bool {
    conditions.iter().any(|c| {
        c.get("type").and_then(Value::as_str) == Some(type_)
            && c.get("status").and_then(Value::as_str) == Some("True")
    })
}

/// Go rendering of internal `[]CustomResourceDefinitionVersion` (an error value).
pub fn versions_go_json(versions: &[Version]) -> String {
    if versions.is_empty() {
        return "null".to_string();
    }
    let mut out = String::from("[");
    for (i, v) in versions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"Name\":");
        go_string(&mut out, &v.name);
        out.push_str(",\"Served\":");
        go_bool(&mut out, v.served);
        out.push_str(",\"Storage\":");
        go_bool(&mut out, v.storage);
        out.push_str(",\"Deprecated\":");
        go_bool(&mut out, v.deprecated);
        out.push_str(",\"DeprecationWarning\":");
        match &v.deprecation_warning {
            None => out.push_str("null"),
            Some(w) => go_string(&mut out, w),
        }
        out.push_str(",\"Schema\":");
        match &v.schema {
            None => out.push_str("null"),
            Some(val) => {
                out.push_str("{\"OpenAPIV3Schema\":");
                match &val.open_api_v3_schema {
                    None => out.push_str("null"),
                    Some(s) => out.push_str(&s.to_go_json()),
                }
                out.push('}');
            }
        }
        out.push_str(",\"Subresources\":");
        match &v.subresources {
            None => out.push_str("null"),
            Some(sr) => write_subresources(&mut out, sr),
        }
        out.push_str(",\"AdditionalPrinterColumns\":");
        write_columns(&mut out, &v.additional_printer_columns);
        out.push_str(",\"SelectableFields\":");
        if v.selectable_fields.is_empty() {
            out.push_str("null");
        } else {
            out.push('[');
            for (j, f) in v.selectable_fields.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                out.push_str("{\"JSONPath\":");
                go_string(&mut out, f);
                out.push('}');
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push(']');
    out
}

fn write_subresources(out: &mut String, sr: &Subresources) {
    out.push_str("{\"Status\":");
    out.push_str(if sr.status { "{}" } else { "null" });
    out.push_str(",\"Scale\":");
    match &sr.scale {
        None => out.push_str("null"),
        Some(scale) => {
            out.push_str("{\"SpecReplicasPath\":");
            go_string(out, &scale.spec_replicas_path);
            out.push_str(",\"StatusReplicasPath\":");
            go_string(out, &scale.status_replicas_path);
            out.push_str(",\"LabelSelectorPath\":");
            match &scale.label_selector_path {
                None => out.push_str("null"),
                Some(p) => go_string(out, p),
            }
            out.push('}');
        }
    }
    out.push('}');
}

fn write_columns(out: &mut String, cols: &[Column]) {
    if cols.is_empty() {
        out.push_str("null");
        return;
    }
    out.push('[');
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"Name\":");
        go_string(out, &c.name);
        out.push_str(",\"Type\":");
        go_string(out, &c.type_);
        out.push_str(",\"Format\":");
        go_string(out, &c.format);
        out.push_str(",\"Description\":");
        go_string(out, &c.description);
        let _ = write!(out, ",\"Priority\":{}", c.priority);
        out.push_str(",\"JSONPath\":");
        go_string(out, &c.json_path);
        out.push('}');
    }
    out.push(']');
}

/// Go rendering of a `[]string` (an error value): `null` when empty.
pub fn strings_go_json(list: &[String]) -> String {
    let mut out = String::new();
    go_strings(&mut out, list);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd(versions: Value) -> Value {
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "foos.example.com"},
               "spec": {"group": "example.com", "scope": "Namespaced",
                        "names": {"plural": "foos", "kind": "Foo"}, "versions": versions}})
    }

    #[test]
    fn hoists_identical_per_version_fields() {
        let schema = json!({"openAPIV3Schema": {"type": "object"}});
        let d = Crd::decode(&crd(json!([
            {"name": "v1", "served": true, "storage": true, "schema": schema, "subresources": {"status": {}}},
            {"name": "v2", "served": true, "storage": false, "schema": schema}
        ]))).expect("decodes");
        let spec = &d.crd.spec;
        assert!(spec.validation.is_some());
        assert!(spec.versions.iter().all(|v| v.schema.is_none()));
        assert!(spec.subresources.is_none());
        assert!(spec.versions[0]
            .subresources
            .as_ref()
            .is_some_and(|s| s.status));
        assert_eq!(spec.version, "v1");
    }

    #[test]
    fn decode_errors_and_unknown_fields() {
        let mut v = crd(json!([{"name": "v1", "served": "yes", "storage": true}]));
        let err = Crd::decode(&v).unwrap_err();
        assert_eq!(err, "json: cannot unmarshal string into Go struct field CustomResourceDefinitionVersion.spec.versions[0].served of type bool");
        v = crd(json!([{"name": "v1", "served": true, "storage": true, "bogus": 1}]));
        v["spec"]["extra"] = json!(1);
        v["metadata"]["nope"] = json!(1);
        let d = Crd::decode(&v).expect("decodes");
        assert_eq!(
            d.unknown_fields,
            vec!["metadata.nope", "spec.extra", "spec.versions[0].bogus"]
        );
    }

    #[test]
    fn renders_versions_like_go() {
        let v = Version {
            name: "v1".into(),
            served: true,
            ..Default::default()
        };
        assert_eq!(
            versions_go_json(&[v]),
            r#"[{"Name":"v1","Served":true,"Storage":false,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]"#
        );
    }
}
