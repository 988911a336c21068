//! `klite-kube-apiserver`: a stand-in for the kube-apiserver binary that
//! accepts the command line controller-runtime's envtest passes and serves the
//! embedded API server. Unknown `--flag=value` arguments are ignored with a
//! warning. With `--etcd-servers` every object lives in that etcd (v3, through
//! its JSON gateway; see `klite_apiserver::store::etcd`): the server loads what
//! etcd holds before it serves (so a restarted stand-in serves the same data),
//! writes every change through, and uses etcd's revision as resourceVersion.
//! `/healthz` stays non-200 while etcd does not answer `GET /health`; writes
//! fail with 500 while etcd is gone.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use klite_apiserver::store::etcd::Etcd;
use klite_apiserver::{start, CertAuthority, CertKeyPem, ClientCa, PersistentStore, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KNOWN_FLAGS: &[(&str, &str)] = &[
    ("advertise-address", "The IP address on which to advertise the apiserver to members of the cluster."),
    ("allow-privileged", "If true, allow privileged containers."),
    ("authorization-mode", "Ordered list of plug-ins to do authorization on secure port."),
    ("bind-address", "The IP address on which to listen for the --secure-port port (default 0.0.0.0)."),
    ("cert-dir", "The directory where the TLS certs are located (apiserver.crt, apiserver.key)."),
    ("client-ca-file", "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate."),
    ("default-watch-cache-size", "Default watch cache size: how many recent events a watch can start from (0 keeps the default)."),
    ("disable-admission-plugins", "admission plugins that should be disabled although they are in the default enabled plugins list."),
    ("enable-admission-plugins", "admission plugins that should be enabled in addition to default enabled ones."),
    ("etcd-servers", "List of etcd servers to connect with (scheme://ip:port), comma separated."),
    ("secure-port", "The port on which to serve HTTPS with authentication and authorization (default 6443)."),
    ("service-account-issuer", "Identifier of the service account token issuer."),
    ("service-account-key-file", "File containing PEM-encoded x509 RSA or ECDSA private or public keys, used to verify ServiceAccount tokens."),
    ("service-account-signing-key-file", "Path to the file that contains the current private key of the service account token issuer."),
    ("service-cluster-ip-range", "A CIDR notation IP range from which to assign service cluster IPs."),
    ("service-node-port-range", "A port range to reserve for services with NodePort visibility (default 30000-32767)."),
    ("tls-cert-file", "File containing the default x509 Certificate for HTTPS."),
    ("tls-private-key-file", "File containing the default x509 private key matching --tls-cert-file."),
];

#[derive(Debug, Default)]
struct Args {
    secure_port: Option<u16>,
    bind_address: Option<String>,
    cert_dir: Option<PathBuf>,
    client_ca_file: Option<PathBuf>,
    etcd_servers: Vec<String>,
    tls_cert_file: Option<PathBuf>,
    tls_key_file: Option<PathBuf>,
    /// Flags for [`ServerOptions::apply_flag`], in command-line order.
    server_flags: Vec<(String, String)>,
}

fn usage() -> String {
    let mut out = String::from(
        "The Kubernetes API server validates and configures data for the api objects (klite stand-in).\n\nUsage:\n  kube-apiserver [flags]\n\nFlags:\n",
    );
    for (flag, help) in KNOWN_FLAGS {
        out.push_str(&format!("      --{flag} string\n                {help}\n"));
    }
    out.push_str("  -h, --help\n                help for kube-apiserver\n      --version\n                Print version information and quit\n");
    out
}

fn parse(argv: &[String]) -> Result<Option<Args>, String> {
    let mut args = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        if arg == "-h" || arg == "--help" {
            print!("{}", usage());
            return Ok(None);
        }
        if arg == "--version" || arg.starts_with("--version=") {
            println!("Kubernetes v1.32.0");
            return Ok(None);
        }
        let Some(stripped) = arg.strip_prefix("--") else {
            eprintln!("W klite-kube-apiserver: ignoring positional argument {arg:?}");
            continue;
        };
        let (name, value) = match stripped.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => {
                let known = KNOWN_FLAGS.iter().any(|(f, _)| *f == stripped);
                if known && i < argv.len() && !argv[i].starts_with("--") {
                    i += 1;
                    (stripped.to_string(), Some(argv[i - 1].clone()))
                } else {
                    (stripped.to_string(), None)
                }
            }
        };
        let value = value.unwrap_or_default();
        match name.as_str() {
            "secure-port" => {
                args.secure_port = Some(
                    value
                        .parse()
                        .map_err(|_| format!("invalid argument {value:?} for \"--secure-port\""))?,
                )
            }
            "bind-address" => args.bind_address = Some(value),
            "service-cluster-ip-range" | "service-node-port-range" | "default-watch-cache-size" => {
                // Checked now (a bad value is a usage error), applied in run().
                ServerOptions::default().apply_flag(&name, &value)?;
                args.server_flags.push((name, value));
            }
            "cert-dir" => args.cert_dir = Some(PathBuf::from(value)),
            "client-ca-file" => args.client_ca_file = Some(PathBuf::from(value)),
            "etcd-servers" => {
                args.etcd_servers = value
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "tls-cert-file" => args.tls_cert_file = Some(PathBuf::from(value)),
            "tls-private-key-file" => args.tls_key_file = Some(PathBuf::from(value)),
            n if KNOWN_FLAGS.iter().any(|(f, _)| *f == n) => {}
            n => eprintln!("W klite-kube-apiserver: ignoring unknown flag --{n}"),
        }
    }
    Ok(Some(args))
}

