//! The cluster-wide MVCC object store.
//!
//! * One persistent ordered map (`imbl::OrdMap`) from storage key to
//!   `Arc<StoredObject>`; cloning it is O(1), so every reader gets a consistent
//!   snapshot and every write is O(log n).
//! * Every write bumps one global revision (the `resourceVersion`).
//! * Objects keep their serialized JSON next to the parsed value, so GET, LIST
//!   and WATCH write stored bytes instead of re-serialising.
//! * A bounded ring of recent events ([`history`]) feeds watchers and lets a
//!   LIST be served *at* an older revision (continue tokens, `Exact` lists) by
//!   rewinding the current map.
//! * An optional [`Persistence`] backend (the stand-in's etcd, [`etcd`]) gets
//!   every change before it is published; its revision becomes the RV. The
//!   in-memory mode (embedded EnvTest) has none and pays nothing for it.

pub mod etcd;
pub mod history;
pub mod object;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use imbl::OrdMap;
use serde_json::Value;
use tokio::sync::watch;

pub use history::{EventType, History, WatchEvent};
pub use object::{ObjectKey, StoredObject};

use crate::status::ApiError;

/// The map type: storage key → object.
pub type ObjectMap = OrdMap<String, Arc<StoredObject>>;

/// A consistent read view at one revision.
#[derive(Clone)]
pub struct Snapshot {
    /// The revision this view reflects.
    pub rev: u64,
    /// The objects.
    pub map: ObjectMap,
}

/// What a write closure decides.
pub enum Change {
    /// Store this object (resourceVersion is filled in by the store).
    Put(Value),
    /// Remove the object.
    Delete,
    /// Write nothing (no revision bump, no event).
    Keep,
}

/// Where committed changes are written through before they are published.
/// Called under the store's writer lock, so in commit order.
pub trait Persistence: Send + Sync {
    /// Store an object's JSON (without resourceVersion); the backend's revision of the write.
    fn put(&self, key: &ObjectKey, value: &[u8]) -> Result<u64, String>;
    /// Remove an object; the backend's revision of the write.
    fn delete(&self, key: &ObjectKey) -> Result<u64, String>;
}

/// The result of a write.
#[derive(Clone)]
pub struct Committed {
    /// The object after the write (for Delete: the last state, stamped with the delete's RV).
    pub object: Option<Arc<StoredObject>>,
    /// The object before the write.
    pub previous: Option<Arc<StoredObject>>,
    /// Whether anything was written.
    pub written: bool,
}

struct WriterState {
    rev: u64,
    map: ObjectMap,
}

/// The store.
pub struct Store {
    persistence: Option<Arc<dyn Persistence>>,
    writer: Mutex<WriterState>,
    published: RwLock<Snapshot>,
    history: RwLock<History>,
    snapshot_cache: Mutex<BTreeMap<u64, ObjectMap>>,
    rev_tx: watch::Sender<u64>,
}

const SNAPSHOT_CACHE: usize = 64;

impl Store {
    /// An empty store whose event history keeps `history_capacity` events.
    pub fn new(history_capacity: usize) -> Self {
        Store::with_state(history_capacity, None, 1, OrdMap::new())
    }

    /// A store continuing from persisted state: objects as loaded (each with its
    /// revision), the backend's current revision, and the backend that every
    /// later change is written through.
    pub fn persisted(
        history_capacity: usize,
        backend: Arc<dyn Persistence>,
        revision: u64,
        objects: Vec<(ObjectKey, Value, u64)>,
    ) -> Self {
        let map: ObjectMap = objects
            .into_iter()
            .map(|(key, value, rev)| (key.storage_key(), Arc::new(StoredObject::new(value, rev))))
            .collect();
        Store::with_state(history_capacity, Some(backend), revision.max(1), map)
    }

    fn with_state(
        history_capacity: usize,
        persistence: Option<Arc<dyn Persistence>>,
        rev: u64,
        map: ObjectMap,
    ) -> Self {
        let (rev_tx, _) = watch::channel(rev);
        Store {
            persistence,
            writer: Mutex::new(WriterState {
                rev,
                map: map.clone(),
            }),
            published: RwLock::new(Snapshot { rev, map }),
            history: RwLock::new(History::new(history_capacity, rev)),
            snapshot_cache: Mutex::new(BTreeMap::new()),
            rev_tx,
        }
    }

