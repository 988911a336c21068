//! `DynamicResource`: every verb of client-go's dynamic client as a Promise-returning method.
//!
//! Each method converts its arguments on the JS thread, then runs the request on the shared
//! tokio runtime; the answer comes back as JSON text and is parsed by V8.

use std::future::Future;

use klite_client::{CallOptions, PatchType, ResourceClient, Verb};
use napi::bindgen_prelude::*;
use napi::{Env, JsString, Unknown, ValueType};
use napi_derive::napi;

use crate::client::CancelToken;
use crate::error::{argument_error, guarded, reject, throw};
use crate::json::{object_body, patch_body, JsonText};
use crate::watch::WatchStream;

// The option interfaces below exist for the typings (`index.d.ts`) and their docs. Options are
// read generically (see `call_options`) so that unknown keys pass through as query parameters.

/// Options of `get`.
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct GetOptions {
    /// Namespace of the object; defaults to the kubeconfig context's namespace.
    pub namespace: Option<String>,
    /// `"0"` serves from the API server's cache; empty reads the latest.
    pub resource_version: Option<String>,
    /// A subresource to read, e.g. `"status"` or `"scale"`, or path segments.
    #[napi(ts_type = "'status' | 'scale' | (string & {}) | string[]")]
    pub subresource: Option<serde_json::Value>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `list`, `watch`, `iterate` and `deleteCollection` (list side).
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct ListOptions {
    /// Namespace to list; omit it to list across all namespaces.
    pub namespace: Option<String>,
    /// Label selector, e.g. `"app=web,tier in (fe,be),!legacy"`.
    pub label_selector: Option<String>,
    /// Field selector, e.g. `"metadata.name=x"`.
    pub field_selector: Option<String>,
    /// Page size; the answer carries `metadata.continue` when there is more.
    pub limit: Option<f64>,
    /// The `metadata.continue` token of the previous page.
    #[napi(js_name = "continue")]
    pub continue_token: Option<String>,
    /// Resource version to list or watch from (semantics per `resourceVersionMatch`).
    pub resource_version: Option<String>,
    /// How `resourceVersion` applies: `"NotOlderThan"` or `"Exact"`.
    #[napi(ts_type = "'NotOlderThan' | 'Exact'")]
    pub resource_version_match: Option<String>,
    /// Server-side timeout of the call in seconds (ends a watch normally).
    pub timeout_seconds: Option<f64>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `watch`: the list options plus bookmarks, initial events and an abort signal.
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct WatchOptions {
    /// Namespace to watch; omit it to watch all namespaces.
    pub namespace: Option<String>,
    /// Label selector; objects leaving it arrive as `DELETED`.
    pub label_selector: Option<String>,
    /// Field selector.
    pub field_selector: Option<String>,
    /// Start after this resource version; `"0"` or absent starts with `ADDED` events for
    /// every existing object.
    pub resource_version: Option<String>,
    /// How `resourceVersion` applies (`"NotOlderThan"` with `sendInitialEvents`).
    #[napi(ts_type = "'NotOlderThan' | 'Exact'")]
    pub resource_version_match: Option<String>,
    /// Ends the watch normally after this many seconds.
    pub timeout_seconds: Option<f64>,
    /// Ask for `BOOKMARK` events carrying the latest resourceVersion.
    /// @default false
    pub allow_watch_bookmarks: Option<bool>,
    /// Stream the current state as `ADDED` events first, then a bookmark with the
    /// `k8s.io/initial-events-end` annotation.
    pub send_initial_events: Option<bool>,
    /// Stops the watch when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `create`, `update` and `updateStatus`.
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct WriteOptions {
    /// Namespace; defaults to `metadata.namespace`, then the context's namespace.
    pub namespace: Option<String>,
    /// `"All"` to run every admission and validation step without persisting.
    #[napi(ts_type = "'All' | 'All'[]")]
    pub dry_run: Option<serde_json::Value>,
    /// The field manager recorded in `managedFields`.
    pub field_manager: Option<String>,
    /// How unknown or duplicate fields are treated: `"Ignore"`, `"Warn"` or `"Strict"`.
    #[napi(ts_type = "'Ignore' | 'Warn' | 'Strict'")]
    pub field_validation: Option<String>,
    /// A subresource to write, e.g. `"status"`.
    #[napi(ts_type = "'status' | 'scale' | (string & {}) | string[]")]
    pub subresource: Option<serde_json::Value>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `patch`.
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct PatchOptions {
    /// Namespace; defaults to the context's namespace.
    pub namespace: Option<String>,
    /// `"All"` to run without persisting.
    #[napi(ts_type = "'All' | 'All'[]")]
    pub dry_run: Option<serde_json::Value>,
    /// The field manager recorded in `managedFields` (required by `"apply"` patches).
    pub field_manager: Option<String>,
    /// `"Ignore"`, `"Warn"` or `"Strict"`.
    #[napi(ts_type = "'Ignore' | 'Warn' | 'Strict'")]
    pub field_validation: Option<String>,
    /// For apply patches: take ownership of conflicting fields.
    pub force: Option<bool>,
    /// A subresource to patch, e.g. `"status"` or `"scale"`.
    #[napi(ts_type = "'status' | 'scale' | (string & {}) | string[]")]
    pub subresource: Option<serde_json::Value>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `apply` and `applyStatus` (server-side apply).
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct ApplyOptions {
    /// Namespace; defaults to `metadata.namespace`, then the context's namespace.
    pub namespace: Option<String>,
    /// Object name; defaults to `metadata.name`.
    pub name: Option<String>,
    /// `"All"` to run without persisting.
    #[napi(ts_type = "'All' | 'All'[]")]
    pub dry_run: Option<serde_json::Value>,
    /// The field manager that owns the applied fields.
    /// @default "klite"
    pub field_manager: Option<String>,
    /// Take ownership of fields another manager owns instead of failing with a conflict.
    /// @default false
    pub force: Option<bool>,
    /// A subresource to apply to, e.g. `"status"`.
    #[napi(ts_type = "'status' | 'scale' | (string & {}) | string[]")]
    pub subresource: Option<serde_json::Value>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Options of `delete` (sent as `DeleteOptions` in the request body).
#[allow(dead_code)] // declared for the typings only; see `call_options`
#[napi(object)]
pub struct DeleteOptions {
    /// Namespace; defaults to the context's namespace.
    pub namespace: Option<String>,
    /// Seconds before the object is deleted; `0` deletes immediately.
    pub grace_period_seconds: Option<f64>,
    /// `"Orphan"`, `"Background"` or `"Foreground"`.
    #[napi(ts_type = "'Orphan' | 'Background' | 'Foreground'")]
    pub propagation_policy: Option<String>,
    /// Delete only if the object still has this uid / resourceVersion.
    #[napi(ts_type = "{ uid?: string; resourceVersion?: string }")]
    pub preconditions: Option<serde_json::Value>,
    /// `"All"` to run without persisting.
    #[napi(ts_type = "'All' | 'All'[]")]
    pub dry_run: Option<serde_json::Value>,
    /// Aborts the request; the Promise rejects with `signal.reason`.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<serde_json::Value>,
}

/// Every verb for one apiVersion + kind. Created by `DynamicClient.resource()`.
///
/// All methods return Promises; failures reject with the `ApiError` subclass matching the
/// server's reason (`NotFoundError`, `ConflictError`, …) or a `ConnectionError`.
/// Every options object also accepts `signal` (an `AbortSignal`) and passes keys it does not
/// know through as query parameters.
#[napi]
pub struct DynamicResource {
    resource: ResourceClient,
}

impl DynamicResource {
    pub(crate) fn new(resource: ResourceClient) -> Self {
        DynamicResource { resource }
    }
}

#[napi]
impl DynamicResource {
    /// The apiVersion this handle addresses.
    #[napi(catch_unwind, getter)]
    pub fn api_version(&self) -> String {
        self.resource.api_version().to_owned()
    }

    /// The kind this handle addresses.
    #[napi(catch_unwind, getter)]
    pub fn kind(&self) -> String {
        self.resource.kind().to_owned()
    }

    /// Reads one object (or one of its subresources).
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, opts?: GetOptions",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        name: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let name = object_name(env, name, "get")?;
        let options = call_options(env, Verb::Get, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.get(&name, &options, &cancel).await
        })
    }

    /// Lists objects: one namespace, or all when `namespace` is omitted. Every item carries
    /// `apiVersion` and `kind`. Use `limit`/`continue` (or `iterate()`) to page.
    #[napi(
        catch_unwind,
        ts_args_type = "opts?: ListOptions",
        ts_return_type = "Promise<KubernetesList>"
    )]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let options = call_options(env, Verb::List, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.list(&options, &cancel).await
        })
    }

    /// Creates an object and resolves to what the server stored.
    #[napi(
        catch_unwind,
        ts_args_type = "obj: KubernetesObject, opts?: WriteOptions",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn create<'env>(
        &self,
        env: &'env Env,
        obj: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let body = object_body(env, obj, "the object to create")?;
        let options = call_options(env, Verb::Create, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.create(body, &options, &cancel).await
        })
    }

    /// Replaces an object (optimistic concurrency through `metadata.resourceVersion`: a stale
    /// one rejects with `ConflictError`).
    #[napi(
        catch_unwind,
        ts_args_type = "obj: KubernetesObject, opts?: WriteOptions",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn update<'env>(
        &self,
        env: &'env Env,
        obj: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let body = object_body(env, obj, "the object to update")?;
        let options = call_options(env, Verb::Update, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.update(body, &options, &cancel).await
        })
    }

    /// Replaces the `status` subresource of an object.
    #[napi(
        catch_unwind,
        ts_args_type = "obj: KubernetesObject, opts?: Omit<WriteOptions, 'subresource'>",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn update_status<'env>(
        &self,
        env: &'env Env,
        obj: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let body = object_body(env, obj, "the object to update")?;
        let mut options = call_options(env, Verb::Update, opts)?;
        options.subresource = vec!["status".to_owned()];
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.update(body, &options, &cancel).await
        })
    }

    /// Patches an object. `patchType` is `"json"`, `"merge"`, `"strategic"`, `"apply"` or the
    /// MIME type; `patch` is an object/array (sent as JSON) or a string/Buffer sent as is.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, patchType: PatchType, patch: object | string | Buffer, opts?: PatchOptions",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn patch<'env>(
        &self,
        env: &'env Env,
        name: Unknown,
        patch_type: Unknown,
        patch: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let name = object_name(env, name, "patch")?;
        let patch_type = parse_patch_type(env, patch_type)?;
        let body = patch_body(env, patch)?;
        let mut options = call_options(env, Verb::Patch, opts)?;
        if patch_type == PatchType::Apply
            && !options.query.iter().any(|(key, _)| key == "fieldManager")
        {
            options.query.push((
                "fieldManager".to_owned(),
                klite_client::DEFAULT_APPLY_FIELD_MANAGER.to_owned(),
            ));
        }
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource
                .patch(&name, patch_type, body, &options, &cancel)
                .await
        })
    }

    /// Server-side apply: creates the object or merges the fields it sets, owned by
    /// `fieldManager` (default `"klite"`). A field owned by another manager with a different
    /// value rejects with `ConflictError` unless `force` is set.
    #[napi(
        catch_unwind,
        ts_args_type = "obj: KubernetesObject, opts?: ApplyOptions",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn apply<'env>(
        &self,
        env: &'env Env,
        obj: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let body = object_body(env, obj, "the object to apply")?;
        let options = call_options(env, Verb::Apply, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.apply(body, &options, &cancel).await
        })
    }

    /// Server-side apply to the `status` subresource.
    #[napi(
        catch_unwind,
        ts_args_type = "obj: KubernetesObject, opts?: Omit<ApplyOptions, 'subresource'>",
        ts_return_type = "Promise<KubernetesObject>"
    )]
    pub fn apply_status<'env>(
        &self,
        env: &'env Env,
        obj: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let body = object_body(env, obj, "the object to apply")?;
        let mut options = call_options(env, Verb::Apply, opts)?;
        options.subresource = vec!["status".to_owned()];
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.apply(body, &options, &cancel).await
        })
    }

    /// Deletes an object; resolves to the server's answer: a `Status`, or the object itself
    /// when finalizers defer the deletion.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, opts?: DeleteOptions",
        ts_return_type = "Promise<KubernetesObject | Status>"
    )]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        name: Unknown,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let name = object_name(env, name, "delete")?;
        let options = call_options(env, Verb::Delete, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.delete(&name, &options, &cancel).await
        })
    }

    /// Deletes every object matching the list options (all namespaces when `namespace` is
    /// omitted); resolves to the server's answer.
    #[napi(
        catch_unwind,
        ts_args_type = "opts?: DeleteOptions & ListOptions",
        ts_return_type = "Promise<KubernetesList | Status>"
    )]
    pub fn delete_collection<'env>(
        &self,
        env: &'env Env,
        opts: Option<Unknown>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, JsonText>> {
        let options = call_options(env, Verb::DeleteCollection, opts)?;
        let resource = self.resource.clone();
        spawn(env, cancel, move |cancel| async move {
            resource.delete_collection(&options, &cancel).await
        })
    }

    /// Watches the collection. Returns synchronously; the connection opens on the first
    /// `next()`. Iterate it with `for await`; `break`, `stop()` or `opts.signal` close it.
    #[napi(
        catch_unwind,
        ts_args_type = "opts?: WatchOptions",
        ts_return_type = "Watch"
    )]
    pub fn watch(&self, env: Env, opts: Option<Unknown>) -> Result<WatchStream> {
        let options = call_options(&env, Verb::Watch, opts)?;
        Ok(WatchStream::new(self.resource.watch(options)))
    }
}

