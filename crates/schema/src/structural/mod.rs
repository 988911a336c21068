//! Structural schemas of custom resources: validation, pruning, defaulting.
//!
//! A [`StructuralSchema`] is built once per CRD version from its `openAPIV3Schema` and
//! keeps everything precompiled (patterns, the validation tree), so validating, pruning and
//! defaulting a typical custom resource takes microseconds.
//!
//! ```
//! use klite_schema::structural::StructuralSchema;
//! use serde_json::json;
//!
//! let schema = StructuralSchema::from_openapi(&json!({
//!     "type": "object",
//!     "properties": {"spec": {"type": "object", "properties": {
//!         "size": {"type": "integer", "default": 1},
//!     }}},
//! })).unwrap();
//! let mut obj = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"},
//!                      "spec": {"colour": "red"}});
//! assert_eq!(schema.prune(&mut obj), vec!["spec.colour".to_string()]);
//! schema.apply_defaults(&mut obj);
//! assert_eq!(obj["spec"], json!({"size": 1}));
//! obj["spec"]["size"] = json!("big");
//! assert_eq!(
//!     schema.validate(&obj).to_string(),
//!     "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\""
//! );
//! ```

pub mod formats;
mod listtype;
mod model;
pub mod objectmeta;
mod prune;
mod validator;

pub(crate) use validator::correlate_map_item;

pub use model::{
    validate_structural, NestedValueValidation, Structural, StructuralOrBool, ValueValidation,
};

use crate::error::SchemaError;
use crate::field::{ErrorList, Path};
use crate::openapi::SchemaProps;
use serde_json::Value;
use validator::VSchema;

/// Prunes `value` against a structural node (`pruning.Prune`); with `is_resource_root` the
/// node is treated as an embedded resource root.
pub fn prune_with(value: &mut Value, schema: &Structural, is_resource_root: bool) -> Vec<String> {
    prune::prune(value, Some(schema), is_resource_root)
}

/// A compiled structural schema for one CRD version.
#[derive(Debug, Clone)]
pub struct StructuralSchema {
    props: SchemaProps,
    structural: Structural,
    validator: VSchema,
    status_validator: Option<VSchema>,
    has_cel_rules: bool,
    has_embedded: bool,
    has_list_types: bool,
    cel: Option<std::sync::Arc<crate::cel::CelTree>>,
}

impl StructuralSchema {
    /// Builds the schema from a version's `openAPIV3Schema` JSON (v1 form).
    pub fn from_openapi(schema: &Value) -> Result<StructuralSchema, SchemaError> {
        let props =
            SchemaProps::from_value(schema).map_err(|message| SchemaError::InvalidSchema {
                path: "openAPIV3Schema".to_string(),
                message,
            })?;
        StructuralSchema::from_props(props)
    }

    /// Builds the schema from decoded schema props.
    pub fn from_props(props: SchemaProps) -> Result<StructuralSchema, SchemaError> {
        let structural =
            Structural::from_props(&props).map_err(|message| SchemaError::InvalidSchema {
                path: "openAPIV3Schema".to_string(),
                message,
            })?;
        let validator = VSchema::from_props(&props);
        let status_validator = props.properties.get("status").map(VSchema::from_props);
        let has_cel_rules = props.any(&mut |s| !s.x_validations.is_empty());
        let cel = if has_cel_rules {
            crate::cel::CelTree::build(&structural, true).map(std::sync::Arc::new)
        } else {
            None
        };
        let has_embedded = props.any(&mut |s| s.x_embedded_resource);
        let has_list_types =
            props.any(&mut |s| matches!(s.x_list_type.as_deref(), Some("set") | Some("map")));
        Ok(StructuralSchema {
            props,
            structural,
            validator,
            status_validator,
            has_cel_rules,
            has_embedded,
            has_list_types,
            cel,
        })
    }

    /// A schema that accepts anything (no schema at all: everything is pruned except the
    /// resource meta fields).
    pub fn empty() -> StructuralSchema {
        let props = SchemaProps::default();
        StructuralSchema {
            structural: Structural::default(),
            validator: VSchema::default(),
            status_validator: None,
            has_cel_rules: false,
            has_embedded: false,
            has_list_types: false,
            cel: None,
            props,
        }
    }

    /// Whether any node carries `x-kubernetes-validations`.
    pub fn has_cel_rules(&self) -> bool {
        self.has_cel_rules
    }

    /// Evaluates the `x-kubernetes-validations` rules of the whole object (create: `old` =
    /// `None`; update: transition rules see `oldSelf`, failed rules on unchanged nodes become
    /// warnings). Errors render as upstream (`spec: Invalid value: failed rule: ...`).
    pub fn validate_cel(&self, obj: &Value, old: Option<&Value>) -> crate::cel::CelOutcome {
        match &self.cel {
            Some(tree) => crate::cel::validate_with(tree, &Path::nil(), obj, old, true),
            None => crate::cel::CelOutcome::default(),
        }
    }

