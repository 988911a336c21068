//! Field paths and field sets, and their `FieldsV1` encoding (structured-merge-diff's
//! `fieldpath` package).
//!
//! A [`FieldSet`] is a trie of [`PathElement`]s: struct fields / map keys,
//! list-map keys, set values and list indices. Its `FieldsV1` form is what
//! `metadata.managedFields[].fieldsV1` holds:
//!
//! ```
//! use klite_merge::fieldpath::{FieldSet, PathElement};
//! use serde_json::json;
//! let mut set = FieldSet::new();
//! set.insert(&[PathElement::field("data"), PathElement::field("a")]);
//! set.insert(&[PathElement::field("spec"), PathElement::field("ports"),
//!              PathElement::key([("port", json!(80)), ("protocol", json!("TCP"))])]);
//! assert_eq!(set.to_fields_v1_string(),
//!     r#"{"f:data":{"f:a":{}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{}}}}"#);
//! let back = FieldSet::from_fields_v1(&serde_json::from_str(&set.to_fields_v1_string()).unwrap()).unwrap();
//! assert_eq!(back, set);
//! ```

use crate::error::{Error, Result};
use crate::types::{Schema, TypeId};
use crate::value;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::fmt;

/// One step of a field path.
#[derive(Debug, Clone)]
pub enum PathElement {
    /// A struct field or map key (`f:<name>`, printed `.name`).
    Field(String),
    /// A list-map item selected by its key fields, sorted by name
    /// (`k:{"name":"x"}`, printed `[name="x"]`).
    Key(Vec<(String, Value)>),
    /// A set item (`v:"x"`, printed `[="x"]`).
    Value(Value),
    /// A list index (`i:0`, printed `[0]`).
    Index(usize),
}

impl PathElement {
    /// A field element.
    pub fn field(name: impl Into<String>) -> PathElement {
        PathElement::Field(name.into())
    }

    /// A key element; the fields are sorted by name.
    pub fn key<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> PathElement {
        let mut fields: Vec<(String, Value)> =
            fields.into_iter().map(|(k, v)| (k.into(), v)).collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        PathElement::Key(fields)
    }

    fn kind_rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    /// The `FieldsV1` key of this element (`f:name`, `k:{…}`, `v:…`, `i:N`).
    pub fn to_fields_v1_key(&self) -> String {
        let mut out = String::new();
        match self {
            PathElement::Field(name) => {
                out.push_str("f:");
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                out.push_str("k:{");
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    value::write_go_json_string(&mut out, name);
                    out.push(':');
                    value::write_go_json(&mut out, v);
                }
                out.push('}');
            }
            PathElement::Value(v) => {
                out.push_str("v:");
                value::write_go_json(&mut out, v);
            }
            PathElement::Index(i) => {
                out.push_str("i:");
                out.push_str(&i.to_string());
            }
        }
        out
    }

    /// Parses a `FieldsV1` key. Unknown element types give `Ok(None)` (they are
    /// dropped, as upstream does).
    pub fn from_fields_v1_key(key: &str) -> Result<Option<PathElement>> {
        let bad = |message: String| Error::FieldsV1 { message };
        let bytes = key.as_bytes();
        if bytes.len() < 2 {
            return Err(bad("key must be 2 characters long:".to_string()));
        }
        if bytes[1] != b':' {
            return Err(bad(format!("missing colon: {key}")));
        }
        let rest = &key[2..];
        match bytes[0] {
            b'f' => Ok(Some(PathElement::Field(rest.to_string()))),
            b'v' => serde_json::from_str(rest)
                .map(|v| Some(PathElement::Value(v)))
                .map_err(|e| bad(e.to_string())),
            b'k' => {
                let fields: Map<String, Value> =
                    serde_json::from_str(rest).map_err(|e| bad(e.to_string()))?;
                Ok(Some(PathElement::key(fields)))
            }
            b'i' => rest
                .parse::<usize>()
                .map(|i| Some(PathElement::Index(i)))
                .map_err(|e| bad(e.to_string())),
            _ => Ok(None),
        }
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b.iter()) {
                    let c = an.cmp(bn).then_with(|| value::compare(av, bv));
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => value::compare(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.kind_rank().cmp(&other.kind_rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!("{n}={}", value::smd_to_string(v)))
                    .collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(v) => write!(f, "[={}]", value::smd_to_string(v)),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path from the object root, printed like upstream:
/// `.spec.template.spec.containers[name="nginx"].image`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Path(pub Vec<PathElement>);

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for pe in &self.0 {
            write!(f, "{pe}")?;
        }
        Ok(())
    }
}

