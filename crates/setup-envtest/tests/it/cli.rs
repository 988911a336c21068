//! The CLI end to end against a local index: commands, flags, selectors, print modes,
//! exit codes and messages, store layout. Expected texts are upstream setup-envtest's.

use crate::common::*;
use klite_setup_envtest::Platform;

fn host() -> Platform {
    Platform::host()
}

/// A platform that is never the host in these tests.
fn other() -> Platform {
    if host() == Platform::new("darwin", "arm64") {
        Platform::new("linux", "s390x")
    } else {
        Platform::new("darwin", "arm64")
    }
}

/// The index most tests use: host has 1.28.0, 1.29.3, 1.29.5, 1.30.0, 1.30.2 (newest for
/// the host); `other()` has 1.28.0 and 1.30.0; windows/arm64 alone has 1.32.0; a
/// pre-release exists for the host but is not a valid archive name.
async fn standard_remote() -> Remote {
    let mut remote = Remote::new().await;
    for version in ["1.28.0", "1.29.3", "1.29.5", "1.30.0", "1.30.2"] {
        remote.publish(version, &host());
    }
    remote.publish("1.28.0", &other());
    remote.publish("1.30.0", &other());
    remote.publish("1.32.0", &Platform::new("windows", "arm64"));
    remote.publish_as(
        "v1.33.0-beta.0",
        "1.33.0-beta.0",
        &host(),
        envtest_archive("1.33.0-beta.0"),
        None,
    );
    remote
}

fn with_store<'a>(store: &'a str, remote: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--bin-dir", store, "--index", remote]);
    all
}

const HOME: (&str, &str) = ("HOME", "/nonexistent-home");

#[tokio::test]
async fn version_prints_setup_envtest_version() {
    let out = run_cli(&["version"], &[HOME], None).await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("setup-envtest version: v{}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(out.stderr, "");
}

#[tokio::test]
async fn help_usage_and_argument_errors() {
    let help = run_cli(&["--help"], &[HOME], None).await;
    assert_eq!(help.code, 2);
    assert!(help
        .stderr
        .starts_with("Usage: klite-setup-envtest [FLAGS] use|list|cleanup|sideload [VERSION]\n"));
    assert!(help
        .stderr
        .ends_with("will switch the default of --use-env to true if set to any value\n\n\n"));
    assert_eq!(help.stdout, "");
    let usage = help.stderr.strip_suffix('\n').unwrap().to_string();

    let short = run_cli(&["-h"], &[HOME], None).await;
    assert_eq!((short.code, short.stderr.as_str()), (0, usage.as_str()));

    for args in [&[][..], &["use", "1.2.3", "extra"][..]] {
        let out = run_cli(args, &[HOME], None).await;
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(
            out.stderr,
            format!("{usage}please specify a command to use, and optionally a version selector\n")
        );
    }

    let unknown = run_cli(&["frobnicate"], &[HOME], None).await;
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        format!("{usage}unknown action \"frobnicate\"\n")
    );

    let bad_flag = run_cli(&["use", "--remote-bucket", "x"], &[HOME], None).await;
    assert_eq!(bad_flag.code, 2);
    assert_eq!(
        bad_flag.stderr,
        format!("{usage}unknown flag: --remote-bucket\n")
    );

    let bad_print = run_cli(&["use", "-p", "yaml"], &[HOME], None).await;
    assert_eq!(bad_print.code, 2);
    assert!(bad_print.stderr.ends_with(
        "invalid argument \"yaml\" for \"-p, --print\" flag: unknown print format \"yaml\", use one of overview|path|env\n"
    ));

    // The version is parsed before the command is looked at.
    let bad_version = run_cli(&["frobnicate", "1.2.3.4"], &[HOME], None).await;
    assert_eq!(bad_version.code, 1);
}

