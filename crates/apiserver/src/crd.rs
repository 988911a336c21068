//! CustomResourceDefinitions: turning a stored CRD into served resources, and
//! the controllers that run inside kube-apiserver (naming, establishing).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::kinds::{GenerationPolicy, NameRule};
use crate::registry::{
    storage_version_hash, CustomInfo, ResourceDef, ScalePaths, CRD_TERMINATING_VERBS, CRD_VERBS,
};

/// Does the CRD carry condition `type` with status `True`?
pub fn condition_true(crd: &Value, ty: &str) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|conds| {
            conds.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(ty)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
        .unwrap_or(false)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// The served resources of an established CRD (one per served version).
pub fn resource_defs(crd: &Value) -> Vec<ResourceDef> {
    if !condition_true(crd, "Established") && !condition_true(crd, "NamesAccepted") {
        return Vec::new();
    }
    let group = str_at(crd, "/spec/group");
    let accepted = crd
        .pointer("/status/acceptedNames")
        .cloned()
        .unwrap_or(Value::Null);
    let plural = str_at(&accepted, "/plural");
    let kind = str_at(&accepted, "/kind");
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let spec_kind = str_at(crd, "/spec/names/kind");
    let singular = match str_at(&accepted, "/singular") {
        "" => kind.to_lowercase(),
        s => s.to_string(),
    };
    let list_kind = match str_at(&accepted, "/listKind") {
        "" => format!("{kind}List"),
        s => s.to_string(),
    };
    let namespaced = str_at(crd, "/spec/scope") != "Cluster";
    let terminating =
        condition_true(crd, "Terminating") || crd.pointer("/metadata/deletionTimestamp").is_some();
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let storage_version = versions
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    let hash = storage_version_hash(group, &storage_version, spec_kind);
    let storage_id: Arc<str> = Arc::from(format!("{group}/{plural}"));
    let preserve_all = crd
        .pointer("/spec/preserveUnknownFields")
        .and_then(Value::as_bool)
        == Some(true);
    let compile = |schema: Option<&Value>| {
        schema
            .and_then(|s| klite_schema::structural::StructuralSchema::from_openapi(s).ok())
            .map(Arc::new)
    };
    let storage_structural = compile(
        versions
            .iter()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(storage_version.as_str()))
            .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
            .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema")),
    );
    let verbs: &[&str] = if terminating {
        CRD_TERMINATING_VERBS
    } else {
        CRD_VERBS
    };
    let mut defs = Vec::new();
    for v in &versions {
        if v.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut subresources = Vec::new();
        let subs = v
            .get("subresources")
            .or_else(|| crd.pointer("/spec/subresources"));
        let scale = subs.and_then(|s| s.get("scale")).map(|s| ScalePaths {
            spec_replicas: str_at(s, "/specReplicasPath").to_string(),
            status_replicas: str_at(s, "/statusReplicasPath").to_string(),
            label_selector: s
                .get("labelSelectorPath")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
        if scale.is_some() {
            subresources.push("scale".to_string());
        }
        if subs.and_then(|s| s.get("status")).is_some() {
            subresources.push("status".to_string());
        }
        let schema = v
            .pointer("/schema/openAPIV3Schema")
            .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema"))
            .cloned();
        let mut field_selectors: Vec<String> = v
            .get("selectableFields")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.get("jsonPath").and_then(Value::as_str))
                    .map(|p| p.trim_start_matches('.').to_string())
                    .collect()
            })
            .unwrap_or_default();
        field_selectors.dedup();
        let deprecation_warning = if v.get("deprecated").and_then(Value::as_bool) == Some(true) {
            Some(match v.get("deprecationWarning").and_then(Value::as_str) {
                Some(w) => w.to_string(),
                None => deprecation_default(group, &name, spec_kind, &versions),
            })
        } else {
            None
        };
        defs.push(ResourceDef {
            group: group.to_string(),
            version: name,
            resource: plural.to_string(),
            singular: singular.clone(),
            kind: kind.to_string(),
            list_kind: list_kind.clone(),
            namespaced,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            short_names: strings(accepted.get("shortNames")),
            categories: strings(accepted.get("categories")),
            subresources,
            name_rule: NameRule::Subdomain,
            generation: GenerationPolicy::NonMetadata,
            returns_deleted_object: false,
            allow_unconditional_update: false,
            field_selectors,
            known_fields: None,
            storage_id: storage_id.clone(),
            storage_version: storage_version.clone(),
            storage_version_hash: hash.clone(),
            custom: Some(Arc::new(CustomInfo {
                crd_name: str_at(crd, "/metadata/name").to_string(),
                terminating,
                preserve_unknown_fields: preserve_all || schema.is_none(),
                structural: compile(schema.as_ref()),
                storage_structural: storage_structural.clone(),
                schema,
                scale,
                printer_columns: v
                    .get("additionalPrinterColumns")
                    .cloned()
                    .unwrap_or(json!([])),
                deprecation_warning,
            })),
            merge_type: std::sync::OnceLock::new(),
        });
    }
    defs
}

