//! The one error type of klite-envtest.

use std::path::PathBuf;

/// Everything that can go wrong while starting, using or stopping a control plane.
///
/// Messages follow controller-runtime's envtest where upstream has one (so searches for
/// the upstream text find answers), and always say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An option had a value that cannot be used.
    #[error("invalid EnvTest option {option}: {message}")]
    InvalidOption {
        /// The option (or environment variable) name.
        option: String,
        /// What is wrong with it.
        message: String,
    },

    /// A timeout was not a Go duration (`"60s"`, `"1m30s"`).
    #[error("{message}")]
    InvalidDuration {
        /// Go's `time.ParseDuration` message.
        message: String,
    },

    /// A control-plane binary does not exist where it was looked for.
    #[error("{name} binary not found at {} (from {origin}); {hint}", path.display())]
    BinaryNotFound {
        /// `etcd` or `kube-apiserver`.
        name: String,
        /// The path that was checked.
        path: PathBuf,
        /// Where the path came from (`TEST_ASSET_ETCD`, `KUBEBUILDER_ASSETS`, …).
        origin: String,
        /// What the user can do about it.
        hint: String,
    },

    /// No binaries could be found locally and none could be set up.
    #[error("control-plane binaries are not available: {reason}")]
    BinariesUnavailable {
        /// Why, in one sentence.
        reason: String,
    },

    /// setup-envtest could not provide binaries.
    #[error("setting up envtest binaries failed: {message}")]
    AssetSetup {
        /// The setup-envtest failure.
        message: String,
    },

    /// Generating keys or certificates failed.
    #[error("generating certificates failed: {0}")]
    Certificate(#[from] rcgen::Error),

    /// A file-system or OS operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// No free port could be reserved.
    #[error("no free ports found after {attempts} retries")]
    NoFreePorts {
        /// How many candidates were tried.
        attempts: u32,
    },

    /// A process could not be spawned at all.
    #[error("failed to start {name} ({}): {source}", path.display())]
    Spawn {
        /// Base name of the binary.
        name: String,
        /// Path that was executed.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// The process exited before it became ready.
    #[error("timeout waiting for process {name} to start successfully (it may have failed to start, or stopped unexpectedly before becoming ready): {status}{}", output_suffix(output))]
    ExitedBeforeReady {
        /// Base name of the binary.
        name: String,
        /// How it exited.
        status: String,
        /// The last lines it printed.
        output: String,
    },

    /// The process did not become ready within the start timeout.
    #[error("timeout waiting for process {name} to start (waited {waited:?}; raise startTimeout or KUBEBUILDER_CONTROLPLANE_START_TIMEOUT){}", output_suffix(output))]
    StartTimeout {
        /// Base name of the binary.
        name: String,
        /// The timeout that elapsed.
        waited: std::time::Duration,
        /// The last lines it printed.
        output: String,
    },

    /// The process did not exit within the stop timeout (it was then killed).
    #[error("timeout waiting for process {name} to stop")]
    StopTimeout {
        /// Base name of the binary.
        name: String,
    },

    /// Starting the control plane failed on every attempt.
    #[error("failed to start the controlplane. retried {attempts} times: {source}")]
    ControlPlaneStart {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: Box<Error>,
    },

    /// The embedded API server failed.
    #[error("embedded API server: {message}")]
    Embedded {
        /// The server's error.
        message: String,
    },

    /// The `default` namespace never appeared.
    #[error("default namespace didn't register within deadline")]
    DefaultNamespace,

    /// A CRD path does not exist and `errorIfCrdPathMissing` is set.
    #[error("CRD path {} does not exist (errorIfCrdPathMissing is set)", .0.display())]
    CrdPathMissing(PathBuf),

    /// A CRD file could not be parsed.
    #[error("reading CRDs from {}: {message}", path.display())]
    CrdRead {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },

    /// A CRD object (from `crds`) is not a usable CustomResourceDefinition.
    #[error("invalid CRD object: {0}")]
    InvalidCrd(String),

    /// Talking to the API server failed.
    #[error("{context}: {source}")]
    Kube {
        /// What was being done.
        context: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },

    /// CRDs were created but not served within the wait time.
    #[error("timed out after {waited:?} waiting for CRDs to be served in discovery: {pending}")]
    CrdWait {
        /// The wait time.
        waited: std::time::Duration,
        /// The `<plural>.<group>/<version>` entries still missing.
        pending: String,
    },

    /// Reading the kubeconfig of an existing cluster failed.
    #[error("USE_EXISTING_CLUSTER is set but no usable kubeconfig was found: {0}")]
    ExistingCluster(String),

    /// The operation is not available in this mode.
    #[error("{0}")]
    Unsupported(String),

    /// The control plane was already stopped.
    #[error("EnvTest has been stopped; create a new EnvTest to start again")]
    Stopped,
}

fn output_suffix(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        format!("\n--- last output ---\n{}", output.trim_end())
    }
}

impl Error {
    /// Wraps an I/O error with a description of what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Wraps a client error with a description of what was being done.
    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Error::Kube {
            context: context.into(),
            source,
        }
    }

    /// Whether the failure looks like a port clash (worth retrying with fresh ports).
    pub fn is_port_clash(&self) -> bool {
        match self {
            Error::ExitedBeforeReady { output, .. } | Error::StartTimeout { output, .. } => {
                let lower = output.to_ascii_lowercase();
                lower.contains("address already in use") || lower.contains("bind: address")
            }
            _ => false,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
