//! Strategic merge patch (`application/strategic-merge-patch+json`), as
//! apimachinery's `strategicpatch.StrategicMergeMapPatch` applies it on the server
//! (parallel lists merged, unmatched nulls ignored).
//!
//! Like a merge patch, `null` deletes and maps merge recursively; lists follow the
//! field's `patchStrategy`: replaced by default, merged by `patchMergeKey` (or as a
//! de-duplicated union of scalars) with `merge`. Directives:
//! `$patch: replace|delete` (in maps and list items), `$retainKeys`,
//! `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`.

use crate::error::{Error, Result, StrategicErrorKind};
use crate::types::{PatchMeta, Schema, TypeId, TypeRef, DEDUCED};
use crate::value::go_fmt;
use serde_json::{Map, Value};

const DIRECTIVE_MARKER: &str = "$patch";
const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder";

const ERR_NO_LIST_OF_LISTS: &str = "lists of lists are not supported";
const ERR_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
const ERR_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
const ERR_SET_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";

fn err(kind: StrategicErrorKind, message: impl Into<String>) -> Error {
    Error::StrategicMergePatch {
        kind,
        message: message.into(),
    }
}

fn bad_request(message: &str) -> Error {
    err(StrategicErrorKind::BadRequest, message)
}

fn internal(message: impl Into<String>) -> Error {
    err(StrategicErrorKind::Internal, message)
}

/// Go's dynamic type name of a decoded JSON value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "map[string]interface {}",
        Value::Array(_) => "[]interface {}",
        Value::String(_) => "string",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::Bool(_) => "bool",
        Value::Null => "%!s(<nil>)",
    }
}

/// `mergepatch.ErrBadArgType`.
fn bad_arg_type(expected: &str, actual: &Value) -> Error {
    internal(format!(
        "expected a {expected}, but received a {}",
        go_type(actual)
    ))
}

/// `mergepatch.ErrNoMergeKey`.
fn no_merge_key(m: &Map<String, Value>, key: &str) -> Error {
    internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_fmt(&Value::Object(m.clone()))
    ))
}

/// Go's `%s` of a directive value.
fn go_s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => format!("%!s({}={})", go_type(other), go_fmt(other)),
    }
}

/// `mergepatch.ErrBadPatchType`.
fn bad_patch_type(t: &Value, m: &Map<String, Value>) -> Error {
    internal(format!(
        "unknown patch type: {} in map: {}",
        go_s(t),
        go_fmt(&Value::Object(m.clone()))
    ))
}

/// Go's `==` on two decoded JSON values (type-strict; maps and lists never equal).
fn go_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.is_f64() && y.is_f64() && x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

fn go_eq_opt(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Null), None) | (None, Some(Value::Null)) => true,
        (Some(a), Some(b)) => go_eq(a, b),
        _ => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Slice,
    Str,
    Int,
    Float,
    Bool,
    Null,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Object(_) => Kind::Map,
        Value::Array(_) => Kind::Slice,
        Value::String(_) => Kind::Str,
        Value::Number(n) if n.is_f64() => Kind::Float,
        Value::Number(_) => Kind::Int,
        Value::Bool(_) => Kind::Bool,
        Value::Null => Kind::Null,
    }
}

/// Applies a strategic merge patch to `doc` using the field attributes of `ty`
/// (use [`crate::types::builtin`]; custom resources do not support this patch type).
///
/// Errors are classified as upstream does (see [`StrategicErrorKind`]).
///
/// ```
/// use klite_merge::{strategic, types::builtin};
/// use serde_json::json;
/// let ty = builtin("apps", "v1", "Deployment").unwrap();
/// let live = json!({"spec": {"template": {"spec": {"containers": [
///     {"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "proxy:1"}]}}}});
/// let out = strategic::apply(&live, br#"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}}"#, &ty).unwrap();
/// assert_eq!(out["spec"]["template"]["spec"]["containers"], json!([
///     {"name": "app", "image": "app:2"}, {"name": "sidecar", "image": "proxy:1"}]));
/// ```
pub fn apply(doc: &Value, patch: &[u8], ty: &TypeRef) -> Result<Value> {
    let patch: Value =
        serde_json::from_slice(patch).map_err(|source| Error::InvalidPatchBody { source })?;
    let patch = match patch {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            return Err(Error::StrategicMergePatch {
                kind: StrategicErrorKind::BadRequest,
                message: format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    match other {
                        Value::Array(_) => "array",
                        Value::String(_) => "string",
                        Value::Number(_) => "number",
                        _ => "bool",
                    }
                ),
            })
        }
    };
    let original = match doc {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let smp = Smp { schema: &ty.schema };
    let mut out = Value::Object(smp.merge_map(original, patch, ty.id)?);
    strip_directive_keys(&mut out);
    Ok(out)
}

