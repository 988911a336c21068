//! Unpacking an envtest `.tar.gz` into a version directory.
//!
//! Like upstream: only regular files are extracted, each flattened to its base name
//! (`controller-tools/envtest/etcd` → `etcd`), with mode `0555 & entry mode`; directories,
//! symlinks, hard links and other special entries are skipped.
//! Stricter than upstream: an entry whose name is absolute or has a `..` component is
//! refused with [`Error::UnsafeArchiveEntry`] (upstream flattens it silently), and a
//! repeated base name replaces the earlier file instead of failing on its read-only mode.

use std::io::{Cursor, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::io_error;
use crate::log::Logger;
use crate::Error;

/// Extracts `contents` (a gzip-compressed tar stream) into the existing directory `dir`.
/// `item_name` (`1.30.0-linux-amd64`) appears in error messages.
pub(crate) fn extract(
    contents: impl Read,
    dir: &Path,
    item_name: &str,
    log: &Logger,
) -> Result<(), Error> {
    let mut contents = contents;
    let mut magic = Vec::with_capacity(2);
    (&mut contents)
        .take(2)
        .read_to_end(&mut magic)
        .map_err(|_| Error::Gunzip)?;
    if magic != [0x1f, 0x8b] {
        return Err(Error::Gunzip);
    }
    let untar_error = |source| Error::Untar { source };
    let mut archive = tar::Archive::new(MultiGzDecoder::new(Cursor::new(magic).chain(contents)));
    for entry in archive.entries().map_err(untar_error)? {
        let mut entry = entry.map_err(untar_error)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if escapes_root(&name) {
            return Err(Error::UnsafeArchiveEntry { entry: name });
        }
        if !entry.header().entry_type().is_file() {
            log.debug(
                "skipping non-regular-file entry in archive",
                &[("entry", &name)],
            );
            continue;
        }
        let base = name
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        let base = if base.is_empty() { "." } else { base };
        let create_error = || {
            format!("unable to create file {base} from archive to disk for version-platform pair {item_name}")
        };
        if base == "." || base == ".." {
            return Err(Error::Io {
                context: create_error(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "entry has no file name",
                ),
            });
        }
        let target = dir.join(base);
        log.debug(
            "writing archive file to disk",
            &[("archive file", &name), ("on-disk file", &base)],
        );
        let mode = entry.header().mode().map_err(untar_error)? & 0o555;
        if std::fs::symlink_metadata(&target).is_ok() {
            std::fs::remove_file(&target).map_err(io_error(create_error()))?;
        }
        let mut file = std::fs::File::create(&target).map_err(io_error(create_error()))?;
        std::io::copy(&mut entry, &mut file).map_err(io_error(format!(
            "unable to write file {base} from archive to disk for version-platform pair {item_name}"
        )))?;
        drop(file);
        set_mode(&target, mode).map_err(io_error(create_error()))?;
    }
    Ok(())
}

/// Absolute names and names with a `..` component would leave the version directory if
/// extracted with their path.
fn escapes_root(name: &str) -> bool {
    name.starts_with('/')
        || name.starts_with('\\')
        || name.split(['/', '\\']).any(|part| part == "..")
        || (name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && name.as_bytes().get(1) == Some(&b':'))
}

#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_readonly(mode & 0o222 == 0);
    std::fs::set_permissions(path, permissions)
}

#[cfg(test)]
mod tests {
    use super::escapes_root;

    #[test]
    fn traversal_names_are_detected() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a/..",
            "..",
            "C:/x",
            "..\\x",
            "\\x",
        ] {
            assert!(escapes_root(bad), "{bad}");
        }
        for ok in [
            "controller-tools/envtest/etcd",
            "./controller-tools/envtest/",
            "etcd",
            "a..b/c",
            "..x",
        ] {
            assert!(!escapes_root(ok), "{ok}");
        }
    }
}
