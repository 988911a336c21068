//! Port reservation without races between envtest users.
//!
//! A port is found by binding `127.0.0.1:0`; it is then reserved with an exclusive
//! `flock` on `port-<N>` in the same directory upstream's `addr.Suggest` uses
//! (`<user cache dir>/kubebuilder-envtest`), so klite and Go envtest processes running
//! side by side never hand out the same port. The lock is held until the reservation is
//! dropped (when the control plane stops). Differences from upstream, all compatible:
//! stale lock files are only removed after we could lock them ourselves (upstream
//! deletes any file older than two minutes, even a held one), and a reservation is
//! released when its control plane stops instead of at process exit.

use std::fs::{File, OpenOptions};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fs2::FileExt;

use crate::env::EnvVars;
use crate::error::{Error, Result};

/// Attempts before giving up, as upstream.
const MAX_ATTEMPTS: u32 = 100;
/// Lock files older than this are candidates for the sweep (upstream's value).
const STALE_LOCK_AGE: Duration = Duration::from_secs(120);
/// Directory name under the cache dir (shared with upstream envtest).
const LOCK_DIR_NAME: &str = "kubebuilder-envtest";

/// The loopback address every control plane binds to.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A reserved TCP port; the reservation ends when this is dropped.
#[derive(Debug)]
pub struct PortReservation {
    port: u16,
    lock: Option<(File, PathBuf)>,
}

impl PortReservation {
    /// The port number.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        if let Some((file, path)) = self.lock.take() {
            // Remove while still holding the lock, so nobody can lock the old inode
            // and believe it protects the port.
            let _ = std::fs::remove_file(&path);
            let _ = FileExt::unlock(&file);
        }
    }
}

/// Hands out ports on the loopback interface, coordinated through lock files.
#[derive(Debug, Clone)]
pub struct PortAllocator {
    lock_dir: Option<PathBuf>,
}

impl PortAllocator {
    /// An allocator using upstream's lock directory (`$XDG_CACHE_HOME` or
    /// `~/.cache` + `/kubebuilder-envtest` on Linux, `~/Library/Caches/…` on macOS,
    /// `%LocalAppData%\…` on Windows; `<tmp>/kubebuilder-envtest` as fallback).
    pub fn new(env: &EnvVars) -> Self {
        let candidates = [user_cache_dir(env), Some(std::env::temp_dir())];
        let lock_dir = candidates.into_iter().flatten().find_map(|base| {
            let dir = base.join(LOCK_DIR_NAME);
            create_dir_0750(&dir).ok().map(|_| dir)
        });
        if let Some(dir) = &lock_dir {
            sweep_stale_locks(dir);
        }
        PortAllocator { lock_dir }
    }

    /// The directory holding `port-<N>` lock files, if one could be created.
    pub fn lock_dir(&self) -> Option<&Path> {
        self.lock_dir.as_deref()
    }

    /// Reserves a free port on 127.0.0.1.
    pub fn reserve(&self) -> Result<PortReservation> {
        for _ in 0..MAX_ATTEMPTS {
            let port = {
                let listener = TcpListener::bind(SocketAddr::new(LOOPBACK, 0))
                    .map_err(|e| Error::io("binding 127.0.0.1:0 to find a free port", e))?;
                listener
                    .local_addr()
                    .map_err(|e| Error::io("reading the bound port", e))?
                    .port()
            };
            let Some(dir) = &self.lock_dir else {
                return Ok(PortReservation { port, lock: None });
            };
            if let Some(lock) = try_lock_port(dir, port) {
                return Ok(PortReservation {
                    port,
                    lock: Some(lock),
                });
            }
        }
        Err(Error::NoFreePorts {
            attempts: MAX_ATTEMPTS,
        })
    }
}

