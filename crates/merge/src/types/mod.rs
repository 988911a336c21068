//! The merge-type model: for every node of an object, whether it is a scalar,
//! a struct or map (granular or atomic) or a list (atomic, set, or map keyed by
//! fields), plus the strategic-merge-patch attributes of struct fields.
//!
//! A [`TypeRef`] points into a schema. Schemas come from:
//! - [`builtin`]: a compact declarative table of the built-in kinds the
//!   server serves (derived from the Go struct tags of `k8s.io/api`);
//! - [`from_openapi_schema`]: a CRD's structural `openAPIV3Schema`;
//! - [`TypeRef::deduced`]: no schema at all (maps granular, lists atomic),
//!   structured-merge-diff's "deduced" type.
//!
//! Inside built-in kinds, fields the table does not describe behave like plain
//! struct fields (nested objects are structs, lists are atomic), which is what
//! the upstream schema says for every field the table leaves out.

mod builtin;
mod openapi;

pub use builtin::builtin;
pub(crate) use builtin::is_builtin_kind;
pub use openapi::from_openapi_schema;

use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Index of a type inside its [`Schema`].
pub(crate) type TypeId = usize;

/// Id of structured-merge-diff's deduced type (`__untyped_deduced_`) in every schema.
pub(crate) const DEDUCED: TypeId = 0;
/// Id of the untyped atomic type (`__untyped_atomic_`) in every schema.
pub(crate) const UNTYPED_ATOMIC: TypeId = 1;
/// Id of a plain scalar in every schema.
pub(crate) const SCALAR: TypeId = 2;
/// Id of the "undescribed built-in struct" type in every schema: nested maps
/// are structs whose unknown keys are struct fields, lists are atomic.
pub(crate) const OPAQUE_STRUCT: TypeId = 3;

/// How a list is merged and tracked by server-side apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// Replaced as a unit (`x-kubernetes-list-type: atomic`, the default).
    Atomic,
    /// Scalar items merged as a union (`set`).
    Set,
    /// Object items keyed by these fields (`map` + `x-kubernetes-list-map-keys`).
    Map(Vec<String>),
}

/// A list type.
#[derive(Debug, Clone)]
pub(crate) struct ListType {
    pub element: TypeId,
    pub kind: ListKind,
}

/// How keys that are not declared struct fields are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rest {
    /// Free-form map entries of this type (`map[string]T`, `additionalProperties`,
    /// preserved unknown fields): each key is tracked as a member of its own.
    Entries(TypeId),
    /// Undeclared keys are struct fields of this type (used inside built-ins).
    Fields(TypeId),
}

/// A struct or map type.
#[derive(Debug, Clone)]
pub(crate) struct MapType {
    /// Declared fields, sorted by name.
    pub fields: Vec<StructField>,
    pub rest: Rest,
    /// `+structType=atomic` / `x-kubernetes-map-type: atomic`.
    pub atomic: bool,
}

/// A declared struct field.
#[derive(Debug, Clone)]
pub(crate) struct StructField {
    pub name: String,
    pub ty: TypeId,
    /// Schema default, used for missing list-map key fields.
    pub default: Option<Value>,
    /// The value a Go typed object always holds for this field when unset
    /// (`{}` for non-pointer structs, `null` for slices/maps without omitempty).
    pub zero: Option<Value>,
    pub patch: PatchMeta,
}

/// The strategic-merge-patch attributes of a field (`patchStrategy`, `patchMergeKey`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchMeta {
    /// `patchStrategy:"merge"` (lists are merged by key or as a union).
    pub merge: bool,
    /// `patchStrategy:"replace"`.
    pub replace: bool,
    /// `retainKeys` is one of the strategies.
    pub retain_keys: bool,
    /// `patchMergeKey`.
    pub merge_key: Option<String>,
}

impl PatchMeta {
    /// Parses a Go `patchStrategy` tag / `x-kubernetes-patch-strategy` value.
    pub(crate) fn parse(strategy: Option<&str>, merge_key: Option<&str>) -> PatchMeta {
        let mut meta = PatchMeta {
            merge_key: merge_key.filter(|k| !k.is_empty()).map(str::to_string),
            ..PatchMeta::default()
        };
        for part in strategy.unwrap_or("").split(',') {
            match part.trim() {
                "merge" => meta.merge = true,
                "replace" => meta.replace = true,
                "retainKeys" => meta.retain_keys = true,
                _ => {}
            }
        }
        meta
    }
}

