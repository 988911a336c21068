//! `metadata.managedFields`: decoding, identity of entries, ordering, encoding
//! (apimachinery's `managedfields/internal/managedfields.go`, `capmanagers.go`).

use crate::error::{Error, Result};
use crate::fieldpath::FieldSet;
use crate::value;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Most `Update` entries kept before the oldest are merged into `ancient-changes`.
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// The `operation` of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Create, update (PUT) or a non-apply patch.
    Update,
}

impl Operation {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `metadata.managedFields[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedFieldsEntry {
    /// The field manager (`"unknown"` when a request named none).
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// The API version the fields were set through.
    pub api_version: String,
    /// When the manager last changed something (RFC 3339 seconds on the wire).
    pub time: Option<DateTime<Utc>>,
    /// `""` for the main resource, else e.g. `"status"`.
    pub subresource: String,
    /// The owned fields.
    pub fields: FieldSet,
}

impl ManagedFieldsEntry {
    /// The identity of the entry: a JSON text of manager, operation, apiVersion
    /// (Update only) and subresource, exactly as upstream builds it. Conflict
    /// messages sort managers by this string.
    pub fn identifier(&self) -> String {
        manager_identifier(
            &self.manager,
            self.operation,
            &self.api_version,
            &self.subresource,
        )
    }

    /// The entry as upstream serializes it (`manager, operation, apiVersion,
    /// time, fieldsType, fieldsV1, subresource`).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.manager.is_empty() {
            m.insert("manager".into(), Value::String(self.manager.clone()));
        }
        m.insert(
            "operation".into(),
            Value::String(self.operation.as_str().into()),
        );
        if !self.api_version.is_empty() {
            m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        }
        if let Some(t) = self.time {
            m.insert("time".into(), Value::String(format_time(t)));
        }
        m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if !self.subresource.is_empty() {
            m.insert(
                "subresource".into(),
                Value::String(self.subresource.clone()),
            );
        }
        Value::Object(m)
    }
}

/// `metav1.Time` wire format: RFC 3339, UTC, whole seconds.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The identifier of a manager (`BuildManagerIdentifier`): `{"manager":"m","operation":"Apply"}`,
/// `{"manager":"m","operation":"Update","apiVersion":"v1","subresource":"status"}`.
pub fn manager_identifier(
    manager: &str,
    operation: Operation,
    api_version: &str,
    subresource: &str,
) -> String {
    let mut out = String::from("{");
    let mut first = true;
    let mut field = |out: &mut String, name: &str, v: &str| {
        if v.is_empty() {
            return;
        }
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        value::write_go_json_string(out, v);
    };
    field(&mut out, "manager", manager);
    field(&mut out, "operation", operation.as_str());
    if operation == Operation::Update {
        field(&mut out, "apiVersion", api_version);
    }
    field(&mut out, "subresource", subresource);
    out.push('}');
    out
}

/// How a manager is named in conflict messages: `"m"`, `"m" using v1`,
/// `"m" with subresource "status" using v1`.
pub(crate) fn describe_manager(identifier: &str) -> String {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(identifier) else {
        return value::go_quote(identifier);
    };
    let get = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("");
    let mut out = value::go_quote(get("manager"));
    if !get("subresource").is_empty() {
        out.push_str(" with subresource ");
        out.push_str(&value::go_quote(get("subresource")));
    }
    if get("operation") == "Update" {
        out.push_str(" using ");
        out.push_str(get("apiVersion"));
    }
    out
}

/// The decoded `metadata.managedFields` of an object, keyed by manager identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManagedFields {
    pub(crate) entries: BTreeMap<String, ManagedFieldsEntry>,
}

impl ManagedFields {
    /// No entries.
    pub fn new() -> ManagedFields {
        ManagedFields::default()
    }

