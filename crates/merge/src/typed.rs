//! Typed walks over JSON values (structured-merge-diff's `typed` package):
//! merge, compare, field-set extraction, item removal and validation.

use crate::fieldpath::{FieldSet, PathElement};
use crate::types::{Atom, ListKind, ListType, MapType, Schema, TypeId};
use crate::value;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The facet of an atom that handles a given value.
#[derive(Clone, Copy)]
enum Facet<'s> {
    Scalar,
    List(&'s ListType),
    Map(&'s MapType),
    Invalid,
}

impl Facet<'_> {
    fn same(&self, other: &Facet<'_>) -> bool {
        matches!(
            (self, other),
            (Facet::Scalar, Facet::Scalar)
                | (Facet::List(_), Facet::List(_))
                | (Facet::Map(_), Facet::Map(_))
                | (Facet::Invalid, Facet::Invalid)
        )
    }
}

/// structured-merge-diff's `deduceAtom` + `handleAtom` choice.
fn facet<'s>(atom: &'s Atom, v: Option<&Value>) -> Facet<'s> {
    match v {
        Some(Value::Number(_) | Value::String(_) | Value::Bool(_)) if atom.scalar => {
            return Facet::Scalar
        }
        Some(Value::Array(_)) => {
            if let Some(l) = &atom.list {
                return Facet::List(l);
            }
        }
        Some(Value::Object(_)) => {
            if let Some(m) = &atom.map {
                return Facet::Map(m);
            }
        }
        _ => {}
    }
    if let Some(m) = &atom.map {
        Facet::Map(m)
    } else if atom.scalar {
        Facet::Scalar
    } else if let Some(l) = &atom.list {
        Facet::List(l)
    } else {
        Facet::Invalid
    }
}

fn as_list(v: Option<&Value>) -> Option<&Vec<Value>> {
    match v {
        Some(Value::Array(items)) => Some(items),
        _ => None,
    }
}

fn as_map(v: Option<&Value>) -> Option<&Map<String, Value>> {
    match v {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Go's `%q` of a `[]string`.
fn go_quote_list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| value::go_quote(s)).collect();
    format!("[{}]", parts.join(" "))
}

/// One validation problem, with the path it was found at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidationError {
    pub path: String,
    pub message: String,
}

/// Renders errors like structured-merge-diff's `ValidationErrors.Error()`.
pub(crate) fn render_errors(errs: &[ValidationError]) -> String {
    let one = |e: &ValidationError| {
        if e.path.is_empty() {
            e.message.clone()
        } else {
            format!("{}: {}", e.path, e.message)
        }
    };
    if errs.len() == 1 {
        return one(&errs[0]);
    }
    let mut lines = vec!["errors:".to_string()];
    lines.extend(errs.iter().map(|e| format!("  {}", one(e))));
    lines.join("\n")
}

/// Walks values against one schema.
#[derive(Clone, Copy)]
pub(crate) struct Typed<'s> {
    pub schema: &'s Schema,
}

/// Added / modified / removed paths between two objects (`typed.Comparison`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Comparison {
    pub removed: FieldSet,
    pub modified: FieldSet,
    pub added: FieldSet,
}

impl Comparison {
    /// Drops the given fields and everything below them (`ExcludeFields`).
    pub fn exclude(&mut self, fields: &FieldSet) {
        self.removed = self.removed.recursive_difference(fields);
        self.modified = self.modified.recursive_difference(fields);
        self.added = self.added.recursive_difference(fields);
    }
}