/// One node type: a value may be a scalar, a list or a map, as allowed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Atom {
    pub scalar: bool,
    pub list: Option<ListType>,
    pub map: Option<MapType>,
}

/// What a field name resolves to inside a map type.
pub(crate) struct FieldLookup<'a> {
    pub ty: TypeId,
    /// True for declared struct fields and for undeclared keys of built-in structs.
    pub is_field: bool,
    pub declared: Option<&'a StructField>,
}

impl MapType {
    pub(crate) fn lookup(&self, name: &str) -> FieldLookup<'_> {
        match self.fields.binary_search_by(|f| f.name.as_str().cmp(name)) {
            Ok(i) => FieldLookup {
                ty: self.fields[i].ty,
                is_field: true,
                declared: Some(&self.fields[i]),
            },
            Err(_) => match self.rest {
                Rest::Entries(ty) => FieldLookup {
                    ty,
                    is_field: false,
                    declared: None,
                },
                Rest::Fields(ty) => FieldLookup {
                    ty,
                    is_field: true,
                    declared: None,
                },
            },
        }
    }
}

/// An arena of types; [`TypeRef`]s point into it.
#[derive(Debug)]
pub(crate) struct Schema {
    pub atoms: Vec<Atom>,
}

impl Schema {
    /// A schema holding only the predefined types.
    pub(crate) fn with_common_types() -> Schema {
        let deduced = Atom {
            scalar: true,
            list: Some(ListType {
                element: UNTYPED_ATOMIC,
                kind: ListKind::Atomic,
            }),
            map: Some(MapType {
                fields: Vec::new(),
                rest: Rest::Entries(DEDUCED),
                atomic: false,
            }),
        };
        let untyped_atomic = Atom {
            scalar: true,
            list: Some(ListType {
                element: UNTYPED_ATOMIC,
                kind: ListKind::Atomic,
            }),
            map: Some(MapType {
                fields: Vec::new(),
                rest: Rest::Entries(UNTYPED_ATOMIC),
                atomic: true,
            }),
        };
        let scalar = Atom {
            scalar: true,
            ..Atom::default()
        };
        let opaque = Atom {
            scalar: true,
            list: Some(ListType {
                element: UNTYPED_ATOMIC,
                kind: ListKind::Atomic,
            }),
            map: Some(MapType {
                fields: Vec::new(),
                rest: Rest::Fields(OPAQUE_STRUCT),
                atomic: false,
            }),
        };
        Schema {
            atoms: vec![deduced, untyped_atomic, scalar, opaque],
        }
    }

    pub(crate) fn atom(&self, id: TypeId) -> &Atom {
        // Ids are only created by the schema builders, which keep them in range;
        // fall back to the deduced type rather than panicking.
        self.atoms.get(id).unwrap_or(&self.atoms[DEDUCED])
    }

    pub(crate) fn push(&mut self, atom: Atom) -> TypeId {
        self.atoms.push(atom);
        self.atoms.len() - 1
    }
}

/// A reference to the merge type of an object (or of a node inside one).
///
/// Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct TypeRef {
    pub(crate) schema: Arc<Schema>,
    pub(crate) id: TypeId,
}

impl std::fmt::Debug for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeRef").field("id", &self.id).finish()
    }
}

impl TypeRef {
    /// The schema-less type: maps are merged per key (each key tracked on its
    /// own), lists are atomic. Used for objects without a schema.
    pub fn deduced() -> TypeRef {
        static DEDUCED_SCHEMA: OnceLock<Arc<Schema>> = OnceLock::new();
        TypeRef {
            schema: DEDUCED_SCHEMA
                .get_or_init(|| Arc::new(Schema::with_common_types()))
                .clone(),
            id: DEDUCED,
        }
    }

    pub(crate) fn atom(&self) -> &Atom {
        self.schema.atom(self.id)
    }

    /// The type of field `name` when this is a struct/map type, if any.
    pub fn field(&self, name: &str) -> Option<TypeRef> {
        let map = self.atom().map.as_ref()?;
        Some(TypeRef {
            schema: self.schema.clone(),
            id: map.lookup(name).ty,
        })
    }

