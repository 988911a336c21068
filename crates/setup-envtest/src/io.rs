//! The world a CLI run sees: standard streams, environment variables and whether stderr
//! is a terminal. [`crate::run`] never touches the process's own streams or environment
//! except through an [`Io`], so it can run inside a Node process or a test.

use std::fmt;
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// Looks up an environment variable (`None` = unset).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// An environment lookup backed by the process environment.
pub fn process_env() -> EnvLookup {
    Arc::new(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
}

/// An environment lookup backed by a fixed list of variables (for tests and embedding).
pub fn env_from_pairs<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> EnvLookup {
    let vars: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    Arc::new(move |name| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
}

/// A cloneable, thread-safe writer; all clones write to the same place.
#[derive(Clone)]
pub struct SharedWriter(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedWriter {
    /// Wraps a writer.
    pub fn new(inner: impl Write + Send + 'static) -> Self {
        SharedWriter(Arc::new(Mutex::new(Box::new(inner))))
    }

    /// Writes all of `bytes` and flushes, ignoring errors (a closed stdout must not turn
    /// into a different exit code, as in Go where write errors to stdout are ignored).
    pub(crate) fn emit(&self, bytes: &[u8]) {
        let mut inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = inner.write_all(bytes);
        let _ = inner.flush();
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
}

impl fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedWriter")
    }
}

/// An in-memory buffer that can be handed out as a writer and read back afterwards.
#[derive(Clone, Default, Debug)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// A new empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Everything written so far, as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Standard streams, environment and terminal facts for one CLI run.
pub struct Io {
    /// Standard input (read by `sideload`); `None` reads as empty.
    pub stdin: Option<Box<dyn Read + Send>>,
    /// Standard output.
    pub stdout: SharedWriter,
    /// Standard error (usage, errors, logs, progress bar).
    pub stderr: SharedWriter,
    /// Environment variable lookup.
    pub env: EnvLookup,
    /// Whether stderr is a terminal: downloads then draw a progress bar on it.
    pub is_tty: bool,
    /// Program name shown in the usage text.
    pub program_name: String,
}

impl Io {
    /// The process's own stdin, stdout, stderr and environment.
    pub fn process() -> Io {
        Io {
            stdin: Some(Box::new(std::io::stdin())),
            stdout: SharedWriter::new(std::io::stdout()),
            stderr: SharedWriter::new(std::io::stderr()),
            env: process_env(),
            is_tty: std::io::stderr().is_terminal(),
            program_name: crate::PROGRAM_NAME.to_string(),
        }
    }

    /// In-memory streams: `stdin` as given, stdout and stderr captured into the returned
    /// buffers, no terminal.
    pub fn captured(stdin: Option<Vec<u8>>, env: EnvLookup) -> (Io, Captured, Captured) {
        let stdout = Captured::new();
        let stderr = Captured::new();
        let io = Io {
            stdin: stdin.map(|bytes| Box::new(std::io::Cursor::new(bytes)) as Box<dyn Read + Send>),
            stdout: SharedWriter::new(stdout.clone()),
            stderr: SharedWriter::new(stderr.clone()),
            env,
            is_tty: false,
            program_name: crate::PROGRAM_NAME.to_string(),
        };
        (io, stdout, stderr)
    }
}

impl fmt::Debug for Io {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Io")
            .field("is_tty", &self.is_tty)
            .field("program_name", &self.program_name)
            .finish_non_exhaustive()
    }
}
