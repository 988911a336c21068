//! Where the etcd and kube-apiserver binaries come from (upstream
//! `process/bin_path_finder.go` + `envtest/server.go configureBinaryPaths`), checked up
//! front so that a wrong path is one clear message instead of five `fork/exec` failures.
//!
//! Order, per binary: `TEST_ASSET_<NAME>`, `KUBEBUILDER_ASSETS/<name>`,
//! `binaryAssetsDirectory/<name>`, `/usr/local/kubebuilder/bin/<name>`, then the
//! setup-envtest store (newest installed version matching the selector). An *empty*
//! variable counts as unset (deliberate deviation: upstream turns `KUBEBUILDER_ASSETS=""`
//! into a `$PATH` lookup). A variable or option that names a missing file is an error.

use std::path::{Path, PathBuf};

use klite_setup_envtest::EnsureOptions;

use crate::env::EnvVars;
use crate::error::{Error, Result};

/// The two binaries a control plane runs.
pub const REQUIRED: [&str; 2] = ["etcd", "kube-apiserver"];

/// Where upstream looks when nothing is configured.
pub const UPSTREAM_DEFAULT_DIR: &str = "/usr/local/kubebuilder/bin";

/// One resolved binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedBinary {
    /// Absolute or as-given path.
    pub path: PathBuf,
    /// Where it came from (`TEST_ASSET_ETCD`, `KUBEBUILDER_ASSETS`, `store 1.31.0-linux-amd64`…).
    pub origin: String,
}

/// Resolved paths of the control-plane binaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binaries {
    /// etcd.
    pub etcd: ResolvedBinary,
    /// kube-apiserver.
    pub kube_apiserver: ResolvedBinary,
}

/// Inputs of the resolution.
#[derive(Clone, Debug, Default)]
pub struct BinarySearch<'a> {
    /// `binaryAssetsDirectory` option.
    pub binary_assets_directory: Option<&'a Path>,
    /// setup-envtest selector for the store lookup (`1.31.x`, `1.31.0`, `latest`…).
    pub version: Option<&'a str>,
    /// setup-envtest store root (`…/kubebuilder-envtest`); `None` → the default.
    pub store_root: Option<&'a Path>,
}

impl BinarySearch<'_> {
    /// setup-envtest options for this search (store root, environment).
    pub fn ensure_options(&self, env: &EnvVars) -> EnsureOptions {
        EnsureOptions {
            store_dir: self.store_root.map(|p| p.display().to_string()),
            env: env.lookup(),
            ..EnsureOptions::default()
        }
    }
}

/// Upstream's `TEST_ASSET_*` variable name for a binary: upper-case, runs of
/// non-alphanumerics → `_`, leading digits stripped.
pub fn test_asset_variable(binary: &str) -> String {
    let mut name = String::new();
    let mut last_underscore = false;
    for c in binary.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
            last_underscore = false;
        } else if !last_underscore {
            name.push('_');
            last_underscore = true;
        }
    }
    let trimmed = name.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("TEST_ASSET_{trimmed}")
}

/// File name of a binary on this OS (`etcd.exe` on Windows).
pub fn executable_name(binary: &str) -> String {
    if cfg!(windows) {
        format!("{binary}.exe")
    } else {
        binary.to_string()
    }
}

/// Resolves etcd and kube-apiserver from the local machine only (no download).
///
/// Returns `Ok(None)` when nothing is configured and nothing is installed (the caller
/// may then run setup-envtest or fall back to the embedded server), and an error when a
/// configured location does not hold the binary.
pub async fn resolve_local(env: &EnvVars, search: &BinarySearch<'_>) -> Result<Option<Binaries>> {
    let mut found = Vec::new();
    let mut store_entry: Option<Option<PathBuf>> = None;
    for name in REQUIRED {
        let file = executable_name(name);
        let explicit = explicit_location(env, search, name, &file);
        let resolved = match explicit {
            Some(candidate) => {
                if !is_file(&candidate.path) {
                    return Err(Error::BinaryNotFound {
                        name: name.to_string(),
                        path: candidate.path,
                        origin: candidate.origin,
                        hint: "point it at a directory/file that exists, or unset it to use the setup-envtest store (`npx klite-setup-envtest use`)".into(),
                    });
                }
                candidate
            }
            None => {
                let default = Path::new(UPSTREAM_DEFAULT_DIR).join(&file);
                if is_file(&default) {
                    ResolvedBinary {
                        path: default,
                        origin: UPSTREAM_DEFAULT_DIR.to_string(),
                    }
                } else {
                    if store_entry.is_none() {
                        store_entry = Some(installed_store_entry(env, search).await);
                    }
                    match store_entry.as_ref().and_then(Option::as_ref) {
                        Some(dir) if is_file(&dir.join(&file)) => ResolvedBinary {
                            path: dir.join(&file),
                            origin: format!("setup-envtest store {}", dir.display()),
                        },
                        _ => return Ok(None),
                    }
                }
            }
        };
        found.push(resolved);
    }
    let kube_apiserver = found.pop();
    let etcd = found.pop();
    Ok(etcd
        .zip(kube_apiserver)
        .map(|(etcd, kube_apiserver)| Binaries {
            etcd,
            kube_apiserver,
        }))
}

/// The newest installed store entry matching the selector (`setup-envtest use -i`).
async fn installed_store_entry(env: &EnvVars, search: &BinarySearch<'_>) -> Option<PathBuf> {
    let options = EnsureOptions {
        installed_only: true,
        ..search.ensure_options(env)
    };
    klite_setup_envtest::ensure(search.version.unwrap_or(""), &options)
        .await
        .ok()
}

