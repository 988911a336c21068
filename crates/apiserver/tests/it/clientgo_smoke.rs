//! Real-client smoke suite: client-go's dynamic client, through the
//! `kubernetes-lite` Python package (client-go compiled for Python), against the
//! embedded server over HTTPS. Missing python3 or kubernetes-lite is a failure
//! with instructions, not a skip.

use std::process::Stdio;
use std::time::Duration;

use klite_apiserver::{start, ServerOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_go_dynamic_client_round_trip() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import kubernetes_lite"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the client-go smoke suite needs the PyPI package kubernetes-lite: run `pip install kubernetes-lite` ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("the client-go smoke suite needs python3 on PATH: {e}"),
    }
    let server = start(ServerOptions::default())
        .await
        .expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig(server.admin())).expect("write kubeconfig");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clientgo_smoke.py");
    let child = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn python3");
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the client-go script finished within 120 s")
        .expect("script output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client-go checks failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "{stdout}\n{stderr}"
    );
    server.stop().await;
}
