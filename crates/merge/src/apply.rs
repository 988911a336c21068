//! Server-side apply and field-ownership tracking for ordinary writes
//! (apimachinery's `managedfields` field manager over structured-merge-diff's
//! `merge.Updater`).
//!
//! - [`apply`]: the `application/apply-patch+yaml` PATCH. Merges the applied
//!   configuration into the live object by type, records the manager's new
//!   applied set, prunes fields the manager stopped applying (unless someone
//!   else owns them), detects conflicts with other managers (same value = shared
//!   ownership, no conflict), transfers ownership on `force`.
//! - [`track_update`]: create, update (PUT) and non-apply PATCH. The manager
//!   gains every field it added or changed; those fields leave other managers.
//!   Never conflicts.

use crate::error::{Error, Result, StatusCause};
use crate::fieldpath::{FieldSet, Path, PathElement};
use crate::managed::{
    describe_manager, is_reset, ManagedFields, ManagedFieldsEntry, Operation, MAX_UPDATE_MANAGERS,
};
use crate::typed::{render_errors, Comparison, Typed};
use crate::types::{TypeId, TypeRef};
use crate::value;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The annotation kubectl's client-side apply keeps its last configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Largest total size of an object's annotations (keys + values).
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Options of [`apply`].
#[derive(Debug, Clone)]
pub struct ApplyOptions<'a> {
    /// `?fieldManager=` (required by the server before calling).
    pub manager: &'a str,
    /// The endpoint's group/version, e.g. `apps/v1` or `v1`.
    pub api_version: &'a str,
    /// The endpoint's kind, e.g. `Deployment`. The applied object must match both.
    pub kind: &'a str,
    /// `Some("status")` for an apply through the status subresource.
    pub subresource: Option<&'a str>,
    /// `?force=true`: take conflicting fields from their owners.
    pub force: bool,
    /// The request time (recorded, truncated to seconds, in the manager's entry).
    pub now: DateTime<Utc>,
    /// Fields this endpoint never lets a manager own (see [`reset_fields`]).
    pub reset_fields: Option<&'a FieldSet>,
}

/// Options of [`track_update`].
#[derive(Debug, Clone)]
pub struct UpdateOptions<'a> {
    /// The manager: `?fieldManager=`, else the User-Agent up to the first `/`
    /// (empty becomes `"unknown"`).
    pub manager: &'a str,
    /// The endpoint's group/version.
    pub api_version: &'a str,
    /// `Some("status")` for writes through the status subresource.
    pub subresource: Option<&'a str>,
    /// The request time.
    pub now: DateTime<Utc>,
    /// Fields this endpoint never lets a manager own (see [`reset_fields`]).
    pub reset_fields: Option<&'a FieldSet>,
}

/// The result of [`apply`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOutcome {
    /// The new object, `metadata.managedFields` included. Defaulting has not run yet.
    pub object: Value,
    /// False when neither the object nor its managedFields changed: nothing is
    /// to be written (no resourceVersion bump, no watch event).
    pub changed: bool,
}

/// One field owned by another manager with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's identifier (see [`ManagedFieldsEntry::identifier`] and
    /// [`crate::managed::manager_identifier`]).
    pub manager: String,
    /// The conflicting field.
    pub path: Path,
}

/// The conflicts of a rejected apply, grouped by manager (sorted by identifier)
/// and, within a manager, in field-set order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflicts(pub Vec<Conflict>);

impl Conflicts {
    /// The `Status` message: `Apply failed with 1 conflict: conflict with "m" using v1: .data.x`,
    /// or the multi-line form for several conflicts.
    pub fn message(&self) -> String {
        if let [only] = self.0.as_slice() {
            return format!(
                "Apply failed with 1 conflict: conflict with {}: {}",
                describe_manager(&only.manager),
                only.path
            );
        }
        let mut by_manager: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
        for c in &self.0 {
            by_manager
                .entry(c.manager.as_str())
                .or_default()
                .push(&c.path);
        }
        let mut lines = Vec::new();
        for (manager, paths) in by_manager {
            lines.push(format!("conflicts with {}:", describe_manager(manager)));
            lines.extend(paths.iter().map(|p| format!("- {p}")));
        }
        format!(
            "Apply failed with {} conflicts: {}",
            self.0.len(),
            lines.join("\n")
        )
    }