    /// True when no manager owns anything.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Decodes a `managedFields` list with upstream's checks (operation,
    /// apiVersion, fieldsType, fieldsV1). Later duplicates of an identity win.
    pub fn decode(list: &Value) -> Result<ManagedFields> {
        let bad = |message: String| Error::ManagedFieldsDecode { message };
        let items = match list {
            Value::Null => return Ok(ManagedFields::new()),
            Value::Array(items) => items,
            _ => return Err(bad("managedFields must be a list".into())),
        };
        let mut out = ManagedFields::new();
        for (i, item) in items.iter().enumerate() {
            let Value::Object(m) = item else {
                return Err(bad(format!("managed fields entry {i} is not an object")));
            };
            let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("");
            let operation = match text("operation") {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                _ => return Err(bad("operation must be `Apply` or `Update`".into())),
            };
            if text("apiVersion").is_empty() {
                return Err(bad("apiVersion must not be empty".into()));
            }
            match text("fieldsType") {
                "FieldsV1" => {}
                "" => {
                    return Err(bad(format!(
                        "missing fieldsType in managed fields entry {i}"
                    )))
                }
                other => {
                    return Err(bad(format!(
                        "invalid fieldsType {} in managed fields entry {i}",
                        value::go_quote(other)
                    )))
                }
            }
            let fields = match m.get("fieldsV1") {
                None | Some(Value::Null) => FieldSet::new(),
                Some(f) => FieldSet::from_fields_v1(f).map_err(|e| {
                    bad(format!("error decoding versioned set from entry {i}: {e}"))
                })?,
            };
            let time = match m.get("time") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|e| bad(format!("invalid time in managed fields entry {i}: {e}")))?
                        .with_timezone(&Utc),
                ),
                Some(_) => return Err(bad(format!("invalid time in managed fields entry {i}"))),
            };
            let entry = ManagedFieldsEntry {
                manager: text("manager").to_string(),
                operation,
                api_version: text("apiVersion").to_string(),
                time,
                subresource: text("subresource").to_string(),
                fields,
            };
            out.entries.insert(entry.identifier(), entry);
        }
        Ok(out)
    }

    /// Decodes `metadata.managedFields` of an object (absent = empty).
    pub fn from_object(obj: &Value) -> Result<ManagedFields> {
        match obj.get("metadata").and_then(|m| m.get("managedFields")) {
            Some(list) => ManagedFields::decode(list),
            None => Ok(ManagedFields::new()),
        }
    }

    /// The entries in upstream order: `Apply` before `Update`, then by time
    /// (seconds), manager, apiVersion, subresource.
    pub fn entries(&self) -> Vec<&ManagedFieldsEntry> {
        let mut v: Vec<&ManagedFieldsEntry> = self.entries.values().collect();
        v.sort_by(|p, q| {
            p.operation
                .cmp(&q.operation)
                .then_with(|| {
                    let secs = |e: &ManagedFieldsEntry| e.time.map(|t| t.timestamp()).unwrap_or(0);
                    secs(p).cmp(&secs(q))
                })
                .then_with(|| p.manager.cmp(&q.manager))
                .then_with(|| p.api_version.cmp(&q.api_version))
                .then_with(|| p.subresource.cmp(&q.subresource))
        });
        v
    }

    /// The entry of a manager identity.
    pub fn get(&self, identifier: &str) -> Option<&ManagedFieldsEntry> {
        self.entries.get(identifier)
    }

    /// The `managedFields` list, or `None` when there are no entries (the key is then removed).
    pub fn encode(&self) -> Option<Value> {
        if self.entries.is_empty() {
            return None;
        }
        Some(Value::Array(
            self.entries().into_iter().map(|e| e.to_json()).collect(),
        ))
    }

    /// Writes the encoded list into `obj.metadata.managedFields` (removing the key when empty).
    pub fn write_to(&self, obj: &mut Value) {
        let Value::Object(root) = obj else { return };
        match self.encode() {
            Some(list) => {
                let meta = root
                    .entry("metadata")
                    .or_insert_with(|| Value::Object(Map::new()));
                if !meta.is_object() {
                    *meta = Value::Object(Map::new());
                }
                if let Value::Object(meta) = meta {
                    meta.insert("managedFields".into(), list);
                }
            }
            None => {
                if let Some(Value::Object(meta)) = root.get_mut("metadata") {
                    meta.remove("managedFields");
                }
            }
        }
    }

    /// Merges the oldest `Update` entries into `ancient-changes` buckets (one per
    /// apiVersion) until at most `max` `Update` entries remain (`capmanagers.go`).
    pub(crate) fn cap_update_managers(&mut self, max: usize) {
        let mut updaters: Vec<(i64, String)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.operation == Operation::Update)
            .map(|(id, e)| (e.time.map(|t| t.timestamp()).unwrap_or(0), id.clone()))
            .collect();
        if updaters.len() <= max {
            return;
        }
        updaters.sort();
        let mut first_of_version: BTreeMap<String, String> = BTreeMap::new();
        let mut length = updaters.len();
        for (_, id) in updaters {
            if length <= max {
                break;
            }
            let Some(entry) = self.entries.get(&id).cloned() else {
                continue;
            };
            let version = entry.api_version.clone();
            let bucket = manager_identifier("ancient-changes", Operation::Update, &version, "");
            match first_of_version.get(&version) {
                Some(first) => {
                    if !self.entries.contains_key(&bucket) {
                        if let Some(mut moved) = self.entries.remove(first) {
                            moved.manager = "ancient-changes".into();
                            moved.subresource = String::new();
                            self.entries.insert(bucket.clone(), moved);
                        }
                    }
                    if let Some(b) = self.entries.get_mut(&bucket) {
                        b.fields = entry.fields.union(&b.fields);
                        b.api_version = version;
                        b.time = entry.time;
                    }
                    self.entries.remove(&id);
                    length -= 1;
                }
                None => {
                    first_of_version.insert(version, id);
                }
            }
        }
    }
}

