//! Write-through persistence to etcd (v3) for the stand-in kube-apiserver.
//!
//! The in-memory [`Store`](super::Store) stays the serving copy (it plays the
//! part of kube-apiserver's watch cache); every committed change is written to
//! etcd first, in commit order, and **etcd's revision becomes the object's
//! `resourceVersion`** — the faithful choice: a stand-in restarted on the same
//! etcd continues from etcd's revision, and RVs mean what they mean upstream
//! (etcd `mod_revision`). Values are stored as JSON without
//! `metadata.resourceVersion`, as upstream's storage strips it.
//!
//! etcd is spoken to through its JSON gRPC gateway (`POST /v3/kv/put`,
//! `/v3/kv/deleterange`, `/v3/kv/range`; keys and values base64), present in
//! every etcd 3.4+ (Debian's is 3.4), over a small blocking HTTP/1.1 client
//! with one kept-alive connection — no gRPC stack, no protoc, no OpenSSL.
//!
//! Keys: `/registry/<resource>/[<namespace>/]<name>` for the core group (as
//! upstream) and `/registry/<group>/<resource>/[<namespace>/]<name>` for every
//! other group (upstream's form for custom resources; upstream keys a few
//! built-in groups without the group segment).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::{ObjectKey, Persistence};

/// Key prefix of every object.
pub const PREFIX: &str = "/registry/";

const TIMEOUT: Duration = Duration::from_secs(5);
const PAGE: u64 = 500;

/// An etcd failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("etcd {endpoint}: {message}")]
pub struct EtcdError {
    /// `host:port`.
    pub endpoint: String,
    /// What went wrong.
    pub message: String,
}

/// An etcd v3 endpoint (`http://host:port`).
pub struct Etcd {
    endpoint: String,
    connection: Mutex<Option<BufReader<TcpStream>>>,
}

impl std::fmt::Debug for Etcd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Etcd")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Objects read from etcd at start.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// etcd's current revision.
    pub revision: u64,
    /// Objects with their `mod_revision` (already stamped as resourceVersion).
    pub objects: Vec<(ObjectKey, Value, u64)>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_default()
}

/// The etcd key of an object.
pub fn etcd_key(key: &ObjectKey) -> String {
    let (group, resource) = key
        .storage_id
        .split_once('/')
        .unwrap_or(("", &key.storage_id));
    let mut out = String::from(PREFIX);
    if !group.is_empty() {
        out.push_str(group);
        out.push('/');
    }
    out.push_str(resource);
    out.push('/');
    if !key.namespace.is_empty() {
        out.push_str(&key.namespace);
        out.push('/');
    }
    out.push_str(&key.name);
    out
}

/// The object key of an etcd key, given the stored object (its namespace tells
/// `<resource>/<ns>/<name>` from `<group>/<resource>/<name>`).
pub fn object_key(etcd_key: &str, value: &Value) -> Option<ObjectKey> {
    let rest = etcd_key.strip_prefix(PREFIX)?;
    let segments: Vec<&str> = rest.split('/').collect();
    let namespace = value
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, resource, ns, name) = match (namespace.is_empty(), segments.as_slice()) {
        (true, [resource, name]) => ("", *resource, "", *name),
        (true, [group, resource, name]) => (*group, *resource, "", *name),
        (false, [resource, ns, name]) => ("", *resource, *ns, *name),
        (false, [group, resource, ns, name]) => (*group, *resource, *ns, *name),
        _ => return None,
    };
    Some(ObjectKey::new(
        Arc::from(format!("{group}/{resource}")),
        ns,
        name,
    ))
}

impl Etcd {
    /// An endpoint from `--etcd-servers` (`http://127.0.0.1:2379`).
    pub fn new(server: &str) -> Result<Self, EtcdError> {
        let endpoint = server
            .strip_prefix("http://")
            .ok_or_else(|| EtcdError {
                endpoint: server.to_string(),
                message: "only http:// etcd endpoints are supported".into(),
            })?
            .trim_end_matches('/')
            .to_string();
        Ok(Etcd {
            endpoint,
            connection: Mutex::new(None),
        })
    }

    fn fail(&self, message: impl Into<String>) -> EtcdError {
        EtcdError {
            endpoint: self.endpoint.clone(),
            message: message.into(),
        }
    }

    /// `GET /health` answers 200 with `"health":"true"`.
    pub fn healthy(&self) -> bool {
        matches!(self.request("GET", "/health", None), Ok((200, body)) if body.get("health").is_some_and(|h| h == "true"))
    }

    /// One POST of a JSON body to the gateway; the JSON answer.
    fn call(&self, path: &str, body: &Value) -> Result<Value, EtcdError> {
        match self.request("POST", path, Some(body))? {
            (200, answer) => Ok(answer),
            (code, answer) => Err(self.fail(format!(
                "{path} answered {code}: {}",
                answer
                    .get("message")
                    .or_else(|| answer.get("error"))
                    .cloned()
                    .unwrap_or(answer)
            ))),
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), EtcdError> {
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut guard = self.connection.lock().unwrap_or_else(|e| e.into_inner());
        // A kept-alive connection may have been closed by etcd: retry once on a fresh one.
        for attempt in 0..2 {
            if guard.is_none() {
                let stream = TcpStream::connect(&self.endpoint)
                    .map_err(|e| self.fail(format!("connect: {e}")))?;
                let _ = stream.set_nodelay(true);
                let _ = stream.set_read_timeout(Some(TIMEOUT));
                let _ = stream.set_write_timeout(Some(TIMEOUT));
                *guard = Some(BufReader::new(stream));
            }
            let Some(conn) = guard.as_mut() else {
                continue;
            };
            match exchange(conn, &self.endpoint, method, path, &payload) {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    *guard = None;
                    if attempt == 1 {
                        return Err(self.fail(e));
                    }
                }
            }
        }
        Err(self.fail("no connection"))
    }