    /// The `details.causes` of the `Status`: one `FieldManagerConflict` per field.
    pub fn causes(&self) -> Vec<StatusCause> {
        self.0
            .iter()
            .map(|c| StatusCause {
                reason: "FieldManagerConflict",
                message: format!("conflict with {}", describe_manager(&c.manager)),
                field: c.path.to_string(),
            })
            .collect()
    }

    fn paths(&self) -> FieldSet {
        let mut set = FieldSet::new();
        for c in &self.0 {
            set.insert(&c.path.0);
        }
        set
    }
}

/// Fields a write through an endpoint never owns, as upstream strategies
/// declare them (`GetResetFields`): on the main resource, `status` when the kind
/// has a status subresource; on `status`, the spec (and, per kind, some metadata).
pub fn reset_fields(
    group: &str,
    kind: &str,
    subresource: Option<&str>,
    has_status_subresource: bool,
) -> FieldSet {
    match subresource {
        None if has_status_subresource => FieldSet::from_field_paths(&[".status"]),
        None => FieldSet::new(),
        Some("status") => match (group, kind) {
            ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => {
                FieldSet::from_field_paths(&[".spec", ".metadata.labels"])
            }
            ("", "Pod") => FieldSet::from_field_paths(&[
                ".spec",
                ".metadata.deletionTimestamp",
                ".metadata.ownerReferences",
            ]),
            (g, k) if crate::types::is_builtin_kind(g, k) => FieldSet::from_field_paths(&[".spec"]),
            // custom resources
            _ => FieldSet::from_field_paths(&[".metadata", ".spec"]),
        },
        Some(_) => FieldSet::new(),
    }
}

/// Fields no manager ever owns (`stripmeta.go`).
fn strip_set() -> &'static FieldSet {
    static SET: std::sync::OnceLock<FieldSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let mut set = FieldSet::from_field_paths(&[
            ".apiVersion",
            ".kind",
            ".metadata.name",
            ".metadata.namespace",
            ".metadata.creationTimestamp",
            ".metadata.selfLink",
            ".metadata.uid",
            ".metadata.clusterName",
            ".metadata.generation",
            ".metadata.managedFields",
            ".metadata.resourceVersion",
        ]);
        set.insert(&[PathElement::field("metadata")]);
        set
    })
}

const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Ownership state during one operation: manager identifier → entry.
type Managers = BTreeMap<String, ManagedFieldsEntry>;

struct Engine<'a> {
    typed: Typed<'a>,
    root: TypeId,
    reset: Option<&'a FieldSet>,
}