impl<'s> Typed<'s> {
    pub fn new(schema: &'s Schema) -> Typed<'s> {
        Typed { schema }
    }

    /// The path element of a set/map list item.
    pub fn item_path_element(&self, list: &ListType, item: &Value) -> Result<PathElement, String> {
        let keys = match &list.kind {
            ListKind::Atomic => return Err("invalid indexing of non-associative list".to_string()),
            ListKind::Map(keys) if !keys.is_empty() => keys,
            _ => {
                return match item {
                    Value::Object(_) => Err(
                        "associative list without keys has an element that's a map type"
                            .to_string(),
                    ),
                    Value::Array(_) => {
                        Err("not supported: associative list with lists as elements".to_string())
                    }
                    Value::Null => Err(
                        "associative list without keys has an element that's an explicit null"
                            .to_string(),
                    ),
                    v => Ok(PathElement::Value(v.clone())),
                }
            }
        };
        let m = match item {
            Value::Null => {
                return Err("associative list with keys may not have a null element".to_string())
            }
            Value::Object(m) => m,
            _ => return Err("associative list with keys may not have non-map elements".to_string()),
        };
        let element_map = self.schema.atom(list.element).map.as_ref();
        let mut fields = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(v) = m.get(key) {
                fields.push((key.clone(), v.clone()));
            } else if let Some(default) = element_map
                .and_then(|em| em.lookup(key).declared)
                .and_then(|f| f.default.clone())
            {
                fields.push((key.clone(), default));
            }
        }
        if fields.is_empty() {
            return Err(format!(
                "associative list with keys has an element that omits all key fields {} (and doesn't have default values for any key fields)",
                go_quote_list(keys)
            ));
        }
        Ok(PathElement::key(fields))
    }

    // ----------------------------------------------------------------- validation

    /// Structural validation: list item keys and (unless allowed) duplicates.
    pub fn validate(&self, v: &Value, ty: TypeId, allow_duplicates: bool) -> Vec<ValidationError> {
        let mut errs = Vec::new();
        let mut path = String::new();
        self.validate_at(v, ty, allow_duplicates, &mut path, &mut errs);
        errs
    }

