//! `DynamicClient`, its `Discovery` cache and the `CancelToken` used for `AbortSignal`s.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{Env, JsString};
use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::error::{argument_error, guarded, reject, throw};
use crate::resource::DynamicResource;

/// How to reach the cluster and how to pace requests.
#[napi(object)]
pub struct DynamicClientOptions {
    /// The kubeconfig itself (YAML or JSON text), not a path. When absent it is inferred like
    /// kubectl does: `KUBECONFIG` (several paths, merged), then `~/.kube/config`, then the
    /// in-cluster service account.
    #[napi(ts_type = "string | Buffer")]
    pub kubeconfig: Option<Either<String, Buffer>>,
    /// The kubeconfig context to use.
    /// @default the kubeconfig's current-context
    pub context: Option<String>,
    /// Client-side rate limit in requests per second; `-1` disables it.
    /// @default -1
    pub qps: Option<f64>,
    /// Requests allowed in a burst above `qps`.
    /// @default 100
    pub burst: Option<u32>,
    /// Per-request deadline: milliseconds, or a Go duration such as `"30s"` or `"1m30s"`.
    /// A watch is bounded only until its response starts. Expiry rejects with a
    /// `ConnectionError` whose `code` is `ETIMEDOUT`.
    /// @default no timeout
    #[napi(ts_type = "number | string")]
    pub timeout: Option<Either<f64, String>>,
}

/// A dynamic Kubernetes client: any apiVersion and kind, every verb, objects as plain JSON.
///
/// ```ts
/// const client = new DynamicClient()
/// const cm = await client.resource('v1', 'ConfigMap').get('settings', { namespace: 'default' })
/// ```
#[napi]
pub struct DynamicClient {
    client: klite_client::DynamicClient,
}

impl DynamicClient {
    /// Builds a client from Rust (used by `EnvTest.client()`).
    pub fn from_options(options: klite_client::ClientOptions) -> klite_client::Result<Self> {
        Ok(DynamicClient {
            client: klite_client::DynamicClient::new(options)?,
        })
    }

    /// The underlying client.
    pub fn inner(&self) -> &klite_client::DynamicClient {
        &self.client
    }
}

#[napi]
impl DynamicClient {
    /// Loads the kubeconfig (no network I/O happens until the first request).
    /// Throws when the kubeconfig is malformed or names a missing context.
    #[napi(catch_unwind, constructor)]
    pub fn new(env: Env, options: Option<DynamicClientOptions>) -> Result<Self> {
        let options = client_options(&env, options)?;
        DynamicClient::from_options(options).map_err(|err| throw(&env, err))
    }

    /// A handle for one apiVersion and kind, e.g. `resource('apps/v1', 'Deployment')`.
    /// Does no I/O: the kind is resolved through discovery on the first call and cached.
    #[napi(catch_unwind, ts_args_type = "apiVersion: string, kind: string")]
    pub fn resource(
        &self,
        env: Env,
        api_version: Unknown,
        kind: Unknown,
    ) -> Result<DynamicResource> {
        let api_version =
            required_string(&env, api_version, "apiVersion", "\"v1\" or \"apps/v1\"")?;
        let kind = required_string(&env, kind, "kind", "\"ConfigMap\"")?;
        let resource = self
            .client
            .resource(&api_version, &kind)
            .map_err(|err| throw(&env, err))?;
        Ok(DynamicResource::new(resource))
    }

    /// The discovery cache of this client: resolves apiVersion + kind to the served resource.
    #[napi(catch_unwind, getter)]
    pub fn resources(&self) -> Discovery {
        Discovery {
            client: self.client.clone(),
        }
    }

    /// The namespace of the kubeconfig context (`"default"` when it sets none); used for
    /// single-object calls on namespaced kinds when neither the options nor the object name one.
    #[napi(catch_unwind, getter)]
    pub fn namespace(&self) -> String {
        self.client.default_namespace().to_owned()
    }

    /// The API server URL from the kubeconfig.
    #[napi(catch_unwind, getter)]
    pub fn server(&self) -> String {
        self.client.server().to_owned()
    }
}

