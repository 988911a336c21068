//! `EnvTest`: a local control plane for tests (klite-envtest), as a JS class.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::client::{DynamicClient, DynamicClientOptions};
use crate::error::{argument_error, coded_error, guarded};

/// Options of {@link EnvTest}. Every option has an environment-variable counterpart as in
/// controller-runtime's envtest; options win, except `KLITE_ENVTEST_MODE`, which overrides
/// `mode`.
#[napi(object)]
pub struct EnvTestOptions {
    /// `binaries`: etcd + kube-apiserver processes, as controller-runtime's envtest runs them.
    /// `embedded`: klite's in-process API server (no binaries, no download).
    /// `auto`: `binaries` when they can be found or downloaded, else `embedded` with one
    /// warning line on stderr.
    /// @default 'auto' (env `KLITE_ENVTEST_MODE` overrides)
    #[napi(ts_type = "'auto' | 'binaries' | 'embedded'")]
    pub mode: Option<String>,
    /// setup-envtest version selector for the binaries, e.g. `"1.31.x"`.
    /// @default the newest installed (or, with `autoSetup`, available) version
    pub version: Option<String>,
    /// Directory holding `etcd` and `kube-apiserver` (below `TEST_ASSET_*` and
    /// `KUBEBUILDER_ASSETS` in precedence).
    pub binary_assets_directory: Option<String>,
    /// Run `setup-envtest use` (download into the shared store) when no binaries are installed.
    /// @default true
    pub auto_setup: Option<bool>,
    /// Files or directories (direct entries; `.yaml`, `.yml`, `.json`, multi-document) with CRDs
    /// to install before `start()` resolves.
    pub crd_directory_paths: Option<Vec<String>>,
    /// CRD objects to install before `start()` resolves.
    #[napi(ts_type = "KubernetesObject[]")]
    pub crds: Option<Vec<serde_json::Value>>,
    /// Fail `start()` when a path of `crdDirectoryPaths` does not exist.
    /// @default false
    pub error_if_crd_path_missing: Option<bool>,
    /// Copy etcd's and kube-apiserver's output to this process's stdout/stderr.
    /// @default env `KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT === "true"`
    pub attach_control_plane_output: Option<bool>,
    /// Start timeout per component: milliseconds or a Go duration (`"60s"`).
    /// @default env `KUBEBUILDER_CONTROLPLANE_START_TIMEOUT`, else 20 s
    #[napi(ts_type = "number | string")]
    pub start_timeout: Option<Either<f64, String>>,
    /// Stop timeout per component: milliseconds or a Go duration.
    /// @default env `KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT`, else 20 s
    #[napi(ts_type = "number | string")]
    pub stop_timeout: Option<Either<f64, String>>,
    /// kube-apiserver flags (`{ v: '4' }` → `--v=4`); they replace the defaults of the same
    /// name; an empty array removes a default flag. The embedded server applies
    /// `service-cluster-ip-range`, `service-node-port-range` and `default-watch-cache-size`
    /// (events a watch can resume from before `ExpiredError`) and names the others on stderr.
    #[napi(ts_type = "Record<string, string | string[]>")]
    pub api_server_flags: Option<HashMap<String, Either<String, Vec<String>>>>,
    /// etcd flags, as `apiServerFlags`.
    #[napi(ts_type = "Record<string, string | string[]>")]
    pub etcd_flags: Option<HashMap<String, Either<String, Vec<String>>>>,
}

