//! Authentication (client certificates, bearer tokens, anonymous) and the
//! authorization hook.

use std::collections::{BTreeMap, HashMap};

use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::request_info::RequestInfo;
use crate::tls::ClientCertChecker;

/// The authenticated user of a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// User name (`admin`, `system:anonymous`, `system:serviceaccount:ns:name`).
    pub name: String,
    /// UID, if any.
    pub uid: String,
    /// Groups, `system:authenticated` included for authenticated users.
    pub groups: Vec<String>,
    /// Extra attributes.
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// `system:anonymous` / `[system:unauthenticated]`.
    pub fn anonymous() -> Self {
        UserInfo {
            name: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
            ..Default::default()
        }
    }

    /// An authenticated user: `system:authenticated` appended unless present.
    pub fn authenticated(name: &str, groups: &[String]) -> Self {
        let mut groups = groups.to_vec();
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        UserInfo {
            name: name.to_string(),
            groups,
            ..Default::default()
        }
    }

    /// Is this the anonymous user?
    pub fn is_anonymous(&self) -> bool {
        self.name == "system:anonymous"
    }

    /// Member of a group?
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// A static bearer token and the identity it authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUser {
    /// The token.
    pub token: String,
    /// User name.
    pub user: String,
    /// UID (may be empty).
    pub uid: String,
    /// Groups.
    pub groups: Vec<String>,
}

/// Outcome of authenticating a connection's client certificate.
#[derive(Debug, Clone)]
pub enum CertIdentity {
    /// No certificate presented.
    None,
    /// Verified: the user.
    Valid(UserInfo),
    /// Presented but does not chain to the client CA.
    Invalid,
}

/// The authenticator: client CA checker + token table.
#[derive(Debug, Clone)]
pub struct Authenticator {
    checker: ClientCertChecker,
    tokens: HashMap<String, UserInfo>,
}

impl Authenticator {
    /// Build.
    pub fn new(checker: ClientCertChecker, tokens: &[TokenUser]) -> Self {
        let tokens = tokens
            .iter()
            .map(|t| {
                let mut user = UserInfo::authenticated(&t.user, &t.groups);
                user.uid = t.uid.clone();
                (t.token.clone(), user)
            })
            .collect();
        Authenticator { checker, tokens }
    }

    /// Authenticate the peer certificate chain of a connection.
    pub fn certificate(&self, chain: Option<&[CertificateDer<'static>]>) -> CertIdentity {
        let Some(chain) = chain.filter(|c| !c.is_empty()) else {
            return CertIdentity::None;
        };
        if !self.checker.verify(chain) {
            return CertIdentity::Invalid;
        }
        match crate::certs::subject_identity(&chain[0]) {
            Some((cn, groups)) => {
                let mut user = UserInfo::authenticated(&cn, &groups);
                let fingerprint = hex::encode(Sha256::digest(chain[0].as_ref()));
                user.extra.insert(
                    "authentication.kubernetes.io/credential-id".into(),
                    vec![format!("X509SHA256={fingerprint}")],
                );
                CertIdentity::Valid(user)
            }
            None => CertIdentity::Invalid,
        }
    }

    /// Authenticate a request. `Err(Rejected)` = credentials presented and rejected (401).
    pub fn request(
        &self,
        cert: &CertIdentity,
        authorization: Option<&str>,
    ) -> Result<UserInfo, Rejected> {
        if let CertIdentity::Valid(user) = cert {
            return Ok(user.clone());
        }
        let bearer = authorization.and_then(|h| {
            let (scheme, token) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        match (bearer, cert) {
            (Some(token), _) => self.tokens.get(token).cloned().ok_or(Rejected),
            (None, CertIdentity::Invalid) => Err(Rejected),
            (None, _) => Ok(UserInfo::anonymous()),
        }
    }
}

/// Credentials were presented and rejected (answered with 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// An authorization decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, with a reason (may be empty).
    Allow(String),
    /// Denied / no opinion, with a reason appended to the 403 message when non-empty.
    Deny(String),
}

/// The authorization hook. The default allows `system:masters` and the public
/// and discovery endpoints; an RBAC authorizer plugs in here.
pub trait Authorizer: Send + Sync + std::fmt::Debug {
    /// Decide on one request.
    fn authorize(&self, user: &UserInfo, request: &RequestInfo) -> Decision;
}

/// Paths anyone (even anonymous) may GET.
pub const PUBLIC_PATHS: &[&str] = &["/healthz", "/livez", "/readyz", "/version", "/version/"];
/// Non-resource paths every authenticated user may GET (system:discovery).
pub fn is_discovery_path(path: &str) -> bool {
    matches!(
        path,
        "/api"
            | "/apis"
            | "/openapi"
            | "/healthz"
            | "/livez"
            | "/readyz"
            | "/version"
            | "/version/"
    ) || path.starts_with("/api/")
        || path.starts_with("/apis/")
        || path.starts_with("/openapi/")
}

/// The built-in authorizer used until RBAC is configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultAuthorizer;

impl Authorizer for DefaultAuthorizer {
    fn authorize(&self, user: &UserInfo, request: &RequestInfo) -> Decision {
        if user.in_group("system:masters") {
            return Decision::Allow(String::new());
        }
        if !request.is_resource {
            let public = PUBLIC_PATHS.contains(&request.path.as_str())
                || (request.path.starts_with("/healthz/")
                    || request.path.starts_with("/livez/")
                    || request.path.starts_with("/readyz/"))
                    && user.in_group("system:monitoring");
            if request.verb == "get"
                && (public
                    || (user.in_group("system:authenticated") && is_discovery_path(&request.path)))
            {
                return Decision::Allow(String::new());
            }
            return Decision::Deny(String::new());
        }
        let self_review = request.verb == "create"
            && user.in_group("system:authenticated")
            && ((request.api_group == "authorization.k8s.io"
                && matches!(
                    request.resource.as_str(),
                    "selfsubjectaccessreviews" | "selfsubjectrulesreviews"
                ))
                || (request.api_group == "authentication.k8s.io"
                    && request.resource == "selfsubjectreviews"));
        if self_review {
            return Decision::Allow(String::new());
        }
        Decision::Deny(String::new())
    }
}

/// The upstream 403 text: `User "bob" cannot list resource "configmaps" in API group "" in the namespace "default"`.
pub fn forbidden_reason(user: &UserInfo, request: &RequestInfo) -> String {
    let who = format!("User {:?}", user.name);
    if !request.is_resource {
        return format!("{who} cannot {} path {:?}", request.verb, request.path);
    }
    let resource = if request.subresource.is_empty() {
        request.resource.clone()
    } else {
        format!("{}/{}", request.resource, request.subresource)
    };
    let scope = if request.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace {:?}", request.namespace)
    };
    format!(
        "{who} cannot {} resource {resource:?} in API group {:?} {scope}",
        request.verb, request.api_group
    )
}
