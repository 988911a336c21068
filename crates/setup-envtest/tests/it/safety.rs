//! Downloads that go wrong, hostile archives, concurrency, proxies, progress, and the
//! library entry point `ensure`.

use std::time::Duration;

use crate::common::*;
use klite_setup_envtest::{ensure, env_from_pairs, EnsureOptions, Error, Platform};

fn host() -> Platform {
    Platform::host()
}

const HOME: (&str, &str) = ("HOME", "/nonexistent-home");

fn archive_name(version: &str) -> String {
    format!("envtest-v{version}-{}-{}.tar.gz", host().os, host().arch)
}

fn dir_name(version: &str) -> String {
    format!("{version}-{}-{}", host().os, host().arch)
}

async fn use_cli(store: &TempStore, remote: &Remote, extra: &[&str]) -> Outcome {
    let root = store.root();
    let index = remote.index_url();
    let mut args = vec!["use", "--bin-dir", &root, "--index", &index];
    args.extend(extra);
    run_cli(&args, &[HOME], None).await
}

#[tokio::test]
async fn checksum_mismatch_leaves_nothing_and_keeps_an_installed_version() {
    let mut remote = Remote::new().await;
    let wrong = "ab".repeat(64);
    let archive = remote.publish_as(
        "v1.30.0",
        "1.30.0",
        &host(),
        envtest_archive("1.30.0"),
        Some(wrong.clone()),
    );
    let store = TempStore::new();
    let out = use_cli(&store, &remote, &["1.30.0"]).await;
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "unable to download requested version: checksum mismatch for {}: {} (computed) != {wrong} (reported)\n",
            archive_name("1.30.0"),
            sha512_hex(&archive)
        )
    );
    assert_eq!(out.stdout, "");
    assert_eq!(store.entries(), [".lock"], "no version dir, no temp file");
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.0", &host())),
        1,
        "a mismatch is not retried"
    );

    // Re-downloading over an installed version: the old one survives a bad download.
    let old = store.install("1.30.0", &host());
    let out = use_cli(&store, &remote, &["--force", "1.30.0"]).await;
    assert_eq!(out.code, 2);
    assert_eq!(
        std::fs::read(old.join("etcd")).unwrap(),
        binary("etcd", "1.30.0")
    );
    assert_eq!(store.entries(), [".lock".to_string(), dir_name("1.30.0")]);

    // Without verification the archive is taken as is, and no hash is printed.
    let out = use_cli(&store, &remote, &["--force", "--verify=false", "1.30.0"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "Version: 1.30.0\nOS/Arch: {}\nPath: {}\n",
            host(),
            old.display()
        )
    );
}

#[tokio::test]
async fn truncated_downloads_are_retried_then_reported() {
    let mut remote = Remote::new().await;
    let archive = remote.publish("1.30.0", &host());
    let path = Remote::archive_path("1.30.0", &host());
    let half = archive.len() / 2;
    remote.archive_replies(
        "1.30.0",
        &host(),
        vec![Reply::Truncated {
            body: archive.clone(),
            sent: half,
        }],
    );
    let store = TempStore::new();
    let out = use_cli(&store, &remote, &["1.30.0"]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "unable to download requested version: unable read next chunk of {}: ",
            archive_name("1.30.0")
        )),
        "{}",
        out.stderr
    );
    assert_eq!(remote.server.hits(&path), FAST_RETRY.attempts as usize);
    assert_eq!(store.entries(), [".lock"]);

    // A transfer that breaks once succeeds on the retry.
    remote.archive_replies(
        "1.30.0",
        &host(),
        vec![
            Reply::Truncated {
                body: archive.clone(),
                sent: half,
            },
            Reply::Body(archive.clone()),
        ],
    );
    let before = remote.server.hits(&path);
    let out = use_cli(&store, &remote, &["-p", "path", "1.30.0"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(remote.server.hits(&path) - before, 2, "{:?}", out);
    assert_eq!(store.entries(), [".lock".to_string(), dir_name("1.30.0")]);
}

#[tokio::test]
async fn server_errors_are_retried_but_not_found_is_not() {
    let mut remote = Remote::new().await;
    let archive = remote.publish("1.30.0", &host());
    remote.archive_replies(
        "1.30.0",
        &host(),
        vec![Reply::Status(500), Reply::Status(503), Reply::Body(archive)],
    );
    remote.server.route(
        "/index.yaml",
        vec![
            Reply::Status(502),
            Reply::Body(remote.index_yaml().into_bytes()),
        ],
    );
    let store = TempStore::new();
    let out = use_cli(&store, &remote, &["1.30.x"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.0", &host())),
        3
    );
    assert_eq!(
        remote.index_hits(),
        2,
        "the index is fetched once per run, plus one retry"
    );

    let mut remote = Remote::new().await;
    remote.publish("1.30.0", &host());
    remote.archive_replies("1.30.0", &host(), vec![Reply::Status(404)]);
    let out = use_cli(&store, &remote, &["1.30.0", "--force"]).await;
    let url = remote.server.url(&Remote::archive_path("1.30.0", &host()));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "unable to download requested version: unable fetch {} ({url}) -- got status \"404 Not Found\"\n",
            archive_name("1.30.0")
        )
    );
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.0", &host())),
        1
    );

    let mut remote = Remote::new().await;
    remote.publish("1.30.0", &host());
    remote.archive_replies("1.30.0", &host(), vec![Reply::Status(500)]);
    let out = use_cli(&TempStore::new(), &remote, &["1.30.0"]).await;
    assert!(
        out.stderr
            .ends_with("-- got status \"500 Internal Server Error\"\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.0", &host())),
        FAST_RETRY.attempts as usize
    );
}

