//! [`EnvTest`]: options, mode selection (`auto`/`binaries`/`embedded`, existing cluster),
//! start, users, stop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::binaries::{self, Binaries, BinarySearch};
use crate::certs::{write_private_file, ControlPlaneCerts};
use crate::cluster::ApiClient;
use crate::control_plane::{BinariesSettings, ControlPlane};
use crate::crds::{self, CrdInstallOptions};
use crate::duration::parse_go_duration;
use crate::embedded::EmbeddedServer;
use crate::env::EnvVars;
use crate::error::{Error, Result};
use crate::kubeconfig;
use crate::ports::PortAllocator;
use crate::sweep::{sweep_crashed_runs, RunRecord, TEMP_DIR_PREFIX};

/// Default per-component start and stop timeout (upstream: 20 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long to wait for the `default` namespace (upstream: 5 s).
const DEFAULT_NAMESPACE_WAIT: Duration = Duration::from_secs(5);
/// The admin user of every control plane.
pub const ADMIN_USER: &str = "admin";
/// The admin user's group.
pub const ADMIN_GROUP: &str = "system:masters";

/// Which kind of control plane to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `binaries` if they can be found or set up, otherwise `embedded` (with a warning).
    #[default]
    Auto,
    /// etcd + kube-apiserver processes.
    Binaries,
    /// The in-process API server.
    Embedded,
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "auto" => Ok(Mode::Auto),
            "binaries" => Ok(Mode::Binaries),
            "embedded" => Ok(Mode::Embedded),
            other => Err(Error::InvalidOption {
                option: "mode".into(),
                message: format!("{other:?} is not one of \"auto\", \"binaries\", \"embedded\""),
            }),
        }
    }
}

/// What actually runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunningMode {
    /// etcd + kube-apiserver processes.
    Binaries,
    /// The in-process API server.
    Embedded,
    /// A cluster from the kubeconfig (`USE_EXISTING_CLUSTER=true`).
    ExistingCluster,
}

impl RunningMode {
    /// `"binaries"`, `"embedded"` or `"existing-cluster"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunningMode::Binaries => "binaries",
            RunningMode::Embedded => "embedded",
            RunningMode::ExistingCluster => "existing-cluster",
        }
    }
}

/// A user to create credentials for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    /// User name (certificate CN).
    pub name: String,
    /// Groups (certificate O).
    pub groups: Vec<String>,
}

/// Options of [`EnvTest::start`] (api.md `EnvTest` options).
#[derive(Clone, Debug)]
pub struct EnvTestOptions {
    /// Requested mode; env `KLITE_ENVTEST_MODE` overrides it.
    pub mode: Mode,
    /// setup-envtest selector (`1.31.x`); default: newest.
    pub version: Option<String>,
    /// Directory holding the binaries (below `TEST_ASSET_*` and `KUBEBUILDER_ASSETS`).
    pub binary_assets_directory: Option<PathBuf>,
    /// Run setup-envtest (`use`) when no binaries are installed.
    pub auto_setup: bool,
    /// CRD files or directories.
    pub crd_directory_paths: Vec<PathBuf>,
    /// CRD objects.
    pub crds: Vec<Value>,
    /// Fail when a CRD path does not exist.
    pub error_if_crd_path_missing: bool,
    /// Copy etcd/kube-apiserver output to ours; `None` → `KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT`.
    pub attach_control_plane_output: Option<bool>,
    /// Per-component start timeout; `None` → `KUBEBUILDER_CONTROLPLANE_START_TIMEOUT` → 20 s.
    pub start_timeout: Option<Duration>,
    /// Per-component stop timeout; `None` → `KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT` → 20 s.
    pub stop_timeout: Option<Duration>,
    /// kube-apiserver flag overrides.
    pub api_server_flags: BTreeMap<String, Vec<String>>,
    /// etcd flag overrides.
    pub etcd_flags: BTreeMap<String, Vec<String>>,
    /// Use the cluster of the current kubeconfig; `None` → `USE_EXISTING_CLUSTER`.
    pub use_existing_cluster: Option<bool>,
    /// setup-envtest store root; `None` → the default store.
    pub store_root: Option<PathBuf>,
    /// setup-envtest index URL for `autoSetup`; `None` → upstream's.
    pub index_url: Option<String>,
    /// The environment variables to honour (default: the process environment).
    pub env: EnvVars,
}