/// `GET <server>/health` over plain HTTP; true on a 200.
async fn etcd_healthy(server: &str) -> bool {
    let Some(rest) = server.strip_prefix("http://") else {
        return false;
    };
    let host = rest.trim_end_matches('/');
    let connect =
        tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(host)).await;
    let Ok(Ok(mut stream)) = connect else {
        return false;
    };
    let req = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if stream.write_all(req.as_bytes()).await.is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut buf)).await;
    matches!(read, Ok(Ok(_)))
        && (buf.starts_with(b"HTTP/1.1 200") || buf.starts_with(b"HTTP/1.0 200"))
}

fn serving_material(args: &Args) -> Result<Option<CertKeyPem>, String> {
    if let (Some(c), Some(k)) = (&args.tls_cert_file, &args.tls_key_file) {
        let cert_pem =
            std::fs::read_to_string(c).map_err(|e| format!("reading {}: {e}", c.display()))?;
        let key_pem =
            std::fs::read_to_string(k).map_err(|e| format!("reading {}: {e}", k.display()))?;
        return Ok(Some(CertKeyPem { cert_pem, key_pem }));
    }
    let Some(dir) = &args.cert_dir else {
        return Ok(None);
    };
    let crt = dir.join("apiserver.crt");
    let key = dir.join("apiserver.key");
    if crt.exists() && key.exists() {
        let cert_pem =
            std::fs::read_to_string(&crt).map_err(|e| format!("reading {}: {e}", crt.display()))?;
        let key_pem =
            std::fs::read_to_string(&key).map_err(|e| format!("reading {}: {e}", key.display()))?;
        return Ok(Some(CertKeyPem { cert_pem, key_pem }));
    }
    // Like kube-apiserver: self-signed material generated into --cert-dir.
    let ca = CertAuthority::generate("localhost-ca").map_err(|e| e.to_string())?;
    let mut names = vec!["localhost", "127.0.0.1"];
    if let Some(b) = args
        .bind_address
        .as_deref()
        .filter(|b| !b.is_empty() && *b != "0.0.0.0")
    {
        names.push(b);
    }
    let pair = ca.issue_serving(&names).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    std::fs::write(&crt, format!("{}{}", pair.cert_pem, ca.cert_pem()))
        .map_err(|e| e.to_string())?;
    std::fs::write(&key, &pair.key_pem).map_err(|e| e.to_string())?;
    Ok(Some(pair))
}

async fn run(args: Args) -> Result<(), String> {
    let bind: IpAddr = args
        .bind_address
        .as_deref()
        .unwrap_or("0.0.0.0")
        .parse()
        .map_err(|e| format!("invalid --bind-address: {e}"))?;
    let mut options = ServerOptions {
        bind_address: bind,
        port: args.secure_port.unwrap_or(6443),
        ..Default::default()
    };
    for (name, value) in &args.server_flags {
        options.apply_flag(name, value)?;
    }
    options.serving = serving_material(&args)?;
    if let Some(path) = &args.client_ca_file {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("reading --client-ca-file {}: {e}", path.display()))?;
        options.client_ca = ClientCa::Pem(pem);
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    if let Some(server) = args.etcd_servers.first() {
        // Like kube-apiserver: nothing is served before the storage answers.
        let etcd = Arc::new(Etcd::new(server).map_err(|e| e.to_string())?);
        let mut waited = 0u32;
        let loaded = loop {
            let reader = etcd.clone();
            match tokio::task::spawn_blocking(move || reader.load()).await {
                Ok(Ok(loaded)) => break loaded,
                Ok(Err(e)) if waited.is_multiple_of(25) => {
                    eprintln!("W klite-kube-apiserver: waiting for etcd: {e}")
                }
                Ok(Err(_)) => {}
                Err(e) => return Err(format!("loading from etcd: {e}")),
            }
            waited += 1;
            tokio::select! {
                _ = term.recv() => return Ok(()),
                _ = tokio::signal::ctrl_c() => return Ok(()),
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        };
        eprintln!(
            "I klite-kube-apiserver: loaded {} objects from etcd at revision {}",
            loaded.objects.len(),
            loaded.revision
        );
        options.storage = Some(PersistentStore {
            backend: etcd,
            loaded,
        });
    }
    let etcd_ok = Arc::new(AtomicBool::new(args.etcd_servers.is_empty()));
    if let Some(server) = args.etcd_servers.first().cloned() {
        let flag = etcd_ok.clone();
        flag.store(etcd_healthy(&server).await, Ordering::SeqCst);
        tokio::spawn(async move {
            loop {
                flag.store(etcd_healthy(&server).await, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        let flag = etcd_ok.clone();
        options.health_check = Some(Arc::new(move || flag.load(Ordering::SeqCst)));
    }
    let server = start(options).await.map_err(|e| e.to_string())?;
    eprintln!(
        "I klite-kube-apiserver: Serving securely on {}",
        server.local_addr()
    );
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    server.stop().await;
    Ok(())
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => return,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(args)) {
        eprintln!("Error: {e}");
        std::process::exit(1);
    }
}
