//! CEL `x-kubernetes-validations`: CRD-time compilation checks and runtime evaluation on
//! custom resources, with Kubernetes' error rendering (facts-crd §5).
//!
//! Parsing and evaluation use the `cel` crate (through `kube-cel`, which adds the Kubernetes
//! and cel-go extension libraries: strings, lists, sets, regex, url, ip/cidr, semver,
//! quantity, format, math, base64). A small static checker stands in for cel-go's type
//! checker (see [`check`]).

mod check;
mod convert;
mod types;

use crate::field::{BadValue, ErrorList, ErrorType, FieldError, Path};
use crate::openapi::{SchemaProps, ValidationRule};
use crate::structural::{Structural, StructuralSchema};
use kube_cel::cel::objects::OptionalValue;
use kube_cel::cel::parser::Parser;
use kube_cel::cel::{Context, ExecutionError, IdedExpr, Value};
use kube_cel::KubeCelExt;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use types::{decl_type, CelType};

/// The outcome of evaluating the rules of an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CelOutcome {
    /// Failed rules and evaluation errors.
    pub errors: ErrorList,
    /// Failed rules on unchanged nodes (ratcheting): upstream sends them as `Warning` headers.
    pub warnings: Vec<String>,
}

/// Parses a CEL expression with optional syntax enabled, rendering errors like cel-go.
fn parse(source: &str) -> Result<IdedExpr, String> {
    Parser::new()
        .enable_optional_syntax(true)
        .parse(source)
        .map_err(|errs| {
            errs.errors
                .iter()
                .map(|e| {
                    let line = e.pos.0.max(1) as usize;
                    let column = e.pos.1.max(1) as usize;
                    let line_text = source.lines().nth(line - 1).unwrap_or("");
                    format!(
                        "ERROR: <input>:{line}:{column}: {}\n | {line_text}\n | {}^",
                        e.msg,
                        ".".repeat(column - 1)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
}

/// A rule compiled for evaluation.
#[derive(Debug, Clone)]
struct CompiledRule {
    rule: ValidationRule,
    program: Result<IdedExpr, String>,
    uses_old_self: bool,
    message_expression: Option<IdedExpr>,
    field_path: Option<String>,
}

/// The rules of a schema subtree, mirroring the structural schema where rules exist.
#[derive(Debug, Clone, Default)]
pub(crate) struct CelTree {
    rules: Vec<CompiledRule>,
    is_resource_root: bool,
    schema: Structural,
    properties: BTreeMap<String, CelTree>,
    items: Option<Box<CelTree>>,
    additional: Option<Box<CelTree>>,
}

fn uses_old_self(expr: &IdedExpr) -> bool {
    expr.references().has_variable("oldSelf")
}

impl CelTree {
    /// Compiles the rules of a structural schema; `None` when there are none.
    pub(crate) fn build(s: &Structural, is_resource_root: bool) -> Option<CelTree> {
        let rules: Vec<CompiledRule> = s
            .x_validations
            .iter()
            .map(|rule| {
                let program = if rule.rule.trim().is_empty() {
                    Err("rule is not specified".to_string())
                } else {
                    parse(&rule.rule)
                };
                let uses = program.as_ref().is_ok_and(uses_old_self);
                let message_expression = if rule.message_expression.is_empty() {
                    None
                } else {
                    parse(&rule.message_expression).ok()
                };
                let field_path = if rule.field_path.is_empty() {
                    None
                } else {
                    crate::jsonpath::valid_field_path(&rule.field_path, s, true)
                        .ok()
                        .map(|(p, _)| p.to_string())
                };
                CompiledRule {
                    rule: rule.clone(),
                    program,
                    uses_old_self: uses,
                    message_expression,
                    field_path,
                }
            })
            .collect();
        let mut properties = BTreeMap::new();
        for (k, prop) in &s.properties {
            if let Some(child) = CelTree::build(prop, prop.x_embedded_resource) {
                properties.insert(k.clone(), child);
            }
        }
        let items = s
            .items
            .as_deref()
            .and_then(|i| CelTree::build(i, i.x_embedded_resource))
            .map(Box::new);
        let additional = s
            .additional_properties
            .as_ref()
            .and_then(|a| a.structural.as_deref())
            .and_then(|a| CelTree::build(a, a.x_embedded_resource))
            .map(Box::new);
        if rules.is_empty() && properties.is_empty() && items.is_none() && additional.is_none() {
            return None;
        }
        let mut schema = s.clone();
        // The node schema is only used for its own type, format and list/map metadata.
        schema.properties = s
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), shallow(v)))
            .collect();
        schema.items = s.items.as_deref().map(|i| Box::new(shallow(i)));
        Some(CelTree {
            rules,
            is_resource_root,
            schema,
            properties,
            items,
            additional,
        })
    }
}

/// A node without its subtree (to keep the tree small); leaf types are kept for values.
fn shallow(s: &Structural) -> Structural {
    let mut out = s.clone();
    out.x_validations.clear();
    out
}

thread_local! {
    static ROOT: Context<'static> = Context::default().with_all();
}

/// Ratcheting correlation (`ratchetingOptions`): the current correlated (new, old) pair and
/// its nearest correlated parent.
#[derive(Clone, Copy, Default)]
struct Ratchet<'a> {
    current: Option<(&'a Json, &'a Json)>,
    parent: Option<(&'a Json, &'a Json)>,
}

impl<'a> Ratchet<'a> {
    fn should_ratchet(&self) -> bool {
        match self.current.or(self.parent) {
            Some((new, old)) => new == old,
            None => false,
        }
    }

    fn key(&self, field: &str, correlatable: bool) -> Ratchet<'a> {
        let Some((new, old)) = self.current else {
            return *self;
        };
        if self.parent.is_none() && (field == "apiVersion" || field == "kind") {
            return Ratchet::default();
        }
        let child = match (new.get(field), old.get(field)) {
            (Some(n), Some(o)) if correlatable => Some((n, o)),
            _ => None,
        };
        Ratchet {
            current: child,
            parent: Some((new, old)),
        }
    }

    fn index(&self, new_item: &'a Json, old_item: Option<&'a Json>) -> Ratchet<'a> {
        let Some(current) = self.current else {
            return *self;
        };
        Ratchet {
            current: old_item.map(|o| (new_item, o)),
            parent: Some(current),
        }
    }
}

