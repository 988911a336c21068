//! The bounded ring of recent write events.
//!
//! Every committed write appends exactly one event, so the ring holds a
//! contiguous revision range. Watchers read it through cursors (no per-watcher
//! queues); a watcher whose cursor falls out of the window is expired. Writers
//! never wait on watchers.

use std::collections::VecDeque;
use std::sync::Arc;

use super::{ObjectMap, StoredObject};

/// ADDED / MODIFIED / DELETED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

impl EventType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed write.
#[derive(Debug)]
pub struct WatchEvent {
    /// Revision of the write.
    pub rev: u64,
    /// Storage of the object.
    pub storage_id: Arc<str>,
    /// Full map key.
    pub storage_key: String,
    /// Namespace.
    pub namespace: String,
    /// What happened.
    pub event_type: EventType,
    /// New state (Deleted: last state stamped with `rev`).
    pub object: Arc<StoredObject>,
    /// Previous state.
    pub previous: Option<Arc<StoredObject>>,
}

/// The ring.
pub struct History {
    events: VecDeque<Arc<WatchEvent>>,
    capacity: usize,
    /// Revision before the first event ever recorded (start of the store).
    base_rev: u64,
}

/// A watcher's cursor fell out of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooOld {
    /// Oldest revision still deliverable, minus one (upstream's `(Y)` in the message).
    pub oldest_minus_one: u64,
}

impl History {
    /// An empty ring.
    pub fn new(capacity: usize, base_rev: u64) -> Self {
        History {
            events: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            base_rev,
        }
    }

    /// Append (dropping the oldest when full).
    pub fn push(&mut self, event: Arc<WatchEvent>) {
        if self.events.len() == self.capacity {
            if let Some(old) = self.events.pop_front() {
                self.base_rev = old.rev;
            }
        }
        self.events.push_back(event);
    }

    /// Revision just before the oldest retained event.
    pub fn oldest_minus_one(&self) -> u64 {
        self.base_rev
    }

    /// Events with revision > `after`, at most `max`, or TooOld.
    pub fn since(&self, after: u64, max: usize) -> Result<Vec<Arc<WatchEvent>>, TooOld> {
        if after < self.base_rev {
            return Err(TooOld {
                oldest_minus_one: self.base_rev,
            });
        }
        // Revisions are increasing but may have gaps (a persistent backend's
        // revisions), so the start is found by search, not arithmetic.
        let skip = self.events.partition_point(|e| e.rev <= after);
        Ok(self.events.iter().skip(skip).take(max).cloned().collect())
    }

    /// The map as of `target`, undoing events after it; `None` when too old.
    pub fn rewind(&self, mut map: ObjectMap, current: u64, target: u64) -> Option<ObjectMap> {
        if target < self.base_rev || target > current {
            return None;
        }
        for event in self.events.iter().rev() {
            if event.rev <= target {
                break;
            }
            match &event.previous {
                Some(prev) => {
                    map.insert(event.storage_key.clone(), prev.clone());
                }
                None => {
                    map.remove(&event.storage_key);
                }
            }
        }
        Some(map)
    }
}
