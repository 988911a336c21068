//! Canonical JSON encoding of objects: `kind`, `apiVersion`, `metadata` (in
//! ObjectMeta field order) first, then the other top-level fields, `spec` and
//! `status` last — the shape Go's struct encoding gives.

use serde_json::{Map, Value};

const META_ORDER: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json cannot fail writing a &str into a Vec.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    let _ = serde_json::to_writer(&mut *out, v);
}

fn write_entry(out: &mut Vec<u8>, first: &mut bool, key: &str, value: &Value) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    write_str(out, key);
    out.push(b':');
    write_value(out, value);
}

fn write_metadata(out: &mut Vec<u8>, meta: &Map<String, Value>) {
    out.push(b'{');
    let mut first = true;
    for key in META_ORDER {
        if let Some(v) = meta.get(*key) {
            write_entry(out, &mut first, key, v);
        }
    }
    for (k, v) in meta {
        if !META_ORDER.contains(&k.as_str()) {
            write_entry(out, &mut first, k, v);
        }
    }
    out.push(b'}');
}

/// Encode an object; returns the bytes and the offset of the part after
/// `kind`/`apiVersion` (see [`crate::store::StoredObject::rest_bytes`]).
pub fn encode_object(value: &Value) -> (Vec<u8>, usize) {
    let Some(obj) = value.as_object() else {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        return (bytes, 1);
    };
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    let mut first = true;
    for key in ["kind", "apiVersion"] {
        if let Some(v) = obj.get(key) {
            write_entry(&mut out, &mut first, key, v);
        }
    }
    let rest_keys: Vec<&String> = {
        let mut keys: Vec<&String> = obj
            .keys()
            .filter(|k| {
                !matches!(
                    k.as_str(),
                    "kind" | "apiVersion" | "metadata" | "spec" | "status"
                )
            })
            .collect();
        keys.sort();
        keys
    };
    let has_rest = obj.contains_key("metadata")
        || !rest_keys.is_empty()
        || obj.contains_key("spec")
        || obj.contains_key("status");
    let mut rest_offset = out.len();
    if has_rest && !first {
        out.push(b',');
        rest_offset = out.len();
        first = true;
    }
    if let Some(meta) = obj.get("metadata") {
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(&mut out, "metadata");
        out.push(b':');
        match meta.as_object() {
            Some(m) => write_metadata(&mut out, m),
            None => write_value(&mut out, meta),
        }
    }
    for key in rest_keys {
        write_entry(&mut out, &mut first, key, &obj[key]);
    }
    for key in ["spec", "status"] {
        if let Some(v) = obj.get(key) {
            write_entry(&mut out, &mut first, key, v);
        }
    }
    out.push(b'}');
    (out, rest_offset)
}

/// Encode any value compactly with a trailing newline (Go's json.Encoder).
pub fn to_body(value: &Value) -> Vec<u8> {
    let (mut bytes, _) = if value.get("kind").is_some() && value.get("metadata").is_some() {
        encode_object(value)
    } else {
        (serde_json::to_vec(value).unwrap_or_default(), 0)
    };
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_fields_come_in_go_struct_order() {
        let v = json!({"data":{"a":"b"},"metadata":{"uid":"u","name":"n","labels":{"x":"y"}},"apiVersion":"v1","kind":"ConfigMap"});
        let (bytes, off) = encode_object(&v);
        let s = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            s,
            r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"n","uid":"u","labels":{"x":"y"}},"data":{"a":"b"}}"#
        );
        let item = format!("{{{}", std::str::from_utf8(&bytes[off..]).unwrap());
        assert_eq!(
            item,
            r#"{"metadata":{"name":"n","uid":"u","labels":{"x":"y"}},"data":{"a":"b"}}"#
        );
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
    }

    #[test]
    fn spec_and_status_come_last() {
        let v =
            json!({"kind":"Pod","apiVersion":"v1","metadata":{},"status":{},"spec":{},"zeta":1});
        let (bytes, _) = encode_object(&v);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{},"zeta":1,"spec":{},"status":{}}"#
        );
    }
}

/// Parse a JSON document into a [`Value`], also reporting keys that occur more
/// than once in one object (the last occurrence wins, as in Go), by path:
/// `metadata.name`, `spec.containers[0].image` — the fields Kubernetes' strict
/// decoding reports as `duplicate field "<path>"`.
pub fn parse_with_duplicates(body: &[u8]) -> Result<(Value, Vec<String>), serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut duplicates = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = Tracking {
        at: None,
        duplicates: &mut duplicates,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok((value, duplicates))
}

/// Where a value sits: a chain of keys and indices up to the root, rendered only for
/// the rare duplicate (parsing allocates nothing for paths otherwise).
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    step: Step<'p>,
}

enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut out = self.parent.map(Path::render).unwrap_or_default();
        match self.step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
        out
    }
}

struct Tracking<'a, 'p> {
    at: Option<&'p Path<'p>>,
    duplicates: &'a mut Vec<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Tracking<'_, '_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Tracking<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let here = Path {
                parent: self.at,
                step: Step::Index(items.len()),
            };
            let seed = Tracking {
                at: Some(&here),
                duplicates: &mut *self.duplicates,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let here = Path {
                parent: self.at,
                step: Step::Key(&key),
            };
            let value = map.next_value_seed(Tracking {
                at: Some(&here),
                duplicates: &mut *self.duplicates,
            })?;
            let path = out.contains_key(&key).then(|| here.render());
            out.insert(key, value);
            if let Some(path) = path.filter(|p| !self.duplicates.contains(p)) {
                self.duplicates.push(path);
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_reported_by_path_and_the_last_wins() {
        let (value, duplicates) = parse_with_duplicates(
            br#"{"metadata":{"name":"a","name":"b"},"spec":{"c":[{"x":1,"x":2}]},"k":1,"k":2}"#,
        )
        .unwrap();
        assert_eq!(value["metadata"]["name"], "b");
        assert_eq!(value["spec"]["c"][0]["x"], 2);
        assert_eq!(duplicates, vec!["metadata.name", "spec.c[0].x", "k"]);
        assert_eq!(
            parse_with_duplicates(br#"{"a":1.5,"b":null,"c":[true]}"#).unwrap(),
            (serde_json::json!({"a":1.5,"b":null,"c":[true]}), vec![])
        );
        assert!(parse_with_duplicates(b"{} x").is_err());
    }
}
