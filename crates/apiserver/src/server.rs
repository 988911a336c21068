//! Starting and stopping a server: certificates, TLS listener, connection loop.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::auth::{Authenticator, Authorizer, TokenUser};
use crate::certs::{CertAuthority, CertKeyPem};
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::store::Store;
use crate::tls::{server_config, ClientCertChecker};

/// Where client certificates come from.
#[derive(Debug, Clone, Default)]
pub enum ClientCa {
    /// Generate a fresh client CA (the server can issue client certificates).
    #[default]
    Generate,
    /// Verify against this CA bundle only (envtest's `--client-ca-file`); the
    /// server cannot issue certificates, so admin credentials are a token.
    Pem(String),
    /// Use this CA (certificate + key): verify and issue.
    PemWithKey(CertKeyPem),
}

/// A readiness probe consulted by `/healthz` and `/readyz` (e.g. etcd health).
pub type HealthCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// `/version` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// Major, e.g. "1".
    pub major: String,
    /// Minor, e.g. "32".
    pub minor: String,
    /// gitVersion, e.g. "v1.32.0".
    pub git_version: String,
}

impl Default for VersionInfo {
    fn default() -> Self {
        VersionInfo {
            major: "1".into(),
            minor: "32".into(),
            git_version: "v1.32.0".into(),
        }
    }
}

/// Options for [`start`].
#[derive(Clone)]
pub struct ServerOptions {
    /// Address to bind (default 127.0.0.1).
    pub bind_address: IpAddr,
    /// Port (default 0 = any free port).
    pub port: u16,
    /// Serving certificate and key; generated (with a fresh CA) when absent.
    pub serving: Option<CertKeyPem>,
    /// CA that signed `serving` (reported by [`ApiServer::ca_pem`]); defaults to the
    /// serving certificate itself.
    pub serving_ca_pem: Option<String>,
    /// Client CA.
    pub client_ca: ClientCa,
    /// Static bearer tokens.
    pub tokens: Vec<TokenUser>,
    /// Objects created at start (JSON objects with apiVersion/kind/metadata).
    pub objects: Vec<Value>,
    /// How many recent events the watch history keeps.
    pub watch_history: usize,
    /// `/version` answer.
    pub version: VersionInfo,
    /// Authorizer (default: RBAC over the stored roles and bindings, see [`crate::rbac`]).
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// Extra readiness check for `/healthz`, `/readyz`.
    pub health_check: Option<HealthCheck>,
    /// `--service-cluster-ip-range`: the CIDR Service ClusterIPs come from
    /// (default `10.0.0.0/24`, envtest's; its first address is the `kubernetes` Service's).
    pub service_cluster_ip_range: String,
    /// `--service-node-port-range`: first and last NodePort (default 30000–32767).
    pub service_node_port_range: (u16, u16),
    /// Persistent storage to continue from and write every change through
    /// (the stand-in's etcd); `None` keeps everything in memory (embedded EnvTest).
    pub storage: Option<PersistentStore>,
}

/// A persistence backend plus what it held when the server started.
#[derive(Clone)]
pub struct PersistentStore {
    /// Where committed changes go (e.g. [`crate::store::etcd::Etcd`]).
    pub backend: Arc<dyn crate::store::Persistence>,
    /// The backend's revision and objects at start.
    pub loaded: crate::store::etcd::Loaded,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("bind_address", &self.bind_address)
            .field("port", &self.port)
            .field("tokens", &self.tokens.len())
            .field("objects", &self.objects.len())
            .field("watch_history", &self.watch_history)
            .field("persistent", &self.storage.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            bind_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            serving: None,
            serving_ca_pem: None,
            client_ca: ClientCa::Generate,
            tokens: Vec::new(),
            objects: Vec::new(),
            watch_history: 20_000,
            version: VersionInfo::default(),
            authorizer: None,
            health_check: None,
            service_cluster_ip_range: crate::services::DEFAULT_SERVICE_CIDR.to_string(),
            service_node_port_range: crate::services::DEFAULT_NODE_PORT_RANGE,
            storage: None,
        }
    }
}