impl<'a> Engine<'a> {
    fn new(ty: &'a TypeRef, reset: Option<&'a FieldSet>) -> Engine<'a> {
        Engine {
            typed: Typed::new(&ty.schema),
            root: ty.id,
            reset,
        }
    }

    fn filter(&self, set: FieldSet) -> FieldSet {
        match self.reset {
            Some(r) => set.recursive_difference(r),
            None => set,
        }
    }

    fn field_set(&self, v: &Value) -> FieldSet {
        self.typed.field_set_of(v, self.root)
    }

    fn ensure(&self, set: &FieldSet) -> FieldSet {
        set.ensure_named_fields_are_members(self.typed.schema, Some(self.root))
    }

    fn remove(&self, v: &Value, set: &FieldSet) -> Value {
        match self.typed.remove_items(v, set, self.root) {
            Value::Null => Value::Object(Map::new()),
            other => other,
        }
    }

    /// structured-merge-diff's `Updater.update`: compares, finds conflicts with
    /// every manager but `workflow`, and (when allowed) takes conflicting and
    /// removed fields away from them.
    fn update(
        &self,
        old: &Value,
        new: &Value,
        managers: &mut Managers,
        workflow: &str,
        force: bool,
    ) -> Result<Comparison, Conflicts> {
        let mut cmp = self.typed.compare(old, new, self.root);
        if let Some(r) = self.reset {
            cmp.exclude(r);
        }
        let changed = cmp.modified.union(&cmp.added);
        let mut conflicts: Vec<(String, FieldSet)> = Vec::new();
        for (id, entry) in managers.iter() {
            if id == workflow {
                continue;
            }
            let c = entry.fields.intersection(&changed);
            if !c.is_empty() {
                conflicts.push((id.clone(), c));
            }
        }
        if !force && !conflicts.is_empty() {
            let mut list = Vec::new();
            for (id, set) in &conflicts {
                for path in set.paths() {
                    list.push(Conflict {
                        manager: id.clone(),
                        path,
                    });
                }
            }
            return Err(Conflicts(list));
        }
        for (id, set) in &conflicts {
            if let Some(e) = managers.get_mut(id) {
                e.fields = e.fields.difference(set);
            }
        }
        if !cmp.removed.is_empty() {
            for (id, e) in managers.iter_mut() {
                if id != workflow {
                    e.fields = e.fields.difference(&cmp.removed);
                }
            }
        }
        managers.retain(|_, e| !e.fields.is_empty());
        Ok(cmp)
    }

    /// `Updater.Update` for a pseudo manager: the fields this write added or changed.
    fn changed_fields(&self, live: &Value, new: &Value, managers: &mut Managers) -> FieldSet {
        const CURRENT: &str = "current-operation";
        match self.update(live, new, managers, CURRENT, true) {
            Ok(cmp) => self.filter(cmp.modified.union(&cmp.added)),
            Err(_) => FieldSet::new(),
        }
    }

    /// The Update chain below `skipNonApplied`: record `manager_id`'s changes.
    fn record_update(
        &self,
        live: &Value,
        new: &Value,
        managers: &mut Managers,
        entry: ManagedFieldsEntry,
        now: DateTime<Utc>,
    ) {
        let id = entry.identifier();
        let current = self
            .changed_fields(live, new, managers)
            .difference(strip_set());
        if !current.is_empty() {
            let fields = match managers.get(&id) {
                Some(previous) => current.union(&previous.fields),
                None => current,
            };
            managers.insert(
                id,
                ManagedFieldsEntry {
                    fields,
                    time: Some(now),
                    ..entry
                },
            );
        }
        let mut mf = ManagedFields {
            entries: std::mem::take(managers),
        };
        mf.cap_update_managers(MAX_UPDATE_MANAGERS);
        *managers = mf.entries;
    }

    /// structured-merge-diff's `Updater.Apply` + prune. Returns the new object,
    /// or `None` when the object value does not change.
    fn smd_apply(
        &self,
        live: &Value,
        config: &Value,
        managers: &mut Managers,
        entry: ManagedFieldsEntry,
        force: bool,
    ) -> Result<Option<Value>, Conflicts> {
        let id = entry.identifier();
        let merged = self
            .typed
            .merge(Some(live), Some(config), self.root)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let last = managers.get(&id).map(|e| e.fields.clone());
        let set = self.filter(self.field_set(config));
        let time = managers.get(&id).and_then(|e| e.time);
        managers.insert(
            id.clone(),
            ManagedFieldsEntry {
                fields: set,
                time,
                ..entry
            },
        );
        let merged = self.prune(merged, managers, &id, last);
        self.update(live, &merged, managers, &id, force)?;
        if value::equal(live, &merged) {
            Ok(None)
        } else {
            Ok(Some(merged))
        }
    }

    /// Removes what the applier applied last time but not this time, unless
    /// another manager (or the new configuration) still owns it.
    fn prune(
        &self,
        merged: Value,
        managers: &Managers,
        current: &str,
        last: Option<FieldSet>,
    ) -> Value {
        let Some(last) = last.filter(|l| !l.is_empty()) else {
            return merged;
        };
        // Nothing was dropped from the applied set: pruning cannot remove anything
        // (every path of `last` and its ancestors are owned by the new set).
        if let Some(new_set) = managers.get(current) {
            if last.difference(&new_set.fields).is_empty() {
                return merged;
            }
        }
        let last = self.ensure(&last);
        let pruned = self.remove(&merged, &last);
        // add back owned items
        let mut owned = FieldSet::new();
        for e in managers.values() {
            owned = owned.union(&e.fields);
        }
        let merged_set = self.ensure(&self.field_set(&merged));
        let pruned_set = self.ensure(&self.field_set(&pruned));
        let pruned = self.remove(
            &merged,
            &merged_set.difference(&pruned_set.union(&self.ensure(&owned))),
        );
        // add back dangling items: only what the applier owned may go
        let pruned_set = self.ensure(&self.field_set(&pruned));
        self.remove(
            &merged,
            &merged_set.difference(&pruned_set).intersection(&last),
        )
    }

    /// The fields of the live object that its last-applied annotation explains
    /// (kubectl's client-side apply upgrading to server-side apply).
    fn last_applied_fields(&self, live: &Value, api_version: &str) -> Option<FieldSet> {
        let text = live
            .get("metadata")?
            .get("annotations")?
            .get(LAST_APPLIED_ANNOTATION)?
            .as_str()
            .filter(|s| !s.is_empty())?;
        let last_applied: Value = serde_json::from_str(text).ok()?;
        if last_applied.get("apiVersion").and_then(Value::as_str) != Some(api_version) {
            return None;
        }
        if !self
            .typed
            .validate(&last_applied, self.root, false)
            .is_empty()
        {
            return None;
        }
        let set = self.field_set(&last_applied);
        let cmp = self.typed.compare(&last_applied, live, self.root);
        Some(
            set.difference(&cmp.modified)
                .difference(&cmp.added)
                .difference(&cmp.removed),
        )
    }
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// `<namespace>/<name>; <group>/<version>, Kind=<kind>` (upstream's `objectGVKNN`).
fn describe_object(obj: &Value) -> String {
    let meta = obj.get("metadata");
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let api_version = text(obj.get("apiVersion"));
    let (group, version) = split_api_version(&api_version);
    format!(
        "{}/{}; {}/{}, Kind={}",
        text(meta.and_then(|m| m.get("namespace"))),
        text(meta.and_then(|m| m.get("name"))),
        group,
        version,
        text(obj.get("kind"))
    )
}

