//! CustomResourceDefinitions: reading them from files and objects (upstream
//! `envtest/crd.go`) and installing them, waiting until discovery serves each version.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::ApiClient;
use crate::error::{Error, Result};

/// File extensions read from CRD paths.
const CRD_EXTENSIONS: [&str; 3] = ["json", "yaml", "yml"];

/// How CRDs are installed and awaited.
#[derive(Clone, Debug)]
pub struct CrdInstallOptions {
    /// Files or directories (direct entries only) to read.
    pub paths: Vec<PathBuf>,
    /// CRD objects given directly.
    pub crds: Vec<Value>,
    /// Fail when a path does not exist (otherwise it is skipped).
    pub error_if_path_missing: bool,
    /// How long to wait for discovery to serve every CRD (upstream default 10 s).
    pub max_time: Duration,
    /// Discovery poll interval (upstream 100 ms; we poll faster).
    pub poll_interval: Duration,
}

impl Default for CrdInstallOptions {
    fn default() -> Self {
        CrdInstallOptions {
            paths: Vec::new(),
            crds: Vec::new(),
            error_if_path_missing: false,
            max_time: Duration::from_secs(10),
            poll_interval: Duration::from_millis(20),
        }
    }
}

/// Collects the CRDs to install: `crds` first, then every CRD found in `paths`;
/// de-duplicated by apiVersion/kind/name with the last occurrence winning (at the
/// position of the first).
pub fn collect_crds(options: &CrdInstallOptions) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    for crd in &options.crds {
        if !is_crd(crd) {
            return Err(Error::InvalidCrd(format!(
                "expected an apiextensions.k8s.io/v1 CustomResourceDefinition with spec.group and spec.names.kind, got {}",
                summarize(crd)
            )));
        }
        all.push(crd.clone());
    }
    for path in &options.paths {
        all.extend(read_crd_path(path, options.error_if_path_missing)?);
    }
    let mut order: Vec<String> = Vec::new();
    let mut by_key: HashMap<String, Value> = HashMap::new();
    for crd in all {
        let key = format!(
            "{}/{}/{}",
            crd["apiVersion"].as_str().unwrap_or(""),
            crd["kind"].as_str().unwrap_or(""),
            crd["metadata"]["name"].as_str().unwrap_or("")
        );
        if by_key.insert(key.clone(), crd).is_none() {
            order.push(key);
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|key| by_key.remove(&key))
        .collect())
}

/// Reads CRDs from one file or directory.
pub fn read_crd_path(path: &Path, error_if_missing: bool) -> Result<Vec<Value>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if error_if_missing {
                return Err(Error::CrdPathMissing(path.to_path_buf()));
            }
            return Ok(Vec::new());
        }
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut files = Vec::new();
    if meta.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| Error::io(format!("listing {}", path.display()), e))?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push(entry.path());
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut crds = Vec::new();
    for file in files {
        let extension = file
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !CRD_EXTENSIONS.contains(&extension.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        for document in parse_documents(&text, &file)? {
            if is_crd(&document) {
                crds.push(document);
            }
        }
    }
    Ok(crds)
}

/// Splits multi-document YAML (or concatenated JSON) into values; empty documents
/// are skipped.
fn parse_documents(text: &str, file: &Path) -> Result<Vec<Value>> {
    let mut documents = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let value: Value =
            serde::Deserialize::deserialize(document).map_err(|e| Error::CrdRead {
                path: file.to_path_buf(),
                message: e.to_string(),
            })?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

fn is_crd(value: &Value) -> bool {
    let non_empty = |v: &Value| v.as_str().is_some_and(|s| !s.is_empty());
    value["kind"] == "CustomResourceDefinition"
        && non_empty(&value["spec"]["names"]["kind"])
        && non_empty(&value["spec"]["group"])
}

fn summarize(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

/// Prepares a CRD for installation as upstream does without a Go scheme to consult:
/// `spec.conversion` is removed (no type is convertible), except for CRDs with
/// `preserveUnknownFields`.
fn prepare_for_install(mut crd: Value) -> Value {
    let preserve = crd["spec"]["preserveUnknownFields"].as_bool() == Some(true);
    if !preserve {
        if let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("conversion");
        }
    }
    if let Some(metadata) = crd.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
    }
    crd
}

/// Creates or updates every CRD, then waits until discovery serves the plural of each
/// served version. Returns the installed CRDs as the server stored them.
pub async fn install(
    client: &ApiClient,
    crds: Vec<Value>,
    options: &CrdInstallOptions,
) -> Result<Vec<Value>> {
    let mut installed = Vec::new();
    for crd in crds {
        installed.push(
            client
                .create_or_update_crd(prepare_for_install(crd))
                .await?,
        );
    }
    wait_until_served(client, &installed, options).await?;
    Ok(installed)
}

