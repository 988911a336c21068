//! managedFields tracking on every non-apply write — delegates to klite-merge.

use serde_json::Value;

use crate::registry::ResourceDef;

fn reset_fields(def: &ResourceDef, sub: Option<&str>) -> klite_merge::fieldpath::FieldSet {
    klite_merge::apply::reset_fields(&def.group, &def.kind, sub, def.has_status())
}

/// Track ownership on create: the creating manager owns every field present.
pub fn track_create(def: &ResourceDef, obj: &mut Value, manager: &str) {
    let ty = def.merge_type();
    let api_version = def.api_version();
    let reset = reset_fields(def, None);
    klite_merge::apply::track_update(
        None,
        obj,
        &ty,
        &klite_merge::apply::UpdateOptions {
            manager,
            api_version: &api_version,
            subresource: None,
            now: chrono::Utc::now(),
            reset_fields: Some(&reset),
        },
    );
}

/// Track ownership on update/patch through `sub` ("" = main resource).
pub fn track_update(def: &ResourceDef, old: &Value, new: &mut Value, manager: &str, sub: &str) {
    let ty = def.merge_type();
    let api_version = def.api_version();
    let subresource = if sub.is_empty() { None } else { Some(sub) };
    let reset = reset_fields(def, subresource);
    klite_merge::apply::track_update(
        Some(old),
        new,
        &ty,
        &klite_merge::apply::UpdateOptions {
            manager,
            api_version: &api_version,
            subresource,
            now: chrono::Utc::now(),
            reset_fields: Some(&reset),
        },
    );
}