/// Server-side apply of `config` onto `live` (`None` = the object does not exist
/// yet: apply creates it).
///
/// `live` carries its `metadata.managedFields`; the result carries the updated ones.
/// Errors: wrong apiVersion/kind or `metadata.managedFields` in the
/// configuration (400), duplicate or keyless items in set/map lists (500
/// `failed to create typed patch object …`), undecodable live managedFields
/// (500), and conflicts with other managers unless `force` (409).
///
/// With manager `kubectl`, conflicts explained by the live object's
/// `kubectl.kubernetes.io/last-applied-configuration` are forced, and that
/// annotation is rewritten from the configuration.
///
/// ```
/// use klite_merge::apply::{apply, ApplyOptions};
/// use klite_merge::types::builtin;
/// use serde_json::json;
/// let ty = builtin("", "v1", "ConfigMap").unwrap();
/// let opts = |manager| ApplyOptions {
///     manager, api_version: "v1", kind: "ConfigMap", subresource: None, force: false,
///     now: chrono::DateTime::from_timestamp(1_714_557_600, 0).unwrap(), reset_fields: None,
/// };
/// let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}});
/// let created = apply(None, &cfg, &ty, &opts("alice")).unwrap();
/// assert_eq!(created.object["metadata"]["managedFields"][0]["fieldsV1"], json!({"f:data": {"f:x": {}}}));
/// let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "2"}});
/// let err = apply(Some(&created.object), &other, &ty, &opts("bob")).unwrap_err();
/// assert_eq!(err.status().code, 409);
/// assert_eq!(err.status().message, "Apply failed with 1 conflict: conflict with \"alice\": .data.x");
/// ```
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    ty: &TypeRef,
    opts: &ApplyOptions<'_>,
) -> Result<ApplyOutcome> {
    let empty = Value::Object(Map::new());
    let original = live.unwrap_or(&empty);
    let managed = ManagedFields::from_object(original)?;

    // versionCheckManager
    let config_api_version = config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let config_kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
    if config_api_version != opts.api_version || config_kind != opts.kind {
        let (g, v) = split_api_version(config_api_version);
        return Err(Error::ApplyBadRequest {
            message: format!("invalid object type: {g}/{v}, Kind={config_kind}"),
        });
    }

    let engine = Engine::new(ty, opts.reset_fields);
    let result = apply_checked(
        &engine,
        original,
        config,
        managed.entries.clone(),
        opts,
        opts.force,
    );

    // lastAppliedManager: kubectl's conflicts that its last-applied annotation explains are forced
    let (object, managers) = match result {
        Err(Error::ApplyConflict(conflicts)) if opts.manager == "kubectl" => {
            match engine.last_applied_fields(original, opts.api_version) {
                Some(allowed) => {
                    let rest = conflicts.paths().difference(&allowed);
                    if rest.is_empty() {
                        apply_checked(
                            &engine,
                            original,
                            config,
                            managed.entries.clone(),
                            opts,
                            true,
                        )?
                    } else {
                        let remaining = conflicts
                            .0
                            .into_iter()
                            .filter(|c| !allowed.has(&c.path.0))
                            .collect();
                        return Err(Error::ApplyConflict(Conflicts(remaining)));
                    }
                }
                None => return Err(Error::ApplyConflict(conflicts)),
            }
        }
        other => other?,
    };

    let mut object = object;
    // lastAppliedUpdater
    if opts.manager == "kubectl" && has_last_applied(&object) {
        set_last_applied(&mut object, &build_last_applied(config));
    }
    if live.is_some() && managers == managed.entries && value::equal(original, &object) {
        return Ok(ApplyOutcome {
            object,
            changed: false,
        });
    }
    let mf = ManagedFields { entries: managers };
    mf.write_to(&mut object);
    let changed = live.is_none() || !value::equal(original, &object);
    Ok(ApplyOutcome { object, changed })
}

