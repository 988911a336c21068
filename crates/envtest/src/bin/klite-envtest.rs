//! `klite-envtest`: start a control plane from a shell, print where it is, keep it up
//! until stdin closes or SIGINT/SIGTERM arrives, then stop it.
//!
//! ```text
//! klite-envtest [--mode auto|binaries|embedded] [--version SELECTOR] [--crd PATH]...
//! ```
//! Prints one JSON line: `{"mode","server","kubeconfigPath","pids","tempDirs","startMillis"}`.
//! Environment variables are envtest's (`KUBEBUILDER_ASSETS`, `TEST_ASSET_*`, …).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use klite_envtest::{EnvTest, EnvTestOptions, Mode};

const USAGE: &str =
    "usage: klite-envtest [--mode auto|binaries|embedded] [--version SELECTOR] [--crd PATH]...";

fn parse_args() -> Result<EnvTestOptions, String> {
    let mut options = EnvTestOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--mode" => {
                options.mode = value("--mode")?
                    .parse::<Mode>()
                    .map_err(|e| e.to_string())?
            }
            "--version" => options.version = Some(value("--version")?),
            "--crd" => options
                .crd_directory_paths
                .push(PathBuf::from(value("--crd")?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

async fn wait_for_shutdown() {
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    });
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            let _ = stdin_closed.await;
            return;
        };
        tokio::select! {
            _ = stdin_closed => {}
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = stdin_closed => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let env = match EnvTest::start(options).await {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(1);
        }
    };
    let info = serde_json::json!({
        "mode": env.mode().as_str(),
        "server": env.server(),
        "kubeconfigPath": env.kubeconfig_path(),
        "pids": env.pids(),
        "tempDirs": env.temp_dirs(),
        "startMillis": env.start_duration().as_secs_f64() * 1000.0,
    });
    println!("{info}");
    wait_for_shutdown().await;
    match env.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(1)
        }
    }
}
