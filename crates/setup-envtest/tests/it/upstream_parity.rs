//! Differential test against upstream setup-envtest: the same command lines run through
//! ours (in process) and through the real Go setup-envtest, each with its own store but the
//! same local index, must give identical stdout, stderr and exit codes.
//!
//! Upstream comes from PyPI `kubernetes-lite`, which vendors controller-runtime's
//! setup-envtest `main.go` into a Go library and exposes it as
//! `kubernetes_lite.setup_envtest.internal_run_setup_envtest_command(*args, stdin=b"")`.
//! It returns captured stdout and stderr and, instead of exiting, the panic upstream's
//! `env.Exit` raises: `"<message> (exit code N)"`, which the real binary turns into
//! `<message>\n` on stderr and exit code N (`env.HandleExitWithCode`). CI installs the
//! package (`.ci/run`); without it these tests fail, they never skip.
//!
//! What is normalised, and why:
//! - Store paths: each side has its own temporary store; both are replaced by `<STORE>`.
//! - The program name: upstream's argv\[0\] inside the wrapper is
//!   `python3 -m kubernetes_lite.setup_envtest`; ours is given the same name through
//!   [`Io::program_name`] (no text is rewritten).
//! - pflag parse errors: the wrapper parses with pflag v1.0.5 and `PanicOnError`, which
//!   prints `<error>\n<usage>` and panics. Upstream's binary parses with `ExitOnError` and a
//!   current pflag (≥ v1.0.9, whose `fail` prints only the usage and whose `Parse` then
//!   prints `<error>` to stderr and exits 2, or exits 0 for `-h`/`ErrHelp`). The expected
//!   result is rebuilt from the wrapper's output in that order: `<usage><error>\n`, exit 2;
//!   `-h`: `<usage>`, exit 0.
//! - The `version` command: the vendored `main.go` (controller-runtime `1947a94`) predates
//!   it, so it is not compared, and its paragraph in the usage text (present in upstream's
//!   current `main.go`) is added to the wrapper's usage before comparing.

use std::time::Duration;

use klite_setup_envtest::{env_from_pairs, run_with_retry, Io, Platform};
use serde::Deserialize;

use crate::common::*;

/// Upstream's argv\[0\] inside the kubernetes-lite wrapper.
const UPSTREAM_PROGRAM: &str = "python3 -m kubernetes_lite.setup_envtest";

/// Runs a batch of command lines through upstream in one Python process (one Go runtime
/// start instead of one per step). argv: <steps.json> <results.json>.
///
/// The vendored `main.go` keeps `--print` and `-v` in package globals that a new flag set
/// does not reset, so after every step the driver parses `--help -p overview -v warn`,
/// which sets both back to their defaults and stops before doing anything else.
const DRIVER: &str = r#"
import json, sys
try:
    from kubernetes_lite.setup_envtest import internal_run_setup_envtest_command as run
except Exception as err:
    sys.stderr.write("cannot import kubernetes_lite.setup_envtest: %r\n" % (err,))
    sys.exit(3)
steps = json.load(open(sys.argv[1]))
results = []
for number, step in enumerate(steps):
    with open(sys.argv[2] + ".progress", "w") as progress:
        progress.write("step %d: %r" % (number, step["args"]))
    result = run(*step["args"], stdin=bytes.fromhex(step["stdin"]))
    results.append({"stdout": result.stdout or "", "stderr": result.stderr or "", "error": result.error})
    run("--help", "-p", "overview", "-v", "warn")
json.dump(results, open(sys.argv[2], "w"))
"#;

/// One command line; `--bin-dir <store> --index <url>` are appended on both sides.
struct Step {
    args: Vec<String>,
    stdin: Vec<u8>,
}

fn step(args: &[&str]) -> Step {
    Step {
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: Vec::new(),
    }
}