    /// Put a value; etcd's revision after the write.
    pub fn put(&self, key: &str, value: &[u8]) -> Result<u64, EtcdError> {
        let answer = self.call(
            "/v3/kv/put",
            &json!({"key": b64(key.as_bytes()), "value": b64(value)}),
        )?;
        self.revision_of(&answer)
    }

    /// Delete a key; etcd's revision after the write.
    pub fn delete(&self, key: &str) -> Result<u64, EtcdError> {
        let answer = self.call("/v3/kv/deleterange", &json!({"key": b64(key.as_bytes())}))?;
        self.revision_of(&answer)
    }

    fn revision_of(&self, answer: &Value) -> Result<u64, EtcdError> {
        let revision = answer.pointer("/header/revision");
        revision
            .and_then(|r| r.as_str().and_then(|s| s.parse().ok()).or(r.as_u64()))
            .ok_or_else(|| self.fail(format!("answer without a revision: {answer}")))
    }

    /// Every object under [`PREFIX`], read page by page at one revision.
    pub fn load(&self) -> Result<Loaded, EtcdError> {
        let end = b64(b"/registry0");
        let mut start = PREFIX.as_bytes().to_vec();
        let mut loaded = Loaded::default();
        loop {
            let mut request =
                json!({"key": b64(&start), "range_end": end, "limit": PAGE.to_string()});
            if loaded.revision > 0 {
                request["revision"] = json!(loaded.revision.to_string());
            }
            let answer = self.call("/v3/kv/range", &request)?;
            if loaded.revision == 0 {
                loaded.revision = self.revision_of(&answer)?;
            }
            let kvs = answer
                .get("kvs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for kv in &kvs {
                let key = unb64(kv.get("key").and_then(Value::as_str).unwrap_or(""));
                let text = String::from_utf8_lossy(&key).into_owned();
                let mod_revision = kv
                    .get("mod_revision")
                    .and_then(|r| r.as_str().and_then(|s| s.parse().ok()).or(r.as_u64()))
                    .unwrap_or(0);
                let raw = unb64(kv.get("value").and_then(Value::as_str).unwrap_or(""));
                let Ok(mut value) = serde_json::from_slice::<Value>(&raw) else {
                    tracing::warn!("etcd key {text}: not a JSON object; skipped");
                    continue;
                };
                let Some(object_key) = object_key(&text, &value) else {
                    tracing::warn!("etcd key {text}: not an object key; skipped");
                    continue;
                };
                super::object::set_resource_version(&mut value, mod_revision);
                loaded.objects.push((object_key, value, mod_revision));
                start = key;
            }
            let more = answer.get("more").and_then(Value::as_bool).unwrap_or(false);
            if !more || kvs.is_empty() {
                return Ok(loaded);
            }
            start.push(0);
        }
    }
}

impl Persistence for Etcd {
    fn put(&self, key: &ObjectKey, value: &[u8]) -> Result<u64, String> {
        Etcd::put(self, &etcd_key(key), value).map_err(|e| e.to_string())
    }

    fn delete(&self, key: &ObjectKey) -> Result<u64, String> {
        Etcd::delete(self, &etcd_key(key)).map_err(|e| e.to_string())
    }
}

/// One HTTP/1.1 request/response on a kept-alive connection.
fn exchange(
    conn: &mut BufReader<TcpStream>,
    host: &str,
    method: &str,
    path: &str,
    payload: &str,
) -> Result<(u16, Value), String> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    );
    let stream = conn.get_mut();
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(payload.as_bytes()))
        .map_err(|e| format!("write: {e}"))?;
    let mut status = String::new();
    conn.read_line(&mut status)
        .map_err(|e| format!("read: {e}"))?;
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line {status:?}"))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            conn.read_line(&mut size)
                .map_err(|e| format!("read: {e}"))?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("bad chunk size {size:?}"))?;
            let mut chunk = vec![0u8; size + 2];
            conn.read_exact(&mut chunk)
                .map_err(|e| format!("read: {e}"))?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let length = length.ok_or("response without a length")?;
        body.resize(length, 0);
        conn.read_exact(&mut body)
            .map_err(|e| format!("read: {e}"))?;
    }
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok((code, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_for_core_grouped_namespaced_and_cluster_objects() {
        let cases = [
            ("/configmaps", "ns", "a", "/registry/configmaps/ns/a"),
            ("/namespaces", "", "ns", "/registry/namespaces/ns"),
            (
                "apps/deployments",
                "ns",
                "web",
                "/registry/apps/deployments/ns/web",
            ),
            (
                "rbac.authorization.k8s.io/clusterroles",
                "",
                "admin",
                "/registry/rbac.authorization.k8s.io/clusterroles/admin",
            ),
        ];
        for (storage, ns, name, expected) in cases {
            let key = ObjectKey::new(Arc::from(storage), ns, name);
            assert_eq!(etcd_key(&key), expected);
            let value = json!({"metadata": {"name": name, "namespace": ns}});
            assert_eq!(object_key(expected, &value), Some(key));
        }
        assert_eq!(object_key("/other/x", &json!({})), None);
    }
}