/// A user for {@link EnvTest.addUser}.
#[napi(object)]
pub struct EnvTestUser {
    /// User name (the client certificate's CN).
    pub name: String,
    /// Groups (the certificate's O), e.g. `['system:masters']` for a cluster admin.
    /// @default []
    pub groups: Option<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

enum State {
    Idle,
    Running(Arc<klite_envtest::EnvTest>),
    Stopped,
}

/// A local Kubernetes control plane for integration tests: etcd + kube-apiserver
/// started like controller-runtime's envtest (`binaries`), or klite's embedded API server
/// (`embedded`). Processes die with the test process, even on SIGKILL.
///
/// ```ts
/// const env = new EnvTest({ crdDirectoryPaths: ['config/crd/bases'] })
/// await env.start()
/// const client = env.client()
/// // …
/// await env.stop()
/// ```
#[napi]
pub struct EnvTest {
    options: klite_envtest::EnvTestOptions,
    state: Arc<Mutex<State>>,
    start_lock: Arc<tokio::sync::Mutex<()>>,
}

#[napi]
impl EnvTest {
    /// Validates the options; nothing starts until {@link EnvTest.start}.
    #[napi(catch_unwind, constructor)]
    pub fn new(env: Env, options: Option<EnvTestOptions>) -> Result<Self> {
        let options = convert_options(&env, options)?;
        let state = Arc::new(Mutex::new(State::Idle));
        // Worker threads (vitest's `threads` pool) tear down their environment without
        // process exit: kill this instance's control plane then.
        let hook_state = Arc::downgrade(&state);
        env.add_env_cleanup_hook(hook_state, |state: Weak<Mutex<State>>| {
            if let Some(state) = state.upgrade() {
                if let State::Running(envtest) = &*lock(&state) {
                    envtest.kill_now();
                }
            }
        })?;
        Ok(EnvTest {
            options,
            state,
            start_lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Starts the control plane, waits for the `default` namespace, installs the CRDs and
    /// resolves with the kubeconfig (YAML) of the admin user (`admin`, group
    /// `system:masters`). Calling it again while running resolves with the same kubeconfig.
    #[napi]
    pub async fn start(&self) -> Result<String> {
        let _serial = self.start_lock.lock().await;
        match &*lock(&self.state) {
            State::Running(envtest) => return Ok(envtest.kubeconfig().to_string()),
            State::Stopped => return Err(envtest_error(klite_envtest::Error::Stopped)),
            State::Idle => {}
        }
        let envtest = guarded(async {
            klite_envtest::EnvTest::start(self.options.clone())
                .await
                .map_err(envtest_error)
        })
        .await?;
        let envtest = Arc::new(envtest);
        klite_envtest::exit_cleanup::kill_at_exit(&envtest);
        let kubeconfig = envtest.kubeconfig().to_string();
        *lock(&self.state) = State::Running(envtest);
        Ok(kubeconfig)
    }

    /// The admin kubeconfig (as `start()` resolved with). Throws before `start()`.
    #[napi(catch_unwind)]
    pub fn config(&self, env: Env) -> Result<String> {
        Ok(self.running(&env)?.kubeconfig().to_string())
    }

    /// A {@link DynamicClient} for the admin user. Throws before `start()`.
    #[napi(
        catch_unwind,
        ts_args_type = "options?: Omit<DynamicClientOptions, 'kubeconfig'>"
    )]
    pub fn client(&self, env: Env, options: Option<DynamicClientOptions>) -> Result<DynamicClient> {
        let kubeconfig = self.running(&env)?.kubeconfig().to_string();
        let mut client = klite_client::ClientOptions {
            kubeconfig: Some(kubeconfig),
            ..klite_client::ClientOptions::default()
        };
        if let Some(options) = options {
            client.context = options.context.filter(|c| !c.is_empty());
            if let Some(qps) = options.qps {
                client.qps = qps;
            }
            if let Some(burst) = options.burst {
                client.burst = burst;
            }
            client.timeout = convert_timeout(&env, "timeout", options.timeout)?;
        }
        let options = client;
        DynamicClient::from_options(options).map_err(|e| crate::error::throw(&env, e))
    }

    /// Issues a client certificate for a user and resolves with its kubeconfig. The user
    /// can do nothing its groups (or RBAC objects you create) don't allow.
    #[napi]
    pub async fn add_user(&self, user: EnvTestUser) -> Result<String> {
        let envtest = match &*lock(&self.state) {
            State::Running(envtest) => envtest.clone(),
            State::Idle => return Err(not_started()),
            State::Stopped => return Err(envtest_error(klite_envtest::Error::Stopped)),
        };
        let user = klite_envtest::User {
            name: user.name,
            groups: user.groups.unwrap_or_default(),
        };
        guarded(async { envtest.add_user(&user).await.map_err(envtest_error) }).await
    }

    /// Stops kube-apiserver, then etcd (or the embedded server), and removes the temp
    /// dirs. Idempotent; also happens automatically when the process exits.
    #[napi]
    pub async fn stop(&self) -> Result<()> {
        let _serial = self.start_lock.lock().await;
        let previous = std::mem::replace(&mut *lock(&self.state), State::Stopped);
        match previous {
            State::Running(envtest) => {
                guarded(async { envtest.stop().await.map_err(envtest_error) }).await
            }
            State::Idle | State::Stopped => Ok(()),
        }
    }

    /// What runs: `'binaries'`, `'embedded'` or `'existing-cluster'` once started; before
    /// that, the requested mode.
    #[napi(
        catch_unwind,
        getter,
        ts_return_type = "'auto' | 'binaries' | 'embedded' | 'existing-cluster'"
    )]
    pub fn mode(&self) -> String {
        match &*lock(&self.state) {
            State::Running(envtest) => envtest.mode().as_str().to_string(),
            _ => match self.options.mode {
                klite_envtest::Mode::Auto => "auto",
                klite_envtest::Mode::Binaries => "binaries",
                klite_envtest::Mode::Embedded => "embedded",
            }
            .to_string(),
        }
    }

