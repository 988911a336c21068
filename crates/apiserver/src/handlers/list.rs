//! LIST: selectors, `limit`/`continue` over one snapshot, resourceVersion semantics.

use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{object_bytes, Ctx, Reply};
use crate::registry::ResourceDef;
use crate::selectors::{parse_field_selector, parse_label_selector, FieldSelector, LabelSelector};
use crate::status::{ApiError, FieldIssue};
use crate::store::object::{split_key, storage_prefix};
use crate::store::{Snapshot, StoredObject};

/// Parsed list/watch options common to both verbs.
pub struct Selection {
    /// Label selector.
    pub labels: LabelSelector,
    /// Field selector.
    pub fields: FieldSelector,
}

impl Selection {
    /// Parse `labelSelector` and `fieldSelector` (400 on errors).
    pub fn parse(ctx: &Ctx, def: &ResourceDef) -> Result<Self, ApiError> {
        let labels = parse_label_selector(ctx.query.get("labelSelector").unwrap_or(""))
            .map_err(ApiError::bad_request)?;
        let fields = parse_field_selector(ctx.query.get("fieldSelector").unwrap_or(""))
            .map_err(ApiError::bad_request)?;
        fields.validate_for(def).map_err(ApiError::bad_request)?;
        Ok(Selection { labels, fields })
    }

    /// Does an object match both selectors?
    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }

    /// No selectors at all?
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
}

/// `ValidateListOptions` for a list (not a watch): every violation, in upstream's order.
fn list_option_issues(
    rv: &str,
    rv_match: &str,
    continue_token: &str,
    send_initial: bool,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if !rv_match.is_empty() {
        if rv.is_empty() {
            issues.push(FieldIssue::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ));
        }
        if !continue_token.is_empty() {
            issues.push(FieldIssue::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden when continue is provided",
            ));
        }
        if !matches!(rv_match, "Exact" | "NotOlderThan") {
            issues.push(FieldIssue::not_supported(
                "resourceVersionMatch",
                &json!(rv_match),
                &["Exact", "NotOlderThan", ""],
            ));
        }
        if rv_match == "Exact" && rv == "0" {
            issues.push(FieldIssue::forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ));
        }
    }
    if send_initial {
        issues.push(FieldIssue::forbidden(
            "sendInitialEvents",
            "sendInitialEvents is forbidden for list",
        ));
    }
    issues
}

/// Parse a resourceVersion query value ("" → None).
pub fn parse_rv(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}"))),
    }
}

/// Wait (up to 3 s, like the watch cache) until the store reaches `rev`.
pub async fn wait_for_revision(ctx: &Ctx, rev: u64) -> Result<(), ApiError> {
    let store = &ctx.shared.store;
    if store.revision() >= rev {
        return Ok(());
    }
    let mut rx = store.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if *rx.borrow_and_update() >= rev {
            return Ok(());
        }
        tokio::select! {
            r = rx.changed() => if r.is_err() { break },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    if store.revision() >= rev {
        Ok(())
    } else {
        Err(ApiError::too_large_resource_version(rev, store.revision()))
    }
}

fn encode_continue(rv: i64, start: &str) -> String {
    let start = serde_json::to_string(&format!("{start}\u{0}")).unwrap_or_default();
    let token = format!("{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":{start}}}");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token)
}