fn deprecation_default(group: &str, version: &str, kind: &str, versions: &[Value]) -> String {
    let own_rank = crate::registry::version_rank(version);
    let best = versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .filter(|v| v.get("deprecated").and_then(Value::as_bool) != Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .filter(|n| crate::registry::version_rank(n) < own_rank)
        .min_by_key(|n| crate::registry::version_rank(n));
    match best {
        Some(b) => format!("{group}/{version} {kind} is deprecated; use {group}/{b} {kind}"),
        None => format!("{group}/{version} {kind} is deprecated"),
    }
}

/// Finalizer added to a CRD on its first DELETE.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Defaulting + PrepareForCreate of a CRD (klite-schema): names defaults, conversion,
/// the initial status of a POST response, generation 1.
pub fn prepare_for_create(crd: &mut Value) {
    klite_schema::crd::default_crd(crd);
    klite_schema::crd::prepare_crd_for_create(crd);
}

/// Defaulting + PrepareForUpdate of a CRD through `sub` ("" or "status").
pub fn prepare_for_update(crd: &mut Value, old: &Value, sub: &str) {
    if sub == "status" {
        klite_schema::crd::prepare_crd_for_status_update(crd, old);
    } else {
        klite_schema::crd::default_crd(crd);
        klite_schema::crd::prepare_crd_for_update(crd, old);
    }
}

/// CRD validation with upstream's catalogue (klite-schema).
pub fn validate(crd: &Value, old: Option<&Value>, sub: &str) -> Vec<crate::status::FieldIssue> {
    let errors = match (old, sub) {
        (None, _) => klite_schema::crd::validate_crd_create(crd),
        (Some(old), "status") => klite_schema::crd::validate_crd_status_update(crd, old),
        (Some(old), _) => klite_schema::crd::validate_crd_update(crd, old),
    };
    crate::validation::issues(&errors)
}

/// Decode check + unknown fields + warnings of a CRD body.
pub fn decode_check(
    crd: &Value,
    old: Option<&Value>,
) -> Result<(Vec<String>, Vec<String>), crate::status::ApiError> {
    let decoded = klite_schema::crd::decode_crd(crd).map_err(|e| {
        crate::status::ApiError::bad_request(format!(
            "CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: {e}"
        ))
    })?;
    let warnings = match old {
        None => klite_schema::crd::crd_warnings_on_create(crd),
        Some(old) => klite_schema::crd::crd_warnings_on_update(crd, old),
    };
    Ok((decoded.unknown_fields, warnings))
}

fn set_condition(crd: &mut Value, ty: &str, status: &str, reason: &str, message: &str) {
    let now = crate::handlers::meta::now();
    if !crd
        .pointer("/status/conditions")
        .is_some_and(Value::is_array)
    {
        crd["status"]["conditions"] = json!([]);
    }
    let Some(conds) = crd
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    if let Some(c) = conds
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
    {
        if c.get("status").and_then(Value::as_str) != Some(status) {
            c["lastTransitionTime"] = json!(now);
        }
        c["status"] = json!(status);
        c["reason"] = json!(reason);
        c["message"] = json!(message);
    } else {
        conds.push(json!({"type": ty, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}));
    }
}

/// Mark a CRD terminating on its first DELETE.
pub fn mark_terminating(crd: &mut Value) {
    set_condition(
        crd,
        "Terminating",
        "True",
        "InstanceDeletionPending",
        "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
    );
}

use std::sync::atomic::Ordering;

use crate::server::Shared;
use crate::store::{Change, ObjectKey};

fn crd_storage(shared: &Shared) -> Option<Arc<str>> {
    shared
        .registry()
        .lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        .map(|d| d.storage_id.clone())
}

fn all_crds(shared: &Shared) -> Vec<Arc<crate::store::StoredObject>> {
    let Some(sid) = crd_storage(shared) else {
        return Vec::new();
    };
    let prefix = crate::store::object::storage_prefix(&sid, None);
    let mut upper = prefix.clone();
    upper.pop();
    upper.push('\u{1}');
    shared
        .store
        .snapshot()
        .map
        .range(prefix..upper)
        .map(|(_, o)| o.clone())
        .collect()
}

fn update_crd(shared: &Arc<Shared>, name: &str, f: impl FnOnce(&mut Value) -> bool) -> bool {
    let Some(sid) = crd_storage(shared) else {
        return false;
    };
    let key = ObjectKey::new(sid, "", name);
    let result = shared.store.update(&key, |cur| {
        let Some(cur) = cur else {
            return Ok(Change::Keep);
        };
        let mut v = cur.value.clone();
        if !f(&mut v) {
            return Ok(Change::Keep);
        }
        let deleting = v.pointer("/metadata/deletionTimestamp").is_some();
        let fins = v
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| a.len())
            .unwrap_or(0);
        Ok(if deleting && fins == 0 {
            Change::Delete
        } else {
            Change::Put(v)
        })
    });
    matches!(result, Ok(c) if c.written)
}

