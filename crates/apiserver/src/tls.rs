//! rustls server configuration: serving certificate, ALPN (h2 + http/1.1) and
//! *optional* client certificates.
//!
//! Like kube-apiserver (`RequestClientCert`), the handshake accepts any client
//! certificate; it is verified against the client CA afterwards by the
//! authenticator, so a bad certificate gets a 401 Status instead of a TLS alert.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::certs::{parse_cert_chain, parse_private_key};
use crate::error::Result;

/// Verifies client certificates against the client CA (used after the handshake).
#[derive(Debug, Clone)]
pub struct ClientCertChecker {
    verifier: Arc<dyn ClientCertVerifier>,
}

impl ClientCertChecker {
    /// Build from a PEM bundle of client CA certificates.
    pub fn new(client_ca_pem: &str) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for cert in parse_cert_chain(client_ca_pem, "client CA")? {
            roots.add(cert)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()?;
        Ok(ClientCertChecker { verifier })
    }

    /// Does this chain (leaf first) verify against the client CA now?
    pub fn verify(&self, chain: &[CertificateDer<'static>]) -> bool {
        match chain.split_first() {
            Some((leaf, intermediates)) => self
                .verifier
                .verify_client_cert(leaf, intermediates, UnixTime::now())
                .is_ok(),
            None => false,
        }
    }
}

#[derive(Debug)]
struct AcceptAnyClientCert {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for AcceptAnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The server's rustls configuration.
pub fn server_config(
    serving_cert_pem: &str,
    serving_key_pem: &str,
    checker: &ClientCertChecker,
) -> Result<ServerConfig> {
    let chain = parse_cert_chain(serving_cert_pem, "serving certificate")?;
    let key = parse_private_key(serving_key_pem, "serving key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(AcceptAnyClientCert {
            inner: checker.verifier.clone(),
        }))
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::CertAuthority;

    #[test]
    fn checker_accepts_own_ca_leaves_including_resigned_multi_group_certs() {
        let ca = CertAuthority::generate("client-ca").unwrap();
        let other = CertAuthority::generate("other-ca").unwrap();
        let checker = ClientCertChecker::new(ca.cert_pem()).unwrap();
        for groups in [vec!["system:masters"], vec!["a", "b", "c"]] {
            let good = ca.issue_client("alice", &groups).unwrap();
            assert!(checker.verify(&parse_cert_chain(&good.cert_pem, "x").unwrap()));
            let bad = other.issue_client("mallory", &groups).unwrap();
            assert!(!checker.verify(&parse_cert_chain(&bad.cert_pem, "x").unwrap()));
        }
    }
}