#[tokio::test]
async fn usage_defaults_follow_the_environment() {
    let plain = run_cli(&["-h"], &[HOME], None).await.stderr;
    let host = host();
    let line = |prefix: &str| {
        plain
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap()
            .to_string()
    };
    assert!(line("      --os string")
        .ends_with(&format!("list all platforms) (default \"{}\")", host.os)));
    assert!(line("      --arch string")
        .ends_with(&format!("list all platforms) (default \"{}\")", host.arch)));
    assert!(plain.contains("error out if it would be necessary to\n"));
    assert!(plain.contains("if it's already set\n"));
    let env = [
        HOME,
        ("ENVTEST_INSTALLED_ONLY", "false"),
        ("ENVTEST_USE_ENV", "no"),
    ];
    let set = run_cli(&["-h"], &env, None).await.stderr;
    assert!(set.contains("error out if it would be necessary to (default true)\n"));
    assert!(set.contains("if it's already set (default true)\n"));
}

#[tokio::test]
async fn invalid_selectors_exit_1_with_upstreams_message() {
    for selector in ["v1.30", "1.30.0-beta.0", ">1.2", "1.2.3.4"] {
        let out = run_cli(&["use", selector], &[HOME], None).await;
        assert_eq!(out.code, 1, "{selector}");
        assert_eq!(
            out.stderr,
            format!(
                "version be a valid version, or simply 'latest' or 'latest-on-disk': unable to parse \"{selector}\" \
                 as a version stringshould be X.Y.Z, where Z may be '*','x', or left off entirely to denote a \
                 wildcard, optionally prefixed by ~|<|<=, and optionallyfollowed by ! (latest remote version)\n"
            )
        );
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test]
async fn default_store_follows_xdg_then_home() {
    let dir = tempfile::tempdir().unwrap();
    let xdg = dir.path().join("xdg");
    let home = dir.path().join("home");
    let xdg_s = xdg.to_string_lossy().into_owned();
    let home_s = home.to_string_lossy().into_owned();

    let out = run_cli(
        &["list", "-i"],
        &[("XDG_DATA_HOME", &xdg_s), ("HOME", &home_s)],
        None,
    )
    .await;
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    assert!(xdg.join("kubebuilder-envtest/k8s").is_dir());

    let out = run_cli(
        &["list", "-i"],
        &[("XDG_DATA_HOME", ""), ("HOME", &home_s)],
        None,
    )
    .await;
    assert_eq!(out.code, 0);
    assert!(home.join(".local/share/kubebuilder-envtest/k8s").is_dir());

    for command in ["version", "use", "list"] {
        let out = run_cli(&[command], &[], None).await;
        assert_eq!(out.code, 1, "{command}");
        assert_eq!(
            out.stderr,
            "unable to deterimine default binaries directory (use --bin-dir to manually override): \
             neither $XDG_DATA_HOME nor $HOME are defined\n"
        );
    }
}

#[tokio::test]
async fn incoherent_flags_exit_2() {
    for args in [
        &["use", "-i", "--force"][..],
        &["use", "latest-on-disk", "--force"][..],
        &["cleanup", "-i", "--force"][..],
    ] {
        let out = run_cli(args, &[HOME], None).await;
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(
            out.stderr,
            "cannot both skip downloading *and* force re-downloading\n"
        );
    }
    let out = run_cli(
        &["use", "--force"],
        &[HOME, ("ENVTEST_INSTALLED_ONLY", "x")],
        None,
    )
    .await;
    assert_eq!(
        out.stderr,
        "cannot both skip downloading *and* force re-downloading\n"
    );
    for args in [&["use", "--os="][..], &["list", "--arch", ""][..]] {
        let out = run_cli(args, &[HOME], None).await;
        assert_eq!(out.code, 2);
        assert_eq!(
            out.stderr,
            "must specify non-empty OS and arch (did you specify bad --os or --arch values?)\n"
        );
    }
}

#[tokio::test]
async fn use_downloads_the_latest_version_and_lays_out_the_store() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let root = store.root();
    let index = remote.index_url();
    let archive = envtest_archive("1.30.2");
    let out = run_cli(&with_store(&root, &index, &["use"]), &[HOME], None).await;
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 0);
    let dir = store.item_dir("1.30.2", &host());
    assert_eq!(
        out.stdout,
        format!(
            "Version: 1.30.2\nOS/Arch: {}\nsha512: {}\nPath: {}\n",
            host(),
            sha512_hex(&archive),
            dir.display()
        )
    );
    assert_eq!(
        store.entries(),
        [
            ".lock".to_string(),
            format!("1.30.2-{}-{}", host().os, host().arch)
        ]
    );
    assert_eq!(mode(&dir), 0o555);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["etcd", "kube-apiserver", "kubectl"]);
    for name in &files {
        assert_eq!(mode(&dir.join(name)), 0o555, "{name}");
        assert_eq!(
            std::fs::read(dir.join(name)).unwrap(),
            binary(name, "1.30.2")
        );
    }
    assert_eq!(mode(&store.k8s()), 0o755);

    // `use` without a selector always consults the index, but does not download again.
    let again = run_cli(&with_store(&root, &index, &["use"]), &[HOME], None).await;
    assert_eq!((again.code, &again.stdout), (0, &out.stdout));
    assert_eq!(remote.index_hits(), 2);
    assert_eq!(
        remote.server.hits(&Remote::archive_path("1.30.2", &host())),
        1
    );
}

