//! Crash safety across runs: every control plane keeps a small record of the processes
//! and temp dirs it created in `<lock dir>/klite-runs/run-*.json`, holding an exclusive
//! `flock` on it while alive. The kernel drops that lock when the owner dies (even by
//! SIGKILL), so any later start can tell a crashed run from a live one without trusting
//! PIDs, kill the crashed run's process groups and remove its temp dirs.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs2::FileExt;
use serde::{Deserialize, Serialize};

/// Name of the registry directory under the lock dir.
const RUNS_DIR: &str = "klite-runs";
/// Prefix of the temp dirs we are allowed to delete for a crashed run.
pub const TEMP_DIR_PREFIX: &str = "k8s_test_framework_";

/// A process recorded for a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RecordedProcess {
    /// Process id (= process-group id).
    pub pid: u32,
    /// Kernel start time (`/proc/<pid>/stat` field 22) to tell a reused pid apart.
    pub start_time: Option<u64>,
    /// Binary name, for humans.
    pub name: String,
}

/// What one run owns.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunContents {
    /// The test process.
    pub owner_pid: u32,
    /// Child processes.
    pub processes: Vec<RecordedProcess>,
    /// Temp dirs created for the run.
    pub dirs: Vec<PathBuf>,
}

/// The live record of this run; deleted on drop.
#[derive(Debug)]
pub struct RunRecord {
    file: Option<(File, PathBuf)>,
    contents: RunContents,
}

impl RunRecord {
    /// Creates (and locks) a record in `lock_dir/klite-runs`. Without a lock dir the
    /// record lives in memory only.
    pub fn create(lock_dir: Option<&Path>) -> RunRecord {
        let contents = RunContents {
            owner_pid: std::process::id(),
            ..Default::default()
        };
        let file = lock_dir.and_then(|dir| create_locked_record(&dir.join(RUNS_DIR)));
        let record = RunRecord { file, contents };
        record.persist();
        record
    }

    /// Records a temp dir.
    pub fn add_dir(&mut self, dir: &Path) {
        self.contents.dirs.push(dir.to_path_buf());
        self.persist();
    }

    /// Records a started process.
    pub fn add_process(&mut self, pid: u32, name: &str) {
        self.contents.processes.push(RecordedProcess {
            pid,
            start_time: process_start_time(pid),
            name: name.to_string(),
        });
        self.persist();
    }

    /// Forgets processes and dirs (after they were stopped and removed).
    pub fn clear(&mut self) {
        self.contents.processes.clear();
        self.contents.dirs.clear();
        self.persist();
    }

    fn persist(&self) {
        if let Some((file, _)) = &self.file {
            let mut file = file;
            if let Ok(text) = serde_json::to_vec(&self.contents) {
                let _ = file.set_len(0);
                let _ = file.seek(SeekFrom::Start(0));
                let _ = file.write_all(&text);
            }
        }
    }
}

impl Drop for RunRecord {
    fn drop(&mut self) {
        if let Some((file, path)) = self.file.take() {
            let _ = std::fs::remove_file(&path);
            let _ = FileExt::unlock(&file);
        }
    }
}

fn create_locked_record(dir: &Path) -> Option<(File, PathBuf)> {
    std::fs::create_dir_all(dir).ok()?;
    let nonce: u64 = rand::random();
    let owner = std::process::id();
    // Lock under a name the sweep ignores, then rename into place, so a sweeper never
    // sees an unlocked, empty record.
    let staging = dir.join(format!(".staging-{owner}-{nonce:016x}"));
    let path = dir.join(format!("run-{owner}-{nonce:016x}.json"));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&staging)
        .ok()?;
    file.try_lock_exclusive().ok()?;
    std::fs::rename(&staging, &path).ok()?;
    Some((file, path))
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Process groups killed.
    pub killed: Vec<RecordedProcess>,
    /// Temp dirs removed.
    pub removed_dirs: Vec<PathBuf>,
}

