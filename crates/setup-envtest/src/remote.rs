//! The index and archive downloads over HTTP(S).
//!
//! Beyond upstream: the index is fetched once per run (upstream fetches it up to three
//! times), archives stream to disk while being hashed, transient failures (connection
//! errors, broken-off bodies, 5xx/408/429) are retried with exponential backoff, links
//! relative to the index URL are resolved, and a progress bar is drawn when stderr is a
//! terminal. Proxies follow Go's `http.ProxyFromEnvironment`: `HTTP_PROXY`, `HTTPS_PROXY`,
//! `NO_PROXY` (upper- or lower-case), never for `localhost` or loopback addresses.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha512};
use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

use crate::error::io_error;
use crate::index::{Index, PlatformArchive};
use crate::io::{EnvLookup, SharedWriter};
use crate::log::Logger;
use crate::progress::download_bar;
use crate::Error;

/// How often and how patiently transient failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total attempts, including the first.
    pub attempts: u32,
    /// Delay before the first retry; doubled for every further retry.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(250),
        }
    }
}

/// Talks to the index and downloads archives.
pub(crate) struct Remote {
    index_url: String,
    env: EnvLookup,
    log: Logger,
    progress: Option<SharedWriter>,
    retry: RetryPolicy,
    http: OnceCell<reqwest::Client>,
    index: OnceCell<Arc<Index>>,
}

impl Remote {
    pub(crate) fn new(
        index_url: String,
        env: EnvLookup,
        log: Logger,
        progress: Option<SharedWriter>,
        retry: RetryPolicy,
    ) -> Self {
        Remote {
            index_url,
            env,
            log,
            progress,
            retry,
            http: OnceCell::new(),
            index: OnceCell::new(),
        }
    }

