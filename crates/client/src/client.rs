//! The dynamic client: one connection configuration, one discovery cache, one rate limiter,
//! and a [`ResourceClient`] per apiVersion + kind with every verb of client-go's dynamic client.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE, USER_AGENT};
use http_body_util::BodyExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use tokio_util::sync::CancellationToken;

use crate::config::{load_config, ClientOptions};
use crate::discovery::{discovery_path, ApiResource, DiscoveryCache, GroupVersionResources};
use crate::error::{Error, Result};
use crate::failure::{api_failure, connection_error, RequestTarget};
use crate::options::{CallOptions, Verb};
use crate::patch::PatchType;
use crate::watch::WatchStream;

const JSON: &str = "application/json";
const APPLY_PATCH: &str = "application/apply-patch+yaml";
const AGENT: &str = concat!("klite/", env!("CARGO_PKG_VERSION"));

/// Characters escaped in a path segment (names and namespaces cannot contain most of these,
/// but user input must never change the shape of the URL).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A dynamic Kubernetes client. Cheap to clone; clones share the connection pool, the
/// discovery cache and the rate limiter.
#[derive(Clone)]
pub struct DynamicClient {
    inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    config: kube::Config,
    server: String,
    default_namespace: String,
    connection: tokio::sync::OnceCell<kube::Client>,
    discovery: DiscoveryCache,
    limiter: Option<DefaultDirectRateLimiter>,
    timeout: Option<Duration>,
}

/// A JSON object to send, with the metadata the path needs.
#[derive(Debug, Clone, Default)]
pub struct ObjectBody {
    /// The object as JSON text.
    pub json: String,
    /// `metadata.name`, if set.
    pub name: Option<String>,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
}

impl DynamicClient {
    /// Loads the configuration (no network I/O); connects on the first request.
    pub fn new(options: ClientOptions) -> Result<Self> {
        let mut config = load_config(options.kubeconfig.as_deref(), options.context.as_deref())?;
        // Errors are surfaced to the caller as they are; retrying is the caller's decision.
        config.default_retry = false;
        let limiter = rate_limiter(options.qps, options.burst)?;
        let timeout = options.timeout.filter(|timeout| !timeout.is_zero());
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        Ok(DynamicClient {
            inner: Arc::new(ClientInner {
                default_namespace: config.default_namespace.clone(),
                server,
                config,
                connection: tokio::sync::OnceCell::new(),
                discovery: DiscoveryCache::default(),
                limiter,
                timeout,
            }),
        })
    }

    /// The namespace of the kubeconfig context (`"default"` when it names none).
    pub fn default_namespace(&self) -> &str {
        &self.inner.default_namespace
    }

    /// The API server URL from the kubeconfig.
    pub fn server(&self) -> &str {
        &self.inner.server
    }

    /// A handle for one apiVersion + kind; does no I/O.
    pub fn resource(&self, api_version: &str, kind: &str) -> Result<ResourceClient> {
        if api_version.is_empty()
            || api_version.split('/').count() > 2
            || api_version.split('/').any(str::is_empty)
        {
            return Err(Error::invalid(format!(
                "invalid apiVersion \"{api_version}\": use \"v1\" for the core group or \"<group>/<version>\" such as \"apps/v1\""
            )));
        }
        if kind.is_empty() {
            return Err(Error::invalid(
                "kind must be a non-empty string such as \"ConfigMap\"",
            ));
        }
        Ok(ResourceClient {
            client: self.clone(),
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        })
    }