/// Converts the JS options (also usable by other bindings that hand out clients).
pub(crate) fn client_options(
    env: &Env,
    options: Option<DynamicClientOptions>,
) -> Result<klite_client::ClientOptions> {
    let mut result = klite_client::ClientOptions::default();
    let Some(options) = options else {
        return Ok(result);
    };
    result.kubeconfig = match options.kubeconfig {
        None => None,
        Some(Either::A(text)) => Some(text),
        Some(Either::B(buffer)) => Some(String::from_utf8(buffer.to_vec()).map_err(|_| {
            argument_error(
                env,
                "`kubeconfig` Buffer is not UTF-8 text: pass the kubeconfig file's contents",
            )
        })?),
    };
    result.context = options.context.filter(|context| !context.is_empty());
    if let Some(qps) = options.qps {
        result.qps = qps;
    }
    if let Some(burst) = options.burst {
        result.burst = burst;
    }
    result.timeout = match options.timeout {
        None => None,
        Some(Either::A(millis)) if millis.is_finite() && millis >= 0.0 => {
            Some(Duration::from_secs_f64(millis / 1000.0))
        }
        Some(Either::A(millis)) => {
            return Err(argument_error(
                env,
                format!("`timeout` must be a non-negative number of milliseconds or a Go duration such as \"30s\", got {millis}"),
            ))
        }
        Some(Either::B(text)) => Some(
            klite_client::parse_go_duration(&text).map_err(|err| throw(env, err))?,
        ),
    };
    Ok(result)
}

/// Reads a required string argument, with a message that says what to pass.
pub(crate) fn required_string(
    env: &Env,
    value: Unknown,
    what: &str,
    example: &str,
) -> Result<String> {
    if value.get_type()? == ValueType::String {
        // SAFETY: checked to be a string.
        let text: JsString = unsafe { value.cast()? };
        let text = text.into_utf8()?.into_owned()?;
        if !text.is_empty() {
            return Ok(text);
        }
    }
    Err(argument_error(
        env,
        format!("{what} must be a non-empty string such as {example}"),
    ))
}

/// The discovery cache of one client.
#[napi]
pub struct Discovery {
    client: klite_client::DynamicClient,
}

/// How the API server serves a kind.
#[napi(object, js_name = "ApiResource")]
pub struct ApiResourceInfo {
    /// API group; `""` for the core group.
    pub group: String,
    /// Version within the group.
    pub version: String,
    /// `group/version`, or the version alone for the core group.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// The plural resource name used in URLs, e.g. `configmaps`.
    pub plural: String,
    /// The singular name, e.g. `configmap`.
    pub singular: String,
    /// Whether objects of this kind live in namespaces.
    pub namespaced: bool,
    /// Verbs the server supports, e.g. `["create", "delete", "get", "list", "patch", "update", "watch"]`.
    pub verbs: Vec<String>,
    /// Short names, e.g. `["cm"]`.
    pub short_names: Vec<String>,
    /// Subresources the server serves, e.g. `["status", "scale"]`.
    pub subresources: Vec<String>,
}

#[napi]
impl Discovery {
    /// Resolves an apiVersion and kind to its resource, from the cache or through discovery
    /// (a miss is fetched again, so CRDs installed later are found). Rejects with
    /// `NotFoundError` when the server does not serve the kind.
    #[napi(
        catch_unwind,
        ts_args_type = "apiVersion: string, kind: string",
        ts_return_type = "Promise<ApiResource>"
    )]
    pub fn resolve<'env>(
        &self,
        env: &'env Env,
        api_version: Unknown,
        kind: Unknown,
    ) -> Result<PromiseRaw<'env, ApiResourceInfo>> {
        let api_version = required_string(env, api_version, "apiVersion", "\"v1\" or \"apps/v1\"")?;
        let kind = required_string(env, kind, "kind", "\"ConfigMap\"")?;
        let client = self.client.clone();
        env.spawn_future(guarded(async move {
            let cancel = CancellationToken::new();
            let resource = client
                .resolve(&api_version, &kind, &cancel)
                .await
                .map_err(reject)?;
            let resource = (*resource).clone();
            Ok(ApiResourceInfo {
                group: resource.group,
                version: resource.version,
                api_version: resource.api_version,
                kind: resource.kind,
                plural: resource.plural,
                singular: resource.singular,
                namespaced: resource.namespaced,
                verbs: resource.verbs,
                short_names: resource.short_names,
                subresources: resource.subresources,
            })
        }))
    }

    /// Forgets every cached resource; the next call of each kind asks the server again.
    #[napi(catch_unwind)]
    pub fn invalidate(&self) {
        self.client.invalidate_discovery();
    }
}

/// Cancels in-flight requests; created by the JS layer for each call that got an
/// `AbortSignal`. Not needed directly: pass `signal` in the options instead.
#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    /// A token that has not fired.
    #[napi(catch_unwind, constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    /// Fires the token: the request it was passed to stops and rejects.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}

impl CancelToken {
    /// The token for a request, or a fresh one that never fires.
    pub(crate) fn token_of(token: Option<&CancelToken>) -> CancellationToken {
        token.map(|token| token.token.clone()).unwrap_or_default()
    }
}
