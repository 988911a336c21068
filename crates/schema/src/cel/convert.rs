//! Unstructured JSON to CEL values, typed by the structural schema (apiextensions
//! `UnstructuredToVal`): integers/numbers by schema type, `byte`/`duration`/`date`/
//! `date-time` strings as bytes/durations/timestamps, objects with properties exposing only
//! declared (escaped) properties, resource roots exposing `apiVersion`, `kind` and
//! `metadata.name`/`generateName`.

use super::types::escape;
use crate::structural::Structural;
use kube_cel::cel::objects::{Key, Map};
use kube_cel::cel::Value;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

fn number(n: &serde_json::Number, s: Option<&Structural>) -> Value {
    let type_ = s.map(|s| s.type_.as_str()).unwrap_or("");
    match type_ {
        "number" => Value::Float(n.as_f64().unwrap_or(0.0)),
        "integer" => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    Value::Int(f as i64)
                } else {
                    Value::Float(f)
                }
            }
        },
        _ => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
    }
}

fn string(text: &str, s: Option<&Structural>) -> Value {
    let format = s
        .filter(|s| s.type_ == "string")
        .and_then(|s| s.value_validation.as_ref())
        .map(|v| v.format.as_str())
        .unwrap_or("");
    match format {
        "byte" => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => Value::Bytes(Arc::new(bytes)),
                Err(_) => Value::String(Arc::new(text.to_string())),
            }
        }
        "duration" => match crate::structural::formats::parse_go_duration(text) {
            Some(nanos) => Value::Duration(chrono::Duration::nanoseconds(nanos as i64)),
            None => Value::String(Arc::new(text.to_string())),
        },
        "date" => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => {
                let dt = d
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default()
                    .and_utc()
                    .fixed_offset();
                Value::Timestamp(dt)
            }
            Err(_) => Value::String(Arc::new(text.to_string())),
        },
        "date-time" => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(dt) => Value::Timestamp(dt),
            Err(_) => Value::String(Arc::new(text.to_string())),
        },
        _ => Value::String(Arc::new(text.to_string())),
    }
}

fn map_value(entries: HashMap<Key, Value>) -> Value {
    Value::Map(Map {
        map: Arc::new(entries),
    })
}

/// Converts a JSON value to a CEL value typed by `s` (`None` = untyped). With
/// `is_resource_root` the object exposes `apiVersion`, `kind` and the name fields of
/// `metadata`.
pub(crate) fn to_cel(v: &Json, s: Option<&Structural>, is_resource_root: bool) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => number(n, s),
        Json::String(text) => string(text, s),
        Json::Array(items) => {
            let item_schema = s.and_then(|s| s.items.as_deref());
            let embedded = item_schema.is_some_and(|i| i.x_embedded_resource);
            Value::List(Arc::new(
                items
                    .iter()
                    .map(|i| to_cel(i, item_schema, embedded))
                    .collect(),
            ))
        }
        Json::Object(obj) => {
            let mut entries = HashMap::with_capacity(obj.len());
            let declared = s.filter(|s| {
                s.additional_properties.is_none()
                    && (!s.properties.is_empty() || is_resource_root)
                    && !s.x_int_or_string
            });
            match declared {
                Some(schema) => {
                    for (name, prop) in &schema.properties {
                        let (Some(value), Some(escaped)) = (obj.get(name), escape(name)) else {
                            continue;
                        };
                        if is_resource_root
                            && matches!(name.as_str(), "apiVersion" | "kind" | "metadata")
                        {
                            continue;
                        }
                        entries.insert(
                            Key::String(Arc::new(escaped)),
                            to_cel(value, Some(prop), prop.x_embedded_resource),
                        );
                    }
                    if is_resource_root {
                        for key in ["apiVersion", "kind"] {
                            if let Some(value) = obj.get(key) {
                                entries.insert(
                                    Key::String(Arc::new(key.to_string())),
                                    to_cel(value, None, false),
                                );
                            }
                        }
                        if let Some(Json::Object(meta)) = obj.get("metadata") {
                            let mut m = HashMap::new();
                            for key in ["name", "generateName"] {
                                if let Some(value) = meta.get(key) {
                                    m.insert(
                                        Key::String(Arc::new(key.to_string())),
                                        to_cel(value, None, false),
                                    );
                                }
                            }
                            entries.insert(Key::String(Arc::new("metadata".into())), map_value(m));
                        }
                    }
                }
                None => {
                    let value_schema = s
                        .and_then(|s| s.additional_properties.as_ref())
                        .and_then(|a| a.structural.as_deref());
                    let embedded = value_schema.is_some_and(|v| v.x_embedded_resource);
                    for (k, value) in obj {
                        entries.insert(
                            Key::String(Arc::new(k.clone())),
                            to_cel(value, value_schema, embedded),
                        );
                    }
                }
            }
            map_value(entries)
        }
    }
}
