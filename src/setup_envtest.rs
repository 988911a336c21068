//! `setupEnvtest()` and the `klite-setup-envtest` bin: upstream setup-envtest's CLI,
//! run by `klite_setup_envtest::run` on the addon's tokio runtime.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use klite_setup_envtest::{process_env, Io};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Options for {@link setupEnvtest}.
#[napi(object)]
pub struct SetupEnvtestOptions {
    /// Standard input of the run (`sideload` reads a `.tar.gz` from it).
    /// @default empty
    pub stdin: Option<Buffer>,
}

/// What a {@link setupEnvtest} run printed, and how it ended.
#[napi(object)]
pub struct SetupEnvtestResult {
    /// 0 on success; 1 for an invalid version selector or an undeterminable default store;
    /// 2 for usage errors and every runtime failure (as upstream setup-envtest).
    pub exit_code: i32,
    /// Everything written to standard output (e.g. the asset path with `-p path`).
    pub stdout: String,
    /// Everything written to standard error (usage, the error line, logs).
    pub stderr: String,
}

/// Runs setup-envtest with `args` (as on its command line, without the program name) and
/// resolves with its exit code and output; it never rejects for a failed run.
///
/// Same commands, flags, version selectors, outputs, exit codes and binary store as
/// upstream setup-envtest (`use`, `list`, `cleanup`, `sideload`, `version`); the
/// environment (`KUBEBUILDER_ASSETS`, `ENVTEST_INSTALLED_ONLY`, `ENVTEST_USE_ENV`,
/// `XDG_DATA_HOME`, `HOME`, `HTTPS_PROXY`, …) is the process's.
///
/// ```js
/// const { exitCode, stdout } = await setupEnvtest(['use', '-p', 'path', '1.31.x'])
/// if (exitCode === 0) process.env.KUBEBUILDER_ASSETS = stdout
/// ```
#[napi]
pub async fn setup_envtest(
    args: Vec<String>,
    options: Option<SetupEnvtestOptions>,
) -> Result<SetupEnvtestResult> {
    let stdin = options.and_then(|o| o.stdin).map(|b| b.to_vec());
    let (io, stdout, stderr) = Io::captured(stdin, process_env());
    let exit_code = guarded(klite_setup_envtest::run(&args, io)).await?;
    Ok(SetupEnvtestResult {
        exit_code,
        stdout: stdout.text(),
        stderr: stderr.text(),
    })
}

/// The `klite-setup-envtest` bin: runs setup-envtest on the process's own stdin, stdout
/// and stderr (a progress bar is drawn when stderr is a terminal) and resolves with the
/// exit code for `process.exitCode`.
#[napi]
pub async fn run_setup_envtest(args: Vec<String>) -> Result<i32> {
    guarded(klite_setup_envtest::run(&args, Io::process())).await
}

/// Turns a panic into a rejection instead of unwinding into Node.
async fn guarded(run: impl std::future::Future<Output = i32>) -> Result<i32> {
    AssertUnwindSafe(run).catch_unwind().await.map_err(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Error::new(
            Status::GenericFailure,
            format!("klite-setup-envtest failed unexpectedly: {detail}"),
        )
    })
}