impl ServerOptions {
    /// Applies one kube-apiserver command-line flag that shapes the server's behaviour
    /// (name without `--`): `service-cluster-ip-range`, `service-node-port-range`
    /// (`30000-32767`, or one port) and `default-watch-cache-size` (how many recent events
    /// a watch can start from before it gets 410 Expired; `0`, upstream's "no cache",
    /// keeps the default). Returns `Ok(false)` for any other flag, and an error in
    /// kube-apiserver's words for a value it would refuse.
    pub fn apply_flag(&mut self, name: &str, value: &str) -> std::result::Result<bool, String> {
        let invalid = || format!("invalid argument {value:?} for \"--{name}\"");
        match name {
            "service-cluster-ip-range" => self.service_cluster_ip_range = value.to_string(),
            "service-node-port-range" => {
                self.service_node_port_range = value
                    .split_once('-')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                    .or_else(|| value.trim().parse().ok().map(|p: u16| (p, p)))
                    .ok_or_else(invalid)?;
            }
            "default-watch-cache-size" => {
                let size: usize = value.trim().parse().map_err(|_| invalid())?;
                if size > 0 {
                    self.watch_history = size;
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Credentials of one user: a client certificate, or a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// User name.
    pub user: String,
    /// Groups (as put in the certificate; `system:authenticated` is implicit).
    pub groups: Vec<String>,
    /// Client certificate PEM (empty when token-based).
    pub cert_pem: String,
    /// Client key PEM (empty when token-based).
    pub key_pem: String,
    /// Bearer token, when certificate issuing is impossible.
    pub token: Option<String>,
}

/// State shared by every connection.
pub(crate) struct Shared {
    pub store: Store,
    pub registry: RwLock<Arc<Registry>>,
    pub authn: Authenticator,
    pub authz: Arc<dyn Authorizer>,
    pub version_body: bytes::Bytes,
    pub server_address: String,
    pub health_check: Option<HealthCheck>,
    /// Serialises CRD controller work (naming/establishing/cleanup).
    pub crd_lock: Mutex<()>,
    /// CRD controllers have pending work.
    pub crd_dirty: std::sync::atomic::AtomicBool,
    /// OpenAPI documents of the current registry.
    pub openapi: crate::openapi::Cache,
    /// Service ClusterIP and NodePort allocators.
    pub services: crate::services::ServiceAllocators,
}

impl Shared {
    pub fn registry(&self) -> Arc<Registry> {
        self.registry
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A running server. Dropping it stops it.
pub struct ApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    ca_pem: String,
    admin: ClientCredentials,
    client_ca: Option<Arc<CertAuthority>>,
    cancel: CancellationToken,
    accept_task: Mutex<Option<JoinHandle<()>>>,
    started_in: std::time::Duration,
}

impl std::fmt::Debug for ApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Start a server and return once it accepts connections (ready).
pub async fn start(mut options: ServerOptions) -> Result<ApiServer> {
    let began = Instant::now();
    let services = service_allocators(&options)?;
    let (serving, ca_pem) = match &options.serving {
        Some(s) => (
            s.clone(),
            options
                .serving_ca_pem
                .clone()
                .unwrap_or_else(|| s.cert_pem.clone()),
        ),
        None => {
            let ca = CertAuthority::generate("klite-serving-ca")?;
            let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let bind = options.bind_address.to_string();
            if !names.contains(&bind) && !options.bind_address.is_unspecified() {
                names.push(bind);
            }
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            (ca.issue_serving(&refs)?, ca.cert_pem().to_string())
        }
    };
    let (client_ca, client_ca_pem) = match &options.client_ca {
        ClientCa::Generate => {
            let ca = CertAuthority::generate("klite-client-ca")?;
            let pem = ca.cert_pem().to_string();
            (Some(Arc::new(ca)), pem)
        }
        ClientCa::Pem(pem) => (None, pem.clone()),
        ClientCa::PemWithKey(pair) => (
            Some(Arc::new(CertAuthority::from_pem(
                &pair.cert_pem,
                &pair.key_pem,
            )?)),
            pair.cert_pem.clone(),
        ),
    };
    let checker = ClientCertChecker::new(&client_ca_pem)?;
    let mut tokens = options.tokens.clone();
    let admin = match &client_ca {
        Some(ca) => {
            let pair = ca.issue_client("admin", &["system:masters"])?;
            ClientCredentials {
                user: "admin".into(),
                groups: vec!["system:masters".into()],
                cert_pem: pair.cert_pem,
                key_pem: pair.key_pem,
                token: None,
            }
        }
        None => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            tokens.push(TokenUser {
                token: token.clone(),
                user: "admin".into(),
                uid: String::new(),
                groups: vec!["system:masters".into()],
            });
            ClientCredentials {
                user: "admin".into(),
                groups: vec!["system:masters".into()],
                cert_pem: String::new(),
                key_pem: String::new(),
                token: Some(token),
            }
        }
    };
    let tls = server_config(&serving.cert_pem, &serving.key_pem, &checker)?;
    let bind = SocketAddr::new(options.bind_address, options.port);
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| Error::Listen {
            addr: bind.to_string(),
            source,
        })?;
    let addr = listener.local_addr()?;
    let advertised = if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    };
    let rbac = Arc::new(crate::rbac::RbacAuthorizer::new());
    let shared = Arc::new(Shared {
        store: match options.storage.take() {
            None => Store::new(options.watch_history),
            Some(persistent) => Store::persisted(
                options.watch_history,
                persistent.backend,
                persistent.loaded.revision,
                persistent.loaded.objects,
            ),
        },
        registry: RwLock::new(Registry::builtin()),
        authn: Authenticator::new(checker, &tokens),
        authz: options.authorizer.clone().unwrap_or_else(|| rbac.clone()),
        version_body: bytes::Bytes::from(ordered_version(&options.version)),
        server_address: advertised.to_string(),
        health_check: options.health_check.clone(),
        crd_lock: Mutex::new(()),
        crd_dirty: std::sync::atomic::AtomicBool::new(false),
        openapi: Default::default(),
        services,
    });
    rbac.attach(&shared);
    if shared.store.revision() > 1 {
        // Continuing from persisted state: serve its CRDs.
        crate::crd::reconcile(&shared);
    }
    crate::handlers::bootstrap(&shared, &options.objects)?;
    let cancel = CancellationToken::new();
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let accept_task = tokio::spawn(accept_loop(
        listener,
        acceptor,
        shared.clone(),
        cancel.clone(),
    ));
    Ok(ApiServer {
        shared,
        addr: advertised,
        ca_pem,
        admin,
        client_ca,
        cancel,
        accept_task: Mutex::new(Some(accept_task)),
        started_in: began.elapsed(),
    })
}

fn service_allocators(options: &ServerOptions) -> Result<crate::services::ServiceAllocators> {
    let range = &options.service_cluster_ip_range;
    let primary = range.split(',').next().unwrap_or("");
    let cidr = primary.parse().map_err(|reason| Error::ServiceRange {
        value: range.clone(),
        reason,
    })?;
    let (base, last) = options.service_node_port_range;
    if base == 0 || last < base {
        return Err(Error::ServiceRange {
            value: format!("{base}-{last}"),
            reason: "the node-port range must be a non-empty range of ports".into(),
        });
    }
    Ok(crate::services::ServiceAllocators::new(
        cidr,
        crate::services::PortRange { base, last },
    ))
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `/version` in upstream field order, 2-space indented.
fn ordered_version(v: &VersionInfo) -> Vec<u8> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Version<'a> {
        major: &'a str,
        minor: &'a str,
        git_version: &'a str,
        git_commit: &'a str,
        git_tree_state: &'a str,
        build_date: &'a str,
        go_version: &'a str,
        compiler: &'a str,
        platform: String,
    }
    serde_json::to_vec_pretty(&Version {
        major: &v.major,
        minor: &v.minor,
        git_version: &v.git_version,
        git_commit: "0000000000000000000000000000000000000000",
        git_tree_state: "clean",
        build_date: "2024-12-11T00:00:00Z",
        go_version: "go1.23.4",
        compiler: "gc",
        platform: format!("{}/{}", std::env::consts::OS, go_arch()),
    })
    .unwrap_or_default()
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            r = listener.accept() => r,
        };
        let Ok((tcp, _peer)) = accepted else { continue };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let tls = tokio::select! {
                _ = cancel.cancelled() => return,
                r = acceptor.accept(tcp) => match r { Ok(t) => t, Err(_) => return },
            };
            let (_, conn) = tls.get_ref();
            let chain = conn.peer_certificates().map(|c| c.to_vec());
            let identity = Arc::new(shared.authn.certificate(chain.as_deref()));
            let service = service_fn(move |req| {
                let shared = shared.clone();
                let identity = identity.clone();
                async move {
                    // A bug must never drop the connection: a panicking handler answers 500.
                    let handled = std::panic::AssertUnwindSafe(crate::handlers::handle(
                        shared, identity, req,
                    ));
                    let response = match futures::FutureExt::catch_unwind(handled).await {
                        Ok(r) => r,
                        Err(_) => {
                            crate::handlers::internal_error_response("the request handler panicked")
                        }
                    };
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(tls), service);
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = conn => {}
            }
        });
    }
}

