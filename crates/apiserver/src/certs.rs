//! Certificate authorities and leaf certificates (rcgen with ring, ECDSA P-256).
//!
//! Client certificates carry the user in CN and each group in its own `O`
//! attribute, like Kubernetes expects. rcgen keeps one value per attribute
//! type, so certificates for several groups get their subject rewritten and
//! are re-signed (see [`CertAuthority::issue_client`]).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SigningKey, PKCS_ECDSA_P256_SHA256,
};

use crate::error::{Error, Result};

/// A PEM certificate and its PKCS#8 PEM private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertKeyPem {
    /// `-----BEGIN CERTIFICATE-----` …
    pub cert_pem: String,
    /// `-----BEGIN PRIVATE KEY-----` …
    pub key_pem: String,
}

/// A certificate authority that can sign leaf certificates.
pub struct CertAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for CertAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertAuthority").finish_non_exhaustive()
    }
}

impl CertAuthority {
    /// A fresh self-signed CA (P-256) with the given common name.
    pub fn generate(common_name: &str) -> Result<Self> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        let cert = params.self_signed(&key)?;
        Ok(CertAuthority {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A CA from existing PEM certificate and key (any key type rcgen can sign with).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| Error::Pem {
            what: "CA key",
            reason: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key).map_err(|e| Error::Pem {
            what: "CA certificate",
            reason: e.to_string(),
        })?;
        Ok(CertAuthority {
            cert_pem: cert_pem.to_string(),
            issuer,
        })
    }

    /// The CA certificate in PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A serving certificate for the given DNS names / IP addresses.
    pub fn issue_serving(&self, names: &[&str]) -> Result<CertKeyPem> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("localhost"),
        );
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(CertKeyPem {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A client certificate: CN = user, one `O` per group.
    pub fn issue_client(&self, user: &str, groups: &[&str]) -> Result<CertKeyPem> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, user);
        if groups.len() == 1 {
            params
                .distinguished_name
                .push(DnType::OrganizationName, groups[0]);
        }
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer)?;
        let der = if groups.len() > 1 {
            let subject = der::name(user, groups);
            der::replace_subject_and_resign(cert.der(), &subject, self.issuer.key())?
        } else {
            cert.der().to_vec()
        };
        Ok(CertKeyPem {
            cert_pem: pem_encode("CERTIFICATE", &der),
            key_pem: key.serialize_pem(),
        })
    }
}

/// PEM-encode DER bytes with the given label.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Parse all certificates of a PEM bundle.
pub fn parse_cert_chain(
    pem: &str,
    what: &'static str,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>> {
    let mut reader = std::io::BufReader::new(pem.as_bytes());
    let certs: Vec<_> = rustls_pemfile::certs(&mut reader)
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Pem {
            what,
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::Pem {
            what,
            reason: "no CERTIFICATE block found".into(),
        });
    }
    Ok(certs)
}

/// Parse a private key (PKCS#8, SEC1 or PKCS#1) from PEM.
pub fn parse_private_key(
    pem: &str,
    what: &'static str,
) -> Result<rustls_pki_types::PrivateKeyDer<'static>> {
    let mut reader = std::io::BufReader::new(pem.as_bytes());
    rustls_pemfile::private_key(&mut reader)
        .map_err(|e| Error::Pem {
            what,
            reason: e.to_string(),
        })?
        .ok_or(Error::Pem {
            what,
            reason: "no PRIVATE KEY block found".into(),
        })
}

/// Minimal DER plumbing for the multi-group subject rewrite.
mod der {
    use super::*;

    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    const OID_O: &[u8] = &[0x55, 0x04, 0x0a];

    pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    /// (header length, content length) of the TLV at the start of `buf`.
    fn header(buf: &[u8]) -> Option<(usize, usize)> {
        let first = *buf.get(1)?;
        if first < 0x80 {
            return Some((2, first as usize));
        }
        let n = (first & 0x7f) as usize;
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *buf.get(2 + i)? as usize;
        }
        Some((2 + n, len))
    }

    fn attribute(oid: &[u8], value: &str) -> Vec<u8> {
        let mut seq = tlv(0x06, oid);
        seq.extend(tlv(0x0c, value.as_bytes()));
        tlv(0x31, &tlv(0x30, &seq))
    }

    /// `Name` with one O RDN per group, then the CN (Go's pkix order).
    pub(super) fn name(cn: &str, groups: &[&str]) -> Vec<u8> {
        let mut rdns = Vec::new();
        for g in groups {
            rdns.extend(attribute(OID_O, g));
        }
        rdns.extend(attribute(OID_CN, cn));
        tlv(0x30, &rdns)
    }

    fn bad(reason: &str) -> Error {
        Error::Pem {
            what: "generated certificate",
            reason: reason.to_string(),
        }
    }

    /// Replace the subject of a signed certificate and sign it again.
    pub(super) fn replace_subject_and_resign(
        cert: &[u8],
        subject: &[u8],
        key: &KeyPair,
    ) -> Result<Vec<u8>> {
        let (_, parsed) =
            x509_parser::parse_x509_certificate(cert).map_err(|e| bad(&e.to_string()))?;
        let old_subject = parsed.tbs_certificate.subject.as_raw();
        let (cert_hdr, _) = header(cert).ok_or_else(|| bad("truncated certificate"))?;
        let tbs_start = cert_hdr;
        let (tbs_hdr, tbs_len) = header(&cert[tbs_start..]).ok_or_else(|| bad("truncated tbs"))?;
        let tbs_content = &cert[tbs_start + tbs_hdr..tbs_start + tbs_hdr + tbs_len];
        let offset = (old_subject.as_ptr() as usize)
            .checked_sub(tbs_content.as_ptr() as usize)
            .filter(|o| o + old_subject.len() <= tbs_content.len())
            .ok_or_else(|| bad("subject outside tbs"))?;
        let mut new_content = tbs_content[..offset].to_vec();
        new_content.extend_from_slice(subject);
        new_content.extend_from_slice(&tbs_content[offset + old_subject.len()..]);
        let new_tbs = tlv(0x30, &new_content);
        let after_tbs = tbs_start + tbs_hdr + tbs_len;
        let (alg_hdr, alg_len) =
            header(&cert[after_tbs..]).ok_or_else(|| bad("truncated algorithm"))?;
        let sig_alg = &cert[after_tbs..after_tbs + alg_hdr + alg_len];
        let signature = key.sign(&new_tbs)?;
        let mut bits = vec![0u8];
        bits.extend(signature);
        let mut body = new_tbs;
        body.extend_from_slice(sig_alg);
        body.extend(tlv(0x03, &bits));
        Ok(tlv(0x30, &body))
    }
}

/// Identity (CN, O values) of a DER certificate.
pub fn subject_identity(der: &[u8]) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    Some((cn, groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_cert_carries_user_and_every_group() {
        let ca = CertAuthority::generate("test-ca").unwrap();
        for groups in [
            vec![],
            vec!["system:masters"],
            vec!["devs", "ops", "system:masters"],
        ] {
            let pair = ca.issue_client("alice", &groups).unwrap();
            let der = parse_cert_chain(&pair.cert_pem, "c").unwrap();
            let (cn, got) = subject_identity(&der[0]).unwrap();
            assert_eq!(cn, "alice");
            assert_eq!(
                got,
                groups.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            );
        }
    }
}
