//! Real-client smoke suite: kubectl (v1.32 on PATH) against the embedded server
//! over HTTPS, with a kubeconfig written by the test. kubectl missing from PATH
//! is a failure, not a skip.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use klite_apiserver::{start, ApiServer, ServerOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn kubectl_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .expect("kubectl is not on PATH: install kubectl v1.32 (CI installs it) to run the kubectl smoke suite")
}

struct Kubectl {
    server: ApiServer,
    binary: PathBuf,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

#[derive(Debug)]
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "kubectl failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.stdout
    }
}

impl Kubectl {
    async fn start() -> Kubectl {
        let server = start(ServerOptions::default())
            .await
            .expect("server starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, server.kubeconfig(server.admin())).expect("write kubeconfig");
        Kubectl {
            server,
            binary: kubectl_binary(),
            dir,
            kubeconfig,
        }
    }

    /// A kubeconfig for another user (client certificate signed by the server's CA).
    fn kubeconfig_for(&self, user: &str, groups: &[&str]) -> PathBuf {
        let creds = self
            .server
            .issue_client_cert(user, groups)
            .expect("issue cert");
        let path = self.dir.path().join(format!("kubeconfig-{user}"));
        std::fs::write(&path, self.server.kubeconfig(&creds)).expect("write kubeconfig");
        path
    }

    fn command(&self, kubeconfig: &Path, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.binary);
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run_as(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(kubeconfig, args)
            .spawn()
            .expect("spawn kubectl");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.expect("write stdin");
        }
        drop(input);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kubectl finished within 60 s")
            .expect("kubectl output");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_as(&self.kubeconfig, args, None).await
    }