fn runtime_message(err: &ExecutionError) -> String {
    match err {
        ExecutionError::NoSuchKey(k) => format!("no such key: {k}"),
        ExecutionError::NoSuchOverload
        | ExecutionError::UnsupportedBinaryOperator(..)
        | ExecutionError::UnsupportedUnaryOperator(..)
        | ExecutionError::UnexpectedType { .. }
        | ExecutionError::ValuesNotComparable(..)
        | ExecutionError::UnsupportedTargetType { .. }
        | ExecutionError::NotSupportedAsMethod { .. } => "no such overload".to_string(),
        ExecutionError::DivisionByZero(_) => "division by zero".to_string(),
        ExecutionError::RemainderByZero(_) => "modulus by zero".to_string(),
        ExecutionError::Overflow(..) => "integer overflow".to_string(),
        ExecutionError::IndexOutOfBounds(v) => format!("index out of bounds: {}", value_text(v)),
        ExecutionError::FunctionError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::String(s) => s.to_string(),
        other => format!("{other:?}"),
    }
}

fn rule_error_string(rule: &ValidationRule) -> String {
    if !rule.message.is_empty() {
        rule.message.trim().to_string()
    } else {
        rule.rule.trim().to_string()
    }
}

fn rule_message_or_default(rule: &ValidationRule) -> String {
    if rule.message.is_empty() {
        format!("failed rule: {}", rule_error_string(rule))
    } else {
        rule.message.trim().to_string()
    }
}

/// `fieldErrorForReason`.
fn error_for_reason(
    path: &Path,
    value: BadValue,
    detail: String,
    reason: Option<&str>,
) -> FieldError {
    match reason {
        Some("FieldValueForbidden") => FieldError::forbidden(path, detail),
        Some("FieldValueRequired") => FieldError::required(path, detail),
        Some("FieldValueDuplicate") => FieldError::new(ErrorType::Duplicate, path, value, ""),
        _ => FieldError::new(ErrorType::Invalid, path, value, detail),
    }
}

struct Evaluation<'r> {
    errors: &'r mut ErrorList,
    warnings: &'r mut Vec<String>,
}

fn evaluate(ctx: &Context<'_>, expr: &IdedExpr) -> Result<Value, ExecutionError> {
    Value::resolve(expr, ctx)
}

