//! klite-apiserver: an embedded Kubernetes API server.
//!
//! It models kube-apiserver *as envtest runs it* (no controllers besides the
//! apiextensions ones): HTTPS with HTTP/1.1 and HTTP/2, client-certificate and
//! bearer-token authentication, discovery, CRUD + list + watch for the
//! built-in kinds of [`kinds::BUILTIN_KINDS`] and for CRD-defined kinds, with
//! upstream Status bodies.
//!
//! ```no_run
//! # async fn demo() -> Result<(), klite_apiserver::Error> {
//! use klite_apiserver::{start, ServerOptions};
//!
//! let server = start(ServerOptions::default()).await?; // 127.0.0.1:0
//! let url = server.url();                 // https://127.0.0.1:<port>
//! let ca = server.ca_pem();               // trust anchor for the serving cert
//! let admin = server.admin();             // client cert+key PEM, user admin, group system:masters
//! let alice = server.issue_client_cert("alice", &["devs"])?;
//! let kubeconfig = server.kubeconfig(admin);
//! server.stop().await;                    // idempotent; dropping the server stops it too
//! # let _ = (url, ca, alice, kubeconfig); Ok(()) }
//! ```
//!
//! Externally generated material (envtest makes its own CAs) goes in through
//! [`ServerOptions::serving`], [`ServerOptions::client_ca`] and
//! [`ServerOptions::tokens`]; objects to create at start through
//! [`ServerOptions::objects`].
//!
//! Architecture:
//! - [`server`]: certificates, TLS listener, connection loop, the [`ApiServer`] handle;
//! - [`auth`]: authentication and the [`auth::Authorizer`] hook; [`request_info`]: request attributes;
//! - [`kinds`] (the built-in table) and [`registry`] (served resources incl. CRDs, discovery);
//! - [`store`]: the MVCC store with its watch history;
//! - [`handlers`]: routing and verbs; [`patch`], [`managed`], [`custom`], [`crd`]:
//!   patches, field management, custom resources, CRD controllers;
//! - [`status`]: upstream Status bodies; [`selectors`]: label/field selectors.
//! - [`rbac`] (authorizer, bootstrap policy, escalation checks) and [`reviews`] (access/rules/self reviews);
//! - [`schemas`] (built-in OpenAPI schemas from k8s-openapi, pruning), [`openapi`] (`/openapi/v3`),
//!   [`aggregated`] (apidiscovery v2), [`table`] (Table output);
//! - [`protobuf`]: `application/vnd.kubernetes.protobuf` request bodies decoded into JSON.
#![deny(missing_docs)]

pub mod admission;
pub mod aggregated;
pub mod auth;
pub mod bootstrap;
pub mod certs;
pub mod crd;
pub mod custom;
pub mod defaults;
pub mod error;
pub mod handlers;
pub mod json;
pub mod kinds;
pub mod managed;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod query;
pub mod rbac;
pub mod registry;
pub mod request_info;
pub mod reviews;
pub mod schemas;
pub mod selectors;
pub mod server;
pub mod services;
pub mod status;
pub mod store;
pub mod strategies;
pub mod table;
pub mod tls;
pub mod validation;
pub mod webhooks;

pub use auth::{Authorizer, Decision, TokenUser, UserInfo};
pub use certs::{CertAuthority, CertKeyPem};
pub use error::{Error, Result};
pub use server::{
    kubeconfig, start, ApiServer, ClientCa, ClientCredentials, HealthCheck, PersistentStore,
    ServerOptions, VersionInfo,
};