/// `envtest_archive(version)` laid out like GNU tar's output (which builds the published
/// archives): the tar stream padded to whole 10 KiB records. The wrapper feeds stdin through
/// a pipe it never closes, so upstream's gzip reader would block for ever looking for a
/// next gzip member if the tar reader's last block ended the deflate stream; with the
/// padding, the tar reader stops before the end, as with real archives.
fn sideload_archive(version: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(envtest_archive(version).as_slice())
        .read_to_end(&mut tar)
        .unwrap();
    tar.resize(tar.len().div_ceil(10240) * 10240, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn step_with_stdin(args: &[&str], stdin: Vec<u8>) -> Step {
    Step {
        stdin,
        ..step(args)
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

#[derive(Deserialize)]
struct UpstreamResult {
    stdout: String,
    stderr: String,
    error: Option<String>,
}

/// The usage paragraph upstream's current `main.go` has for the `version` command, and the
/// line it follows.
const VERSION_COMMAND_USAGE: (&str, &str) = (
    "\t\tmust have a concrete version and platform.\n\n",
    "\tversion:\n\t\tlist the installed version of setup-envtest.\n\n",
);

/// What the real upstream binary would have exited with and printed, from the wrapper's
/// result (see the module docs).
fn upstream_outcome(result: UpstreamResult) -> Outcome {
    let (after, paragraph) = VERSION_COMMAND_USAGE;
    let result = if result.stderr.contains(after) && !result.stderr.contains(paragraph) {
        UpstreamResult {
            stderr: result
                .stderr
                .replacen(after, &format!("{after}{paragraph}"), 1),
            ..result
        }
    } else {
        result
    };
    let exit = regex::Regex::new(r"(?s)^(.*) \(exit code (\d+)\)$").unwrap();
    let UpstreamResult {
        stdout,
        mut stderr,
        error,
    } = result;
    let code = match error {
        None => 0,
        Some(error) if error == "pflag: help requested" => 0,
        Some(error) => match exit.captures(&error) {
            Some(caps) => {
                stderr.push_str(&caps[1]);
                stderr.push('\n');
                caps[2].parse().unwrap()
            }
            None => {
                let usage = stderr
                    .strip_prefix(&format!("{error}\n"))
                    .unwrap_or_else(|| {
                        panic!("upstream failed without an exit code and without printing the error first: {error:?}\nstderr: {stderr}")
                    })
                    .to_string();
                stderr = format!("{usage}{error}\n");
                2
            }
        },
    };
    Outcome {
        code,
        stdout,
        stderr,
    }
}

fn full_args(step: &Step, store: &str, index: &str) -> Vec<String> {
    let mut args = step.args.clone();
    args.extend([
        "--bin-dir".to_string(),
        store.to_string(),
        "--index".to_string(),
        index.to_string(),
    ]);
    args
}

fn normalise(text: &str, store: &str) -> String {
    text.replace(store, "<STORE>")
}

/// Runs `steps` in order through upstream, in a store of its own.
async fn run_upstream(steps: &[Step], index: &str, env: &[(&str, &str)]) -> Vec<Outcome> {
    let store = TempStore::new();
    let work = tempfile::tempdir().unwrap();
    let steps_json: Vec<serde_json::Value> = steps
        .iter()
        .map(|s| {
            serde_json::json!({
                "args": full_args(s, &store.root(), index),
                "stdin": hex::encode(&s.stdin),
            })
        })
        .collect();
    let steps_path = work.path().join("steps.json");
    let results_path = work.path().join("results.json");
    std::fs::write(&steps_path, serde_json::to_vec(&steps_json).unwrap()).unwrap();

    let mut command = tokio::process::Command::new("python3");
    command
        .arg("-c")
        .arg(DRIVER)
        .arg(&steps_path)
        .arg(&results_path)
        .current_dir(work.path())
        .kill_on_drop(true);
    // The variables upstream reads, so the host's settings cannot leak in.
    for name in [
        "ENVTEST_INSTALLED_ONLY",
        "ENVTEST_USE_ENV",
        "KUBEBUILDER_ASSETS",
        "XDG_DATA_HOME",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = match tokio::time::timeout(Duration::from_secs(60), command.output()).await {
        Err(_) => panic!(
            "upstream setup-envtest (python3 + kubernetes-lite) did not finish within 60s; last started: {}",
            std::fs::read_to_string(work.path().join("results.json.progress")).unwrap_or_default()
        ),
        Ok(Err(err)) => panic!(
            "cannot start python3 to run upstream setup-envtest: {err}; install Python 3 and `pip install kubernetes-lite`"
        ),
        Ok(Ok(output)) => output,
    };
    assert!(
        output.status.success(),
        "upstream setup-envtest could not run (python3 exit {:?}); it comes from PyPI: `pip install kubernetes-lite`.\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<UpstreamResult> =
        serde_json::from_slice(&std::fs::read(&results_path).unwrap()).unwrap();
    assert_eq!(results.len(), steps.len());
    let root = store.root();
    results
        .into_iter()
        .map(|result| {
            let outcome = upstream_outcome(result);
            Outcome {
                code: outcome.code,
                stdout: normalise(&outcome.stdout, &root),
                stderr: normalise(&outcome.stderr, &root),
            }
        })
        .collect()
}

/// Runs `steps` in order through ours, in a store of its own.
async fn run_ours(steps: &[Step], index: &str, env: &[(&str, &str)]) -> Vec<Outcome> {
    let store = TempStore::new();
    let root = store.root();
    let mut outcomes = Vec::new();
    for step in steps {
        let env = env_from_pairs(
            [("HOME", "/nonexistent-home")]
                .iter()
                .chain(env.iter())
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let (mut io, stdout, stderr) = Io::captured(Some(step.stdin.clone()), env);
        io.program_name = UPSTREAM_PROGRAM.to_string();
        let code = run_with_retry(&full_args(step, &root, index), io, FAST_RETRY).await;
        outcomes.push(Outcome {
            code,
            stdout: normalise(&stdout.text(), &root),
            stderr: normalise(&stderr.text(), &root),
        });
    }
    outcomes
}

/// Runs the scenario on both sides and fails listing every step that differs.
async fn assert_parity(steps: &[Step], index: &str, env: &[(&str, &str)]) {
    let theirs = run_upstream(steps, index, env).await;
    let ours = run_ours(steps, index, env).await;
    let mut report = String::new();
    for ((step, ours), theirs) in steps.iter().zip(&ours).zip(&theirs) {
        if ours != theirs {
            report.push_str(&format!(
                "\n=== {:?}\n--- upstream (exit {}):\nstdout: {:?}\nstderr: {:?}\n--- ours (exit {}):\nstdout: {:?}\nstderr: {:?}\n",
                step.args, theirs.code, theirs.stdout, theirs.stderr, ours.code, ours.stdout, ours.stderr
            ));
        }
    }
    assert!(
        report.is_empty(),
        "ours differs from upstream setup-envtest:{report}"
    );
}

/// Platforms published besides the host's (whichever of these is not the host).
fn others() -> Vec<Platform> {
    [
        Platform::new("darwin", "arm64"),
        Platform::new("linux", "arm64"),
        Platform::new("windows", "amd64"),
        Platform::new("linux", "amd64"),
    ]
    .into_iter()
    .filter(|p| *p != Platform::host())
    .take(3)
    .collect()
}

/// An index like the real one: releases in publication order (not sorted), several
/// platforms, a pre-release setup-envtest cannot see, one archive whose published hash is
/// wrong and one whose download is missing.
async fn parity_remote() -> Remote {
    let host = Platform::host();
    let others = others();
    let mut remote = Remote::new().await;
    for version in ["1.28.0", "1.29.3", "1.30.2", "1.29.5", "1.30.0", "1.31.1"] {
        remote.publish(version, &host);
    }
    remote.publish("1.29.3", &others[0]);
    remote.publish("1.30.0", &others[0]);
    remote.publish("1.30.2", &others[1]);
    remote.publish("1.31.1", &others[2]);
    remote.publish_as(
        "v1.32.0-beta.0",
        "1.32.0-beta.0",
        &host,
        envtest_archive("1.32.0-beta.0"),
        None,
    );
    remote.publish_as(
        "v1.27.1",
        "1.27.1",
        &host,
        envtest_archive("1.27.1"),
        Some(sha512_hex(b"not the archive")),
    );
    remote.publish("1.26.4", &host);
    remote.archive_replies("1.26.4", &host, vec![Reply::Status(404)]);
    remote
}

#[tokio::test]
async fn list_matches_upstream() {
    let remote = parity_remote().await;
    let steps = [
        step(&["list", "-i"]),
        step(&["list"]),
        step(&["list", "--os", "*", "--arch", "*"]),
        step(&["list", "1.30.x", "--os", "*", "--arch", "*"]),
        step(&["list", "1.30"]),
        step(&["list", "<1.31"]),
        step(&["list", "<1.30.2"]),
        step(&["list", "<=1.30.0"]),
        step(&["list", "~1.29"]),
        step(&["list", "~1.29.4", "--os", "*", "--arch", "*"]),
        step(&["list", "latest"]),
        step(&["list", "1.99.x"]),
        step(&["use", "1.30.x", "-p", "path"]),
        step(&["use", "1.29.3", "-p", "path"]),
        step(&["list", "-i"]),
        step(&["list", "-i", "1.30.x"]),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
        step(&["list"]),
        step(&["list", "~1.29"]),
        step(&["list", "--os", "*", "--arch", "*"]),
    ];
    assert_parity(&steps, &remote.index_url(), &[]).await;
}

#[tokio::test]
async fn use_matches_upstream() {
    let remote = parity_remote().await;
    let steps = [
        // Fresh store: downloads, with the hash shown.
        step(&["use", "1.30.x"]),
        // Installed: offline, no hash.
        step(&["use", "-i", "1.30.x"]),
        step(&["use", "1.30.x"]),
        step(&["use", "1.30.x", "-p", "path"]),
        step(&["use", "-p", "env", "1.30.x"]),
        step(&["use", "--print=overview", "1.30.x"]),
        // The print mode does not stick from one run to the next.
        step(&["use", "1.30.x"]),
        step(&["use", "~1.29.4", "-p", "path"]),
        step(&["use", "1.28.0"]),
        step(&["use", "1.28.0"]),
        step(&["use", "1.30.0!"]),
        step(&["use", "1.29.x!"]),
        step(&["use", "<1.30"]),
        step(&["use", "latest-on-disk"]),
        step(&["use"]),
        step(&["use", "latest"]),
        step(&["use", "--verify=false", "1.29.3"]),
        step(&["use", "--force", "1.28.0", "-p", "env"]),
        step(&[
            "use", "--os", "darwin", "--arch", "arm64", "1.30.0", "-p", "path",
        ]),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
    ];
    assert_parity(&steps, &remote.index_url(), &[]).await;
}

#[tokio::test]
async fn errors_match_upstream() {
    let remote = parity_remote().await;
    let steps = [
        // Versions that do not exist.
        step(&["use", "1.99.0"]),
        step(&["use", "1.99.x"]),
        step(&["use", "-i", "1.27.0"]),
        step(&["use", "-i", "1.27.x"]),
        step(&["use", "latest-on-disk"]),
        step(&["use", "--os", "darwin", "--arch", "arm64", "1.31.x"]),
        step(&["use", "-i", "--os", "darwin", "--arch", "arm64", "1.30.0"]),
        // Pre-releases are not valid archive names for setup-envtest.
        step(&["use", "1.32.x"]),
        // A wrong published hash, a missing download.
        step(&["use", "1.27.1"]),
        step(&["use", "1.26.x"]),
        step(&["list", "-i"]),
        // Invalid selectors (exit 1).
        step(&["use", "v1.30"]),
        step(&["list", "1.30.0.1"]),
        step(&["cleanup", ">1.2"]),
        step(&["use", "01.30"]),
        // Incoherent or wrong flags, wrong commands and argument counts (exit 2).
        step(&["use", "--force", "-i"]),
        step(&["use", "--os", "*", "1.30.0"]),
        step(&["use", "--os", "", "1.30.0"]),
        step(&["use", "-p", "yaml"]),
        step(&["use", "--remote-bucket", "x"]),
        step(&["use", "-v", "verbose"]),
        step(&["frobnicate"]),
        step(&[]),
        step(&["use", "1.2.3", "extra"]),
        step(&["--help"]),
        step(&["-h"]),
        step(&["sideload", "1.25.x"]),
        step(&["sideload", "1.25.0", "--os", "*"]),
    ];
    assert_parity(&steps, &remote.index_url(), &[]).await;
}

#[tokio::test]
async fn cleanup_and_sideload_match_upstream() {
    let remote = parity_remote().await;
    let others = others();
    let steps = [
        step(&["use", "1.28.0", "-p", "path"]),
        step(&["use", "1.29.5", "-p", "path"]),
        step(&["use", "1.30.0", "-p", "path"]),
        step(&["use", "1.31.1", "-p", "path"]),
        step(&[
            "use",
            "1.30.0",
            "-p",
            "path",
            "--os",
            &others[0].os,
            "--arch",
            &others[0].arch,
        ]),
        step_with_stdin(&["sideload", "1.25.0"], sideload_archive("1.25.0")),
        step_with_stdin(
            &["sideload", "1.25.1", "-p", "path"],
            sideload_archive("1.25.1"),
        ),
        step_with_stdin(
            &[
                "sideload",
                "1.24.0",
                "-p",
                "env",
                "--os",
                &others[1].os,
                "--arch",
                &others[1].arch,
            ],
            sideload_archive("1.24.0"),
        ),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
        step(&["use", "-i", "1.25.x"]),
        step(&["cleanup", "<1.29"]),
        step(&["cleanup", "1.99.x"]),
        step(&["cleanup", "1.30.x", "--os", "*", "--arch", "*"]),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
        step(&["cleanup"]),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
        step(&["cleanup", "--os", "*", "--arch", "*"]),
        step(&["list", "-i", "--os", "*", "--arch", "*"]),
    ];
    assert_parity(&steps, &remote.index_url(), &[]).await;
}

#[tokio::test]
async fn environment_variables_match_upstream() {
    let remote = parity_remote().await;
    let index = remote.index_url();

    // ENVTEST_INSTALLED_ONLY (any value) makes -i the default.
    let installed_only = [
        step(&["use", "1.30.x"]),
        step(&["list"]),
        step(&["use", "--installed-only=false", "1.30.x", "-p", "path"]),
        step(&["use", "1.30.x"]),
    ];
    assert_parity(
        &installed_only,
        &index,
        &[("ENVTEST_INSTALLED_ONLY", "false")],
    )
    .await;

    // KUBEBUILDER_ASSETS with --use-env / ENVTEST_USE_ENV: a store-shaped name is taken
    // as is, without looking at the disk or the selector.
    let store_shaped = [
        step(&["use", "--use-env", "1.31.x"]),
        step(&["use", "--use-env", "-p", "env", "-i"]),
        step(&["use", "1.30.x", "-p", "path"]),
    ];
    let assets = ("KUBEBUILDER_ASSETS", "/opt/it's/1.29.0-linux-amd64");
    assert_parity(&store_shaped, &index, &[assets]).await;
    assert_parity(
        &store_shaped[..1],
        &index,
        &[assets, ("ENVTEST_USE_ENV", "1")],
    )
    .await;

    // A directory holding the three binaries: version `*`, platform `*/*`.
    let dir = tempfile::tempdir().unwrap();
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        std::fs::write(dir.path().join(name), binary(name, "x")).unwrap();
    }
    let dir_path = dir.path().to_string_lossy().into_owned();
    let binaries_dir = [
        step(&["use", "--use-env"]),
        step(&["use", "--use-env", "-p", "path"]),
    ];
    assert_parity(&binaries_dir, &index, &[("KUBEBUILDER_ASSETS", &dir_path)]).await;

    // A directory missing a binary: normal `use` logic.
    std::fs::remove_file(dir.path().join("kubectl")).unwrap();
    let incomplete = [step(&["use", "--use-env", "1.29.x", "-p", "path"])];
    assert_parity(&incomplete, &index, &[("KUBEBUILDER_ASSETS", &dir_path)]).await;
}

/// The expected-output reconstruction itself: exit codes and messages as upstream's
/// `HandleExitWithCode` and pflag print them.
#[test]
fn upstream_results_become_exit_codes_and_stderr() {
    let outcome = |stderr: &str, error: Option<&str>| {
        upstream_outcome(UpstreamResult {
            stdout: String::new(),
            stderr: stderr.to_string(),
            error: error.map(str::to_string),
        })
    };
    assert_eq!(outcome("", None).code, 0);
    let exit = outcome("", Some("no such version (exit code 2)"));
    assert_eq!((exit.code, exit.stderr.as_str()), (2, "no such version\n"));
    let help = outcome("USAGE\n", Some(" (exit code 2)"));
    assert_eq!((help.code, help.stderr.as_str()), (2, "USAGE\n\n"));
    let parse = outcome("unknown flag: --x\nUSAGE\n", Some("unknown flag: --x"));
    assert_eq!(
        (parse.code, parse.stderr.as_str()),
        (2, "USAGE\nunknown flag: --x\n")
    );
    let usage = "\tsideload:\n\t\tmust have a concrete version and platform.\n\nVersions:\n";
    let with_version = outcome(usage, Some("unknown action \"x\" (exit code 2)"));
    assert_eq!(
        with_version.stderr,
        "\tsideload:\n\t\tmust have a concrete version and platform.\n\n\tversion:\n\t\tlist the installed version of setup-envtest.\n\nVersions:\nunknown action \"x\"\n"
    );
    let short_help = outcome("USAGE\n", Some("pflag: help requested"));
    assert_eq!(
        (short_help.code, short_help.stderr.as_str()),
        (0, "USAGE\n")
    );
}
