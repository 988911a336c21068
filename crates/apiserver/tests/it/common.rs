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
        .add_root_certificate(
            reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).expect("ca"),
        );
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
    Harness {
        server,
        admin,
        base,
    }
}

pub struct Resp {
    pub code: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Harness {
    pub async fn req(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.req_ct(
            method,
            path,
            body.map(|b| b.to_string()),
            "application/json",
        )
        .await
    }

    pub async fn req_ct(&self, method: &str, path: &str, body: Option<String>, ct: &str) -> Resp {
        send(&self.admin, &self.base, method, path, body, ct).await
    }

    pub async fn create_ns(&self, name: &str) {
        let r = self.req("POST", "/api/v1/namespaces", Some(&serde_json::json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name}}))).await;
        assert_eq!(r.code, 201, "{}", r.text);
    }
}

pub async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<String>,
    ct: &str,
) -> Resp {
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
    Resp {
        code,
        body,
        text,
        headers,
    }
}

/// A line-oriented watch reader.
pub struct WatchStream {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

impl WatchStream {
    pub async fn open(h: &Harness, path: &str) -> WatchStream {
        let resp = h
            .admin
            .get(format!("{}{}", h.base, path))
            .send()
            .await
            .expect("watch");
        assert_eq!(resp.status().as_u16(), 200);
        WatchStream {
            resp,
            buf: Vec::new(),
        }
    }

    /// Next event, or None when the stream ended; panics after 10 s without one.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Some(serde_json::from_slice(&line).expect("event json"));
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), self.resp.chunk())
                .await
                .expect("watch event within 10s")
                .expect("chunk");
            match chunk {
                Some(c) => self.buf.extend_from_slice(&c),
                None => return None,
            }
        }
    }

    /// (type, name) of the next event.
    pub async fn next_pair(&mut self) -> (String, String) {
        let ev = self.next().await.expect("event");
        (
            ev["type"].as_str().unwrap_or("").to_string(),
            ev["object"]["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    }
}

pub fn cm(name: &str, labels: Value) -> Value {
    serde_json::json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":name,"labels":labels},"data":{"k":"v"}})
}
