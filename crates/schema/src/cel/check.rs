//! A lightweight static checker for CEL rules, standing in for cel-go's type checker at CRD
//! time: undeclared references, undefined fields of declared object types, field selection
//! on scalars, and the output type of rules and message expressions. Types that cannot be
//! inferred are `dyn` and never produce errors.

use super::types::CelType;
use kube_cel::cel::common::ast::{EntryExpr, Expr, LiteralValue};
use kube_cel::cel::IdedExpr;

/// The outcome of checking an expression.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The inferred output type.
    pub output: CelType,
    /// Whether `oldSelf` is referenced.
    pub uses_old_self: bool,
}

struct Checker<'a> {
    source: &'a str,
    scopes: Vec<(String, CelType)>,
    self_type: &'a CelType,
    old_self: Option<&'a CelType>,
    uses_old_self: bool,
}

/// cel-go's `issues.String()` for one error at byte offset `at`.
fn issue(source: &str, at: usize, message: &str) -> String {
    let before = &source[..at.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = source[line_start..at.min(source.len())].chars().count() + 1;
    let line_text = source[line_start..].lines().next().unwrap_or("");
    format!(
        "ERROR: <input>:{line}:{column}: {message}\n | {line_text}\n | {}^",
        ".".repeat(column - 1)
    )
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The offset of `needle` as a whole identifier (optionally requiring a preceding `.`).
fn find_token(source: &str, needle: &str, after_dot: bool) -> usize {
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(pos) = source[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = if after_dot {
            start > 0 && bytes[start - 1] == b'.'
        } else {
            start == 0 || (!is_ident_char(bytes[start - 1]) && bytes[start - 1] != b'.')
        };
        let after_ok = end >= bytes.len() || !is_ident_char(bytes[end]);
        if before_ok && after_ok {
            return if after_dot { start - 1 } else { start };
        }
        from = start + 1;
    }
    0
}

const TYPE_IDENTS: [&str; 10] = [
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

impl Checker<'_> {
    fn lookup(&mut self, name: &str) -> Option<CelType> {
        if let Some((_, t)) = self.scopes.iter().rev().find(|(n, _)| n == name) {
            return Some(t.clone());
        }
        match name {
            "self" => Some(self.self_type.clone()),
            "oldSelf" => {
                let t = self.old_self?.clone();
                self.uses_old_self = true;
                Some(t)
            }
            t if TYPE_IDENTS.contains(&t) => Some(CelType::Type),
            _ => None,
        }
    }

    fn check(&mut self, e: &IdedExpr) -> Result<CelType, String> {
        match &e.expr {
            Expr::Unspecified => Ok(CelType::Dyn),
            Expr::Literal(l) => Ok(match l {
                LiteralValue::Boolean(_) => CelType::Bool,
                LiteralValue::Bytes(_) => CelType::Bytes,
                LiteralValue::Double(_) => CelType::Double,
                LiteralValue::Int(_) => CelType::Int,
                LiteralValue::Null => CelType::Null,
                LiteralValue::String(_) => CelType::String,
                LiteralValue::UInt(_) => CelType::Uint,
            }),
            Expr::Ident(name) => match self.lookup(name) {
                Some(t) => Ok(t),
                None => {
                    let at = find_token(self.source, name, false);
                    Err(issue(
                        self.source,
                        at,
                        &format!("undeclared reference to '{name}' (in container '')"),
                    ))
                }
            },
            Expr::Select(sel) => {
                let operand = self.check(&sel.operand)?;
                let t = self.select(&operand, &sel.field)?;
                Ok(if sel.test { CelType::Bool } else { t })
            }
            Expr::List(list) => {
                let mut elem: Option<CelType> = None;
                for item in &list.elements {
                    let t = self.check(item)?;
                    elem = Some(match elem {
                        None => t,
                        Some(prev) if prev == t => prev,
                        Some(_) => CelType::Dyn,
                    });
                }
                Ok(CelType::List(Box::new(elem.unwrap_or(CelType::Dyn))))
            }
            Expr::Map(map) => {
                let mut key: Option<CelType> = None;
                let mut value: Option<CelType> = None;
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        let k = self.check(&me.key)?;
                        let v = self.check(&me.value)?;
                        key = Some(match key {
                            None => k,
                            Some(p) if p == k => p,
                            Some(_) => CelType::Dyn,
                        });
                        value = Some(match value {
                            None => v,
                            Some(p) if p == v => p,
                            Some(_) => CelType::Dyn,
                        });
                    }
                }
                Ok(CelType::Map(
                    Box::new(key.unwrap_or(CelType::Dyn)),
                    Box::new(value.unwrap_or(CelType::Dyn)),
                ))
            }
            Expr::Struct(st) => {
                for entry in &st.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.check(&f.value)?;
                    }
                }
                Ok(CelType::Dyn)
            }
            Expr::Comprehension(c) => {
                let range = self.check(&c.iter_range)?;
                let (first, second) = match &range {
                    CelType::List(e) => (CelType::Int, (**e).clone()),
                    CelType::Map(k, v) => ((**k).clone(), (**v).clone()),
                    _ => (CelType::Dyn, CelType::Dyn),
                };
                let accu = self.check(&c.accu_init)?;
                let iter_type = if c.iter_var2.is_some() {
                    first.clone()
                } else {
                    match &range {
                        CelType::List(e) => (**e).clone(),
                        CelType::Map(k, _) => (**k).clone(),
                        _ => CelType::Dyn,
                    }
                };
                let depth = self.scopes.len();
                self.scopes.push((c.iter_var.clone(), iter_type));
                if let Some(v2) = &c.iter_var2 {
                    self.scopes.push((v2.clone(), second));
                }
                self.scopes.push((c.accu_var.clone(), accu));
                let checked = (|| -> Result<CelType, String> {
                    self.check(&c.loop_cond)?;
                    let step = self.check(&c.loop_step)?;
                    if let Some(slot) = self.scopes.last_mut() {
                        if slot.1 != step
                            && matches!(slot.1, CelType::List(ref e) if **e == CelType::Dyn)
                        {
                            slot.1 = step;
                        }
                    }
                    self.check(&c.result)
                })();
                self.scopes.truncate(depth);
                checked
            }
            Expr::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args),
        }
    }

    fn select(&self, operand: &CelType, field: &str) -> Result<CelType, String> {
        match operand {
            CelType::Object(fields) => match fields.get(field) {
                Some(t) => Ok(t.clone()),
                None => {
                    let at = find_token(self.source, field, true);
                    Err(issue(
                        self.source,
                        at,
                        &format!("undefined field '{field}'"),
                    ))
                }
            },
            CelType::Map(_, v) => Ok((**v).clone()),
            CelType::Dyn | CelType::Optional(_) | CelType::Type => Ok(CelType::Dyn),
            CelType::Null => Ok(CelType::Dyn),
            other => {
                let at = find_token(self.source, field, true);
                Err(issue(
                    self.source,
                    at,
                    &format!("type '{}' does not support field selection", other.name()),
                ))
            }
        }
    }

    fn call(
        &mut self,
        name: &str,
        target: Option<&IdedExpr>,
        args: &[IdedExpr],
    ) -> Result<CelType, String> {
        let target_type = match target {
            Some(t) => Some(self.check(t)?),
            None => None,
        };
        let mut arg_types = Vec::with_capacity(args.len());
        for a in args {
            arg_types.push(self.check(a)?);
        }
        let first = || arg_types.first().cloned().unwrap_or(CelType::Dyn);
        Ok(match name {
            "_==_"
            | "_!=_"
            | "_<_"
            | "_<=_"
            | "_>_"
            | "_>=_"
            | "_&&_"
            | "_||_"
            | "!_"
            | "@in"
            | "@not_strictly_false" => CelType::Bool,
            "_?_:_" => {
                let a = arg_types.get(1).cloned().unwrap_or(CelType::Dyn);
                let b = arg_types.get(2).cloned().unwrap_or(CelType::Dyn);
                if a == b || b == CelType::Null {
                    a
                } else if a == CelType::Null {
                    b
                } else {
                    CelType::Dyn
                }
            }
            "-_" => first(),
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => {
                let a = first();
                let b = arg_types.get(1).cloned().unwrap_or(CelType::Dyn);
                match (&a, &b) {
                    (CelType::Timestamp, CelType::Timestamp) if name == "_-_" => CelType::Duration,
                    (CelType::Timestamp, _) | (_, CelType::Timestamp) => CelType::Timestamp,
                    (x, y) if x == y => a,
                    _ => CelType::Dyn,
                }
            }
            "_[_]" => match first() {
                CelType::List(e) => *e,
                CelType::Map(_, v) => *v,
                _ => CelType::Dyn,
            },
            "_[?_]" | "_?._" => CelType::Optional(Box::new(CelType::Dyn)),
            "size" => CelType::Int,
            "contains"
            | "startsWith"
            | "endsWith"
            | "matches"
            | "isSorted"
            | "isURL"
            | "isIP"
            | "isCIDR"
            | "isQuantity"
            | "isSemver"
            | "isGreaterThan"
            | "isLessThan"
            | "isInteger"
            | "hasValue"
            | "sets.contains"
            | "sets.equivalent"
            | "sets.intersects"
            | "containsIP"
            | "containsCIDR"
            | "isLoopback"
            | "isUnspecified"
            | "isGlobalUnicast"
            | "isLinkLocalMulticast"
            | "isLinkLocalUnicast"
            | "ip.isCanonical"
            | "isCIDRv4"
            | "isCIDRv6"
            | "isIPv4"
            | "isIPv6"
            | "math.isInf"
            | "math.isNaN"
            | "math.isFinite"
            | "exists"
            | "all"
            | "exists_one" => CelType::Bool,
            "int" | "indexOf" | "lastIndexOf" | "compareTo" | "sign" | "major" | "minor"
            | "patch" | "family" | "prefixLength" | "asInteger" => CelType::Int,
            "uint" => CelType::Uint,
            "double" | "asApproximateFloat" => CelType::Double,
            "string"
            | "lowerAscii"
            | "upperAscii"
            | "trim"
            | "replace"
            | "substring"
            | "charAt"
            | "find"
            | "join"
            | "format"
            | "strings.quote"
            | "base64.encode"
            | "getScheme"
            | "getHost"
            | "getHostname"
            | "getPort"
            | "getEscapedPath"
            | "reverse"
            | "jsonpatch.escapeKey" => CelType::String,
            "bytes" | "base64.decode" => CelType::Bytes,
            "split" | "findAll" => CelType::List(Box::new(CelType::String)),
            "duration" => CelType::Duration,
            "timestamp" => CelType::Timestamp,
            "type" | "dyn" => CelType::Dyn,
            "has" => CelType::Bool,
            "filter" | "sort" | "distinct" | "slice" | "flatten" => {
                target_type.clone().unwrap_or(CelType::Dyn)
            }
            "getFullYear" | "getMonth" | "getDayOfYear" | "getDayOfMonth" | "getDate"
            | "getDayOfWeek" | "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds" => {
                CelType::Int
            }
            _ => CelType::Dyn,
        })
    }
}

/// Checks a parsed expression with `self` of `self_type` and (if declared) `oldSelf`.
pub(crate) fn check(
    expr: &IdedExpr,
    source: &str,
    self_type: &CelType,
    old_self: Option<&CelType>,
) -> Result<Checked, String> {
    let mut checker = Checker {
        source,
        scopes: Vec::new(),
        self_type,
        old_self,
        uses_old_self: false,
    };
    let output = checker.check(expr)?;
    Ok(Checked {
        output,
        uses_old_self: checker.uses_old_self,
    })
}
