//! Turning kubeconfig text, or the environment, into a connection configuration.
//!
//! Inference follows kubectl's loading rules: `KUBECONFIG` (a path list, merged first-wins,
//! missing files skipped), then `~/.kube/config`, then the in-cluster service account.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::FutureExt;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use crate::error::{Error, Result};

/// How a [`crate::DynamicClient`] connects and paces its requests.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Raw kubeconfig text (YAML or JSON); `None` infers it from the environment.
    pub kubeconfig: Option<String>,
    /// The kubeconfig context to use; `None` means `current-context`.
    pub context: Option<String>,
    /// Sustained requests per second; zero or negative disables rate limiting.
    pub qps: f64,
    /// How many requests may go out at once before `qps` pacing starts.
    pub burst: u32,
    /// Deadline for each request (for a watch: until the response headers arrive).
    pub timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            kubeconfig: None,
            context: None,
            qps: -1.0,
            burst: 100,
            timeout: None,
        }
    }
}

/// Builds the kube-rs configuration for `options` without doing any network I/O.
pub fn load_config(kubeconfig: Option<&str>, context: Option<&str>) -> Result<kube::Config> {
    let kube_options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let (parsed, origin) = match kubeconfig {
        Some(text) => (
            parse_kubeconfig_text(text)?,
            "the given kubeconfig".to_owned(),
        ),
        None => match infer_kubeconfig()? {
            Some((parsed, origin)) => (parsed, origin),
            None => return in_cluster_config(context),
        },
    };
    config_from_kubeconfig(parsed, &kube_options, &origin)
}

fn parse_kubeconfig_text(text: &str) -> Result<Kubeconfig> {
    if text.trim().is_empty() {
        return Err(kubeconfig_error(
            "the kubeconfig is empty: pass the text of a kubeconfig (YAML or JSON), \
             or omit `kubeconfig` to use KUBECONFIG / ~/.kube/config",
            None,
        ));
    }
    let looks_like_path = !text.contains('\n') && !text.contains(':') && Path::new(text).exists();
    Kubeconfig::from_yaml(text).map_err(|err| {
        let hint = if looks_like_path {
            " (this looks like a file path: read the file and pass its contents, or set KUBECONFIG)"
        } else {
            ""
        };
        kubeconfig_error(
            format!("the kubeconfig could not be parsed: {err}{hint}"),
            Some(Box::new(err)),
        )
    })
}

/// Reads the kubeconfig named by `KUBECONFIG` or `~/.kube/config`, if there is one.
fn infer_kubeconfig() -> Result<Option<(Kubeconfig, String)>> {
    if let Some(list) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|path| !path.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            let existing: Vec<&PathBuf> = paths.iter().filter(|path| path.exists()).collect();
            if existing.is_empty() {
                return Ok(None);
            }
            let mut merged = Kubeconfig::default();
            for path in &existing {
                let next = read_kubeconfig_file(path)?;
                merged = merged.merge(next).map_err(|err| {
                    kubeconfig_error(
                        format!(
                            "the files in KUBECONFIG cannot be merged ({err}): check {}",
                            path.display()
                        ),
                        Some(Box::new(err)),
                    )
                })?;
            }
            let origin = format!(
                "KUBECONFIG ({})",
                std::env::join_paths(existing)
                    .map(|joined| joined.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            return Ok(Some((merged, origin)));
        }
    }
    let Some(home) = home_dir() else {
        return Ok(None);
    };
    let default_path = home.join(".kube").join("config");
    if !default_path.exists() {
        return Ok(None);
    }
    let parsed = read_kubeconfig_file(&default_path)?;
    Ok(Some((parsed, default_path.display().to_string())))
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

fn read_kubeconfig_file(path: &Path) -> Result<Kubeconfig> {
    Kubeconfig::read_from(path).map_err(|err| {
        kubeconfig_error(
            format!(
                "the kubeconfig file {} could not be read: {err}",
                path.display()
            ),
            Some(Box::new(err)),
        )
    })
}

fn in_cluster_config(context: Option<&str>) -> Result<kube::Config> {
    if let Some(context) = context {
        return Err(kubeconfig_error(
            format!(
                "context \"{context}\" was requested but no kubeconfig was found: pass `kubeconfig`, \
                 set KUBECONFIG or create ~/.kube/config"
            ),
            None,
        ));
    }
    kube::Config::incluster().map_err(|err| {
        kubeconfig_error(
            format!(
                "no kubeconfig was given or found and this is not a Kubernetes pod ({err}): \
                 pass `kubeconfig`, set KUBECONFIG, or create ~/.kube/config"
            ),
            Some(Box::new(err)),
        )
    })
}

fn config_from_kubeconfig(
    parsed: Kubeconfig,
    options: &KubeConfigOptions,
    origin: &str,
) -> Result<kube::Config> {
    let context_names: Vec<String> = parsed
        .contexts
        .iter()
        .map(|named| named.name.clone())
        .collect();
    let loading = kube::Config::from_custom_kubeconfig(parsed, options).now_or_never();
    // kube's loader does no I/O for an in-memory kubeconfig and completes on first poll.
    let Some(loaded) = loading else {
        return Err(kubeconfig_error(
            format!("loading {origin} did not complete synchronously; this is a bug in klite"),
            None,
        ));
    };
    loaded.map_err(|err| describe_kubeconfig_error(err, options, origin, &context_names))
}

fn describe_kubeconfig_error(
    err: KubeconfigError,
    options: &KubeConfigOptions,
    origin: &str,
    context_names: &[String],
) -> Error {
    let available = if context_names.is_empty() {
        "it defines no contexts".to_owned()
    } else {
        format!("available contexts: {}", context_names.join(", "))
    };
    let message = match &err {
        KubeconfigError::CurrentContextNotSet => {
            format!("{origin} has no current-context: pass the `context` option ({available})")
        }
        KubeconfigError::LoadContext(name) => {
            let source = if options.context.is_some() {
                "requested"
            } else {
                "current"
            };
            format!("the {source} context \"{name}\" is not defined in {origin} ({available})")
        }
        KubeconfigError::LoadClusterOfContext(name) => {
            format!("the cluster \"{name}\" used by the context is not defined in {origin}")
        }
        KubeconfigError::MissingClusterUrl => {
            format!("the selected cluster in {origin} has no `server` URL: add one")
        }
        KubeconfigError::ParseClusterUrl(parse_err) => {
            format!("the selected cluster's `server` in {origin} is not a valid URL: {parse_err}")
        }
        other => format!("{origin} cannot be used: {other}"),
    };
    kubeconfig_error(message, Some(Box::new(err)))
}

fn kubeconfig_error(
    message: impl Into<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Kubeconfig {
        message: message.into(),
        source,
    }
}

/// Parses a Go `time.Duration` string (`"300ms"`, `"1.5h"`, `"1m30s"`, `"0"`).
pub fn parse_go_duration(text: &str) -> Result<Duration> {
    let invalid = || {
        Error::invalid(format!(
            "invalid duration \"{text}\": use a number of milliseconds or a Go duration such as \"30s\" or \"1m30s\""
        ))
    };
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    if trimmed.is_empty() || trimmed.starts_with('-') {
        return Err(invalid());
    }
    let mut rest = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, after) = rest.split_at(number_len);
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(invalid()),
        };
        total_nanos += value * nanos_per_unit;
        rest = next;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
