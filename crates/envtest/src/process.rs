//! Supervision of one control-plane process (etcd or kube-apiserver): spawn in its own
//! process group, tied to our life, polled until healthy, stopped SIGTERM→SIGKILL.
//!
//! Improvements over upstream (`process/process.go`): on Linux the child gets
//! `PR_SET_PDEATHSIG(SIGKILL)` and re-checks its parent pid after setting it, so it
//! dies with the test process even on SIGKILL; processes are forked from one long-lived
//! thread (the parent-death signal fires when the *forking thread* exits); the last
//! output lines are kept for error messages; a start that times out kills and reaps the
//! process instead of leaking it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How much of a process's output is kept for error messages.
const OUTPUT_TAIL_BYTES: usize = 8 * 1024;
/// How often a stopping process is checked for exit.
const EXIT_POLL: Duration = Duration::from_millis(5);

/// How readiness is checked: an HTTP GET that must answer 200.
#[derive(Clone, Debug)]
pub struct HealthCheck {
    /// The URL polled (`http://127.0.0.1:<port>/health`, `https://127.0.0.1:<port>/healthz`).
    pub url: String,
    /// How often to poll.
    pub interval: Duration,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    /// Path of the binary.
    pub path: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Copy stdout/stderr of the process to ours (`attachControlPlaneOutput`).
    pub attach_output: bool,
}

impl ProcessSpec {
    /// The binary's base name, as used in upstream's messages (`etcd`, `kube-apiserver`).
    pub fn name(&self) -> String {
        base_name(&self.path)
    }
}

pub(crate) fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The last bytes a process printed.
#[derive(Default)]
struct OutputTail {
    bytes: Vec<u8>,
}

impl OutputTail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > OUTPUT_TAIL_BYTES {
            let excess = self.bytes.len() - OUTPUT_TAIL_BYTES;
            self.bytes.drain(..excess);
        }
    }
}

/// A running (or exited) supervised process.
pub struct Supervised {
    name: String,
    pid: u32,
    child: Mutex<Child>,
    exited: Mutex<Option<ExitStatus>>,
    tail: Arc<Mutex<OutputTail>>,
    readers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Supervised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervised")
            .field("name", &self.name)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

impl Supervised {
    /// Spawns the process in its own process group.
    pub async fn spawn(spec: &ProcessSpec) -> Result<Supervised> {
        let name = spec.name();
        let mut command = Command::new(&spec.path);
        command
            .args(&spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tie_to_parent(&mut command);
        let mut child = spawn_on_spawner_thread(command)
            .await
            .map_err(|source| Error::Spawn {
                name: name.clone(),
                path: spec.path.clone(),
                source,
            })?;
        let tail = Arc::new(Mutex::new(OutputTail::default()));
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(pump_output(stdout, tail.clone(), spec.attach_output, false));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(pump_output(stderr, tail.clone(), spec.attach_output, true));
        }
        Ok(Supervised {
            name,
            pid: child.id(),
            child: Mutex::new(child),
            exited: Mutex::new(None),
            tail,
            readers: Mutex::new(readers),
        })
    }

    /// Process id (also its process-group id on Unix).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The binary's base name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Exit status if the process has exited (reaps it).
    pub fn try_exit_status(&self) -> Option<ExitStatus> {
        let mut exited = lock(&self.exited);
        if exited.is_none() {
            if let Ok(Some(status)) = lock(&self.child).try_wait() {
                *exited = Some(status);
            }
        }
        *exited
    }

    /// Polls `check` until it answers 200, the process exits, or `timeout` passes.
    /// On exit or timeout the process is killed and reaped and the error carries its
    /// last output.
    pub async fn wait_ready(
        &self,
        client: &reqwest::Client,
        check: &HealthCheck,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit_status() {
                return Err(Error::ExitedBeforeReady {
                    name: self.name.clone(),
                    status: describe_exit(status),
                    output: self.output_after_exit().await,
                });
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                self.kill_now();
                return Err(Error::StartTimeout {
                    name: self.name.clone(),
                    waited: timeout,
                    output: self.output_after_exit().await,
                });
            }
            let probe = client
                .get(&check.url)
                .timeout(remaining.min(Duration::from_secs(2)))
                .send()
                .await;
            if matches!(&probe, Ok(response) if response.status() == reqwest::StatusCode::OK) {
                return Ok(());
            }
            tokio::time::sleep(check.interval.min(remaining)).await;
        }
    }