    /// Resolves apiVersion + kind through the discovery cache, fetching on a miss.
    pub async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
        cancel: &CancellationToken,
    ) -> Result<Arc<ApiResource>> {
        if let Some(found) = self.inner.discovery.cached(api_version, kind) {
            return Ok(found);
        }
        let lock = self.inner.discovery.fetch_lock(api_version);
        let _fetching = cancellable(cancel, async { Ok(lock.lock().await) }).await?;
        // Another caller may have fetched while we waited.
        if let Some(found) = self.inner.discovery.cached(api_version, kind) {
            return Ok(found);
        }
        let fetched = self.fetch_group_version(api_version, cancel).await?;
        self.inner.discovery.store(api_version, fetched.clone());
        fetched
            .and_then(|resources| resources.find(kind))
            .ok_or_else(|| Error::UnknownKind {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
            })
    }

    /// Forgets all discovered resources.
    pub fn invalidate_discovery(&self) {
        self.inner.discovery.invalidate();
    }

    async fn fetch_group_version(
        &self,
        api_version: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Arc<GroupVersionResources>>> {
        let path = discovery_path(api_version);
        let request = self.request(http::Method::GET, &path, None, None)?;
        let target = RequestTarget::default();
        match self.execute(request, Verb::Get, &target, cancel).await {
            Ok(body) => {
                let text = std::str::from_utf8(&body).map_err(|err| Error::UnexpectedResponse {
                    url: path.clone(),
                    message: format!("discovery document is not UTF-8: {err}"),
                })?;
                let resources =
                    GroupVersionResources::from_json(api_version, text).map_err(|err| {
                        Error::UnexpectedResponse {
                            url: path.clone(),
                            message: format!("discovery document is not an APIResourceList: {err}"),
                        }
                    })?;
                Ok(Some(Arc::new(resources)))
            }
            Err(Error::Api(failure)) if failure.code == 404 => Ok(None),
            Err(other) => Err(other),
        }
    }

    fn request(
        &self,
        method: http::Method,
        path_and_query: &str,
        body: Option<(Bytes, &'static str)>,
        accept: Option<&'static str>,
    ) -> Result<http::Request<kube::client::Body>> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(ACCEPT, HeaderValue::from_static(accept.unwrap_or(JSON)))
            .header(USER_AGENT, HeaderValue::from_static(AGENT));
        let body = match body {
            Some((bytes, content_type)) => {
                builder = builder.header(CONTENT_TYPE, HeaderValue::from_static(content_type));
                kube::client::Body::from(bytes)
            }
            None => kube::client::Body::empty(),
        };
        builder.body(body).map_err(|err| {
            Error::invalid(format!(
                "cannot build a request for {path_and_query}: {err}"
            ))
        })
    }

    async fn connection(&self) -> Result<kube::Client> {
        let inner = &self.inner;
        inner
            .connection
            .get_or_try_init(|| async {
                // ring is the only provider compiled in; installing it explicitly keeps rustls
                // from guessing. A provider installed earlier by the host process also works.
                let _ = rustls::crypto::ring::default_provider().install_default();
                kube::Client::try_from(inner.config.clone()).map_err(|err| Error::Kubeconfig {
                    message: format!(
                        "cannot set up a connection to {} from the kubeconfig: {err}",
                        inner.server
                    ),
                    source: Some(Box::new(err)),
                })
            })
            .await
            .cloned()
    }

    /// Sends `request` and returns the response once its headers arrived (status checked).
    async fn send(
        &self,
        request: http::Request<kube::client::Body>,
        verb: Verb,
        target: &RequestTarget,
    ) -> Result<http::Response<kube::client::Body>> {
        let connection = self.connection().await?;
        if let Some(limiter) = &self.inner.limiter {
            limiter.until_ready().await;
        }
        let response = connection
            .send(request)
            .await
            .map_err(|err| self.transport_error(err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        Err(api_failure(status.as_u16(), verb, target, &body))
    }

    /// Sends `request` and reads the whole body, within the timeout and until cancelled.
    async fn execute(
        &self,
        request: http::Request<kube::client::Body>,
        verb: Verb,
        target: &RequestTarget,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let exchange = async {
            let response = self.send(request, verb, target).await?;
            let collected = response
                .into_body()
                .collect()
                .await
                .map_err(|err| self.transport_error(err))?;
            Ok(collected.to_bytes())
        };
        cancellable(cancel, self.within_timeout(exchange)).await
    }

    pub(crate) async fn within_timeout<T>(
        &self,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.inner.timeout {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .unwrap_or(Err(Error::Timeout(limit))),
            None => work.await,
        }
    }

    pub(crate) fn transport_error(&self, err: kube::Error) -> Error {
        match err {
            kube::Error::Auth(auth) => Error::Kubeconfig {
                message: format!(
                    "the kubeconfig credentials could not be used for {}: {auth}",
                    self.inner.server
                ),
                source: Some(Box::new(auth)),
            },
            other => connection_error(Box::new(other), &self.inner.server),
        }
    }

    /// Opens a streaming GET (a watch) and returns the response once its headers arrived.
    pub(crate) async fn open_stream(
        &self,
        path_and_query: &str,
        target: &RequestTarget,
        cancel: &CancellationToken,
    ) -> Result<http::Response<kube::client::Body>> {
        let request = self.request(http::Method::GET, path_and_query, None, None)?;
        cancellable(
            cancel,
            self.within_timeout(self.send(request, Verb::Watch, target)),
        )
        .await
    }
}

fn rate_limiter(qps: f64, burst: u32) -> Result<Option<DefaultDirectRateLimiter>> {
    if qps.is_nan() {
        return Err(Error::invalid(
            "qps must be a number; use -1 to disable rate limiting",
        ));
    }
    if qps <= 0.0 || qps.is_infinite() {
        return Ok(None);
    }
    let period = Duration::from_secs_f64(1.0 / qps);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .ok_or_else(|| {
            Error::invalid(format!(
                "qps {qps} is too large; use -1 to disable rate limiting"
            ))
        })?
        .allow_burst(burst);
    Ok(Some(RateLimiter::direct(quota)))
}

/// Runs `work` until it finishes or `cancel` fires.
pub(crate) async fn cancellable<T>(
    cancel: &CancellationToken,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        outcome = work => outcome,
    }
}

/// Every verb for one apiVersion + kind.
#[derive(Clone)]
pub struct ResourceClient {
    client: DynamicClient,
    api_version: String,
    kind: String,
}

/// Where a single-object or collection call goes.
enum Scope<'a> {
    Collection {
        namespace: Option<&'a str>,
    },
    Object {
        namespace: Option<&'a str>,
        name: &'a str,
    },
}