struct Smp<'s> {
    schema: &'s Schema,
}

impl Smp<'_> {
    /// `LookupPatchMetadataForStruct`: the field's type and patch attributes.
    fn field(&self, ty: TypeId, key: &str) -> (TypeId, PatchMeta) {
        match self.schema.atom(ty).map.as_ref() {
            Some(m) => {
                let l = m.lookup(key);
                (
                    l.ty,
                    l.declared.map(|f| f.patch.clone()).unwrap_or_default(),
                )
            }
            None => (DEDUCED, PatchMeta::default()),
        }
    }

    /// `LookupPatchMetadataForSlice`: the list's element type and the field's attributes.
    fn slice_field(&self, ty: TypeId, key: &str) -> (TypeId, PatchMeta) {
        let (field_ty, meta) = self.field(ty, key);
        let elem = self
            .schema
            .atom(field_ty)
            .list
            .as_ref()
            .map(|l| l.element)
            .unwrap_or(DEDUCED);
        (elem, meta)
    }

    /// The Go kind name of a type, used in `cannot merge lists without merge key for <kind>`.
    fn kind_name(&self, ty: TypeId) -> &'static str {
        let atom = self.schema.atom(ty);
        match (&atom.map, &atom.list) {
            (Some(m), _)
                if m.fields.is_empty() && matches!(m.rest, crate::types::Rest::Entries(_)) =>
            {
                "map"
            }
            (Some(_), _) => "struct",
            (None, Some(_)) => "slice",
            _ => "string",
        }
    }

    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        mut patch: Map<String, Value>,
        ty: TypeId,
    ) -> Result<Map<String, Value>> {
        if let Some(directive) = patch.get(DIRECTIVE_MARKER).cloned() {
            return match directive.as_str() {
                Some("replace") => {
                    patch.remove(DIRECTIVE_MARKER);
                    Ok(patch)
                }
                Some("delete") => Ok(Map::new()),
                _ => Err(bad_patch_type(&directive, &patch)),
            };
        }
        apply_retain_keys(&mut original, &mut patch)?;
        self.merge_patch_into_original(&mut original, &mut patch, ty)?;

        for (key, patch_v) in patch {
            let (key, is_delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
                Some(rest) => match rest.strip_prefix('/') {
                    Some(k) => (k.to_string(), true),
                    None => return Err(bad_request(ERR_PRIMITIVE_LIST)),
                },
                None => (key, false),
            };
            if patch_v.is_null() {
                original.remove(&key);
                continue;
            }
            let Some(current) = original.get(&key) else {
                if !is_delete_list {
                    set_from_patch(&mut original, key, patch_v);
                }
                continue;
            };
            if kind_of(current) != kind_of(&patch_v) {
                if !is_delete_list {
                    set_from_patch(&mut original, key, patch_v);
                }
                continue;
            }
            let current = original.remove(&key).unwrap_or(Value::Null);
            let merged = match (current, patch_v) {
                (Value::Object(cur), Value::Object(p)) => {
                    let (sub, meta) = self.field(ty, &key);
                    if meta.replace {
                        Value::Object(p)
                    } else {
                        Value::Object(self.merge_map(cur, p, sub)?)
                    }
                }
                (Value::Array(cur), Value::Array(p)) => {
                    let (sub, meta) = self.slice_field(ty, &key);
                    Value::Array(self.merge_slice_handler(cur, p, sub, &meta, is_delete_list)?)
                }
                (_, p) => match remove_directives(p) {
                    Some(v) => v,
                    None => continue,
                },
            };
            original.insert(key, merged);
        }
        Ok(original)
    }

    fn merge_slice_handler(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        elem: TypeId,
        meta: &PatchMeta,
        is_delete_list: bool,
    ) -> Result<Vec<Value>> {
        if (meta.merge && !meta.replace) || is_delete_list {
            self.merge_slice(
                original,
                patch,
                elem,
                meta.merge_key.as_deref().unwrap_or(""),
                is_delete_list,
            )
        } else {
            Ok(patch)
        }
    }

    /// Processes `$setElementOrder/<field>` directives together with their lists.
    fn merge_patch_into_original(
        &self,
        original: &mut Map<String, Value>,
        patch: &mut Map<String, Value>,
        ty: TypeId,
    ) -> Result<()> {
        let keys: Vec<String> = patch
            .keys()
            .filter(|k| k.starts_with(SET_ELEMENT_ORDER_PREFIX))
            .cloned()
            .collect();
        for key in keys {
            let Some(order) = patch.remove(&key) else {
                continue;
            };
            let Value::Array(order) = order else {
                return Err(bad_arg_type("[]interface {}", &order));
            };
            let original_key = match key.split_once('/') {
                Some((SET_ELEMENT_ORDER_PREFIX, k)) => k.to_string(),
                _ => return Err(bad_request(ERR_SET_ELEMENT_ORDER)),
            };
            let original_list = match original.get(&original_key) {
                Some(Value::Array(l)) => Some(l.clone()),
                Some(other) => return Err(bad_arg_type("[]interface {}", other)),
                None => None,
            };
            let patch_list = match patch.get(&original_key) {
                Some(Value::Array(l)) => Some(l.clone()),
                Some(other) => return Err(bad_arg_type("[]interface {}", other)),
                None => None,
            };
            let (elem, meta) = self.slice_field(ty, &original_key);
            let merge_key = meta.merge_key.clone().unwrap_or_default();
            validate_patch_with_set_order_list(
                patch_list.as_deref().unwrap_or(&[]),
                &order,
                &merge_key,
            )?;
            let merged = match (original_list.clone(), patch_list.clone()) {
                (Some(o), None) => o,
                (None, Some(p)) => match remove_directives(Value::Array(p)) {
                    Some(Value::Array(v)) => v,
                    _ => continue,
                },
                (Some(o), Some(p)) => self.merge_slice_handler(o, p, elem, &meta, false)?,
                (None, None) => continue,
            };
            let (patch_items, server_only) = if merge_key.is_empty() {
                partition_primitives(&merged, &order)
            } else {
                partition_maps(&merged, &order, &merge_key)?
            };
            let original_list = original_list.unwrap_or_default();
            let kind = slice_element_kind(&[&original_list, patch_list.as_deref().unwrap_or(&[])])?;
            // Upstream merges map lists in place, so the live order it consults here
            // already reflects deletions and appended items.
            let server_order = match &patch_list {
                Some(p) if kind == Kind::Map && meta.merge && !merge_key.is_empty() => {
                    aliased_server_order(&original_list, p, &merge_key)
                }
                _ => original_list,
            };
            let both = normalize_element_order(
                patch_items,
                server_only,
                &order,
                &server_order,
                &merge_key,
                kind,
            )?;
            original.insert(original_key.clone(), Value::Array(both));
            patch.remove(&original_key);
        }
        Ok(())
    }

    fn merge_slice(
        &self,
        original: Vec<Value>,
        patch: Vec<Value>,
        elem: TypeId,
        merge_key: &str,
        is_delete_list: bool,
    ) -> Result<Vec<Value>> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let kind = slice_element_kind(&[&original, &patch])?;
        let (merged, patch, server_order) = if kind != Kind::Map {
            if is_delete_list {
                return Ok(delete_from_slice(original, &patch));
            }
            let mut both = original.clone();
            both.extend(patch.iter().cloned());
            (deduplicate_scalars(both), patch, original)
        } else {
            if merge_key.is_empty() {
                return Err(internal(format!(
                    "cannot merge lists without merge key for {}",
                    self.kind_name(elem)
                )));
            }
            let (original, patch) = merge_slice_with_special_elements(original, patch, merge_key)?;
            let server_order = original.clone();
            let merged =
                self.merge_slice_without_special_elements(original, &patch, merge_key, elem)?;
            (merged, patch, server_order)
        };
        let (patch_items, server_only) = if merge_key.is_empty() {
            partition_primitives(&merged, &patch)
        } else {
            partition_maps(&merged, &patch, merge_key)?
        };
        normalize_element_order(
            patch_items,
            server_only,
            &patch,
            &server_order,
            merge_key,
            kind,
        )
    }

    fn merge_slice_without_special_elements(
        &self,
        mut original: Vec<Value>,
        patch: &[Value],
        merge_key: &str,
        elem: TypeId,
    ) -> Result<Vec<Value>> {
        for item in patch {
            let Value::Object(p) = item else {
                return Err(bad_arg_type("map[string]interface {}", item));
            };
            let Some(merge_value) = p.get(merge_key) else {
                return Err(no_merge_key(p, merge_key));
            };
            match find_map_by_key(&original, merge_key, merge_value)? {
                Some(at) => {
                    let current = match std::mem::take(&mut original[at]) {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    };
                    original[at] = Value::Object(self.merge_map(current, p.clone(), elem)?);
                }
                None => {
                    // a new item: what decoding it into the typed object keeps
                    let mut v = item.clone();
                    discard_null_values(&mut v);
                    original.push(v);
                }
            }
        }
        Ok(original)
    }
}

