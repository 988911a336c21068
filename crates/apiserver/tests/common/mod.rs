//! Test harness: a server plus reqwest clients over real HTTPS.
#![allow(dead_code)]

use klite_apiserver::{start, ApiServer, ClientCredentials, ServerOptions};
use serde_json::Value;

pub struct Harness {
    pub server: ApiServer,
    pub admin: reqwest::Client,
    pub base: String,
}

pub fn client(server: &ApiServer, creds: Option<&ClientCredentials>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).expect("ca"));
    if let Some(c) = creds {
        let pem = format!("{}{}", c.cert_pem, c.key_pem);
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    b.build().expect("client")
}

pub async fn harness() -> Harness {
    harness_with(ServerOptions::default()).await
}

pub async fn harness_with(options: ServerOptions) -> Harness {
    let server = start(options).await.expect("server starts");
    let admin = client(&server, Some(server.admin()));
    let base = server.url();
    Harness { server, admin, base }
}

pub struct Resp {
    pub code: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Harness {
    pub async fn req(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.req_ct(method, path, body.map(|b| b.to_string()), "application/json").await
    }

    pub async fn req_ct(&self, method: &str, path: &str, body: Option<String>, ct: &str) -> Resp {
        send(&self.admin, &self.base, method, path, body, ct).await
    }

    pub async fn create_ns(&self, name: &str) {
        let r = self.req("POST", "/api/v1/namespaces", Some(&serde_json::json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name}}))).await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
}

pub async fn send(client: &reqwest::Client, base: &str, method: &str, path: &str, body: Option<String>, ct: &str) -> Resp {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = client.request(m, format!("{base}{path}"));
    if let Some(b) = body {
        rb = rb.header("Content-Type", ct).body(b);
    }
    let resp = rb.send().await.expect("request");
    let code = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { code, body, text, headers }
}