    /// Stops the process: SIGTERM to its process group, then SIGKILL after `timeout`
    /// (reported as [`Error::StopTimeout`]). A no-op if it already exited.
    pub async fn stop(&self, timeout: Duration) -> Result<()> {
        if self.try_exit_status().is_some() {
            return Ok(());
        }
        self.signal_group(Signal::Terminate);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.try_exit_status().is_some() {
                return Ok(());
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
        self.kill_now();
        Err(Error::StopTimeout {
            name: self.name.clone(),
        })
    }

    /// Kills the process group with SIGKILL and reaps the process. Synchronous, for
    /// drop and process-exit paths.
    pub fn kill_now(&self) {
        if self.try_exit_status().is_some() {
            return;
        }
        self.signal_group(Signal::Kill);
        let mut child = lock(&self.child);
        let _ = child.kill();
        if let Ok(status) = child.wait() {
            *lock(&self.exited) = Some(status);
        }
    }

    fn signal_group(&self, signal: Signal) {
        #[cfg(unix)]
        {
            let sig = match signal {
                Signal::Terminate => libc::SIGTERM,
                Signal::Kill => libc::SIGKILL,
            };
            // SAFETY: kill(2) with a negative pid signals the process group we created
            // for this child (setpgid in pre_exec); no memory is touched.
            unsafe {
                libc::kill(-(self.pid as libc::pid_t), sig);
            }
        }
        #[cfg(not(unix))]
        {
            let _ = signal;
            let _ = lock(&self.child).kill();
        }
    }

    /// The output tail, after giving the reader threads a moment to drain the pipes.
    async fn output_after_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline && lock(&self.readers).iter().any(|r| !r.is_finished()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.output()
    }

    /// The last output (stdout and stderr interleaved), lossily decoded.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&lock(&self.tail).bytes).into_owned()
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.kill_now();
    }
}

#[derive(Clone, Copy)]
enum Signal {
    Terminate,
    Kill,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("process was killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("process exited with status {code}"),
        None => format!("process exited: {status}"),
    }
}

fn pump_output(
    mut source: impl Read + Send + 'static,
    tail: Arc<Mutex<OutputTail>>,
    attach: bool,
    is_stderr: bool,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("klite-envtest-output".into())
        .spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                match source.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        lock(&tail).push(&buffer[..n]);
                        if attach {
                            let _ = if is_stderr {
                                std::io::stderr().write_all(&buffer[..n])
                            } else {
                                std::io::stdout().write_all(&buffer[..n])
                            };
                        }
                    }
                }
            }
        })
        .unwrap_or_else(|_| std::thread::spawn(|| {}))
}

/// Puts the child in its own process group and, on Linux, makes the kernel SIGKILL it
/// when we die.
fn tie_to_parent(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs between fork and exec and only calls async-signal-safe
        // functions (setpgid, prctl, getppid, _exit).
        unsafe {
            command.pre_exec(move || {
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                #[cfg(target_os = "linux")]
                {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // The parent may have died before prctl took effect.
                    if libc::getppid() != parent {
                        libc::_exit(1);
                    }
                }
                #[cfg(not(target_os = "linux"))]
                let _ = parent;
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

struct SpawnRequest {
    command: Command,
    reply: tokio::sync::oneshot::Sender<std::io::Result<Child>>,
}

/// Spawns on one thread that lives as long as the process: Linux delivers the
/// parent-death signal when the thread that forked the child exits, so forking from a
/// short-lived worker thread would kill the child early.
async fn spawn_on_spawner_thread(command: Command) -> std::io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let sender = SPAWNER
        .get_or_init(|| {
            let (sender, receiver) = mpsc::channel::<SpawnRequest>();
            let started = std::thread::Builder::new()
                .name("klite-envtest-spawner".into())
                .spawn(move || {
                    for mut request in receiver {
                        let result = request.command.spawn();
                        let _ = request.reply.send(result);
                    }
                });
            if let Err(error) = started {
                tracing::warn!(%error, "could not start the spawner thread");
            }
            Mutex::new(sender)
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let (reply, response) = tokio::sync::oneshot::channel();
    sender
        .send(SpawnRequest { command, reply })
        .map_err(|_| std::io::Error::other("the process spawner thread is gone"))?;
    response
        .await
        .map_err(|_| std::io::Error::other("the process spawner thread is gone"))?
}

/// Runs `<binary> --help` and returns stdout+stderr, for flag probes. Results are
/// cached per binary (path, size, mtime) because real kube-apiserver takes a while.
pub async fn help_text(path: &Path) -> Result<String> {
    type Cache =
        Mutex<std::collections::HashMap<(PathBuf, u64, Option<std::time::SystemTime>), String>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let meta =
        std::fs::metadata(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(text) = lock(cache).get(&key) {
        return Ok(text.clone());
    }
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(path)
            .arg("--help")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| {
        Error::io(
            format!("running {} --help", path.display()),
            std::io::Error::from(std::io::ErrorKind::TimedOut),
        )
    })?
    .map_err(|e| Error::io(format!("running {} --help", path.display()), e))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    lock(cache).insert(key, text.clone());
    Ok(text)
}
