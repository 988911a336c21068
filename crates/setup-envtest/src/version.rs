//! Kubernetes versions and setup-envtest's version selector grammar.
//!
//! Grammar (anchored): `(<|~|<=)? MAJOR.MINOR(.PATCH|.x|.*)? !?`, plus the words
//! `latest` (any version, check the index) and `latest-on-disk` (any installed version).
//! Numbers have no leading zeros; there is no `v` prefix and no pre-release part.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::Error;

/// A concrete `MAJOR.MINOR.PATCH` Kubernetes version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Concrete {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
}

impl Concrete {
    /// A version from its three numbers.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Concrete {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Concrete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A patch number or the wildcard (`x`/`*`, or left off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Patch {
    /// Any patch release.
    Any,
    /// Exactly this patch release.
    Exactly(u64),
}

impl fmt::Display for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Patch::Any => f.write_str("*"),
            Patch::Exactly(p) => write!(f, "{p}"),
        }
    }
}

/// Which versions a selector admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Exactly one version (`1.30.2`).
    Concrete(Concrete),
    /// `X.Y`, `X.Y.x`, `X.Y.*`: any patch of one minor release.
    Patch {
        /// Major version.
        major: u64,
        /// Minor version.
        minor: u64,
    },
    /// `~X.Y.Z`: `X.Y.Z` or a newer patch of `X.Y` (`~X.Y` means `~X.Y.0`).
    Tilde(Concrete),
    /// `<X.Y.Z`, `<=X.Y.Z`, `<X.Y`, `<=X.Y`: strictly older (or equal) versions; with a
    /// wildcard patch `<X.Y` excludes all of `X.Y.*` and `<=X.Y` includes them.
    LessThan {
        /// Major version.
        major: u64,
        /// Minor version.
        minor: u64,
        /// Patch version or wildcard.
        patch: Patch,
        /// `<=` rather than `<`.
        or_equals: bool,
    },
    /// Any version (`latest`, `latest-on-disk`, no selector).
    Any,
}

impl Selector {
    /// Whether `version` is admitted.
    pub fn matches(&self, version: Concrete) -> bool {
        match *self {
            Selector::Concrete(c) => c == version,
            Selector::Patch { major, minor } => version.major == major && version.minor == minor,
            Selector::Tilde(base) => {
                version.major == base.major
                    && version.minor == base.minor
                    && version.patch >= base.patch
            }
            Selector::LessThan {
                major,
                minor,
                patch,
                or_equals,
            } => {
                if major != version.major {
                    return major > version.major;
                }
                if minor != version.minor {
                    return minor > version.minor;
                }
                match patch {
                    Patch::Exactly(p) if p != version.patch => p > version.patch,
                    _ => or_equals,
                }
            }
            Selector::Any => true,
        }
    }

    /// The single version this selector admits, if it admits exactly one.
    pub fn as_concrete(&self) -> Option<Concrete> {
        match *self {
            Selector::Concrete(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Concrete(c) => write!(f, "{c}"),
            Selector::Patch { major, minor } => write!(f, "{major}.{minor}.*"),
            Selector::Tilde(c) => write!(f, "~{c}"),
            Selector::LessThan {
                major,
                minor,
                patch,
                or_equals,
            } => {
                let op = if *or_equals { "<=" } else { "<" };
                write!(f, "{op}{major}.{minor}.{patch}")
            }
            Selector::Any => f.write_str("*"),
        }
    }
}

/// A parsed version argument: a selector plus how to treat local and remote versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Which versions are acceptable.
    pub selector: Selector,
    /// `!` (or `latest`): consult the index for the newest match even when one is installed.
    pub check_latest: bool,
    /// `latest-on-disk`: never contact the index.
    pub installed_only: bool,
}

impl Spec {
    /// Any version, checking the index for the newest (`latest`, or no selector).
    pub const LATEST: Spec = Spec {
        selector: Selector::Any,
        check_latest: true,
        installed_only: false,
    };

