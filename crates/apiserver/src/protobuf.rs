//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`),
//! decoded into the JSON object a JSON client would have sent, so the normal
//! write pipeline runs on them.
//!
//! The body is the `k8s\0` magic followed by a `runtime.Unknown` envelope
//! (`typeMeta{apiVersion, kind}`, `raw`, `contentEncoding`, `contentType`);
//! `raw` is the object's message. The decoder is schema driven:
//! - field numbers and wire kinds come from the k8s-pb prost declarations,
//!   turned into a table at build time (`build.rs`, [`MessageSpec`]);
//! - JSON property names come from the OpenAPI schemas of [`crate::schemas`]
//!   (prost's snake-cased identifiers are matched case- and punctuation-
//!   insensitively, which recovers `podIPs`, `hostIPC`, `$ref`, `x-kubernetes-*`);
//! - apimachinery's special types get their JSON forms: `Time` (RFC 3339,
//!   seconds), `MicroTime` (microseconds), `Duration` (Go duration string),
//!   `Quantity` (string), `IntOrString`, `RawExtension`/`FieldsV1`/`JSON`
//!   (embedded JSON bytes), and the apiextensions `JSONSchemaPropsOr*` unions.
//!
//! Presence follows Go: generated Go marshalling writes every non-pointer
//! field, so a scalar holding its zero value (`""`, `0`, `false`) is treated as
//! unset (Go's JSON `omitempty` drops it too), while nested messages are kept
//! (`"status": {}`), a zero `Time` is `null`, and absent fields stay absent.
//! Deviation: an explicit zero in a Go *pointer* field (`replicas: 0`) cannot
//! be told apart from an unset non-pointer field and is dropped as well.

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{Map, Number, Value};

/// The Kubernetes protobuf media type.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The envelope's magic prefix (`k8s\0`).
pub const MAGIC: &[u8] = b"k8s\0";

/// Deepest message nesting accepted (recursive JSONSchemaProps in CRDs).
const MAX_DEPTH: usize = 160;

/// How a field is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 string.
    String,
    /// Bytes (JSON: base64).
    Bytes,
    /// Boolean.
    Bool,
    /// int32 varint.
    Int32,
    /// int64 varint.
    Int64,
    /// uint32 varint.
    Uint32,
    /// uint64 varint.
    Uint64,
    /// 64-bit float.
    Double,
    /// 32-bit float.
    Float,
    /// A nested message (its lookup key).
    Message(&'static str),
    /// `map<string, V>` (entries are messages {1: key, 2: value}).
    Map(&'static Kind),
}

/// One field of a message.
#[derive(Debug)]
pub struct FieldSpec {
    /// Field number.
    pub tag: u32,
    /// prost's identifier (snake case of the proto field name).
    pub ident: &'static str,
    /// Encoding.
    pub kind: Kind,
    /// `repeated`.
    pub repeated: bool,
}

/// One message: its lookup key (`io.k8s.api.core.v1.pod`) and fields by tag.
#[derive(Debug)]
pub struct MessageSpec {
    /// OpenAPI component name with the type name in lower case.
    pub name: &'static str,
    /// Fields, sorted by tag.
    pub fields: &'static [FieldSpec],
}

mod generated {
    use super::{FieldSpec, Kind, MessageSpec};
    include!(concat!(env!("OUT_DIR"), "/proto_messages.rs"));
}

/// Every message known to the decoder, sorted by key.
pub fn messages() -> &'static [MessageSpec] {
    generated::MESSAGES
}

/// A body that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(message.into()))
}

/// The lookup key of an OpenAPI component name (`io.k8s.api.core.v1.Pod` → `…v1.pod`).
pub fn message_key(component: &str) -> String {
    match component.rsplit_once('.') {
        Some((package, name)) => format!("{package}.{}", name.to_ascii_lowercase()),
        None => component.to_ascii_lowercase(),
    }
}

/// The message for an OpenAPI component name.
pub fn message(component: &str) -> Option<&'static MessageSpec> {
    let key = message_key(component);
    let all = messages();
    all.binary_search_by(|m| m.name.cmp(key.as_str()))
        .ok()
        .map(|i| &all[i])
}

fn message_by_key(key: &str) -> Option<&'static MessageSpec> {
    let all = messages();
    all.binary_search_by(|m| m.name.cmp(key))
        .ok()
        .map(|i| &all[i])
}