    async fn apply_stdin(&self, args: &[&str], manifest: &str) -> Output {
        self.run_as(&self.kubeconfig, args, Some(manifest)).await
    }
}

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  colour: red
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_version_and_identity() {
    let k = Kubectl::start().await;
    let version = k.run(&["version", "-o", "json"]).await.ok();
    assert!(version.contains("\"gitVersion\": \"v1.32.0\""), "{version}");
    let versions = k.run(&["api-versions"]).await.ok();
    for gv in [
        "v1",
        "apps/v1",
        "rbac.authorization.k8s.io/v1",
        "authorization.k8s.io/v1",
        "apiextensions.k8s.io/v1",
    ] {
        assert!(versions.lines().any(|l| l == gv), "{gv} in {versions}");
    }
    let resources = k.run(&["api-resources"]).await.ok();
    let deploy = resources
        .lines()
        .find(|l| l.starts_with("deployments "))
        .expect("deployments listed");
    let cols: Vec<&str> = deploy.split_whitespace().collect();
    assert_eq!(
        cols,
        vec!["deployments", "deploy", "apps/v1", "true", "Deployment"]
    );
    assert!(resources
        .lines()
        .any(|l| l.starts_with("selfsubjectaccessreviews ")));

    let whoami = k.run(&["auth", "whoami"]).await.ok();
    assert!(
        whoami
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Username", "admin"]),
        "{whoami}"
    );
    assert!(
        whoami.contains("[system:masters system:authenticated]"),
        "{whoami}"
    );
    assert_eq!(
        k.run(&["auth", "can-i", "create", "deployments"])
            .await
            .ok()
            .trim(),
        "yes"
    );
    let bob = k.kubeconfig_for("bob", &["devs"]);
    let denied = k
        .run_as(&bob, &["auth", "can-i", "list", "pods"], None)
        .await;
    assert_eq!((denied.code, denied.stdout.trim()), (1, "no"), "{denied:?}");
    let allowed = k
        .run_as(
            &bob,
            &[
                "auth",
                "can-i",
                "create",
                "selfsubjectaccessreviews.authorization.k8s.io",
            ],
            None,
        )
        .await;
    assert_eq!(allowed.stdout.trim(), "yes", "{allowed:?}");
    let forbidden = k.run_as(&bob, &["get", "configmaps"], None).await;
    assert_eq!(forbidden.code, 1);
    assert!(
        forbidden.stderr.contains(
            "configmaps is forbidden: User \"bob\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\""
        ),
        "{forbidden:?}"
    );
    let explain = k.run(&["explain", "deployment.spec.replicas"]).await.ok();
    assert!(
        explain.contains("GROUP:      apps") && explain.contains("replicas"),
        "{explain}"
    );
    assert!(explain.contains("Number of desired pods"), "{explain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_apply_patch_label_delete() {
    let k = Kubectl::start().await;
    // Validation on (the default): kubectl checks OpenAPI and validates server-side.
    assert_eq!(
        k.apply_stdin(&["create", "-f", "-"], CONFIGMAP)
            .await
            .ok()
            .trim(),
        "configmap/settings created"
    );
    let table = k.run(&["get", "configmaps"]).await.ok();
    let mut lines = table.lines();
    assert_eq!(
        lines.next().unwrap().split_whitespace().collect::<Vec<_>>(),
        ["NAME", "DATA", "AGE"]
    );
    let row: Vec<&str> = lines
        .find(|l| l.starts_with("settings"))
        .expect("row")
        .split_whitespace()
        .collect();
    assert_eq!(&row[..2], ["settings", "1"]);
    let yaml = k
        .run(&["get", "configmap", "settings", "-o", "yaml"])
        .await
        .ok();
    assert!(
        yaml.contains("  colour: red")
            && yaml.contains("  name: settings")
            && yaml.contains("resourceVersion:"),
        "{yaml}"
    );

    // Unknown fields are rejected by the server-side Strict validation kubectl asks for.
    let bogus = k
        .apply_stdin(
            &["create", "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bogus\nextra: 1\n",
        )
        .await;
    assert_eq!(bogus.code, 1, "{bogus:?}");
    assert!(
        bogus.stderr.contains("unknown field \"extra\""),
        "{bogus:?}"
    );

    // Client-side apply: create, change, no-op.
    let applied = CONFIGMAP.replace("name: settings", "name: applied");
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], &applied)
            .await
            .ok()
            .trim(),
        "configmap/applied created"
    );
    let changed = applied.replace("colour: red", "colour: blue");
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], &changed)
            .await
            .ok()
            .trim(),
        "configmap/applied configured"
    );
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], &changed)
            .await
            .ok()
            .trim(),
        "configmap/applied unchanged"
    );
    let colour = k
        .run(&["get", "cm", "applied", "-o", "jsonpath={.data.colour}"])
        .await
        .ok();
    assert_eq!(colour, "blue");

    // Patches of every type.
    let merge = k
        .run(&[
            "patch",
            "cm",
            "settings",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"size":"L"}}"#,
        ])
        .await
        .ok();
    assert_eq!(merge.trim(), "configmap/settings patched");
    k.run(&[
        "patch",
        "cm",
        "settings",
        "--type",
        "json",
        "-p",
        r#"[{"op":"replace","path":"/data/colour","value":"green"}]"#,
    ])
    .await
    .ok();
    k.run(&[
        "patch",
        "cm",
        "settings",
        "-p",
        r#"{"data":{"shape":"round"}}"#,
    ])
    .await
    .ok();
    let data = k
        .run(&["get", "cm", "settings", "-o", "jsonpath={.data}"])
        .await
        .ok();
    let data: serde_json::Value = serde_json::from_str(&data).expect("json data");
    assert_eq!(
        data,
        serde_json::json!({"colour": "green", "size": "L", "shape": "round"})
    );

    // Labels and annotations.
    assert_eq!(
        k.run(&["label", "cm", "settings", "team=infra"])
            .await
            .ok()
            .trim(),
        "configmap/settings labeled"
    );
    assert_eq!(
        k.run(&["annotate", "cm", "settings", "note=hello"])
            .await
            .ok()
            .trim(),
        "configmap/settings annotated"
    );
    let selected = k
        .run(&["get", "cm", "-l", "team=infra", "-o", "name"])
        .await
        .ok();
    assert_eq!(selected.trim(), "configmap/settings");
    let note = k
        .run(&[
            "get",
            "cm",
            "settings",
            "-o",
            "jsonpath={.metadata.annotations.note}",
        ])
        .await
        .ok();
    assert_eq!(note, "hello");

    assert_eq!(
        k.run(&["delete", "cm", "settings"]).await.ok().trim(),
        "configmap \"settings\" deleted"
    );
    let missing = k.run(&["get", "cm", "settings"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("Error from server (NotFound): configmaps \"settings\" not found"),
        "{missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_conflicts_and_force() {
    let k = Kubectl::start().await;
    let first = k
        .apply_stdin(&["apply", "--server-side", "-f", "-"], CONFIGMAP)
        .await
        .ok();
    assert_eq!(first.trim(), "configmap/settings serverside-applied");
    let theirs = CONFIGMAP.replace("colour: red", "colour: purple");
    let conflict = k
        .apply_stdin(
            &[
                "apply",
                "--server-side",
                "--field-manager",
                "other",
                "-f",
                "-",
            ],
            &theirs,
        )
        .await;
    assert_eq!(conflict.code, 1, "{conflict:?}");
    assert!(
        conflict.stderr.contains("conflict with \"kubectl\""),
        "{conflict:?}"
    );
    assert!(conflict.stderr.contains(".data.colour"), "{conflict:?}");
    let forced = k
        .apply_stdin(
            &[
                "apply",
                "--server-side",
                "--field-manager",
                "other",
                "--force-conflicts",
                "-f",
                "-",
            ],
            &theirs,
        )
        .await
        .ok();
    assert_eq!(forced.trim(), "configmap/settings serverside-applied");
    let colour = k
        .run(&["get", "cm", "settings", "-o", "jsonpath={.data.colour}"])
        .await
        .ok();
    assert_eq!(colour, "purple");
    let managers = k
        .run(&[
            "get",
            "cm",
            "settings",
            "--show-managed-fields",
            "-o",
            "jsonpath={.metadata.managedFields[*].manager}",
        ])
        .await
        .ok();
    assert!(
        managers.split_whitespace().any(|m| m == "other"),
        "{managers}"
    );
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
";

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_scale_crds_and_watch() {
    let k = Kubectl::start().await;
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], DEPLOYMENT)
            .await
            .ok()
            .trim(),
        "deployment.apps/web created"
    );
    // Strategic merge patch on a keyed list (containers by name).
    k.run(&[
        "patch",
        "deployment",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}"#,
    ])
    .await
    .ok();
    let image = k.run(&["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"]).await.ok();
    assert_eq!(image, "nginx:1.28 80");
    assert_eq!(
        k.run(&["scale", "deployment", "web", "--replicas=3"])
            .await
            .ok()
            .trim(),
        "deployment.apps/web scaled"
    );
    assert_eq!(
        k.run(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])
            .await
            .ok(),
        "3"
    );
    let table = k.run(&["get", "deployments"]).await.ok();
    assert_eq!(
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().take(2).eq(["web", "0/3"])),
        "{table}"
    );

    // A CRD, then its kind through discovery, with its printer columns.
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], CRD).await.ok().trim(),
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
    );
    let none = k.run(&["get", "widgets"]).await;
    assert_eq!(none.code, 0, "{none:?}");
    assert!(
        none.stderr
            .contains("No resources found in default namespace."),
        "{none:?}"
    );
    let widget =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 4\n";
    assert_eq!(
        k.apply_stdin(&["apply", "-f", "-"], widget)
            .await
            .ok()
            .trim(),
        "widget.example.com/w1 created"
    );
    let table = k.run(&["get", "wd"]).await.ok();
    assert_eq!(
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "SIZE"]
    );
    assert!(
        table.lines().any(|l| l.split_whitespace().eq(["w1", "4"])),
        "{table}"
    );
    let explain = k.run(&["explain", "widgets.spec"]).await.ok();
    assert!(
        explain.contains("size") && explain.contains("<integer>"),
        "{explain}"
    );

    // get -w prints the current state, then the changes.
    k.apply_stdin(
        &["create", "-f", "-"],
        &CONFIGMAP.replace("name: settings", "name: first"),
    )
    .await
    .ok();
    let mut watch = k
        .command(&k.kubeconfig, &["get", "configmaps", "-w"])
        .spawn()
        .expect("spawn watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    let header = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("header in time")
        .expect("read");
    assert_eq!(
        header
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["NAME", "DATA", "AGE"]
    );
    k.apply_stdin(&["create", "-f", "-"], CONFIGMAP).await.ok();
    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("settings") {
                return line;
            }
        }
        String::new()
    })
    .await
    .expect("watch event printed in time");
    assert_eq!(
        seen.split_whitespace().take(2).collect::<Vec<_>>(),
        ["settings", "1"]
    );
    watch.start_kill().expect("stop watch");
    let _ = watch.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_unknown_fields_are_rejected_under_strict_validation() {
    let k = Kubectl::start().await;
    let typo = DEPLOYMENT.replace(
        "        image: nginx:1.27\n",
        "        image: nginx:1.27\n        imagePullPolice: Always\n",
    );
    let out = k.apply_stdin(&["create", "-f", "-"], &typo).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("unknown field \"spec.template.spec.containers[0].imagePullPolice\""),
        "{out:?}"
    );
    // --validate=warn: created, with the field dropped and a warning printed.
    let out = k
        .apply_stdin(&["create", "--validate=warn", "-f", "-"], &typo)
        .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("unknown field \"spec.template.spec.containers[0].imagePullPolice\""),
        "{out:?}"
    );
    let yaml = k.run(&["get", "deploy", "web", "-o", "yaml"]).await.ok();
    assert!(!yaml.contains("imagePullPolice"), "{yaml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_all_sort_describe_rules_and_rollout() {
    let k = Kubectl::start().await;
    k.apply_stdin(&["apply", "-f", "-"], DEPLOYMENT).await.ok();
    k.apply_stdin(&["apply", "-f", "-"], CONFIGMAP).await.ok();
    let all = k.run(&["get", "all"]).await.ok();
    assert!(
        all.lines().any(|l| l.starts_with("deployment.apps/web")),
        "{all}"
    );
    // --sort-by asks for includeObject=Object.
    let sorted = k
        .run(&["get", "cm", "--sort-by=.metadata.name", "-A"])
        .await
        .ok();
    assert!(
        sorted.lines().any(|l| l
            .split_whitespace()
            .take(3)
            .eq(["default", "settings", "1"])),
        "{sorted}"
    );
    let described = k.run(&["describe", "deployment", "web"]).await.ok();
    assert!(
        described
            .lines()
            .any(|l| l.split_whitespace().eq(["Name:", "web"])),
        "{described}"
    );
    let rules = k.run(&["auth", "can-i", "--list"]).await.ok();
    assert!(
        rules
            .lines()
            .any(|l| l.split_whitespace().eq(["*.*", "[]", "[]", "[*]"])),
        "{rules}"
    );
    assert_eq!(
        k.run(&["rollout", "restart", "deployment", "web"])
            .await
            .ok()
            .trim(),
        "deployment.apps/web restarted"
    );
    let restarted = k
        .run(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        ])
        .await
        .ok();
    assert!(!restarted.is_empty());
    assert_eq!(
        k.apply_stdin(&["delete", "-f", "-"], CONFIGMAP)
            .await
            .ok()
            .trim(),
        "configmap \"settings\" deleted"
    );
}

