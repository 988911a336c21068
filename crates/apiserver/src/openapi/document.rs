//! Building one OpenAPI 3.0 document for a group/version.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::kinds::{BUILTIN_KINDS, FULL_VERBS};
use crate::registry::Registry;
use crate::schemas::{builtin_schemas, REF_PREFIX};
use crate::server::Shared;

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";
const CRD_STORAGE: &str = "apiextensions.k8s.io/customresourcedefinitions";

/// What a document needs to know about one served resource.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    /// Group ("" = core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural.
    pub resource: String,
    /// Kind.
    pub kind: String,
    /// Scope.
    pub namespaced: bool,
    /// Verbs of the main resource.
    pub verbs: Vec<String>,
    /// Subresources (`status`, `scale`, `finalize`).
    pub subresources: Vec<String>,
    /// Component schema name.
    pub component: String,
}

fn key_of(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// Built-in resources grouped by document key.
pub fn builtin_group_versions() -> BTreeMap<String, Vec<ResourceInfo>> {
    let schemas = builtin_schemas();
    let mut out: BTreeMap<String, Vec<ResourceInfo>> = BTreeMap::new();
    for k in BUILTIN_KINDS {
        let Some(component) = schemas.component_name(k.group, k.version, k.kind) else {
            continue;
        };
        let verbs = if k.verbs.is_empty() {
            FULL_VERBS
        } else {
            k.verbs
        };
        out.entry(key_of(k.group, k.version))
            .or_default()
            .push(ResourceInfo {
                group: k.group.into(),
                version: k.version.into(),
                resource: k.resource.into(),
                kind: k.kind.into(),
                namespaced: k.namespaced,
                verbs: verbs.iter().map(|s| s.to_string()).collect(),
                subresources: k.subresources.iter().map(|s| s.to_string()).collect(),
                component: component.to_string(),
            });
    }
    out
}

/// Upstream's component name of a custom resource: reversed group, version, kind
/// (`com.example.v1.Foo`).
pub fn crd_component_name(group: &str, version: &str, kind: &str) -> String {
    let mut parts: Vec<&str> = group.split('.').collect();
    parts.reverse();
    format!("{}.{version}.{kind}", parts.join("."))
}

/// A custom resource's component: its schema with apiVersion/kind/metadata
/// described as upstream does, and its GVK.
fn crd_component(group: &str, version: &str, kind: &str, schema: Option<&Value>) -> Value {
    let mut schema = match schema {
        Some(Value::Object(m)) => m.clone(),
        _ => {
            let mut m = Map::new();
            m.insert("type".into(), json!("object"));
            m.insert("x-kubernetes-preserve-unknown-fields".into(), json!(true));
            m
        }
    };
    let meta_schema = |prop: &str| {
        builtin_schemas()
            .component("io.k8s.api.core.v1.ConfigMap")
            .and_then(|c| c.pointer(&format!("/properties/{prop}")).cloned())
    };
    let properties = schema.entry("properties").or_insert_with(|| json!({}));
    if let Some(props) = properties.as_object_mut() {
        for prop in ["apiVersion", "kind", "metadata"] {
            if let Some(v) = meta_schema(prop) {
                props.insert(prop.into(), v);
            }
        }
    }
    schema.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([{"group": group, "kind": kind, "version": version}]),
    );
    Value::Object(schema)
}

/// One custom group/version: document key, resources, extra components.
pub type CustomGroupVersion = (String, Vec<ResourceInfo>, Vec<(String, Value)>);

/// Custom resources of the registry grouped by document key, with their components.
pub fn custom_group_versions(shared: &Shared, registry: &Registry) -> Vec<CustomGroupVersion> {
    let snapshot = shared.store.snapshot();
    let prefix = crate::store::object::storage_prefix(CRD_STORAGE, None);
    type Members = (Vec<ResourceInfo>, Vec<(String, Value)>);
    let mut grouped: BTreeMap<String, Members> = BTreeMap::new();
    for (_, crd) in snapshot
        .map
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
    {
        let crd = &crd.value;
        let group = crd
            .pointer("/spec/group")
            .and_then(Value::as_str)
            .unwrap_or("");
        let plural = crd
            .pointer("/status/acceptedNames/plural")
            .or_else(|| crd.pointer("/spec/names/plural"))
            .and_then(Value::as_str)
            .unwrap_or("");
        for version in crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = version.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Some(def) = registry.lookup(group, name, plural) else {
                continue;
            };
            let Some(custom) = &def.custom else { continue };
            let component = crd_component_name(group, name, &def.kind);
            let entry = grouped.entry(key_of(group, name)).or_default();
            entry.1.push((
                component.clone(),
                crd_component(group, name, &def.kind, custom.schema.as_ref()),
            ));
            entry.0.push(ResourceInfo {
                group: def.group.clone(),
                version: def.version.clone(),
                resource: def.resource.clone(),
                kind: def.kind.clone(),
                namespaced: def.namespaced,
                verbs: def.verbs.clone(),
                subresources: def.subresources.clone(),
                component,
            });
        }
    }
    grouped.into_iter().map(|(k, (r, c))| (k, r, c)).collect()
}