    /// The structural skeleton.
    pub fn structural(&self) -> &Structural {
        &self.structural
    }

    /// The schema as declared.
    pub fn props(&self) -> &SchemaProps {
        &self.props
    }

    /// Validates an object against the OpenAPI schema only (kube-openapi's validator), on
    /// create.
    pub fn validate_schema(&self, obj: &Value) -> ErrorList {
        validator::validate_value(&self.validator, obj, None, None)
    }

    /// Validates against the OpenAPI schema with field paths rooted at `root` (e.g. a CRD
    /// `...default` path; kube-openapi names stay relative to the value).
    pub fn validate_schema_at(&self, value: &Value, root: &Path) -> ErrorList {
        validator::validate_value(&self.validator, value, None, Some(root))
    }

    /// Validates against the OpenAPI schema on update, with ratcheting: errors on nodes
    /// deep-equal to their correlated old value are dropped.
    pub fn validate_schema_update(&self, obj: &Value, old: &Value) -> ErrorList {
        validator::validate_value(&self.validator, obj, Some(old), None)
    }

    /// Validates `status` against `properties.status` (the `/status` endpoint): paths are
    /// prefixed `status.`, messages name the field relative to status.
    pub fn validate_status(&self, status: &Value, old_status: Option<&Value>) -> ErrorList {
        match &self.status_validator {
            Some(v) => validator::validate_value(v, status, old_status, Some(&Path::new("status"))),
            None => ErrorList::new(),
        }
    }

    /// Schema validation of a whole custom resource: the OpenAPI schema, embedded resources
    /// and list-type set/map uniqueness (facts-crd §4.1 steps 3, 5, 6).
    pub fn validate(&self, obj: &Value) -> ErrorList {
        let mut errs = self.validate_schema(obj);
        errs.extend(self.validate_embedded_resources(obj));
        errs.extend(self.validate_list_types(obj));
        errs
    }

    /// Embedded resources' `apiVersion`, `kind` and `metadata` (`objectmeta.Validate`).
    pub fn validate_embedded_resources(&self, obj: &Value) -> ErrorList {
        if !self.has_embedded {
            return ErrorList::new();
        }
        objectmeta::validate_embedded(&Path::nil(), obj, Some(&self.structural), false)
    }

    /// `x-kubernetes-list-type` set/map uniqueness.
    pub fn validate_list_types(&self, obj: &Value) -> ErrorList {
        if !self.has_list_types {
            return ErrorList::new();
        }
        match obj {
            Value::Object(map) => {
                listtype::validate_list_sets_and_maps(&Path::nil(), &self.structural, map)
            }
            _ => ErrorList::new(),
        }
    }

    /// Removes unknown fields from a whole object (root treated as a resource: `apiVersion`,
    /// `kind` and `metadata` kept) and returns their paths, sorted, for
    /// `unknown field "spec.foo"` warnings or Strict rejections.
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        prune::prune(obj, Some(&self.structural), true)
    }

    /// Prunes a value that is not a resource root (e.g. a default value) against this schema.
    pub fn prune_value(&self, value: &mut Value) -> Vec<String> {
        prune::prune(value, Some(&self.structural), false)
    }

    /// Drops non-nullable nulls without default, then applies defaults (facts-crd §6.3).
    pub fn apply_defaults(&self, obj: &mut Value) {
        prune::prune_non_nullable_nulls(obj, Some(&self.structural));
        prune::apply_defaults(obj, Some(&self.structural));
    }

    /// Drops non-nullable nulls that have no default (`PruneNonNullableNullsWithoutDefaults`).
    pub fn prune_non_nullable_nulls(&self, obj: &mut Value) {
        prune::prune_non_nullable_nulls(obj, Some(&self.structural));
    }

    /// Applies defaults only (`defaulting.Default`).
    pub fn default_only(&self, obj: &mut Value) {
        prune::apply_defaults(obj, Some(&self.structural));
    }

    /// Coerces embedded resources below the root (non-string `apiVersion`/`kind` rejected
    /// or dropped, embedded metadata round-tripped); returns unknown metadata field paths.
    pub fn coerce_embedded(
        &self,
        obj: &mut Value,
        drop_invalid: bool,
    ) -> Result<Vec<String>, crate::field::FieldError> {
        if !self.has_embedded {
            return Ok(Vec::new());
        }
        objectmeta::coerce(
            &Path::nil(),
            obj,
            Some(&self.structural),
            false,
            drop_invalid,
        )
    }
}
