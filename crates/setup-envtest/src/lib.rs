//! klite-setup-envtest: an upstream-compatible
//! [setup-envtest](https://github.com/kubernetes-sigs/controller-runtime/tree/main/tools/setup-envtest)
//! (the tool that installs etcd, kube-apiserver and kubectl for envtest), as a library.
//!
//! - [`run`]: the whole CLI (`use`, `list`, `cleanup`, `sideload`, `version`, every flag
//!   and environment variable, upstream's outputs and exit codes) over an [`Io`].
//! - [`ensure`]: `use` semantics for programs (EnvTest's `autoSetup`): returns the
//!   directory holding the binaries, downloading them if needed.
//! - Building blocks: [`Spec`] (version selectors), [`Platform`], [`Index`], [`Store`],
//!   [`default_store_dir`].
//!
//! The store (`<root>/k8s/<X.Y.Z>-<os>-<arch>/`) and its default location are upstream's,
//! so Go, Python and Node test suites on one machine share one set of binaries.
//!
//! Deliberate differences from upstream, all compatible with its store and index:
//! downloads stream to a file in the store while being hashed; a lock (`k8s/.lock`)
//! serialises concurrent installs; versions are unpacked into a staging directory and
//! renamed into place (a crash or a bad archive never leaves a half version); archive
//! entries with absolute paths or `..` are refused; transient network failures are retried
//! with backoff; the index is fetched once per run; `selfLink`s relative to the index URL
//! are resolved; a progress bar is drawn on a terminal.
#![deny(missing_docs)]

mod archive;
mod cli;
mod error;
pub mod gofmt;
mod index;
mod io;
mod log;
mod platform;
mod progress;
mod remote;
mod store;
mod version;
mod workflow;

use std::path::PathBuf;

pub use cli::{run, run_with_retry, PrintFormat};
pub use error::Error;
pub use index::{Archive, Index, PlatformArchive, Release, VersionSet, DEFAULT_INDEX_URL};
pub use io::{env_from_pairs, process_env, Captured, EnvLookup, Io, SharedWriter};
pub use log::Level;
pub use platform::{parse_archive_name, parse_store_dir_name, Platform};
pub use remote::RetryPolicy;
pub use store::{Filter, Item, Store, StoreLock};
pub use version::{Concrete, Patch, Selector, Spec};

/// The program name shown in the usage text.
pub const PROGRAM_NAME: &str = "klite-setup-envtest";

/// What `version` reports: `v` + this crate's version.
pub fn version() -> String {
    concat!("v", env!("CARGO_PKG_VERSION")).to_string()
}

/// The default store root, from the process environment (see [`default_store_dir_with`]).
pub fn default_store_dir() -> Result<String, Error> {
    default_store_dir_with(&process_env())
}

/// The default store root, shared with upstream setup-envtest:
///
/// | OS | root |
/// |---|---|
/// | Windows | `%LocalAppData%\kubebuilder-envtest` |
/// | macOS | `$HOME/Library/Application Support/io.kubebuilder.envtest` |
/// | others | `${XDG_DATA_HOME:-$HOME/.local/share}/kubebuilder-envtest` |
///
/// Binaries live under `<root>/k8s/`.
pub fn default_store_dir_with(env: &EnvLookup) -> Result<String, Error> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
    if cfg!(windows) {
        let base = non_empty("LocalAppData").ok_or(Error::NoDefaultStoreDir {
            reason: "%LocalAppData% is not defined",
        })?;
        Ok(gofmt::join(&[&base, "kubebuilder-envtest"]))
    } else if cfg!(any(target_os = "macos", target_os = "ios")) {
        let home = non_empty("HOME").ok_or(Error::NoDefaultStoreDir {
            reason: "$HOME is not defined",
        })?;
        let base = gofmt::join(&[&home, "Library/Application Support"]);
        Ok(gofmt::join(&[&base, "io.kubebuilder.envtest"]))
    } else {
        let base = match non_empty("XDG_DATA_HOME") {
            Some(base) => base,
            None => {
                let home = non_empty("HOME").ok_or(Error::NoDefaultStoreDir {
                    reason: "neither $XDG_DATA_HOME nor $HOME are defined",
                })?;
                gofmt::join(&[&home, ".local/share"])
            }
        };
        Ok(gofmt::join(&[&base, "kubebuilder-envtest"]))
    }
}

/// Options for [`ensure`]; `Default` is setup-envtest's defaults for this machine.
#[derive(Clone)]
pub struct EnsureOptions {
    /// Store root (`--bin-dir`); `None` = [`default_store_dir_with`] of `env`.
    pub store_dir: Option<String>,
    /// Index URL (`--index`).
    pub index_url: String,
    /// Target platform (`--os`/`--arch`); must be concrete.
    pub platform: Platform,
    /// Never contact the index (`-i`).
    pub installed_only: bool,
    /// Re-download even if installed (`--force`).
    pub force: bool,
    /// Check the archive's SHA-512 (`--verify`).
    pub verify: bool,
    /// Environment for the default store and the proxy variables.
    pub env: EnvLookup,
    /// Where to draw a download progress bar (a terminal), if anywhere.
    pub progress: Option<SharedWriter>,
    /// Retries for transient network failures.
    pub retry: RetryPolicy,
}

impl Default for EnsureOptions {
    fn default() -> Self {
        EnsureOptions {
            store_dir: None,
            index_url: DEFAULT_INDEX_URL.to_string(),
            platform: Platform::host(),
            installed_only: false,
            force: false,
            verify: true,
            env: process_env(),
            progress: None,
            retry: RetryPolicy::default(),
        }
    }
}

impl std::fmt::Debug for EnsureOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnsureOptions")
            .field("store_dir", &self.store_dir)
            .field("index_url", &self.index_url)
            .field("platform", &self.platform)
            .field("installed_only", &self.installed_only)
            .field("force", &self.force)
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

/// `setup-envtest use <selector>`: the directory holding `etcd`, `kube-apiserver` and
/// `kubectl` for the newest installed version matching `selector` (or the newest in the
/// index when none is installed, or when the selector ends in `!` / is `latest` / empty),
/// downloading and verifying it if it is not installed.
///
/// ```no_run
/// # async fn demo() -> Result<(), klite_setup_envtest::Error> {
/// let dir = klite_setup_envtest::ensure("1.31.x", &Default::default()).await?;
/// println!("KUBEBUILDER_ASSETS={}", dir.display());
/// # Ok(()) }
/// ```
pub async fn ensure(selector: &str, options: &EnsureOptions) -> Result<PathBuf, Error> {
    let version = Spec::parse(selector)?;
    let root = match &options.store_dir {
        Some(dir) if !dir.is_empty() => dir.clone(),
        _ => default_store_dir_with(&options.env)?,
    };
    let log = log::Logger::disabled();
    let remote = remote::Remote::new(
        options.index_url.clone(),
        options.env.clone(),
        log.clone(),
        options.progress.clone(),
        options.retry,
    );
    let mut env = workflow::Env::new(
        options.platform.clone(),
        version,
        options.verify,
        options.installed_only,
        options.force && !options.installed_only,
        Store::open(root),
        remote,
        log,
    );
    let selected = env.use_version(false, "").await?;
    Ok(PathBuf::from(selected.path))
}