impl CelTree {
    fn validate<'a>(
        &self,
        path: &Path,
        obj: &'a Json,
        old: Option<&'a Json>,
        ratchet: Ratchet<'a>,
        out: &mut Evaluation<'_>,
    ) {
        if obj.is_null() {
            return;
        }
        let old = old.filter(|o| !o.is_null());
        self.validate_expressions(path, obj, old, ratchet, out);
        match obj {
            Json::Array(items) => {
                let Some(item_tree) = &self.items else { return };
                let old_items = old.and_then(Json::as_array);
                let map_keys = (self.schema.x_list_type.as_deref() == Some("map"))
                    .then_some(&self.schema.x_list_map_keys);
                for (i, item) in items.iter().enumerate() {
                    let old_item = match (map_keys, old_items) {
                        (Some(keys), Some(o)) => {
                            crate::structural::correlate_map_item(keys, item, o)
                        }
                        _ => None,
                    };
                    item_tree.validate(
                        &path.index(i),
                        item,
                        old_item,
                        ratchet.index(item, old_item),
                        out,
                    );
                }
            }
            Json::Object(map) => {
                let correlatable = matches!(
                    self.schema.x_map_type.as_deref(),
                    None | Some("granular") | Some("atomic")
                );
                let old_map = old.and_then(Json::as_object);
                if let Some(additional) = &self.additional {
                    for (k, v) in map {
                        let old_v = old_map.filter(|_| correlatable).and_then(|o| o.get(k));
                        additional.validate(
                            &path.key(k),
                            v,
                            old_v,
                            ratchet.key(k, correlatable),
                            out,
                        );
                    }
                }
                if !self.properties.is_empty() {
                    for (k, v) in map {
                        if let Some(sub) = self.properties.get(k) {
                            let old_v = old_map.filter(|_| correlatable).and_then(|o| o.get(k));
                            sub.validate(
                                &path.child(k),
                                v,
                                old_v,
                                ratchet.key(k, correlatable),
                                out,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn validate_expressions(
        &self,
        path: &Path,
        obj: &Json,
        old: Option<&Json>,
        ratchet: Ratchet<'_>,
        out: &mut Evaluation<'_>,
    ) {
        if self.rules.is_empty() {
            return;
        }
        let type_value = || BadValue::Value(Json::String(self.schema.type_.clone()));
        let self_value = convert::to_cel(obj, Some(&self.schema), self.is_resource_root);
        let needs_old = self.rules.iter().any(|r| {
            r.uses_old_self
                || r.rule.optional_old_self == Some(true)
                || r.message_expression.is_some()
        });
        let old_value = if needs_old {
            old.map(|o| convert::to_cel(o, Some(&self.schema), self.is_resource_root))
        } else {
            None
        };
        ROOT.with(|root| {
            let mut main_scope = root.new_inner_scope();
            main_scope.add_variable_from_value("self", self_value.clone());
            if let Some(v) = &old_value {
                main_scope.add_variable_from_value("oldSelf", v.clone());
            }
            let mut optional_scope: Option<Context<'_>> = None;
            for compiled in &self.rules {
                let rule = &compiled.rule;
                let program = match &compiled.program {
                    Ok(p) => p,
                    Err(err) => {
                        out.errors.push(FieldError::new(
                            ErrorType::Invalid,
                            path,
                            type_value(),
                            format!("rule compile error: {err}"),
                        ));
                        continue;
                    }
                };
                let optional_old_self = rule.optional_old_self == Some(true);
                if compiled.uses_old_self && old_value.is_none() && !optional_old_self {
                    continue;
                }
                let scope = if optional_old_self {
                    optional_scope.get_or_insert_with(|| {
                        let mut scope = root.new_inner_scope();
                        scope.add_variable_from_value("self", self_value.clone());
                        let opt = match &old_value {
                            Some(v) => OptionalValue::of(v.clone()),
                            None => OptionalValue::none(),
                        };
                        scope.add_variable_from_value("oldSelf", Value::Opaque(Arc::new(opt)));
                        scope
                    })
                } else {
                    &main_scope
                };
                match evaluate(scope, program) {
                    Ok(Value::Bool(true)) => continue,
                    Ok(Value::Bool(false)) => {}
                    Ok(_) => {
                        out.errors.push(FieldError::new(
                            ErrorType::Invalid,
                            path,
                            type_value(),
                            format!(
                                "'no such overload': call arguments did not match a supported operator, function or macro signature for rule: {}",
                                rule_error_string(rule)
                            ),
                        ));
                        continue;
                    }
                    Err(err) => {
                        let message = runtime_message(&err);
                        let detail = if message.starts_with("no such overload") {
                            format!(
                                "'{message}': call arguments did not match a supported operator, function or macro signature for rule: {}",
                                rule_error_string(rule)
                            )
                        } else {
                            format!("{message} evaluating rule: {}", rule_error_string(rule))
                        };
                        out.errors.push(FieldError::new(ErrorType::Invalid, path, type_value(), detail));
                        continue;
                    }
                }
                let current_path = match &compiled.field_path {
                    Some(fp) => path.child(fp),
                    None => path.clone(),
                };
                let mut detail = None;
                if let Some(message_expression) = &compiled.message_expression {
                    if let Ok(Value::String(s)) = evaluate(&main_scope, message_expression) {
                        let trimmed = s.trim();
                        if !trimmed.is_empty() && !trimmed.contains('\n') && trimmed.len() <= 5 * 1024 {
                            detail = Some(trimmed.to_string());
                        }
                    }
                }
                let detail = detail.unwrap_or_else(|| rule_message_or_default(rule));
                let value = if matches!(self.schema.type_.as_str(), "object" | "array") {
                    BadValue::Omitted
                } else {
                    BadValue::Value(obj.clone())
                };
                let err = error_for_reason(&current_path, value, detail, rule.reason.as_deref());
                if !compiled.uses_old_self && ratchet.should_ratchet() {
                    out.warnings.push(err.to_string());
                } else {
                    out.errors.push(err);
                }
            }
        });
    }
}

/// Evaluates every rule of `schema` on `obj` (root path `<nil>`), with `old` for transition
/// rules and ratcheting on update.
pub(crate) fn validate_with(
    tree: &CelTree,
    root: &Path,
    obj: &Json,
    old: Option<&Json>,
    ratcheting: bool,
) -> CelOutcome {
    let mut outcome = CelOutcome::default();
    let ratchet = match (ratcheting, old) {
        (true, Some(o)) => Ratchet {
            current: Some((obj, o)),
            parent: None,
        },
        _ => Ratchet::default(),
    };
    {
        let mut eval = Evaluation {
            errors: &mut outcome.errors,
            warnings: &mut outcome.warnings,
        };
        tree.validate(root, obj, old, ratchet, &mut eval);
    }
    outcome
}

/// CEL validation of a default value against its node's rules (`ValidateDefaults`): once
/// with `oldSelf` = the default, then, if that passed, without `oldSelf`.
pub(crate) fn validate_default_rules(
    schema: &StructuralSchema,
    value: &Json,
    path: &Path,
) -> ErrorList {
    let Some(tree) = CelTree::build(schema.structural(), schema.structural().x_embedded_resource)
    else {
        return ErrorList::new();
    };
    let first = validate_with(&tree, path, value, Some(value), false);
    if !first.errors.is_empty() {
        return first.errors;
    }
    validate_with(&tree, path, value, None, false).errors
}

/// CRD-time compilation errors of the rules at one schema node (`cel.Compile` as
/// `ValidateCustomResourceDefinitionOpenAPISchema` reports them).
pub(crate) fn crd_compile_errors(
    schema: &SchemaProps,
    path: &Path,
    resource_root: bool,
    uncorrelatable: Option<&Path>,
    _preexisting: &HashSet<String>,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let Ok(structural) = Structural::from_props(schema) else {
        return errs;
    };
    let self_type = decl_type(&structural, resource_root);
    for (i, rule) in schema.x_validations.iter().enumerate() {
        let rule_path = path.child("x-kubernetes-validations").index(i);
        if rule.rule.trim().is_empty() {
            continue;
        }
        let rule_value = || BadValue::Rendered(rule.to_go_json());
        let old_type = if rule.optional_old_self == Some(true) {
            CelType::Optional(Box::new(self_type.clone()))
        } else {
            self_type.clone()
        };
        let checked = parse(&rule.rule)
            .and_then(|expr| check::check(&expr, &rule.rule, &self_type, Some(&old_type)));
        let checked = match checked {
            Err(issues) => {
                errs.push(FieldError::new(
                    ErrorType::Invalid,
                    &rule_path.child("rule"),
                    rule_value(),
                    format!("compilation failed: {issues}"),
                ));
                continue;
            }
            Ok(c) => c,
        };
        if !matches!(checked.output, CelType::Bool | CelType::Dyn) {
            errs.push(FieldError::new(
                ErrorType::Invalid,
                &rule_path.child("rule"),
                rule_value(),
                "cel expression must evaluate to a bool",
            ));
            continue;
        }
        if !rule.message_expression.is_empty() {
            let msg = parse(&rule.message_expression).and_then(|expr| {
                check::check(&expr, &rule.message_expression, &self_type, Some(&old_type))
            });
            match msg {
                Err(issues) => errs.push(FieldError::new(
                    ErrorType::Invalid,
                    &rule_path.child("messageExpression"),
                    rule_value(),
                    format!("messageExpression compilation failed: {issues}"),
                )),
                Ok(c) if !matches!(c.output, CelType::String | CelType::Dyn) => {
                    errs.push(FieldError::new(
                        ErrorType::Invalid,
                        &rule_path.child("messageExpression"),
                        rule_value(),
                        "messageExpression must evaluate to a string",
                    ))
                }
                Ok(_) => {}
            }
        }
        if checked.uses_old_self {
            if let Some(uncorrelatable) = uncorrelatable {
                errs.push(FieldError::invalid(
                    &rule_path.child("rule"),
                    rule.rule.as_str(),
                    format!("oldSelf cannot be used on the uncorrelatable portion of the schema within {uncorrelatable}"),
                ));
            }
        } else if let Some(optional) = rule.optional_old_self {
            errs.push(FieldError::invalid(
                &rule_path.child("optionalOldSelf"),
                optional,
                "may not be set if oldSelf is not used in rule",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests;