impl Default for EnvTestOptions {
    fn default() -> Self {
        EnvTestOptions {
            mode: Mode::Auto,
            version: None,
            binary_assets_directory: None,
            auto_setup: true,
            crd_directory_paths: Vec::new(),
            crds: Vec::new(),
            error_if_crd_path_missing: false,
            attach_control_plane_output: None,
            start_timeout: None,
            stop_timeout: None,
            api_server_flags: BTreeMap::new(),
            etcd_flags: BTreeMap::new(),
            use_existing_cluster: None,
            store_root: None,
            index_url: None,
            env: EnvVars::from_process(),
        }
    }
}

enum Backend {
    Binaries(ControlPlane),
    Embedded(EmbeddedServer),
    ExistingCluster,
}

struct Running {
    backend: Backend,
    work_dir: Option<tempfile::TempDir>,
    _record: RunRecord,
}

/// A started control plane. Stop it with [`EnvTest::stop`]; dropping it kills
/// everything at once (processes, temp dirs, ports).
pub struct EnvTest {
    mode: RunningMode,
    server: String,
    kubeconfig: String,
    kubeconfig_path: PathBuf,
    certs: Option<Arc<ControlPlaneCerts>>,
    installed_crds: Vec<Value>,
    fallback_reason: Option<String>,
    stop_timeout: Duration,
    start_duration: Duration,
    pids: Vec<u32>,
    temp_dirs: Vec<PathBuf>,
    running: Mutex<Option<Running>>,
    stop_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for EnvTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvTest")
            .field("mode", &self.mode)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// Resolved configuration (options + environment).
struct Resolved {
    mode: Mode,
    use_existing_cluster: bool,
    start_timeout: Duration,
    stop_timeout: Duration,
    attach_output: bool,
}

fn resolve(options: &EnvTestOptions) -> Result<Resolved> {
    let env = &options.env;
    let mode = match env.non_empty("KLITE_ENVTEST_MODE") {
        Some(value) => value.parse().map_err(|_| Error::InvalidOption {
            option: "KLITE_ENVTEST_MODE".into(),
            message: format!("{value:?} is not one of \"auto\", \"binaries\", \"embedded\""),
        })?,
        None => options.mode,
    };
    let timeout = |given: Option<Duration>, variable: &str| -> Result<Duration> {
        match (given, env.non_empty(variable)) {
            (Some(d), _) if !d.is_zero() => Ok(d),
            (_, Some(text)) => parse_go_duration(text).map_err(|e| Error::InvalidOption {
                option: variable.to_string(),
                message: e.to_string(),
            }),
            _ => Ok(DEFAULT_TIMEOUT),
        }
    };
    Ok(Resolved {
        mode,
        use_existing_cluster: options.use_existing_cluster.unwrap_or_else(|| {
            env.get("USE_EXISTING_CLUSTER")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        }),
        start_timeout: timeout(
            options.start_timeout,
            "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT",
        )?,
        stop_timeout: timeout(
            options.stop_timeout,
            "KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT",
        )?,
        attach_output: options
            .attach_control_plane_output
            .unwrap_or_else(|| env.get("KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT") == Some("true")),
    })
}

impl EnvTest {
    /// Starts a control plane as the options and environment say, waits for the
    /// `default` namespace, installs the CRDs and returns once they are served.
    pub async fn start(options: EnvTestOptions) -> Result<EnvTest> {
        let began = Instant::now();
        let resolved = resolve(&options)?;
        let crd_options = CrdInstallOptions {
            paths: options.crd_directory_paths.clone(),
            crds: options.crds.clone(),
            error_if_path_missing: options.error_if_crd_path_missing,
            ..CrdInstallOptions::default()
        };
        // Read CRDs before starting anything: a bad file fails fast.
        let crds = crds::collect_crds(&crd_options)?;
        let allocator = PortAllocator::new(&options.env);
        if let Some(dir) = allocator.lock_dir() {
            let report = sweep_crashed_runs(dir);
            for process in &report.killed {
                tracing::warn!(pid = process.pid, name = %process.name, "killed a control-plane process left behind by a crashed run");
            }
        }
        let mut record = RunRecord::create(allocator.lock_dir());

        if resolved.use_existing_cluster {
            let kubeconfig = existing_cluster_kubeconfig(&options.env)?;
            let client = ApiClient::from_kubeconfig(&kubeconfig).await?;
            let installed = crds::install(&client, crds, &crd_options).await?;
            let work_dir = make_work_dir(&mut record)?;
            let kubeconfig_path = work_dir.path().join("kubeconfig");
            write_private_file(&kubeconfig_path, kubeconfig.as_bytes())?;
            let server = server_of(&kubeconfig);
            return Ok(EnvTest {
                mode: RunningMode::ExistingCluster,
                server,
                kubeconfig,
                kubeconfig_path,
                certs: None,
                installed_crds: installed,
                fallback_reason: None,
                stop_timeout: resolved.stop_timeout,
                start_duration: began.elapsed(),
                pids: Vec::new(),
                temp_dirs: vec![work_dir.path().to_path_buf()],
                running: Mutex::new(Some(Running {
                    backend: Backend::ExistingCluster,
                    work_dir: Some(work_dir),
                    _record: record,
                })),
                stop_lock: tokio::sync::Mutex::new(()),
            });
        }

        let (binaries, fallback_reason) = match resolved.mode {
            Mode::Embedded => (None, None),
            Mode::Binaries => (Some(find_binaries(&options, false).await?), None),
            Mode::Auto => match find_binaries(&options, true).await {
                Ok(found) => (Some(found), None),
                Err(error) => {
                    let reason = error.to_string();
                    eprintln!("klite EnvTest: using the embedded API server because the etcd/kube-apiserver binaries are unavailable: {reason}");
                    (None, Some(reason))
                }
            },
        };

        let (backend, server, certs, pids, mut temp_dirs) = match binaries {
            Some(binaries) => {
                let settings = BinariesSettings {
                    binaries,
                    start_timeout: resolved.start_timeout,
                    stop_timeout: resolved.stop_timeout,
                    attach_output: resolved.attach_output,
                    etcd_flags: options.etcd_flags.clone(),
                    api_server_flags: options.api_server_flags.clone(),
                };
                let plane = ControlPlane::start(&settings, &allocator).await?;
                let server = plane.server_url();
                let certs = plane.certs.clone();
                let pids = plane.pids();
                let dirs = plane
                    .cert_dir()
                    .into_iter()
                    .chain(plane.etcd_data_dir())
                    .map(Path::to_path_buf)
                    .collect();
                (Backend::Binaries(plane), server, certs, pids, dirs)
            }
            None => {
                let embedded = EmbeddedServer::start(&options.api_server_flags).await?;
                let server = embedded.server_url();
                let certs = embedded.certs.clone();
                (
                    Backend::Embedded(embedded),
                    server,
                    certs,
                    Vec::new(),
                    Vec::new(),
                )
            }
        };
        let mode = match backend {
            Backend::Binaries(_) => RunningMode::Binaries,
            _ => RunningMode::Embedded,
        };
        let mut running = Running {
            backend,
            work_dir: None,
            _record: record,
        };
        let work_dir = make_work_dir(&mut running._record)?;
        temp_dirs.push(work_dir.path().to_path_buf());
        let admin = certs
            .client_ca
            .issue_client(ADMIN_USER, &[ADMIN_GROUP.to_string()])?;
        let kubeconfig = kubeconfig::render(&server, &certs.serving_ca.ca().cert_pem, &admin);
        let kubeconfig_path = work_dir.path().join(format!("{ADMIN_USER}.kubecfg"));
        write_private_file(&kubeconfig_path, kubeconfig.as_bytes())?;
        running.work_dir = Some(work_dir);

        let mut env_test = EnvTest {
            mode,
            server,
            kubeconfig,
            kubeconfig_path,
            certs: Some(certs),
            installed_crds: Vec::new(),
            fallback_reason,
            stop_timeout: resolved.stop_timeout,
            start_duration: Duration::ZERO,
            pids,
            temp_dirs,
            running: Mutex::new(Some(running)),
            stop_lock: tokio::sync::Mutex::new(()),
        };
        // From here on, a failure drops `env_test`, which tears everything down.
        let client = ApiClient::from_kubeconfig(&env_test.kubeconfig).await?;
        client
            .wait_for_default_namespace(DEFAULT_NAMESPACE_WAIT)
            .await?;
        env_test.installed_crds = crds::install(&client, crds, &crd_options).await?;
        env_test.start_duration = began.elapsed();
        Ok(env_test)
    }

