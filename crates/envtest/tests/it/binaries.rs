//! binaries mode against Debian's real etcd and klite's stand-in kube-apiserver.

use std::time::Duration;

use crate::support::*;
use klite_envtest::{EnvTest, RunningMode, User};
use serde_json::json;

#[tokio::test]
async fn starts_serves_crds_and_users_then_stops_without_leftovers() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let crd_dir = scratch.path().join("crds");
    std::fs::create_dir_all(&crd_dir).unwrap();
    std::fs::write(crd_dir.join("widgets.yaml"), widget_crd_yaml()).unwrap();

    let mut env = hermetic_env(scratch.path());
    env.set("KUBEBUILDER_ASSETS", assets.to_str().unwrap());
    let mut options = binaries_options(env);
    options.crd_directory_paths = vec![crd_dir];
    let envtest = EnvTest::start(options).await.unwrap();

    assert_eq!(envtest.mode(), RunningMode::Binaries);
    assert!(envtest.server().starts_with("https://127.0.0.1:"));
    assert_eq!(
        std::fs::read_to_string(envtest.kubeconfig_path()).unwrap(),
        envtest.kubeconfig()
    );
    let pids = envtest.pids().to_vec();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| process_alive(*p)));
    let temp_dirs = envtest.temp_dirs().to_vec();
    assert!(temp_dirs.iter().all(|d| d.is_dir()
        && d.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("k8s_test_framework_")));

    // CRUD as the admin user.
    let admin = client(envtest.kubeconfig()).await;
    let created = call(
        &admin,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}
        })),
    )
    .await
    .unwrap();
    assert_eq!(created["data"]["a"], "1");
    let mut fetched = call(
        &admin,
        "GET",
        "/api/v1/namespaces/default/configmaps/cm",
        None,
    )
    .await
    .unwrap();
    fetched["data"]["a"] = json!("2");
    let updated = call(
        &admin,
        "PUT",
        "/api/v1/namespaces/default/configmaps/cm",
        Some(fetched),
    )
    .await
    .unwrap();
    assert_eq!(updated["data"]["a"], "2");
    call(
        &admin,
        "DELETE",
        "/api/v1/namespaces/default/configmaps/cm",
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        call(
            &admin,
            "GET",
            "/api/v1/namespaces/default/configmaps/cm",
            None
        )
        .await
        .unwrap_err(),
        404
    );

    // The CRD is installed and served.
    assert_eq!(envtest.installed_crds().len(), 1);
    let widget = call(&admin, "POST", "/apis/example.com/v1/namespaces/default/widgets", Some(json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}
    }))).await.unwrap();
    assert_eq!(widget["spec"]["size"], 3);

    // A user without groups is authenticated but not authorized.
    let restricted = envtest
        .add_user(&User {
            name: "jane".into(),
            groups: vec![],
        })
        .await
        .unwrap();
    let jane = client(&restricted).await;
    assert_eq!(
        call(&jane, "GET", "/api/v1/namespaces/default/configmaps", None)
            .await
            .unwrap_err(),
        403
    );
    // …and one in system:masters is.
    let root = envtest
        .add_user(&User {
            name: "root".into(),
            groups: vec!["system:masters".into()],
        })
        .await
        .unwrap();
    call(
        &client(&root).await,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        None,
    )
    .await
    .unwrap();

    envtest.stop().await.unwrap();
    envtest.stop().await.unwrap(); // idempotent
    assert_processes_exit(&pids, Duration::from_secs(5));
    for dir in &temp_dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    assert!(matches!(
        envtest
            .add_user(&User {
                name: "late".into(),
                groups: vec![]
            })
            .await,
        Err(klite_envtest::Error::Stopped)
    ));
}

#[tokio::test]
async fn test_asset_variables_name_each_binary() {
    let scratch = tempfile::tempdir().unwrap();
    let mut env = hermetic_env(scratch.path());
    env.set("TEST_ASSET_ETCD", etcd().to_str().unwrap());
    env.set(
        "TEST_ASSET_KUBE_APISERVER",
        kube_apiserver().to_str().unwrap(),
    );
    // KUBEBUILDER_ASSETS pointing nowhere loses to TEST_ASSET_*.
    env.set(
        "KUBEBUILDER_ASSETS",
        scratch.path().join("nowhere").to_str().unwrap(),
    );
    let envtest = EnvTest::start(binaries_options(env)).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Binaries);
    envtest.stop().await.unwrap();
}

