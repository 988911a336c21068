//! Kubeconfig rendering, byte-for-byte as client-go's `clientcmd.Write` renders the
//! kubeconfig envtest builds (`controlplane/kubectl.go KubeConfigFromREST`): one cluster,
//! user and context, all named `envtest`, keys sorted, `preferences: {}` as client-go
//! v1.32 (kubectl on this machine) emits it.

use base64::Engine as _;

use crate::certs::CertPair;

/// Name of the cluster, user and context in every kubeconfig we write.
pub const ENVTEST_NAME: &str = "envtest";

/// Renders the kubeconfig for a user authenticated with a client certificate.
///
/// `server` is the base URL without trailing slash (`https://127.0.0.1:34567`),
/// `ca_pem` the serving CA clients must trust.
pub fn render(server: &str, ca_pem: &str, client: &CertPair) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\n\
         clusters:\n\
         - cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {name}\n\
         contexts:\n\
         - context:\n    cluster: {name}\n    user: {name}\n  name: {name}\n\
         current-context: {name}\n\
         kind: Config\n\
         preferences: {{}}\n\
         users:\n\
         - name: {name}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(ca_pem),
        server = server,
        name = ENVTEST_NAME,
        cert = b64(&client.cert_pem),
        key = b64(&client.key_pem),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_clientcmd_shape() {
        let pair = CertPair {
            cert_pem: "CERT".into(),
            key_pem: "KEY".into(),
        };
        let text = render("https://127.0.0.1:34567", "CA", &pair);
        assert_eq!(
            text,
            "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:34567
  name: envtest
contexts:
- context:
    cluster: envtest
    user: envtest
  name: envtest
current-context: envtest
kind: Config
preferences: {}
users:
- name: envtest
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
"
        );
        // And it is a kubeconfig that a YAML parser reads back to the same values.
        let parsed: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(parsed["current-context"], "envtest");
        assert_eq!(
            parsed["clusters"][0]["cluster"]["server"],
            "https://127.0.0.1:34567"
        );
    }
}
