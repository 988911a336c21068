//! The on-disk binary store, shared with upstream setup-envtest:
//!
//! ```text
//! <root>/k8s/1.30.0-linux-amd64/{etcd,kube-apiserver,kubectl}   (dir 0555, files 0555 & mode)
//! ```
//! Entries of `k8s/` that are not directories named `X.Y.Z-<os>-<arch>` are ignored, so the
//! additions below stay invisible to upstream:
//! - `k8s/.lock`: an advisory file lock held while a version is resolved, downloaded and
//!   unpacked (and during `sideload` and `cleanup`), so concurrent runs don't race;
//! - `k8s/.klite-*`: staging directories and download files; a version directory appears
//!   only by an atomic rename after its archive was fully verified and unpacked, so a crash
//!   or a bad archive never leaves a half-written version behind. Leftovers of crashed runs
//!   are swept when the lock is next taken.
//!
//! Methods do blocking filesystem I/O; async callers run them on a blocking thread.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use fs2::FileExt;
use rand::Rng;

use crate::archive::{extract, set_mode};
use crate::error::io_error;
use crate::gofmt;
use crate::log::Logger;
use crate::platform::{order_platforms, parse_store_dir_name};
use crate::{Concrete, Error, Platform, Spec};

/// Prefix of klite's temporary entries in `k8s/` (never a valid version directory name).
const TEMP_PREFIX: &str = ".klite-";

/// A version–platform pair in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The version.
    pub version: Concrete,
    /// The (concrete) platform.
    pub platform: Platform,
}

impl Item {
    /// The directory name: `1.30.0-linux-amd64`.
    pub fn dir_name(&self) -> String {
        self.platform.base_name(self.version)
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.version, self.platform)
    }
}

/// Selects store items by version spec and (possibly wildcard) platform.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Which versions.
    pub version: Spec,
    /// Which platforms (`*` parts match anything).
    pub platform: Platform,
}

impl Filter {
    /// Whether `item` is selected.
    pub fn matches(&self, item: &Item) -> bool {
        self.version.matches(item.version) && self.platform.matches(&item.platform)
    }
}

/// The binary store rooted at a directory (the `--bin-dir`).
#[derive(Debug, Clone)]
pub struct Store {
    root: String,
    log: Logger,
}

/// Holds the store lock until dropped.
#[derive(Debug)]
pub struct StoreLock {
    file: File,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.file);
    }
}

impl Store {
    /// A store at `root`. Nothing is touched on disk until an operation needs it.
    pub fn open(root: impl Into<String>) -> Store {
        Store {
            root: root.into(),
            log: Logger::disabled(),
        }
    }

    pub(crate) fn with_logger(mut self, log: Logger) -> Store {
        self.log = log;
        self
    }

    /// The root directory as given.
    pub fn root(&self) -> &str {
        &self.root
    }

    fn k8s_dir(&self) -> PathBuf {
        PathBuf::from(gofmt::join(&[&self.root, "k8s"]))
    }

    /// The path printed for `item`: `<root>/k8s/<dir name>`, cleaned like Go's
    /// `filepath.Join` (a relative root stays relative).
    pub fn path(&self, item: &Item) -> String {
        gofmt::join(&[&self.root, "k8s", &item.dir_name()])
    }

    /// Creates `<root>/k8s` (mode 0755) if missing.
    pub fn initialize(&self) -> Result<(), Error> {
        self.log.debug("ensuring base binaries dir exists", &[]);
        create_dir_all(&self.k8s_dir())
            .map_err(io_error("unable to make sure base binaries dir exists"))
    }

