//! managedFields tracking (server-side apply bookkeeping) — delegates to klite-merge.
//!
//! Seam: until klite-merge's field-manager engine is wired, writes keep the
//! managedFields the client sent (create) or the stored ones (update).

use serde_json::Value;

use crate::registry::ResourceDef;

/// Track ownership on create.
pub fn track_create(_def: &ResourceDef, _obj: &mut Value, _manager: &str) {}

/// Track ownership on update/patch (`sub` = subresource).
pub fn track_update(_def: &ResourceDef, old: &Value, new: &mut Value, _manager: &str, _sub: &str) {
    if new.pointer("/metadata/managedFields").is_none() {
        if let Some(mf) = old.pointer("/metadata/managedFields").cloned() {
            crate::handlers::meta::meta_mut(new).insert("managedFields".into(), mf);
        }
    }
}