    /// What runs.
    pub fn mode(&self) -> RunningMode {
        self.mode
    }

    /// API server base URL (`https://127.0.0.1:<port>`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The admin user's kubeconfig (user `admin`, group `system:masters`).
    pub fn kubeconfig(&self) -> &str {
        &self.kubeconfig
    }

    /// A file holding [`Self::kubeconfig`] while the control plane runs.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// CRDs as installed (server's answer).
    pub fn installed_crds(&self) -> &[Value] {
        &self.installed_crds
    }

    /// In `auto` mode, why the embedded server was used instead of binaries.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.as_deref()
    }

    /// PIDs of etcd and kube-apiserver (binaries mode).
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// Temp dirs created for this control plane (all removed by stop).
    pub fn temp_dirs(&self) -> &[PathBuf] {
        &self.temp_dirs
    }

    /// Time from the start call until CRDs were served.
    pub fn start_duration(&self) -> Duration {
        self.start_duration
    }

    /// Issues a client certificate for a user and returns its kubeconfig. The user has
    /// no permissions unless its groups grant some (e.g. `system:masters`) or RBAC
    /// objects do.
    pub async fn add_user(&self, user: &User) -> Result<String> {
        if user.name.is_empty() {
            return Err(Error::InvalidOption {
                option: "name".into(),
                message: "a user needs a non-empty name".into(),
            });
        }
        let Some(certs) = &self.certs else {
            return Err(Error::Unsupported(
                "addUser needs a control plane started by EnvTest; with USE_EXISTING_CLUSTER create the user's credentials in your cluster".into(),
            ));
        };
        if self.is_stopped() {
            return Err(Error::Stopped);
        }
        let pair = certs.client_ca.issue_client(&user.name, &user.groups)?;
        Ok(kubeconfig::render(
            &self.server,
            &certs.serving_ca.ca().cert_pem,
            &pair,
        ))
    }

