//! The one error type of klite-setup-envtest.
//!
//! Messages are upstream setup-envtest's (controller-runtime `tools/setup-envtest`), so
//! that a search for the text a user sees finds upstream answers. Upstream wraps errors
//! Go-style (`context: cause`); [`Error::chain`] renders an error the same way.

use std::fmt::Write as _;

/// Everything that can go wrong while resolving, downloading, storing or listing envtest
/// binaries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A version selector did not follow the selector grammar (`1.30.x`, `~1.30`, …).
    #[error(
        "unable to parse {} as a version string\
         should be X.Y.Z, where Z may be '*','x', or left off entirely \
         to denote a wildcard, optionally prefixed by ~|<|<=, and optionally\
         followed by ! (latest remote version)",
        crate::gofmt::quote(input)
    )]
    InvalidSelector {
        /// The text that failed to parse.
        input: String,
    },

    /// The default store directory cannot be derived from the environment.
    #[error("{reason}")]
    NoDefaultStoreDir {
        /// Which variables are missing, e.g. `neither $XDG_DATA_HOME nor $HOME are defined`.
        reason: &'static str,
    },

    /// The index URL is not a URL.
    #[error("unable to parse index URL")]
    IndexUrl {
        /// The parse failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The HTTP client could not be set up (TLS roots, proxy settings).
    #[error("unable to set up the HTTP client")]
    HttpClient {
        /// The failure.
        #[source]
        source: reqwest::Error,
    },

    /// The index could not be requested (connection, proxy, TLS, DNS…).
    #[error("unable to perform request to get index")]
    IndexRequest {
        /// The transport failure.
        #[source]
        source: reqwest::Error,
    },

    /// The index server answered with a status other than 200.
    #[error("unable to get index -- got status {}", crate::gofmt::quote(status))]
    IndexStatus {
        /// The HTTP status line, e.g. `404 Not Found`.
        status: String,
    },

    /// The index body could not be read completely.
    #[error("unable to get index -- unable to read body")]
    IndexBody {
        /// The transport failure.
        #[source]
        source: reqwest::Error,
    },

    /// The index is not valid YAML of the expected shape.
    #[error("unable to unmarshal index")]
    IndexParse {
        /// The YAML error.
        #[source]
        source: serde_yaml_ng::Error,
    },

    /// The index has no archive for this version and platform.
    #[error("unable to find archive for {version} ({os},{arch})")]
    ArchiveNotInIndex {
        /// The concrete version.
        version: String,
        /// The OS.
        os: String,
        /// The architecture.
        arch: String,
    },

    /// An archive link in the index is not a usable URL.
    #[error("error parsing selfLink {}", crate::gofmt::quote(link))]
    ArchiveLink {
        /// The `selfLink` value.
        link: String,
        /// The parse failure.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The archive could not be requested.
    #[error("unable to fetch {archive} ({url})")]
    DownloadRequest {
        /// The archive name.
        archive: String,
        /// The URL requested.
        url: String,
        /// The transport failure.
        #[source]
        source: reqwest::Error,
    },

    /// The archive server answered with a status other than 200.
    #[error(
        "unable fetch {archive} ({url}) -- got status {}",
        crate::gofmt::quote(status)
    )]
    DownloadStatus {
        /// The archive name.
        archive: String,
        /// The URL requested.
        url: String,
        /// The HTTP status line, e.g. `404 Not Found`.
        status: String,
    },

    /// The archive body broke off while downloading.
    #[error("unable read next chunk of {archive}")]
    DownloadBody {
        /// The archive name.
        archive: String,
        /// The transport failure.
        #[source]
        source: reqwest::Error,
    },

    /// The downloaded archive does not have the SHA-512 the index promises.
    #[error("checksum mismatch for {archive}: {computed} (computed) != {expected} (reported)")]
    ChecksumMismatch {
        /// The archive name.
        archive: String,
        /// Hex SHA-512 of what was downloaded.
        computed: String,
        /// Hex SHA-512 from the index.
        expected: String,
    },

    /// No version in the index matches the selector and has an archive for the platform.
    #[error("unable to find a version that was supported for platform {platform}")]
    NoRemoteVersion {
        /// `os/arch`.
        platform: String,
    },

    /// Downloads are disabled and no installed version matches.
    #[error(
        "no applicable on-disk versions for {platform} found, you'll have to download one, \
         or run list -i to see what you do have"
    )]
    NoLocalVersion {
        /// `os/arch`.
        platform: String,
    },

    /// Downloads are disabled and the chosen version is not installed.
    #[error(
        "no such version ({version}) exists on disk for this architecture ({platform}) -- \
         try running `list -i` to see what's on disk"
    )]
    NotOnDisk {
        /// The concrete version.
        version: String,
        /// `os/arch`.
        platform: String,
    },

    /// `use` was given a wildcard platform.
    #[error(
        "you must have a concrete platform with this command -- \
         you cannot use wildcard platforms with fetch or switch"
    )]
    WildcardPlatform,

    /// `sideload` was given a non-concrete version or a wildcard platform.
    #[error(
        "must specify a concrete version and platform to sideload.  \
         Make sure you've passed a version, like 'sideload 1.21.0'"
    )]
    SideloadNotConcrete,

    /// The archive is not gzip-compressed (or is empty).
    #[error("unable to start un-gz-ing entry archive")]
    Gunzip,

    /// The archive stream broke off or is not a tar archive.
    #[error("unable to finish un-tar-ing the downloaded archive")]
    Untar {
        /// The decompression or tar error.
        #[source]
        source: std::io::Error,
    },

    /// An archive entry names a path outside the version directory.
    #[error(
        "refusing to extract archive entry {}: absolute paths and \"..\" components are not \
         allowed in envtest archives",
        crate::gofmt::quote(entry)
    )]
    UnsafeArchiveEntry {
        /// The entry name as stored in the archive.
        entry: String,
    },

    /// A filesystem operation failed.
    #[error("{context}")]
    Io {
        /// What was being done, in upstream's words.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A failure with upstream's description of the step that failed.
    #[error("{context}")]
    Context {
        /// The step, e.g. `unable to list versions to find latest one`.
        context: String,
        /// What went wrong in that step.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Renders the error and all its causes Go-style: `outer: inner: os error`.
    ///
    /// This is the exact line the CLI prints to stderr before exiting.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            let text = err.to_string();
            if !text.is_empty() && !out.ends_with(&text) {
                let _ = write!(out, ": {text}");
            }
            cause = err.source();
        }
        out
    }

    /// True for failures worth retrying: connection problems, broken-off bodies and
    /// 5xx/408/429 answers. Never for 4xx, checksum or parse errors.
    pub(crate) fn is_transient(&self) -> bool {
        fn transient_status(status: &str) -> bool {
            let code = status.split(' ').next().unwrap_or_default();
            code.starts_with('5') || code == "408" || code == "429"
        }
        match self {
            Error::IndexRequest { source }
            | Error::IndexBody { source }
            | Error::DownloadRequest { source, .. }
            | Error::DownloadBody { source, .. } => !source.is_builder() && !source.is_redirect(),
            Error::IndexStatus { status } | Error::DownloadStatus { status, .. } => {
                transient_status(status)
            }
            _ => false,
        }
    }
}

/// Adds upstream's description of a step to an error (Go's `fmt.Errorf("...: %w", err)`).
pub(crate) trait Context<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Into<String>) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, context: impl Into<String>) -> Result<T, Error> {
        self.map_err(|source| Error::Context {
            context: context.into(),
            source: Box::new(source),
        })
    }
}

/// Builds an [`Error::Io`] with upstream's description of the step.
pub(crate) fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}