/// The apply chain from `skipNonApplied` inward; returns the object (without
/// managedFields) and the new ownership.
fn apply_checked(
    engine: &Engine<'_>,
    live: &Value,
    config: &Value,
    mut managers: Managers,
    opts: &ApplyOptions<'_>,
    force: bool,
) -> Result<(Value, Managers)> {
    // skipNonApplied: the first apply attributes every existing field to `before-first-apply`
    if managers.is_empty() {
        let empty = Value::Object(Map::new());
        let entry = ManagedFieldsEntry {
            manager: BEFORE_FIRST_APPLY.to_string(),
            operation: Operation::Update,
            api_version: opts.api_version.to_string(),
            time: None,
            subresource: opts.subresource.unwrap_or("").to_string(),
            fields: FieldSet::new(),
        };
        engine.record_update(&empty, live, &mut managers, entry, opts.now);
    }
    // structuredMergeManager checks
    if matches!(
        config.get("metadata").and_then(|m| m.get("managedFields")),
        Some(Value::Array(_))
    ) {
        return Err(Error::ApplyBadRequest {
            message: "metadata.managedFields must be nil".to_string(),
        });
    }
    let errs = engine.typed.validate(config, engine.root, false);
    if !errs.is_empty() {
        return Err(Error::TypedPatchObject {
            object: describe_object(config),
            details: render_errors(&errs),
        });
    }
    let manager = if opts.manager.is_empty() {
        "unknown"
    } else {
        opts.manager
    };
    let entry = ManagedFieldsEntry {
        manager: manager.to_string(),
        operation: Operation::Apply,
        api_version: opts.api_version.to_string(),
        time: None,
        subresource: opts.subresource.unwrap_or("").to_string(),
        fields: FieldSet::new(),
    };
    let id = entry.identifier();
    let new_object = engine
        .smd_apply(live, config, &mut managers, entry, force)
        .map_err(Error::ApplyConflict)?;
    // stripMetaManager
    if let Some(e) = managers.get_mut(&id) {
        e.fields = e.fields.difference(strip_set());
        if e.fields.is_empty() {
            managers.remove(&id);
        }
    }
    // managedFieldsUpdater: the time moves only when the object changed
    let object = match new_object {
        Some(obj) => {
            if let Some(e) = managers.get_mut(&id) {
                e.time = Some(opts.now);
            }
            obj
        }
        None => live.clone(),
    };
    Ok((object, managers))
}

fn has_last_applied(obj: &Value) -> bool {
    obj.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
        .map(|s| !s.is_empty())
        .unwrap_or(false)
}