/// A set of field paths, stored as a trie.
///
/// `members` are the elements of this level that belong to the set;
/// `children` hold deeper paths. An element can be both (the node itself and
/// some of its children are in the set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: Vec<PathElement>,
    children: Vec<(PathElement, FieldSet)>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// A set holding the given paths, written as `.a.b` field paths (convenience
    /// for reset-field lists such as `.status`).
    pub fn from_field_paths(paths: &[&str]) -> FieldSet {
        let mut set = FieldSet::new();
        for path in paths {
            let elements: Vec<PathElement> = path
                .split('.')
                .filter(|p| !p.is_empty())
                .map(PathElement::field)
                .collect();
            set.insert(&elements);
        }
        set
    }

    /// Adds a path (parents are not added). The empty path is ignored: nobody owns the root.
    pub fn insert(&mut self, path: &[PathElement]) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = self;
        for pe in parents {
            node = node.descend(pe);
        }
        if let Err(at) = node.members.binary_search(last) {
            node.members.insert(at, last.clone());
        }
    }

    pub(crate) fn insert_member(&mut self, pe: PathElement) {
        if let Err(at) = self.members.binary_search(&pe) {
            self.members.insert(at, pe);
        }
    }

    /// The child node for `pe`, created if needed.
    pub(crate) fn descend(&mut self, pe: &PathElement) -> &mut FieldSet {
        let at = match self.children.binary_search_by(|(c, _)| c.cmp(pe)) {
            Ok(at) => at,
            Err(at) => {
                self.children.insert(at, (pe.clone(), FieldSet::new()));
                at
            }
        };
        &mut self.children[at].1
    }

    /// True when `path` is a member of the set.
    pub fn has(&self, path: &[PathElement]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut node = self;
        for pe in parents {
            match node.child(pe) {
                Some(c) => node = c,
                None => return false,
            }
        }
        node.members.binary_search(last).is_ok()
    }

    pub(crate) fn has_member(&self, pe: &PathElement) -> bool {
        self.members.binary_search(pe).is_ok()
    }

    /// The subset of paths under `pe` (without the prefix), if any.
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children
            .binary_search_by(|(c, _)| c.cmp(pe))
            .ok()
            .map(|at| &self.children[at].1)
    }

    /// True when no path is a member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.iter().all(|(_, c)| c.is_empty())
    }

    /// Number of member paths.
    pub fn len(&self) -> usize {
        self.members.len() + self.children.iter().map(|(_, c)| c.len()).sum::<usize>()
    }

    /// Paths in either set.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let members = zip_members(&self.members, &other.members)
            .into_iter()
            .map(|s| match s {
                Step::OnlyA(x) | Step::OnlyB(x) | Step::Both(x, _) => x.clone(),
            })
            .collect();
        let children = zip_nodes(&self.children, &other.children)
            .into_iter()
            .map(|s| match s {
                Step::OnlyA(x) | Step::OnlyB(x) => x.clone(),
                Step::Both(a, b) => (a.0.clone(), a.1.union(&b.1)),
            })
            .collect();
        FieldSet { members, children }
    }

    /// Paths in both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = zip_members(&self.members, &other.members)
            .into_iter()
            .filter_map(|s| match s {
                Step::Both(x, _) => Some(x.clone()),
                _ => None,
            })
            .collect();
        let children = zip_nodes(&self.children, &other.children)
            .into_iter()
            .filter_map(|s| match s {
                Step::Both(a, b) => {
                    let i = a.1.intersection(&b.1);
                    (!i.is_empty()).then(|| (a.0.clone(), i))
                }
                _ => None,
            })
            .collect();
        FieldSet { members, children }
    }

    /// Paths in `self` but not in `other` (a member of `other` does not remove
    /// the children of that element from `self`).
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = zip_members(&self.members, &other.members)
            .into_iter()
            .filter_map(|s| match s {
                Step::OnlyA(x) => Some(x.clone()),
                _ => None,
            })
            .collect();
        let children = zip_nodes(&self.children, &other.children)
            .into_iter()
            .filter_map(|s| match s {
                Step::OnlyA(x) => Some(x.clone()),
                Step::Both(a, b) => {
                    let d = a.1.difference(&b.1);
                    (!d.is_empty()).then(|| (a.0.clone(), d))
                }
                Step::OnlyB(_) => None,
            })
            .collect();
        FieldSet { members, children }
    }

    /// Like [`difference`](Self::difference), but a member of `other` also
    /// removes every path below it.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let members = zip_members(&self.members, &other.members)
            .into_iter()
            .filter_map(|s| match s {
                Step::OnlyA(x) => Some(x.clone()),
                _ => None,
            })
            .collect();
        let mut children = Vec::new();
        for (pe, child) in &self.children {
            if other.has_member(pe) {
                continue;
            }
            match other.child(pe) {
                Some(o) => {
                    let d = child.recursive_difference(o);
                    if !d.is_empty() {
                        children.push((pe.clone(), d));
                    }
                }
                None => children.push((pe.clone(), child.clone())),
            }
        }
        FieldSet { members, children }
    }

    /// Only the paths that have no member below them.
    pub fn leaves(&self) -> FieldSet {
        let members = self
            .members
            .iter()
            .filter(|m| self.child(m).is_none())
            .cloned()
            .collect();
        let children = self
            .children
            .iter()
            .map(|(pe, c)| (pe.clone(), c.leaves()))
            .collect();
        FieldSet { members, children }
    }

    /// Every member path, in upstream iteration order (members of a level
    /// before the paths below it, each in sorted order).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect_paths(&mut prefix, &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Path>) {
        for m in &self.members {
            let mut p = prefix.clone();
            p.push(m.clone());
            out.push(Path(p));
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// Adds the named struct fields on the way to the members as members
    /// themselves (structured-merge-diff's `EnsureNamedFieldsAreMembers`).
    pub(crate) fn ensure_named_fields_are_members(
        &self,
        schema: &Schema,
        ty: Option<TypeId>,
    ) -> FieldSet {
        let atom = ty.map(|t| schema.atom(t));
        let map = atom.and_then(|a| a.map.as_ref());
        let list = atom.and_then(|a| a.list.as_ref());
        let mut members = self.members.clone();
        let mut children = Vec::with_capacity(self.children.len());
        for (pe, child) in &self.children {
            let child_ty = match pe {
                PathElement::Field(name) => map.map(|m| m.lookup(name)),
                _ => None,
            };
            if let (PathElement::Field(_), Some(lookup)) = (pe, &child_ty) {
                if lookup.is_field {
                    if let Err(at) = members.binary_search(pe) {
                        members.insert(at, pe.clone());
                    }
                }
            }
            let next = match pe {
                PathElement::Field(_) => child_ty.map(|l| l.ty),
                PathElement::Key(_) => list.map(|l| l.element),
                _ => None,
            };
            children.push((
                pe.clone(),
                child.ensure_named_fields_are_members(schema, next),
            ));
        }
        FieldSet { members, children }
    }

    /// The `FieldsV1` JSON text of this set, byte-identical to upstream.
    pub fn to_fields_v1_string(&self) -> String {
        let mut out = String::new();
        out.push('{');
        self.write_fields_v1(false, &mut out);
        out.push('}');
        out
    }

    fn write_fields_v1(&self, include_self: bool, out: &mut String) {
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
        };
        if include_self && !(self.members.is_empty() && self.children.is_empty()) {
            sep(out);
            out.push_str("\".\":{}");
        }
        let (mut mi, mut ci) = (0, 0);
        while mi < self.members.len() || ci < self.children.len() {
            let order = match (self.members.get(mi), self.children.get(ci)) {
                (Some(m), Some((c, _))) => m.cmp(c),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            sep(out);
            match order {
                Ordering::Less => {
                    value::write_go_json_string(out, &self.members[mi].to_fields_v1_key());
                    out.push_str(":{}");
                    mi += 1;
                }
                Ordering::Greater | Ordering::Equal => {
                    let (pe, child) = &self.children[ci];
                    value::write_go_json_string(out, &pe.to_fields_v1_key());
                    out.push_str(":{");
                    child.write_fields_v1(order == Ordering::Equal, out);
                    out.push('}');
                    ci += 1;
                    if order == Ordering::Equal {
                        mi += 1;
                    }
                }
            }
        }
    }

    /// The `FieldsV1` document as a JSON value (key order matches upstream
    /// when serde_json keeps insertion order).
    pub fn to_fields_v1(&self) -> Value {
        serde_json::from_str(&self.to_fields_v1_string())
            .unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// Parses a `FieldsV1` document.
    pub fn from_fields_v1(fields: &Value) -> Result<FieldSet> {
        let Value::Object(map) = fields else {
            return Err(Error::FieldsV1 {
                message: "expected an object".to_string(),
            });
        };
        let (set, _) = read_node(map)?;
        Ok(set.unwrap_or_default())
    }
}

/// Reads one trie node; returns its children (if any) and whether it is itself a member.
fn read_node(map: &Map<String, Value>) -> Result<(Option<FieldSet>, bool)> {
    let mut members: Vec<PathElement> = Vec::new();
    let mut children: Vec<(PathElement, FieldSet)> = Vec::new();
    let mut any = false;
    let mut is_member = false;
    for (key, v) in map {
        if key == "." {
            is_member = true;
            continue;
        }
        let Some(pe) = PathElement::from_fields_v1_key(key)? else {
            continue;
        };
        let Value::Object(inner) = v else {
            return Err(Error::FieldsV1 {
                message: format!("expected an object at {key}"),
            });
        };
        let (grandchildren, child_is_member) = read_node(inner)?;
        any = true;
        if child_is_member {
            members.push(pe.clone());
        }
        if let Some(g) = grandchildren {
            children.push((pe, g));
        }
    }
    if !any {
        return Ok((None, true));
    }
    members.sort();
    members.dedup();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    // distinct keys can still decode to the same element (e.g. `k:` field order)
    let mut merged: Vec<(PathElement, FieldSet)> = Vec::with_capacity(children.len());
    for (pe, set) in children {
        match merged.last_mut() {
            Some((last, existing)) if *last == pe => *existing = existing.union(&set),
            _ => merged.push((pe, set)),
        }
    }
    Ok((
        Some(FieldSet {
            members,
            children: merged,
        }),
        is_member,
    ))
}

/// One step of walking two sorted sequences together.
enum Step<'a, T> {
    OnlyA(&'a T),
    Both(&'a T, &'a T),
    OnlyB(&'a T),
}

fn zip_sorted<'a, T>(a: &'a [T], b: &'a [T], cmp: impl Fn(&T, &T) -> Ordering) -> Vec<Step<'a, T>> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match cmp(&a[i], &b[j]) {
            Ordering::Less => {
                out.push(Step::OnlyA(&a[i]));
                i += 1;
            }
            Ordering::Greater => {
                out.push(Step::OnlyB(&b[j]));
                j += 1;
            }
            Ordering::Equal => {
                out.push(Step::Both(&a[i], &b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend(a[i..].iter().map(Step::OnlyA));
    out.extend(b[j..].iter().map(Step::OnlyB));
    out
}

type Node = (PathElement, FieldSet);

fn zip_members<'a>(a: &'a [PathElement], b: &'a [PathElement]) -> Vec<Step<'a, PathElement>> {
    zip_sorted(a, b, |x, y| x.cmp(y))
}

fn zip_nodes<'a>(a: &'a [Node], b: &'a [Node]) -> Vec<Step<'a, Node>> {
    zip_sorted(a, b, |x, y| x.0.cmp(&y.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::field(name)
    }

    /// The Deployment example of the facts (§7.3), byte for byte.
    const DEPLOYMENT_FIELDS: &str = r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#;

    #[test]
    fn fields_v1_round_trip_is_byte_identical() {
        for doc in [
            DEPLOYMENT_FIELDS,
            r#"{"f:metadata":{"f:finalizers":{".":{},"v:\"foo.io/fin\"":{}}}}"#,
            r#"{"f:spec":{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}},"k:{\"containerPort\":443,\"protocol\":\"TCP\"}":{}}}}"#,
            r#"{"f:data":{".":{},"f:a":{},"f:b":{}},"f:x":{"i:0":{},"i:10":{}}}"#,
            r#"{"f:metadata":{"f:annotations":{"f:a\u0026b":{}}}}"#,
            "{}",
        ] {
            let parsed: Value = serde_json::from_str(doc).expect("json");
            let set = FieldSet::from_fields_v1(&parsed).expect("decodes");
            assert_eq!(set.to_fields_v1_string(), doc);
        }
    }

    #[test]
    fn decoding_sorts_out_of_order_input() {
        let parsed = json!({"f:b": {}, "f:a": {"f:y": {}, ".": {}, "f:x": {}}});
        let set = FieldSet::from_fields_v1(&parsed).expect("decodes");
        assert_eq!(
            set.to_fields_v1_string(),
            r#"{"f:a":{".":{},"f:x":{},"f:y":{}},"f:b":{}}"#
        );
        assert!(set.has(&[f("a")]));
        assert!(set.has(&[f("a"), f("x")]));
        assert!(!set.has(&[f("c")]));
    }

    #[test]
    fn path_printing() {
        let p = Path(vec![
            f("spec"),
            f("template"),
            f("spec"),
            f("containers"),
            PathElement::key([("name", json!("nginx"))]),
            f("image"),
        ]);
        assert_eq!(
            p.to_string(),
            ".spec.template.spec.containers[name=\"nginx\"].image"
        );
        assert_eq!(
            Path(vec![
                f("metadata"),
                f("finalizers"),
                PathElement::Value(json!("v"))
            ])
            .to_string(),
            ".metadata.finalizers[=\"v\"]"
        );
        assert_eq!(
            Path(vec![f("a"), PathElement::Index(0)]).to_string(),
            ".a[0]"
        );
        assert_eq!(
            PathElement::key([("protocol", json!("TCP")), ("containerPort", json!(80))])
                .to_string(),
            "[containerPort=80,protocol=\"TCP\"]"
        );
    }

    #[test]
    fn set_algebra() {
        let mut a = FieldSet::new();
        a.insert(&[f("x"), f("a")]);
        a.insert(&[f("x"), f("b")]);
        a.insert(&[f("y")]);
        let mut b = FieldSet::new();
        b.insert(&[f("x"), f("b")]);
        b.insert(&[f("x")]);
        b.insert(&[f("z")]);
        let paths = |s: &FieldSet| s.paths().iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(paths(&a.union(&b)), [".x", ".y", ".z", ".x.a", ".x.b"]);
        assert_eq!(paths(&a.intersection(&b)), [".x.b"]);
        assert_eq!(paths(&a.difference(&b)), [".y", ".x.a"]);
        assert_eq!(paths(&a.recursive_difference(&b)), [".y"]);
        let mut c = a.clone();
        c.insert(&[f("x")]);
        assert_eq!(paths(&c.leaves()), [".y", ".x.a", ".x.b"]);
        assert!(a.difference(&a).is_empty());
        assert_eq!(a.len(), 3);
    }
}
