//! Command-line flags as upstream's `process.Arguments`: a map from flag name to values,
//! rendered sorted by name as `--name=value` (repeated for several values).

use std::collections::BTreeMap;

/// Flags of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    values: BTreeMap<String, Vec<String>>,
}

impl Flags {
    /// An empty set of flags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a flag to one value, replacing what was there (upstream `Set`).
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(name.to_string(), vec![value.into()]);
        self
    }

    /// Applies user overrides: each entry replaces the default values of its flag; an
    /// empty list removes the flag altogether (upstream `Disable`). Leading dashes in
    /// names are accepted and ignored (`"--v"` is `"v"`).
    pub fn apply_overrides(&mut self, overrides: &BTreeMap<String, Vec<String>>) {
        for (name, values) in overrides {
            let name = name.trim_start_matches('-').to_string();
            if values.is_empty() {
                self.values.remove(&name);
            } else {
                self.values.insert(name, values.clone());
            }
        }
    }

    /// The values of a flag.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.values.get(name).map(Vec::as_slice)
    }

    /// Renders `--name=value` arguments sorted by flag name.
    pub fn render(&self) -> Vec<String> {
        self.values
            .iter()
            .flat_map(|(name, values)| values.iter().map(move |v| format!("--{name}={v}")))
            .collect()
    }
}

/// Whether a `--help` text documents a flag (`(?m)^\s*--<flag>\b`, upstream's probe).
pub fn help_mentions_flag(help: &str, flag: &str) -> bool {
    let needle = format!("--{flag}");
    help.lines().any(|line| {
        line.trim_start().strip_prefix(&needle).is_some_and(|rest| {
            rest.chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_sorted_and_repeats_multiple_values() {
        let mut flags = Flags::new();
        flags
            .set("secure-port", "6443")
            .set("bind-address", "127.0.0.1");
        let overrides = BTreeMap::from([
            (
                "--feature-gates".to_string(),
                vec!["A=true".into(), "B=false".into()],
            ),
            ("bind-address".to_string(), vec!["127.0.0.2".into()]),
        ]);
        flags.apply_overrides(&overrides);
        assert_eq!(
            flags.render(),
            [
                "--bind-address=127.0.0.2",
                "--feature-gates=A=true",
                "--feature-gates=B=false",
                "--secure-port=6443"
            ]
        );
        flags.apply_overrides(&BTreeMap::from([("secure-port".to_string(), vec![])]));
        assert_eq!(flags.get("secure-port"), None);
    }

    #[test]
    fn help_probe_matches_whole_flag_at_line_start_only() {
        let help = "Usage:\n  --unsafe-no-fsync   Disables fsync\n  --data-dir string\n";
        assert!(help_mentions_flag(help, "unsafe-no-fsync"));
        assert!(help_mentions_flag(help, "data-dir"));
        assert!(!help_mentions_flag(help, "dat"));
        assert!(!help_mentions_flag(
            "see --unsafe-no-fsync below",
            "unsafe-no-fsync"
        ));
        assert!(!help_mentions_flag("  --insecure-portx", "insecure-port"));
        // `\b` in upstream's regex: a dash ends the word.
        assert!(help_mentions_flag("  --insecure-port-x", "insecure-port"));
        assert!(help_mentions_flag(
            "  --insecure-port=8080",
            "insecure-port"
        ));
    }
}
