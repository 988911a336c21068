//! What the commands do (upstream's `env.Env` and `workflows`), shared by the CLI and the
//! library entry point [`crate::ensure`].

use std::io::Read;
use std::path::Path;

use crate::error::{io_error, Context};
use crate::gofmt;
use crate::index::PlatformArchive;
use crate::log::Logger;
use crate::platform::parse_store_dir_name;
use crate::remote::Remote;
use crate::store::{Filter, Item, Store, StoreLock};
use crate::{Concrete, Error, Platform, Spec};

/// Binaries a directory must hold to be accepted from `KUBEBUILDER_ASSETS` by `--use-env`.
const EXPECTED_EXECUTABLES: [&str; 3] = ["kube-apiserver", "etcd", "kubectl"];

/// The version `use` or `sideload` settled on, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selected {
    /// `1.30.0`, or `*` for a `KUBEBUILDER_ASSETS` directory of unknown version.
    pub version: String,
    /// `linux/amd64`, or `*/*`.
    pub platform: String,
    /// Hex SHA-512 of the archive, when the index was consulted for it.
    pub sha512: Option<String>,
    /// The directory holding the binaries.
    pub path: String,
}

/// The state of one run: settings from flags, plus what resolution discovers.
pub(crate) struct Env {
    pub platform: Platform,
    pub sha512: Option<String>,
    pub verify: bool,
    pub no_download: bool,
    pub force: bool,
    pub version: Spec,
    pub store: Store,
    pub remote: Remote,
    pub log: Logger,
    manual_path: Option<String>,
}

