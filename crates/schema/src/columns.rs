//! Table output and field selectors of custom resources: `additionalPrinterColumns`
//! (apiextensions `tableconvertor`, facts-crd §9.2) and `selectableFields` (§9.1).
//!
//! ```
//! use klite_schema::columns::{column_definitions, columns_for_version, row_cells};
//! use serde_json::json;
//!
//! let crd = json!({"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
//!     {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]}]}});
//! let columns = columns_for_version(&crd, "v1");
//! let defs = column_definitions(&columns);
//! assert_eq!(defs[0]["name"], "Name");
//! assert_eq!(defs[1]["description"], "Custom resource definition column (in JSONPath format): .spec.replicas");
//! let obj = json!({"metadata": {"name": "x"}, "spec": {"replicas": 3}});
//! let now = chrono::Utc::now();
//! assert_eq!(row_cells(&obj, &columns, now), vec![json!("x"), json!(3)]);
//! ```

use crate::gofmt;
use crate::jsonpath::JsonPath;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `ObjectMeta.name`'s documentation, the description of the `Name` column.
pub const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// `ObjectMeta.creationTimestamp`'s documentation, the description of the default `Age` column.
pub const CREATION_TIMESTAMP_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// A printer column as served (CRD columns, or the default `Age` column).
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// `integer`, `number`, `string`, `boolean` or `date`.
    pub type_: String,
    /// Optional format.
    pub format: String,
    /// Description (defaulted from the JSONPath when empty).
    pub description: String,
    /// 0 shows by default; > 0 only in wide output.
    pub priority: i64,
    /// The JSONPath, e.g. `.spec.replicas`.
    pub json_path: String,
    /// The parsed path; `None` when it does not parse (the column and those after it are
    /// dropped from tables, as upstream only logs the error).
    parsed: Option<JsonPath>,
}

impl PrinterColumn {
    /// A column from its definition.
    pub fn new(
        name: &str,
        type_: &str,
        format: &str,
        description: &str,
        priority: i64,
        json_path: &str,
    ) -> PrinterColumn {
        let description = if description.is_empty() {
            format!("Custom resource definition column (in JSONPath format): {json_path}")
        } else {
            description.to_string()
        };
        PrinterColumn {
            name: name.into(),
            type_: type_.into(),
            format: format.into(),
            description,
            priority,
            json_path: json_path.into(),
            parsed: JsonPath::parse(json_path).ok(),
        }
    }
}

/// The columns served for `version` of a CRD (v1 JSON): its `additionalPrinterColumns`, or
/// the default `Age` column when there are none. Columns after an unparsable JSONPath are
/// dropped.
pub fn columns_for_version(crd: &Value, version: &str) -> Vec<PrinterColumn> {
    let declared = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        })
        .and_then(|v| v.get("additionalPrinterColumns"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if declared.is_empty() {
        return vec![PrinterColumn::new(
            "Age",
            "date",
            "",
            CREATION_TIMESTAMP_DESCRIPTION,
            0,
            ".metadata.creationTimestamp",
        )];
    }
    let text = |c: &Value, k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut out = Vec::new();
    for c in &declared {
        let column = PrinterColumn::new(
            &text(c, "name"),
            &text(c, "type"),
            &text(c, "format"),
            &text(c, "description"),
            c.get("priority").and_then(Value::as_i64).unwrap_or(0),
            &text(c, "jsonPath"),
        );
        if column.parsed.is_none() {
            break;
        }
        out.push(column);
    }
    out
}

/// The Table `columnDefinitions`: `Name` first, then the columns.
pub fn column_definitions(columns: &[PrinterColumn]) -> Vec<Value> {
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": NAME_DESCRIPTION, "priority": 0}),
    ];
    for c in columns {
        defs.push(json!({"name": c.name, "type": c.type_, "format": c.format, "description": c.description, "priority": c.priority}));
    }
    defs
}

/// The cells of one row: the object name, then each column's value (first JSONPath match,
/// typed by the column: `integer` → int, `number` → float, `boolean`, `string` (text
/// printing of any value), `date` → human age relative to `now`; missing or mistyped → null).
pub fn row_cells(obj: &Value, columns: &[PrinterColumn], now: DateTime<Utc>) -> Vec<Value> {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut cells = vec![Value::String(name.to_string())];
    for c in columns {
        let found = c.parsed.as_ref().and_then(|p| p.first(obj));
        cells.push(match found {
            None | Some(Value::Null) => Value::Null,
            Some(v) => cell(&c.type_, v, now),
        });
    }
    cells
}

