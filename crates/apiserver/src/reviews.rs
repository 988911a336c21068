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
    let mut obj = if content_type.split(';').next().unwrap_or("").trim() == protobuf::MEDIA_TYPE {
        // kubectl's typed clients (auth can-i, auth whoami) send protobuf.
        protobuf::decode_review(&def.kind, &ctx.body).map_err(|e| {
            ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {}): {e}",
                def.kind
            ))
        })?
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

/// Decoding of the review kinds from Kubernetes' protobuf encoding (the `k8s\0`
/// envelope around a `runtime.Unknown`), into their JSON form.
mod protobuf {
    use serde_json::{json, Map, Value};

    /// The Kubernetes protobuf media type.
    pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";
    const MAGIC: &[u8] = b"k8s\0";

    enum Field<'a> {
        Varint,
        Bytes(&'a [u8]),
        Fixed,
    }

    fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *buf.get(*pos).ok_or("truncated varint")?;
            *pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn fields(buf: &[u8]) -> Result<Vec<(u64, Field<'_>)>, String> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let key = varint(buf, &mut pos)?;
            let field = match key & 7 {
                0 => {
                    varint(buf, &mut pos)?;
                    Field::Varint
                }
                2 => {
                    let len =
                        usize::try_from(varint(buf, &mut pos)?).map_err(|_| "length overflow")?;
                    let end = pos
                        .checked_add(len)
                        .filter(|e| *e <= buf.len())
                        .ok_or("truncated field")?;
                    let bytes = &buf[pos..end];
                    pos = end;
                    Field::Bytes(bytes)
                }
                1 => {
                    pos += 8;
                    Field::Fixed
                }
                5 => {
                    pos += 4;
                    Field::Fixed
                }
                other => return Err(format!("unsupported wire type {other}")),
            };
            out.push((key >> 3, field));
        }
        Ok(out)
    }

    fn text(bytes: &[u8]) -> Result<String, String> {
        String::from_utf8(bytes.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }

    /// Decode a message whose fields are all strings (or repeated strings), by number.
    fn strings(
        buf: &[u8],
        names: &[(u64, &str)],
        repeated: &[u64],
    ) -> Result<Map<String, Value>, String> {
        let mut out = Map::new();
        for (number, field) in fields(buf)? {
            let (Some((_, name)), Field::Bytes(bytes)) =
                (names.iter().find(|(n, _)| *n == number), field)
            else {
                continue;
            };
            let value = text(bytes)?;
            if repeated.contains(&number) {
                push(&mut out, name, json!(value));
            } else if !value.is_empty() {
                out.insert(name.to_string(), json!(value));
            }
        }
        Ok(out)
    }

    fn push(out: &mut Map<String, Value>, key: &str, value: Value) {
        if let Value::Array(list) = out.entry(key.to_string()).or_insert_with(|| json!([])) {
            list.push(value);
        }
    }

    fn resource_attributes(buf: &[u8]) -> Result<Value, String> {
        let names = [
            (1, "namespace"),
            (2, "verb"),
            (3, "group"),
            (4, "version"),
            (5, "resource"),
            (6, "subresource"),
            (7, "name"),
        ];
        Ok(Value::Object(strings(buf, &names, &[])?))
    }

    fn spec(kind: &str, buf: &[u8]) -> Result<Value, String> {
        let mut out = Map::new();
        for (number, field) in fields(buf)? {
            let Field::Bytes(bytes) = field else { continue };
            match (kind, number) {
                ("SelfSubjectRulesReview", 1) => {
                    out.insert("namespace".into(), json!(text(bytes)?));
                }
                ("TokenReview", 1) => {
                    out.insert("token".into(), json!(text(bytes)?));
                }
                ("TokenReview", 2) => {
                    push(&mut out, "audiences", json!(text(bytes)?));
                }
                (_, 1) => {
                    out.insert("resourceAttributes".into(), resource_attributes(bytes)?);
                }
                (_, 2) => {
                    out.insert(
                        "nonResourceAttributes".into(),
                        Value::Object(strings(bytes, &[(1, "path"), (2, "verb")], &[])?),
                    );
                }
                (_, 3) => {
                    out.insert("user".into(), json!(text(bytes)?));
                }
                (_, 4) => {
                    push(&mut out, "groups", json!(text(bytes)?));
                }
                (_, 5) => {
                    let entry = fields(bytes)?;
                    let mut key = String::new();
                    let mut values = Vec::new();
                    for (n, f) in entry {
                        match (n, f) {
                            (1, Field::Bytes(k)) => key = text(k)?,
                            (2, Field::Bytes(v)) => {
                                for (_, item) in fields(v)? {
                                    if let Field::Bytes(i) = item {
                                        values.push(json!(text(i)?));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.entry("extra").or_insert_with(|| json!({}))[key] = Value::Array(values);
                }
                (_, 6) => {
                    out.insert("uid".into(), json!(text(bytes)?));
                }
                _ => {}
            }
        }
        Ok(Value::Object(out))
    }

    /// Decode a review object of `kind` from a protobuf request body.
    pub fn decode_review(kind: &str, body: &[u8]) -> Result<Value, String> {
        let envelope = body
            .strip_prefix(MAGIC)
            .ok_or("missing the k8s protobuf envelope")?;
        let mut object = Map::new();
        let mut raw: &[u8] = &[];
        for (number, field) in fields(envelope)? {
            match (number, field) {
                (1, Field::Bytes(type_meta)) => {
                    let tm = strings(type_meta, &[(1, "apiVersion"), (2, "kind")], &[])?;
                    object.extend(tm);
                }
                (2, Field::Bytes(bytes)) => raw = bytes,
                _ => {}
            }
        }
        for (number, field) in fields(raw)? {
            let Field::Bytes(bytes) = field else { continue };
            match number {
                1 => {
                    let meta = strings(
                        bytes,
                        &[(1, "name"), (2, "generateName"), (3, "namespace")],
                        &[],
                    )?;
                    object.insert("metadata".into(), Value::Object(meta));
                }
                2 if kind != "SelfSubjectReview" => {
                    object.insert("spec".into(), spec(kind, bytes)?);
                }
                _ => {}
            }
        }
        Ok(Value::Object(object))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn message(fields: &[(u8, &[u8])]) -> Vec<u8> {
            let mut out = Vec::new();
            for (number, bytes) in fields {
                out.push((number << 3) | 2);
                out.push(u8::try_from(bytes.len()).unwrap());
                out.extend_from_slice(bytes);
            }
            out
        }

        #[test]
        fn decodes_a_self_subject_access_review_envelope() {
            let attrs = message(&[(1, b"default"), (2, b"list"), (3, b""), (5, b"pods")]);
            let spec = message(&[(1, &attrs)]);
            let review = message(&[(1, &message(&[(1, b"")])), (2, &spec)]);
            let type_meta = message(&[
                (1, b"authorization.k8s.io/v1"),
                (2, b"SelfSubjectAccessReview"),
            ]);
            let mut body = MAGIC.to_vec();
            body.extend(message(&[(1, &type_meta), (2, &review)]));
            let v = decode_review("SelfSubjectAccessReview", &body).unwrap();
            assert_eq!(
                v,
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {},
                    "spec": {"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}})
            );
            assert!(decode_review("SelfSubjectAccessReview", b"{}").is_err());
        }
    }
}