#[tokio::test]
async fn wildcard_selectors_stay_offline_when_a_match_is_installed() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    store.install("1.29.3", &host());
    let out = run_cli(
        &with_store(&root, &index, &["use", "1.29.x"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!(
            "Version: 1.29.3\nOS/Arch: {}\nPath: {}\n",
            host(),
            store.item_dir("1.29.3", &host()).display()
        )
    );
    assert_eq!(remote.server.total_hits(), 0);

    // `!` consults the index and installs its newer match.
    let out = run_cli(
        &with_store(&root, &index, &["use", "-p", "path", "1.29.x!"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        store.item_dir("1.29.5", &host()).display().to_string()
    );
    assert_eq!(remote.index_hits(), 1);
}

#[tokio::test]
async fn a_newer_local_version_beats_the_index() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    store.install("1.29.9", &host());
    let out = run_cli(
        &with_store(&root, &index, &["use", "1.29.x!"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!(
            "Version: 1.29.9\nOS/Arch: {}\nPath: {}\n",
            host(),
            store.item_dir("1.29.9", &host()).display()
        )
    );
    assert_eq!(remote.index_hits(), 1);
    assert_eq!(
        store.entries(),
        [format!("1.29.9-{}-{}", host().os, host().arch)],
        "nothing downloaded"
    );
}

#[tokio::test]
async fn concrete_versions_download_only_when_missing_and_force_redownloads() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    let archive_path = Remote::archive_path("1.28.0", &host());
    let first = run_cli(
        &with_store(&root, &index, &["use", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(first.code, 0);
    assert!(first.stdout.contains(&format!(
        "sha512: {}\n",
        sha512_hex(&envtest_archive("1.28.0"))
    )));
    let hits = remote.server.total_hits();

    let second = run_cli(
        &with_store(&root, &index, &["use", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(second.code, 0);
    assert!(!second.stdout.contains("sha512"), "{}", second.stdout);
    assert_eq!(remote.server.total_hits(), hits);

    let forced = run_cli(
        &with_store(&root, &index, &["use", "--force", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!((forced.code, &forced.stdout), (0, &first.stdout));
    assert_eq!(remote.server.hits(&archive_path), 2);
    assert_eq!(store.entries().len(), 2, "{:?}", store.entries());
}

#[tokio::test]
async fn selectors_pick_the_newest_matching_version() {
    let remote = standard_remote().await;
    let cases = [
        ("~1.29.4", "1.29.5"),
        ("~1.29", "1.29.5"),
        ("<1.30", "1.29.5"),
        ("<1.30.2", "1.30.0"),
        ("<=1.29.3", "1.29.3"),
        ("<=1.29", "1.29.5"),
        ("1.28", "1.28.0"),
        ("1.30.*", "1.30.2"),
        ("latest", "1.30.2"),
    ];
    for (selector, expected) in cases {
        let store = TempStore::new();
        let out = run_cli(
            &with_store(
                &store.root(),
                &remote.index_url(),
                &["use", "-p", "path", selector],
            ),
            &[HOME],
            None,
        )
        .await;
        assert_eq!(out.code, 0, "{selector}: {}", out.stderr);
        assert_eq!(
            out.stdout,
            store.item_dir(expected, &host()).display().to_string(),
            "{selector}"
        );
    }
}

#[tokio::test]
async fn installed_only_modes_never_download() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    let none = run_cli(
        &with_store(&root, &index, &["use", "latest-on-disk"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(none.code, 2);
    assert_eq!(
        none.stderr,
        format!(
            "no applicable on-disk versions for {}/{} found, you'll have to download one, or run list -i to see what you do have\n",
            host().os,
            host().arch
        )
    );
    let missing = run_cli(
        &with_store(&root, &index, &["use", "-i", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        format!(
            "no such version (1.28.0) exists on disk for this architecture ({}) -- try running `list -i` to see what's on disk\n",
            host()
        )
    );
    let by_env = run_cli(
        &with_store(&root, &index, &["use", "1.28.0"]),
        &[HOME, ("ENVTEST_INSTALLED_ONLY", "1")],
        None,
    )
    .await;
    assert_eq!((by_env.code, &by_env.stderr), (2, &missing.stderr));

    store.install("1.28.0", &host());
    store.install("1.29.3", &host());
    store.install("1.31.0", &other());
    let latest = run_cli(
        &with_store(&root, &index, &["use", "-p", "path", "latest-on-disk"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        latest.stdout,
        store.item_dir("1.29.3", &host()).display().to_string()
    );
    let bang = run_cli(
        &with_store(&root, &index, &["use", "-i", "-p", "path", "1.28.x!"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        bang.stdout,
        store.item_dir("1.28.0", &host()).display().to_string()
    );
    // A concrete version keeps its `!` in the overview, as upstream prints it.
    let concrete_bang = run_cli(
        &with_store(&root, &index, &["use", "-i", "1.28.0!"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        concrete_bang.stdout,
        format!(
            "Version: 1.28.0!\nOS/Arch: {}\nPath: {}\n",
            host(),
            store.item_dir("1.28.0", &host()).display()
        )
    );
    assert_eq!(remote.server.total_hits(), 0);
}

#[tokio::test]
async fn print_modes() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let quoted_root = store.dir.path().join("it's here");
    let root = quoted_root.to_string_lossy().into_owned();
    let index = remote.index_url();
    let path = run_cli(
        &with_store(&root, &index, &["use", "-p", "path", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    let expected = format!("{root}/k8s/1.28.0-{}-{}", host().os, host().arch);
    assert_eq!((path.code, path.stdout.as_str()), (0, expected.as_str()));
    let env = run_cli(
        &with_store(&root, &index, &["use", "--print=env", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        env.stdout,
        format!(
            "export KUBEBUILDER_ASSETS='{}'\n",
            expected.replace('\'', "'\"'\"'")
        )
    );
    assert!(env.stdout.contains("it'\"'\"'s here"));

    // The store root is cleaned like Go's filepath.Join.
    let messy = format!("{}//sub/../", store.root());
    store.install("1.28.0", &host());
    let cleaned = run_cli(
        &with_store(&messy, &index, &["use", "-i", "-p", "path", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        cleaned.stdout,
        store.item_dir("1.28.0", &host()).display().to_string()
    );
}

#[tokio::test]
async fn use_env_returns_kubebuilder_assets_when_it_qualifies() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    let assets_dir = tempfile::tempdir().unwrap();

    // A store-like directory name is taken at its word (no existence check).
    let named = format!("/nowhere/1.27.1-{}-{}", host().os, host().arch);
    let out = run_cli(
        &with_store(&root, &index, &["use", "--use-env", "1.30.x"]),
        &[HOME, ("KUBEBUILDER_ASSETS", &named)],
        None,
    )
    .await;
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("Version: 1.27.1\nOS/Arch: {}\nPath: {named}\n", host())
    );

    // A directory with the three binaries (ENVTEST_USE_ENV switches --use-env on).
    let dir = assets_dir.path().to_string_lossy().into_owned();
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        std::fs::write(assets_dir.path().join(name), "x").unwrap();
    }
    let env = [
        HOME,
        ("KUBEBUILDER_ASSETS", dir.as_str()),
        ("ENVTEST_USE_ENV", "true"),
    ];
    let out = run_cli(&with_store(&root, &index, &["use"]), &env, None).await;
    assert_eq!(
        out.stdout,
        format!("Version: *\nOS/Arch: */*\nPath: {dir}\n")
    );
    let out = run_cli(
        &with_store(&root, &index, &["use", "-p", "env"]),
        &env,
        None,
    )
    .await;
    assert_eq!(out.stdout, format!("export KUBEBUILDER_ASSETS='{dir}'\n"));
    assert_eq!(remote.server.total_hits(), 0);

    // A missing binary falls through to the normal logic.
    std::fs::remove_file(assets_dir.path().join("kubectl")).unwrap();
    store.install("1.28.0", &host());
    let out = run_cli(
        &with_store(&root, &index, &["use", "-i", "-p", "path"]),
        &env,
        None,
    )
    .await;
    assert_eq!(
        out.stdout,
        store.item_dir("1.28.0", &host()).display().to_string()
    );

    // Without --use-env the variable is ignored.
    let named_env = [HOME, ("KUBEBUILDER_ASSETS", named.as_str())];
    let out = run_cli(
        &with_store(&root, &index, &["use", "-i", "-p", "path"]),
        &named_env,
        None,
    )
    .await;
    assert_eq!(
        out.stdout,
        store.item_dir("1.28.0", &host()).display().to_string()
    );

    // Other stat errors are fatal (upstream's message, names swapped as upstream has them).
    let file = assets_dir
        .path()
        .join("etcd")
        .to_string_lossy()
        .into_owned();
    let out = run_cli(
        &with_store(&root, &index, &["use", "--use-env"]),
        &[HOME, ("KUBEBUILDER_ASSETS", &file)],
        None,
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "unable to check for existence of binary {file} from existing (env var) path kube-apiserver: "
        )),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn use_needs_a_concrete_platform_and_a_published_version() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    let out = run_cli(
        &with_store(&root, &index, &["use", "--os", "*", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "you must have a concrete platform with this command -- you cannot use wildcard platforms with fetch or switch\n"
    );
    let out = run_cli(
        &with_store(&root, &index, &["use", "--os", "plan9", "--arch", "mips"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "unable to find a version that was supported for platform plan9/mips\n"
    );
    // windows/arm64 only has 1.32.0; pre-release archives are invisible.
    let out = run_cli(
        &with_store(
            &root,
            &index,
            &["use", "-p", "path", "--os", "windows", "--arch", "arm64"],
        ),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("/k8s/1.32.0-windows-arm64"));
    let out = run_cli(
        &with_store(&root, &index, &["use", "1.33.x"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        out.stderr,
        format!(
            "unable to find a version that was supported for platform {}\n",
            host()
        )
    );
}

#[tokio::test]
async fn index_failures_are_reported_with_upstreams_context() {
    let store = TempStore::new();
    let server = Server::start().await;
    server.route("/missing.yaml", vec![Reply::Status(404)]);
    let root = store.root();
    let url = server.url("/missing.yaml");
    let out = run_cli(&with_store(&root, &url, &["use"]), &[HOME], None).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr, "unable to list versions to find latest one: unable to get index -- got status \"404 Not Found\"\n");
    assert_eq!(server.hits("/missing.yaml"), 1, "4xx is not retried");

    let out = run_cli(&with_store(&root, &url, &["list"]), &[HOME], None).await;
    assert_eq!(
        out.stderr,
        "unable list to available versions: unable to get index -- got status \"404 Not Found\"\n"
    );

    server.route("/bad.yaml", vec![Reply::Body(b"releases: [oops".to_vec())]);
    let url = server.url("/bad.yaml");
    let out = run_cli(&with_store(&root, &url, &["use", "1.30.0"]), &[HOME], None).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("unable to fetch hash for requested version: unable to unmarshal index: "),
        "{}",
        out.stderr
    );

    let out = run_cli(&with_store(&root, "not a url", &["use"]), &[HOME], None).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("unable to list versions to find latest one: unable to parse index URL: "),
        "{}",
        out.stderr
    );

    let dead = format!("http://127.0.0.1:{}/index.yaml", unused_port());
    let out = run_cli(&with_store(&root, &dead, &["use"]), &[HOME], None).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(
            "unable to list versions to find latest one: unable to perform request to get index: "
        ),
        "{}",
        out.stderr
    );
    assert_eq!(store.entries(), [".lock"]);
}

fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn table(rows: &[(&str, &str, String)]) -> String {
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0) + 2;
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0) + 2;
    rows.iter()
        .map(|(a, b, c)| format!("{a:<w0$}{b:<w1$}{c}\n"))
        .collect()
}

#[tokio::test]
async fn list_prints_installed_then_available_rows() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    store.install("1.29.3", &host());
    store.install("1.29.4", &other());
    let h = host().to_string();
    let out = run_cli(&with_store(&root, &index, &["list"]), &[HOME], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        table(&[
            ("(installed)", "v1.29.3", h.clone()),
            ("(available)", "v1.30.2", h.clone()),
            ("(available)", "v1.30.0", h.clone()),
            ("(available)", "v1.29.5", h.clone()),
            ("(available)", "v1.29.3", h.clone()),
            ("(available)", "v1.28.0", h.clone()),
        ])
    );
    assert!(out
        .stdout
        .starts_with(&format!("(installed)  v1.29.3  {h}\n")));

    let installed = run_cli(
        &with_store(&root, &index, &["list", "-i", "--os", "*", "--arch", "*"]),
        &[HOME],
        None,
    )
    .await;
    let mut expected = vec![
        ("(installed)", "v1.29.4", other().to_string()),
        ("(installed)", "v1.29.3", h.clone()),
    ];
    assert_eq!(installed.stdout, table(&expected));

    let all = run_cli(
        &with_store(
            &root,
            &index,
            &["list", "--os", "*", "--arch", "*", "1.30.x"],
        ),
        &[HOME],
        None,
    )
    .await;
    let mut platforms_1_30_0 = vec![host().to_string(), other().to_string()];
    platforms_1_30_0.sort();
    expected = vec![("(available)", "v1.30.2", h.clone())];
    for p in platforms_1_30_0 {
        expected.push(("(available)", "v1.30.0", p));
    }
    assert_eq!(all.stdout, table(&expected));

    let newest = run_cli(
        &with_store(
            &root,
            &index,
            &["list", "--os", "windows", "--arch", "*", "<2.0"],
        ),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(
        newest.stdout,
        table(&[("(available)", "v1.32.0", "windows/arm64".to_string())])
    );

    let nothing = run_cli(
        &with_store(&root, &index, &["list", "2.0.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!((nothing.code, nothing.stdout.as_str()), (0, ""));
}

#[tokio::test]
async fn list_ignores_foreign_store_entries_and_keeps_rows_on_index_failure() {
    let store = TempStore::new();
    store.install("1.29.3", &host());
    std::fs::create_dir_all(store.k8s().join("notaversion")).unwrap();
    std::fs::create_dir_all(
        store
            .k8s()
            .join(format!("1.29-{}-{}", host().os, host().arch)),
    )
    .unwrap();
    std::fs::write(
        store
            .k8s()
            .join(format!("1.29.9-{}-{}", host().os, host().arch)),
        "a file",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        store.item_dir("1.29.3", &host()),
        store
            .k8s()
            .join(format!("1.29.8-{}-{}", host().os, host().arch)),
    )
    .unwrap();
    let dead = format!("http://127.0.0.1:{}/index.yaml", unused_port());
    let out = run_cli(&with_store(&store.root(), &dead, &["list"]), &[HOME], None).await;
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, format!("(installed)  v1.29.3  {}\n", host()));
    assert!(out.stderr.starts_with(
        "unable list to available versions: unable to perform request to get index: "
    ));
}

#[tokio::test]
async fn cleanup_removes_matching_versions_offline() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    // A version installed by `use` is read-only; cleanup must still remove it.
    assert_eq!(
        run_cli(
            &with_store(&root, &index, &["use", "1.28.0"]),
            &[HOME],
            None
        )
        .await
        .code,
        0
    );
    store.install("1.29.3", &host());
    store.install("1.30.0", &host());
    store.install("1.29.3", &other());
    let hits = remote.server.total_hits();

    let out = run_cli(
        &with_store(&root, &index, &["cleanup", "<1.30"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("removed 1.28.0 ({h})\nremoved 1.29.3 ({h})\n", h = host())
    );
    assert!(!store.item_dir("1.28.0", &host()).exists());
    assert!(store.item_dir("1.29.3", &other()).exists());

    // Removal goes in directory-name order, as upstream.
    let out = run_cli(
        &with_store(&root, &index, &["cleanup", "--os", "*", "--arch", "*"]),
        &[HOME],
        None,
    )
    .await;
    let expected = [
        format!("removed 1.29.3 ({})\n", other()),
        format!("removed 1.30.0 ({})\n", host()),
    ];
    assert_eq!(out.stdout, expected.concat());
    assert_eq!(store.entries(), [".lock"]);
    assert_eq!(
        remote.server.total_hits(),
        hits,
        "cleanup never contacts the index"
    );

    let empty = run_cli(&with_store(&root, &index, &["cleanup"]), &[HOME], None).await;
    assert_eq!((empty.code, empty.stdout.as_str()), (0, ""));
}

#[tokio::test]
async fn cleanup_without_selector_is_limited_to_the_platform() {
    let store = TempStore::new();
    store.install("1.29.3", &host());
    store.install("1.30.0", &host());
    store.install("1.29.3", &other());
    let out = run_cli(&["cleanup", "--bin-dir", &store.root()], &[HOME], None).await;
    assert_eq!(
        out.stdout,
        format!("removed 1.29.3 ({h})\nremoved 1.30.0 ({h})\n", h = host())
    );
    assert!(store.item_dir("1.29.3", &other()).is_dir());
}

#[tokio::test]
async fn sideload_reads_an_archive_from_stdin() {
    let store = TempStore::new();
    let root = store.root();
    let archive = envtest_archive("1.25.0");
    let out = run_cli(
        &["sideload", "1.25.0", "--bin-dir", &root],
        &[HOME],
        Some(archive),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = store.item_dir("1.25.0", &host());
    assert_eq!(
        out.stdout,
        format!(
            "Version: 1.25.0\nOS/Arch: {}\nPath: {}\n",
            host(),
            dir.display()
        )
    );
    assert_eq!(
        std::fs::read(dir.join("kubectl")).unwrap(),
        binary("kubectl", "1.25.0")
    );
    assert_eq!(mode(&dir), 0o555);

    // Sideloading again replaces the version, leaving nothing else behind.
    let replacement = tar_gz(&[Entry::file("envtest/etcd", 0o700, "new etcd")]);
    let out = run_cli(
        &["sideload", "-p", "path", "1.25.0", "--bin-dir", &root],
        &[HOME],
        Some(replacement),
    )
    .await;
    assert_eq!((out.code, out.stdout), (0, dir.display().to_string()));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["etcd"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("etcd")).unwrap(),
        "new etcd"
    );
    assert_eq!(mode(&dir.join("etcd")), 0o500);
    assert_eq!(
        store.entries(),
        [
            ".lock".to_string(),
            format!("1.25.0-{}-{}", host().os, host().arch)
        ]
    );

    // For another platform, as --os/--arch say.
    let out = run_cli(
        &[
            "sideload",
            "1.25.0",
            "--os",
            "windows",
            "--arch",
            "amd64",
            "-p",
            "path",
            "--bin-dir",
            &root,
        ],
        &[HOME],
        Some(envtest_archive("1.25.0")),
    )
    .await;
    assert!(out.stdout.ends_with("/k8s/1.25.0-windows-amd64"));
}

#[tokio::test]
async fn sideload_needs_a_concrete_version_and_a_gzip_stream() {
    let store = TempStore::new();
    let root = store.root();
    for args in [
        &["sideload"][..],
        &["sideload", "1.25.x"][..],
        &["sideload", "1.25.0", "--arch", "*"][..],
        &["sideload", "latest-on-disk"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--bin-dir", &root]);
        let out = run_cli(&args, &[HOME], Some(envtest_archive("1.25.0"))).await;
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(
            out.stderr,
            "must specify a concrete version and platform to sideload.  Make sure you've passed a version, like 'sideload 1.21.0'\n"
        );
    }
    for stdin in [None, Some(Vec::new()), Some(b"not gzip at all".to_vec())] {
        let out = run_cli(&["sideload", "1.25.0", "--bin-dir", &root], &[HOME], stdin).await;
        assert_eq!(out.code, 2);
        assert_eq!(
            out.stderr,
            "unable to sideload item to disk: unable to start un-gz-ing entry archive\n"
        );
        assert_eq!(out.stdout, "");
    }
    assert_eq!(store.entries(), [".lock"]);
}

#[tokio::test]
async fn verbosity_flag_controls_logs_on_stderr() {
    let remote = standard_remote().await;
    let store = TempStore::new();
    let (root, index) = (store.root(), remote.index_url());
    let quiet = run_cli(
        &with_store(&root, &index, &["use", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(quiet.stderr, "");
    let info = run_cli(
        &with_store(&root, &index, &["use", "-v", "info"]),
        &[HOME],
        None,
    )
    .await;
    assert_eq!(info.code, 0);
    assert!(
        info.stderr
            .contains("\tINFO\tno version specified, finding latest\n"),
        "{}",
        info.stderr
    );
    assert!(!info.stderr.contains("DEBUG"));
    let debug = run_cli(
        &with_store(&root, &index, &["--v=DEBUG", "use", "1.28.0"]),
        &[HOME],
        None,
    )
    .await;
    assert!(
        debug
            .stderr
            .contains("\tDEBUG\tsetup\tusing binaries directory\t{\"dir\": "),
        "{}",
        debug.stderr
    );
    assert!(debug
        .stderr
        .contains("\tINFO\tapplicable version found on disk\t{\"version\": \"1.28.0\"}\n"));
    let bad = run_cli(&["use", "-v", "verbose"], &[HOME], None).await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.ends_with(
        "invalid argument \"verbose\" for \"-v, --v\" flag: unrecognized level: \"verbose\"\n"
    ));
}