    /// The API server URL (`https://127.0.0.1:<port>`); `null` unless running.
    #[napi(catch_unwind, getter)]
    pub fn server(&self) -> Option<String> {
        match &*lock(&self.state) {
            State::Running(envtest) => Some(envtest.server().to_string()),
            _ => None,
        }
    }

    /// A file holding the admin kubeconfig while running (for `KUBECONFIG`, kubectl);
    /// `null` unless running.
    #[napi(catch_unwind, getter)]
    pub fn kubeconfig_path(&self) -> Option<String> {
        match &*lock(&self.state) {
            State::Running(envtest) => Some(envtest.kubeconfig_path().display().to_string()),
            _ => None,
        }
    }
}

impl EnvTest {
    fn running(&self, env: &Env) -> Result<Arc<klite_envtest::EnvTest>> {
        match &*lock(&self.state) {
            State::Running(envtest) => Ok(envtest.clone()),
            State::Idle => Err(coded_error(
                env,
                "ERR_KLITE_ENVTEST_NOT_STARTED",
                "EnvTest is not started: await env.start() first",
            )),
            State::Stopped => Err(coded_error(
                env,
                "ERR_KLITE_ENVTEST_STOPPED",
                klite_envtest::Error::Stopped.to_string(),
            )),
        }
    }
}

fn not_started() -> Error {
    Error::new(
        Status::GenericFailure,
        "EnvTest is not started: await env.start() first",
    )
}

fn envtest_error(error: klite_envtest::Error) -> Error {
    let status = match &error {
        klite_envtest::Error::InvalidOption { .. }
        | klite_envtest::Error::InvalidDuration { .. } => Status::InvalidArg,
        _ => Status::GenericFailure,
    };
    Error::new(status, error.to_string())
}

fn convert_options(
    env: &Env,
    options: Option<EnvTestOptions>,
) -> Result<klite_envtest::EnvTestOptions> {
    let mut result = klite_envtest::EnvTestOptions::default();
    let Some(options) = options else {
        return Ok(result);
    };
    if let Some(mode) = options.mode {
        result.mode = mode.parse().map_err(|_| {
            argument_error(
                env,
                format!("`mode` must be 'auto', 'binaries' or 'embedded', got {mode:?}"),
            )
        })?;
    }
    result.version = options.version.filter(|v| !v.is_empty());
    result.binary_assets_directory = options
        .binary_assets_directory
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    if let Some(auto_setup) = options.auto_setup {
        result.auto_setup = auto_setup;
    }
    result.crd_directory_paths = options
        .crd_directory_paths
        .unwrap_or_default()
        .into_iter()
        .map(PathBuf::from)
        .collect();
    result.crds = options.crds.unwrap_or_default();
    result.error_if_crd_path_missing = options.error_if_crd_path_missing.unwrap_or(false);
    result.attach_control_plane_output = options.attach_control_plane_output;
    result.start_timeout = convert_timeout(env, "startTimeout", options.start_timeout)?;
    result.stop_timeout = convert_timeout(env, "stopTimeout", options.stop_timeout)?;
    result.api_server_flags = convert_flags(options.api_server_flags);
    result.etcd_flags = convert_flags(options.etcd_flags);
    Ok(result)
}

fn convert_timeout(
    env: &Env,
    name: &str,
    value: Option<Either<f64, String>>,
) -> Result<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(Either::A(millis)) if millis.is_finite() && millis >= 0.0 => Ok(Some(Duration::from_secs_f64(millis / 1000.0))),
        Some(Either::A(millis)) => Err(argument_error(
            env,
            format!("`{name}` must be a non-negative number of milliseconds or a Go duration such as \"60s\", got {millis}"),
        )),
        Some(Either::B(text)) => klite_envtest::duration::parse_go_duration(&text)
            .map(Some)
            .map_err(|e| argument_error(env, format!("`{name}`: {e}"))),
    }
}

fn convert_flags(
    flags: Option<HashMap<String, Either<String, Vec<String>>>>,
) -> std::collections::BTreeMap<String, Vec<String>> {
    flags
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| {
            let values = match value {
                Either::A(one) => vec![one],
                Either::B(many) => many,
            };
            (name, values)
        })
        .collect()
}
