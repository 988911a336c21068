//! A small typed decoder over `serde_json::Value` that mimics Go's `encoding/json` strict
//! decoding into Kubernetes structs: type mismatches become Go-style decode errors and
//! unknown fields are collected as paths (`spec.foo`) for warnings or Strict rejections.

use serde_json::{Map, Value};

/// Decoding state: the current field path, the unknown fields seen, the first type error.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    path: Vec<String>,
    /// Unknown field paths, in encounter order.
    pub unknown: Vec<String>,
    /// The first type error (Go keeps decoding and reports the first one).
    pub error: Option<String>,
}

/// The JSON type names Go uses in `cannot unmarshal <type>` errors.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Runs `f` with `segment` pushed on the path.
    pub fn at<T>(&mut self, segment: &str, f: impl FnOnce(&mut Decoder) -> T) -> T {
        self.path.push(segment.to_string());
        let out = f(self);
        self.path.pop();
        out
    }

    /// Runs `f` with `[index]` appended to the last path segment.
    pub fn at_index<T>(&mut self, index: usize, f: impl FnOnce(&mut Decoder) -> T) -> T {
        let saved = self.path.pop();
        let base = saved.clone().unwrap_or_default();
        self.path.push(format!("{base}[{index}]"));
        let out = f(self);
        self.path.pop();
        if let Some(saved) = saved {
            self.path.push(saved);
        }
        out
    }

    /// The current path joined with dots.
    pub fn path_string(&self) -> String {
        self.path.join(".")
    }

    /// Records a type error (first one wins).
    pub fn type_error(&mut self, struct_name: &str, value: &Value, go_type: &str) {
        if self.error.is_none() {
            let field = self.path_string();
            self.error = Some(format!(
                "json: cannot unmarshal {} into Go struct field {struct_name}.{field} of type {go_type}",
                json_kind(value)
            ));
        }
    }

    /// Records every key of `map` not in `known` as an unknown field.
    pub fn check_known(&mut self, map: &Map<String, Value>, known: &[&str]) {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let prefix = self.path_string();
                self.unknown.push(if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                });
            }
        }
    }

    /// Decodes an object; `null` or absent gives `None`, a non-object a type error.
    pub fn object<'v>(
        &mut self,
        struct_name: &str,
        value: Option<&'v Value>,
        go_type: &str,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(other) => {
                self.type_error(struct_name, other, go_type);
                None
            }
        }
    }

    /// Decodes a string field of `map`.
    pub fn string(&mut self, struct_name: &str, map: &Map<String, Value>, key: &str) -> String {
        self.opt_string(struct_name, map, key).unwrap_or_default()
    }

    /// Decodes an optional string field of `map`.
    pub fn opt_string(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Option<String> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, "string"));
                None
            }
        }
    }

    /// Decodes a boolean field of `map`.
    pub fn boolean(&mut self, struct_name: &str, map: &Map<String, Value>, key: &str) -> bool {
        self.opt_bool(struct_name, map, key).unwrap_or(false)
    }

    /// Decodes an optional boolean field of `map`.
    pub fn opt_bool(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Option<bool> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, "bool"));
                None
            }
        }
    }

    /// Decodes an optional integer field of `map` (`go_type` is e.g. `int64`).
    pub fn opt_int(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
        go_type: &str,
    ) -> Option<i64> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, go_type));
                None
            }
        }
    }

    /// Decodes an optional float field of `map`.
    pub fn opt_float(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Option<f64> {
        match map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, "float64"));
                None
            }
        }
    }

    /// Decodes a list of strings field of `map`.
    pub fn strings(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
    ) -> Vec<String> {
        match map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Null => out.push(String::new()),
                        other => self.at(key, |d| {
                            d.at_index(i, |d| d.type_error(struct_name, other, "string"))
                        }),
                    }
                }
                out
            }
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, "[]string"));
                Vec::new()
            }
        }
    }

    /// Decodes an array field of `map`, calling `item` per element.
    pub fn list<T>(
        &mut self,
        struct_name: &str,
        map: &Map<String, Value>,
        key: &str,
        go_type: &str,
        mut item: impl FnMut(&mut Decoder, &Value) -> Option<T>,
    ) -> Vec<T> {
        match map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => self.at(key, |d| {
                let mut out = Vec::with_capacity(items.len());
                for (i, value) in items.iter().enumerate() {
                    if let Some(decoded) = d.at_index(i, |d| item(d, value)) {
                        out.push(decoded);
                    }
                }
                out
            }),
            Some(other) => {
                self.at(key, |d| d.type_error(struct_name, other, go_type));
                Vec::new()
            }
        }
    }
}
