//! `binaries` mode: etcd + kube-apiserver processes started exactly as controller-runtime's
//! envtest starts them (`controlplane/{plane,etcd,apiserver}.go`), with race-free ports,
//! retries on port clashes with fresh ports, and crash-safe cleanup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::binaries::Binaries;
use crate::certs::{files, ControlPlaneCerts};
use crate::error::{Error, Result};
use crate::flags::{help_mentions_flag, Flags};
use crate::ports::{PortAllocator, PortReservation, LOOPBACK};
use crate::process::{help_text, HealthCheck, ProcessSpec, Supervised};
use crate::sweep::{RunRecord, TEMP_DIR_PREFIX};

/// How often readiness endpoints are polled (upstream: 100 ms).
const HEALTH_POLL: Duration = Duration::from_millis(20);
/// Start attempts when a port turns out to be taken between reservation and bind.
const START_ATTEMPTS: u32 = 5;

/// Settings of a binaries-mode control plane.
#[derive(Clone, Debug)]
pub struct BinariesSettings {
    /// Binary paths.
    pub binaries: Binaries,
    /// Per-component start timeout.
    pub start_timeout: Duration,
    /// Per-component stop timeout.
    pub stop_timeout: Duration,
    /// Copy process output to ours.
    pub attach_output: bool,
    /// Flag overrides for etcd (replace defaults; an empty list removes a flag).
    pub etcd_flags: BTreeMap<String, Vec<String>>,
    /// Flag overrides for kube-apiserver.
    pub api_server_flags: BTreeMap<String, Vec<String>>,
}

/// A running etcd + kube-apiserver pair.
#[derive(Debug)]
pub struct ControlPlane {
    etcd: Option<Supervised>,
    apiserver: Option<Supervised>,
    etcd_data_dir: Option<tempfile::TempDir>,
    cert_dir: Option<tempfile::TempDir>,
    ports: Vec<PortReservation>,
    record: RunRecord,
    secure_port: u16,
    etcd_url: String,
    stop_timeout: Duration,
    /// The certificate authorities of this control plane.
    pub certs: Arc<ControlPlaneCerts>,
    /// How many start attempts it took.
    pub attempts: u32,
}

/// One start attempt's ports.
struct AttemptPorts {
    etcd_client: PortReservation,
    etcd_peer: PortReservation,
    secure: PortReservation,
}

