//! Cost of etcd write-through per write: N ConfigMap creates over HTTPS against
//! an in-memory server and against one backed by a fresh etcd (`/usr/bin/etcd`
//! on random ports, temp data dir, killed at the end), plus the raw etcd put.
//! `cargo run --release -p klite-apiserver --example etcd_write_through [-- N]`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use klite_apiserver::store::etcd::Etcd;
use klite_apiserver::{start, PersistentStore, ServerOptions};

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<34} n={:<4} min {:>7.3} ms  median {:>7.3} ms  max {:>7.3} ms",
        samples.len(),
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn creates(options: ServerOptions, n: usize) -> Vec<Duration> {
    let server = start(options).await.expect("server starts");
    let admin = server.admin();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).expect("ca"),
        )
        .identity(
            reqwest::Identity::from_pem(format!("{}{}", admin.cert_pem, admin.key_pem).as_bytes())
                .expect("identity"),
        )
        .build()
        .expect("client");
    let url = format!("{}/api/v1/namespaces/default/configmaps", server.url());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"cm-{i}"}},"data":{{"k":"v"}}}}"#
        );
        let began = Instant::now();
        let r = client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("create");
        assert_eq!(r.status().as_u16(), 201);
        out.push(began.elapsed());
    }
    server.stop().await;
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        .max(2);
    let data = tempfile::tempdir().expect("temp dir");
    let (client_port, peer_port) = (free_port(), free_port());
    let mut etcd = std::process::Command::new("/usr/bin/etcd")
        .arg(format!("--data-dir={}", data.path().display()))
        .arg(format!(
            "--listen-client-urls=http://127.0.0.1:{client_port}"
        ))
        .arg(format!(
            "--advertise-client-urls=http://127.0.0.1:{client_port}"
        ))
        .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
        .arg(format!(
            "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
        ))
        .arg(format!(
            "--initial-cluster=default=http://127.0.0.1:{peer_port}"
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("etcd (apt-get install etcd-server)");
    let backend =
        Arc::new(Etcd::new(&format!("http://127.0.0.1:{client_port}")).expect("endpoint"));
    let mut ready = false;
    for _ in 0..200 {
        if backend.healthy() {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ready, "etcd became healthy");
    let mut puts = Vec::with_capacity(n);
    for i in 0..n {
        let began = Instant::now();
        backend
            .put(&format!("/bench/{i}"), b"{\"k\":\"v\"}")
            .expect("put");
        puts.push(began.elapsed());
    }
    let memory = creates(ServerOptions::default(), n).await;
    let loaded = backend.load().expect("load");
    let persisted = creates(
        ServerOptions {
            storage: Some(PersistentStore {
                backend: backend.clone(),
                loaded,
            }),
            ..ServerOptions::default()
        },
        n,
    )
    .await;
    summary("etcd put (gateway, fsync)", puts);
    summary("create, in memory", memory);
    summary("create, etcd write-through", persisted);
    let _ = etcd.kill();
    let _ = etcd.wait();
}