/// kubectl's imperative commands use typed clients that send protobuf bodies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imperative_commands_send_protobuf() {
    let k = Kubectl::start().await;
    let expect = [
        (
            vec!["create", "namespace", "team"],
            "namespace/team created",
        ),
        (
            vec![
                "create",
                "configmap",
                "lit",
                "-n",
                "team",
                "--from-literal=a=b",
            ],
            "configmap/lit created",
        ),
        (
            vec![
                "create",
                "secret",
                "generic",
                "pw",
                "-n",
                "team",
                "--from-literal=p=q",
            ],
            "secret/pw created",
        ),
        (
            vec!["create", "serviceaccount", "bot", "-n", "team"],
            "serviceaccount/bot created",
        ),
        (
            vec![
                "create",
                "deployment",
                "web",
                "-n",
                "team",
                "--image=nginx",
                "--port=80",
            ],
            "deployment.apps/web created",
        ),
        (
            vec![
                "create",
                "job",
                "once",
                "-n",
                "team",
                "--image=busybox",
                "--",
                "true",
            ],
            "job.batch/once created",
        ),
        (
            vec![
                "create",
                "cronjob",
                "tick",
                "-n",
                "team",
                "--image=busybox",
                "--schedule=*/5 * * * *",
                "--",
                "date",
            ],
            "cronjob.batch/tick created",
        ),
        (
            vec![
                "create",
                "role",
                "reader",
                "-n",
                "team",
                "--verb=get,list",
                "--resource=pods",
            ],
            "role.rbac.authorization.k8s.io/reader created",
        ),
        (
            vec![
                "create",
                "clusterrole",
                "viewer",
                "--verb=get",
                "--resource=configmaps",
            ],
            "clusterrole.rbac.authorization.k8s.io/viewer created",
        ),
        (
            vec![
                "create",
                "rolebinding",
                "rb",
                "-n",
                "team",
                "--role=reader",
                "--user=alice",
            ],
            "rolebinding.rbac.authorization.k8s.io/rb created",
        ),
        (
            vec![
                "create",
                "clusterrolebinding",
                "crb",
                "--clusterrole=viewer",
                "--serviceaccount=team:bot",
            ],
            "clusterrolebinding.rbac.authorization.k8s.io/crb created",
        ),
        (
            vec![
                "create",
                "service",
                "clusterip",
                "svc",
                "-n",
                "team",
                "--tcp=80:8080",
            ],
            "service/svc created",
        ),
        (
            vec![
                "create",
                "quota",
                "q",
                "-n",
                "team",
                "--hard=pods=10,requests.cpu=2",
            ],
            "resourcequota/q created",
        ),
        (
            vec![
                "create",
                "pdb",
                "budget",
                "-n",
                "team",
                "--selector=app=web",
                "--min-available=1",
            ],
            "poddisruptionbudget.policy/budget created",
        ),
        (
            vec![
                "create",
                "priorityclass",
                "high",
                "--value=1000",
                "--description=important",
            ],
            "priorityclass.scheduling.k8s.io/high created",
        ),
        (
            vec![
                "create",
                "ingress",
                "ing",
                "-n",
                "team",
                "--rule=foo.example.com/bar=svc:80",
            ],
            "ingress.networking.k8s.io/ing created",
        ),
        (
            vec!["scale", "deployment", "web", "-n", "team", "--replicas=2"],
            "deployment.apps/web scaled",
        ),
        (
            vec![
                "set",
                "image",
                "deployment/web",
                "-n",
                "team",
                "nginx=nginx:1.27",
            ],
            "deployment.apps/web image updated",
        ),
        (
            vec!["label", "namespace", "team", "tier=test"],
            "namespace/team labeled",
        ),
        (
            vec!["rollout", "pause", "deployment/web", "-n", "team"],
            "deployment.apps/web paused",
        ),
    ];
    for (args, output) in expect {
        assert_eq!(k.run(&args).await.ok().trim(), output, "kubectl {args:?}");
    }
    let get = |args: &'static [&'static str]| k.run(args);
    assert_eq!(
        get(&["get", "cm", "lit", "-n", "team", "-o", "jsonpath={.data.a}"])
            .await
            .ok(),
        "b"
    );
    assert_eq!(
        get(&[
            "get",
            "secret",
            "pw",
            "-n",
            "team",
            "-o",
            "jsonpath={.data.p}"
        ])
        .await
        .ok(),
        "cQ=="
    );
    assert_eq!(
        get(&[
            "get", "deploy", "web", "-n", "team", "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.paused}",
        ])
        .await
        .ok(),
        "2 nginx:1.27 80 true"
    );
    assert_eq!(
        get(&[
            "get",
            "cronjob",
            "tick",
            "-n",
            "team",
            "-o",
            "jsonpath={.spec.schedule}"
        ])
        .await
        .ok(),
        "*/5 * * * *"
    );
    assert_eq!(
        get(&[
            "get",
            "svc",
            "svc",
            "-n",
            "team",
            "-o",
            "jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort}"
        ])
        .await
        .ok(),
        "80 8080"
    );
    assert_eq!(
        get(&[
            "get",
            "quota",
            "q",
            "-n",
            "team",
            "-o",
            "jsonpath={.spec.hard.requests\\.cpu}"
        ])
        .await
        .ok(),
        "2"
    );
    assert_eq!(
        get(&[
            "get",
            "pdb",
            "budget",
            "-n",
            "team",
            "-o",
            "jsonpath={.spec.minAvailable}"
        ])
        .await
        .ok(),
        "1"
    );
    assert_eq!(
        get(&["get", "ingress", "ing", "-n", "team", "-o", "jsonpath={.spec.rules[0].host} {.spec.rules[0].http.paths[0].backend.service.port.number}"])
            .await
            .ok(),
        "foo.example.com 80"
    );
    assert_eq!(
        get(&[
            "get",
            "clusterrolebinding",
            "crb",
            "-o",
            "jsonpath={.subjects[0].kind}/{.subjects[0].namespace}/{.subjects[0].name}"
        ])
        .await
        .ok(),
        "ServiceAccount/team/bot"
    );
    assert_eq!(
        get(&[
            "get",
            "ns",
            "team",
            "-o",
            "jsonpath={.metadata.labels.tier}"
        ])
        .await
        .ok(),
        "test"
    );
}