    /// Insert objects that do not exist yet, each as one committed change (ADDED
    /// event, own revision), publishing once at the end: the fast path for the
    /// bootstrap objects every server starts with. Objects whose key exists are
    /// skipped (a server restarted on persisted state keeps its own).
    pub fn insert_missing(
        &self,
        objects: impl IntoIterator<Item = (ObjectKey, Value)>,
    ) -> Result<usize, ApiError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut history = self.history.write().unwrap_or_else(|e| e.into_inner());
        let mut inserted = 0;
        for (key, mut value) in objects {
            let storage_key = key.storage_key();
            if writer.map.contains_key(&storage_key) {
                continue;
            }
            let rev = self.next_revision(writer.rev, &key, Some(&value))?;
            object::set_resource_version(&mut value, rev);
            let stored = Arc::new(StoredObject::new(value, rev));
            writer.map.insert(storage_key.clone(), stored.clone());
            writer.rev = rev;
            history.push(Arc::new(WatchEvent {
                rev,
                storage_id: key.storage_id.clone(),
                storage_key,
                namespace: key.namespace.clone(),
                event_type: EventType::Added,
                object: stored,
                previous: None,
            }));
            inserted += 1;
        }
        drop(history);
        let rev = writer.rev;
        *self.published.write().unwrap_or_else(|e| e.into_inner()) = Snapshot {
            rev,
            map: writer.map.clone(),
        };
        self.rev_tx.send_replace(rev);
        Ok(inserted)
    }

    /// The revision of the next change: our counter, or the backend's revision
    /// after writing it through (`value` None = delete).
    fn next_revision(
        &self,
        current: u64,
        key: &ObjectKey,
        value: Option<&Value>,
    ) -> Result<u64, ApiError> {
        let Some(backend) = &self.persistence else {
            return Ok(current + 1);
        };
        let written = match value {
            Some(v) => {
                let mut stored = v.clone();
                if let Some(meta) = stored.get_mut("metadata").and_then(Value::as_object_mut) {
                    meta.remove("resourceVersion");
                }
                let (bytes, _) = crate::json::encode_object(&stored);
                backend.put(key, &bytes)
            }
            None => backend.delete(key),
        };
        match written {
            Ok(rev) if rev > current => Ok(rev),
            Ok(rev) => Err(ApiError::internal(&format!(
                "storage revision went backwards: {rev} after {current}"
            ))),
            Err(e) => Err(ApiError::internal(&e)),
        }
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Snapshot {
        self.published
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The current revision.
    pub fn revision(&self) -> u64 {
        *self.rev_tx.borrow()
    }

    /// Subscribe to revision changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.rev_tx.subscribe()
    }

    /// Read access to the event history.
    pub fn history(&self) -> std::sync::RwLockReadGuard<'_, History> {
        self.history.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Get one object from the latest snapshot.
    pub fn get(&self, key: &ObjectKey) -> Option<Arc<StoredObject>> {
        self.snapshot().map.get(&key.storage_key()).cloned()
    }

    /// The map as it was at revision `rev`, or `None` when that is older than
    /// the history window (or newer than the store).
    pub fn snapshot_at(&self, rev: u64) -> Option<Snapshot> {
        let current = self.snapshot();
        if rev == current.rev {
            return Some(current);
        }
        if rev > current.rev {
            return None;
        }
        if let Some(map) = self
            .snapshot_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&rev)
        {
            return Some(Snapshot {
                rev,
                map: map.clone(),
            });
        }
        let map = self.history().rewind(current.map, current.rev, rev)?;
        self.remember_snapshot(rev, &map);
        Some(Snapshot { rev, map })
    }

    /// Keep a snapshot so later pages of a paginated list can be served from it.
    pub fn remember_snapshot(&self, rev: u64, map: &ObjectMap) {
        let mut cache = self
            .snapshot_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.insert(rev, map.clone());
        while cache.len() > SNAPSHOT_CACHE {
            let Some(oldest) = cache.keys().next().copied() else {
                break;
            };
            cache.remove(&oldest);
        }
    }

    /// Atomically read-modify-write one key. The closure sees the current
    /// object and decides; writers are serialised, readers never wait.
    pub fn update<F>(&self, key: &ObjectKey, decide: F) -> Result<Committed, ApiError>
    where
        F: FnOnce(Option<&Arc<StoredObject>>) -> Result<Change, ApiError>,
    {
        let storage_key = key.storage_key();
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let previous = writer.map.get(&storage_key).cloned();
        let change = decide(previous.as_ref())?;
        let mut rev = writer.rev + 1;
        let (object, event_type) = match change {
            Change::Keep => {
                return Ok(Committed {
                    object: previous.clone(),
                    previous,
                    written: false,
                })
            }
            Change::Put(mut value) => {
                if self.persistence.is_some() {
                    rev = self.next_revision(writer.rev, key, Some(&value))?;
                }
                object::set_resource_version(&mut value, rev);
                let stored = Arc::new(StoredObject::new(value, rev));
                writer.map.insert(storage_key.clone(), stored.clone());
                let ty = if previous.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                (stored, ty)
            }
            Change::Delete => {
                let Some(prev) = previous.clone() else {
                    return Ok(Committed {
                        object: None,
                        previous: None,
                        written: false,
                    });
                };
                if self.persistence.is_some() {
                    rev = self.next_revision(writer.rev, key, None)?;
                }
                let mut value = prev.value.clone();
                object::set_resource_version(&mut value, rev);
                writer.map.remove(&storage_key);
                (Arc::new(StoredObject::new(value, rev)), EventType::Deleted)
            }
        };
        writer.rev = rev;
        let event = Arc::new(WatchEvent {
            rev,
            storage_id: key.storage_id.clone(),
            storage_key,
            namespace: key.namespace.clone(),
            event_type,
            object: object.clone(),
            previous: previous.clone(),
        });
        self.history
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(event);
        *self.published.write().unwrap_or_else(|e| e.into_inner()) = Snapshot {
            rev,
            map: writer.map.clone(),
        };
        self.rev_tx.send_replace(rev);
        drop(writer);
        Ok(Committed {
            object: Some(object),
            previous,
            written: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(name: &str) -> ObjectKey {
        ObjectKey::new(Arc::from("/configmaps"), "default", name)
    }

    fn cm(name: &str, v: &str) -> Value {
        json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":name,"namespace":"default"},"data":{"v":v}})
    }

    #[test]
    fn every_write_bumps_the_global_revision_and_stamps_it() {
        let store = Store::new(100);
        let a = store
            .update(&key("a"), |_| Ok(Change::Put(cm("a", "1"))))
            .unwrap();
        let b = store
            .update(&key("b"), |_| Ok(Change::Put(cm("b", "1"))))
            .unwrap();
        assert_eq!(a.object.unwrap().rev + 1, b.object.as_ref().unwrap().rev);
        let stored = store.get(&key("b")).unwrap();
        assert_eq!(
            stored.value["metadata"]["resourceVersion"],
            json!(stored.rev.to_string())
        );
        let kept = store.update(&key("b"), |_| Ok(Change::Keep)).unwrap();
        assert!(!kept.written);
        assert_eq!(store.revision(), stored.rev);
    }

    #[test]
    fn snapshot_at_rewinds_writes_and_deletes() {
        let store = Store::new(100);
        store
            .update(&key("a"), |_| Ok(Change::Put(cm("a", "1"))))
            .unwrap();
        let rev_one = store.revision();
        store
            .update(&key("a"), |_| Ok(Change::Put(cm("a", "2"))))
            .unwrap();
        store
            .update(&key("b"), |_| Ok(Change::Put(cm("b", "1"))))
            .unwrap();
        store.update(&key("a"), |_| Ok(Change::Delete)).unwrap();
        let old = store.snapshot_at(rev_one).unwrap();
        assert_eq!(old.map.len(), 1);
        assert_eq!(
            old.map.get(&key("a").storage_key()).unwrap().value["data"]["v"],
            json!("1")
        );
        assert!(store.snapshot_at(store.revision() + 1).is_none());
    }

    #[test]
    fn snapshot_older_than_history_window_is_gone() {
        let store = Store::new(2);
        for i in 0..5 {
            store
                .update(&key("a"), |_| Ok(Change::Put(cm("a", &i.to_string()))))
                .unwrap();
        }
        assert!(store.snapshot_at(2).is_none());
        assert!(store.snapshot_at(store.revision() - 2).is_some());
    }
}
