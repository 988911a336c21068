//! WATCH: a lazily-polled stream over the store's event history.
//!
//! There is no per-watcher queue or task: the HTTP body stream reads the shared
//! history through its own cursor when hyper polls it. A client that stops
//! reading stops being polled, so it costs nothing and blocks nobody; once its
//! cursor falls out of the bounded history it receives a 410 `ERROR` event and
//! the stream ends.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use serde_json::{json, Value};
use tokio::sync::watch as tokio_watch;
use tokio::time::Instant;

use super::list::{parse_rv, Selection};
use super::{object_bytes, Ctx, Reply};
use crate::registry::ResourceDef;
use crate::request_info::parse_bool;
use crate::server::Shared;
use crate::status::{ApiError, FieldIssue};
use crate::store::object::storage_prefix;
use crate::store::{EventType, StoredObject, WatchEvent};

const BOOKMARK_EVERY: Duration = Duration::from_secs(60);
const MAX_BATCH_EVENTS: usize = 512;
const MAX_BATCH_BYTES: usize = 256 * 1024;

struct Filter {
    storage_id: Arc<str>,
    namespace: Option<String>,
    name: Option<String>,
    selection: Selection,
}

impl Filter {
    fn scope_matches(&self, event: &WatchEvent) -> bool {
        if *event.storage_id != *self.storage_id {
            return false;
        }
        if let Some(ns) = &self.namespace {
            if &event.namespace != ns {
                return false;
            }
        }
        if let Some(name) = &self.name {
            if event.object.name() != name {
                return false;
            }
        }
        true
    }

    fn matches(&self, obj: &StoredObject) -> bool {
        self.selection.matches(&obj.value)
    }
}

struct WatchState {
    shared: Arc<Shared>,
    def: Arc<ResourceDef>,
    filter: Filter,
    cursor: u64,
    initial: VecDeque<Arc<StoredObject>>,
    end_bookmark: Option<u64>,
    bookmarks: bool,
    deadline: Instant,
    next_bookmark: Instant,
    rx: tokio_watch::Receiver<u64>,
    pending_error: Option<ApiError>,
    done: bool,
}