/// What kubectl shows of server-side defaulting, Service addresses and system objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_service_addresses_and_system_objects() {
    let k = Kubectl::start().await;
    for args in [
        vec!["create", "deployment", "web", "--image=nginx"],
        vec!["create", "service", "clusterip", "web", "--tcp=80:8080"],
        vec!["run", "p", "--image=busybox:1.36", "--restart=Never"],
    ] {
        k.run(&args).await.ok();
    }
    assert_eq!(
        k.run(&[
            "get", "deploy", "web", "-o",
            "jsonpath={.spec.strategy.type} {.spec.template.spec.containers[0].imagePullPolicy} {.spec.progressDeadlineSeconds} {.spec.template.spec.restartPolicy}",
        ])
        .await
        .ok(),
        "RollingUpdate Always 600 Always"
    );
    let ip = k
        .run(&["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"])
        .await
        .ok();
    let ip: std::net::Ipv4Addr = ip.parse().expect("an address");
    assert_eq!(ip.octets()[..3], [10, 0, 0], "{ip} from 10.0.0.0/24");
    let table = k.run(&["get", "svc", "kubernetes"]).await.ok();
    let row = table.lines().nth(1).unwrap_or("");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells[..5],
        ["kubernetes", "ClusterIP", "10.0.0.1", "<none>", "443/TCP"],
        "{table}"
    );
    assert_eq!(
        k.run(&[
            "get", "pod", "p", "-o",
            "jsonpath={.status.phase} {.status.qosClass} {.spec.containers[0].imagePullPolicy} {.spec.tolerations[0].key}",
        ])
        .await
        .ok(),
        "Pending BestEffort IfNotPresent node.kubernetes.io/not-ready"
    );
    let classes = k.run(&["get", "priorityclasses", "-o", "name"]).await.ok();
    assert_eq!(
        classes.lines().collect::<Vec<_>>(),
        [
            "priorityclass.scheduling.k8s.io/system-cluster-critical",
            "priorityclass.scheduling.k8s.io/system-node-critical"
        ]
    );
}