/// True when a request's `managedFields` asks to reset tracking: an empty list,
/// or a list holding one empty entry.
pub fn is_reset(list: &Value) -> bool {
    match list {
        Value::Array(items) if items.is_empty() => true,
        Value::Array(items) if items.len() == 1 => match &items[0] {
            Value::Object(m) => m.values().all(|v| match v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            }),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers_and_manager_texts() {
        let apply = manager_identifier("kubectl", Operation::Apply, "apps/v1", "");
        assert_eq!(apply, r#"{"manager":"kubectl","operation":"Apply"}"#);
        let update = manager_identifier("m", Operation::Update, "v1", "status");
        assert_eq!(
            update,
            r#"{"manager":"m","operation":"Update","apiVersion":"v1","subresource":"status"}"#
        );
        assert_eq!(describe_manager(&apply), "\"kubectl\"");
        assert_eq!(
            describe_manager(&update),
            "\"m\" with subresource \"status\" using v1"
        );
        assert_eq!(
            describe_manager(&manager_identifier("m", Operation::Update, "v1", "")),
            "\"m\" using v1"
        );
    }

    #[test]
    fn decode_encode_orders_entries() {
        let list = json!([
            {"manager": "b", "operation": "Update", "apiVersion": "v1", "time": "2024-05-01T10:00:05Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:b": {}}}},
            {"manager": "a", "operation": "Update", "apiVersion": "v1", "time": "2024-05-01T10:00:05+00:00",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}},
            {"manager": "z", "operation": "Apply", "apiVersion": "v1", "time": "2024-05-01T11:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:z": {}}}, "subresource": "status"}
        ]);
        let mf = ManagedFields::decode(&list).expect("decodes");
        let encoded = mf.encode().expect("entries");
        let managers: Vec<&str> = encoded
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["manager"].as_str())
            .collect();
        assert_eq!(managers, ["z", "a", "b"]);
        assert_eq!(encoded[1]["time"], "2024-05-01T10:00:05Z");
        assert_eq!(
            encoded[0],
            json!({"manager":"z","operation":"Apply","apiVersion":"v1","time":"2024-05-01T11:00:00Z",
                   "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:z":{}}},"subresource":"status"})
        );
    }

    #[test]
    fn decode_rejects_bad_entries() {
        for (entry, message) in [
            (json!({"manager": "m", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"}),
             "failed to decode managed fields: operation must be `Apply` or `Update`"),
            (json!({"manager": "m", "operation": "Update", "fieldsType": "FieldsV1"}),
             "failed to decode managed fields: apiVersion must not be empty"),
            (json!({"manager": "m", "operation": "Update", "apiVersion": "v1"}),
             "failed to decode managed fields: missing fieldsType in managed fields entry 0"),
            (json!({"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"}),
             "failed to decode managed fields: invalid fieldsType \"FieldsV2\" in managed fields entry 0"),
        ] {
            let err = ManagedFields::decode(&json!([entry])).expect_err("invalid");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn reset_requests() {
        assert!(is_reset(&json!([])));
        assert!(is_reset(&json!([{}])));
        assert!(!is_reset(&json!([{"manager": "m"}])));
        assert!(!is_reset(&json!(null)));
    }

    #[test]
    fn capping_merges_oldest_updates_per_version() {
        let mut mf = ManagedFields::new();
        for i in 0..12 {
            let mut fields = FieldSet::new();
            fields.insert(&[crate::fieldpath::PathElement::field(format!("f{i}"))]);
            let e = ManagedFieldsEntry {
                manager: format!("m{i:02}"),
                operation: Operation::Update,
                api_version: "v1".into(),
                time: DateTime::from_timestamp(1_700_000_000 + i, 0),
                subresource: String::new(),
                fields,
            };
            mf.entries.insert(e.identifier(), e);
        }
        mf.cap_update_managers(MAX_UPDATE_MANAGERS);
        assert_eq!(mf.entries.len(), 10);
        let bucket = mf
            .get(&manager_identifier(
                "ancient-changes",
                Operation::Update,
                "v1",
                "",
            ))
            .expect("bucket");
        assert_eq!(bucket.fields.paths().len(), 3);
        assert_eq!(bucket.time, DateTime::from_timestamp(1_700_000_002, 0));
        assert!(mf
            .get(&manager_identifier("m03", Operation::Update, "v1", ""))
            .is_some());
    }
}