    /// Whether [`Self::stop`] has run.
    pub fn is_stopped(&self) -> bool {
        lock(&self.running).is_none()
    }

    /// Stops kube-apiserver, then etcd (or the embedded server), and removes every temp
    /// dir. Idempotent; concurrent calls wait for the first.
    pub async fn stop(&self) -> Result<()> {
        let _serial = self.stop_lock.lock().await;
        let Some(mut running) = lock(&self.running).take() else {
            return Ok(());
        };
        let result = match &mut running.backend {
            Backend::Binaries(plane) => plane.stop().await,
            Backend::Embedded(server) => {
                server.stop().await;
                Ok(())
            }
            Backend::ExistingCluster => Ok(()),
        };
        if let Some(dir) = running.work_dir.take() {
            let _ = dir.close();
        }
        let _ = self.stop_timeout;
        result
    }

    /// Kills everything immediately and removes temp dirs (synchronous; for process
    /// exit hooks). Idempotent.
    pub fn kill_now(&self) {
        let running = lock(&self.running).take();
        if let Some(mut running) = running {
            if let Backend::Binaries(plane) = &mut running.backend {
                plane.teardown_now();
            }
            if let Some(dir) = running.work_dir.take() {
                let _ = dir.close();
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn make_work_dir(record: &mut RunRecord) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(TEMP_DIR_PREFIX)
        .tempdir()
        .map_err(|e| Error::io("creating a temp dir", e))?;
    record.add_dir(dir.path());
    Ok(dir)
}

/// Finds binaries locally, or through setup-envtest when `autoSetup` allows. With
/// `quick_fallback` (auto mode) a failing download is retried once only, so that an
/// offline machine falls back to the embedded server without a long backoff.
async fn find_binaries(options: &EnvTestOptions, quick_fallback: bool) -> Result<Binaries> {
    let search = BinarySearch {
        binary_assets_directory: options.binary_assets_directory.as_deref(),
        version: options.version.as_deref(),
        store_root: options.store_root.as_deref(),
    };
    if let Some(found) = binaries::resolve_local(&options.env, &search).await? {
        return Ok(found);
    }
    if !options.auto_setup {
        return Err(Error::BinariesUnavailable {
            reason: "none configured (TEST_ASSET_ETCD, TEST_ASSET_KUBE_APISERVER, KUBEBUILDER_ASSETS, binaryAssetsDirectory), none installed in the setup-envtest store, and autoSetup is off".into(),
        });
    }
    let mut ensure_options = search.ensure_options(&options.env);
    if let Some(url) = &options.index_url {
        ensure_options.index_url = url.clone();
    }
    if quick_fallback {
        ensure_options.retry = klite_setup_envtest::RetryPolicy {
            attempts: 2,
            first_delay: Duration::from_millis(100),
        };
    }
    let selector = options.version.as_deref().unwrap_or("");
    let dir = klite_setup_envtest::ensure(selector, &ensure_options)
        .await
        .map_err(|e| Error::AssetSetup {
            message: error_chain(&e),
        })?;
    binaries::in_directory(&dir, &format!("setup-envtest use {selector}"))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The kubeconfig of an existing cluster, merged from `KUBECONFIG` (or
/// `~/.kube/config`) as kubectl merges it.
fn existing_cluster_kubeconfig(env: &EnvVars) -> Result<String> {
    use kube::config::Kubeconfig;
    let paths: Vec<PathBuf> = match env.non_empty("KUBECONFIG") {
        Some(list) => std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => env
            .non_empty("HOME")
            .map(|home| vec![Path::new(home).join(".kube").join("config")])
            .unwrap_or_default(),
    };
    let mut merged: Option<Kubeconfig> = None;
    for path in &paths {
        if !path.exists() {
            continue;
        }
        let config = Kubeconfig::read_from(path)
            .map_err(|e| Error::ExistingCluster(format!("{}: {e}", path.display())))?;
        merged = Some(match merged {
            None => config,
            Some(base) => base
                .merge(config)
                .map_err(|e| Error::ExistingCluster(format!("merging {}: {e}", path.display())))?,
        });
    }
    let merged = merged.ok_or_else(|| {
        Error::ExistingCluster(format!(
            "none of {} exists; set KUBECONFIG",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    serde_yaml_ng::to_string(&merged).map_err(|e| Error::ExistingCluster(e.to_string()))
}

fn server_of(kubeconfig: &str) -> String {
    let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(kubeconfig).unwrap_or_default();
    let context_name = parsed["current-context"].as_str().unwrap_or_default();
    let cluster_name = parsed["contexts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| c["name"].as_str() == Some(context_name))
        .and_then(|c| c["context"]["cluster"].as_str())
        .unwrap_or_default()
        .to_string();
    parsed["clusters"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| c["name"].as_str() == Some(cluster_name.as_str()))
        .and_then(|c| c["cluster"]["server"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> EnvTestOptions {
        EnvTestOptions {
            env: EnvVars::from_pairs(pairs.iter().copied()),
            ..EnvTestOptions::default()
        }
    }

    #[test]
    fn environment_overrides_and_defaults() {
        let r = resolve(&options(&[])).unwrap();
        assert_eq!(r.mode, Mode::Auto);
        assert_eq!(r.start_timeout, DEFAULT_TIMEOUT);
        assert!(!r.use_existing_cluster && !r.attach_output);

        let r = resolve(&options(&[
            ("KLITE_ENVTEST_MODE", "embedded"),
            ("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT", "1m30s"),
            ("KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT", "5s"),
            ("USE_EXISTING_CLUSTER", "TRUE"),
            ("KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT", "true"),
        ]))
        .unwrap();
        assert_eq!(r.mode, Mode::Embedded);
        assert_eq!(r.start_timeout, Duration::from_secs(90));
        assert_eq!(r.stop_timeout, Duration::from_secs(5));
        assert!(r.use_existing_cluster && r.attach_output);

        // Attach is `true` exactly, as upstream.
        assert!(
            !resolve(&options(&[(
                "KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT",
                "TRUE"
            )]))
            .unwrap()
            .attach_output
        );
        // Options win over the environment for timeouts.
        let mut o = options(&[("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT", "5s")]);
        o.start_timeout = Some(Duration::from_secs(7));
        assert_eq!(resolve(&o).unwrap().start_timeout, Duration::from_secs(7));
    }

    #[test]
    fn bad_environment_values_are_reported_by_name() {
        let err = resolve(&options(&[(
            "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT",
            "60",
        )]))
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "invalid EnvTest option KUBEBUILDER_CONTROLPLANE_START_TIMEOUT: time: missing unit in duration \"60\""
        );
        let err = resolve(&options(&[("KLITE_ENVTEST_MODE", "docker")]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("KLITE_ENVTEST_MODE"), "{err}");
    }

    #[test]
    fn server_is_read_from_the_current_context() {
        let text = "apiVersion: v1\nclusters:\n- cluster: {server: 'https://a:1'}\n  name: a\n- cluster: {server: 'https://b:2'}\n  name: b\ncontexts:\n- context: {cluster: b, user: u}\n  name: ctx\ncurrent-context: ctx\nkind: Config\nusers: []\n";
        assert_eq!(server_of(text), "https://b:2");
    }
}