    async fn http(&self) -> Result<&reqwest::Client, Error> {
        self.http
            .get_or_try_init(|| async {
                reqwest::Client::builder()
                    .no_proxy()
                    .proxy(go_env_proxy(&self.env))
                    .connect_timeout(Duration::from_secs(30))
                    .read_timeout(Duration::from_secs(120))
                    .user_agent(concat!("klite-setup-envtest/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|source| Error::HttpClient { source })
            })
            .await
    }

    /// The index, fetched on first use.
    pub(crate) async fn index(&self) -> Result<Arc<Index>, Error> {
        self.index
            .get_or_try_init(|| async {
                self.retrying("index", || self.fetch_index())
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    async fn fetch_index(&self) -> Result<Index, Error> {
        let url = Url::parse(&self.index_url).map_err(|e| Error::IndexUrl {
            source: Box::new(e),
        })?;
        self.log
            .debug("listing versions", &[("index", &self.index_url)]);
        let response = self
            .http()
            .await?
            .get(url)
            .send()
            .await
            .map_err(|source| Error::IndexRequest { source })?;
        if response.status() != StatusCode::OK {
            return Err(Error::IndexStatus {
                status: status_line(response.status()),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|source| Error::IndexBody { source })?;
        Index::parse(&body)
    }

    /// Downloads `archive` into `dest` (created or truncated), hashing on the way; checks
    /// the hash when `verify`.
    pub(crate) async fn download(
        &self,
        archive: &PlatformArchive,
        verify: bool,
        dest: &Path,
    ) -> Result<(), Error> {
        let base = Url::parse(&self.index_url).ok();
        let url = match &base {
            Some(base) => base.join(&archive.self_link),
            None => Url::parse(&archive.self_link),
        }
        .map_err(|e| Error::ArchiveLink {
            link: archive.self_link.clone(),
            source: Box::new(e),
        })?;
        self.retrying(&archive.name, || {
            self.download_once(archive, &url, verify, dest)
        })
        .await
    }

    async fn download_once(
        &self,
        archive: &PlatformArchive,
        url: &Url,
        verify: bool,
        dest: &Path,
    ) -> Result<(), Error> {
        let name = &archive.name;
        let request_error = |source| Error::DownloadRequest {
            archive: name.clone(),
            url: url.to_string(),
            source,
        };
        let mut response = self
            .http()
            .await?
            .get(url.clone())
            .send()
            .await
            .map_err(request_error)?;
        if response.status() != StatusCode::OK {
            return Err(Error::DownloadStatus {
                archive: name.clone(),
                url: url.to_string(),
                status: status_line(response.status()),
            });
        }
        let mut file = tokio::fs::File::create(dest).await.map_err(io_error(
            "unable to open file to write downloaded archive to",
        ))?;
        let bar = download_bar(self.progress.as_ref(), name, response.content_length());
        let mut hasher = Sha512::new();
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(source) => {
                    bar.abandon();
                    return Err(Error::DownloadBody {
                        archive: name.clone(),
                        source,
                    });
                }
            };
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(io_error(format!("unable write next chunk of {name}")))?;
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        file.sync_all()
            .await
            .map_err(io_error("unable to flush downloaded archive file"))?;
        if verify {
            let computed = hex::encode(hasher.finalize());
            if computed != archive.sha512 {
                return Err(Error::ChecksumMismatch {
                    archive: name.clone(),
                    computed,
                    expected: archive.sha512.clone(),
                });
            }
        }
        Ok(())
    }

    async fn retrying<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut delay = self.retry.first_delay;
        let mut tries = 1;
        loop {
            match attempt().await {
                Err(err) if err.is_transient() && tries < self.retry.attempts => {
                    self.log.info(
                        "transient failure, retrying",
                        &[
                            ("what", &what),
                            ("attempt", &tries),
                            ("error", &err.chain()),
                        ],
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    tries += 1;
                }
                result => return result,
            }
        }
    }
}

/// Go's `resp.Status`: `404 Not Found`.
fn status_line(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// Proxy selection as Go's `http.ProxyFromEnvironment`.
fn go_env_proxy(env: &EnvLookup) -> reqwest::Proxy {
    let var = |upper: &str, lower: &str| {
        env(upper)
            .filter(|v| !v.is_empty())
            .or_else(|| env(lower).filter(|v| !v.is_empty()))
    };
    let with_scheme = |v: String| {
        if v.contains("://") {
            v
        } else {
            format!("http://{v}")
        }
    };
    let http_proxy = var("HTTP_PROXY", "http_proxy").map(with_scheme);
    let https_proxy = var("HTTPS_PROXY", "https_proxy").map(with_scheme);
    let no_proxy = NoProxy::parse(&var("NO_PROXY", "no_proxy").unwrap_or_default());
    reqwest::Proxy::custom(move |url| {
        let host = url.host_str()?;
        if no_proxy.bypasses(host, url.port_or_known_default()) {
            return None;
        }
        match url.scheme() {
            "http" => http_proxy.clone(),
            "https" => https_proxy.clone(),
            _ => None,
        }
    })
}

/// Go's `NO_PROXY` rules: `*`; IPs and CIDRs; `example.com` (and its subdomains),
/// `.example.com` / `*.example.com` (subdomains only); each optionally with `:port`.
/// `localhost` and loopback addresses are never proxied.
#[derive(Debug, Default)]
struct NoProxy {
    all: bool,
    entries: Vec<NoProxyEntry>,
}

#[derive(Debug)]
enum NoProxyEntry {
    Cidr(IpAddr, u8),
    Ip(IpAddr, Option<u16>),
    Domain {
        suffix: String,
        match_host: bool,
        port: Option<u16>,
    },
}

impl NoProxy {
    fn parse(list: &str) -> Self {
        let mut out = NoProxy::default();
        for raw in list.split(',') {
            let entry = raw.trim().to_ascii_lowercase();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                out.all = true;
                continue;
            }
            if let Some((ip, bits)) = entry.split_once('/') {
                if let (Ok(ip), Ok(bits)) = (ip.parse::<IpAddr>(), bits.parse::<u8>()) {
                    out.entries.push(NoProxyEntry::Cidr(ip, bits));
                }
                continue;
            }
            let (host, port) = split_host_port(&entry);
            if let Ok(ip) = host
                .trim_matches(|c| c == '[' || c == ']')
                .parse::<IpAddr>()
            {
                out.entries.push(NoProxyEntry::Ip(ip, port));
                continue;
            }
            let host = host.strip_prefix('*').unwrap_or(host);
            let (suffix, match_host) = match host.strip_prefix('.') {
                Some(_) => (host.to_string(), false),
                None => (format!(".{host}"), true),
            };
            out.entries.push(NoProxyEntry::Domain {
                suffix,
                match_host,
                port,
            });
        }
        out
    }

    fn bypasses(&self, host: &str, port: Option<u16>) -> bool {
        let host = host
            .trim_matches(|c| c == '[' || c == ']')
            .to_ascii_lowercase();
        if host == "localhost" {
            return true;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) || self.all {
            return true;
        }
        let port_ok = |want: Option<u16>| want.is_none() || want == port;
        self.entries.iter().any(|entry| match entry {
            NoProxyEntry::Cidr(net, bits) => ip.is_some_and(|ip| in_cidr(ip, *net, *bits)),
            NoProxyEntry::Ip(want, want_port) => ip == Some(*want) && port_ok(*want_port),
            NoProxyEntry::Domain {
                suffix,
                match_host,
                port: want_port,
            } => {
                port_ok(*want_port)
                    && (host.ends_with(suffix.as_str()) || (*match_host && host == suffix[1..]))
            }
        })
    }
}

fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    if let Some((host, port)) = entry.rsplit_once(':') {
        let bracketed_v6 = host.starts_with('[') && host.ends_with(']');
        if !host.contains(':') || bracketed_v6 {
            if let Ok(port) = port.parse::<u16>() {
                return (host, Some(port));
            }
        }
    }
    (entry, None)
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_follows_go_rules() {
        let rules =
            NoProxy::parse("example.com, .internal.test,10.0.0.0/8, 192.168.1.5,other.test:8443");
        assert!(rules.bypasses("localhost", Some(80)));
        assert!(rules.bypasses("127.0.0.1", Some(80)));
        assert!(rules.bypasses("[::1]", Some(80)));
        assert!(rules.bypasses("example.com", Some(443)));
        assert!(rules.bypasses("dl.example.com", Some(443)));
        assert!(!rules.bypasses("notexample.com", Some(443)));
        assert!(rules.bypasses("a.internal.test", Some(443)));
        assert!(!rules.bypasses("internal.test", Some(443)));
        assert!(rules.bypasses("10.1.2.3", Some(443)));
        assert!(!rules.bypasses("11.1.2.3", Some(443)));
        assert!(rules.bypasses("192.168.1.5", Some(80)));
        assert!(rules.bypasses("other.test", Some(8443)));
        assert!(!rules.bypasses("other.test", Some(443)));
        assert!(NoProxy::parse("*").bypasses("anything.test", None));
        assert!(!NoProxy::parse("").bypasses("anything.test", None));
    }

    #[test]
    fn status_lines_look_like_gos() {
        assert_eq!(status_line(StatusCode::NOT_FOUND), "404 Not Found");
        assert_eq!(
            status_line(StatusCode::INTERNAL_SERVER_ERROR),
            "500 Internal Server Error"
        );
    }
}