/// The decoded envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// `typeMeta.apiVersion`.
    pub api_version: String,
    /// `typeMeta.kind`.
    pub kind: String,
    /// The object's message bytes.
    pub raw: &'a [u8],
}

/// Parse the `k8s\0` + `runtime.Unknown` envelope.
pub fn envelope(body: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    let Some(unknown) = body.strip_prefix(MAGIC) else {
        return err(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
        );
    };
    let mut out = Envelope {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
    };
    for field in Fields::new(unknown) {
        let (tag, wire) = field?;
        match (tag, wire) {
            (1, Wire::Bytes(type_meta)) => {
                for field in Fields::new(type_meta) {
                    match field? {
                        (1, Wire::Bytes(v)) => out.api_version = text(v),
                        (2, Wire::Bytes(v)) => out.kind = text(v),
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(raw)) => out.raw = raw,
            (3, Wire::Bytes(encoding)) if !encoding.is_empty() => {
                return err(format!(
                    "unsupported protobuf content encoding {:?}",
                    text(encoding)
                ))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// How fields holding their zero value are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Objects: zero scalars are Go non-pointer fields, omitted (see the module docs).
    GoStruct,
    /// Option messages whose scalars are all Go pointers (DeleteOptions): a
    /// written field is set, even to zero (`gracePeriodSeconds: 0`).
    Explicit,
}

/// Decode a request body holding an object whose OpenAPI component is
/// `component` (e.g. `io.k8s.api.core.v1.Namespace`). The envelope's
/// apiVersion/kind are put on the object; when its kind is not `expected_kind`
/// only those are returned (the caller reports the mismatch).
pub fn decode_object(
    body: &[u8],
    component: &str,
    expected_kind: &str,
    presence: Presence,
) -> Result<Value, DecodeError> {
    let envelope = envelope(body)?;
    let mut object = Map::new();
    if envelope.kind.is_empty() || envelope.kind == expected_kind {
        let Some(spec) = message(component) else {
            return err(format!("no protobuf message is known for {component}"));
        };
        match decode_message(spec, envelope.raw, 0, presence)? {
            Value::Object(fields) => object = fields,
            _ => return err(format!("{component} is not an object message")),
        }
    }
    if !envelope.api_version.is_empty() {
        object.insert("apiVersion".into(), Value::String(envelope.api_version));
    }
    if !envelope.kind.is_empty() {
        object.insert("kind".into(), Value::String(envelope.kind));
    }
    Ok(Value::Object(object))
}

/// Decode one message into its JSON form.
pub fn decode_message(
    spec: &'static MessageSpec,
    buf: &[u8],
    depth: usize,
    presence: Presence,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return err(format!("exceeded max nesting depth {MAX_DEPTH}"));
    }
    if let Some(special) = special(spec, buf, depth, presence)? {
        return Ok(special);
    }
    let names = json_names(spec);
    let mut out = Map::new();
    let mut set_scalars: Vec<usize> = Vec::new();
    for field in Fields::new(buf) {
        let (tag, wire) = field?;
        let Ok(index) = spec.fields.binary_search_by_key(&tag, |f| f.tag) else {
            continue; // unknown fields are skipped, as proto decoders do
        };
        let field = &spec.fields[index];
        let name = match &names[index] {
            FieldName::Json(name) => name.as_str(),
            FieldName::Inline => {
                // An embedded Go struct (`json:",inline"`): its fields join the parent's.
                if let Value::Object(fields) =
                    single_value(spec, field, field.kind, wire, depth, presence)?
                {
                    out.extend(fields);
                }
                continue;
            }
        };
        if let Kind::Map(value_kind) = field.kind {
            let Wire::Bytes(entry) = wire else {
                return err(wire_error(spec, field));
            };
            let (key, value) = map_entry(spec, field, value_kind, entry, depth, presence)?;
            if let Value::Object(map) = out
                .entry(name.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
            {
                map.insert(key, value);
            }
            continue;
        }
        if field.repeated {
            let items = repeated_values(spec, field, wire, depth, presence)?;
            if let Value::Array(list) = out
                .entry(name.to_string())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.extend(items);
            }
            continue;
        }
        let value = single_value(spec, field, field.kind, wire, depth, presence)?;
        if !matches!(field.kind, Kind::Message(_)) {
            set_scalars.push(index);
        }
        out.insert(name.to_string(), value);
    }
    // Go writes non-pointer scalars even when zero; JSON omits them.
    if presence == Presence::Explicit {
        set_scalars.clear();
    }
    for index in set_scalars {
        let FieldName::Json(name) = &names[index] else {
            continue;
        };
        if out.get(name.as_str()).is_some_and(is_zero_scalar) {
            out.remove(name);
        }
    }
    Ok(Value::Object(out))
}

fn is_zero_scalar(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Null => true,
        _ => false,
    }
}

fn wire_error(spec: &MessageSpec, field: &FieldSpec) -> String {
    format!(
        "protobuf: wrong wire type for field {} (tag {}) of {}",
        field.ident, field.tag, spec.name
    )
}

fn map_entry(
    spec: &'static MessageSpec,
    field: &FieldSpec,
    value_kind: &Kind,
    entry: &[u8],
    depth: usize,
    presence: Presence,
) -> Result<(String, Value), DecodeError> {
    let mut key = String::new();
    let mut value = None;
    for part in Fields::new(entry) {
        match part? {
            (1, Wire::Bytes(k)) => key = text(k),
            (2, wire) => {
                value = Some(single_value(
                    spec,
                    field,
                    *value_kind,
                    wire,
                    depth,
                    presence,
                )?)
            }
            _ => {}
        }
    }
    let value = match value {
        Some(v) => v,
        None => zero_value(*value_kind, depth, presence)?,
    };
    Ok((key, value))
}

fn zero_value(kind: Kind, depth: usize, presence: Presence) -> Result<Value, DecodeError> {
    Ok(match kind {
        Kind::String | Kind::Bytes => Value::String(String::new()),
        Kind::Bool => Value::Bool(false),
        Kind::Message(key) => match message_by_key(key) {
            Some(spec) => decode_message(spec, &[], depth + 1, presence)?,
            None => Value::Null,
        },
        Kind::Map(_) => Value::Object(Map::new()),
        _ => Value::Number(Number::from(0)),
    })
}

fn repeated_values(
    spec: &'static MessageSpec,
    field: &FieldSpec,
    wire: Wire<'_>,
    depth: usize,
    presence: Presence,
) -> Result<Vec<Value>, DecodeError> {
    let packable = !matches!(field.kind, Kind::String | Kind::Bytes | Kind::Message(_));
    match wire {
        Wire::Bytes(packed) if packable => {
            let mut pos = 0;
            let mut out = Vec::new();
            while pos < packed.len() {
                let wire = match field.kind {
                    Kind::Double => Wire::Fixed64(fixed::<8>(packed, &mut pos)?),
                    Kind::Float => Wire::Fixed32(fixed::<4>(packed, &mut pos)? as u32),
                    _ => Wire::Varint(varint(packed, &mut pos)?),
                };
                out.push(single_value(
                    spec, field, field.kind, wire, depth, presence,
                )?);
            }
            Ok(out)
        }
        wire => Ok(vec![single_value(
            spec, field, field.kind, wire, depth, presence,
        )?]),
    }
}

fn single_value(
    spec: &'static MessageSpec,
    field: &FieldSpec,
    kind: Kind,
    wire: Wire<'_>,
    depth: usize,
    presence: Presence,
) -> Result<Value, DecodeError> {
    let wrong = || DecodeError(wire_error(spec, field));
    Ok(match (kind, wire) {
        (Kind::String, Wire::Bytes(b)) => Value::String(text(b)),
        (Kind::Bytes, Wire::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Kind::Bool, Wire::Varint(v)) => Value::Bool(v != 0),
        (Kind::Int32, Wire::Varint(v)) => Value::Number(Number::from(v as i64 as i32)),
        (Kind::Int64, Wire::Varint(v)) => Value::Number(Number::from(v as i64)),
        (Kind::Uint32, Wire::Varint(v)) => Value::Number(Number::from(v as u32)),
        (Kind::Uint64, Wire::Varint(v)) => Value::Number(Number::from(v)),
        (Kind::Double, Wire::Fixed64(v)) => float(f64::from_bits(v))?,
        (Kind::Float, Wire::Fixed32(v)) => float(f64::from(f32::from_bits(v)))?,
        (Kind::Message(key), Wire::Bytes(b)) => match message_by_key(key) {
            Some(nested) => decode_message(nested, b, depth + 1, presence)?,
            None => return err(format!("protobuf: unknown message {key}")),
        },
        _ => return Err(wrong()),
    })
}

fn float(f: f64) -> Result<Value, DecodeError> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| DecodeError(format!("protobuf: {f} is not representable in JSON")))
}

fn text(bytes: &[u8]) -> String {
    // Go's proto2 strings are not UTF-8 checked; its JSON encoder substitutes U+FFFD.
    String::from_utf8_lossy(bytes).into_owned()
}

// ---- special types ------------------------------------------------------------------

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const APIEXTENSIONS: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.";

/// Scalar fields of a small message by tag (last occurrence wins).
fn scalars(buf: &[u8]) -> Result<HashMap<u32, Wire<'_>>, DecodeError> {
    let mut out = HashMap::new();
    for field in Fields::new(buf) {
        let (tag, wire) = field?;
        out.insert(tag, wire);
    }
    Ok(out)
}