impl Env {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        platform: Platform,
        version: Spec,
        verify: bool,
        no_download: bool,
        force: bool,
        store: Store,
        remote: Remote,
        log: Logger,
    ) -> Env {
        Env {
            platform,
            sha512: None,
            verify,
            no_download: no_download || version.installed_only,
            force,
            version,
            store,
            remote,
            log,
            manual_path: None,
        }
    }

    fn filter(&self) -> Filter {
        Filter {
            version: self.version,
            platform: self.platform.clone(),
        }
    }

    fn item(&self) -> Option<Item> {
        let version = self.version.as_concrete()?;
        if self.platform.is_wildcard() {
            return None;
        }
        Some(Item {
            version,
            platform: self.platform.clone(),
        })
    }

    /// Creates `<store>/k8s`.
    pub(crate) async fn ensure_base_dirs(&self) -> Result<(), Error> {
        let store = self.store.clone();
        blocking(move || store.initialize())
            .await
            .context("unable to make sure store is initialized")
    }

    /// `use`: the `KUBEBUILDER_ASSETS` shortcut, then resolution, then download if needed.
    pub(crate) async fn use_version(
        &mut self,
        use_env: bool,
        assets_path: &str,
    ) -> Result<Selected, Error> {
        self.ensure_base_dirs().await?;
        if use_env && self.path_matches(assets_path)? {
            return self.selected();
        }
        self.ensure_version_is_set().await?;
        if self.exists_and_valid()? {
            return self.selected();
        }
        if self.no_download {
            return Err(Error::NotOnDisk {
                version: self.version.to_string(),
                platform: self.platform.to_string(),
            });
        }
        let _lock = self.lock().await?;
        // Another run may have installed it while we waited for the lock.
        if !self.force && self.exists_and_valid()? {
            return self.selected();
        }
        self.fetch().await?;
        self.selected()
    }

    async fn lock(&self) -> Result<StoreLock, Error> {
        let store = self.store.clone();
        blocking(move || store.lock()).await
    }

    /// `--use-env`: whether `value` (from `KUBEBUILDER_ASSETS`) can be used as is.
    fn path_matches(&mut self, value: &str) -> Result<bool, Error> {
        self.log.debug(
            "checking if (env var) path represents our desired version",
            &[("path", &value)],
        );
        if value.is_empty() {
            return Ok(false);
        }
        if let Some((version, platform)) = parse_store_dir_name(&gofmt::base(value)) {
            self.log.debug(
                "path appears to be in our store, using that info",
                &[("path", &value)],
            );
            self.version.make_concrete(version);
            self.platform = platform;
            self.manual_path = Some(value.to_string());
            return Ok(true);
        }
        self.log.debug(
            "path is not in our store, checking for binaries",
            &[("path", &value)],
        );
        for expected in EXPECTED_EXECUTABLES {
            match std::fs::metadata(Path::new(value).join(expected)) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.log.debug(
                        "missing required binary in (env var) path",
                        &[("binary", &expected), ("path", &value)],
                    );
                    return Ok(false);
                }
                // Upstream's message has the two names the other way round; kept verbatim.
                Err(e) => {
                    return Err(Error::Io {
                        context: format!(
                            "unable to check for existence of binary {value} from existing (env var) path {expected}"
                        ),
                        source: e,
                    })
                }
            }
        }
        self.log.debug(
            "all required binaries present in (env var) path, using that",
            &[("path", &value)],
        );
        self.version = Spec {
            selector: crate::Selector::Any,
            check_latest: false,
            installed_only: false,
        };
        self.platform = Platform::any();
        self.manual_path = Some(value.to_string());
        Ok(true)
    }

    /// Makes the version concrete: newest installed match, or the index's newest match
    /// when asked to check (`!`, `latest`) or when nothing is installed.
    async fn ensure_version_is_set(&mut self) -> Result<(), Error> {
        if self.version.as_concrete().is_some() {
            return Ok(());
        }
        let store = self.store.clone();
        let filter = self.filter();
        let local = blocking(move || store.list(&filter))
            .await
            .context("unable to determine installed versions")?
            .into_iter()
            .next();
        if self.no_download || !self.version.check_latest {
            if let Some(local) = local {
                self.version.make_concrete(local.version);
                self.platform = local.platform;
                return Ok(());
            }
            if self.no_download {
                return Err(Error::NoLocalVersion {
                    platform: self.platform.to_string(),
                });
            }
        }
        self.log.info("no version specified, finding latest", &[]);
        let (remote_version, archive) = self.latest_version().await?;
        if let Some(local) = local.filter(|l| !self.force && l.version > remote_version) {
            self.platform = local.platform;
            self.version.make_concrete(local.version);
            return Ok(());
        }
        self.platform = archive.platform;
        self.sha512 = Some(archive.sha512);
        self.version.make_concrete(remote_version);
        Ok(())
    }

    /// The newest version in the index matching the selector and the platform.
    async fn latest_version(&self) -> Result<(Concrete, PlatformArchive), Error> {
        let index = self
            .remote
            .index()
            .await
            .context("unable to list versions to find latest one")?;
        for set in index.versions() {
            if !self.version.matches(set.version) {
                self.log.debug(
                    "skipping non-matching version",
                    &[("version", &set.version)],
                );
                continue;
            }
            if let Some(archive) = set
                .platforms
                .into_iter()
                .find(|p| self.platform.matches(&p.platform))
            {
                return Ok((set.version, archive));
            }
            self.log.info(
                "latest version not supported for your platform, checking older ones",
                &[("version", &set.version), ("platform", &self.platform)],
            );
        }
        Err(Error::NoRemoteVersion {
            platform: self.platform.to_string(),
        })
    }

    /// Whether the chosen version is installed (always false with `--force`).
    fn exists_and_valid(&self) -> Result<bool, Error> {
        if self.force {
            return Ok(false);
        }
        let item = self.item().ok_or(Error::WildcardPlatform)?;
        let exists = self
            .store
            .has(&item)
            .context("unable to check if existing version exists")?;
        if exists {
            self.log.info(
                "applicable version found on disk",
                &[("version", &self.version)],
            );
        }
        Ok(exists)
    }

    /// Downloads and unpacks the chosen version. The caller holds the store lock.
    async fn fetch(&mut self) -> Result<(), Error> {
        let log = self.log.named("fetch");
        let item = self.item().ok_or(Error::WildcardPlatform)?;
        if self.verify && self.sha512.is_none() {
            let index = self
                .remote
                .index()
                .await
                .context("unable to fetch hash for requested version")?;
            let archive = find_archive(&index, &item)
                .context("unable to fetch hash for requested version")?;
            self.sha512 = Some(archive.sha512);
        }
        if !self.verify {
            self.sha512 = None;
        }
        const DOWNLOAD: &str = "unable to download requested version";
        let index = self.remote.index().await.context(DOWNLOAD)?;
        let mut archive = find_archive(&index, &item).context(DOWNLOAD)?;
        if let Some(sha512) = &self.sha512 {
            archive.sha512 = sha512.clone();
        }
        let packed = self.store.temp_download_path(&archive.name);
        log.debug("writing downloaded archive", &[("path", &packed.display())]);
        let result = async {
            self.remote
                .download(&archive, self.verify, &packed)
                .await
                .context(DOWNLOAD)?;
            log.debug("downloaded archive", &[("path", &packed.display())]);
            let store = self.store.clone();
            let packed = packed.clone();
            let item = item.clone();
            blocking(move || {
                let file = std::fs::File::open(&packed).map_err(io_error(
                    "unable to jump back to beginning of archive file to unzip",
                ))?;
                store.add(&item, std::io::BufReader::new(file))
            })
            .await
            .context("unable to store version to disk")
        }
        .await;
        if result.is_err() {
            log.info("cleaning up due to error", &[]);
        }
        log.debug("removing archive from disk", &[("path", &packed.display())]);
        if let Err(err) = std::fs::remove_file(&packed) {
            if err.kind() != std::io::ErrorKind::NotFound {
                log.error(
                    &err,
                    "unable to remove downloaded archive",
                    &[("path", &packed.display())],
                );
            }
        }
        result
    }

    /// `sideload`: unpacks `input` as the (concrete) version and platform.
    pub(crate) async fn sideload(&mut self, input: Box<dyn Read + Send>) -> Result<(), Error> {
        let item = self.item().ok_or(Error::SideloadNotConcrete)?;
        self.log.named("sideload").debug(
            "sideloading from input stream to version",
            &[("version", &self.version), ("platform", &self.platform)],
        );
        let _lock = self.lock().await?;
        let store = self.store.clone();
        blocking(move || store.add(&item, input))
            .await
            .context("unable to sideload item to disk")
    }

    /// `cleanup`: removes matching installed items; returns those removed.
    pub(crate) async fn remove(&self) -> (Vec<Item>, Result<(), Error>) {
        let lock = match self.lock().await {
            Ok(lock) => lock,
            Err(err) => return (Vec::new(), Err(err)),
        };
        let store = self.store.clone();
        let filter = self.filter();
        let outcome = tokio::task::spawn_blocking(move || {
            let outcome = store.remove(&filter);
            drop(lock);
            outcome
        })
        .await;
        match outcome {
            Ok((removed, result)) => (
                removed,
                result.context("unable to remove all requested version(s)"),
            ),
            Err(join) => (Vec::new(), Err(join_error(join))),
        }
    }

    /// `list`: rows of installed, then (unless `-i`) available versions. Rows gathered
    /// before a failure are returned with it (upstream flushes them before exiting).
    pub(crate) async fn list_versions(&self) -> (Vec<Vec<String>>, Result<(), Error>) {
        let store = self.store.clone();
        let filter = self.filter();
        let local = match blocking(move || store.list(&filter))
            .await
            .context("unable to list installed versions")
        {
            Ok(local) => local,
            Err(err) => return (Vec::new(), Err(err)),
        };
        let mut rows: Vec<Vec<String>> = local
            .into_iter()
            .map(|item| {
                vec![
                    "(installed)".into(),
                    format!("v{}", item.version),
                    item.platform.to_string(),
                ]
            })
            .collect();
        if self.no_download {
            return (rows, Ok(()));
        }
        let index = match self
            .remote
            .index()
            .await
            .context("unable list to available versions")
        {
            Ok(index) => index,
            Err(err) => return (rows, Err(err)),
        };
        for set in index.versions() {
            if !self.version.matches(set.version) {
                continue;
            }
            for archive in set
                .platforms
                .iter()
                .filter(|p| self.platform.matches(&p.platform))
            {
                rows.push(vec![
                    "(available)".into(),
                    format!("v{}", set.version),
                    archive.platform.to_string(),
                ]);
            }
        }
        (rows, Ok(()))
    }

    /// What `use`/`sideload` print: the chosen version, platform, hash and path.
    pub(crate) fn selected(&self) -> Result<Selected, Error> {
        let path = match &self.manual_path {
            Some(path) => path.clone(),
            None => self
                .store
                .path(&self.item().ok_or(Error::WildcardPlatform)?),
        };
        Ok(Selected {
            version: self.version.to_string(),
            platform: self.platform.to_string(),
            sha512: self.sha512.clone(),
            path,
        })
    }
}

fn find_archive(index: &crate::Index, item: &Item) -> Result<PlatformArchive, Error> {
    index
        .find(item.version, &item.platform)
        .ok_or_else(|| Error::ArchiveNotInIndex {
            version: item.version.to_string(),
            os: item.platform.os.clone(),
            arch: item.platform.arch.clone(),
        })
}

/// Runs blocking filesystem work off the async threads.
async fn blocking<T, F>(work: F) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(join_error)?
}

fn join_error(err: tokio::task::JoinError) -> Error {
    Error::Io {
        context: "store operation did not complete".into(),
        source: std::io::Error::other(err.to_string()),
    }
}
