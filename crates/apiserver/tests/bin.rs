//! The stand-in `klite-kube-apiserver` binary with envtest's command line.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_klite-kube-apiserver");

#[test]
fn help_lists_envtest_flags_without_insecure_port() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--secure-port"));
    assert!(text.contains("--cert-dir"));
    assert!(
        !regex_like_insecure_port(&text),
        "--insecure-port must not appear (envtest treats us as >= 1.24)"
    );
}

fn regex_like_insecure_port(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("--insecure-port"))
}

/// A fake etcd that answers `GET /health` with 200 while `up` is set.
async fn fake_etcd(up: Arc<AtomicBool>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                break;
            };
            let up = up.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let resp = if up.load(Ordering::SeqCst) {
                    "HTTP/1.1 200 OK\r\nContent-Length: 18\r\nConnection: close\r\n\r\n{\"health\":\"true\"}\n"
                } else {
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                };
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    port
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn binary_serves_with_envtest_flags_gates_health_on_etcd_and_exits_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let client_ca = klite_apiserver::CertAuthority::generate("client-ca").unwrap();
    let ca_file = dir.path().join("client-cert-auth-ca.crt");
    std::fs::write(&ca_file, client_ca.cert_pem()).unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let etcd_port = fake_etcd(up.clone()).await;
    let port = free_port();
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "--allow-privileged=true",
            "--authorization-mode=RBAC",
            "--bind-address=127.0.0.1",
            &format!("--cert-dir={}", dir.path().display()),
            &format!("--client-ca-file={}", ca_file.display()),
            "--disable-admission-plugins=ServiceAccount",
            &format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
            &format!("--secure-port={port}"),
            &format!("--service-account-issuer=https://127.0.0.1:{port}/"),
            "--service-cluster-ip-range=10.96.0.0/12",
            "--some-future-flag=1",
        ])
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let anon = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}/healthz");
    let mut saw_unhealthy = false;
    for _ in 0..100 {
        match anon.get(&url).send().await {
            Ok(r) if r.status().as_u16() != 200 => {
                saw_unhealthy = true;
                break;
            }
            Ok(_) => panic!("healthy while etcd is down"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(saw_unhealthy, "server came up and reported etcd unhealthy");
    up.store(true, Ordering::SeqCst);
    let mut healthy = false;
    for _ in 0..100 {
        if anon
            .get(&url)
            .send()
            .await
            .map(|r| r.status().as_u16() == 200)
            .unwrap_or(false)
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "healthz turns 200 once etcd answers");
    assert!(
        dir.path().join("apiserver.crt").exists() && dir.path().join("apiserver.key").exists(),
        "serving cert generated into --cert-dir"
    );
    let admin = client_ca
        .issue_client("admin", &["system:masters"])
        .unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .identity(
            reqwest::Identity::from_pem(format!("{}{}", admin.cert_pem, admin.key_pem).as_bytes())
                .unwrap(),
        )
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "https://127.0.0.1:{port}/api/v1/namespaces/default"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "client certs signed by --client-ca-file authenticate"
    );
    let text = client
        .get(format!(
            "https://127.0.0.1:{port}/api/v1/namespaces/default/services/kubernetes"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        r["spec"]["clusterIP"], "10.96.0.1",
        "the kubernetes Service takes the first address of --service-cluster-ip-range"
    );
    let pid = child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits promptly")
        .unwrap();
    assert!(exit.success(), "exit 0 on SIGTERM: {exit:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(
        stderr.contains("ignoring unknown flag --some-future-flag"),
        "{stderr}"
    );
}