contexts:
- name: admin
  context:
    cluster: local
    user: admin
    namespace: team-a
- name: other
  context:
    cluster: local
    user: admin
users:
- name: admin
  user:
    token: abc
"#;

    #[test]
    fn namespace_comes_from_the_selected_context() {
        let config = load_config(Some(KUBECONFIG), None).expect("config");
        assert_eq!(config.default_namespace, "team-a");
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        let other = load_config(Some(KUBECONFIG), Some("other")).expect("config");
        assert_eq!(other.default_namespace, "default");
    }

    #[test]
    fn unknown_context_names_the_available_ones() {
        let err = load_config(Some(KUBECONFIG), Some("nope")).expect_err("must fail");
        let message = err.to_string();
        assert!(message.contains("\"nope\""), "{message}");
        assert!(
            message.contains("available contexts: admin, other"),
            "{message}"
        );
    }

    #[test]
    fn malformed_and_empty_text_are_rejected_with_advice() {
        let err = load_config(Some("clusters: [ {"), None).expect_err("must fail");
        assert!(
            err.to_string()
                .starts_with("the kubeconfig could not be parsed"),
            "{err}"
        );
        let err = load_config(Some("  \n"), None).expect_err("must fail");
        assert!(err.to_string().contains("the kubeconfig is empty"), "{err}");
    }

    #[test]
    fn json_kubeconfig_is_accepted() {
        let json = r#"{"apiVersion":"v1","kind":"Config","current-context":"c",
            "clusters":[{"name":"k","cluster":{"server":"https://10.0.0.1:443"}}],
            "contexts":[{"name":"c","context":{"cluster":"k","user":"u"}}],
            "users":[{"name":"u","user":{"token":"t"}}]}"#;
        let config = load_config(Some(json), None).expect("config");
        assert_eq!(config.cluster_url.host(), Some("10.0.0.1"));
    }

    #[test]
    fn missing_server_url_is_explained() {
        let text = "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {}\ncontexts:\n- name: c\n  context:\n    cluster: k\n";
        let err = load_config(Some(text), None).expect_err("must fail");
        assert!(err.to_string().contains("has no `server` URL"), "{err}");
    }

    #[test]
    fn go_durations_parse_like_time_parse_duration() {
        assert_eq!(parse_go_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("250ms").unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_go_duration("2us").unwrap(), Duration::from_micros(2));
        for bad in ["", "10", "1x", "-1s", "s", "1..2s"] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