fn int_of(fields: &HashMap<u32, Wire<'_>>, tag: u32) -> i64 {
    match fields.get(&tag) {
        Some(Wire::Varint(v)) => *v as i64,
        _ => 0,
    }
}

fn bytes_of<'a>(fields: &HashMap<u32, Wire<'a>>, tag: u32) -> &'a [u8] {
    match fields.get(&tag) {
        Some(Wire::Bytes(b)) => b,
        _ => &[],
    }
}

fn embedded_json(raw: &[u8], what: &str) -> Result<Value, DecodeError> {
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw).map_err(|e| DecodeError(format!("{what}: {e}")))
}

fn special(
    spec: &'static MessageSpec,
    buf: &[u8],
    depth: usize,
    presence: Presence,
) -> Result<Option<Value>, DecodeError> {
    let name = spec.name;
    if let [only] = spec.fields {
        // Go named slice types (`type ExtraValue []string`) are wrapped in a message
        // with one `repeated … items` field; their JSON is the bare array.
        if only.repeated && only.ident == "items" && !components_by_key().contains_key(name) {
            let mut items = Vec::new();
            for field in Fields::new(buf) {
                let (tag, wire) = field?;
                if tag == only.tag {
                    items.extend(repeated_values(spec, only, wire, depth, presence)?);
                }
            }
            return Ok(Some(Value::Array(items)));
        }
    }
    let value = if let Some(meta) = name.strip_prefix(META) {
        match meta {
            "time" | "microtime" => {
                if buf.is_empty() {
                    Value::Null
                } else {
                    let f = scalars(buf)?;
                    let seconds = int_of(&f, 1);
                    let nanos = int_of(&f, 2) as i32;
                    let Some(at) = chrono::DateTime::from_timestamp(seconds, nanos.max(0) as u32)
                    else {
                        return err(format!("protobuf: time {seconds}s out of range"));
                    };
                    let format = if meta == "time" {
                        "%Y-%m-%dT%H:%M:%SZ"
                    } else {
                        "%Y-%m-%dT%H:%M:%S%.6fZ"
                    };
                    Value::String(at.format(format).to_string())
                }
            }
            "duration" => Value::String(go_duration(int_of(&scalars(buf)?, 1))),
            "fieldsv1" => embedded_json(bytes_of(&scalars(buf)?, 1), "FieldsV1")?,
            _ => return Ok(None),
        }
    } else if let Some(ext) = name.strip_prefix(APIEXTENSIONS) {
        let Some((version, ty)) = ext.split_once('.') else {
            return Ok(None);
        };
        let props = |tag_buf: &[u8]| -> Result<Value, DecodeError> {
            match message_by_key(&format!("{APIEXTENSIONS}{version}.jsonschemaprops")) {
                Some(s) => decode_message(s, tag_buf, depth + 1, presence),
                None => err("protobuf: JSONSchemaProps is unknown"),
            }
        };
        match ty {
            "json" => embedded_json(bytes_of(&scalars(buf)?, 1), "JSON")?,
            "jsonschemapropsorbool" => {
                let mut allows = false;
                let mut schema = None;
                for field in Fields::new(buf) {
                    match field? {
                        (1, Wire::Varint(v)) => allows = v != 0,
                        (2, Wire::Bytes(b)) => schema = Some(props(b)?),
                        _ => {}
                    }
                }
                schema.unwrap_or(Value::Bool(allows))
            }
            "jsonschemapropsorarray" | "jsonschemapropsorstringarray" => {
                let mut schema = None;
                let mut items = Vec::new();
                for field in Fields::new(buf) {
                    match field? {
                        (1, Wire::Bytes(b)) => schema = Some(props(b)?),
                        (2, Wire::Bytes(b)) if ty == "jsonschemapropsorarray" => {
                            items.push(props(b)?)
                        }
                        (2, Wire::Bytes(b)) => items.push(Value::String(text(b))),
                        _ => {}
                    }
                }
                if !items.is_empty() {
                    Value::Array(items)
                } else {
                    schema.unwrap_or(Value::Null)
                }
            }
            _ => return Ok(None),
        }
    } else {
        match name {
            "io.k8s.apimachinery.pkg.api.resource.quantity" => {
                let s = text(bytes_of(&scalars(buf)?, 1));
                Value::String(if s.is_empty() { "0".into() } else { s })
            }
            "io.k8s.apimachinery.pkg.util.intstr.intorstring" => {
                let f = scalars(buf)?;
                if int_of(&f, 1) == 1 {
                    Value::String(text(bytes_of(&f, 3)))
                } else {
                    Value::Number(Number::from(int_of(&f, 2) as i32))
                }
            }
            "io.k8s.apimachinery.pkg.runtime.rawextension" => {
                embedded_json(bytes_of(&scalars(buf)?, 1), "RawExtension")?
            }
            _ => return Ok(None),
        }
    };
    Ok(Some(value))
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `150ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let negative = nanos < 0;
    let n = nanos.unsigned_abs();
    let sign = if negative { "-" } else { "" };
    if n < 1_000_000_000 {
        let (unit, scale) = if n < 1_000 {
            ("ns", 1)
        } else if n < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", decimal(n, scale));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = (n / 60_000_000_000) % 60;
    let seconds = decimal(n % 60_000_000_000, 1_000_000_000);
    let mut out = String::from(sign);
    if hours > 0 {
        out.push_str(&format!("{hours}h{minutes}m"));
    } else if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{seconds}s"));
    out
}

/// `value / scale` with the fraction's trailing zeros removed.
fn decimal(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

// ---- JSON names -----------------------------------------------------------------

fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Component names by lookup key, from the built-in OpenAPI schemas.
fn components_by_key() -> &'static HashMap<String, &'static str> {
    static MAP: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        crate::schemas::builtin_schemas()
            .component_names()
            .map(|name| (message_key(name), name))
            .collect()
    })
}

/// Where a field goes in the JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldName {
    /// Under this property name.
    Json(String),
    /// An embedded struct: its fields are merged into the parent object.
    Inline,
}

fn properties_of(key: &str) -> Option<&'static Map<String, Value>> {
    let component = components_by_key().get(key)?;
    crate::schemas::builtin_schemas()
        .component(component)?
        .get("properties")?
        .as_object()
}

/// JSON placement of a message's fields (same order as `spec.fields`): the
/// OpenAPI property whose folded name equals the folded prost identifier; a
/// message field without one whose own fields are all properties of the parent
/// is an embedded struct; anything else (fields newer than the schemas) gets
/// the lowerCamelCase of its identifier and is pruned later as unknown.
pub fn json_names(spec: &'static MessageSpec) -> &'static [FieldName] {
    static NAMES: OnceLock<Vec<OnceLock<Vec<FieldName>>>> = OnceLock::new();
    let all = NAMES.get_or_init(|| messages().iter().map(|_| OnceLock::new()).collect());
    let index = messages()
        .binary_search_by(|m| m.name.cmp(spec.name))
        .unwrap_or(0);
    all[index].get_or_init(|| {
        let properties: HashMap<String, String> = properties_of(spec.name)
            .map(|props| props.keys().map(|k| (fold(k), k.clone())).collect())
            .unwrap_or_default();
        spec.fields
            .iter()
            .map(|f| {
                if let Some(name) = properties.get(&fold(f.ident)) {
                    return FieldName::Json(name.clone());
                }
                let embedded = match f.kind {
                    Kind::Message(key) if !f.repeated => message_by_key(key),
                    _ => None,
                };
                if embedded.is_some_and(|nested| embeds_into(nested, &properties, 0)) {
                    return FieldName::Inline;
                }
                FieldName::Json(lower_camel(f.ident))
            })
            .collect()
    })
}

/// Whether every field of `nested` (through nested embedded structs) is a
/// property of the parent.
fn embeds_into(nested: &MessageSpec, parent: &HashMap<String, String>, depth: usize) -> bool {
    !parent.is_empty()
        && !nested.fields.is_empty()
        && depth < 4
        && nested.fields.iter().all(|f| {
            parent.contains_key(&fold(f.ident))
                || match f.kind {
                    Kind::Message(key) if !f.repeated => {
                        message_by_key(key).is_some_and(|m| embeds_into(m, parent, depth + 1))
                    }
                    _ => false,
                }
        })
}

/// `pod_ip` → `podIp` (fallback for a message without an OpenAPI schema).
fn lower_camel(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len());
    let mut upper = false;
    for c in ident.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

// ---- wire format ------------------------------------------------------------------

/// One field's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// Iterator over the fields of a message.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Fields<'a> {
    /// Fields of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Fields {
            buf,
            pos: 0,
            failed: false,
        }
    }

    fn read(&mut self) -> Result<(u32, Wire<'a>), DecodeError> {
        let key = varint(self.buf, &mut self.pos)?;
        let tag = u32::try_from(key >> 3)
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| DecodeError("protobuf: illegal field number".into()))?;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(self.buf, &mut self.pos)?),
            1 => Wire::Fixed64(fixed::<8>(self.buf, &mut self.pos)?),
            2 => {
                let len = usize::try_from(varint(self.buf, &mut self.pos)?)
                    .map_err(|_| DecodeError("protobuf: length overflow".into()))?;
                let end = self
                    .pos
                    .checked_add(len)
                    .filter(|e| *e <= self.buf.len())
                    .ok_or_else(|| DecodeError("protobuf: unexpected end of data".into()))?;
                let bytes = &self.buf[self.pos..end];
                self.pos = end;
                Wire::Bytes(bytes)
            }
            5 => Wire::Fixed32(fixed::<4>(self.buf, &mut self.pos)? as u32),
            other => return err(format!("protobuf: unsupported wire type {other}")),
        };
        Ok((tag, wire))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Wire<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let item = self.read();
        self.failed = item.is_err();
        Some(item)
    }
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(byte) = buf.get(*pos) else {
            return err("protobuf: unexpected end of data");
        };
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    err("protobuf: varint overflow")
}

fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let end = pos
        .checked_add(N)
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| DecodeError("protobuf: unexpected end of data".into()))?;
    let mut bytes = [0u8; 8];
    bytes[..N].copy_from_slice(&buf[*pos..end]);
    *pos = end;
    Ok(u64::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(150_000_000), "150ms");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(-2_500_000_000), "-2.5s");
    }

    #[test]
    fn every_field_of_the_served_kinds_has_its_openapi_name() {
        // Walk the messages reachable from every built-in kind: each field must map
        // to a property of its OpenAPI component (no guessed names).
        let schemas = crate::schemas::builtin_schemas();
        let mut pending: Vec<&'static MessageSpec> = schemas
            .kinds()
            .filter_map(|(g, v, k)| schemas.component_name(g, v, k))
            .filter_map(message)
            .collect();
        assert!(pending.len() > 40, "{}", pending.len());
        let mut seen = std::collections::HashSet::new();
        let mut unnamed = Vec::new();
        while let Some(spec) = pending.pop() {
            if !seen.insert(spec.name) {
                continue;
            }
            let component = components_by_key().get(spec.name).copied();
            let Some(props) = component
                .and_then(|c| schemas.component(c))
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
            else {
                continue; // special types (Time, Quantity, …) have no properties
            };
            let names = json_names(spec);
            for (field, name) in spec.fields.iter().zip(names) {
                match name {
                    FieldName::Json(name) if !props.contains_key(name) => {
                        unnamed.push(format!("{}.{}", spec.name, field.ident))
                    }
                    _ => {}
                }
                let nested = match field.kind {
                    Kind::Message(k) => Some(k),
                    Kind::Map(Kind::Message(k)) => Some(*k),
                    _ => None,
                };
                if let Some(n) = nested.and_then(message_by_key) {
                    pending.push(n);
                }
            }
        }
        assert!(seen.len() > 300, "{}", seen.len());
        // Only fields newer than the OpenAPI schemas (k8s-pb tracks a later release).
        assert_eq!(
            unnamed,
            vec!["io.k8s.api.core.v1.podspec.workload_ref".to_string()]
        );
        let volume = message("io.k8s.api.core.v1.Volume").unwrap();
        assert_eq!(
            json_names(volume),
            &[FieldName::Json("name".into()), FieldName::Inline]
        );
    }
}