async fn wait_until_served(
    client: &ApiClient,
    crds: &[Value],
    options: &CrdInstallOptions,
) -> Result<()> {
    // (group/version, plural) pairs still missing.
    let mut pending: Vec<(String, String)> = Vec::new();
    for crd in crds {
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap_or_default();
        for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
            if version["served"].as_bool() == Some(true) {
                let name = version["name"].as_str().unwrap_or_default();
                pending.push((format!("{group}/{name}"), plural.to_string()));
            }
        }
    }
    let deadline = Instant::now() + options.max_time;
    loop {
        let mut still = Vec::new();
        for (group_version, plural) in pending {
            let served = client
                .served_resources(&group_version)
                .await
                .is_ok_and(|names| names.iter().any(|n| n == &plural));
            if !served {
                still.push((group_version, plural));
            }
        }
        pending = still;
        if pending.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::CrdWait {
                waited: options.max_time,
                pending: pending
                    .iter()
                    .map(|(gv, plural)| format!("{plural} in {gv}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd_yaml(group: &str, kind: &str) -> String {
        let plural = format!("{}s", kind.to_lowercase());
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  names:\n    kind: {kind}\n    plural: {plural}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
        )
    }

    #[test]
    fn reads_files_and_direct_dir_entries_with_filters_and_dedup() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("crds");
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        // Two documents, one of which is not a CRD, plus an empty document.
        std::fs::write(
            dir.join("a.yaml"),
            format!(
                "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n---\n{}",
                crd_yaml("a.example.com", "Alpha"),
                crd_yaml("b.example.com", "Beta")
            ),
        )
        .unwrap();
        let mut gamma: Value =
            serde_yaml_ng::from_str(&crd_yaml("c.example.com", "Gamma")).unwrap();
        std::fs::write(dir.join("c.json"), serde_json::to_string(&gamma).unwrap()).unwrap();
        std::fs::write(dir.join("ignored.txt"), crd_yaml("t.example.com", "Text")).unwrap();
        std::fs::write(
            dir.join("nested/deep.yml"),
            crd_yaml("d.example.com", "Deep"),
        )
        .unwrap();
        // A CRD without a group is dropped.
        std::fs::write(dir.join("nogroup.yml"), crd_yaml("", "Nogroup")).unwrap();

        // The object form of Gamma comes first; the file's copy (later) wins.
        gamma["metadata"]["labels"] = json!({"from": "object"});
        let options = CrdInstallOptions {
            paths: vec![dir.clone(), tmp.path().join("missing")],
            crds: vec![gamma],
            ..Default::default()
        };
        let crds = collect_crds(&options).unwrap();
        let names: Vec<&str> = crds
            .iter()
            .map(|c| c["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "gammas.c.example.com",
                "alphas.a.example.com",
                "betas.b.example.com"
            ]
        );
        assert!(
            crds[0]["metadata"].get("labels").is_none(),
            "last occurrence wins"
        );

        let strict = CrdInstallOptions {
            paths: vec![tmp.path().join("missing")],
            error_if_path_missing: true,
            ..Default::default()
        };
        assert!(matches!(
            collect_crds(&strict),
            Err(Error::CrdPathMissing(_))
        ));

        // A single file path is read too, with the same extension rule.
        let single = read_crd_path(&dir.join("nested/deep.yml"), true).unwrap();
        assert_eq!(single.len(), 1);
        assert!(read_crd_path(&dir.join("ignored.txt"), true)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_non_crd_object_is_rejected_with_a_message() {
        let options = CrdInstallOptions {
            crds: vec![json!({"kind": "ConfigMap"})],
            ..Default::default()
        };
        let err = collect_crds(&options).unwrap_err().to_string();
        assert!(
            err.contains("expected an apiextensions.k8s.io/v1 CustomResourceDefinition"),
            "{err}"
        );
    }

    #[test]
    fn conversion_is_dropped_unless_preserve_unknown_fields() {
        let crd = json!({"spec": {"conversion": {"strategy": "Webhook"}}, "metadata": {"name": "x", "resourceVersion": "5"}});
        let prepared = prepare_for_install(crd);
        assert!(prepared["spec"].get("conversion").is_none());
        assert!(prepared["metadata"].get("resourceVersion").is_none());
        let keep =
            json!({"spec": {"preserveUnknownFields": true, "conversion": {"strategy": "None"}}});
        assert_eq!(
            prepare_for_install(keep)["spec"]["conversion"]["strategy"],
            "None"
        );
    }
}