#[tokio::test]
async fn redirects_and_relative_links_are_followed() {
    let mut remote = Remote::new().await;
    let archive = remote.publish("1.30.0", &host());
    remote
        .server
        .route("/mirror/a.tar.gz", vec![Reply::Body(archive.clone())]);
    remote.archive_replies(
        "1.30.0",
        &host(),
        vec![Reply::Redirect(remote.server.url("/mirror/a.tar.gz"))],
    );
    let store = TempStore::new();
    assert_eq!(use_cli(&store, &remote, &["1.30.0"]).await.code, 0);
    assert_eq!(remote.server.hits("/mirror/a.tar.gz"), 1);

    let server = Server::start().await;
    let index = format!(
        "releases:\n  v1.29.0:\n    {}:\n      hash: {}\n      selfLink: files/x.tar.gz\n",
        archive_name("1.29.0"),
        sha512_hex(&archive)
    );
    server.route("/idx/index.yaml", vec![Reply::Body(index.into_bytes())]);
    server.route("/idx/files/x.tar.gz", vec![Reply::Body(archive)]);
    let root = store.root();
    let url = server.url("/idx/index.yaml");
    let out = run_cli(
        &[
            "use",
            "-p",
            "path",
            "1.29.0",
            "--bin-dir",
            &root,
            "--index",
            &url,
        ],
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.hits("/idx/files/x.tar.gz"), 1);
}

#[tokio::test]
async fn corrupt_archives_leave_nothing_behind() {
    let mut remote = Remote::new().await;
    let full = envtest_archive("1.30.0");
    let truncated = full[..full.len() / 2].to_vec();
    remote.publish_as("v1.30.0", "1.30.0", &host(), truncated, None);
    remote.publish_as(
        "v1.29.0",
        "1.29.0",
        &host(),
        b"plain text, not gzip".to_vec(),
        None,
    );
    let store = TempStore::new();
    let out = use_cli(&store, &remote, &["1.30.0"]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(
            "unable to store version to disk: unable to finish un-tar-ing the downloaded archive: "
        ),
        "{}",
        out.stderr
    );
    let out = use_cli(&store, &remote, &["1.29.0"]).await;
    assert_eq!(
        out.stderr,
        "unable to store version to disk: unable to start un-gz-ing entry archive\n"
    );
    assert_eq!(store.entries(), [".lock"]);
}