#[tokio::test]
async fn missing_binaries_fail_up_front_with_the_variable_named() {
    let scratch = tempfile::tempdir().unwrap();
    let mut env = hermetic_env(scratch.path());
    env.set(
        "KUBEBUILDER_ASSETS",
        scratch.path().join("empty").to_str().unwrap(),
    );
    let err = EnvTest::start(binaries_options(env))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("etcd binary not found at "), "{err}");
    assert!(err.contains("KUBEBUILDER_ASSETS="), "{err}");

    // Nothing configured and autoSetup off: says what was tried.
    let env = hermetic_env(scratch.path());
    let err = EnvTest::start(binaries_options(env))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("control-plane binaries are not available"),
        "{err}"
    );
    assert!(err.contains("autoSetup is off"), "{err}");
}

#[test]
fn a_process_that_cannot_start_is_reported_with_its_output_and_cleaned_up() {
    let scratch = tempfile::tempdir().unwrap();
    // Temp dirs of this process go to a dir we can inspect (nextest runs one test per
    // process; set before any thread exists).
    let tmp = scratch.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    unsafe { std::env::set_var("TMPDIR", &tmp) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let assets = asset_dir(scratch.path());
    let mut env = hermetic_env(scratch.path());
    env.set("KUBEBUILDER_ASSETS", assets.to_str().unwrap());
    let mut options = binaries_options(env);
    options
        .etcd_flags
        .insert("no-such-flag".into(), vec!["1".into()]);
    let err = runtime
        .block_on(EnvTest::start(options))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("failed to start the controlplane. retried 1 times: timeout waiting for process etcd to start successfully"),
        "{err}"
    );
    assert!(
        err.contains("no-such-flag"),
        "etcd's complaint is part of the message: {err}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[tokio::test]
async fn four_control_planes_start_in_parallel_in_one_process() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let mut env = hermetic_env(scratch.path());
    env.set("KUBEBUILDER_ASSETS", assets.to_str().unwrap());
    let starts = (0..4).map(|_| EnvTest::start(binaries_options(env.clone())));
    let envtests: Vec<EnvTest> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut servers: Vec<&str> = envtests.iter().map(EnvTest::server).collect();
    servers.sort_unstable();
    servers.dedup();
    assert_eq!(servers.len(), 4);
    for envtest in &envtests {
        let admin = client(envtest.kubeconfig()).await;
        call(&admin, "GET", "/api/v1/namespaces/default", None)
            .await
            .unwrap();
    }
    let pids: Vec<u32> = envtests.iter().flat_map(|e| e.pids().to_vec()).collect();
    futures::future::join_all(envtests.iter().map(EnvTest::stop))
        .await
        .into_iter()
        .for_each(Result::unwrap);
    assert_processes_exit(&pids, Duration::from_secs(5));
}

#[tokio::test]
async fn dropping_without_stop_kills_the_processes() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let mut env = hermetic_env(scratch.path());
    env.set("KUBEBUILDER_ASSETS", assets.to_str().unwrap());
    let envtest = EnvTest::start(binaries_options(env)).await.unwrap();
    let pids = envtest.pids().to_vec();
    let dirs = envtest.temp_dirs().to_vec();
    drop(envtest);
    assert_processes_exit(&pids, Duration::from_secs(5));
    assert!(dirs.iter().all(|d| !d.exists()));
}

#[tokio::test]
async fn a_port_clash_is_retried_with_fresh_ports() {
    let scratch = tempfile::tempdir().unwrap();
    // An etcd that loses the race for its port on the first start, as when another
    // process grabs a reserved port before etcd binds it.
    let attempts = scratch.path().join("attempts");
    let flaky = scratch.path().join("flaky-etcd");
    std::fs::write(
        &flaky,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --help ]; then exec '{etcd}' \"$@\"; fi\n\
             echo start >> '{attempts}'\n\
             if [ \"$(wc -l < '{attempts}')\" -eq 1 ]; then\n\
               echo 'listen tcp 127.0.0.1:2379: bind: address already in use' >&2; exit 1\n\
             fi\n\
             exec '{etcd}' \"$@\"\n",
            etcd = etcd().display(),
            attempts = attempts.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&flaky, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut env = hermetic_env(scratch.path());
    env.set("TEST_ASSET_ETCD", flaky.to_str().unwrap());
    env.set(
        "TEST_ASSET_KUBE_APISERVER",
        kube_apiserver().to_str().unwrap(),
    );
    let envtest = EnvTest::start(binaries_options(env)).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&attempts).unwrap().lines().count(),
        2
    );
    call(
        &client(envtest.kubeconfig()).await,
        "GET",
        "/api/v1/namespaces/default",
        None,
    )
    .await
    .unwrap();
    envtest.stop().await.unwrap();
}