fn try_lock_port(dir: &Path, port: u16) -> Option<(File, PathBuf)> {
    let path = dir.join(format!("port-{port}"));
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).ok()?;
    file.try_lock_exclusive().ok()?;
    // Someone may have swept (unlinked) the file between our open and lock: then our
    // lock is on an orphaned inode that protects nothing. Only trust a lock on the
    // inode that the path still names.
    if !same_file(&file, &path) {
        return None;
    }
    // Touch the mtime so upstream's age-based sweep sees it as fresh.
    let _ = file.set_modified(SystemTime::now());
    Some((file, path))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes `port-*` files older than two minutes that nobody holds a lock on.
fn sweep_stale_locks(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("port-") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_LOCK_AGE);
        if !meta.is_file() || !old {
            continue;
        }
        if let Ok(file) = File::open(entry.path()) {
            if file.try_lock_exclusive().is_ok() {
                let _ = std::fs::remove_file(entry.path());
                let _ = FileExt::unlock(&file);
            }
        }
    }
}

fn create_dir_0750(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o750);
    }
    builder.create(dir)
}

/// Go's `os.UserCacheDir()`.
pub(crate) fn user_cache_dir(env: &EnvVars) -> Option<PathBuf> {
    if cfg!(windows) {
        return env.non_empty("LocalAppData").map(PathBuf::from);
    }
    if cfg!(target_os = "macos") {
        return env
            .non_empty("HOME")
            .map(|home| Path::new(home).join("Library").join("Caches"));
    }
    if let Some(xdg) = env.non_empty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(xdg));
    }
    env.non_empty("HOME")
        .map(|home| Path::new(home).join(".cache"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator_in(dir: &Path) -> PortAllocator {
        let env = EnvVars::from_pairs([("XDG_CACHE_HOME", dir.to_str().unwrap())]);
        PortAllocator::new(&env)
    }

    #[test]
    fn reservations_are_distinct_and_locked_in_upstreams_dir() {
        let cache = tempfile::tempdir().unwrap();
        let allocator = allocator_in(cache.path());
        assert_eq!(
            allocator.lock_dir().unwrap(),
            cache.path().join("kubebuilder-envtest")
        );
        let reservations: Vec<_> = (0..20).map(|_| allocator.reserve().unwrap()).collect();
        let mut ports: Vec<u16> = reservations.iter().map(|r| r.port()).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 20);
        for port in &ports {
            let path = cache
                .path()
                .join(format!("kubebuilder-envtest/port-{port}"));
            // A second locker (another process, or upstream envtest) cannot take it.
            let other = File::open(&path).unwrap();
            assert!(other.try_lock_exclusive().is_err());
        }
        drop(reservations);
        for port in &ports {
            assert!(!cache
                .path()
                .join(format!("kubebuilder-envtest/port-{port}"))
                .exists());
        }
    }

    #[test]
    fn a_port_locked_by_someone_else_is_not_handed_out() {
        let cache = tempfile::tempdir().unwrap();
        let allocator = allocator_in(cache.path());
        let first = allocator.reserve().unwrap();
        let port = first.port();
        let path = allocator.lock_dir().unwrap().join(format!("port-{port}"));
        // Simulate a foreign holder of the same port's lock (e.g. Go envtest).
        let (foreign_file, _) = {
            drop(first);
            let file = File::create(&path).unwrap();
            file.try_lock_exclusive().unwrap();
            (file, ())
        };
        for _ in 0..50 {
            assert_ne!(allocator.reserve().unwrap().port(), port);
        }
        drop(foreign_file);
    }

    #[test]
    fn sweep_keeps_locked_files_and_removes_unlocked_stale_ones() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("kubebuilder-envtest");
        std::fs::create_dir_all(&dir).unwrap();
        let held = File::create(dir.join("port-1")).unwrap();
        held.try_lock_exclusive().unwrap();
        File::create(dir.join("port-2")).unwrap();
        let old = SystemTime::now() - Duration::from_secs(600);
        for name in ["port-1", "port-2"] {
            File::options()
                .write(true)
                .open(dir.join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        let _ = allocator_in(cache.path());
        assert!(dir.join("port-1").exists());
        assert!(!dir.join("port-2").exists());
    }
}
