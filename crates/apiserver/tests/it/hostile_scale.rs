//! Concurrency and scale: racing writers, a watcher that never reads,
//! paginated lists of many objects under concurrent writes.
//!
//! `KLITE_SCALE_N` sets the number of ConfigMaps of the pagination test
//! (default 5000; the 50,000 figure in the report was taken with it set).

use std::sync::Arc;
use std::time::Instant;

use crate::common::*;
use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_writers_with_one_stale_version_have_exactly_one_winner() {
    let h = Arc::new(harness().await);
    let r = h.req("POST", CMS, Some(&cm("race", json!({})))).await;
    let base = r.body.clone();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let h = h.clone();
        let mut body = base.clone();
        body["data"]["writer"] = json!(i.to_string());
        tasks.push(tokio::spawn(async move {
            h.req("PUT", &format!("{CMS}/race"), Some(&body)).await.code
        }));
    }
    let mut ok = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            409 => conflicts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    println!("1000 racing PUTs answered in {:?}", started.elapsed());
    assert_eq!((ok, conflicts), (1, 999));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_modify_write_loops_lose_no_update() {
    let h = Arc::new(harness().await);
    h.req("POST", CMS, Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"counter"},"data":{"n":"0"}}))).await;
    let writers = 10;
    let increments = 20;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let mut rvs = Vec::new();
            for _ in 0..increments {
                loop {
                    let cur = h.req("GET", &format!("{CMS}/counter"), None).await.body;
                    let n: u64 = cur["data"]["n"].as_str().unwrap().parse().unwrap();
                    let mut next = cur.clone();
                    next["data"]["n"] = json!((n + 1).to_string());
                    let r = h.req("PUT", &format!("{CMS}/counter"), Some(&next)).await;
                    match r.code {
                        200 => {
                            rvs.push(
                                r.body["metadata"]["resourceVersion"]
                                    .as_str()
                                    .unwrap()
                                    .to_string(),
                            );
                            break;
                        }
                        409 => continue,
                        c => panic!("unexpected {c}: {}", r.text),
                    }
                }
            }
            rvs
        }));
    }
    let mut all_rvs = std::collections::HashSet::new();
    for t in tasks {
        for rv in t.await.unwrap() {
            assert!(
                all_rvs.insert(rv),
                "every successful write has its own resourceVersion"
            );
        }
    }
    println!(
        "{} read-modify-write increments in {:?}",
        writers * increments,
        started.elapsed()
    );
    let fin = h.req("GET", &format!("{CMS}/counter"), None).await.body;
    assert_eq!(fin["data"]["n"], (writers * increments).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_that_never_reads_blocks_nobody_and_is_expired() {
    let h = Arc::new(
        harness_with(klite_apiserver::ServerOptions {
            watch_history: 100,
            ..Default::default()
        })
        .await,
    );
    // HTTP/1.1 so the unread response backs up on its own TCP connection.
    let stuck_client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(h.server.ca_pem().as_bytes()).unwrap())
        .identity(
            reqwest::Identity::from_pem(
                format!("{}{}", h.server.admin().cert_pem, h.server.admin().key_pem).as_bytes(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let start_rv = h.server.revision();
    let mut stuck = stuck_client
        .get(format!(
            "{}{CMS}?watch=1&resourceVersion={start_rv}",
            h.base
        ))
        .send()
        .await
        .unwrap();
    let mut reader =
        WatchStream::open(&h, &format!("{CMS}?watch=1&resourceVersion={start_rv}")).await;
    let payload = "x".repeat(64 * 1024);
    let total = 400;
    let started = Instant::now();
    let writer = {
        let h = h.clone();
        tokio::spawn(async move {
            for i in 0..total {
                let r = h.req("POST", CMS, Some(&json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":format!("w{i:05}")},"data":{"p":payload}}))).await;
                assert_eq!(r.code, 201);
            }
        })
    };
    for i in 0..total {
        let (ty, name) = reader.next_pair().await;
        assert_eq!(
            (ty.as_str(), name),
            ("ADDED", format!("w{i:05}")),
            "the reading watcher sees every event in order"
        );
    }
    writer.await.unwrap();
    println!(
        "{total} writes of 64 KiB with a stuck watcher in {:?}",
        started.elapsed()
    );
    // Only now read the stuck stream: what was buffered, then expiry.
    let mut last = Value::Null;
    let mut events = 0;
    let mut buf = Vec::new();
    while let Some(chunk) = tokio::time::timeout(std::time::Duration::from_secs(10), stuck.chunk())
        .await
        .unwrap()
        .unwrap()
    {
        buf.extend_from_slice(&chunk);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            last = serde_json::from_slice(&line).unwrap();
            events += 1;
        }
    }
    assert!(
        events < total,
        "the stuck watcher did not get everything ({events})"
    );
    assert_eq!(last["type"], "ERROR");
    assert_eq!(last["object"]["code"], 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginated_list_of_many_objects_under_concurrent_writes_is_exact() {
    let n: usize = std::env::var("KLITE_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let objects: Vec<Value> = (0..n)
        .map(|i| json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":format!("cm-{i:06}"),"namespace":"default","labels":{"i":i.to_string()}},"data":{"v":"x".repeat(64)}}))
        .collect();
    let started = Instant::now();
    let h = Arc::new(
        harness_with(klite_apiserver::ServerOptions {
            objects,
            ..Default::default()
        })
        .await,
    );
    println!(
        "started with {n} pre-loaded ConfigMaps in {:?}",
        started.elapsed()
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writer = None;
    let started = Instant::now();
    let mut names = Vec::with_capacity(n);
    let mut token = String::new();
    let mut pages = 0;
    let mut rv = String::new();
    loop {
        let path = if token.is_empty() {
            format!("{CMS}?limit=500")
        } else {
            format!("{CMS}?limit=500&continue={token}")
        };
        let r = h.req("GET", &path, None).await;
        assert_eq!(r.code, 200, "{}", &r.text[..r.text.len().min(300)]);
        pages += 1;
        if rv.is_empty() {
            rv = r.body["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string();
        }
        assert_eq!(r.body["metadata"]["resourceVersion"].as_str().unwrap(), rv);
        names.extend(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["metadata"]["name"].as_str().unwrap().to_string()),
        );
        if writer.is_none() {
            // Writers start once the snapshot is fixed by the first page: creates, deletes, updates.
            let (h, stop) = (h.clone(), stop.clone());
            writer = Some(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    h.req("POST", CMS, Some(&cm(&format!("aa-new-{i}"), json!({}))))
                        .await;
                    h.req("DELETE", &format!("{CMS}/cm-{:06}", (i * 7919) % n), None)
                        .await;
                    i += 1;
                }
                i
            }));
        }
        match r.body["metadata"]["continue"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = match writer {
        Some(w) => w.await.unwrap(),
        None => 0,
    };
    println!("listed {n} ConfigMaps in {pages} pages of 500 in {elapsed:?} while {writes} create+delete pairs ran");
    let expected: Vec<String> = (0..n).map(|i| format!("cm-{i:06}")).collect();
    let missing = expected
        .iter()
        .filter(|e| names.binary_search(e).is_err())
        .count();
    let mut dedup = names.clone();
    dedup.dedup();
    assert_eq!(
        (names.len(), missing, names.len() - dedup.len()),
        (n, 0, 0),
        "(listed, missing, duplicated)"
    );
    assert!(names == expected, "items come in key order");
    let started = Instant::now();
    let bytes = h
        .admin
        .get(format!("{}{CMS}", h.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    println!(
        "unpaginated list ({} bytes, transfer only) in {:?}",
        bytes.len(),
        started.elapsed()
    );
    let started = Instant::now();
    for _ in 0..10 {
        let page = h
            .admin
            .get(format!("{}{CMS}?limit=500", h.base))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(page.len() > 500 * 64);
    }
    println!(
        "first page of 500 (transfer only): {:?} per request",
        started.elapsed() / 10
    );
}

#[tokio::test]
async fn start_to_ready_is_measured() {
    let mut samples = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let server = klite_apiserver::start(klite_apiserver::ServerOptions::default())
            .await
            .unwrap();
        samples.push(t.elapsed());
        let c = client(&server, Some(server.admin()));
        let r = send(&c, &server.url(), "GET", "/readyz", None, "").await;
        assert_eq!(r.code, 200);
        server.stop().await;
        server.stop().await;
        assert!(
            c.get(format!("{}/readyz", server.url()))
                .send()
                .await
                .is_err(),
            "stopped server refuses connections"
        );
    }
    samples.sort();
    println!(
        "start() to ready: min {:?} median {:?} max {:?}",
        samples[0], samples[2], samples[4]
    );
}