impl ControlPlane {
    /// Starts etcd, then kube-apiserver, each waited on until healthy. On a port clash
    /// the attempt is torn down and retried with fresh ports (up to 5 attempts); any
    /// other failure is reported at once with the process's last output.
    pub async fn start(
        settings: &BinariesSettings,
        allocator: &PortAllocator,
    ) -> Result<ControlPlane> {
        let certs = Arc::new(ControlPlaneCerts::generate(LOOPBACK)?);
        let probes = FlagProbes::run(settings).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::start_once(settings, allocator, certs.clone(), &probes).await {
                Ok(mut plane) => {
                    plane.attempts = attempt;
                    return Ok(plane);
                }
                Err(error) => {
                    if error.is_port_clash() && attempt < START_ATTEMPTS {
                        tracing::info!(attempt, %error, "port clash while starting the control plane; retrying with fresh ports");
                        continue;
                    }
                    return Err(Error::ControlPlaneStart {
                        attempts: attempt,
                        source: Box::new(error),
                    });
                }
            }
        }
    }

    async fn start_once(
        settings: &BinariesSettings,
        allocator: &PortAllocator,
        certs: Arc<ControlPlaneCerts>,
        probes: &FlagProbes,
    ) -> Result<ControlPlane> {
        let mut record = RunRecord::create(allocator.lock_dir());
        let ports = reserve_ports(allocator)?;
        let etcd_data_dir = make_temp_dir(&mut record)?;
        let cert_dir = make_temp_dir(&mut record)?;
        let etcd_url = format!("http://{LOOPBACK}:{}", ports.etcd_client.port());
        let mut plane = ControlPlane {
            etcd: None,
            apiserver: None,
            secure_port: ports.secure.port(),
            etcd_url: etcd_url.clone(),
            ports: Vec::new(),
            etcd_data_dir: Some(etcd_data_dir),
            cert_dir: Some(cert_dir),
            record,
            stop_timeout: settings.stop_timeout,
            certs,
            attempts: 1,
        };
        let result = plane.launch(settings, probes, &ports).await;
        plane.ports = vec![ports.etcd_client, ports.etcd_peer, ports.secure];
        match result {
            Ok(()) => Ok(plane),
            Err(error) => {
                plane.teardown_now();
                Err(error)
            }
        }
    }

    async fn launch(
        &mut self,
        settings: &BinariesSettings,
        probes: &FlagProbes,
        ports: &AttemptPorts,
    ) -> Result<()> {
        let data_dir = path_of(&self.etcd_data_dir);
        let cert_dir = path_of(&self.cert_dir);
        self.certs.write_to(&cert_dir)?;

        let etcd_args = etcd_flags(
            &self.etcd_url,
            ports.etcd_peer.port(),
            &data_dir,
            probes.etcd_unsafe_no_fsync,
            &settings.etcd_flags,
        );
        let etcd = spawn_supervised(
            &settings.binaries.etcd.path,
            etcd_args.render(),
            settings.attach_output,
            &mut self.record,
        )
        .await?;
        let etcd = self.etcd.insert(etcd);
        let client = health_client()?;
        etcd.wait_ready(
            &client,
            &HealthCheck {
                url: format!("{}/health", self.etcd_url),
                interval: HEALTH_POLL,
            },
            settings.start_timeout,
        )
        .await?;

        let apiserver_args = apiserver_flags(
            &self.etcd_url,
            ports.secure.port(),
            &cert_dir,
            probes.apiserver_insecure_port,
            &settings.api_server_flags,
        );
        let apiserver = spawn_supervised(
            &settings.binaries.kube_apiserver.path,
            apiserver_args.render(),
            settings.attach_output,
            &mut self.record,
        )
        .await?;
        let apiserver = self.apiserver.insert(apiserver);
        apiserver
            .wait_ready(
                &client,
                &HealthCheck {
                    url: format!("https://{LOOPBACK}:{}/healthz", ports.secure.port()),
                    interval: HEALTH_POLL,
                },
                settings.start_timeout,
            )
            .await
    }

    /// Base URL of kube-apiserver (`https://127.0.0.1:<port>`).
    pub fn server_url(&self) -> String {
        format!("https://{LOOPBACK}:{}", self.secure_port)
    }

    /// etcd's client URL.
    pub fn etcd_url(&self) -> &str {
        &self.etcd_url
    }

    /// The kube-apiserver `--cert-dir`.
    pub fn cert_dir(&self) -> Option<&Path> {
        self.cert_dir.as_ref().map(tempfile::TempDir::path)
    }

    /// The etcd `--data-dir`.
    pub fn etcd_data_dir(&self) -> Option<&Path> {
        self.etcd_data_dir.as_ref().map(tempfile::TempDir::path)
    }

    /// PIDs of the running processes (etcd first).
    pub fn pids(&self) -> Vec<u32> {
        self.etcd
            .iter()
            .chain(self.apiserver.iter())
            .map(Supervised::pid)
            .collect()
    }

    /// Stops kube-apiserver, then etcd (SIGTERM, SIGKILL after the stop timeout), then
    /// removes the temp dirs and releases the ports. Errors are aggregated; cleanup
    /// always completes.
    pub async fn stop(&mut self) -> Result<()> {
        let mut first_error = None;
        for process in [self.apiserver.take(), self.etcd.take()]
            .into_iter()
            .flatten()
        {
            if let Err(error) = process.stop(self.stop_timeout).await {
                first_error.get_or_insert(error);
            }
        }
        self.remove_dirs_and_ports();
        first_error.map_or(Ok(()), Err)
    }

    /// Kills everything immediately and cleans up (for drop and process-exit hooks).
    pub fn teardown_now(&mut self) {
        for process in [self.apiserver.take(), self.etcd.take()]
            .into_iter()
            .flatten()
        {
            process.kill_now();
        }
        self.remove_dirs_and_ports();
    }

    fn remove_dirs_and_ports(&mut self) {
        for dir in [self.etcd_data_dir.take(), self.cert_dir.take()]
            .into_iter()
            .flatten()
        {
            let _ = dir.close();
        }
        self.ports.clear();
        self.record.clear();
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        self.teardown_now();
    }
}

fn path_of(dir: &Option<tempfile::TempDir>) -> PathBuf {
    dir.as_ref()
        .map(|d| d.path().to_path_buf())
        .unwrap_or_default()
}

fn reserve_ports(allocator: &PortAllocator) -> Result<AttemptPorts> {
    Ok(AttemptPorts {
        etcd_client: allocator.reserve()?,
        etcd_peer: allocator.reserve()?,
        secure: allocator.reserve()?,
    })
}

fn make_temp_dir(record: &mut RunRecord) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(TEMP_DIR_PREFIX)
        .tempdir()
        .map_err(|e| Error::io("creating a temp dir", e))?;
    record.add_dir(dir.path());
    Ok(dir)
}

fn health_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .build()
        .map_err(|e| Error::io("building the health-check client", std::io::Error::other(e)))
}

async fn spawn_supervised(
    path: &Path,
    args: Vec<String>,
    attach_output: bool,
    record: &mut RunRecord,
) -> Result<Supervised> {
    let spec = ProcessSpec {
        path: path.to_path_buf(),
        args,
        attach_output,
    };
    let process = Supervised::spawn(&spec).await?;
    record.add_process(process.pid(), process.name());
    Ok(process)
}

