//! The built-in kinds, from the declarative table in `builtin.table`.

use super::{
    Atom, ListKind, ListType, MapType, PatchMeta, Rest, Schema, StructField, TypeId, TypeRef,
    DEDUCED, OPAQUE_STRUCT, SCALAR, UNTYPED_ATOMIC,
};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

const TABLE: &str = include_str!("builtin.table");

/// The parsed table: one schema shared by all built-in kinds.
pub(crate) struct Builtins {
    pub schema: Arc<Schema>,
    kinds: HashMap<String, TypeId>,
    pub object_meta: TypeId,
}

pub(crate) fn builtins() -> Option<&'static Builtins> {
    static BUILTINS: OnceLock<Option<Builtins>> = OnceLock::new();
    BUILTINS.get_or_init(|| parse(TABLE).ok()).as_ref()
}

/// The merge type of a built-in kind served by the API server (`group` is `""`
/// for the core group), or `None` for kinds the table does not know.
///
/// ```
/// let pod = klite_merge::types::builtin("", "v1", "Pod").unwrap();
/// let containers = pod.field("spec").unwrap().field("containers").unwrap();
/// assert_eq!(containers.list_keys(), Some(vec!["name".to_string()]));
/// ```
pub fn builtin(group: &str, version: &str, kind: &str) -> Option<TypeRef> {
    let b = builtins()?;
    let group = if group.is_empty() { "core" } else { group };
    let id = *b.kinds.get(&format!("{group}/{version}/{kind}"))?;
    Some(TypeRef {
        schema: b.schema.clone(),
        id,
    })
}

/// True when the table describes `kind` of `group` (any version).
pub(crate) fn is_builtin_kind(group: &str, kind: &str) -> bool {
    let group = if group.is_empty() { "core" } else { group };
    builtins()
        .map(|b| {
            b.kinds.keys().any(|gvk| {
                gvk.strip_prefix(group)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .and_then(|rest| rest.rsplit_once('/'))
                    .is_some_and(|(_, k)| k == kind)
            })
        })
        .unwrap_or(false)
}

struct Parser {
    schema: Schema,
    names: HashMap<String, TypeId>,
}

fn parse(table: &str) -> Result<Builtins, String> {
    let lines: Vec<&str> = table
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut p = Parser {
        schema: Schema::with_common_types(),
        names: HashMap::new(),
    };
    // First pass: give every struct an id so that fields may refer to any struct.
    for line in &lines {
        if let Some((atomic, name)) = struct_header(line) {
            let id = p.schema.push(Atom {
                map: Some(MapType {
                    fields: Vec::new(),
                    rest: Rest::Fields(OPAQUE_STRUCT),
                    atomic,
                }),
                ..Atom::default()
            });
            p.names.insert(name.to_string(), id);
        }
    }
    let mut kinds = HashMap::new();
    let mut current: Option<(TypeId, Vec<StructField>)> = None;
    for line in &lines {
        if let Some((id, fields)) = current.as_mut() {
            if *line == "}" {
                let mut fields = std::mem::take(fields);
                fields.sort_by(|a, b| a.name.cmp(&b.name));
                let id = *id;
                if let Some(map) = p.schema.atoms[id].map.as_mut() {
                    map.fields = fields;
                }
                current = None;
            } else {
                let field = p.field(line)?;
                fields.push(field);
            }
            continue;
        }
        if let Some((_, name)) = struct_header(line) {
            if line.ends_with('{') {
                let id = p.id_of(name)?;
                current = Some((id, Vec::new()));
            }
        } else if let Some(rest) = line.strip_prefix("kind ") {
            let (gvk, name) = rest
                .split_once(" = ")
                .ok_or_else(|| format!("bad kind line: {line}"))?;
            kinds.insert(gvk.trim().to_string(), p.id_of(name.trim())?);
        } else {
            return Err(format!("unexpected line: {line}"));
        }
    }
    let object_meta = p.id_of("meta.ObjectMeta")?;
    Ok(Builtins {
        schema: Arc::new(p.schema),
        kinds,
        object_meta,
    })
}

fn struct_header(line: &str) -> Option<(bool, &str)> {
    let (atomic, rest) = match line.strip_prefix("atomic struct ") {
        Some(r) => (true, r),
        None => (false, line.strip_prefix("struct ")?),
    };
    Some((atomic, rest.trim_end_matches('{').trim()))
}

impl Parser {
    fn id_of(&self, name: &str) -> Result<TypeId, String> {
        self.names
            .get(name)
            .copied()
            .ok_or_else(|| format!("unknown type {name}"))
    }

    fn field(&mut self, line: &str) -> Result<StructField, String> {
        let (name, rest) = line
            .split_once(':')
            .ok_or_else(|| format!("bad field line: {line}"))?;
        let mut tokens = rest.split_whitespace();
        let ty_text = tokens.next().ok_or_else(|| format!("no type: {line}"))?;
        let mut list_kind = ListKind::Atomic;
        let mut patch = PatchMeta::default();
        let mut default = None;
        let mut zero = None;
        for token in tokens {
            if token == "set" {
                list_kind = ListKind::Set;
            } else if let Some(keys) = token.strip_prefix("map(").and_then(|k| k.strip_suffix(')'))
            {
                list_kind = ListKind::Map(keys.split(',').map(str::to_string).collect());
            } else if let Some(smp) = token.strip_prefix("smp=") {
                let (strategy, key) = match smp.split_once('/') {
                    Some((s, k)) => (s, Some(k)),
                    None => (smp, None),
                };
                patch = PatchMeta::parse(Some(strategy), key);
            } else if let Some(json) = token.strip_prefix("default=") {
                default = Some(
                    serde_json::from_str(json)
                        .map_err(|e| format!("bad default in {line}: {e}"))?,
                );
            } else if let Some(json) = token.strip_prefix("zero=") {
                zero = Some(
                    serde_json::from_str(json).map_err(|e| format!("bad zero in {line}: {e}"))?,
                );
            } else {
                return Err(format!("unknown attribute {token} in {line}"));
            }
        }
        let ty = self.type_expr(ty_text, &list_kind)?;
        Ok(StructField {
            name: name.trim().to_string(),
            ty,
            default,
            zero,
            patch,
        })
    }

    fn type_expr(&mut self, text: &str, list_kind: &ListKind) -> Result<TypeId, String> {
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let element = self.type_expr(inner, &ListKind::Atomic)?;
            return Ok(self.schema.push(Atom {
                list: Some(ListType {
                    element,
                    kind: list_kind.clone(),
                }),
                ..Atom::default()
            }));
        }
        let (atomic, map_inner) = if let Some(inner) = text.strip_prefix("atomic{") {
            (true, inner.strip_suffix('}'))
        } else {
            (
                false,
                text.strip_prefix('{').and_then(|t| t.strip_suffix('}')),
            )
        };
        if let Some(inner) = map_inner {
            let element = self.type_expr(inner, &ListKind::Atomic)?;
            return Ok(self.schema.push(Atom {
                map: Some(MapType {
                    fields: Vec::new(),
                    rest: Rest::Entries(element),
                    atomic,
                }),
                ..Atom::default()
            }));
        }
        match text {
            "scalar" => Ok(SCALAR),
            "deduced" => Ok(DEDUCED),
            "untyped_atomic" => Ok(UNTYPED_ATOMIC),
            "opaque" => Ok(OPAQUE_STRUCT),
            name => self.id_of(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        let b = parse(TABLE).expect("builtin table parses");
        assert!(b.kinds.len() >= 24);
    }
}