/// Sets `original[key]` from a patch value that has nothing to merge with.
fn set_from_patch(original: &mut Map<String, Value>, key: String, mut patch_v: Value) {
    discard_null_values(&mut patch_v);
    match remove_directives(patch_v) {
        Some(v) => {
            original.insert(key, v);
        }
        None => {
            original.remove(&key);
        }
    }
}

fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<()> {
    let Some(retain) = patch.remove(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(bad_request(ERR_RETAIN_KEYS));
    };
    let retained = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            || k.starts_with(SET_ELEMENT_ORDER_PREFIX)
        {
            continue;
        }
        if !retained(k) {
            return Err(bad_request(ERR_RETAIN_KEYS));
        }
    }
    original.retain(|k, _| retained(k));
    Ok(())
}

fn validate_patch_with_set_order_list(
    patch_list: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<()> {
    if order.is_empty() || patch_list.is_empty() {
        return Ok(());
    }
    let non_delete: Vec<&Value> = if merge_key.is_empty() {
        patch_list.iter().collect()
    } else {
        let mut keep = Vec::new();
        for item in patch_list {
            let Value::Object(m) = item else {
                return Err(bad_arg_type("map[string]interface {}", item));
            };
            if m.get(DIRECTIVE_MARKER).and_then(Value::as_str) != Some("delete") {
                keep.push(item);
            }
        }
        keep
    };
    let (mut pi, mut oi) = (0, 0);
    while pi < non_delete.len() && oi < order.len() {
        if matches!(non_delete[pi], Value::Object(m) if m.contains_key(DIRECTIVE_MARKER)) {
            pi += 1;
            continue;
        }
        if merge_key_value_equal(non_delete[pi], &order[oi], merge_key)? {
            pi += 1;
        }
        oi += 1;
    }
    if pi < non_delete.len() && oi >= order.len() {
        return Err(internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER_PREFIX} list:\n{}\n",
            go_fmt(&Value::Array(patch_list.to_vec())),
            go_fmt(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// The live list as upstream observes it after merging a map list in place:
/// deleted items compacted away (the vacated tail keeps stale items) and new
/// items written over that tail, within the original length.
fn aliased_server_order(original: &[Value], patch: &[Value], merge_key: &str) -> Vec<Value> {
    let mut backing = original.to_vec();
    let mut len = backing.len();
    let key_of = |v: &Value| v.get(merge_key).cloned();
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE_MARKER).and_then(Value::as_str) {
            Some("delete") => {
                let Some(want) = key_of(item) else { continue };
                while let Some(at) = backing[..len]
                    .iter()
                    .position(|v| key_of(v).map(|k| go_eq(&k, &want)).unwrap_or(false))
                {
                    for j in at..len - 1 {
                        backing[j] = backing[j + 1].clone();
                    }
                    len -= 1;
                }
            }
            Some("replace") => replace = true,
            _ => {}
        }
    }
    if !replace {
        for item in patch.iter().filter(|i| i.get(DIRECTIVE_MARKER).is_none()) {
            let Some(want) = key_of(item) else { continue };
            let found = backing[..len]
                .iter()
                .any(|v| key_of(v).map(|k| go_eq(&k, &want)).unwrap_or(false));
            if !found {
                if len < backing.len() {
                    backing[len] = item.clone();
                } else {
                    backing.push(item.clone());
                }
                len += 1;
            }
        }
    }
    backing.truncate(original.len());
    backing
}

fn merge_key_value_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool> {
    if merge_key.is_empty() {
        return Ok(go_eq(left, right));
    }
    let Value::Object(l) = left else {
        return Err(bad_arg_type("map[string]interface {}", left));
    };
    let Value::Object(r) = right else {
        return Err(bad_arg_type("map[string]interface {}", right));
    };
    let lv = l.get(merge_key).ok_or_else(|| no_merge_key(l, merge_key))?;
    let rv = r.get(merge_key).ok_or_else(|| no_merge_key(r, merge_key))?;
    Ok(go_eq(lv, rv))
}

/// `sliceElementType`: every element of every list must have the same kind.
fn slice_element_kind(slices: &[&[Value]]) -> Result<Kind> {
    let mut kind = None;
    for v in slices.iter().flat_map(|s| s.iter()) {
        let k = kind_of(v);
        match kind {
            None => {
                if k == Kind::Slice {
                    return Err(err(StrategicErrorKind::Unprocessable, ERR_NO_LIST_OF_LISTS));
                }
                kind = Some(k);
            }
            Some(prev) if prev != k => {
                let all: Vec<String> = slices
                    .iter()
                    .map(|s| go_fmt(&Value::Array(s.to_vec())))
                    .collect();
                return Err(internal(format!(
                    "list element types are not identical: [{}]",
                    all.join(" ")
                )));
            }
            Some(_) => {}
        }
    }
    kind.ok_or_else(|| internal("no elements in any of the given slices"))
}

fn delete_from_slice(current: Vec<Value>, to_delete: &[Value]) -> Vec<Value> {
    current
        .into_iter()
        .filter(|v| !to_delete.iter().any(|d| go_eq(v, d)))
        .collect()
}

/// Upstream's in-place de-duplication (order is normalized afterwards).
fn deduplicate_scalars(mut s: Vec<Value>) -> Vec<Value> {
    if s.is_empty() {
        return s;
    }
    let mut length = s.len() - 1;
    let mut i = 0;
    while i < length {
        let mut j = i + 1;
        while j <= length {
            if go_eq(&s[i], &s[j]) {
                s.swap(j, length);
                s.truncate(length);
                length -= 1;
                continue;
            }
            j += 1;
        }
        i += 1;
    }
    s
}

fn merge_slice_with_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut without = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Value::Object(m) = &item else {
            return Err(bad_arg_type("map[string]interface {}", &item));
        };
        match m.get(DIRECTIVE_MARKER) {
            None => without.push(item),
            Some(directive) => match directive.as_str() {
                Some("delete") => match m.get(merge_key) {
                    Some(value) => {
                        while let Some(at) = find_map_by_key(&original, merge_key, value)? {
                            original.remove(at);
                        }
                    }
                    None => return Err(no_merge_key(m, merge_key)),
                },
                Some("replace") => replace = true,
                Some("merge") => {
                    return Err(internal(
                        "merging lists cannot yet be specified in the patch",
                    ))
                }
                _ => return Err(bad_patch_type(directive, m)),
            },
        }
    }
    if replace {
        Ok((without, Vec::new()))
    } else {
        Ok((original, without))
    }
}

