//! Certificates exactly as controller-runtime's envtest makes them (`certs/tinyca.go`,
//! `controlplane/apiserver.go`, `controlplane/auth.go`): four independent P-256 CAs per
//! control plane (serving, service-account, client-auth, webhook), short-lived leaves.

use std::collections::BTreeSet;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::error::{Error, Result};

/// Validity of a CA certificate (client-go `NewSelfSignedCACert`: ten years).
const CA_VALIDITY: TimeDuration = TimeDuration::days(3650);
/// Validity of leaf certificates (TinyCA: one week).
const LEAF_VALIDITY: TimeDuration = TimeDuration::hours(168);
/// Common name and DNS SAN of every envtest CA.
const CA_NAME: &str = "envtest-environment";
/// Organization of every envtest CA and of the serving leaf.
const CA_ORGANIZATION: &str = "envtest";

/// Names of the files written into the kube-apiserver `--cert-dir`.
pub mod files {
    /// Serving certificate (found by kube-apiserver through `--cert-dir`).
    pub const SERVING_CERT: &str = "apiserver.crt";
    /// Serving key.
    pub const SERVING_KEY: &str = "apiserver.key";
    /// Service-account CA certificate (`--service-account-key-file`).
    pub const SERVICE_ACCOUNT_CERT: &str = "sa-signer.crt";
    /// Service-account CA key (`--service-account-signing-key-file`).
    pub const SERVICE_ACCOUNT_KEY: &str = "sa-signer.key";
    /// Client-auth CA certificate (`--client-ca-file`).
    pub const CLIENT_CA: &str = "client-cert-auth-ca.crt";
}

/// A PEM certificate with its PKCS#8 PEM private key.
#[derive(Clone, Debug)]
pub struct CertPair {
    /// `-----BEGIN CERTIFICATE-----` PEM.
    pub cert_pem: String,
    /// `-----BEGIN PRIVATE KEY-----` PEM (PKCS#8).
    pub key_pem: String,
}

/// A tiny certificate authority: one P-256 key, a self-signed CA certificate and a
/// serial counter for the leaves it signs.
pub struct TinyCa {
    issuer: Issuer<'static, KeyPair>,
    ca: CertPair,
    next_serial: AtomicU64,
}

impl std::fmt::Debug for TinyCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TinyCa").finish_non_exhaustive()
    }
}

impl TinyCa {
    /// Creates a CA: CN/DNS SAN `envtest-environment`, O `envtest`, random serial,
    /// valid for ten years, key usage digitalSignature|keyEncipherment|keyCertSign.
    pub fn new() -> Result<Self> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec![CA_NAME.to_string()])?;
        params.distinguished_name = distinguished_name(CA_NAME, &[CA_ORGANIZATION]);
        // client-go draws the serial from [1, MaxInt64).
        let serial = rand::random_range(1..i64::MAX as u64);
        params.serial_number = Some(SerialNumber::from(serial));
        let now = OffsetDateTime::now_utc();
        params.not_before = now;
        params.not_after = now + CA_VALIDITY;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        let cert = params.self_signed(&key)?;
        let ca = CertPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        Ok(TinyCa {
            issuer: Issuer::new(params, key),
            ca,
            next_serial: AtomicU64::new(1),
        })
    }

    /// The CA certificate and key.
    pub fn ca(&self) -> &CertPair {
        &self.ca
    }

    /// Issues the kube-apiserver serving certificate: CN `localhost`, O `envtest`,
    /// EKU serverAuth. Each name that is an IP becomes an IP SAN; every other name a DNS
    /// SAN plus an IP SAN for each address it resolves to (as upstream's `LookupHost`).
    pub fn issue_serving(&self, names: &[&str]) -> Result<CertPair> {
        let mut dns = Vec::new();
        let mut ips = BTreeSet::new();
        for name in names {
            match name.parse::<IpAddr>() {
                Ok(ip) => {
                    ips.insert(ip);
                }
                Err(_) => {
                    dns.push(name.to_string());
                    if let Ok(addrs) = (*name, 0).to_socket_addrs() {
                        ips.extend(addrs.map(|addr| addr.ip()));
                    }
                }
            }
        }
        let mut sans = Vec::new();
        for name in dns {
            sans.push(SanType::DnsName(name.try_into()?));
        }
        sans.extend(ips.into_iter().map(SanType::IpAddress));
        self.issue_leaf(
            "localhost",
            &[CA_ORGANIZATION.to_string()],
            sans,
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// Issues a client certificate for a user: CN = user name, O = groups, EKU clientAuth.
    pub fn issue_client(&self, user: &str, groups: &[String]) -> Result<CertPair> {
        self.issue_leaf(
            user,
            groups,
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
        )
    }

    fn issue_leaf(
        &self,
        common_name: &str,
        organizations: &[String],
        sans: Vec<SanType>,
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<CertPair> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let organizations: Vec<&str> = organizations.iter().map(String::as_str).collect();
        params.distinguished_name = distinguished_name(common_name, &organizations);
        params.subject_alt_names = sans;
        params.serial_number = Some(SerialNumber::from(
            self.next_serial.fetch_add(1, Ordering::Relaxed),
        ));
        let now = OffsetDateTime::now_utc();
        params.not_before = now;
        params.not_after = now + LEAF_VALIDITY;
        params.key_usages = vec![
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn distinguished_name(common_name: &str, organizations: &[&str]) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for organization in organizations {
        name.push(DnType::OrganizationName, *organization);
    }
    name.push(DnType::CommonName, common_name);
    name
}

/// The certificate material of one control plane.
#[derive(Debug)]
pub struct ControlPlaneCerts {
    /// CA that signed the serving certificate (clients trust it: `certificate-authority-data`).
    pub serving_ca: TinyCa,
    /// The kube-apiserver serving certificate.
    pub serving: CertPair,
    /// Service-account token signer (its own CA cert/key are used directly).
    pub service_account: TinyCa,
    /// CA that kube-apiserver trusts for client certificates (users are issued from it).
    pub client_ca: TinyCa,
}

impl ControlPlaneCerts {
    /// Generates all CAs and the serving certificate for `localhost` and `bind_address`.
    pub fn generate(bind_address: IpAddr) -> Result<Self> {
        let serving_ca = TinyCa::new()?;
        let bind = bind_address.to_string();
        let serving = serving_ca.issue_serving(&["localhost", &bind])?;
        Ok(ControlPlaneCerts {
            serving_ca,
            serving,
            service_account: TinyCa::new()?,
            client_ca: TinyCa::new()?,
        })
    }

    /// Writes the kube-apiserver files into `cert_dir` (mode 0640): `apiserver.crt`,
    /// `apiserver.key`, `sa-signer.crt`, `sa-signer.key`, `client-cert-auth-ca.crt`.
    pub fn write_to(&self, cert_dir: &Path) -> Result<()> {
        let service_account = self.service_account.ca();
        let entries = [
            (files::SERVING_CERT, &self.serving.cert_pem),
            (files::SERVING_KEY, &self.serving.key_pem),
            (files::SERVICE_ACCOUNT_CERT, &service_account.cert_pem),
            (files::SERVICE_ACCOUNT_KEY, &service_account.key_pem),
            (files::CLIENT_CA, &self.client_ca.ca().cert_pem),
        ];
        for (name, contents) in entries {
            write_private_file(&cert_dir.join(name), contents.as_bytes())?;
        }
        Ok(())
    }
}

/// Writes a file readable by owner and group only (0640 on Unix).
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    file.write_all(contents)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