fn cell(type_: &str, v: &Value, now: DateTime<Utc>) -> Value {
    match type_ {
        "string" => Value::String(match v {
            Value::String(s) => s.clone(),
            other => gofmt::sprint(other),
        }),
        "integer" => match v {
            Value::Number(n) if n.is_i64() => json!(n.as_i64()),
            Value::Number(n) => json!(n.as_f64().map(|f| f as i64)),
            _ => Value::Null,
        },
        "number" => match v {
            Value::Number(n) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
            _ => Value::Null,
        },
        "boolean" => match v {
            Value::Bool(b) => Value::Bool(*b),
            _ => Value::Null,
        },
        "date" => match v {
            Value::String(s) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Value::String(human_duration(
                    now.signed_duration_since(t.with_timezone(&Utc)),
                )),
                Err(_) => Value::String("<invalid>".into()),
            },
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// apimachinery `duration.HumanDuration`: `5s`, `3m20s`, `45m`, `2h30m`, `3d4h`, `2y10d`.
pub fn human_duration(d: chrono::Duration) -> String {
    let seconds = d.num_seconds();
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The field-selector labels of a custom resource and their values (`GetAttrs`):
/// `metadata.name`, `metadata.namespace` when namespaced, and each selectable field's
/// JSONPath without the leading dot, valued with Go `fmt.Sprint` (`""` when missing).
pub fn selectable_field_values(
    obj: &Value,
    selectable_fields: &[String],
    namespaced: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    out.insert("metadata.name".to_string(), text("/metadata/name"));
    if namespaced {
        out.insert(
            "metadata.namespace".to_string(),
            text("/metadata/namespace"),
        );
    }
    for json_path in selectable_fields {
        let label = json_path.trim_start_matches('.').to_string();
        let value = JsonPath::parse(json_path)
            .ok()
            .and_then(|p| p.first(obj).cloned())
            .filter(|v| !v.is_null())
            .map(|v| gofmt::sprint(&v))
            .unwrap_or_default();
        out.insert(label, value);
    }
    out
}

/// The `jsonPath`s of a CRD version's `selectableFields`.
pub fn selectable_fields_for_version(crd: &Value, version: &str) -> Vec<String> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        })
        .and_then(|v| v.get("selectableFields"))
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| {
                    f.get("jsonPath")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-10T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn default_age_column() {
        let crd = json!({"spec": {"versions": [{"name": "v1"}]}});
        let cols = columns_for_version(&crd, "v1");
        let defs = column_definitions(&cols);
        assert_eq!(defs.len(), 2);
        assert_eq!(
            defs[1],
            json!({"name": "Age", "type": "date", "format": "", "description": CREATION_TIMESTAMP_DESCRIPTION, "priority": 0})
        );
        let obj = json!({"metadata": {"name": "a", "creationTimestamp": "2024-01-10T11:55:00Z"}});
        assert_eq!(row_cells(&obj, &cols, now()), vec![json!("a"), json!("5m")]);
    }

    #[test]
    fn typed_cells() {
        let crd = json!({"spec": {"versions": [{"name": "v1", "additionalPrinterColumns": [
            {"name": "I", "type": "integer", "jsonPath": ".spec.i"},
            {"name": "N", "type": "number", "jsonPath": ".spec.n"},
            {"name": "B", "type": "boolean", "jsonPath": ".spec.b"},
            {"name": "S", "type": "string", "jsonPath": ".spec.obj"},
            {"name": "D", "type": "date", "jsonPath": ".spec.d"},
            {"name": "Missing", "type": "string", "jsonPath": ".spec.nope"},
            {"name": "Wrong", "type": "boolean", "jsonPath": ".spec.i", "priority": 1}
        ]}]}});
        let cols = columns_for_version(&crd, "v1");
        let obj = json!({"metadata": {"name": "x"}, "spec": {"i": 2.7, "n": 3, "b": true, "obj": {"k": 1}, "d": "bad"}});
        assert_eq!(
            row_cells(&obj, &cols, now()),
            vec![
                json!("x"),
                json!(2),
                json!(3.0),
                json!(true),
                json!("map[k:1]"),
                json!("<invalid>"),
                Value::Null,
                Value::Null
            ]
        );
        assert_eq!(column_definitions(&cols)[7]["priority"], json!(1));
    }

    #[test]
    fn human_durations() {
        let d = chrono::Duration::seconds;
        assert_eq!(human_duration(d(5)), "5s");
        assert_eq!(human_duration(d(119)), "119s");
        assert_eq!(human_duration(d(200)), "3m20s");
        assert_eq!(human_duration(d(3600 * 2 + 60 * 30)), "150m");
        assert_eq!(human_duration(d(3600 * 3 + 60 * 30)), "3h30m");
        assert_eq!(human_duration(d(3600 * 30)), "30h");
        assert_eq!(human_duration(d(3600 * 24 * 3 + 3600 * 4)), "3d4h");
        assert_eq!(human_duration(d(3600 * 24 * 30)), "30d");
        assert_eq!(human_duration(d(3600 * 24 * 740)), "2y10d");
        assert_eq!(human_duration(d(-10)), "<invalid>");
    }

    #[test]
    fn selectable_fields() {
        let crd = json!({"spec": {"versions": [{"name": "v1", "selectableFields": [{"jsonPath": ".spec.color"}, {"jsonPath": ".spec.size"}, {"jsonPath": ".spec.on"}]}]}});
        let fields = selectable_fields_for_version(&crd, "v1");
        let obj =
            json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"size": 5, "on": true}});
        let values = selectable_field_values(&obj, &fields, true);
        assert_eq!(values["spec.color"], "");
        assert_eq!(values["spec.size"], "5");
        assert_eq!(values["spec.on"], "true");
        assert_eq!(values["metadata.namespace"], "ns");
        assert!(selectable_fields_for_version(&crd, "v2").is_empty());
    }
}