fn rebuild_registry(shared: &Shared) {
    let crds = all_crds(shared);
    let registry = if crds.is_empty() {
        crate::registry::Registry::builtin()
    } else {
        Arc::new(crate::registry::Registry::build(&crds))
    };
    *shared.registry.write().unwrap_or_else(|e| e.into_inner()) = registry;
}

fn names_conflict(
    crd: &Value,
    others: &[Arc<crate::store::StoredObject>],
) -> Option<(&'static str, String)> {
    let group = str_at(crd, "/spec/group");
    let me = str_at(crd, "/metadata/name");
    let names = crd.pointer("/spec/names").cloned().unwrap_or(Value::Null);
    let mut resource_names: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for o in others {
        let v = &o.value;
        if str_at(v, "/spec/group") != group || str_at(v, "/metadata/name") == me {
            continue;
        }
        let acc = v
            .pointer("/status/acceptedNames")
            .cloned()
            .unwrap_or(Value::Null);
        for key in ["plural", "singular"] {
            if let Some(s) = acc
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                resource_names.push(s.to_string());
            }
        }
        resource_names.extend(strings(acc.get("shortNames")));
        for key in ["kind", "listKind"] {
            if let Some(s) = acc
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                kinds.push(s.to_string());
            }
        }
    }
    let mut conflict = None;
    let plural = str_at(&names, "/plural");
    if resource_names.iter().any(|n| n == plural) {
        conflict = Some(("PluralConflict", format!("{plural:?} is already in use")));
    }
    let singular = str_at(&names, "/singular");
    if !singular.is_empty() && resource_names.iter().any(|n| n == singular) {
        conflict = Some((
            "SingularConflict",
            format!("{singular:?} is already in use"),
        ));
    }
    let short: Vec<String> = strings(names.get("shortNames"))
        .into_iter()
        .filter(|s| resource_names.contains(s))
        .collect();
    if !short.is_empty() {
        let msgs: Vec<String> = short
            .iter()
            .map(|s| format!("{s:?} is already in use"))
            .collect();
        conflict = Some((
            "ShortNamesConflict",
            if msgs.len() == 1 {
                msgs[0].clone()
            } else {
                format!("[{}]", msgs.join(", "))
            },
        ));
    }
    let kind = str_at(&names, "/kind");
    if kinds.iter().any(|k| k == kind) {
        conflict = Some(("KindConflict", format!("{kind:?} is already in use")));
    }
    let list_kind = str_at(&names, "/listKind");
    if !list_kind.is_empty() && kinds.iter().any(|k| k == list_kind) {
        conflict = Some((
            "ListKindConflict",
            format!("{list_kind:?} is already in use"),
        ));
    }
    conflict
}

fn accepted_from_spec(crd: &Value) -> Value {
    let mut names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let kind = str_at(crd, "/spec/names/kind").to_string();
    if names.get("singular").is_none() {
        names["singular"] = json!(kind.to_lowercase());
    }
    if names.get("listKind").is_none() {
        names["listKind"] = json!(format!("{kind}List"));
    }
    names
}

