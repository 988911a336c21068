//! Binaries from the setup-envtest store, populated by klite-setup-envtest from a local
//! index (served here over HTTP), and `autoSetup` downloading into an empty store.

use std::io::Write;
use std::path::Path;

use crate::support::*;
use klite_envtest::{EnvTest, EnvTestOptions, Mode, RunningMode};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An envtest archive as upstream packs it (`controller-tools/envtest/<binary>`), whose
/// binaries exec Debian's etcd and the stand-in kube-apiserver (exec keeps the pid).
fn envtest_archive() -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut add = |name: &str, target: &Path| {
        let script = format!("#!/bin/sh\nexec '{}' \"$@\"\n", target.display());
        let mut header = tar::Header::new_gnu();
        header.set_size(script.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("controller-tools/envtest/{name}"),
                script.as_bytes(),
            )
            .unwrap();
    };
    add("etcd", &etcd());
    add("kube-apiserver", &kube_apiserver());
    add("kubectl", Path::new("/bin/false"));
    let mut encoder = builder.into_inner().unwrap();
    encoder.flush().unwrap();
    encoder.finish().unwrap()
}

/// Serves `/index.yaml` and the archive for version 1.31.0 on 127.0.0.1; returns the index URL.
async fn serve_index() -> String {
    let archive = envtest_archive();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let host = klite_setup_envtest::Platform::host();
    let archive_name = format!("envtest-v1.31.0-{}-{}.tar.gz", host.os, host.arch);
    let index = format!(
        "releases:\n  v1.31.0:\n    {archive_name}:\n      hash: {}\n      selfLink: {base}/{archive_name}\n",
        hex::encode(sha2::Sha512::digest(&archive))
    );
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (index, archive, archive_name) =
                (index.clone(), archive.clone(), archive_name.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request);
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let (status, body) = if path == "/index.yaml" {
                    ("200 OK", index.into_bytes())
                } else if path == format!("/{archive_name}") {
                    ("200 OK", archive)
                } else {
                    ("404 Not Found", b"not found".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    format!("{base}/index.yaml")
}

#[tokio::test]
async fn binaries_come_from_a_store_populated_by_klite_setup_envtest() {
    let scratch = tempfile::tempdir().unwrap();
    let index = serve_index().await;
    let store = scratch.path().join("store");
    let env = hermetic_env(scratch.path());
    let args: Vec<String> = [
        "use",
        "--index",
        &index,
        "--bin-dir",
        store.to_str().unwrap(),
        "-p",
        "path",
        "1.31.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (io, stdout, stderr) = klite_setup_envtest::Io::captured(None, env.lookup());
    let code = klite_setup_envtest::run(&args, io).await;
    assert_eq!(code, 0, "setup-envtest failed: {}", stderr.text());
    let host = klite_setup_envtest::Platform::host();
    assert_eq!(
        stdout.text(),
        store
            .join(format!("k8s/1.31.0-{}-{}", host.os, host.arch))
            .display()
            .to_string()
    );

    let options = EnvTestOptions {
        mode: Mode::Binaries,
        version: Some("1.31.x".into()),
        store_root: Some(store.clone()),
        auto_setup: false,
        env,
        ..EnvTestOptions::default()
    };
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Binaries);
    call(
        &client(envtest.kubeconfig()).await,
        "GET",
        "/api/v1/namespaces/default",
        None,
    )
    .await
    .unwrap();
    let pids = envtest.pids().to_vec();
    envtest.stop().await.unwrap();
    assert_processes_exit(&pids, std::time::Duration::from_secs(5));

    // A selector nothing installed matches, without autoSetup: a clear error.
    let options = EnvTestOptions {
        mode: Mode::Binaries,
        version: Some("1.30.x".into()),
        store_root: Some(store),
        auto_setup: false,
        env: hermetic_env(scratch.path()),
        ..EnvTestOptions::default()
    };
    let err = EnvTest::start(options).await.unwrap_err().to_string();
    assert!(err.contains("autoSetup is off"), "{err}");
}

#[tokio::test]
async fn auto_setup_downloads_into_an_empty_store() {
    let scratch = tempfile::tempdir().unwrap();
    let index = serve_index().await;
    let store = scratch.path().join("store");
    let options = EnvTestOptions {
        mode: Mode::Auto,
        store_root: Some(store.clone()),
        index_url: Some(index),
        env: hermetic_env(scratch.path()),
        ..EnvTestOptions::default()
    };
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(
        envtest.mode(),
        RunningMode::Binaries,
        "fell back: {:?}",
        envtest.fallback_reason()
    );
    let host = klite_setup_envtest::Platform::host();
    assert!(store
        .join(format!("k8s/1.31.0-{}-{}/etcd", host.os, host.arch))
        .is_file());
    envtest.stop().await.unwrap();
}

#[tokio::test]
async fn auto_mode_falls_back_when_the_download_fails() {
    let scratch = tempfile::tempdir().unwrap();
    // An index URL nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/index.yaml", dead.local_addr().unwrap());
    drop(dead);
    let options = EnvTestOptions {
        mode: Mode::Auto,
        store_root: Some(scratch.path().join("store")),
        index_url: Some(url),
        env: hermetic_env(scratch.path()),
        ..EnvTestOptions::default()
    };
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Embedded);
    let reason = envtest.fallback_reason().unwrap();
    assert!(
        reason.starts_with("setting up envtest binaries failed:"),
        "{reason}"
    );
    envtest.stop().await.unwrap();
}
