//! The few API calls EnvTest itself makes (default-namespace wait, CRD install,
//! discovery polling), over kube-rs so that every kubeconfig auth method works in
//! `USE_EXISTING_CLUSTER` mode too.

use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;

use crate::error::{Error, Result};

const CRD_PATH: &str = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/// A client for the control plane's admin user.
#[derive(Clone)]
pub struct ApiClient {
    client: kube::Client,
}

impl ApiClient {
    /// A client from kubeconfig text.
    pub async fn from_kubeconfig(text: &str) -> Result<Self> {
        let kubeconfig = Kubeconfig::from_yaml(text)
            .map_err(|e| Error::ExistingCluster(format!("parsing kubeconfig: {e}")))?;
        Self::from_parsed(kubeconfig).await
    }

    /// A client from a parsed kubeconfig (its current context).
    pub async fn from_parsed(kubeconfig: Kubeconfig) -> Result<Self> {
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|e| Error::ExistingCluster(format!("loading kubeconfig: {e}")))?;
        let client = kube::Client::try_from(config)
            .map_err(|e| Error::kube("creating a client for the control plane", e))?;
        Ok(ApiClient { client })
    }

    async fn send(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, kube::Error> {
        let bytes = match body {
            Some(body) => serde_json::to_vec(body).map_err(kube::Error::SerdeError)?,
            None => Vec::new(),
        };
        let mut request = http::Request::builder().method(method).uri(path);
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(bytes).map_err(kube::Error::HttpError)?;
        self.client.request::<Value>(request).await
    }

    /// Polls `GET /api/v1/namespaces/default` every 50 ms (first poll immediately)
    /// until it succeeds, for up to `timeout` (upstream: 5 s).
    pub async fn wait_for_default_namespace(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if self
                .send(http::Method::GET, "/api/v1/namespaces/default", None)
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::DefaultNamespace);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// GET by name; on NotFound create; otherwise update with the current
    /// resourceVersion, retrying on conflicts.
    pub async fn create_or_update_crd(&self, mut crd: Value) -> Result<Value> {
        let name = crd["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            return Err(Error::InvalidCrd("a CRD has no metadata.name".into()));
        }
        let item_path = format!("{CRD_PATH}/{name}");
        let context = || format!("installing CRD {name}");
        for _ in 0..5 {
            match self.send(http::Method::GET, &item_path, None).await {
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    return self
                        .send(http::Method::POST, CRD_PATH, Some(&crd))
                        .await
                        .map_err(|e| Error::kube(context(), e));
                }
                Err(e) => return Err(Error::kube(context(), e)),
                Ok(existing) => {
                    crd["metadata"]["resourceVersion"] =
                        existing["metadata"]["resourceVersion"].clone();
                    match self.send(http::Method::PUT, &item_path, Some(&crd)).await {
                        Err(kube::Error::Api(status)) if status.code == 409 => continue,
                        other => return other.map_err(|e| Error::kube(context(), e)),
                    }
                }
            }
        }
        Err(Error::InvalidCrd(format!(
            "{name}: conflicting updates, gave up after 5 attempts"
        )))
    }

    /// Resource names served for a group/version (`GET /apis/<group>/<version>`).
    pub async fn served_resources(&self, group_version: &str) -> Result<Vec<String>, kube::Error> {
        let list = self.client.list_api_group_resources(group_version).await?;
        Ok(list.resources.into_iter().map(|r| r.name).collect())
    }
}
