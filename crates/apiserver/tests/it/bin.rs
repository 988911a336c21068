//! The stand-in `klite-kube-apiserver` binary with envtest's command line.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

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

#[test]
fn a_bad_server_flag_value_is_refused_in_kube_apiservers_words() {
    for (flag, value) in [
        ("--service-node-port-range", "30000-x"),
        ("--default-watch-cache-size", "-1"),
    ] {
        let out = std::process::Command::new(BIN)
            .args([flag, value, "--secure-port", "0"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag} {value} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("invalid argument {value:?} for \"{flag}\"")),
            "{stderr}"
        );
    }
}

fn regex_like_insecure_port(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("--insecure-port"))
}

/// A real etcd (Debian's `/usr/bin/etcd`, or `etcd` on PATH) on random ports
/// with a temporary data dir; killed on drop.
struct Etcd {
    child: std::process::Child,
    port: u16,
}

impl Etcd {
    fn binary() -> String {
        if std::path::Path::new("/usr/bin/etcd").is_file() {
            return "/usr/bin/etcd".into();
        }
        "etcd".into()
    }

    /// Start etcd serving clients on `port`.
    fn start(data: &std::path::Path, port: u16) -> Etcd {
        let peer = free_port();
        let child = std::process::Command::new(Self::binary())
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--listen-client-urls=http://127.0.0.1:{port}"))
            .arg(format!("--advertise-client-urls=http://127.0.0.1:{port}"))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
            .arg(format!(
                "--initial-advertise-peer-urls=http://127.0.0.1:{peer}"
            ))
            .arg(format!("--initial-cluster=default=http://127.0.0.1:{peer}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd runs (apt-get install etcd-server)");
        Etcd { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/health", self.url())).send().await {
                if r.status().as_u16() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("etcd did not become healthy");
    }

    /// One key as etcd holds it: (value JSON, mod_revision).
    async fn get(&self, key: &str) -> Option<(serde_json::Value, u64)> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let bytes = reqwest::Client::new()
            .post(format!("{}/v3/kv/range", self.url()))
            .body(serde_json::json!({"key": b64.encode(key)}).to_string())
            .send()
            .await
            .ok()?
            .bytes()
            .await
            .ok()?;
        let answer: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let kv = answer.get("kvs")?.get(0)?;
        let value = b64.decode(kv["value"].as_str()?).ok()?;
        Some((
            serde_json::from_slice(&value).ok()?,
            kv["mod_revision"].as_str()?.parse().ok()?,
        ))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill();
    }
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
    let etcd_data = tempfile::tempdir().unwrap();
    let etcd_port = free_port();
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
    // etcd is not running yet: nothing is served (the storage must answer first).
    for _ in 0..10 {
        if let Ok(r) = anon.get(&url).send().await {
            panic!("served while etcd is down: {}", r.status());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let etcd = Etcd::start(etcd_data.path(), etcd_port);
    etcd.wait_healthy().await;
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

/// A stand-in on `etcd` with envtest's flags; the admin client (client CA signed).
struct StandIn {
    child: tokio::process::Child,
    base: String,
    client: reqwest::Client,
}

impl StandIn {
    async fn start(
        dir: &std::path::Path,
        etcd: &Etcd,
        client_ca: &klite_apiserver::CertAuthority,
    ) -> StandIn {
        let port = free_port();
        let child = tokio::process::Command::new(BIN)
            .args([
                &format!("--cert-dir={}", dir.display()),
                &format!("--client-ca-file={}", dir.join("ca.crt").display()),
                &format!("--etcd-servers={}", etcd.url()),
                &format!("--secure-port={port}"),
                "--bind-address=127.0.0.1",
            ])
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let admin = client_ca
            .issue_client("admin", &["system:masters"])
            .unwrap();
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .danger_accept_invalid_certs(true)
            .identity(
                reqwest::Identity::from_pem(
                    format!("{}{}", admin.cert_pem, admin.key_pem).as_bytes(),
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        let stand_in = StandIn {
            child,
            base: format!("https://127.0.0.1:{port}"),
            client,
        };
        for _ in 0..300 {
            if stand_in.healthz().await.0 == 200 {
                return stand_in;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the stand-in did not become healthy");
    }

    async fn healthz(&self) -> (u16, String) {
        match self
            .client
            .get(format!("{}/healthz", self.base))
            .send()
            .await
        {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let r = request.send().await.unwrap();
        let code = r.status().as_u16();
        let bytes = r.bytes().await.unwrap();
        (
            code,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    async fn stop(mut self) {
        let pid = self.child.id().unwrap();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("exits promptly")
            .unwrap();
        assert!(exit.success(), "{exit:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_backed_objects_survive_a_restart_and_a_lost_etcd_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let ca = klite_apiserver::CertAuthority::generate("client-ca").unwrap();
    std::fs::write(dir.path().join("ca.crt"), ca.cert_pem()).unwrap();
    let etcd_data = tempfile::tempdir().unwrap();
    let mut etcd = Etcd::start(etcd_data.path(), free_port());
    etcd.wait_healthy().await;

    let first = StandIn::start(dir.path(), &etcd, &ca).await;
    let (code, cm) = first
        .send(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "b"}})),
        )
        .await;
    assert_eq!(code, 201, "{cm}");
    let rv: u64 = cm["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Written through: etcd holds it under the upstream key, its mod_revision is the RV,
    // and the stored JSON has no resourceVersion (as upstream's storage).
    let (stored, mod_revision) = etcd
        .get("/registry/configmaps/default/kept")
        .await
        .expect("the ConfigMap is in etcd");
    assert_eq!(mod_revision, rv);
    assert_eq!(stored["data"], serde_json::json!({"a": "b"}));
    assert!(
        stored["metadata"].get("resourceVersion").is_none(),
        "{stored}"
    );
    assert!(etcd.get("/registry/namespaces/default").await.is_some());
    let crd = serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let (code, body) = first
        .send(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            Some(crd),
        )
        .await;
    assert_eq!(code, 201, "{body}");
    let widget = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 2}});
    let mut created = (0, serde_json::Value::Null);
    for _ in 0..100 {
        created = first
            .send(
                "POST",
                "/apis/example.com/v1/namespaces/default/widgets",
                Some(widget.clone()),
            )
            .await;
        if created.0 == 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(created.0, 201, "{}", created.1);
    assert!(etcd
        .get("/registry/example.com/widgets/default/w")
        .await
        .is_some());
    let (_, deleted) = first
        .send(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gone"}})),
        )
        .await;
    assert_eq!(deleted["metadata"]["name"], "gone");
    let (code, _) = first
        .send("DELETE", "/api/v1/namespaces/default/configmaps/gone", None)
        .await;
    assert_eq!(code, 200);
    assert!(etcd
        .get("/registry/configmaps/default/gone")
        .await
        .is_none());
    let (_, list) = first.send("GET", "/api/v1/configmaps", None).await;
    let last_rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    first.stop().await;

    // A new stand-in on the same etcd serves the same data, at the same revisions.
    let second = StandIn::start(dir.path(), &etcd, &ca).await;
    let (code, again) = second
        .send("GET", "/api/v1/namespaces/default/configmaps/kept", None)
        .await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["data"], cm["data"]);
    assert_eq!(again["metadata"]["uid"], cm["metadata"]["uid"]);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        cm["metadata"]["resourceVersion"]
    );
    let (code, w) = second
        .send(
            "GET",
            "/apis/example.com/v1/namespaces/default/widgets/w",
            None,
        )
        .await;
    assert_eq!(code, 200, "the CRD is served again: {w}");
    assert_eq!(w["spec"]["size"], 2);
    let (code, _) = second
        .send("GET", "/api/v1/namespaces/default/configmaps/gone", None)
        .await;
    assert_eq!(code, 404);
    let (_, list) = second.send("GET", "/api/v1/configmaps", None).await;
    let restarted_rv: u64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(restarted_rv >= last_rv, "{restarted_rv} < {last_rv}");
    let (code, newer) = second
        .send(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "newer"}})),
        )
        .await;
    assert_eq!(code, 201);
    let newer_rv: u64 = newer["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        newer_rv > restarted_rv,
        "one cluster-wide counter continues"
    );
    assert_eq!(
        etcd.get("/registry/configmaps/default/newer")
            .await
            .unwrap()
            .1,
        newer_rv
    );

    // etcd goes away: health reports it and writes fail with a 5xx Status.
    etcd.kill();
    let mut reported = String::new();
    for _ in 0..100 {
        let (code, text) = second.healthz().await;
        if code == 500 {
            reported = text;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reported.contains("[-]etcd failed"), "{reported:?}");
    let (code, failed) = second
        .send(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lost"}})),
        )
        .await;
    assert_eq!(code, 500, "{failed}");
    assert_eq!(failed["kind"], "Status");
    assert!(
        failed["message"].as_str().unwrap_or("").contains("etcd"),
        "{failed}"
    );
    // Reads are still answered from the server's cache, like kube-apiserver's watch cache.
    let (code, _) = second
        .send("GET", "/api/v1/namespaces/default/configmaps/kept", None)
        .await;
    assert_eq!(code, 200);
    second.stop().await;
}