fn find_map_by_key(list: &[Value], key: &str, value: &Value) -> Result<Option<usize>> {
    for (i, item) in list.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(internal(format!("value for key {i} is not a map")));
        };
        if m.get(key).map(|v| go_eq(v, value)).unwrap_or(false) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn partition_primitives(merged: &[Value], by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    merged
        .iter()
        .cloned()
        .partition(|v| by.iter().any(|b| go_eq(v, b)))
}

fn partition_maps(
    merged: &[Value],
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut patch = Vec::new();
    let mut server_only = Vec::new();
    for v in merged {
        let Value::Object(m) = v else {
            return Err(bad_arg_type("map[string]interface {}", v));
        };
        let Some(key_value) = m.get(merge_key) else {
            return Err(no_merge_key(m, merge_key));
        };
        if find_map_by_key(by, merge_key, key_value)?.is_some() {
            patch.push(v.clone());
        } else {
            server_only.push(v.clone());
        }
    }
    Ok((patch, server_only))
}

/// Position of `v` in `list` (by merge key for maps), upstream's `index`.
fn index_of(list: &[Value], v: &Value, merge_key: &str, kind: Kind) -> Option<usize> {
    if kind == Kind::Map {
        fn key<'v>(x: &'v Value, merge_key: &str) -> Option<&'v Value> {
            x.as_object().and_then(|m| m.get(merge_key))
        }
        let want = key(v, merge_key);
        list.iter().position(|x| go_eq_opt(key(x, merge_key), want))
    } else {
        list.iter().position(|x| go_eq(x, v))
    }
}

