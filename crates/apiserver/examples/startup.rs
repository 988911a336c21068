//! Start-to-ready of the embedded API server, over N starts in one process:
//! `cargo run --release -p klite-apiserver --example startup [-- N]`.
//!
//! "Ready" is what `start()` returning means: certificates made, bootstrap
//! objects (namespaces, RBAC policy) stored, listener accepting. The first start
//! of a process is reported separately (it builds the shared registry and the
//! bootstrap template); then min/median/max over the rest, and the same for a
//! start followed by the first HTTPS `GET /readyz` answered.

use std::time::{Duration, Instant};

use klite_apiserver::{start, ServerOptions};

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<36} n={:<4} min {:>7.2} ms  median {:>7.2} ms  max {:>7.2} ms",
        samples.len(),
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50)
        .max(2);
    let began = Instant::now();
    let first = start(ServerOptions::default())
        .await
        .expect("server starts");
    let first_start = began.elapsed();
    first.stop().await;
    println!(
        "first start in this process             {:>7.2} ms",
        first_start.as_secs_f64() * 1000.0
    );
    let mut starts = Vec::with_capacity(n);
    let mut ready = Vec::with_capacity(n);
    for _ in 0..n {
        let began = Instant::now();
        let server = start(ServerOptions::default())
            .await
            .expect("server starts");
        starts.push(began.elapsed());
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).expect("ca"),
            )
            .build()
            .expect("client");
        let answered = client
            .get(format!("{}/readyz", server.url()))
            .send()
            .await
            .expect("readyz");
        assert_eq!(answered.status().as_u16(), 200);
        ready.push(began.elapsed());
        server.stop().await;
    }
    summary("start() (ready to accept)", starts);
    summary("start() + first GET /readyz (TLS)", ready);
}
