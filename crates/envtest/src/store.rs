//! Read-only view of the setup-envtest store (`<root>/k8s/<X.Y.Z>-<os>-<arch>/`), used to
//! find installed binaries without running setup-envtest.

use std::path::{Path, PathBuf};

use crate::env::EnvVars;

/// An installed store entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreEntry {
    /// `(major, minor, patch)`.
    pub version: (u64, u64, u64),
    /// The entry directory.
    pub dir: PathBuf,
}

/// The host platform as setup-envtest names it (`linux-amd64`, `darwin-arm64`…).
pub fn host_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    };
    format!("{os}-{arch}")
}

/// setup-envtest's default store root (`store.DefaultStoreDir`), without the `k8s` suffix.
pub fn default_store_root(env: &EnvVars) -> Option<PathBuf> {
    if cfg!(windows) {
        return env
            .non_empty("LocalAppData")
            .map(|d| Path::new(d).join("kubebuilder-envtest"));
    }
    if cfg!(target_os = "macos") {
        return env.non_empty("HOME").map(|home| {
            Path::new(home)
                .join("Library/Application Support")
                .join("io.kubebuilder.envtest")
        });
    }
    let data = env
        .non_empty("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| env.non_empty("HOME").map(|h| Path::new(h).join(".local/share")))?;
    Some(data.join("kubebuilder-envtest"))
}

/// The newest installed entry for the host platform matching a setup-envtest selector
/// (`""`/`latest`/`latest-on-disk`, `X.Y.Z`, `X.Y`, `X.Y.x`, `~X.Y[.Z]`, `<X.Y[.Z]`,
/// `<=X.Y[.Z]`, optional `!`). An unparsable selector matches nothing.
pub fn newest_installed(root: &Path, selector: &str) -> Option<StoreEntry> {
    let selector = Selector::parse(selector)?;
    let suffix = format!("-{}", host_platform());
    let entries = std::fs::read_dir(root.join("k8s")).ok()?;
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let version = parse_version(name.strip_suffix(&suffix)?)?;
            selector.matches(version).then(|| StoreEntry {
                version,
                dir: e.path(),
            })
        })
        .max_by_key(|entry| entry.version)
}

type Version = (u64, u64, u64);

enum Selector {
    Any,
    Exact(Version),
    Series(u64, u64),
    Tilde(Version),
    LessThan { bound: (u64, u64, Option<u64>), or_equal: bool },
}

impl Selector {
    fn parse(text: &str) -> Option<Selector> {
        let text = text.strip_suffix('!').unwrap_or(text);
        if matches!(text, "" | "latest" | "latest-on-disk") {
            return Some(Selector::Any);
        }
        let (prefix, rest) = ["<=", "<", "~"]
            .iter()
            .find_map(|p| text.strip_prefix(p).map(|rest| (*p, rest)))
            .unwrap_or(("", text));
        let parts: Vec<&str> = rest.split('.').collect();
        let number = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0')))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let (major, minor) = (number(parts.first()?)?, number(parts.get(1)?)?);
        let patch = match parts.get(2) {
            None | Some(&"x") | Some(&"*") => None,
            Some(p) => Some(number(p)?),
        };
        if parts.len() > 3 {
            return None;
        }
        Some(match (prefix, patch) {
            ("", Some(p)) => Selector::Exact((major, minor, p)),
            ("", None) => Selector::Series(major, minor),
            ("~", p) => Selector::Tilde((major, minor, p.unwrap_or(0))),
            (op, p) => Selector::LessThan {
                bound: (major, minor, p),
                or_equal: op == "<=",
            },
        })
    }

    fn matches(&self, v: Version) -> bool {
        match *self {
            Selector::Any => true,
            Selector::Exact(want) => v == want,
            Selector::Series(major, minor) => (v.0, v.1) == (major, minor),
            Selector::Tilde((major, minor, patch)) => {
                (v.0, v.1) == (major, minor) && v.2 >= patch
            }
            Selector::LessThan { bound: (major, minor, Some(patch)), or_equal } => {
                if or_equal { v <= (major, minor, patch) } else { v < (major, minor, patch) }
            }
            Selector::LessThan { bound: (major, minor, None), or_equal } => {
                if or_equal { (v.0, v.1) <= (major, minor) } else { (v.0, v.1) < (major, minor) }
            }
        }
    }
}

fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.split('.');
    let mut next = || -> Option<u64> {
        let p = parts.next()?;
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0')))
            .then(|| p.parse().ok())
            .flatten()
    };
    let version = (next()?, next()?, next()?);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_as_setup_envtest() {
        let m = |s: &str, v: Version| Selector::parse(s).unwrap().matches(v);
        assert!(m("1.31.x", (1, 31, 9)) && !m("1.31", (1, 32, 0)));
        assert!(m("1.31.2", (1, 31, 2)) && !m("1.31.2", (1, 31, 3)));
        assert!(m("~1.31.2", (1, 31, 5)) && !m("~1.31.2", (1, 31, 1)));
        assert!(m("<1.31", (1, 30, 9)) && !m("<1.31", (1, 31, 0)));
        assert!(m("<=1.31", (1, 31, 9)) && !m("<=1.31", (1, 32, 0)));
        assert!(m("<1.31.2", (1, 31, 1)) && !m("<1.31.2", (1, 31, 2)));
        assert!(m("1.31.x!", (1, 31, 0)) && m("latest-on-disk", (9, 9, 9)));
        assert!(Selector::parse("v1.31").is_none() && Selector::parse("01.2").is_none());
    }

    #[test]
    #[cfg(not(any(windows, target_os = "macos")))]
    fn default_root_follows_xdg_then_home() {
        let env = EnvVars::from_pairs([("HOME", "/home/u"), ("XDG_DATA_HOME", "")]);
        assert_eq!(
            default_store_root(&env).unwrap(),
            Path::new("/home/u/.local/share/kubebuilder-envtest")
        );
        let env = EnvVars::from_pairs([("HOME", "/home/u"), ("XDG_DATA_HOME", "/data")]);
        assert_eq!(default_store_root(&env).unwrap(), Path::new("/data/kubebuilder-envtest"));
    }
}
