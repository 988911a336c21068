//! CEL `x-kubernetes-validations` (placeholder until the evaluator lands).

use crate::field::{ErrorList, Path};
use crate::openapi::SchemaProps;
use crate::structural::StructuralSchema;
use serde_json::Value;
use std::collections::HashSet;

/// CRD-time compilation errors of a node's rules.
pub(crate) fn crd_compile_errors(
    _schema: &SchemaProps,
    _path: &Path,
    _resource_root: bool,
    _uncorrelatable: Option<&Path>,
    _preexisting: &HashSet<String>,
) -> ErrorList {
    ErrorList::new()
}

/// CEL validation of a default value against its node's rules.
pub(crate) fn validate_default_rules(
    _schema: &StructuralSchema,
    _value: &Value,
    _path: &Path,
) -> ErrorList {
    ErrorList::new()
}

/// CEL validation of a whole object (create: `old` = None).
pub(crate) fn validate_object(
    _schema: &StructuralSchema,
    _obj: &Value,
    _old: Option<&Value>,
) -> ErrorList {
    ErrorList::new()
}