fn query_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

fn write_params(patch: bool) -> Vec<Value> {
    let mut params = vec![
        query_param("dryRun", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
        query_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
        query_param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present."),
    ];
    if patch {
        params.push(json!({"name": "force", "in": "query", "description": "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.", "schema": {"type": "boolean", "uniqueItems": true}}));
    }
    params
}

fn camel(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `apps` → `Apps`, `rbac.authorization.k8s.io` → `RbacAuthorization`, core → `Core`.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    group
        .trim_end_matches(".k8s.io")
        .split(['.', '-'])
        .map(camel)
        .collect()
}

struct OperationContext<'a> {
    r: &'a ResourceInfo,
    tag: String,
    id_infix: String,
}

impl OperationContext<'_> {
    fn op(
        &self,
        action: &str,
        verb: &str,
        description: String,
        schema_ref: Option<&str>,
        params: Vec<Value>,
        body: Option<Value>,
    ) -> Value {
        let response_schema = match schema_ref {
            Some(r) => json!({"$ref": format!("{REF_PREFIX}{r}")}),
            None => json!({"type": "object"}),
        };
        let content = json!({"application/json": {"schema": response_schema}, "application/yaml": {"schema": response_schema}});
        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({"description": "OK", "content": content}),
        );
        if matches!(action, "post" | "put" | "patch") {
            responses.insert(
                "201".into(),
                json!({"description": "Created", "content": content}),
            );
        }
        responses.insert("401".into(), json!({"description": "Unauthorized"}));
        let mut op = json!({
            "tags": [self.tag],
            "description": description,
            "operationId": format!("{verb}{}{}", self.id_infix, self.r.kind),
            "parameters": params,
            "responses": responses,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": {"group": self.r.group, "version": self.r.version, "kind": self.r.kind},
        });
        if let Some(b) = body {
            op["requestBody"] = b;
        }
        op
    }
}

