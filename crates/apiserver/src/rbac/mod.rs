//! RBAC authorization, as kube-apiserver runs it under envtest
//! (`--authorization-mode=RBAC`, facts-errors §5).
//!
//! - [`RbacAuthorizer`] implements [`crate::auth::Authorizer`]: `system:masters` is
//!   allowed outright; everyone else is checked against the Role, ClusterRole,
//!   RoleBinding and ClusterRoleBinding objects in the store.
//! - The objects are read into an [`index::RbacIndex`] keyed by subject, so a
//!   decision looks at the bindings of the requesting user and groups only. The
//!   index is rebuilt when (and only when) an RBAC object changed: each decision
//!   first compares the store revision with the last checked one and scans the
//!   new events of the watch history.
//! - [`bootstrap`]: the bootstrap policy created at start; [`escalation`]: the
//!   escalation prevention on Role/Binding writes; [`rules`]: rule matching.

pub mod bootstrap;
pub mod escalation;
pub mod index;
pub mod rules;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use crate::auth::{Authorizer, Decision, UserInfo};
use crate::request_info::RequestInfo;
use crate::server::Shared;

pub use index::RbacIndex;
pub use rules::PolicyRule;

/// The group whose members may do anything (upstream privileged-group authorizer).
pub const PRIVILEGED_GROUP: &str = "system:masters";

/// The RBAC authorizer of a server. Created unattached; the server attaches
/// itself once its state exists.
#[derive(Default)]
pub struct RbacAuthorizer {
    shared: OnceLock<Weak<Shared>>,
    index: RwLock<Arc<RbacIndex>>,
    checked_rev: AtomicU64,
    refresh: Mutex<()>,
}

impl std::fmt::Debug for RbacAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RbacAuthorizer")
            .field("checked_rev", &self.checked_rev.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RbacAuthorizer {
    /// A new, unattached authorizer (allows `system:masters` only until attached).
    pub fn new() -> Self {
        Self::default()
    }

    /// Read RBAC objects from this server's store from now on.
    pub(crate) fn attach(&self, shared: &Arc<Shared>) {
        let _ = self.shared.set(Arc::downgrade(shared));
    }

    /// The index, brought up to date with the store.
    pub fn current_index(&self) -> Arc<RbacIndex> {
        let current = || self.index.read().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(shared) = self.shared.get().and_then(Weak::upgrade) else {
            return current();
        };
        let rev = shared.store.revision();
        if self.checked_rev.load(Ordering::Acquire) >= rev {
            return current();
        }
        let _guard = self.refresh.lock().unwrap_or_else(|e| e.into_inner());
        let checked = self.checked_rev.load(Ordering::Acquire);
        if checked >= rev {
            return current();
        }
        let changed = {
            let history = shared.store.history();
            match history.since(checked, usize::MAX) {
                Ok(events) => {
                    let rbac = events.iter().any(|e| index::is_rbac_storage(&e.storage_id));
                    let last = events.last().map(|e| e.rev).unwrap_or(rev);
                    if rbac {
                        None
                    } else {
                        Some(last.max(checked))
                    }
                }
                Err(_) => None,
            }
        };
        match changed {
            Some(last) => self.checked_rev.store(last, Ordering::Release),
            None => {
                let snapshot = shared.store.snapshot();
                let rebuilt = Arc::new(RbacIndex::build(&snapshot.map));
                *self.index.write().unwrap_or_else(|e| e.into_inner()) = rebuilt;
                self.checked_rev.store(snapshot.rev, Ordering::Release);
            }
        }
        current()
    }

    /// The rules that apply to `user` in `namespace` (cluster-wide ones included),
    /// with role-resolution errors (upstream `RulesFor`).
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> (Vec<PolicyRule>, Vec<String>) {
        self.current_index().rules_for(user, namespace)
    }
}

impl Authorizer for RbacAuthorizer {
    fn authorize(&self, user: &UserInfo, request: &RequestInfo) -> Decision {
        if user.in_group(PRIVILEGED_GROUP) {
            return Decision::Allow(String::new());
        }
        self.current_index().authorize(user, request)
    }
}

/// Render resolution errors as upstream's aggregate: `RBAC: e` or `RBAC: [e1, e2]`.
pub fn errors_reason(errors: &[String]) -> String {
    let mut unique: Vec<&String> = Vec::new();
    for e in errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.as_slice() {
        [] => String::new(),
        [one] => format!("RBAC: {one}"),
        many => format!(
            "RBAC: [{}]",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