/// Runs a request on the runtime; the answer becomes a JS value through `JSON.parse`.
fn spawn<'env, F, Fut>(
    env: &'env Env,
    cancel: Option<&CancelToken>,
    request: F,
) -> Result<PromiseRaw<'env, JsonText>>
where
    F: FnOnce(tokio_util::sync::CancellationToken) -> Fut,
    Fut: Future<Output = klite_client::Result<bytes::Bytes>> + Send + 'static,
{
    let token = CancelToken::token_of(cancel);
    let work = request(token);
    env.spawn_future(guarded(
        async move { work.await.map(JsonText).map_err(reject) },
    ))
}

fn object_name(env: &Env, value: Unknown, verb: &str) -> Result<String> {
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
        format!("{verb} needs the object's name as its first argument (a non-empty string)"),
    ))
}

fn parse_patch_type(env: &Env, value: Unknown) -> Result<PatchType> {
    let text = if value.get_type()? == ValueType::String {
        // SAFETY: checked to be a string.
        let text: JsString = unsafe { value.cast()? };
        text.into_utf8()?.into_owned()?
    } else {
        String::from("(not a string)")
    };
    PatchType::parse(&text).map_err(|err| throw(env, err))
}

/// Reads an options object generically; unknown keys become query parameters.
pub(crate) fn call_options(env: &Env, verb: Verb, opts: Option<Unknown>) -> Result<CallOptions> {
    let map = match opts {
        None => None,
        Some(value) => match value.get_type()? {
            ValueType::Undefined | ValueType::Null => None,
            ValueType::Object if !value.is_array()? => {
                let map: serde_json::Map<String, serde_json::Value> = env.from_js_value(value)?;
                Some(map)
            }
            _ => {
                return Err(argument_error(
                    env,
                    "options must be a plain object, e.g. { namespace: 'default' }",
                ))
            }
        },
    };
    CallOptions::parse(verb, map.as_ref()).map_err(|err| throw(env, err))
}