#[tokio::test]
async fn hostile_archive_entries_are_refused_or_skipped() {
    let store = TempStore::new();
    let root = store.root();
    let sideload = |archive: Vec<u8>| {
        let root = root.clone();
        async move {
            run_cli(
                &["sideload", "1.30.0", "--bin-dir", &root],
                &[HOME],
                Some(archive),
            )
            .await
        }
    };
    for name in [
        "../escaped",
        "controller-tools/../../escaped",
        "/tmp/klite-absolute-escape",
    ] {
        let archive = tar_gz(&[
            Entry::file("controller-tools/envtest/etcd", 0o755, "etcd"),
            Entry::file(name, 0o755, "evil"),
        ]);
        let out = sideload(archive).await;
        assert_eq!(out.code, 2, "{name}");
        assert_eq!(
            out.stderr,
            format!(
                "unable to sideload item to disk: refusing to extract archive entry \"{name}\": absolute paths and \"..\" \
                 components are not allowed in envtest archives\n"
            )
        );
        assert_eq!(store.entries(), [".lock"], "{name}");
    }
    assert!(!store.dir.path().join("escaped").exists());
    assert!(!std::path::Path::new("/tmp/klite-absolute-escape").exists());

    // Links are skipped (as upstream), everything else is extracted.
    let archive = tar_gz(&[
        Entry::dir("controller-tools/envtest/"),
        Entry::symlink("controller-tools/envtest/kubectl-link", "/etc/passwd"),
        Entry::hardlink(
            "controller-tools/envtest/etcd-link",
            "controller-tools/envtest/etcd",
        ),
        Entry::file("controller-tools/envtest/etcd", 0o644, "etcd"),
        Entry::file(
            "controller-tools/envtest/kube-apiserver",
            0o4777,
            "apiserver",
        ),
        Entry::file("controller-tools/envtest/kubectl", 0o750, "kubectl"),
    ]);
    let out = sideload(archive).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = store.item_dir("1.30.0", &host());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["etcd", "kube-apiserver", "kubectl"]);
    assert_eq!(mode(&dir.join("etcd")), 0o444);
    assert_eq!(
        mode(&dir.join("kube-apiserver")),
        0o555,
        "setuid and write bits are dropped"
    );
    assert_eq!(mode(&dir.join("kubectl")), 0o550);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_use_runs_download_once() {
    let mut remote = Remote::new().await;
    let archive = remote.publish("1.30.0", &host());
    remote.archive_replies(
        "1.30.0",
        &host(),
        vec![Reply::Delayed(Duration::from_millis(300), archive)],
    );
    let store = TempStore::new();
    let (a, b) = tokio::join!(use_cli(&store, &remote, &["1.30.x"]), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        use_cli(&store, &remote, &["1.30.x"]).await
    });
    assert_eq!((a.code, b.code), (0, 0), "{} / {}", a.stderr, b.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.0", &host())),
        1
    );
    assert_eq!(store.entries(), [".lock".to_string(), dir_name("1.30.0")]);

    // Forced re-downloads are serialised too: both finish with a complete version.
    let (a, b) = tokio::join!(
        use_cli(&store, &remote, &["--force", "1.30.0"]),
        use_cli(&store, &remote, &["--force", "1.30.0"])
    );
    assert_eq!((a.code, b.code), (0, 0), "{} / {}", a.stderr, b.stderr);
    assert_eq!(store.entries(), [".lock".to_string(), dir_name("1.30.0")]);
    let dir = store.item_dir("1.30.0", &host());
    assert_eq!(
        std::fs::read(dir.join("kubectl")).unwrap(),
        binary("kubectl", "1.30.0")
    );
}