fn request_body(content_types: &[&str], schema: Value) -> Value {
    let content: Map<String, Value> = content_types
        .iter()
        .map(|ct| (ct.to_string(), json!({"schema": schema})))
        .collect();
    json!({"content": content, "required": true})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "description": description, "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn add_paths(paths: &mut Map<String, Value>, r: &ResourceInfo) {
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    let tag = if r.group.is_empty() {
        format!("core_{}", r.version)
    } else {
        let g = group_camel(&r.group);
        let mut c = g.chars();
        let lower: String = c
            .next()
            .map(|f| f.to_lowercase().chain(c).collect())
            .unwrap_or_default();
        format!("{lower}_{}", r.version)
    };
    let scope = if r.namespaced { "Namespaced" } else { "" };
    let ctx = OperationContext {
        r,
        tag,
        id_infix: format!("{}{}{scope}", group_camel(&r.group), camel(&r.version)),
    };
    let own = Some(r.component.as_str());
    let schema = json!({"$ref": format!("{REF_PREFIX}{}", r.component)});
    let has = |v: &str| r.verbs.iter().any(|x| x == v);
    let pretty = query_param("pretty", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
    let name_param = path_param("name", &format!("name of the {}", r.kind));
    let ns_param = path_param(
        "namespace",
        "object name and auth scope, such as for teams and projects",
    );
    let collection = if r.namespaced && r.resource != "namespaces" {
        format!("{prefix}/namespaces/{{namespace}}/{}", r.resource)
    } else {
        format!("{prefix}/{}", r.resource)
    };
    let scope_params = |with_name: bool| {
        let mut p = Vec::new();
        if with_name {
            p.push(name_param.clone());
        }
        if r.namespaced && r.resource != "namespaces" {
            p.push(ns_param.clone());
        }
        p.push(pretty.clone());
        Value::Array(p)
    };
    let mut coll = Map::new();
    if has("list") {
        coll.insert(
            "get".into(),
            ctx.op(
                "list",
                "list",
                format!("list or watch objects of kind {}", r.kind),
                None,
                vec![],
                None,
            ),
        );
    }
    if has("create") {
        coll.insert(
            "post".into(),
            ctx.op(
                "post",
                "create",
                format!("create a {}", r.kind),
                own,
                write_params(false),
                Some(request_body(&["*/*"], schema.clone())),
            ),
        );
    }
    if has("deletecollection") {
        coll.insert(
            "delete".into(),
            ctx.op(
                "deletecollection",
                "deleteCollection",
                format!("delete collection of {}", r.kind),
                Some(STATUS),
                vec![],
                None,
            ),
        );
    }
    if !coll.is_empty() {
        coll.insert("parameters".into(), scope_params(false));
        paths.insert(collection.clone(), Value::Object(coll));
    }
    if r.namespaced && r.resource != "namespaces" && has("list") {
        let mut all = Map::new();
        let mut list_all = ctx.op(
            "list",
            "list",
            format!("list or watch objects of kind {}", r.kind),
            None,
            vec![],
            None,
        );
        list_all["operationId"] = json!(format!(
            "list{}{}{}ForAllNamespaces",
            group_camel(&r.group),
            camel(&r.version),
            r.kind
        ));
        all.insert("get".into(), list_all);
        all.insert("parameters".into(), json!([pretty]));
        paths.insert(format!("{prefix}/{}", r.resource), Value::Object(all));
    }
    let patch_types = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
    ];
    let patch_schema = json!({"type": "object", "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body."});
    let item_ops = |subject: &str, target: Option<&str>, verbs: &[&str]| {
        let mut item = Map::new();
        let target_schema = target
            .map(|t| json!({"$ref": format!("{REF_PREFIX}{t}")}))
            .unwrap_or_else(|| schema.clone());
        let target = target.or(own);
        let suffix = if subject.is_empty() {
            String::new()
        } else {
            camel(subject)
        };
        let read = |verb: &str| format!("{verb}{suffix}");
        let what = if subject.is_empty() {
            format!("the specified {}", r.kind)
        } else {
            format!("{subject} of the specified {}", r.kind)
        };
        if verbs.contains(&"get") {
            let mut op = ctx.op(
                "get",
                &read("read"),
                format!("read {what}"),
                target,
                vec![],
                None,
            );
            op["operationId"] = json!(format!("{}{}{}", read("read"), ctx.id_infix, r.kind));
            item.insert("get".into(), op);
        }
        if verbs.contains(&"update") {
            let mut op = ctx.op(
                "put",
                &read("replace"),
                format!("replace {what}"),
                target,
                write_params(false),
                Some(request_body(&["*/*"], target_schema.clone())),
            );
            op["operationId"] = json!(format!("{}{}{}", read("replace"), ctx.id_infix, r.kind));
            item.insert("put".into(), op);
        }
        if verbs.contains(&"patch") {
            let mut op = ctx.op(
                "patch",
                &read("patch"),
                format!("partially update {what}"),
                target,
                write_params(true),
                Some(request_body(&patch_types, patch_schema.clone())),
            );
            op["operationId"] = json!(format!("{}{}{}", read("patch"), ctx.id_infix, r.kind));
            item.insert("patch".into(), op);
        }
        if verbs.contains(&"delete") {
            item.insert(
                "delete".into(),
                ctx.op(
                    "delete",
                    "delete",
                    format!("delete {what}"),
                    Some(STATUS),
                    write_params(false)[..1].to_vec(),
                    None,
                ),
            );
        }
        item
    };
    let main_verbs: Vec<&str> = ["get", "update", "patch", "delete"]
        .into_iter()
        .filter(|v| has(v))
        .collect();
    let mut item = item_ops("", None, &main_verbs);
    if !item.is_empty() {
        item.insert("parameters".into(), scope_params(true));
        paths.insert(format!("{collection}/{{name}}"), Value::Object(item));
    }
    for sub in &r.subresources {
        let (target, verbs): (Option<&str>, &[&str]) = match sub.as_str() {
            "scale" => (Some(SCALE), &["get", "update", "patch"]),
            "finalize" => (None, &["update"]),
            _ => (None, &["get", "update", "patch"]),
        };
        let mut ops = item_ops(sub, target, verbs);
        ops.insert("parameters".into(), scope_params(true));
        paths.insert(format!("{collection}/{{name}}/{sub}"), Value::Object(ops));
    }
}

/// The document for one group/version: paths of `resources`, the components
/// they reference (built-in closure), and `extra` components (custom resources).
pub fn build(resources: &[ResourceInfo], extra: &[(String, Value)]) -> Value {
    let mut paths = Map::new();
    for r in resources {
        add_paths(&mut paths, r);
    }
    let schemas = builtin_schemas();
    let mut roots: Vec<&str> = resources.iter().map(|r| r.component.as_str()).collect();
    roots.push(STATUS);
    if resources
        .iter()
        .any(|r| r.subresources.iter().any(|s| s == "scale"))
    {
        roots.push(SCALE);
    }
    if !extra.is_empty() {
        roots.push(OBJECT_META);
    }
    let mut components = schemas.closure(roots);
    for (name, schema) in extra {
        components.insert(name.clone(), schema.clone());
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"BearerToken": {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization", "in": "header"}},
        },
    })
}