/// Cleans up after crashed runs: for every record whose owner no longer holds its lock,
/// kills the recorded process groups that are still the same processes and removes the
/// recorded `k8s_test_framework_*` dirs.
pub fn sweep_crashed_runs(lock_dir: &Path) -> SweepReport {
    let mut report = SweepReport::default();
    let Ok(entries) = std::fs::read_dir(lock_dir.join(RUNS_DIR)) else {
        return report;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("run-") && name.ends_with(".json")) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::options().read(true).write(true).open(&path) else {
            continue;
        };
        if file.try_lock_exclusive().is_err() {
            continue; // owner alive
        }
        let contents: RunContents = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        for process in contents.processes {
            if kill_if_same_process(&process) {
                report.killed.push(process);
            }
        }
        for dir in contents.dirs {
            let deletable = dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(TEMP_DIR_PREFIX));
            if deletable && dir.exists() && std::fs::remove_dir_all(&dir).is_ok() {
                report.removed_dirs.push(dir);
            }
        }
        let _ = std::fs::remove_file(&path);
        let _ = FileExt::unlock(&file);
    }
    report
}

fn kill_if_same_process(process: &RecordedProcess) -> bool {
    #[cfg(unix)]
    {
        let pid = process.pid as libc::pid_t;
        let same = match (process.start_time, process_start_time(process.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            (None, _) if !cfg!(target_os = "linux") => {
                // SAFETY: getpgid only reads kernel state for the given pid.
                unsafe { libc::getpgid(pid) == pid }
            }
            _ => false,
        };
        if same {
            // SAFETY: signals the process group this run created for the child.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
        }
        same
    }
    #[cfg(not(unix))]
    {
        let _ = process;
        false
    }
}

/// Kernel start time of a process (Linux `/proc/<pid>/stat` field 22), if known.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_records_are_left_alone_and_dead_ones_are_cleaned() {
        let lock_dir = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let owned_dir = work.path().join("k8s_test_framework_123");
        let foreign_dir = work.path().join("not-ours");
        std::fs::create_dir_all(&owned_dir).unwrap();
        std::fs::create_dir_all(&foreign_dir).unwrap();

        let mut live = RunRecord::create(Some(lock_dir.path()));
        live.add_dir(&owned_dir);
        assert_eq!(sweep_crashed_runs(lock_dir.path()), SweepReport::default());
        assert!(owned_dir.exists());

        // A run whose owner died: its record exists but nobody holds the lock.
        let (file, path) = live.file.take().unwrap();
        FileExt::unlock(&file).unwrap();
        drop(file);
        let mut contents: RunContents =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        contents.dirs.push(foreign_dir.clone());
        std::fs::write(&path, serde_json::to_vec(&contents).unwrap()).unwrap();

        let report = sweep_crashed_runs(lock_dir.path());
        assert_eq!(report.removed_dirs, vec![owned_dir.clone()]);
        assert!(!owned_dir.exists());
        assert!(
            foreign_dir.exists(),
            "only k8s_test_framework_* dirs are removed"
        );
        assert!(!path.exists());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_crashed_runs_process_group_is_killed_but_a_reused_pid_is_not() {
        use std::os::unix::process::CommandExt;
        let lock_dir = tempfile::tempdir().unwrap();
        let mut orphan = std::process::Command::new("sleep")
            .arg("600")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut bystander = std::process::Command::new("sleep")
            .arg("600")
            .process_group(0)
            .spawn()
            .unwrap();
        let runs = lock_dir.path().join(RUNS_DIR);
        std::fs::create_dir_all(&runs).unwrap();
        let contents = RunContents {
            owner_pid: 1,
            processes: vec![
                RecordedProcess {
                    pid: orphan.id(),
                    start_time: process_start_time(orphan.id()),
                    name: "etcd".into(),
                },
                // Same pid as a live process but another start time: a reused pid.
                RecordedProcess {
                    pid: bystander.id(),
                    start_time: process_start_time(bystander.id()).map(|t| t + 1),
                    name: "kube-apiserver".into(),
                },
            ],
            dirs: vec![],
        };
        std::fs::write(
            runs.join("run-1-0.json"),
            serde_json::to_vec(&contents).unwrap(),
        )
        .unwrap();
        let report = sweep_crashed_runs(lock_dir.path());
        assert_eq!(report.killed.len(), 1);
        assert_eq!(report.killed[0].pid, orphan.id());
        let status = orphan.wait().unwrap();
        assert!(!status.success());
        assert!(
            bystander.try_wait().unwrap().is_none(),
            "bystander must survive"
        );
        bystander.kill().unwrap();
        bystander.wait().unwrap();
    }
}
