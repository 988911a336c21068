//! Shared fixtures for the integration tests: Debian's etcd, the stand-in
//! kube-apiserver built from this workspace, asset directories and a kube client.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use klite_envtest::{EnvTestOptions, EnvVars, Mode};
use serde_json::Value;

/// Debian's etcd (`apt-get install etcd-server`).
pub fn etcd() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("KLITE_TEST_ETCD").unwrap_or_else(|_| "/usr/bin/etcd".into()));
    assert!(
        path.is_file(),
        "etcd not found at {}: run `apt-get install -y etcd-server` (or set KLITE_TEST_ETCD)",
        path.display()
    );
    path
}

/// The stand-in kube-apiserver of klite-apiserver: `KLITE_TEST_KUBE_APISERVER` (`npm test`
/// built it already), else built on first use.
pub fn kube_apiserver() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        if let Ok(path) = std::env::var("KLITE_TEST_KUBE_APISERVER") {
            return PathBuf::from(path);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--message-format=json",
                "-p",
                "klite-apiserver",
                "--bin",
                "klite-kube-apiserver",
            ])
            .current_dir(&workspace)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("running cargo build for the stand-in kube-apiserver");
        assert!(
            output.status.success(),
            "building klite-kube-apiserver failed"
        );
        // Where cargo put it (CARGO_TARGET_DIR and CARGO_BUILD_TARGET move it): its own answer.
        let path = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|message| {
                message["reason"] == "compiler-artifact"
                    && message["target"]["name"] == "klite-kube-apiserver"
            })
            .and_then(|message| message["executable"].as_str().map(PathBuf::from))
            .expect("cargo build named no klite-kube-apiserver executable");
        assert!(path.is_file(), "{} missing after build", path.display());
        path
    })
    .clone()
}

/// A directory laid out like `KUBEBUILDER_ASSETS` (`etcd`, `kube-apiserver`, `kubectl`).
pub fn asset_dir(parent: &Path) -> PathBuf {
    let dir = parent.join("assets");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(etcd(), dir.join("etcd")).unwrap();
    std::os::unix::fs::symlink(kube_apiserver(), dir.join("kube-apiserver")).unwrap();
    dir
}

/// A hermetic environment: its own cache dir (port locks, run records), HOME and
/// nothing that points at binaries.
pub fn hermetic_env(scratch: &Path) -> EnvVars {
    let home = scratch.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut env = EnvVars::from_pairs([
        ("HOME", home.to_str().unwrap()),
        ("XDG_CACHE_HOME", scratch.join("cache").to_str().unwrap()),
        ("XDG_DATA_HOME", scratch.join("data").to_str().unwrap()),
    ]);
    if let Ok(path) = std::env::var("PATH") {
        env.set("PATH", path);
    }
    env
}

/// Options for binaries mode with the given environment.
pub fn binaries_options(env: EnvVars) -> EnvTestOptions {
    EnvTestOptions {
        mode: Mode::Binaries,
        auto_setup: false,
        env,
        ..EnvTestOptions::default()
    }
}

/// A CRD for `widgets.example.com` (namespaced, v1 served and stored, status subresource).
pub fn widget_crd_yaml() -> &'static str {
    "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
"
}

/// A client for a kubeconfig.
pub async fn client(kubeconfig: &str) -> kube::Client {
    let parsed = kube::config::Kubeconfig::from_yaml(kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(parsed, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// Sends a request; `Ok(body)` or `Err(http status code)`.
pub async fn call(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, u16> {
    let mut request = http::Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(
            body.map(|b| serde_json::to_vec(&b).unwrap())
                .unwrap_or_default(),
        )
        .unwrap();
    match client.request::<Value>(request).await {
        Ok(value) => Ok(value),
        Err(kube::Error::Api(status)) => Err(status.code),
        Err(other) => panic!("{method} {path}: {other}"),
    }
}

/// Whether a process exists (and is not a zombie).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits until none of the pids is alive; panics naming the survivors.
pub fn assert_processes_exit(pids: &[u32], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|p| process_alive(*p)).collect();
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes still running: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
