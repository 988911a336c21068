//! Stored objects: the parsed value plus its serialized bytes.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::json;

/// Identity of an object in storage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// `<group>/<resource>` of the storage (shared by all served versions).
    pub storage_id: Arc<str>,
    /// Namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// A key.
    pub fn new(storage_id: Arc<str>, namespace: &str, name: &str) -> Self {
        ObjectKey {
            storage_id,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The ordered map key: `<storage_id>\0<namespace>\0<name>`.
    pub fn storage_key(&self) -> String {
        storage_key(&self.storage_id, &self.namespace, &self.name)
    }
}

/// Build a map key.
pub fn storage_key(storage_id: &str, namespace: &str, name: &str) -> String {
    let mut k = String::with_capacity(storage_id.len() + namespace.len() + name.len() + 2);
    k.push_str(storage_id);
    k.push('\0');
    k.push_str(namespace);
    k.push('\0');
    k.push_str(name);
    k
}

/// Prefix of all keys of one storage (optionally one namespace).
pub fn storage_prefix(storage_id: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{storage_id}\0{ns}\0"),
        None => format!("{storage_id}\0"),
    }
}

/// Split a storage key into (namespace, name).
pub fn split_key(key: &str) -> (&str, &str) {
    let mut parts = key.splitn(3, '\0');
    let _ = parts.next();
    let ns = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    (ns, name)
}

/// One stored object.
#[derive(Debug)]
pub struct StoredObject {
    /// Parsed object (with kind, apiVersion, metadata.resourceVersion).
    pub value: Value,
    /// Serialized JSON: `{"kind":…,"apiVersion":…,<rest>}`.
    pub bytes: Bytes,
    /// Offset in `bytes` where `<rest>` starts (items of typed lists omit kind/apiVersion).
    pub rest_offset: usize,
    /// The revision that wrote it.
    pub rev: u64,
}

impl StoredObject {
    /// Serialize a value.
    pub fn new(value: Value, rev: u64) -> Self {
        let (bytes, rest_offset) = json::encode_object(&value);
        StoredObject {
            value,
            bytes: Bytes::from(bytes),
            rest_offset,
            rev,
        }
    }

    /// Bytes without `kind`/`apiVersion` (built-in list items): write `{` then this.
    pub fn rest_bytes(&self) -> &[u8] {
        &self.bytes[self.rest_offset..]
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> &str {
        self.value
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Set `metadata.resourceVersion`.
pub fn set_resource_version(value: &mut Value, rev: u64) {
    if let Some(obj) = value.as_object_mut() {
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("resourceVersion".into(), Value::String(rev.to_string()));
        }
    }
}
