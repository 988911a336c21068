//! Platforms (`os/arch`, Go's GOOS/GOARCH names) and the names that carry a version and
//! a platform: store directories (`1.30.0-linux-amd64`) and archives
//! (`envtest-v1.30.0-linux-amd64.tar.gz`).

use std::cmp::Ordering;
use std::fmt;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::Concrete;

/// A target platform in Go's names (`linux/amd64`); either part may be `*` (any).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// GOOS: `linux`, `darwin`, `windows`, … or `*`.
    pub os: String,
    /// GOARCH: `amd64`, `arm64`, `ppc64le`, `s390x`, … or `*`.
    pub arch: String,
}

impl Platform {
    /// A platform from its parts.
    pub fn new(os: impl Into<String>, arch: impl Into<String>) -> Self {
        Platform {
            os: os.into(),
            arch: arch.into(),
        }
    }

    /// The platform this program runs on, in Go's names (`macos` → `darwin`,
    /// `x86_64` → `amd64`, `aarch64` → `arm64`, `powerpc64` little-endian → `ppc64le`).
    pub fn host() -> Self {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "x86" => "386",
            "aarch64" => "arm64",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            "powerpc64" => "ppc64",
            "loongarch64" => "loong64",
            "mips64" if cfg!(target_endian = "little") => "mips64le",
            "mips" if cfg!(target_endian = "little") => "mipsle",
            other => other,
        };
        Platform::new(os, arch)
    }

    /// The wildcard platform `*/*`.
    pub fn any() -> Self {
        Platform::new("*", "*")
    }

    /// Equal per component, `*` on either side matching anything.
    pub fn matches(&self, other: &Platform) -> bool {
        fn part(a: &str, b: &str) -> bool {
            a == b || a == "*" || b == "*"
        }
        part(&self.os, &other.os) && part(&self.arch, &other.arch)
    }

    /// Whether either part is `*`.
    pub fn is_wildcard(&self) -> bool {
        self.os == "*" || self.arch == "*"
    }

    /// Store directory name: `1.30.0-linux-amd64`.
    pub fn base_name(&self, version: Concrete) -> String {
        format!("{version}-{}-{}", self.os, self.arch)
    }

    /// Archive name: `envtest-v1.30.0-linux-amd64.tar.gz`.
    pub fn archive_name(&self, version: Concrete) -> String {
        format!("envtest-v{}.tar.gz", self.base_name(version))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

/// Orders by OS, then arch (upstream's `orderPlatforms`).
pub(crate) fn order_platforms(a: &Platform, b: &Platform) -> Ordering {
    a.os.cmp(&b.os).then_with(|| a.arch.cmp(&b.arch))
}

const VERSION_PLATFORM: &str = r"(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)\.(?P<patch>0|[1-9][0-9]*)-(?P<os>[0-9A-Za-z_]+)-(?P<arch>[0-9A-Za-z_]+)";

fn extract(re: &Regex, name: &str) -> Option<(Concrete, Platform)> {
    let caps: Captures<'_> = re.captures(name)?;
    let number = |group: &str| caps[group].parse::<u64>().ok();
    let version = Concrete::new(number("major")?, number("minor")?, number("patch")?);
    Some((version, Platform::new(&caps["os"], &caps["arch"])))
}

/// Parses a store directory name (`1.30.0-linux-amd64`).
pub fn parse_store_dir_name(name: &str) -> Option<(Concrete, Platform)> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("^{VERSION_PLATFORM}$")).expect("static regex"));
    extract(&RE, name)
}

/// Parses an archive name (`envtest-v1.30.0-linux-amd64.tar.gz`); pre-release archives
/// (`envtest-v1.31.0-beta.0-linux-amd64.tar.gz`) do not parse, as upstream.
pub fn parse_archive_name(name: &str) -> Option<(Concrete, Platform)> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"^envtest-v{VERSION_PLATFORM}\.tar\.gz$")).expect("static regex")
    });
    extract(&RE, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let linux = Platform::new("linux", "amd64");
        let v = Concrete::new(1, 30, 0);
        assert_eq!(linux.base_name(v), "1.30.0-linux-amd64");
        assert_eq!(linux.archive_name(v), "envtest-v1.30.0-linux-amd64.tar.gz");
        assert_eq!(
            parse_store_dir_name("1.30.0-linux-amd64"),
            Some((v, linux.clone()))
        );
        assert_eq!(
            parse_archive_name("envtest-v1.30.0-linux-amd64.tar.gz"),
            Some((v, linux))
        );
        for bad in [
            "1.30-linux-amd64",
            "01.30.0-linux-amd64",
            "1.30.0-linux-amd64-x",
            "1.30.0-linux",
            ".lock",
            "1.30.0-lin ux-amd64",
            "1.30.0-linüx-amd64",
        ] {
            assert_eq!(parse_store_dir_name(bad), None, "{bad}");
        }
        assert_eq!(
            parse_archive_name("envtest-v1.31.0-beta.0-linux-amd64.tar.gz"),
            None
        );
        assert_eq!(
            parse_archive_name("envtest-v1.31.0-linux-amd64.tar.gz.sha512"),
            None
        );
    }

    #[test]
    fn wildcards_match_either_side() {
        let linux = Platform::new("linux", "amd64");
        assert!(Platform::any().matches(&linux));
        assert!(linux.matches(&Platform::new("*", "amd64")));
        assert!(!linux.matches(&Platform::new("darwin", "*")));
        assert!(Platform::new("linux", "*").is_wildcard());
        assert!(!linux.is_wildcard());
    }

    #[test]
    fn host_uses_go_names() {
        let host = Platform::host();
        assert!(!host.os.is_empty() && !host.arch.is_empty());
        assert_ne!(host.os, "macos");
        assert_ne!(host.arch, "x86_64");
        assert_ne!(host.arch, "aarch64");
    }
}