    fn validate_at(
        &self,
        v: &Value,
        ty: TypeId,
        allow_duplicates: bool,
        path: &mut String,
        errs: &mut Vec<ValidationError>,
    ) {
        let atom = self.schema.atom(ty);
        match facet(atom, Some(v)) {
            Facet::List(list) => {
                let Value::Array(items) = v else { return };
                let mut seen: Vec<PathElement> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let pe = if list.kind == ListKind::Atomic {
                        PathElement::Index(i)
                    } else {
                        match self.item_path_element(list, item) {
                            Ok(pe) => pe,
                            Err(e) => {
                                errs.push(ValidationError {
                                    path: path.clone(),
                                    message: format!("element {i}: {e}"),
                                });
                                return;
                            }
                        }
                    };
                    if list.kind != ListKind::Atomic {
                        match seen.binary_search(&pe) {
                            Ok(_) if !allow_duplicates => errs.push(ValidationError {
                                path: path.clone(),
                                message: format!("duplicate entries for key {pe}"),
                            }),
                            Ok(_) => {}
                            Err(at) => seen.insert(at, pe.clone()),
                        }
                    }
                    let len = path.len();
                    path.push_str(&pe.to_string());
                    self.validate_at(item, list.element, allow_duplicates, path, errs);
                    path.truncate(len);
                }
            }
            Facet::Map(map) => {
                let Value::Object(m) = v else { return };
                for (k, child) in m {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    self.validate_at(child, map.lookup(k).ty, allow_duplicates, path, errs);
                    path.truncate(len);
                }
            }
            Facet::Scalar | Facet::Invalid => {}
        }
    }

    // ----------------------------------------------------------------- field sets

    /// The set of fields a value sets (`ToFieldSet`).
    pub fn field_set_of(&self, v: &Value, ty: TypeId) -> FieldSet {
        let mut set = FieldSet::new();
        let _ = self.field_set_walk(v, ty, &mut set);
        set
    }

    /// Fills `node` with what lies below `v`; returns true when `v` itself is a leaf.
    fn field_set_walk(&self, v: &Value, ty: TypeId, node: &mut FieldSet) -> bool {
        let atom = self.schema.atom(ty);
        match facet(atom, Some(v)) {
            Facet::Scalar => true,
            Facet::Invalid => false,
            Facet::List(list) => {
                if list.kind == ListKind::Atomic {
                    return true;
                }
                let Value::Array(items) = v else { return false };
                let pes: Vec<Option<PathElement>> = items
                    .iter()
                    .map(|item| self.item_path_element(list, item).ok())
                    .collect();
                let mut sorted: Vec<&PathElement> = pes.iter().flatten().collect();
                sorted.sort();
                let duplicate = |pe: &PathElement| {
                    let first = sorted.partition_point(|p| *p < pe);
                    sorted.get(first + 1).map(|p| *p == pe).unwrap_or(false)
                };
                for (item, pe) in items.iter().zip(pes.iter()) {
                    let Some(pe) = pe else { continue };
                    if duplicate(pe) {
                        node.insert_member(pe.clone());
                        continue;
                    }
                    let mut child = FieldSet::new();
                    self.field_set_walk(item, list.element, &mut child);
                    if !child.is_empty() {
                        *node.descend(pe) = child;
                    }
                    node.insert_member(pe.clone());
                }
                false
            }
            Facet::Map(map) => {
                if map.atomic {
                    return true;
                }
                let Value::Object(m) = v else { return false };
                for (k, child_value) in m {
                    let lookup = map.lookup(k);
                    let mut child = FieldSet::new();
                    let leaf = self.field_set_walk(child_value, lookup.ty, &mut child);
                    let pe = PathElement::Field(k.clone());
                    let empty_map = matches!(child_value, Value::Object(o) if o.is_empty());
                    if leaf || child_value.is_null() || empty_map || !lookup.is_field {
                        node.insert_member(pe.clone());
                    }
                    if !child.is_empty() {
                        *node.descend(&pe) = child;
                    }
                }
                false
            }
        }
    }

    // ----------------------------------------------------------------- merge

    /// `lhs ⊕ rhs` (the live object merged with an applied configuration).
    pub fn merge(&self, lhs: Option<&Value>, rhs: Option<&Value>, ty: TypeId) -> Option<Value> {
        // One side only: the merge is a copy of that side.
        match (lhs, rhs) {
            (None, None) => return None,
            (Some(only), None) | (None, Some(only)) => return Some(only.clone()),
            _ => {}
        }
        let atom = self.schema.atom(ty);
        let alhs = facet(atom, lhs);
        let arhs = facet(atom, rhs);
        let f = if rhs.is_none() { alhs } else { arhs };
        // When the two sides have different shapes, the right-hand side wins:
        // the left value is only used if it has the chosen shape.
        let lhs = if rhs.is_some() && lhs.is_some() && !alhs.same(&arhs) {
            match (f, lhs) {
                (Facet::List(_), Some(Value::Array(_)))
                | (Facet::Map(_), Some(Value::Object(_))) => lhs,
                (Facet::Scalar, _) => lhs,
                _ => None,
            }
        } else {
            lhs
        };
        let leaf = || rhs.or(lhs).cloned();
        match f {
            Facet::Scalar | Facet::Invalid => leaf(),
            Facet::List(list) => {
                let (l, r) = (as_list(lhs), as_list(rhs));
                let empty = l.map(|x| x.is_empty()).unwrap_or(true)
                    && r.map(|x| x.is_empty()).unwrap_or(true);
                if list.kind == ListKind::Atomic || empty {
                    return leaf();
                }
                let out = self.merge_list_items(
                    list,
                    l.map(|x| x.as_slice()).unwrap_or(&[]),
                    r.map(|x| x.as_slice()).unwrap_or(&[]),
                );
                (!out.is_empty()).then_some(Value::Array(out))
            }
            Facet::Map(map) => {
                let (l, r) = (as_map(lhs), as_map(rhs));
                let empty = l.map(|x| x.is_empty()).unwrap_or(true)
                    && r.map(|x| x.is_empty()).unwrap_or(true);
                if map.atomic || empty {
                    return leaf();
                }
                let mut out = Map::new();
                if let Some(l) = l {
                    for (k, lv) in l {
                        let rv = r.and_then(|r| r.get(k));
                        if let Some(v) = self.merge(Some(lv), rv, map.lookup(k).ty) {
                            out.insert(k.clone(), v);
                        }
                    }
                }
                if let Some(r) = r {
                    for (k, rv) in r {
                        if l.map(|l| l.contains_key(k)).unwrap_or(false) {
                            continue;
                        }
                        if let Some(v) = self.merge(None, Some(rv), map.lookup(k).ty) {
                            out.insert(k.clone(), v);
                        }
                    }
                }
                (!out.is_empty()).then_some(Value::Object(out))
            }
        }
    }

    /// Indexes list items by path element; duplicates map to `null` (as upstream).
    fn index_items<'v>(
        &self,
        list: &ListType,
        items: &'v [Value],
    ) -> (
        Vec<(PathElement, &'v Value)>,
        BTreeMap<PathElement, &'v Value>,
    ) {
        const NULL: &Value = &Value::Null;
        let mut pes = Vec::with_capacity(items.len());
        let mut observed = BTreeMap::new();
        for item in items {
            let Ok(pe) = self.item_path_element(list, item) else {
                continue;
            };
            if observed.contains_key(&pe) {
                observed.insert(pe.clone(), NULL);
            } else {
                observed.insert(pe.clone(), item);
            }
            pes.push((pe, item));
        }
        (pes, observed)
    }

    /// Merges set/map list items: the config's items in config order, live-only
    /// items kept at their relative positions (`mergingWalker.visitListItems`).
    fn merge_list_items(&self, list: &ListType, lhs: &[Value], rhs: &[Value]) -> Vec<Value> {
        let (rhs_pes, observed_rhs) = self.index_items(list, rhs);
        let (lhs_pes, observed_lhs) = self.index_items(list, lhs);
        let mut shared: std::collections::VecDeque<&PathElement> = rhs_pes
            .iter()
            .map(|(pe, _)| pe)
            .filter(|pe| observed_lhs.contains_key(*pe))
            .collect();
        let mut next_shared = shared.pop_front();
        let mut merged_rhs: std::collections::BTreeSet<&PathElement> = Default::default();
        let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
        let (mut li, mut ri) = (0, 0);
        let (llen, rlen) = (lhs_pes.len(), rhs_pes.len());
        let elem = list.element;
        while li < llen || ri < rlen {
            if li < llen && ri < rlen {
                let pe = &lhs_pes[li].0;
                if *pe == rhs_pes[ri].0 {
                    merged_rhs.insert(pe);
                    if let Some(v) = self.merge(
                        observed_lhs.get(pe).copied(),
                        observed_rhs.get(pe).copied(),
                        elem,
                    ) {
                        out.push(v);
                    }
                    li += 1;
                    ri += 1;
                    next_shared = shared.pop_front();
                    continue;
                }
                if observed_rhs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                    li += 1;
                    continue;
                }
            }
            if li < llen {
                let (pe, item) = &lhs_pes[li];
                if !observed_rhs.contains_key(pe) {
                    if let Some(v) = self.merge(Some(item), None, elem) {
                        out.push(v);
                    }
                    li += 1;
                    continue;
                } else if merged_rhs.contains(pe) {
                    li += 1;
                }
            }
            if ri < rlen {
                let pe = &rhs_pes[ri].0;
                merged_rhs.insert(pe);
                if let Some(v) = self.merge(
                    observed_lhs.get(pe).copied(),
                    observed_rhs.get(pe).copied(),
                    elem,
                ) {
                    out.push(v);
                }
                ri += 1;
                if next_shared.is_some_and(|n| n == pe) {
                    next_shared = shared.pop_front();
                }
            }
        }
        out
    }

    // ----------------------------------------------------------------- compare

    /// What changed from `lhs` to `rhs`.
    pub fn compare(&self, lhs: &Value, rhs: &Value, ty: TypeId) -> Comparison {
        let mut cmp = Comparison::default();
        if value::equal(lhs, rhs) {
            return cmp;
        }
        let mut path = Vec::new();
        self.compare_at(Some(lhs), Some(rhs), ty, &mut path, &mut cmp);
        cmp
    }

    fn compare_at(
        &self,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        ty: TypeId,
        path: &mut Vec<PathElement>,
        cmp: &mut Comparison,
    ) {
        if lhs.is_none() && rhs.is_none() {
            return;
        }
        let atom = self.schema.atom(ty);
        let alhs = facet(atom, lhs);
        let arhs = facet(atom, rhs);
        let mut in_leaf = false;
        if rhs.is_none() {
            self.compare_facet(alhs, lhs, rhs, path, cmp, &mut in_leaf);
        } else if lhs.is_none() || alhs.same(&arhs) {
            self.compare_facet(arhs, lhs, rhs, path, cmp, &mut in_leaf);
        } else {
            let mut copy_in_leaf = false;
            self.compare_facet(alhs, lhs, rhs, path, cmp, &mut copy_in_leaf);
            self.compare_facet(arhs, lhs, rhs, path, cmp, &mut in_leaf);
        }
        if !in_leaf {
            if lhs.is_none() {
                cmp.added.insert(path);
            } else if rhs.is_none() {
                cmp.removed.insert(path);
            }
        }
    }

    fn compare_leaf(
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        path: &[PathElement],
        cmp: &mut Comparison,
        in_leaf: &mut bool,
    ) {
        if *in_leaf {
            return;
        }
        *in_leaf = true;
        match (lhs, rhs) {
            (None, _) => cmp.added.insert(path),
            (_, None) => cmp.removed.insert(path),
            (Some(l), Some(r)) => {
                if !value::equal(l, r) {
                    cmp.modified.insert(path)
                }
            }
        }
    }

    fn compare_facet(
        &self,
        f: Facet<'_>,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        path: &mut Vec<PathElement>,
        cmp: &mut Comparison,
        in_leaf: &mut bool,
    ) {
        match f {
            Facet::Scalar | Facet::Invalid => Self::compare_leaf(lhs, rhs, path, cmp, in_leaf),
            Facet::List(list) => {
                let (l, r) = (as_list(lhs), as_list(rhs));
                let empty = l.map(|x| x.is_empty()).unwrap_or(true)
                    && r.map(|x| x.is_empty()).unwrap_or(true);
                if list.kind == ListKind::Atomic || empty {
                    return Self::compare_leaf(lhs, rhs, path, cmp, in_leaf);
                }
                self.compare_list_items(
                    list,
                    l.map(|x| x.as_slice()).unwrap_or(&[]),
                    r.map(|x| x.as_slice()).unwrap_or(&[]),
                    path,
                    cmp,
                );
            }
            Facet::Map(map) => {
                let (l, r) = (as_map(lhs), as_map(rhs));
                let empty = l.map(|x| x.is_empty()).unwrap_or(true)
                    && r.map(|x| x.is_empty()).unwrap_or(true);
                if map.atomic || empty {
                    return Self::compare_leaf(lhs, rhs, path, cmp, in_leaf);
                }
                // A typed object always carries some fields (non-pointer structs,
                // slices without omitempty): where the parent exists, an absent one
                // compares as its zero value, as upstream compares typed objects.
                let zero_of = |k: &str| map.lookup(k).declared.and_then(|f| f.zero.as_ref());
                if let Some(l) = l {
                    for (k, lv) in l {
                        let rv = r.and_then(|r| r.get(k)).or_else(|| r.and(zero_of(k)));
                        path.push(PathElement::Field(k.clone()));
                        self.compare_at(Some(lv), rv, map.lookup(k).ty, path, cmp);
                        path.pop();
                    }
                }
                if let Some(r) = r {
                    for (k, rv) in r {
                        if l.map(|l| l.contains_key(k)).unwrap_or(false) {
                            continue;
                        }
                        let lv = l.and(zero_of(k));
                        path.push(PathElement::Field(k.clone()));
                        self.compare_at(lv, Some(rv), map.lookup(k).ty, path, cmp);
                        path.pop();
                    }
                }
            }
        }
    }

    fn compare_list_items(
        &self,
        list: &ListType,
        lhs: &[Value],
        rhs: &[Value],
        path: &mut Vec<PathElement>,
        cmp: &mut Comparison,
    ) {
        let mut all: Vec<PathElement> = Vec::new();
        let mut lvalues: BTreeMap<PathElement, Vec<&Value>> = BTreeMap::new();
        for item in lhs {
            let Ok(pe) = self.item_path_element(list, item) else {
                continue;
            };
            match lvalues.get_mut(&pe) {
                Some(v) => v.push(item),
                None => {
                    all.push(pe.clone());
                    lvalues.insert(pe, vec![item]);
                }
            }
        }
        let mut rvalues: BTreeMap<PathElement, Vec<&Value>> = BTreeMap::new();
        for item in rhs {
            let Ok(pe) = self.item_path_element(list, item) else {
                continue;
            };
            match rvalues.get_mut(&pe) {
                Some(v) => v.push(item),
                None => {
                    if !lvalues.contains_key(&pe) {
                        all.push(pe.clone());
                    }
                    rvalues.insert(pe, vec![item]);
                }
            }
        }
        let none: Vec<&Value> = Vec::new();
        for pe in all {
            let l = lvalues.get(&pe).unwrap_or(&none);
            let r = rvalues.get(&pe).unwrap_or(&none);
            path.push(pe);
            match (l.len(), r.len()) {
                (0, 0) => {}
                (ln, rn) if ln <= 1 && rn <= 1 => self.compare_at(
                    l.first().copied(),
                    r.first().copied(),
                    list.element,
                    path,
                    cmp,
                ),
                (ln, rn) if ln >= 2 && rn >= 2 => {
                    let same = ln == rn && l.iter().zip(r.iter()).all(|(a, b)| value::equal(a, b));
                    if !same {
                        cmp.modified.insert(path);
                    }
                }
                (ln, _) if ln >= 2 => {
                    if let Some(first) = r.first() {
                        self.compare_at(None, Some(first), list.element, path, cmp);
                    }
                    cmp.removed.insert(path);
                }
                _ => {
                    if let Some(first) = l.first() {
                        self.compare_at(Some(first), None, list.element, path, cmp);
                    }
                    cmp.added.insert(path);
                }
            }
            path.pop();
        }
    }

    // ----------------------------------------------------------------- removal

    /// A copy of `v` without the fields in `set` (`RemoveItems`). Emptied maps
    /// and lists become `null`, as upstream.
    pub fn remove_items(&self, v: &Value, set: &FieldSet, ty: TypeId) -> Value {
        let atom = self.schema.atom(ty);
        match facet(atom, Some(v)) {
            Facet::Scalar | Facet::Invalid => v.clone(),
            Facet::List(list) => {
                let Value::Array(items) = v else {
                    return Value::Null;
                };
                if items.is_empty() || list.kind == ListKind::Atomic {
                    return Value::Null;
                }
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.item_path_element(list, item) {
                        Ok(pe) => {
                            if set.has_member(&pe) {
                                continue;
                            }
                            match set.child(&pe).filter(|c| !c.is_empty()) {
                                Some(sub) => out.push(self.remove_items(item, sub, list.element)),
                                None => out.push(item.clone()),
                            }
                        }
                        Err(_) => out.push(item.clone()),
                    }
                }
                if out.is_empty() {
                    Value::Null
                } else {
                    Value::Array(out)
                }
            }
            Facet::Map(map) => {
                let Value::Object(m) = v else {
                    return Value::Null;
                };
                if m.is_empty() || map.atomic {
                    return Value::Null;
                }
                let mut out = Map::new();
                for (k, child) in m {
                    let pe = PathElement::Field(k.clone());
                    if set.has_member(&pe) {
                        continue;
                    }
                    match set.child(&pe).filter(|c| !c.is_empty()) {
                        Some(sub) => {
                            out.insert(k.clone(), self.remove_items(child, sub, map.lookup(k).ty));
                        }
                        None => {
                            out.insert(k.clone(), child.clone());
                        }
                    }
                }
                if out.is_empty() {
                    Value::Null
                } else {
                    Value::Object(out)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{builtin, from_openapi_schema, TypeRef};
    use serde_json::json;

    fn fs(ty: &TypeRef, v: &Value) -> String {
        Typed::new(&ty.schema)
            .field_set_of(v, ty.id)
            .to_fields_v1_string()
    }

    #[test]
    fn field_set_of_a_deployment_matches_upstream() {
        let ty = builtin("apps", "v1", "Deployment").expect("type");
        let config = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1", "ports": [{"containerPort": 80}]}]}}}
        });
        assert_eq!(
            fs(&ty, &config),
            r#"{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}"#
        );
    }

    #[test]
    fn deduced_maps_track_every_key() {
        let ty = TypeRef::deduced();
        assert_eq!(
            fs(&ty, &json!({"spec": {"a": 1, "b": {"c": [1, 2]}}, "e": {}})),
            r#"{"f:e":{},"f:spec":{".":{},"f:a":{},"f:b":{".":{},"f:c":{}}}}"#
        );
    }

    #[test]
    fn merge_keeps_live_only_items_in_place() {
        let ty = from_openapi_schema(&json!({"type": "object", "properties": {"l": {
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"],
            "items": {"type": "object", "properties": {"k": {"type": "string"}, "v": {"type": "integer"}}}}}}));
        let t = Typed::new(&ty.schema);
        let live = json!({"l": [{"k": "a", "v": 1}, {"k": "b", "v": 2}, {"k": "c", "v": 3}]});
        let config = json!({"l": [{"k": "c", "v": 30}, {"k": "d", "v": 4}, {"k": "a"}]});
        let merged = t.merge(Some(&live), Some(&config), ty.id).expect("merged");
        assert_eq!(
            merged,
            json!({"l": [{"k": "b", "v": 2}, {"k": "c", "v": 30}, {"k": "d", "v": 4}, {"k": "a", "v": 1}]})
        );
    }

    #[test]
    fn compare_reports_changes() {
        let ty = builtin("", "v1", "ConfigMap").expect("type");
        let t = Typed::new(&ty.schema);
        let c = t.compare(
            &json!({"data": {"a": "1", "b": "2"}}),
            &json!({"data": {"a": "x", "c": "3"}}),
            ty.id,
        );
        let paths = |s: &FieldSet| s.paths().iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(paths(&c.modified), [".data.a"]);
        assert_eq!(paths(&c.added), [".data.c"]);
        assert_eq!(paths(&c.removed), [".data.b"]);
    }

    #[test]
    fn validation_finds_duplicates_and_missing_keys() {
        let ty = builtin("", "v1", "Pod").expect("type");
        let t = Typed::new(&ty.schema);
        let pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}});
        assert_eq!(
            render_errors(&t.validate(&pod, ty.id, false)),
            ".spec.containers: duplicate entries for key [name=\"a\"]"
        );
        assert!(t.validate(&pod, ty.id, true).is_empty());
        let pod = json!({"spec": {"containers": [{"image": "x"}]}});
        assert_eq!(
            render_errors(&t.validate(&pod, ty.id, false)),
            ".spec.containers: element 0: associative list with keys has an element that omits all key fields [\"name\"] (and doesn't have default values for any key fields)"
        );
    }

    #[test]
    fn remove_items_drops_subtrees() {
        let ty = builtin("", "v1", "ConfigMap").expect("type");
        let t = Typed::new(&ty.schema);
        let mut set = FieldSet::new();
        set.insert(&[PathElement::field("data"), PathElement::field("a")]);
        set.insert(&[PathElement::field("binaryData")]);
        let out = t.remove_items(
            &json!({"data": {"a": "1", "b": "2"}, "binaryData": {"x": "eA=="}}),
            &set,
            ty.id,
        );
        assert_eq!(out, json!({"data": {"b": "2"}}));
    }
}
