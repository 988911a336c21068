//! Test fixtures: a real HTTP/1.1 server on 127.0.0.1:0 serving an index and envtest
//! archives built here (with real SHA-512s), and a runner for the CLI.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::write::GzEncoder;
use klite_setup_envtest::{env_from_pairs, run_with_retry, Io, Platform, RetryPolicy};
use sha2::{Digest, Sha512};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server answers for a path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// This status with a short text body.
    Status(u16),
    /// 200 announcing the full length but sending only the first `sent` bytes.
    Truncated { body: Vec<u8>, sent: usize },
    /// 302 to this location.
    Redirect(String),
    /// 200 with this body, after waiting this long.
    Delayed(Duration, Vec<u8>),
}

#[derive(Default)]
struct State {
    /// Replies per path, used in order; the last one repeats.
    routes: HashMap<String, Vec<Reply>>,
    hits: HashMap<String, usize>,
    /// Requests answered since the path's replies were last set.
    served: HashMap<String, usize>,
    /// Request targets in absolute form (requests that came through as a proxy).
    proxied: Vec<String>,
}

/// A local HTTP server.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        Server { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        let mut state = self.state.lock().unwrap();
        state.routes.insert(path.to_string(), replies);
        state.served.remove(path);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_hits(&self) -> usize {
        self.state.lock().unwrap().hits.values().sum()
    }

    pub fn proxied(&self) -> Vec<String> {
        self.state.lock().unwrap().proxied.clone()
    }
}

async fn serve(mut stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.split(' ').nth(1).unwrap_or("/").to_string();
    let path = if let Some(rest) = target.strip_prefix("http://") {
        state.lock().unwrap().proxied.push(target.clone());
        format!("/{}", rest.split_once('/').map(|(_, p)| p).unwrap_or(""))
    } else {
        target
    };
    let reply = {
        let mut state = state.lock().unwrap();
        *state.hits.entry(path.clone()).or_default() += 1;
        let count = {
            let served = state.served.entry(path.clone()).or_default();
            *served += 1;
            *served
        };
        match state.routes.get(&path) {
            Some(replies) if !replies.is_empty() => {
                replies[(count - 1).min(replies.len() - 1)].clone()
            }
            _ => Reply::Status(404),
        }
    };
    let reply = match reply {
        Reply::Delayed(delay, body) => {
            tokio::time::sleep(delay).await;
            Reply::Body(body)
        }
        other => other,
    };
    let (status, extra, body, sent) = match reply {
        Reply::Body(body) => (
            "200 OK".to_string(),
            String::new(),
            body.clone(),
            body.len(),
        ),
        Reply::Status(code) => {
            let text = match code {
                404 => "Not Found",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                403 => "Forbidden",
                _ => "Whatever",
            };
            let body = format!("{code} {text}\n").into_bytes();
            let len = body.len();
            (format!("{code} {text}"), String::new(), body, len)
        }
        Reply::Truncated { body, sent } => ("200 OK".to_string(), String::new(), body, sent),
        Reply::Redirect(location) => (
            "302 Found".to_string(),
            format!("Location: {location}\r\n"),
            Vec::new(),
            0,
        ),
        Reply::Delayed(..) => unreachable!("resolved above"),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    stream.write_all(&body[..sent]).await?;
    stream.flush().await?;
    stream.shutdown().await
}

/// One file in a test archive.
pub struct Entry {
    pub name: &'static str,
    pub kind: tar::EntryType,
    pub mode: u32,
    pub data: Vec<u8>,
    pub link: &'static str,
}

impl Entry {
    pub fn file(name: &'static str, mode: u32, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            name,
            kind: tar::EntryType::Regular,
            mode,
            data: data.into(),
            link: "",
        }
    }

    pub fn dir(name: &'static str) -> Entry {
        Entry {
            name,
            kind: tar::EntryType::Directory,
            mode: 0o755,
            data: Vec::new(),
            link: "",
        }
    }

    pub fn symlink(name: &'static str, target: &'static str) -> Entry {
        Entry {
            name,
            kind: tar::EntryType::Symlink,
            mode: 0o777,
            data: Vec::new(),
            link: target,
        }
    }

    pub fn hardlink(name: &'static str, target: &'static str) -> Entry {
        Entry {
            name,
            kind: tar::EntryType::Link,
            mode: 0o644,
            data: Vec::new(),
            link: target,
        }
    }
}

/// A `.tar.gz` with exactly these entries; names are written raw (no sanitising), so
/// hostile names end up in the archive as given.
pub fn tar_gz(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        {
            let gnu = header.as_gnu_mut().unwrap();
            gnu.name[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
            gnu.linkname[..entry.link.len()].copy_from_slice(entry.link.as_bytes());
        }
        header.set_entry_type(entry.kind);
        header.set_mode(entry.mode);
        header.set_size(entry.data.len() as u64);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, entry.data.as_slice()).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// The content of a fake binary, naming itself and its version.
pub fn binary(name: &str, version: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho {name} {version}\n").into_bytes()
}

/// An archive laid out like controller-tools' (`controller-tools/envtest/<bin>`, 0755).
pub fn envtest_archive(version: &str) -> Vec<u8> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    tar_gz(&[
        Entry::dir("controller-tools/envtest/"),
        Entry::file(
            leak("controller-tools/envtest/etcd".into()),
            0o755,
            binary("etcd", version),
        ),
        Entry::file(
            leak("controller-tools/envtest/kube-apiserver".into()),
            0o755,
            binary("kube-apiserver", version),
        ),
        Entry::file(
            leak("controller-tools/envtest/kubectl".into()),
            0o755,
            binary("kubectl", version),
        ),
    ])
}

pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

/// An index served by a [`Server`], with archives for chosen versions and platforms.
pub struct Remote {
    pub server: Server,
    entries: Vec<(String, String, String, String)>,
}

impl Remote {
    pub async fn new() -> Remote {
        Remote {
            server: Server::start().await,
            entries: Vec::new(),
        }
    }

    /// Publishes an envtest archive for `version` and `platform` under `release_key`
    /// (normally `v<version>`), and returns its bytes.
    pub fn publish_as(
        &mut self,
        release_key: &str,
        version: &str,
        platform: &Platform,
        archive: Vec<u8>,
        hash: Option<String>,
    ) -> Vec<u8> {
        let name = format!(
            "envtest-v{version}-{}-{}.tar.gz",
            platform.os, platform.arch
        );
        let path = format!("/download/{name}");
        let hash = hash.unwrap_or_else(|| sha512_hex(&archive));
        self.server.route(&path, vec![Reply::Body(archive.clone())]);
        self.entries
            .push((release_key.to_string(), name, hash, self.server.url(&path)));
        self.serve_index();
        archive
    }

    pub fn publish(&mut self, version: &str, platform: &Platform) -> Vec<u8> {
        self.publish_as(
            &format!("v{version}"),
            version,
            platform,
            envtest_archive(version),
            None,
        )
    }

    pub fn archive_path(version: &str, platform: &Platform) -> String {
        format!(
            "/download/envtest-v{version}-{}-{}.tar.gz",
            platform.os, platform.arch
        )
    }

    /// The index document; releases appear in publication order, like the real index.
    pub fn index_yaml(&self) -> String {
        let mut releases: Vec<&String> = Vec::new();
        for (release, ..) in &self.entries {
            if !releases.contains(&release) {
                releases.push(release);
            }
        }
        let mut out = String::from("releases:\n");
        for release in releases {
            out.push_str(&format!("  {release}:\n"));
            for (_, name, hash, link) in self.entries.iter().filter(|e| &e.0 == release) {
                out.push_str(&format!(
                    "    {name}:\n      hash: {hash}\n      selfLink: {link}\n"
                ));
            }
        }
        out
    }

    /// Replaces what the server answers for `version`'s archive on `platform`.
    pub fn archive_replies(&self, version: &str, platform: &Platform, replies: Vec<Reply>) {
        self.server
            .route(&Self::archive_path(version, platform), replies);
    }

    pub fn serve_index(&self) {
        self.server.route(
            "/index.yaml",
            vec![Reply::Body(self.index_yaml().into_bytes())],
        );
    }

    pub fn index_url(&self) -> String {
        self.server.url("/index.yaml")
    }

    pub fn index_hits(&self) -> usize {
        self.server.hits("/index.yaml")
    }
}

/// The result of one CLI run.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Retries fast enough for tests.
pub const FAST_RETRY: RetryPolicy = RetryPolicy {
    attempts: 4,
    first_delay: Duration::from_millis(20),
};

/// Runs the CLI with exactly these environment variables.
pub async fn run_cli(args: &[&str], env: &[(&str, &str)], stdin: Option<Vec<u8>>) -> Outcome {
    run_cli_io(args, env, stdin, false).await
}

pub async fn run_cli_io(
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<Vec<u8>>,
    tty: bool,
) -> Outcome {
    let env = env_from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (mut io, stdout, stderr) = Io::captured(stdin, env);
    io.is_tty = tty;
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let code = run_with_retry(&args, io, FAST_RETRY).await;
    Outcome {
        code,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// A temporary store root and helpers to look into it.
pub struct TempStore {
    pub dir: tempfile::TempDir,
}

impl TempStore {
    pub fn new() -> TempStore {
        TempStore {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn root(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    pub fn k8s(&self) -> PathBuf {
        self.dir.path().join("k8s")
    }

    pub fn item_dir(&self, version: &str, platform: &Platform) -> PathBuf {
        self.k8s()
            .join(format!("{version}-{}-{}", platform.os, platform.arch))
    }

    /// Names in `k8s/`, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(self.k8s()) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// Installs `version` for `platform` the way upstream lays it out.
    pub fn install(&self, version: &str, platform: &Platform) -> PathBuf {
        let dir = self.item_dir(version, platform);
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["etcd", "kube-apiserver", "kubectl"] {
            std::fs::write(dir.join(name), binary(name, version)).unwrap();
        }
        dir
    }
}

impl Drop for TempStore {
    fn drop(&mut self) {
        // Version directories are read-only; make them writable so the temp dir can go.
        fn unlock(path: &Path) {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::symlink_metadata(path) {
                if meta.is_dir() {
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
                    if let Ok(rd) = std::fs::read_dir(path) {
                        for e in rd.flatten() {
                            unlock(&e.path());
                        }
                    }
                }
            }
        }
        unlock(self.dir.path());
    }
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}
