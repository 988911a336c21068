//! The envtest binaries index (controller-tools' `envtest-releases.yaml`).
//!
//! ```yaml
//! releases:                       # "v<version>" -> archives (the key is not interpreted)
//!   v1.28.0:
//!     envtest-v1.28.0-darwin-amd64.tar.gz:   # archive name: version + platform
//!       hash: <lowercase hex SHA-512 of the .tar.gz>
//!       selfLink: https://github.com/.../envtest-v1.28.0-darwin-amd64.tar.gz
//! ```
//! Archives are identified by their name only; names that do not match
//! `envtest-vX.Y.Z-<os>-<arch>.tar.gz` (pre-releases, checksums) are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::platform::{order_platforms, parse_archive_name};
use crate::{Concrete, Error, Platform};

/// The default index URL, shared with upstream setup-envtest and envtest.
pub const DEFAULT_INDEX_URL: &str =
    "https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml";

/// The parsed index.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Index {
    /// Release key (`v1.28.0`) → archive name → archive (`null` entries allowed, as in Go).
    #[serde(default, deserialize_with = "null_as_default")]
    pub releases: BTreeMap<String, Option<Release>>,
}

/// One release: archive name → archive.
pub type Release = BTreeMap<String, Option<Archive>>;

/// One downloadable archive.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Archive {
    /// Lowercase hex SHA-512 of the archive.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hash: String,
    /// Where to download it.
    #[serde(default, rename = "selfLink", deserialize_with = "null_as_default")]
    pub self_link: String,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A platform a version is published for, with its archive's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformArchive {
    /// The platform.
    pub platform: Platform,
    /// Archive name (`envtest-v1.30.0-linux-amd64.tar.gz`).
    pub name: String,
    /// Lowercase hex SHA-512 from the index.
    pub sha512: String,
    /// Download link from the index.
    pub self_link: String,
}

/// A version and every platform it is published for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSet {
    /// The version.
    pub version: Concrete,
    /// Its platforms, sorted by OS then arch.
    pub platforms: Vec<PlatformArchive>,
}

impl Index {
    /// Parses the index document (YAML or JSON).
    pub fn parse(body: &[u8]) -> Result<Index, Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Index::default());
        }
        let index: Option<Index> =
            serde_yaml_ng::from_slice(body).map_err(|source| Error::IndexParse { source })?;
        Ok(index.unwrap_or_default())
    }

    /// Every published version, newest first, each with its platforms sorted.
    pub fn versions(&self) -> Vec<VersionSet> {
        let mut by_version: BTreeMap<Concrete, Vec<PlatformArchive>> = BTreeMap::new();
        for archives in self.releases.values().flatten() {
            for (name, archive) in archives {
                let archive = archive.clone().unwrap_or_default();
                let Some((version, platform)) = parse_archive_name(name) else {
                    continue;
                };
                by_version
                    .entry(version)
                    .or_default()
                    .push(PlatformArchive {
                        platform,
                        name: name.clone(),
                        sha512: archive.hash,
                        self_link: archive.self_link,
                    });
            }
        }
        by_version
            .into_iter()
            .rev()
            .map(|(version, mut platforms)| {
                platforms.sort_by(|a, b| order_platforms(&a.platform, &b.platform));
                VersionSet { version, platforms }
            })
            .collect()
    }

    /// The archive for exactly this version and (concrete) platform.
    pub fn find(&self, version: Concrete, platform: &Platform) -> Option<PlatformArchive> {
        self.versions()
            .into_iter()
            .find(|set| set.version == version)?
            .platforms
            .into_iter()
            .find(|p| p.platform.os == platform.os && p.platform.arch == platform.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
releases:
  v1.28.0:
    envtest-v1.28.0-linux-amd64.tar.gz:
      hash: aaa
      selfLink: https://example.invalid/envtest-v1.28.0-linux-amd64.tar.gz
    envtest-v1.28.0-darwin-arm64.tar.gz:
      hash: bbb
      selfLink: https://example.invalid/envtest-v1.28.0-darwin-arm64.tar.gz
      extra: ignored
  v1.31.0-beta.0:
    envtest-v1.31.0-beta.0-linux-amd64.tar.gz:
      hash: ccc
      selfLink: https://example.invalid/beta.tar.gz
  whatever-key:
    envtest-v1.9.10-linux-amd64.tar.gz:
      hash: ddd
      selfLink: https://example.invalid/envtest-v1.9.10-linux-amd64.tar.gz
  v1.30.1:
    envtest-v1.30.1-linux-amd64.tar.gz:
      hash: eee
      selfLink: https://example.invalid/envtest-v1.30.1-linux-amd64.tar.gz
    envtest-v1.30.1-linux-amd64.tar.gz.sha512:
      hash: fff
    notes: null
  v1.29.0: null
"#;

    #[test]
    fn versions_are_newest_first_by_archive_name_only() {
        let index = Index::parse(SAMPLE.as_bytes()).unwrap();
        let sets = index.versions();
        let versions: Vec<String> = sets.iter().map(|s| s.version.to_string()).collect();
        assert_eq!(versions, ["1.30.1", "1.28.0", "1.9.10"]);
        let platforms: Vec<String> = sets[1]
            .platforms
            .iter()
            .map(|p| p.platform.to_string())
            .collect();
        assert_eq!(platforms, ["darwin/arm64", "linux/amd64"]);
        let found = index
            .find(Concrete::new(1, 28, 0), &Platform::new("linux", "amd64"))
            .unwrap();
        assert_eq!(found.sha512, "aaa");
        assert!(index
            .find(Concrete::new(1, 28, 0), &Platform::new("linux", "s390x"))
            .is_none());
    }

    #[test]
    fn empty_and_null_documents_have_no_versions() {
        for doc in ["", "\n", "releases:\n", "releases: null\n", "{}"] {
            assert!(
                Index::parse(doc.as_bytes()).unwrap().versions().is_empty(),
                "{doc:?}"
            );
        }
    }

    #[test]
    fn malformed_documents_are_errors() {
        let err = Index::parse(b"releases: [1, 2]").unwrap_err();
        assert!(err.to_string().starts_with("unable to unmarshal index"));
        assert!(Index::parse(b"releases: {v1: {a: {hash: [x]}}}").is_err());
    }
}
