//! Start-to-ready and stop times: `cargo bench -p klite-envtest --bench startup`.
//!
//! Embedded mode is measured at two levels: the server alone (certificates + listener,
//! `EmbeddedServer::start`) and a whole `EnvTest::start` (plus kubeconfig, client,
//! `default` namespace wait). Binaries mode needs Debian's etcd and the stand-in
//! kube-apiserver: set `KLITE_BENCH_ETCD` and `KLITE_BENCH_KUBE_APISERVER` (skipped
//! otherwise, with a note).

use std::time::{Duration, Instant};

use klite_envtest::embedded::EmbeddedServer;
use klite_envtest::{EnvTest, EnvTestOptions, EnvVars, Mode};

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<40} n={:<3} min {:>8.2} ms  median {:>8.2} ms  max {:>8.2} ms",
        samples.len(),
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
}

fn options(mode: Mode, env: EnvVars) -> EnvTestOptions {
    EnvTestOptions {
        mode,
        auto_setup: false,
        env,
        ..EnvTestOptions::default()
    }
}

#[tokio::main]
async fn main() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let env = EnvVars::from_pairs([("XDG_CACHE_HOME", scratch.path().to_str().unwrap_or("/tmp"))]);

    // Warm-up (first TLS setup, page faults).
    let warm = EmbeddedServer::start(&Default::default())
        .await
        .expect("embedded start");
    warm.stop().await;

    let mut server_only = Vec::new();
    for _ in 0..30 {
        let began = Instant::now();
        let server = EmbeddedServer::start(&Default::default())
            .await
            .expect("embedded start");
        server_only.push(began.elapsed());
        server.stop().await;
    }
    summary("embedded server start", server_only);

    let (mut start, mut stop) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let began = Instant::now();
        let envtest = EnvTest::start(options(Mode::Embedded, env.clone()))
            .await
            .expect("embedded EnvTest");
        start.push(began.elapsed());
        let began = Instant::now();
        envtest.stop().await.expect("stop");
        stop.push(began.elapsed());
    }
    summary("embedded EnvTest start-to-ready", start);
    summary("embedded EnvTest stop", stop);

    let (Ok(etcd), Ok(apiserver)) = (
        std::env::var("KLITE_BENCH_ETCD"),
        std::env::var("KLITE_BENCH_KUBE_APISERVER"),
    ) else {
        println!(
            "binaries mode: set KLITE_BENCH_ETCD and KLITE_BENCH_KUBE_APISERVER to measure it"
        );
        return;
    };
    let mut env = env;
    env.set("TEST_ASSET_ETCD", etcd)
        .set("TEST_ASSET_KUBE_APISERVER", apiserver);
    let (mut start, mut stop) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let began = Instant::now();
        let envtest = EnvTest::start(options(Mode::Binaries, env.clone()))
            .await
            .expect("binaries EnvTest");
        start.push(began.elapsed());
        let began = Instant::now();
        envtest.stop().await.expect("stop");
        stop.push(began.elapsed());
    }
    summary("binaries EnvTest start-to-ready", start);
    summary("binaries EnvTest stop", stop);
}