    /// Parses a version argument as upstream setup-envtest does.
    ///
    /// ```
    /// use klite_setup_envtest::{Concrete, Spec};
    /// let spec = Spec::parse("1.30.x!").unwrap();
    /// assert!(spec.check_latest);
    /// assert!(spec.matches(Concrete::new(1, 30, 4)));
    /// assert_eq!(spec.to_string(), "1.30.*!");
    /// assert!(Spec::parse("v1.30").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Spec, Error> {
        match input {
            "" | "latest" => return Ok(Spec::LATEST),
            "latest-on-disk" => {
                return Ok(Spec {
                    selector: Selector::Any,
                    check_latest: false,
                    installed_only: true,
                })
            }
            _ => {}
        }
        static EXPR: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"^(?P<sel><|~|<=)?(?P<major>0|[1-9][0-9]*)\.(?P<minor>0|[1-9][0-9]*)(?:\.(?P<patch>0|[1-9][0-9]*|x|\*))?(?P<latest>!)?$",
            )
            .expect("static regex")
        });
        let invalid = || Error::InvalidSelector {
            input: input.to_string(),
        };
        let caps = EXPR.captures(input).ok_or_else(invalid)?;
        let number = |name: &str| caps[name].parse::<u64>().map_err(|_| invalid());
        let major = number("major")?;
        let minor = number("minor")?;
        let patch = match caps.name("patch").map(|m| m.as_str()) {
            None | Some("x") | Some("*") => Patch::Any,
            Some(p) => Patch::Exactly(p.parse().map_err(|_| invalid())?),
        };
        let selector = match caps.name("sel").map(|m| m.as_str()) {
            None => match patch {
                Patch::Exactly(p) => Selector::Concrete(Concrete::new(major, minor, p)),
                Patch::Any => Selector::Patch { major, minor },
            },
            Some("~") => {
                let p = match patch {
                    Patch::Exactly(p) => p,
                    Patch::Any => 0,
                };
                Selector::Tilde(Concrete::new(major, minor, p))
            }
            Some(op) => Selector::LessThan {
                major,
                minor,
                patch,
                or_equals: op == "<=",
            },
        };
        Ok(Spec {
            selector,
            check_latest: caps.name("latest").is_some(),
            installed_only: false,
        })
    }

    /// Whether `version` is admitted.
    pub fn matches(&self, version: Concrete) -> bool {
        self.selector.matches(version)
    }

    /// The single version this spec admits, if any.
    pub fn as_concrete(&self) -> Option<Concrete> {
        self.selector.as_concrete()
    }

    /// Replaces the spec by exactly `version` (no index check).
    pub(crate) fn make_concrete(&mut self, version: Concrete) {
        self.selector = Selector::Concrete(version);
        self.check_latest = false;
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.selector)?;
        if self.check_latest {
            f.write_str("!")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Concrete {
        let mut it = s.split('.').map(|n| n.parse::<u64>().unwrap());
        Concrete::new(it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    }

    fn admitted(expr: &str, candidates: &[&str]) -> Vec<String> {
        let spec = Spec::parse(expr).unwrap();
        candidates
            .iter()
            .filter(|c| spec.matches(v(c)))
            .map(|c| c.to_string())
            .collect()
    }

    const ALL: &[&str] = &[
        "1.16.0", "1.16.3", "1.16.9", "1.17.0", "1.17.2", "1.18.1", "2.0.0",
    ];

    #[test]
    fn selectors_admit_the_documented_versions() {
        assert_eq!(admitted("1.16.3", ALL), ["1.16.3"]);
        for wildcard in ["1.16", "1.16.x", "1.16.*"] {
            assert_eq!(admitted(wildcard, ALL), ["1.16.0", "1.16.3", "1.16.9"]);
        }
        assert_eq!(admitted("~1.16.3", ALL), ["1.16.3", "1.16.9"]);
        assert_eq!(admitted("~1.16", ALL), ["1.16.0", "1.16.3", "1.16.9"]);
        assert_eq!(
            admitted("<1.17.2", ALL),
            ["1.16.0", "1.16.3", "1.16.9", "1.17.0"]
        );
        assert_eq!(
            admitted("<=1.17.2", ALL),
            ["1.16.0", "1.16.3", "1.16.9", "1.17.0", "1.17.2"]
        );
        assert_eq!(admitted("<1.17", ALL), ["1.16.0", "1.16.3", "1.16.9"]);
        assert_eq!(
            admitted("<=1.17", ALL),
            ["1.16.0", "1.16.3", "1.16.9", "1.17.0", "1.17.2"]
        );
        assert_eq!(admitted("<2.0.0", ALL).len(), 6);
        assert_eq!(admitted("latest", ALL).len(), ALL.len());
        assert_eq!(admitted("latest-on-disk", ALL).len(), ALL.len());
    }

    #[test]
    fn specs_render_like_upstream() {
        let cases = [
            ("1.16.3", "1.16.3"),
            ("1.16", "1.16.*"),
            ("1.16.x!", "1.16.*!"),
            ("~1.16", "~1.16.0"),
            ("~1.16.3!", "~1.16.3!"),
            ("<1.16", "<1.16.*"),
            ("<=1.16.3", "<=1.16.3"),
            ("latest", "*!"),
            ("", "*!"),
            ("latest-on-disk", "*"),
            ("0.0.0", "0.0.0"),
        ];
        for (input, rendered) in cases {
            assert_eq!(Spec::parse(input).unwrap().to_string(), rendered, "{input}");
        }
        assert!(Spec::parse("latest-on-disk").unwrap().installed_only);
        assert_eq!(
            Spec::parse("1.2.3").unwrap().as_concrete(),
            Some(v("1.2.3"))
        );
        assert_eq!(
            Spec::parse("1.2.3!").unwrap().as_concrete(),
            Some(v("1.2.3"))
        );
        assert_eq!(Spec::parse("~1.2.3").unwrap().as_concrete(), None);
    }

    #[test]
    fn malformed_selectors_are_rejected_with_upstreams_message() {
        for bad in [
            "v1.30.0",
            "1",
            "1.",
            "01.2",
            "1.02",
            "1.2.03",
            "1.2.3.4",
            ">1.2",
            ">=1.2",
            "^1.2",
            "1.2.3-beta.0",
            "~<1.2",
            "1.2!!",
            " 1.2",
            "1.2.y",
            "latest!",
            "١.٢",
            "99999999999999999999.1",
        ] {
            let err = Spec::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidSelector { .. }), "{bad}");
        }
        assert_eq!(
            Spec::parse("1.2.3.4").unwrap_err().to_string(),
            "unable to parse \"1.2.3.4\" as a version stringshould be X.Y.Z, where Z may be \
             '*','x', or left off entirely to denote a wildcard, optionally prefixed by ~|<|<=, \
             and optionallyfollowed by ! (latest remote version)"
        );
    }
}