fn frame(out: &mut Vec<u8>, ty: &str, object: &[u8]) {
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(ty.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
}

fn bookmark_object(def: &ResourceDef, rev: u64, initial_end: bool) -> Vec<u8> {
    let mut meta = json!({"resourceVersion": rev.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    if !def.is_custom() {
        meta["creationTimestamp"] = Value::Null;
    }
    let obj = json!({"kind": def.kind, "apiVersion": def.api_version(), "metadata": meta});
    crate::json::encode_object(&obj).0
}

/// Re-stamp a previous object state with the event's revision (selector exit).
fn restamped(def: &ResourceDef, prev: &StoredObject, rev: u64) -> Vec<u8> {
    let mut v = prev.value.clone();
    crate::store::object::set_resource_version(&mut v, rev);
    if def.is_custom() {
        v["apiVersion"] = Value::String(def.api_version());
    }
    crate::json::encode_object(&v).0
}

impl WatchState {
    fn render_event(&self, event: &WatchEvent, out: &mut Vec<u8>) {
        if !self.filter.scope_matches(event) {
            return;
        }
        let new_matches = self.filter.matches(&event.object);
        match event.event_type {
            EventType::Added => {
                if new_matches {
                    frame(out, "ADDED", &object_bytes(&self.def, &event.object));
                }
            }
            EventType::Deleted => {
                if new_matches {
                    frame(out, "DELETED", &object_bytes(&self.def, &event.object));
                }
            }
            EventType::Modified => {
                let old_matches = event
                    .previous
                    .as_ref()
                    .is_some_and(|p| self.filter.matches(p));
                match (old_matches, new_matches) {
                    (false, true) => frame(out, "ADDED", &object_bytes(&self.def, &event.object)),
                    (true, true) => frame(out, "MODIFIED", &object_bytes(&self.def, &event.object)),
                    (true, false) => {
                        if let Some(prev) = &event.previous {
                            frame(out, "DELETED", &restamped(&self.def, prev, event.rev));
                        }
                    }
                    (false, false) => {}
                }
            }
        }
    }

    async fn next_batch(&mut self) -> Option<Bytes> {
        loop {
            if self.done {
                return None;
            }
            if let Some(err) = self.pending_error.take() {
                self.done = true;
                let mut out = Vec::new();
                frame(
                    &mut out,
                    "ERROR",
                    &err.to_status_json()[..err.to_status_json().len() - 1],
                );
                return Some(Bytes::from(out));
            }
            if !self.initial.is_empty() {
                let mut out = Vec::new();
                let mut n = 0;
                while let Some(obj) = self.initial.pop_front() {
                    frame(&mut out, "ADDED", &object_bytes(&self.def, &obj));
                    n += 1;
                    if n >= MAX_BATCH_EVENTS || out.len() >= MAX_BATCH_BYTES {
                        break;
                    }
                }
                return Some(Bytes::from(out));
            }
            if let Some(rev) = self.end_bookmark.take() {
                let mut out = Vec::new();
                frame(&mut out, "BOOKMARK", &bookmark_object(&self.def, rev, true));
                return Some(Bytes::from(out));
            }
            self.rx.borrow_and_update();
            let batch = self
                .shared
                .store
                .history()
                .since(self.cursor, MAX_BATCH_EVENTS);
            match batch {
                Err(too_old) => {
                    self.done = true;
                    let err = ApiError::expired(format!(
                        "too old resource version: {} ({})",
                        self.cursor, too_old.oldest_minus_one
                    ));
                    let body = err.to_status_json();
                    let mut out = Vec::new();
                    frame(&mut out, "ERROR", &body[..body.len() - 1]);
                    return Some(Bytes::from(out));
                }
                Ok(events) if !events.is_empty() => {
                    let mut out = Vec::new();
                    for event in &events {
                        self.render_event(event, &mut out);
                    }
                    if let Some(last) = events.last() {
                        self.cursor = last.rev;
                    }
                    if !out.is_empty() {
                        return Some(Bytes::from(out));
                    }
                }
                Ok(_) => {
                    let bookmark_at = if self.bookmarks {
                        self.next_bookmark
                    } else {
                        self.deadline
                    };
                    tokio::select! {
                        changed = self.rx.changed() => {
                            if changed.is_err() {
                                return None;
                            }
                        }
                        _ = tokio::time::sleep_until(self.deadline) => {
                            self.done = true;
                            return None;
                        }
                        _ = tokio::time::sleep_until(bookmark_at), if self.bookmarks => {
                            self.next_bookmark = Instant::now() + BOOKMARK_EVERY;
                            let mut out = Vec::new();
                            frame(&mut out, "BOOKMARK", &bookmark_object(&self.def, self.cursor, false));
                            return Some(Bytes::from(out));
                        }
                    }
                }
            }
        }
    }
}

/// Handle WATCH.
pub async fn watch(ctx: &mut Ctx, def: &Arc<ResourceDef>, ns: &str) -> Result<Reply, ApiError> {
    let q = &ctx.query;
    let send_initial = match q.non_empty("sendInitialEvents") {
        Some(v) => Some(
            parse_bool(v)
                .ok_or_else(|| ApiError::bad_request(format!("invalid sendInitialEvents: {v}")))?,
        ),
        None => None,
    };
    let rv_match = q.get("resourceVersionMatch").unwrap_or("");
    // validateWatchOptions: every violation, in upstream's order.
    let mut issues = Vec::new();
    if send_initial.is_some() && rv_match != "NotOlderThan" {
        issues.push(FieldIssue::forbidden(
            "resourceVersionMatch",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ));
    }
    if !rv_match.is_empty() {
        if send_initial.is_none() {
            issues.push(FieldIssue::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        if rv_match != "NotOlderThan" {
            issues.push(FieldIssue::not_supported(
                "resourceVersionMatch",
                &json!(rv_match),
                &["NotOlderThan"],
            ));
        }
        if q.non_empty("continue").is_some() {
            issues.push(FieldIssue::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
    }
    if !issues.is_empty() {
        return Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", issues));
    }
    let selection = Selection::parse(ctx, def)?;
    let mut name = selection
        .fields
        .requirements
        .iter()
        .find(|r| r.field == "metadata.name" && !r.negated)
        .map(|r| r.value.clone());
    if ctx.info.watch_prefix && !ctx.info.name.is_empty() && ctx.info.parts.len() >= 2 {
        if let Some(n) = &name {
            if n != &ctx.info.name {
                return Err(ApiError::bad_request(
                    "fieldSelector metadata.name doesn't match requested name",
                ));
            }
        }
        name = Some(ctx.info.name.clone());
    }
    let bookmarks = q
        .get("allowWatchBookmarks")
        .and_then(parse_bool)
        .unwrap_or(false);
    let timeout = match q.non_empty("timeoutSeconds") {
        Some(t) => Duration::from_secs(
            t.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t}")))?,
        ),
        None => Duration::from_secs(1800 + rand::random::<u64>() % 1800),
    };
    let requested = parse_rv(q.get("resourceVersion"))?;
    let store = &ctx.shared.store;
    let filter = Filter {
        storage_id: def.storage_id.clone(),
        namespace: if def.namespaced && !ns.is_empty() {
            Some(ns.to_string())
        } else {
            None
        },
        name,
        selection,
    };
    let mut initial = VecDeque::new();
    let mut end_bookmark = None;
    let mut pending_error = None;
    let want_initial = match (send_initial, requested) {
        (Some(s), _) => s,
        (None, None) | (None, Some(0)) => true,
        (None, Some(_)) => false,
    };
    let cursor = if want_initial {
        if let Some(n) = requested.filter(|n| *n > 0) {
            if let Err(e) = super::list::wait_for_revision(ctx, n).await {
                pending_error = Some(e);
            }
        }
        let snapshot = store.snapshot();
        let prefix = storage_prefix(&def.storage_id, filter.namespace.as_deref());
        let mut upper = prefix.clone();
        upper.pop();
        upper.push('\u{1}');
        for (_, obj) in snapshot.map.range(prefix..upper) {
            if filter.name.as_deref().is_some_and(|n| n != obj.name()) {
                continue;
            }
            if filter.matches(obj) {
                initial.push_back(obj.clone());
            }
        }
        if send_initial == Some(true) && bookmarks {
            end_bookmark = Some(snapshot.rev);
        }
        snapshot.rev
    } else {
        let n = requested.unwrap_or(0);
        if n > store.revision() {
            if let Err(e) = super::list::wait_for_revision(ctx, n).await {
                pending_error = Some(e);
            }
        }
        n
    };
    let now = Instant::now();
    let state = WatchState {
        shared: ctx.shared.clone(),
        def: def.clone(),
        filter,
        cursor,
        initial,
        end_bookmark,
        bookmarks,
        deadline: now + timeout,
        next_bookmark: now + BOOKMARK_EVERY,
        rx: store.subscribe(),
        pending_error,
        done: false,
    };
    let s = stream::unfold(state, |mut state| async move {
        let batch = state.next_batch().await?;
        Some((Ok::<_, std::convert::Infallible>(Frame::data(batch)), state))
    });
    Ok(Reply::Stream(StreamBody::new(s).boxed_unsync()))
}