/// Results of the `--help` flag probes.
struct FlagProbes {
    etcd_unsafe_no_fsync: bool,
    apiserver_insecure_port: bool,
}

impl FlagProbes {
    async fn run(settings: &BinariesSettings) -> Result<FlagProbes> {
        let (etcd_help, apiserver_help) = tokio::join!(
            help_text(&settings.binaries.etcd.path),
            help_text(&settings.binaries.kube_apiserver.path)
        );
        Ok(FlagProbes {
            // etcd probe errors are ignored upstream.
            etcd_unsafe_no_fsync: etcd_help
                .is_ok_and(|h| help_mentions_flag(&h, "unsafe-no-fsync")),
            // a kube-apiserver probe failure is a start error upstream.
            apiserver_insecure_port: help_mentions_flag(&apiserver_help?, "insecure-port"),
        })
    }
}

/// etcd's flags (`controlplane/etcd.go`).
pub fn etcd_flags(
    client_url: &str,
    peer_port: u16,
    data_dir: &Path,
    unsafe_no_fsync: bool,
    overrides: &BTreeMap<String, Vec<String>>,
) -> Flags {
    let mut flags = Flags::new();
    flags
        .set("advertise-client-urls", client_url)
        .set("data-dir", data_dir.display().to_string())
        .set("listen-client-urls", client_url)
        .set("listen-peer-urls", format!("http://{LOOPBACK}:{peer_port}"));
    if unsafe_no_fsync {
        flags.set("unsafe-no-fsync", "true");
    }
    flags.apply_overrides(overrides);
    flags
}

/// kube-apiserver's flags (`controlplane/apiserver.go defaultArgs` + `auth.go`).
pub fn apiserver_flags(
    etcd_url: &str,
    secure_port: u16,
    cert_dir: &Path,
    insecure_port: bool,
    overrides: &BTreeMap<String, Vec<String>>,
) -> Flags {
    let in_cert_dir = |name: &str| cert_dir.join(name).display().to_string();
    let mut flags = Flags::new();
    flags
        .set("allow-privileged", "true")
        .set("authorization-mode", "RBAC")
        .set("bind-address", LOOPBACK.to_string())
        .set("cert-dir", cert_dir.display().to_string())
        .set("client-ca-file", in_cert_dir(files::CLIENT_CA))
        .set("disable-admission-plugins", "ServiceAccount")
        .set("etcd-servers", etcd_url)
        .set("secure-port", secure_port.to_string())
        .set(
            "service-account-issuer",
            format!("https://{LOOPBACK}:{secure_port}/"),
        )
        .set(
            "service-account-key-file",
            in_cert_dir(files::SERVICE_ACCOUNT_CERT),
        )
        .set(
            "service-account-signing-key-file",
            in_cert_dir(files::SERVICE_ACCOUNT_KEY),
        )
        .set("service-cluster-ip-range", "10.0.0.0/24");
    if insecure_port {
        flags.set("insecure-port", "0");
    }
    flags.apply_overrides(overrides);
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_command_line_matches_upstream() {
        let flags = etcd_flags(
            "http://127.0.0.1:2379",
            2380,
            Path::new("/tmp/k8s_test_framework_1"),
            true,
            &BTreeMap::new(),
        );
        assert_eq!(
            flags.render(),
            [
                "--advertise-client-urls=http://127.0.0.1:2379",
                "--data-dir=/tmp/k8s_test_framework_1",
                "--listen-client-urls=http://127.0.0.1:2379",
                "--listen-peer-urls=http://127.0.0.1:2380",
                "--unsafe-no-fsync=true",
            ]
        );
        let without = etcd_flags(
            "http://127.0.0.1:2379",
            2380,
            Path::new("/d"),
            false,
            &BTreeMap::new(),
        );
        assert!(without.get("unsafe-no-fsync").is_none());
    }

    #[test]
    fn apiserver_command_line_matches_upstream() {
        let overrides = BTreeMap::from([("v".to_string(), vec!["4".to_string()])]);
        let flags = apiserver_flags(
            "http://127.0.0.1:2379",
            6443,
            Path::new("/c"),
            false,
            &overrides,
        );
        assert_eq!(
            flags.render(),
            [
                "--allow-privileged=true",
                "--authorization-mode=RBAC",
                "--bind-address=127.0.0.1",
                "--cert-dir=/c",
                "--client-ca-file=/c/client-cert-auth-ca.crt",
                "--disable-admission-plugins=ServiceAccount",
                "--etcd-servers=http://127.0.0.1:2379",
                "--secure-port=6443",
                "--service-account-issuer=https://127.0.0.1:6443/",
                "--service-account-key-file=/c/sa-signer.crt",
                "--service-account-signing-key-file=/c/sa-signer.key",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--v=4",
            ]
        );
        let old = apiserver_flags("http://e", 1, Path::new("/c"), true, &BTreeMap::new());
        assert_eq!(old.get("insecure-port"), Some(&["0".to_string()][..]));
    }
}