#[tokio::test]
async fn leftovers_of_crashed_runs_are_swept() {
    let mut remote = Remote::new().await;
    remote.publish("1.30.0", &host());
    let store = TempStore::new();
    let staging = store.k8s().join(format!(
        ".klite-staging-0123456789abcdef-{}",
        dir_name("1.30.0")
    ));
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("etcd"), "half").unwrap();
    std::fs::set_permissions(
        &staging,
        std::os::unix::fs::PermissionsExt::from_mode(0o555),
    )
    .unwrap();
    std::fs::write(store.k8s().join(".klite-download-0123-x.tar.gz"), "partial").unwrap();
    // A crashed run of ours never leaves a version directory, so upstream sees nothing.
    let listed = run_cli(&["list", "-i", "--bin-dir", &store.root()], &[HOME], None).await;
    assert_eq!(listed.stdout, "");
    let out = use_cli(&store, &remote, &["1.30.0"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(store.entries(), [".lock".to_string(), dir_name("1.30.0")]);
}

#[tokio::test]
async fn proxies_come_from_the_environment() {
    // The index lives on a host that does not resolve; only the proxy can reach it.
    let proxy = Server::start().await;
    let archive = envtest_archive("1.30.0");
    let index = format!(
        "releases:\n  v1.30.0:\n    {name}:\n      hash: {}\n      selfLink: http://envtest.invalid/dl/{name}\n",
        sha512_hex(&archive),
        name = archive_name("1.30.0")
    );
    proxy.route("/index.yaml", vec![Reply::Body(index.into_bytes())]);
    proxy.route(
        &format!("/dl/{}", archive_name("1.30.0")),
        vec![Reply::Body(archive)],
    );
    let proxy_url = format!("http://{}", proxy.addr);
    for var in ["HTTP_PROXY", "http_proxy"] {
        let store = TempStore::new();
        let root = store.root();
        let args = [
            "use",
            "1.30.0",
            "--bin-dir",
            &root,
            "--index",
            "http://envtest.invalid/index.yaml",
        ];
        let out = run_cli(
            &args,
            &[
                HOME,
                (var, &proxy_url),
                ("NO_PROXY", "example.com,.internal"),
            ],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{var}: {}", out.stderr);
    }
    let one_run = [
        "http://envtest.invalid/index.yaml".to_string(),
        format!("http://envtest.invalid/dl/{}", archive_name("1.30.0")),
    ];
    assert_eq!(proxy.proxied(), [one_run.clone(), one_run].concat());

    // Loopback addresses never go through a proxy (here: one that does not exist).
    let mut remote = Remote::new().await;
    remote.publish("1.30.0", &host());
    let dead_proxy = "http://127.0.0.1:9".to_string();
    let store = TempStore::new();
    let root = store.root();
    let index_url = remote.index_url();
    let args = ["use", "1.30.0", "--bin-dir", &root, "--index", &index_url];
    let out = run_cli(&args, &[HOME, ("HTTP_PROXY", &dead_proxy)], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[tokio::test]
async fn a_progress_bar_is_drawn_only_on_a_terminal() {
    let mut remote = Remote::new().await;
    remote.publish("1.30.0", &host());
    let store = TempStore::new();
    let root = store.root();
    let index = remote.index_url();
    let args = ["use", "1.30.0", "--bin-dir", &root, "--index", &index];
    let tty = run_cli_io(&args, &[HOME], None, true).await;
    assert_eq!(tty.code, 0);
    assert!(
        tty.stderr
            .contains(&format!("downloading {}", archive_name("1.30.0"))),
        "{:?}",
        tty.stderr
    );
    assert!(
        tty.stderr.contains("\x1b[2K"),
        "the bar is cleared when done"
    );
    let store = TempStore::new();
    let root = store.root();
    let args = ["use", "1.30.0", "--bin-dir", &root, "--index", &index];
    let plain = run_cli_io(&args, &[HOME], None, false).await;
    assert_eq!((plain.code, plain.stderr.as_str()), (0, ""));
    assert_eq!(
        tty.stdout.lines().next(),
        Some("Version: 1.30.0"),
        "stdout is unaffected"
    );
}

#[tokio::test]
async fn ensure_installs_and_returns_the_asset_directory() {
    let mut remote = Remote::new().await;
    for version in ["1.29.3", "1.30.0", "1.30.1"] {
        remote.publish(version, &host());
    }
    let store = TempStore::new();
    let options = EnsureOptions {
        store_dir: Some(store.root()),
        index_url: remote.index_url(),
        env: env_from_pairs([HOME]),
        retry: FAST_RETRY,
        ..EnsureOptions::default()
    };
    let dir = ensure("1.30.x", &options).await.unwrap();
    assert_eq!(dir, store.item_dir("1.30.1", &host()));
    assert_eq!(
        std::fs::read(dir.join("kube-apiserver")).unwrap(),
        binary("kube-apiserver", "1.30.1")
    );
    let hits = remote.server.total_hits();
    assert_eq!(ensure("1.30.x", &options).await.unwrap(), dir);
    assert_eq!(remote.server.total_hits(), hits, "offline once installed");
    assert_eq!(
        ensure("1.29", &options).await.unwrap(),
        store.item_dir("1.29.3", &host())
    );

    let offline = EnsureOptions {
        installed_only: true,
        ..options.clone()
    };
    assert_eq!(ensure("latest-on-disk", &offline).await.unwrap(), dir);
    let err = ensure("1.28.x", &offline).await.unwrap_err();
    assert!(matches!(err, Error::NoLocalVersion { .. }), "{err:?}");
    assert!(matches!(
        ensure("v1.30", &options).await.unwrap_err(),
        Error::InvalidSelector { .. }
    ));

    let xdg = tempfile::tempdir().unwrap();
    let by_env = EnsureOptions {
        store_dir: None,
        env: env_from_pairs([("XDG_DATA_HOME", xdg.path().to_string_lossy().into_owned())]),
        ..options.clone()
    };
    if cfg!(all(unix, not(target_os = "macos"))) {
        let dir = ensure("1.29.3", &by_env).await.unwrap();
        assert_eq!(
            dir,
            xdg.path()
                .join("kubebuilder-envtest/k8s")
                .join(dir_name("1.29.3"))
        );
        let _cleanup = TempStore { dir: xdg };
    }
}