/// The applied configuration as kubectl's annotation holds it (compact JSON,
/// sorted keys, the annotation itself removed, trailing newline).
fn build_last_applied(config: &Value) -> String {
    let mut config = config.clone();
    if let Some(Value::Object(meta)) = config.get_mut("metadata") {
        match meta.get_mut("annotations") {
            Some(Value::Object(annotations)) => {
                annotations.remove(LAST_APPLIED_ANNOTATION);
            }
            Some(_) => {
                meta.remove("annotations");
            }
            None => {}
        }
    }
    let mut out = String::new();
    value::write_go_json(&mut out, &config);
    out.push('\n');
    out
}

fn set_last_applied(obj: &mut Value, text: &str) {
    let Some(Value::Object(meta)) = obj.get_mut("metadata") else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(annotations) = annotations else {
        return;
    };
    annotations.insert(
        LAST_APPLIED_ANNOTATION.to_string(),
        Value::String(text.to_string()),
    );
    let size: usize = annotations
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map(str::len).unwrap_or(0))
        .sum();
    if size > TOTAL_ANNOTATION_SIZE_LIMIT {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}

/// Records field ownership for a create (`old` = `None`), update or non-apply
/// patch: `new` gets its `metadata.managedFields` set.
///
/// Call it on the object as decoded (defaults applied) before the strategy
/// prepares it. Which managedFields are the starting point follows upstream:
/// on the main resource the request's own `managedFields` win when they decode
/// and are non-empty (`[]` or `[{}]` resets tracking; later updates then record
/// nothing until the next apply), otherwise the live object's; subresource
/// writes always start from the live object's.
///
/// ```
/// use klite_merge::apply::{track_update, UpdateOptions};
/// use klite_merge::types::builtin;
/// use serde_json::json;
/// let ty = builtin("", "v1", "ConfigMap").unwrap();
/// let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
/// track_update(None, &mut obj, &ty, &UpdateOptions {
///     manager: "kubectl-create", api_version: "v1", subresource: None,
///     now: chrono::DateTime::from_timestamp(1_714_557_600, 0).unwrap(), reset_fields: None,
/// });
/// assert_eq!(obj["metadata"]["managedFields"][0]["manager"], "kubectl-create");
/// assert_eq!(obj["metadata"]["managedFields"][0]["operation"], "Update");
/// assert_eq!(obj["metadata"]["managedFields"][0]["time"], "2024-05-01T10:00:00Z");
/// ```
pub fn track_update(old: Option<&Value>, new: &mut Value, ty: &TypeRef, opts: &UpdateOptions<'_>) {
    let empty = Value::Object(Map::new());
    let live = old.unwrap_or(&empty);
    let live_managed = || ManagedFields::from_object(live).unwrap_or_default();
    let request_fields = new.get("metadata").and_then(|m| m.get("managedFields"));
    let managed = if opts.subresource.is_some() {
        live_managed()
    } else if request_fields.map(is_reset).unwrap_or(false) {
        ManagedFields::new()
    } else {
        match request_fields.map(ManagedFields::decode) {
            Some(Ok(m)) if !m.is_empty() => m,
            _ => live_managed(),
        }
    };
    let is_create = live
        .get("metadata")
        .and_then(|m| m.get("uid"))
        .and_then(Value::as_str)
        .map(str::is_empty)
        .unwrap_or(true);
    if let Some(Value::Object(meta)) = new.get_mut("metadata") {
        meta.remove("managedFields");
    }
    let mut managers = managed.entries;
    // skipNonApplied: nothing is tracked on objects without managedFields, except on create
    if !managers.is_empty() || is_create {
        let engine = Engine::new(ty, opts.reset_fields);
        let manager = if opts.manager.is_empty() {
            "unknown"
        } else {
            opts.manager
        };
        let entry = ManagedFieldsEntry {
            manager: manager.to_string(),
            operation: Operation::Update,
            api_version: opts.api_version.to_string(),
            time: None,
            subresource: opts.subresource.unwrap_or("").to_string(),
            fields: FieldSet::new(),
        };
        engine.record_update(live, new, &mut managers, entry, opts.now);
    }
    ManagedFields { entries: managers }.write_to(new);
}
