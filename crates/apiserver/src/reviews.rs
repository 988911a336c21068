//! The review APIs (facts-errors §5.5): `authorization.k8s.io/v1`
//! SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview,
//! SelfSubjectRulesReview and `authentication.k8s.io/v1` SelfSubjectReview,
//! TokenReview. They are create-only and store nothing: the answer is the
//! request object with a `status` filled in, HTTP 201.

use std::collections::BTreeMap;

use http::Method;
use serde_json::{json, Map, Value};

use crate::auth::{CertIdentity, Decision, UserInfo};
use crate::handlers::write::{check_type, decode_body};
use crate::handlers::{Ctx, Reply};
use crate::rbac::{errors_reason, PolicyRule, RbacIndex};
use crate::registry::ResourceDef;
use crate::request_info::RequestInfo;
use crate::status::{ApiError, FieldIssue};

/// `authorization.k8s.io`.
pub const AUTHORIZATION_GROUP: &str = "authorization.k8s.io";
/// `authentication.k8s.io`.
pub const AUTHENTICATION_GROUP: &str = "authentication.k8s.io";

/// Is this resource one of the review APIs?
pub fn is_review(def: &ResourceDef) -> bool {
    !def.is_custom() && (def.group == AUTHORIZATION_GROUP || def.group == AUTHENTICATION_GROUP)
}

/// Serve a request to a review resource (only `create` exists).
pub fn handle(ctx: &mut Ctx, def: &ResourceDef, namespace: &str) -> Result<Reply, ApiError> {
    if ctx.method != Method::POST || ctx.info.verb != "create" || !ctx.info.name.is_empty() {
        return Err(ApiError::method_not_allowed());
    }
    let content_type = ctx
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut obj =
        if content_type.split(';').next().unwrap_or("").trim() == crate::protobuf::MEDIA_TYPE {
            // kubectl's typed clients (auth can-i, auth whoami) send protobuf.
            crate::handlers::write::decode_protobuf(def, &ctx.body)?
        } else {
            decode_body(ctx, def)?
        };
    check_type(def, &mut obj)?;
    let status = match def.resource.as_str() {
        "selfsubjectaccessreviews" => {
            check_empty_metadata(def, &obj)?;
            let user = ctx.user.clone();
            access_review(ctx, def, &obj, &user, None)?
        }
        "subjectaccessreviews" => {
            let user = spec_user(def, &obj)?;
            access_review(ctx, def, &obj, &user, None)?
        }
        "localsubjectaccessreviews" => {
            let user = spec_user(def, &obj)?;
            access_review(ctx, def, &obj, &user, Some(namespace))?
        }
        "selfsubjectrulesreviews" => rules_review(ctx, &obj),
        "selfsubjectreviews" => json!({"userInfo": user_info_json(&ctx.user)}),
        "tokenreviews" => token_review(ctx, def, &obj)?,
        _ => return Err(ApiError::method_not_allowed()),
    };
    let mut out = Map::new();
    out.insert("kind".into(), json!(def.kind));
    out.insert("apiVersion".into(), json!(def.api_version()));
    let mut metadata = obj
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    metadata.retain(|_, v| !v.is_null());
    metadata.remove("managedFields");
    let created = if def.resource == "selfsubjectreviews" {
        json!(crate::handlers::meta::now())
    } else {
        Value::Null
    };
    metadata.insert("creationTimestamp".into(), created);
    if def.namespaced {
        metadata.insert("namespace".into(), json!(namespace));
    }
    out.insert("metadata".into(), Value::Object(metadata));
    if let Some(spec) = obj.get("spec").filter(|s| !s.is_null()) {
        out.insert("spec".into(), spec.clone());
    } else if def.resource != "selfsubjectreviews" {
        out.insert("spec".into(), json!({}));
    }
    out.insert("status".into(), status);
    let (bytes, _) = crate::json::encode_object(&Value::Object(out));
    let mut body = bytes;
    body.push(b'\n');
    Ok(Reply::Json(201, body.into()))
}

/// `metadata` must be empty for self reviews (null values are Go zero values).
fn check_empty_metadata(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    let Some(meta) = obj.get("metadata").and_then(Value::as_object) else {
        return Ok(());
    };
    let mut set: Map<String, Value> = meta.clone();
    set.retain(|k, v| {
        !v.is_null()
            && k != "managedFields"
            && v != &json!({})
            && v != &json!([])
            && v != &json!("")
    });
    if set.is_empty() {
        return Ok(());
    }
    let name = set
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Err(ApiError::invalid(
        &def.group,
        &def.kind,
        &name,
        vec![FieldIssue::invalid(
            "metadata",
            &Value::Object(set),
            "must be empty",
        )],
    ))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The subject of a (Local)SubjectAccessReview, validated.
fn spec_user(def: &ResourceDef, obj: &Value) -> Result<UserInfo, ApiError> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let name = spec
        .get("user")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let groups = strings(spec.get("groups"));
    let mut issues = attribute_issues(&spec, def.resource == "localsubjectaccessreviews");
    if name.is_empty() && groups.is_empty() {
        issues.push(FieldIssue::invalid(
            "spec.user",
            &json!(""),
            "at least one of user or group must be specified",
        ));
    }
    if !issues.is_empty() {
        let meta_name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(ApiError::invalid(&def.group, &def.kind, meta_name, issues));
    }
    let mut extra = BTreeMap::new();
    if let Some(map) = spec.get("extra").and_then(Value::as_object) {
        for (k, v) in map {
            extra.insert(k.clone(), strings(Some(v)));
        }
    }
    Ok(UserInfo {
        name,
        uid: spec
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        groups,
        extra,
    })
}