/// Run the CRD controllers (naming, establishing, finalizer) to a fixed point
/// and refresh the registry. Re-entrant calls mark work and return.
pub(crate) fn reconcile(shared: &Arc<Shared>) {
    shared.crd_dirty.store(true, Ordering::SeqCst);
    let Ok(_guard) = shared.crd_lock.try_lock() else {
        return;
    };
    let mut rounds = 0;
    while shared.crd_dirty.swap(false, Ordering::SeqCst) && rounds < 16 {
        rounds += 1;
        rebuild_registry(shared);
        let crds = all_crds(shared);
        for crd in &crds {
            let name = crd.name().to_string();
            let v = &crd.value;
            let deleting = v.pointer("/metadata/deletionTimestamp").is_some();
            let accepted = v
                .pointer("/status/acceptedNames")
                .cloned()
                .unwrap_or(Value::Null);
            let wanted = accepted_from_spec(v);
            if !deleting && accepted != wanted {
                let conflict = names_conflict(v, &crds);
                update_crd(shared, &name, |c| {
                    match &conflict {
                        None => {
                            c["status"]["acceptedNames"] = wanted.clone();
                            set_condition(
                                c,
                                "NamesAccepted",
                                "True",
                                "NoConflicts",
                                "no conflicts found",
                            );
                            if !condition_true(c, "Established") {
                                set_condition(
                                    c,
                                    "Established",
                                    "False",
                                    "Installing",
                                    "the initial names have been accepted",
                                );
                            }
                        }
                        Some((reason, message)) => {
                            set_condition(c, "NamesAccepted", "False", reason, message);
                            if !c
                                .pointer("/status/conditions")
                                .and_then(Value::as_array)
                                .is_some_and(|a| {
                                    a.iter().any(|x| {
                                        x.get("type").and_then(Value::as_str) == Some("Established")
                                    })
                                })
                            {
                                set_condition(
                                    c,
                                    "Established",
                                    "False",
                                    "NotAccepted",
                                    "not all names are accepted",
                                );
                            }
                        }
                    }
                    true
                });
                rebuild_registry(shared);
            }
            let current = shared.store.get(&ObjectKey::new(
                crd_storage(shared).unwrap_or_else(|| Arc::from("")),
                "",
                &name,
            ));
            if let Some(cur) = current {
                let v = &cur.value;
                if condition_true(v, "NamesAccepted")
                    && !condition_true(v, "Established")
                    && !deleting
                {
                    update_crd(shared, &name, |c| {
                        set_condition(
                            c,
                            "Established",
                            "True",
                            "InitialNamesAccepted",
                            "the initial names have been accepted",
                        );
                        true
                    });
                    rebuild_registry(shared);
                }
                if deleting {
                    finalize_crd(shared, &name, v);
                }
            }
        }
        rebuild_registry(shared);
    }
}

fn finalize_crd(shared: &Arc<Shared>, name: &str, crd: &Value) {
    let has_finalizer = crd
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|f| f == CLEANUP_FINALIZER));
    if !has_finalizer {
        return;
    }
    let ever_established = condition_true(crd, "Established");
    if !ever_established {
        update_crd(shared, name, |c| {
            set_condition(
                c,
                "Terminating",
                "False",
                "NeverEstablished",
                "resource was never established",
            );
            remove_cleanup_finalizer(c);
            true
        });
        return;
    }
    let in_progress = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().any(|c| {
                c.get("reason").and_then(Value::as_str) == Some("InstanceDeletionInProgress")
            })
        });
    if !in_progress {
        update_crd(shared, name, |c| {
            set_condition(
                c,
                "Terminating",
                "True",
                "InstanceDeletionInProgress",
                "CustomResource deletion is in progress",
            );
            true
        });
        rebuild_registry(shared);
    }
    let group = str_at(crd, "/spec/group");
    let plural = str_at(crd, "/status/acceptedNames/plural");
    let registry = shared.registry();
    let storage_id = format!("{group}/{plural}");
    let Some(def) = registry
        .resources_of_storage(&storage_id)
        .into_iter()
        .next()
    else {
        update_crd(shared, name, |c| {
            set_condition(
                c,
                "Terminating",
                "False",
                "InstanceDeletionCompleted",
                "removed all instances",
            );
            remove_cleanup_finalizer(c);
            true
        });
        return;
    };
    let remaining = crate::handlers::write::delete_all_of_storage(shared, &def);
    if remaining == 0 {
        update_crd(shared, name, |c| {
            set_condition(
                c,
                "Terminating",
                "False",
                "InstanceDeletionCompleted",
                "removed all instances",
            );
            remove_cleanup_finalizer(c);
            true
        });
    } else {
        update_crd(shared, name, |c| {
            set_condition(
                c,
                "Terminating",
                "True",
                "InstanceDeletionCheck",
                &format!("could not confirm zero CustomResources remaining: {remaining} remaining"),
            );
            true
        });
    }
}

fn remove_cleanup_finalizer(crd: &mut Value) {
    if let Some(fins) = crd
        .pointer_mut("/metadata/finalizers")
        .and_then(Value::as_array_mut)
    {
        fins.retain(|f| f != CLEANUP_FINALIZER);
        if fins.is_empty() {
            if let Some(m) = crd.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("finalizers");
            }
        }
    }
}