    /// The item type when this is a list type.
    pub fn items(&self) -> Option<TypeRef> {
        let list = self.atom().list.as_ref()?;
        Some(TypeRef {
            schema: self.schema.clone(),
            id: list.element,
        })
    }

    /// The strategic-merge-patch attributes of field `name` of this struct type.
    pub fn patch_meta(&self, name: &str) -> PatchMeta {
        self.atom()
            .map
            .as_ref()
            .and_then(|m| m.lookup(name).declared.map(|f| f.patch.clone()))
            .unwrap_or_default()
    }

    /// For a list type: `None` if atomic, `Some(vec![])` for a set, or the key fields of a map list.
    pub fn list_keys(&self) -> Option<Vec<String>> {
        match &self.atom().list.as_ref()?.kind {
            ListKind::Atomic => None,
            ListKind::Set => Some(Vec::new()),
            ListKind::Map(keys) => Some(keys.clone()),
        }
    }

    /// True when a map/struct value of this type is replaced as a unit.
    pub fn is_atomic_map(&self) -> bool {
        self.atom().map.as_ref().map(|m| m.atomic).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_deployment_describes_keyed_lists() {
        let deploy = builtin("apps", "v1", "Deployment").expect("deployment");
        let pod_spec = deploy
            .field("spec")
            .and_then(|s| s.field("template"))
            .and_then(|t| t.field("spec"))
            .expect("pod spec");
        let containers = pod_spec.field("containers").expect("containers");
        assert_eq!(containers.list_keys(), Some(vec!["name".to_string()]));
        let ports = containers
            .items()
            .and_then(|c| c.field("ports"))
            .expect("ports");
        assert_eq!(
            ports.list_keys(),
            Some(vec!["containerPort".to_string(), "protocol".to_string()])
        );
        let ports_smp = containers
            .items()
            .map(|c| c.patch_meta("ports"))
            .unwrap_or_default();
        assert_eq!(ports_smp.merge_key.as_deref(), Some("containerPort"));
        assert!(ports_smp.merge);
        let volumes = pod_spec.patch_meta("volumes");
        assert!(volumes.merge && volumes.retain_keys);
        assert_eq!(
            pod_spec.field("tolerations").and_then(|t| t.list_keys()),
            None
        );
        assert!(pod_spec.patch_meta("tolerations") == PatchMeta::default());
        assert!(deploy
            .field("spec")
            .and_then(|s| s.field("selector"))
            .map(|s| s.is_atomic_map())
            .unwrap_or(false));
        let meta = deploy.field("metadata").expect("metadata");
        assert_eq!(
            meta.field("finalizers").and_then(|f| f.list_keys()),
            Some(vec![])
        );
        assert_eq!(
            meta.field("ownerReferences").and_then(|f| f.list_keys()),
            Some(vec!["uid".to_string()])
        );
    }

    #[test]
    fn builtin_covers_the_served_kinds() {
        for (g, v, k) in [
            ("", "v1", "Namespace"),
            ("", "v1", "ConfigMap"),
            ("", "v1", "Secret"),
            ("", "v1", "ServiceAccount"),
            ("", "v1", "Service"),
            ("", "v1", "Pod"),
            ("", "v1", "Event"),
            ("", "v1", "Endpoints"),
            ("", "v1", "PersistentVolumeClaim"),
            ("apps", "v1", "Deployment"),
            ("apps", "v1", "StatefulSet"),
            ("apps", "v1", "DaemonSet"),
            ("apps", "v1", "ReplicaSet"),
            ("batch", "v1", "Job"),
            ("batch", "v1", "CronJob"),
            ("rbac.authorization.k8s.io", "v1", "Role"),
            ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
            ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
            ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
            ("coordination.k8s.io", "v1", "Lease"),
            ("events.k8s.io", "v1", "Event"),
            ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            (
                "admissionregistration.k8s.io",
                "v1",
                "MutatingWebhookConfiguration",
            ),
            (
                "admissionregistration.k8s.io",
                "v1",
                "ValidatingWebhookConfiguration",
            ),
        ] {
            let t = builtin(g, v, k).unwrap_or_else(|| panic!("{g}/{v}/{k}"));
            let labels = t.field("metadata").and_then(|m| m.field("labels"));
            assert!(labels.is_some(), "{k} has metadata.labels");
        }
        assert!(builtin("example.com", "v1", "Foo").is_none());
    }
}
