//! Objects cross the boundary as JSON text, parsed and stringified by V8.
//!
//! `JSON.parse` of a response body is several times faster than building the JS object from
//! Rust values property by property, so bodies are never parsed in Rust on their way through.

use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi::{Env, JsString, Unknown, ValueType};

use crate::error::argument_error;

/// UTF-8 JSON text that becomes a JS value through `JSON.parse`.
pub struct JsonText(pub Bytes);

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(
        raw_env: napi::sys::napi_env,
        value: Self,
    ) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(raw_env);
        let parsed = parse_json(&env, &value.0)?;
        Ok(parsed.raw())
    }
}

impl TypeName for JsonText {
    fn type_name() -> &'static str {
        "JsonText"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// `JSON.parse(text)` in the calling environment.
pub fn parse_json<'env>(env: &'env Env, text: &[u8]) -> Result<Unknown<'env>> {
    let text = std::str::from_utf8(text).map_err(|err| {
        Error::new(
            Status::GenericFailure,
            format!("the server sent a body that is not UTF-8 JSON: {err}"),
        )
    })?;
    let global = env.get_global()?;
    let json: Object = global.get_named_property("JSON")?;
    let parse: Function<JsString, Unknown> = json.get_named_property("parse")?;
    parse.call(env.create_string(text)?)
}

/// `JSON.stringify(value)`; fails when the value has no JSON form.
pub fn stringify(env: &Env, value: Unknown, what: &str) -> Result<String> {
    let global = env.get_global()?;
    let json: Object = global.get_named_property("JSON")?;
    let stringify: Function<Unknown, Unknown> = json.get_named_property("stringify")?;
    let text = stringify.call(value)?;
    if text.get_type()? != ValueType::String {
        return Err(argument_error(
            env,
            format!("{what} has no JSON representation: pass a plain object"),
        ));
    }
    // SAFETY: checked to be a string above.
    let text: JsString = unsafe { text.cast()? };
    text.into_utf8()?.into_owned()
}

/// A Kubernetes object to send: its JSON text and the metadata its URL needs.
pub fn object_body(env: &Env, value: Unknown, what: &str) -> Result<klite_client::ObjectBody> {
    if value.get_type()? != ValueType::Object || value.is_array()? || value.is_buffer()? {
        return Err(argument_error(
            env,
            format!("{what} must be a Kubernetes object (a plain JS object with apiVersion, kind and metadata)"),
        ));
    }
    // SAFETY: checked to be an object above.
    let object: Object = unsafe { value.cast()? };
    let mut name = None;
    let mut namespace = None;
    let metadata: Unknown = object.get_named_property("metadata")?;
    if metadata.get_type()? == ValueType::Object {
        // SAFETY: checked to be an object.
        let metadata: Object = unsafe { metadata.cast()? };
        name = optional_string(metadata.get_named_property("name")?)?;
        namespace = optional_string(metadata.get_named_property("namespace")?)?;
    }
    let json = stringify(env, value, what)?;
    Ok(klite_client::ObjectBody {
        json,
        name,
        namespace,
    })
}

/// A patch body: strings and Buffers are sent as they are, objects and arrays as JSON.
pub fn patch_body(env: &Env, value: Unknown) -> Result<Bytes> {
    match value.get_type()? {
        ValueType::String => {
            // SAFETY: checked to be a string.
            let text: JsString = unsafe { value.cast()? };
            Ok(Bytes::from(text.into_utf8()?.into_owned()?))
        }
        ValueType::Object if value.is_buffer()? => {
            // SAFETY: checked to be a Buffer.
            let buffer: BufferSlice = unsafe { value.cast()? };
            Ok(Bytes::copy_from_slice(&buffer))
        }
        ValueType::Object => Ok(Bytes::from(stringify(env, value, "the patch")?)),
        _ => Err(argument_error(
            env,
            "the patch must be an object, an array, a string or a Buffer",
        )),
    }
}

fn optional_string(value: Unknown) -> Result<Option<String>> {
    if value.get_type()? != ValueType::String {
        return Ok(None);
    }
    // SAFETY: checked to be a string.
    let text: JsString = unsafe { value.cast()? };
    Ok(Some(text.into_utf8()?.into_owned()?))
}
