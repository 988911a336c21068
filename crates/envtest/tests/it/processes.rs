//! Crash safety and parallel processes, through the `klite-envtest` CLI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::*;
use serde_json::Value;

/// Starts `klite-envtest --mode binaries` and returns it with its JSON status line.
fn spawn_cli(scratch: &Path, assets: &Path) -> (Child, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_klite-envtest"));
    command
        .args(["--mode", "binaries"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in hermetic_env(scratch).iter() {
        command.env(key, value);
    }
    command.env("KUBEBUILDER_ASSETS", assets);
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad status line {line:?}: {e}"));
    (child, info)
}

fn pids(info: &Value) -> Vec<u32> {
    info["pids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap() as u32)
        .collect()
}

fn dirs(info: &Value) -> Vec<PathBuf> {
    info["tempDirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| PathBuf::from(d.as_str().unwrap()))
        .collect()
}

#[test]
fn sigkilled_test_process_leaves_no_etcd_or_apiserver_behind() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let (mut child, info) = spawn_cli(scratch.path(), &assets);
    let pids = pids(&info);
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| process_alive(*p)));

    child.kill().unwrap(); // SIGKILL: no handler, no cleanup code runs
    child.wait().unwrap();
    assert_processes_exit(&pids, Duration::from_secs(5));

    // Its temp dirs are removed by the next start's sweep of crashed runs.
    let leftover = dirs(&info);
    assert!(
        leftover.iter().any(|d| d.exists()),
        "a SIGKILLed process cannot clean up after itself"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let next = runtime
        .block_on(klite_envtest::EnvTest::start(
            klite_envtest::EnvTestOptions {
                mode: klite_envtest::Mode::Embedded,
                env: hermetic_env(scratch.path()),
                ..Default::default()
            },
        ))
        .unwrap();
    assert!(
        leftover.iter().all(|d| !d.exists()),
        "the next start left {leftover:?}"
    );
    runtime.block_on(next.stop()).unwrap();
}

#[test]
fn four_processes_start_control_planes_in_parallel() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let scratch = scratch.path().to_path_buf();
            let assets = assets.clone();
            std::thread::spawn(move || spawn_cli(&scratch, &assets))
        })
        .collect();
    let mut running: Vec<(Child, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut servers: Vec<String> = running
        .iter()
        .map(|(_, info)| info["server"].as_str().unwrap().to_string())
        .collect();
    servers.sort();
    servers.dedup();
    assert_eq!(servers.len(), 4, "each process got its own ports");

    let all_pids: Vec<u32> = running.iter().flat_map(|(_, info)| pids(info)).collect();
    let all_dirs: Vec<PathBuf> = running.iter().flat_map(|(_, info)| dirs(info)).collect();
    for (child, _) in &mut running {
        drop(child.stdin.take()); // closing stdin asks the CLI to stop
    }
    for (child, _) in &mut running {
        assert!(child.wait().unwrap().success());
    }
    assert_processes_exit(&all_pids, Duration::from_secs(5));
    assert!(all_dirs.iter().all(|d| !d.exists()));
}