    /// Whether `item`'s directory exists (its contents are not checked, as upstream).
    pub fn has(&self, item: &Item) -> Result<bool, Error> {
        match fs::metadata(self.k8s_dir().join(item.dir_name())) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::Io {
                context: "unable to check if version-platform dir exists".into(),
                source: e,
            }),
        }
    }

    /// Installed items matching `filter`: newest version first, then by OS and arch.
    pub fn list(&self, filter: &Filter) -> Result<Vec<Item>, Error> {
        let mut items: Vec<Item> = self
            .items()
            .map_err(|source| Error::Context {
                context: "unable to list version-platform pairs in store".into(),
                source: Box::new(source),
            })?
            .into_iter()
            .filter(|(name, item)| {
                let keep = filter.matches(item);
                if !keep {
                    self.log.debug(
                        "skipping on disk version, does not match version and platform selectors",
                        &[
                            ("platform", &item.platform),
                            ("version", &item.version),
                            ("entry", name),
                        ],
                    );
                }
                keep
            })
            .map(|(_, item)| item)
            .collect();
        items.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| order_platforms(&a.platform, &b.platform))
        });
        Ok(items)
    }

    /// Every version directory (name, item), in directory-name order.
    fn items(&self) -> Result<Vec<(String, Item)>, Error> {
        let entries = fs::read_dir(self.k8s_dir()).map_err(io_error(
            "unable to list folders in store's unpacked directory",
        ))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(
                "unable to list folders in store's unpacked directory",
            ))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                self.log
                    .debug("skipping dir entry, not a folder", &[("entry", &name)]);
                continue;
            }
            let Some((version, platform)) = parse_store_dir_name(&name) else {
                self.log
                    .debug("skipping dir entry, not a version", &[("entry", &name)]);
                continue;
            };
            out.push((name, Item { version, platform }));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Takes the store's exclusive lock (blocking until other holders release it) and
    /// sweeps leftovers of crashed runs. Creates `<root>/k8s` if needed.
    pub fn lock(&self) -> Result<StoreLock, Error> {
        self.initialize()?;
        let path = self.k8s_dir().join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error(format!(
                "unable to open store lock {}",
                path.display()
            )))?;
        file.lock_exclusive().map_err(io_error(format!(
            "unable to lock store lock {}",
            path.display()
        )))?;
        self.sweep_leftovers();
        Ok(StoreLock { file })
    }

    /// Removes `.klite-*` entries; only called with the lock held, when none can be live.
    fn sweep_leftovers(&self) {
        let Ok(entries) = fs::read_dir(self.k8s_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let path = entry.path();
                self.log.debug(
                    "removing leftover of an interrupted run",
                    &[("path", &path.display())],
                );
                if let Err(err) = remove_item(&path) {
                    self.log
                        .error(&err, "unable to remove leftover of an interrupted run", &[]);
                }
            }
        }
    }

    /// A fresh path in the store for a temporary download of `archive_name`.
    pub(crate) fn temp_download_path(&self, archive_name: &str) -> PathBuf {
        self.k8s_dir().join(format!(
            "{TEMP_PREFIX}download-{}-{archive_name}",
            random_suffix()
        ))
    }

    /// Unpacks `contents` (a `.tar.gz`) as `item`, replacing any existing directory.
    ///
    /// The archive is unpacked into a staging directory which is renamed into place only
    /// when complete; on any error nothing of it remains and an existing version is kept.
    pub fn add(&self, item: &Item, contents: impl Read) -> Result<(), Error> {
        let name = item.dir_name();
        let log = self.log.clone();
        let k8s = self.k8s_dir();
        let staging = k8s.join(format!("{TEMP_PREFIX}staging-{}-{name}", random_suffix()));
        log.debug("extracting archive", &[("version-platform", &name)]);
        create_dir_all(&staging).map_err(io_error(format!(
            "unable to make sure entry dir {name} exists"
        )))?;
        if let Err(err) = extract(contents, &staging, &name, &log) {
            if let Err(cleanup) = remove_item(&staging) {
                log.error(
                    &cleanup,
                    "unable to clean up partially added version-platform pair after error",
                    &[],
                );
            }
            return Err(err);
        }
        log.debug(
            "switching version-platform directory to read-only",
            &[("version-platform", &name)],
        );
        if let Err(err) = set_mode(&staging, 0o555) {
            log.error(
                &err,
                "unable to make version-platform directory read-only",
                &[],
            );
        }
        let target = k8s.join(&name);
        let replaced = if fs::symlink_metadata(&target).is_ok() {
            let aside = k8s.join(format!("{TEMP_PREFIX}replaced-{}-{name}", random_suffix()));
            log.debug(
                "cleaning up old version-platform binaries dir",
                &[("version-platform", &name)],
            );
            if let Err(err) = fs::rename(&target, &aside) {
                let _ = remove_item(&staging);
                return Err(Error::Io {
                    context: format!(
                        "unable to clean up existing version-platform binaries dir {name}"
                    ),
                    source: err,
                });
            }
            Some(aside)
        } else {
            None
        };
        if let Err(err) = fs::rename(&staging, &target) {
            if let Some(aside) = &replaced {
                let _ = fs::rename(aside, &target);
            }
            let _ = remove_item(&staging);
            return Err(Error::Io {
                context: format!("unable to move unpacked version-platform dir {name} into place"),
                source: err,
            });
        }
        if let Some(aside) = replaced {
            if let Err(err) = remove_item(&aside) {
                log.error(&err, "unable to remove replaced version-platform dir", &[]);
            }
        }
        log.debug("unpacked archive", &[("version-platform", &name)]);
        Ok(())
    }

    /// Removes every item matching `filter`. Returns the items removed, and the last
    /// error if some could not be removed (the others are still removed).
    pub fn remove(&self, filter: &Filter) -> (Vec<Item>, Result<(), Error>) {
        let items = match self.items() {
            Ok(items) => items,
            Err(err) => {
                let err = Error::Context {
                    context: "unable to list version-platform pairs to figure out what to delete"
                        .into(),
                    source: Box::new(err),
                };
                return (Vec::new(), Err(err));
            }
        };
        let mut removed = Vec::new();
        let mut result = Ok(());
        for (name, item) in items.into_iter().filter(|(_, item)| filter.matches(item)) {
            self.log.debug(
                "Removing version-platform pair at path",
                &[("version-platform", &item), ("path", &name)],
            );
            match remove_item(&self.k8s_dir().join(&name)) {
                Ok(()) => removed.push(item),
                Err(err) => {
                    self.log.error(
                        &err,
                        "unable to make existing version-platform dir writable to clean it up",
                        &[("path", &name)],
                    );
                    result = Err(Error::Context {
                        context: format!(
                            "unable to remove version-platform pair {item} (dir {name})"
                        ),
                        source: Box::new(err),
                    });
                }
            }
        }
        (removed, result)
    }
}

/// Makes a version directory writable again and deletes it (or a plain file).
fn remove_item(path: &Path) -> Result<(), Error> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Io {
                context: "unable to make version-platform dir writable".into(),
                source: e,
            })
        }
    };
    if meta.is_dir() {
        set_mode(path, 0o755).map_err(io_error("unable to make version-platform dir writable"))?;
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .or_else(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Ok(())
        } else {
            Err(e)
        }
    })
    .map_err(io_error("unable to remove version-platform dir"))
}

fn create_dir_all(path: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o755);
    builder.create(path)
}

fn random_suffix() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}