/// Resolves both binaries inside one asset directory (the result of setup-envtest).
pub fn in_directory(dir: &Path, origin: &str) -> Result<Binaries> {
    let one = |name: &str| {
        let path = dir.join(executable_name(name));
        if is_file(&path) {
            Ok(ResolvedBinary {
                path,
                origin: origin.to_string(),
            })
        } else {
            Err(Error::BinaryNotFound {
                name: name.to_string(),
                path,
                origin: origin.to_string(),
                hint:
                    "the asset directory is incomplete; run `npx klite-setup-envtest use --force`"
                        .into(),
            })
        }
    };
    Ok(Binaries {
        etcd: one("etcd")?,
        kube_apiserver: one("kube-apiserver")?,
    })
}

fn explicit_location(
    env: &EnvVars,
    search: &BinarySearch<'_>,
    name: &str,
    file: &str,
) -> Option<ResolvedBinary> {
    let variable = test_asset_variable(name);
    if let Some(path) = env.non_empty(&variable) {
        return Some(ResolvedBinary {
            path: PathBuf::from(path),
            origin: variable,
        });
    }
    if let Some(dir) = env.non_empty("KUBEBUILDER_ASSETS") {
        return Some(ResolvedBinary {
            path: Path::new(dir).join(file),
            origin: format!("KUBEBUILDER_ASSETS={dir}"),
        });
    }
    search
        .binary_assets_directory
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| ResolvedBinary {
            path: dir.join(file),
            origin: format!("binaryAssetsDirectory={}", dir.display()),
        })
}

fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"#!/bin/sh\n").unwrap();
    }

    #[test]
    fn test_asset_variable_names_follow_upstream() {
        assert_eq!(
            test_asset_variable("kube-apiserver"),
            "TEST_ASSET_KUBE_APISERVER"
        );
        assert_eq!(test_asset_variable("etcd"), "TEST_ASSET_ETCD");
        assert_eq!(test_asset_variable("9kube--ctl"), "TEST_ASSET_KUBE_CTL");
    }

    #[tokio::test]
    async fn precedence_is_test_asset_then_kubebuilder_assets_then_option() {
        let tmp = tempfile::tempdir().unwrap();
        let assets = tmp.path().join("assets");
        let option_dir = tmp.path().join("option");
        let single = tmp.path().join("single/etcd-custom");
        for p in [
            assets.join("etcd"),
            assets.join("kube-apiserver"),
            option_dir.join("etcd"),
            option_dir.join("kube-apiserver"),
            single.clone(),
        ] {
            touch(&p);
        }
        let empty_store = tmp.path().join("store");
        let search = BinarySearch {
            binary_assets_directory: Some(&option_dir),
            version: None,
            store_root: Some(&empty_store),
        };
        let env = EnvVars::from_pairs([
            ("TEST_ASSET_ETCD", single.to_str().unwrap()),
            ("KUBEBUILDER_ASSETS", assets.to_str().unwrap()),
        ]);
        let found = resolve_local(&env, &search).await.unwrap().unwrap();
        assert_eq!(found.etcd.path, single);
        assert_eq!(found.etcd.origin, "TEST_ASSET_ETCD");
        assert_eq!(found.kube_apiserver.path, assets.join("kube-apiserver"));

        // Empty variables count as unset: the option directory is used.
        let env = EnvVars::from_pairs([("TEST_ASSET_ETCD", ""), ("KUBEBUILDER_ASSETS", "")]);
        let found = resolve_local(&env, &search).await.unwrap().unwrap();
        assert_eq!(found.etcd.path, option_dir.join("etcd"));
        assert_eq!(found.kube_apiserver.path, option_dir.join("kube-apiserver"));
    }

    #[tokio::test]
    async fn a_configured_location_without_the_binary_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let env = EnvVars::from_pairs([("KUBEBUILDER_ASSETS", tmp.path().to_str().unwrap())]);
        let err = resolve_local(&env, &BinarySearch::default())
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("etcd binary not found at "),
            "{message}"
        );
        assert!(message.contains("(from KUBEBUILDER_ASSETS="), "{message}");
    }

    #[tokio::test]
    async fn falls_back_to_the_newest_matching_store_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let host = klite_setup_envtest::Platform::host();
        let platform = format!("{}-{}", host.os, host.arch);
        for version in ["1.30.2", "1.31.0", "1.31.4", "1.32.0"] {
            let dir = root.join("k8s").join(format!("{version}-{platform}"));
            touch(&dir.join(executable_name("etcd")));
            touch(&dir.join(executable_name("kube-apiserver")));
        }
        let search = |version| BinarySearch {
            binary_assets_directory: None,
            version,
            store_root: Some(root),
        };
        let env = EnvVars::default();
        let newest = resolve_local(&env, &search(None)).await.unwrap().unwrap();
        assert!(newest
            .etcd
            .path
            .starts_with(root.join(format!("k8s/1.32.0-{platform}"))));
        let series = resolve_local(&env, &search(Some("1.31.x")))
            .await
            .unwrap()
            .unwrap();
        assert!(series
            .kube_apiserver
            .path
            .starts_with(root.join(format!("k8s/1.31.4-{platform}"))));
        assert!(resolve_local(&env, &search(Some("1.29.x")))
            .await
            .unwrap()
            .is_none());
    }
}
