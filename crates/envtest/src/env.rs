//! A snapshot of the environment variables EnvTest reads, so that configuration is
//! resolved once, explicitly, and tests can supply their own.

use std::collections::BTreeMap;

/// Environment variables, captured once.
#[derive(Clone, Debug, Default)]
pub struct EnvVars {
    vars: BTreeMap<String, String>,
}

impl EnvVars {
    /// Captures the current process environment (non-UTF-8 entries are skipped).
    pub fn from_process() -> Self {
        EnvVars {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment made of the given pairs only.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        EnvVars {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets (or replaces) one variable.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// Removes one variable.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.vars.remove(key);
        self
    }

    /// The value if the variable is set (possibly empty).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// The value if the variable is set and not empty. klite treats an empty variable
    /// as unset (a deliberate deviation from upstream, where `KUBEBUILDER_ASSETS=""`
    /// silently turns into a `$PATH` lookup; controller-runtime#1657).
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// A lookup function over this snapshot, as klite-setup-envtest takes it.
    pub fn lookup(&self) -> klite_setup_envtest::EnvLookup {
        klite_setup_envtest::env_from_pairs(self.vars.clone())
    }

    /// All variables, for handing to child processes.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}