fn attribute_issues(spec: &Value, local: bool) -> Vec<FieldIssue> {
    let resource = spec.get("resourceAttributes").filter(|v| !v.is_null());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| !v.is_null());
    let mut issues = Vec::new();
    match (resource, non_resource) {
        (Some(_), Some(nr)) if !local => issues.push(FieldIssue::invalid(
            "spec.nonResourceAttributes",
            nr,
            "cannot be specified in combination with resourceAttributes",
        )),
        (None, None) => issues.push(FieldIssue::invalid(
            "spec.resourceAttributes",
            &Value::Null,
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )),
        _ => {}
    }
    if local {
        if let Some(nr) = non_resource {
            issues.push(FieldIssue::invalid(
                "spec.nonResourceAttributes",
                nr,
                "disallowed on this kind of request",
            ));
        }
    }
    issues
}

/// Authorize the attributes of an access review's spec for `user`.
fn access_review(
    ctx: &Ctx,
    def: &ResourceDef,
    obj: &Value,
    user: &UserInfo,
    local_namespace: Option<&str>,
) -> Result<Value, ApiError> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    if def.resource == "selfsubjectaccessreviews" {
        let issues = attribute_issues(&spec, false);
        if !issues.is_empty() {
            return Err(ApiError::invalid(&def.group, &def.kind, "", issues));
        }
    }
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let request = match spec.get("resourceAttributes").filter(|v| !v.is_null()) {
        Some(ra) => {
            let namespace = text(ra, "namespace");
            if let Some(ns) = local_namespace {
                if namespace != ns {
                    let name = obj
                        .pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    return Err(ApiError::invalid(
                        &def.group,
                        &def.kind,
                        name,
                        vec![FieldIssue::invalid(
                            "spec.resourceAttributes.namespace",
                            &json!(namespace),
                            "must match metadata.namespace",
                        )],
                    ));
                }
            }
            RequestInfo {
                is_resource: true,
                verb: text(ra, "verb"),
                api_group: text(ra, "group"),
                api_version: text(ra, "version"),
                namespace,
                resource: text(ra, "resource"),
                subresource: text(ra, "subresource"),
                name: text(ra, "name"),
                ..Default::default()
            }
        }
        None => {
            let nr = spec
                .get("nonResourceAttributes")
                .cloned()
                .unwrap_or(Value::Null);
            RequestInfo {
                path: text(&nr, "path"),
                verb: text(&nr, "verb"),
                ..Default::default()
            }
        }
    };
    let mut status = Map::new();
    match ctx.shared.authz.authorize(user, &request) {
        Decision::Allow(reason) => {
            status.insert("allowed".into(), json!(true));
            if !reason.is_empty() {
                status.insert("reason".into(), json!(reason));
            }
        }
        Decision::Deny(reason) => {
            status.insert("allowed".into(), json!(false));
            if !reason.is_empty() {
                status.insert("reason".into(), json!(reason));
            }
        }
    }
    Ok(Value::Object(status))
}

/// SelfSubjectRulesReview: the RBAC rules of the requesting user in `spec.namespace`.
fn rules_review(ctx: &Ctx, obj: &Value) -> Value {
    let namespace = obj
        .pointer("/spec/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let index = RbacIndex::build(&ctx.shared.store.snapshot().map);
    let (rules, errors) = index.rules_for(&ctx.user, namespace);
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    for rule in &rules {
        if !rule.resources.is_empty() {
            resource_rules.push(
                PolicyRule {
                    non_resource_urls: Vec::new(),
                    ..rule.clone()
                }
                .to_json(),
            );
        }
        if !rule.non_resource_urls.is_empty() {
            let mut v = json!({"verbs": rule.verbs});
            v["nonResourceURLs"] = json!(rule.non_resource_urls);
            non_resource_rules.push(v);
        }
    }
    let mut status = json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false});
    let reason = errors_reason(&errors);
    if !reason.is_empty() {
        status["evaluationError"] = json!(reason);
    }
    status
}

/// `userInfo` of SelfSubjectReview / TokenReview (empty uid/extra omitted).
fn user_info_json(user: &UserInfo) -> Value {
    let mut v = Map::new();
    v.insert("username".into(), json!(user.name));
    if !user.uid.is_empty() {
        v.insert("uid".into(), json!(user.uid));
    }
    v.insert("groups".into(), json!(user.groups));
    if !user.extra.is_empty() {
        v.insert("extra".into(), json!(user.extra));
    }
    Value::Object(v)
}

/// TokenReview against the server's static tokens.
fn token_review(ctx: &Ctx, def: &ResourceDef, obj: &Value) -> Result<Value, ApiError> {
    let token = obj
        .pointer("/spec/token")
        .and_then(Value::as_str)
        .unwrap_or("");
    if token.is_empty() {
        return Err(ApiError::invalid(
            &def.group,
            &def.kind,
            "",
            vec![FieldIssue::required("spec.token", "")],
        ));
    }
    let header = format!("Bearer {token}");
    Ok(
        match ctx.shared.authn.request(&CertIdentity::None, Some(&header)) {
            Ok(user) if !user.is_anonymous() => {
                json!({"authenticated": true, "user": user_info_json(&user)})
            }
            _ => json!({"user": {}, "error": "[invalid bearer token, token lookup failed]"}),
        },
    )
}