fn normalize_slice_order(
    to_sort: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: Kind,
) -> Result<Vec<Value>> {
    let (mut to_sort, to_delete) = if kind == Kind::Map {
        for item in to_sort.iter().chain(order.iter()) {
            let Value::Object(m) = item else {
                return Err(bad_arg_type("map[string]interface {}", item));
            };
            if !m.contains_key(merge_key) {
                return Err(no_merge_key(m, merge_key));
            }
        }
        to_sort.into_iter().partition::<Vec<Value>, _>(|v| {
            v.get(DIRECTIVE_MARKER).and_then(Value::as_str) != Some("delete")
        })
    } else {
        (to_sort, Vec::new())
    };
    to_sort.sort_by_key(|v| index_of(order, v, merge_key, kind).unwrap_or(usize::MAX));
    to_sort.extend(to_delete);
    Ok(to_sort)
}

/// Orders the patch items by `patch_order` and the server-only items by
/// `server_order`, then interleaves them (`normalizeElementOrder` + `mergeSortedSlice`).
fn normalize_element_order(
    patch: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: Kind,
) -> Result<Vec<Value>> {
    let right = normalize_slice_order(patch, patch_order, merge_key, kind)?;
    let left = normalize_slice_order(server_only, server_order, merge_key, kind)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() || j < right.len() {
        if i >= left.len() {
            out.push(right[j].clone());
            j += 1;
        } else if j >= right.len() {
            out.push(left[i].clone());
            i += 1;
        } else {
            let li = index_of(server_order, &left[i], merge_key, kind);
            let ri = index_of(server_order, &right[j], merge_key, kind);
            match (li, ri) {
                (Some(a), Some(b)) if a < b => {
                    out.push(left[i].clone());
                    i += 1;
                }
                _ => {
                    out.push(right[j].clone());
                    j += 1;
                }
            }
        }
    }
    Ok(out)
}

/// Removes maps carrying `$patch` (and list items that are such maps).
fn remove_directives(v: Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE_MARKER) {
                return None;
            }
            let mut out = Map::new();
            for (k, child) in m {
                if let Some(c) = remove_directives(child) {
                    out.insert(k, c);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// Drops `null` map values, recursively.
fn discard_null_values(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, c| !c.is_null());
            m.values_mut().for_each(discard_null_values);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_null_values),
        _ => {}
    }
}

/// Directive keys left in new content are unknown fields to the typed object: drop them.
fn strip_directive_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| {
                !(k == DIRECTIVE_MARKER
                    || k == RETAIN_KEYS_DIRECTIVE
                    || k.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
                    || k.starts_with(SET_ELEMENT_ORDER_PREFIX))
            });
            m.values_mut().for_each(strip_directive_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_directive_keys),
        _ => {}
    }
}