impl ResourceClient {
    /// The apiVersion this handle addresses.
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The kind this handle addresses.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The client this handle belongs to.
    pub fn client(&self) -> &DynamicClient {
        &self.client
    }

    /// Resolves the kind (cached after the first call).
    pub async fn resolve(&self, cancel: &CancellationToken) -> Result<Arc<ApiResource>> {
        self.client
            .resolve(&self.api_version, &self.kind, cancel)
            .await
    }

    /// `GET` one object (or one of its subresources).
    pub async fn get(
        &self,
        name: &str,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        check_name(name, "get")?;
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, None);
        let path = self.path(
            &resource,
            Scope::Object {
                namespace: namespace.as_deref(),
                name,
            },
            options,
        )?;
        self.call(Verb::Get, &resource, path, name, None, cancel)
            .await
    }

    /// `GET` a collection.
    pub async fn list(&self, options: &CallOptions, cancel: &CancellationToken) -> Result<Bytes> {
        let resource = self.resolve(cancel).await?;
        let path = self.path(
            &resource,
            Scope::Collection {
                namespace: options.namespace.as_deref(),
            },
            options,
        )?;
        self.call(Verb::List, &resource, path, "", None, cancel)
            .await
    }

    /// `POST` a new object (or to a subresource of the object named in it).
    pub async fn create(
        &self,
        object: ObjectBody,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, object.namespace.as_deref());
        let scope = if options.subresource.is_empty() {
            Scope::Collection {
                namespace: namespace.as_deref(),
            }
        } else {
            let name = object.name.as_deref().unwrap_or_default();
            check_name(name, "create with a subresource (metadata.name)")?;
            Scope::Object {
                namespace: namespace.as_deref(),
                name,
            }
        };
        let path = self.path(&resource, scope, options)?;
        let name = object.name.clone().unwrap_or_default();
        self.call(
            Verb::Create,
            &resource,
            path,
            &name,
            Some((object.json.into(), JSON)),
            cancel,
        )
        .await
    }

    /// `PUT` a whole object; the name comes from `metadata.name`.
    pub async fn update(
        &self,
        object: ObjectBody,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let name = object.name.as_deref().unwrap_or_default().to_owned();
        check_name(&name, "update (metadata.name)")?;
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, object.namespace.as_deref());
        let path = self.path(
            &resource,
            Scope::Object {
                namespace: namespace.as_deref(),
                name: &name,
            },
            options,
        )?;
        self.call(
            Verb::Update,
            &resource,
            path,
            &name,
            Some((object.json.into(), JSON)),
            cancel,
        )
        .await
    }

    /// `PATCH` an object with a JSON, merge, strategic merge or apply patch.
    pub async fn patch(
        &self,
        name: &str,
        patch_type: PatchType,
        patch: Bytes,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        check_name(name, "patch")?;
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, None);
        let path = self.path(
            &resource,
            Scope::Object {
                namespace: namespace.as_deref(),
                name,
            },
            options,
        )?;
        let verb = if patch_type == PatchType::Apply {
            Verb::Apply
        } else {
            Verb::Patch
        };
        self.call(
            verb,
            &resource,
            path,
            name,
            Some((patch, patch_type.content_type())),
            cancel,
        )
        .await
    }

    /// Server-side apply of a whole (partial) object; the name comes from `options.name` or
    /// `metadata.name`.
    pub async fn apply(
        &self,
        object: ObjectBody,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let name = options
            .name
            .clone()
            .or(object.name.clone())
            .unwrap_or_default();
        check_name(&name, "apply (metadata.name or the `name` option)")?;
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, object.namespace.as_deref());
        let path = self.path(
            &resource,
            Scope::Object {
                namespace: namespace.as_deref(),
                name: &name,
            },
            options,
        )?;
        self.call(
            Verb::Apply,
            &resource,
            path,
            &name,
            Some((object.json.into(), APPLY_PATCH)),
            cancel,
        )
        .await
    }

    /// `DELETE` one object; answers the server's Status (or the object, when finalizers defer).
    pub async fn delete(
        &self,
        name: &str,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        check_name(name, "delete")?;
        let resource = self.resolve(cancel).await?;
        let namespace = self.object_namespace(&resource, options, None);
        let path = self.path(
            &resource,
            Scope::Object {
                namespace: namespace.as_deref(),
                name,
            },
            options,
        )?;
        let body = options
            .delete_body
            .clone()
            .map(|text| (Bytes::from(text), JSON));
        self.call(Verb::Delete, &resource, path, name, body, cancel)
            .await
    }

    /// `DELETE` a collection (all namespaces unless `namespace` is given).
    pub async fn delete_collection(
        &self,
        options: &CallOptions,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let resource = self.resolve(cancel).await?;
        let path = self.path(
            &resource,
            Scope::Collection {
                namespace: options.namespace.as_deref(),
            },
            options,
        )?;
        let body = options
            .delete_body
            .clone()
            .map(|text| (Bytes::from(text), JSON));
        self.call(Verb::DeleteCollection, &resource, path, "", body, cancel)
            .await
    }

    /// A watch on the collection; connects on the first [`WatchStream::next_batch`].
    pub fn watch(&self, options: CallOptions) -> WatchStream {
        WatchStream::new(self.clone(), options)
    }

    /// Builds the watch URL; used by [`WatchStream`] when it connects.
    pub(crate) fn watch_target(
        &self,
        resource: &ApiResource,
        options: &CallOptions,
    ) -> Result<(String, RequestTarget)> {
        let path = self.path(
            resource,
            Scope::Collection {
                namespace: options.namespace.as_deref(),
            },
            options,
        )?;
        Ok((path, target(resource, "")))
    }

    async fn call(
        &self,
        verb: Verb,
        resource: &ApiResource,
        path: String,
        name: &str,
        body: Option<(Bytes, &'static str)>,
        cancel: &CancellationToken,
    ) -> Result<Bytes> {
        let request = self.client.request(verb.http_method(), &path, body, None)?;
        self.client
            .execute(request, verb, &target(resource, name), cancel)
            .await
    }

    /// `opts.namespace`, else the object's, else (namespaced kinds) the context namespace.
    fn object_namespace(
        &self,
        resource: &ApiResource,
        options: &CallOptions,
        from_object: Option<&str>,
    ) -> Option<String> {
        if !resource.namespaced {
            return None;
        }
        options
            .namespace
            .clone()
            .filter(|namespace| !namespace.is_empty())
            .or_else(|| {
                from_object
                    .filter(|namespace| !namespace.is_empty())
                    .map(str::to_owned)
            })
            .or_else(|| Some(self.client.default_namespace().to_owned()))
    }

    fn path(
        &self,
        resource: &ApiResource,
        scope: Scope<'_>,
        options: &CallOptions,
    ) -> Result<String> {
        let mut path = discovery_path(&resource.api_version);
        let (namespace, name) = match scope {
            Scope::Collection { namespace } => (namespace, None),
            Scope::Object { namespace, name } => (namespace, Some(name)),
        };
        if resource.namespaced {
            if let Some(namespace) = namespace.filter(|namespace| !namespace.is_empty()) {
                check_segment(namespace, "namespace")?;
                path.push_str("/namespaces/");
                path.extend(utf8_percent_encode(namespace, SEGMENT));
            }
        }
        path.push('/');
        path.push_str(&resource.plural);
        if let Some(name) = name {
            path.push('/');
            path.extend(utf8_percent_encode(name, SEGMENT));
            for segment in &options.subresource {
                check_segment(segment, "subresource")?;
                path.push('/');
                path.extend(utf8_percent_encode(segment, SEGMENT));
            }
        }
        let query = options.query_string();
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query);
        }
        Ok(path)
    }
}