impl ApiServer {
    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the CA that signed the serving certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Admin credentials (`admin`, group `system:masters`).
    pub fn admin(&self) -> &ClientCredentials {
        &self.admin
    }

    /// How long [`start`] took until the listener accepted connections.
    pub fn startup_duration(&self) -> std::time::Duration {
        self.started_in
    }

    /// Issue a client certificate signed by the server's client CA.
    /// Fails when the client CA was given without its key.
    pub fn issue_client_cert(&self, user: &str, groups: &[&str]) -> Result<ClientCredentials> {
        let ca = self.client_ca.as_ref().ok_or(Error::Pem {
            what: "client CA key",
            reason: "the client CA was provided without its private key; cannot issue certificates"
                .into(),
        })?;
        let pair = ca.issue_client(user, groups)?;
        Ok(ClientCredentials {
            user: user.into(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
            cert_pem: pair.cert_pem,
            key_pem: pair.key_pem,
            token: None,
        })
    }

    /// A kubeconfig (YAML) for these credentials, shaped like envtest's.
    pub fn kubeconfig(&self, creds: &ClientCredentials) -> String {
        kubeconfig(&self.url(), &self.ca_pem, creds)
    }

    /// Current store revision (for tests and diagnostics).
    pub fn revision(&self) -> u64 {
        self.shared.store.revision()
    }

    /// Stop accepting, close every connection (watches end). Idempotent.
    pub async fn stop(&self) {
        self.cancel.cancel();
        let task = self
            .accept_task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Render a kubeconfig with one cluster/user/context named `envtest`.
pub fn kubeconfig(server: &str, ca_pem: &str, creds: &ClientCredentials) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let user = match &creds.token {
        Some(token) if creds.cert_pem.is_empty() => format!("    token: {token}\n"),
        _ => format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&creds.cert_pem),
            b64(&creds.key_pem)
        ),
    };
    format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: {}\n  name: envtest\ncontexts:\n- context:\n    cluster: envtest\n    user: envtest\n  name: envtest\ncurrent-context: envtest\nkind: Config\npreferences: {{}}\nusers:\n- name: envtest\n  user:\n{}",
        b64(ca_pem),
        server,
        user
    )
}