fn decode_continue(token: &str) -> Result<(i64, String), ApiError> {
    let bad = |m: &str| ApiError::bad_request(format!("invalid continue token: {m}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(token))
        .map_err(|e| bad(&format!("continue key is not valid: {e}")))?;
    let v: Value = serde_json::from_slice(&raw)
        .map_err(|e| bad(&format!("continue key is not valid: {e}")))?;
    if v.get("v").and_then(Value::as_str) != Some("meta.k8s.io/v1") {
        return Err(bad(
            "continue key is not valid: server does not recognize this encoded version",
        ));
    }
    let rv = v.get("rv").and_then(Value::as_i64).unwrap_or(0);
    if rv == 0 {
        return Err(bad("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
    }
    let start = v.get("start").and_then(Value::as_str).unwrap_or("");
    if start.is_empty() {
        return Err(bad("continue key is not valid: encoded start key empty"));
    }
    let start = start.trim_end_matches('\u{0}');
    if start.split('/').any(|p| p == ".." || p == ".") {
        return Err(bad("continue key is not valid: invalid start key"));
    }
    Ok((rv, start.to_string()))
}

/// The map key to resume from for a decoded continue `start` (exclusive of the last item).
fn resume_key(def: &ResourceDef, ns: &str, start: &str) -> String {
    if ns.is_empty() && def.namespaced {
        let (n, name) = start.split_once('/').unwrap_or(("", start));
        format!("{}\0{n}\0{name}\0", def.storage_id)
    } else {
        format!("{}\0{ns}\0{start}\0", def.storage_id)
    }
}

/// Handle LIST.
pub async fn list(ctx: &mut Ctx, def: &Arc<ResourceDef>, ns: &str) -> Result<Reply, ApiError> {
    let q = &ctx.query;
    let rv_raw = q.get("resourceVersion").unwrap_or("").to_string();
    let rv_match = q.get("resourceVersionMatch").unwrap_or("").to_string();
    let continue_token = q.get("continue").unwrap_or("").to_string();
    let issues = list_option_issues(
        &rv_raw,
        &rv_match,
        &continue_token,
        q.get("sendInitialEvents").is_some(),
    );
    if !issues.is_empty() {
        return Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", issues));
    }
    let selection = Selection::parse(ctx, def)?;
    let mut limit: usize = match q.non_empty("limit") {
        Some(l) => l
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit: {l}")))?
            .max(0) as usize,
        None => 0,
    };
    let requested_rv = parse_rv(Some(&rv_raw))?;
    let store = &ctx.shared.store;
    let mut start_key: Option<String> = None;
    let snapshot: Snapshot = if !continue_token.is_empty() {
        if !rv_raw.is_empty() && rv_raw != "0" {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let (rv, start) = decode_continue(&continue_token)?;
        start_key = Some(resume_key(def, ns, &start));
        if rv < 0 {
            store.snapshot()
        } else if rv as u64 > store.revision() {
            // Continuations are read from etcd at the token's revision; a revision etcd has
            // not reached is its ErrFutureRev, which the apiserver passes on as a plain 500.
            return Err(ApiError::plain_500(
                "etcdserver: mvcc: required revision is a future revision",
            ));
        } else {
            match store.snapshot_at(rv as u64) {
                Some(s) => s,
                None => {
                    let mut e = ApiError::expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
                    e.list_continue = Some(encode_continue(-1, &start));
                    return Err(e);
                }
            }
        }
    } else {
        match requested_rv {
            None => store.snapshot(),
            Some(0) => {
                limit = 0;
                store.snapshot()
            }
            Some(n) if rv_match == "Exact" || (rv_match.is_empty() && limit > 0) => match store
                .snapshot_at(n)
            {
                Some(s) => s,
                None if n > store.revision() => {
                    wait_for_revision(ctx, n).await?;
                    store.snapshot_at(n).ok_or_else(|| {
                        ApiError::expired("The resourceVersion for the provided list is too old.")
                    })?
                }
                None => {
                    return Err(ApiError::expired(
                        "The resourceVersion for the provided list is too old.",
                    ))
                }
            },
            Some(n) => {
                wait_for_revision(ctx, n).await?;
                store.snapshot()
            }
        }
    };
    let prefix = storage_prefix(
        &def.storage_id,
        if def.namespaced && !ns.is_empty() {
            Some(ns)
        } else {
            None
        },
    );
    let mut upper = prefix.clone();
    upper.pop();
    upper.push('\u{1}');
    let lower = match &start_key {
        Some(k) if k.as_str() > prefix.as_str() => Bound::Included(k.clone()),
        _ => Bound::Included(prefix.clone()),
    };
    let range = snapshot.map.range((lower, Bound::Excluded(upper)));
    let mut items: Vec<&Arc<StoredObject>> = Vec::new();
    let mut last_key: Option<&String> = None;
    let mut more = false;
    let mut remaining = 0usize;
    for (key, obj) in range {
        if limit > 0 && items.len() >= limit {
            more = true;
            if !selection.is_empty() {
                break;
            }
            remaining += 1;
            continue;
        }
        last_key = Some(key);
        if selection.matches(&obj.value) {
            items.push(obj);
        }
    }
    let mut metadata = format!("{{\"resourceVersion\":\"{}\"", snapshot.rev);
    if more {
        if let Some(k) = last_key {
            let (kns, kname) = split_key(k);
            let start = if def.namespaced && ns.is_empty() {
                format!("{kns}/{kname}")
            } else {
                kname.to_string()
            };
            metadata.push_str(&format!(
                ",\"continue\":\"{}\"",
                encode_continue(snapshot.rev as i64, &start)
            ));
            if selection.is_empty() {
                metadata.push_str(&format!(",\"remainingItemCount\":{remaining}"));
            }
            store.remember_snapshot(snapshot.rev, &snapshot.map);
        }
    }
    metadata.push('}');
    let body = list_body(def, &metadata, &items);
    Ok(Reply::Json(200, body))
}

/// Build a `<Kind>List` body from stored items without re-serialising them.
pub fn list_body(def: &ResourceDef, metadata_json: &str, items: &[&Arc<StoredObject>]) -> Bytes {
    let size: usize = items.iter().map(|i| i.bytes.len() + 1).sum::<usize>() + 128;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut out, &def.list_kind);
    out.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut out, &def.api_version());
    out.extend_from_slice(b",\"metadata\":");
    out.extend_from_slice(metadata_json.as_bytes());
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if def.is_custom() {
            out.extend_from_slice(&object_bytes(def, item));
        } else {
            out.push(b'{');
            out.extend_from_slice(item.rest_bytes());
        }
    }
    out.extend_from_slice(b"]}\n");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip_in_upstream_format() {
        let t = encode_continue(42, "ns/name");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&t)
            .unwrap();
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            "{\"v\":\"meta.k8s.io/v1\",\"rv\":42,\"start\":\"ns/name\\u0000\"}"
        );
        assert_eq!(decode_continue(&t).unwrap(), (42, "ns/name".to_string()));
        assert!(decode_continue("!!!")
            .unwrap_err()
            .message
            .starts_with("invalid continue token: continue key is not valid"));
    }
}