fn target(resource: &ApiResource, name: &str) -> RequestTarget {
    RequestTarget {
        group: resource.group.clone(),
        resource: resource.plural.clone(),
        name: name.to_owned(),
    }
}

fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid(format!(
            "{what} needs a resource name: pass a non-empty string"
        )));
    }
    check_segment(name, "resource name")
}

/// client-go's `IsValidPathSegmentName`.
fn check_segment(segment: &str, what: &str) -> Result<()> {
    if segment == "." || segment == ".." {
        return Err(Error::invalid(format!(
            "invalid {what} \"{segment}\": may not be '.' or '..'"
        )));
    }
    if let Some(bad) = segment.chars().find(|c| *c == '/' || *c == '%') {
        return Err(Error::invalid(format!(
            "invalid {what} \"{segment}\": may not contain '{bad}'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: k\n    namespace: ctx-ns\n";

    fn resource(group: &str, plural: &str, namespaced: bool) -> ApiResource {
        ApiResource {
            group: group.into(),
            version: "v1".into(),
            api_version: if group.is_empty() {
                "v1".into()
            } else {
                format!("{group}/v1")
            },
            kind: "K".into(),
            plural: plural.into(),
            singular: String::new(),
            namespaced,
            verbs: vec![],
            short_names: vec![],
            subresources: vec![],
        }
    }

    fn handle() -> ResourceClient {
        let client = DynamicClient::new(ClientOptions {
            kubeconfig: Some(KUBECONFIG.into()),
            ..Default::default()
        })
        .unwrap();
        client.resource("v1", "ConfigMap").unwrap()
    }

    #[test]
    fn paths_follow_the_kubernetes_url_layout() {
        let handle = handle();
        let cm = resource("", "configmaps", true);
        let opts =
            CallOptions::parse(Verb::Get, json!({"subresource": "status"}).as_object()).unwrap();
        assert_eq!(
            handle
                .path(
                    &cm,
                    Scope::Object {
                        namespace: Some("ns"),
                        name: "x"
                    },
                    &opts
                )
                .unwrap(),
            "/api/v1/namespaces/ns/configmaps/x/status"
        );
        let crd = resource("apiextensions.k8s.io", "customresourcedefinitions", false);
        let list = CallOptions::parse(
            Verb::List,
            json!({"namespace": "ignored", "limit": 2}).as_object(),
        )
        .unwrap();
        assert_eq!(
            handle
                .path(
                    &crd,
                    Scope::Collection {
                        namespace: Some("ignored")
                    },
                    &list
                )
                .unwrap(),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?limit=2"
        );
        assert_eq!(
            handle
                .path(
                    &cm,
                    Scope::Collection { namespace: None },
                    &CallOptions::default()
                )
                .unwrap(),
            "/api/v1/configmaps"
        );
    }

    #[test]
    fn namespaces_default_to_the_context_for_single_objects() {
        let handle = handle();
        let cm = resource("", "configmaps", true);
        let none = CallOptions::default();
        assert_eq!(
            handle.object_namespace(&cm, &none, None).as_deref(),
            Some("ctx-ns")
        );
        assert_eq!(
            handle.object_namespace(&cm, &none, Some("obj")).as_deref(),
            Some("obj")
        );
        let explicit = CallOptions {
            namespace: Some("opt".into()),
            ..Default::default()
        };
        assert_eq!(
            handle
                .object_namespace(&cm, &explicit, Some("obj"))
                .as_deref(),
            Some("opt")
        );
        let cluster = resource("", "namespaces", false);
        assert_eq!(
            handle.object_namespace(&cluster, &explicit, Some("obj")),
            None
        );
    }

    #[test]
    fn names_that_would_change_the_url_are_rejected() {
        assert!(check_name("", "get").is_err());
        assert!(check_name("a/b", "get").is_err());
        assert!(check_name("..", "get").is_err());
        assert!(check_name("a%2f", "get").is_err());
        assert!(check_name("ok-name.1", "get").is_ok());
    }

    #[test]
    fn bad_api_versions_and_kinds_are_rejected_without_io() {
        let client = DynamicClient::new(ClientOptions {
            kubeconfig: Some(KUBECONFIG.into()),
            ..Default::default()
        })
        .unwrap();
        assert!(client.resource("", "ConfigMap").is_err());
        assert!(client.resource("a/b/c", "X").is_err());
        assert!(client.resource("/v1", "X").is_err());
        assert!(client.resource("v1", "").is_err());
        assert_eq!(client.default_namespace(), "ctx-ns");
        assert_eq!(client.server(), "https://127.0.0.1:1");
    }

    #[test]
    fn rate_limiting_is_off_for_non_positive_qps() {
        assert!(rate_limiter(-1.0, 100).unwrap().is_none());
        assert!(rate_limiter(0.0, 100).unwrap().is_none());
        assert!(rate_limiter(5.0, 10).unwrap().is_some());
        assert!(rate_limiter(f64::NAN, 10).is_err());
    }
}
