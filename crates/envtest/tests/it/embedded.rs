//! embedded and auto modes.

use crate::support::*;
use klite_envtest::{EnvTest, EnvTestOptions, Mode, RunningMode, User};
use serde_json::json;

fn embedded_options(scratch: &std::path::Path) -> EnvTestOptions {
    EnvTestOptions {
        mode: Mode::Embedded,
        env: hermetic_env(scratch),
        ..EnvTestOptions::default()
    }
}

#[tokio::test]
async fn embedded_mode_serves_crds_users_and_the_same_kubeconfig_shape() {
    let scratch = tempfile::tempdir().unwrap();
    let crd: serde_json::Value = serde_yaml_ng::from_str(widget_crd_yaml()).unwrap();
    let mut options = embedded_options(scratch.path());
    options.crds = vec![crd];
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Embedded);
    assert!(envtest.pids().is_empty());

    let kubeconfig: serde_yaml_ng::Value = serde_yaml_ng::from_str(envtest.kubeconfig()).unwrap();
    assert_eq!(kubeconfig["current-context"], "envtest");
    assert_eq!(
        kubeconfig["clusters"][0]["cluster"]["server"].as_str(),
        Some(envtest.server())
    );
    assert!(kubeconfig["users"][0]["user"]["client-certificate-data"].is_string());

    let admin = client(envtest.kubeconfig()).await;
    call(
        &admin,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}
        })),
    )
    .await
    .unwrap();
    let widget = call(&admin, "POST", "/apis/example.com/v1/namespaces/default/widgets", Some(json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}
    }))).await.unwrap();
    assert_eq!(widget["kind"], "Widget");

    let jane = client(
        &envtest
            .add_user(&User {
                name: "jane".into(),
                groups: vec![],
            })
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        call(&jane, "GET", "/api/v1/namespaces/default/configmaps", None)
            .await
            .unwrap_err(),
        403
    );

    let dirs = envtest.temp_dirs().to_vec();
    envtest.stop().await.unwrap();
    assert!(dirs.iter().all(|d| !d.exists()));
    let server = envtest.server().trim_start_matches("https://").to_string();
    assert!(
        std::net::TcpStream::connect(server).is_err(),
        "the server still accepts connections"
    );
}

#[tokio::test]
async fn auto_mode_falls_back_to_embedded_and_says_why() {
    let scratch = tempfile::tempdir().unwrap();
    let options = EnvTestOptions {
        mode: Mode::Auto,
        auto_setup: false,
        env: hermetic_env(scratch.path()),
        ..EnvTestOptions::default()
    };
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Embedded);
    let reason = envtest.fallback_reason().unwrap();
    assert!(reason.contains("autoSetup is off"), "{reason}");
    envtest.stop().await.unwrap();
}

#[tokio::test]
async fn auto_mode_prefers_binaries_when_they_resolve() {
    let scratch = tempfile::tempdir().unwrap();
    let assets = asset_dir(scratch.path());
    let mut env = hermetic_env(scratch.path());
    env.set("KUBEBUILDER_ASSETS", assets.to_str().unwrap());
    let options = EnvTestOptions {
        mode: Mode::Auto,
        env,
        ..EnvTestOptions::default()
    };
    let envtest = EnvTest::start(options).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Binaries);
    assert_eq!(envtest.fallback_reason(), None);
    envtest.stop().await.unwrap();
}

#[tokio::test]
async fn klite_envtest_mode_overrides_the_option() {
    let scratch = tempfile::tempdir().unwrap();
    let mut env = hermetic_env(scratch.path());
    env.set("KLITE_ENVTEST_MODE", "embedded");
    let envtest = EnvTest::start(binaries_options(env)).await.unwrap();
    assert_eq!(envtest.mode(), RunningMode::Embedded);
    envtest.stop().await.unwrap();
}

#[tokio::test]
async fn use_existing_cluster_installs_crds_into_the_kubeconfigs_cluster() {
    let scratch = tempfile::tempdir().unwrap();
    let cluster = EnvTest::start(embedded_options(scratch.path()))
        .await
        .unwrap();
    let mut env = hermetic_env(scratch.path());
    env.set("USE_EXISTING_CLUSTER", "true");
    env.set("KUBECONFIG", cluster.kubeconfig_path().to_str().unwrap());
    let crd: serde_json::Value = serde_yaml_ng::from_str(widget_crd_yaml()).unwrap();
    let existing = EnvTest::start(EnvTestOptions {
        env,
        crds: vec![crd],
        ..EnvTestOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(existing.mode(), RunningMode::ExistingCluster);
    assert_eq!(existing.server(), cluster.server());
    let admin = client(existing.kubeconfig()).await;
    call(
        &admin,
        "GET",
        "/apis/example.com/v1/namespaces/default/widgets",
        None,
    )
    .await
    .unwrap();
    let err = existing
        .add_user(&User {
            name: "x".into(),
            groups: vec![],
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("USE_EXISTING_CLUSTER"), "{err}");
    existing.stop().await.unwrap();
    // Stopping the existing-cluster EnvTest leaves the cluster alone.
    call(&admin, "GET", "/api/v1/namespaces/default", None)
        .await
        .unwrap();
    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn embedded_mode_applies_the_api_server_flags_that_shape_the_server() {
    let scratch = tempfile::tempdir().unwrap();
    let mut options = embedded_options(scratch.path());
    options.api_server_flags = [
        ("service-cluster-ip-range", "10.96.0.0/16"),
        ("service-node-port-range", "31000-31001"),
        // About processes and files the embedded server does not have: named on stderr.
        ("audit-log-path", "/dev/null"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), vec![value.to_string()]))
    .collect();
    let envtest = EnvTest::start(options).await.unwrap();
    let admin = client(envtest.kubeconfig()).await;
    let kubernetes = call(
        &admin,
        "GET",
        "/api/v1/namespaces/default/services/kubernetes",
        None,
    )
    .await
    .unwrap();
    assert_eq!(kubernetes["spec"]["clusterIP"], "10.96.0.1");
    let service = call(
        &admin,
        "POST",
        "/api/v1/namespaces/default/services",
        Some(json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]}
        })),
    )
    .await
    .unwrap();
    let node_port = service["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((31000..=31001).contains(&node_port), "{node_port}");
    envtest.stop().await.unwrap();

    let mut bad = embedded_options(scratch.path());
    bad.api_server_flags = [(
        "service-node-port-range".to_string(),
        vec!["many".to_string()],
    )]
    .into();
    let error = EnvTest::start(bad).await.unwrap_err().to_string();
    assert!(
        error.contains("invalid argument \"many\" for \"--service-node-port-range\""),
        "{error}"
    );
}
