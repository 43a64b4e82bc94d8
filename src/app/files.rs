//! Writing a project's plain files (margin.toml, guidelines, exports, backups) so that a reader never sees
//! one half-written, with the permissions the umask gives new files.

use std::path::{Path, PathBuf};

/// A project file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError { path: path.to_path_buf(), source }
}

/// Writes `contents` to `path` through a temporary file in the same directory.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteError> {
    let mut tmp = temp_file_beside(path)?;
    std::io::Write::write_all(&mut tmp, contents).map_err(write_error(path))?;
    persist(tmp, path)
}

/// A temporary file in `path`'s directory, to be renamed to `path` by [`persist`] when complete.
pub fn temp_file_beside(path: &Path) -> Result<tempfile::NamedTempFile, WriteError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::NamedTempFile::new_in(dir).map_err(write_error(path))
}

/// Syncs `tmp` and renames it to `path`, with the permissions a newly created file would get (temporary
/// files are private, but a project's files are shared as the umask says).
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), WriteError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = 0o666 & !umask();
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode)).map_err(write_error(path))?;
    tmp.as_file().sync_all().map_err(write_error(path))?;
    tmp.persist(path).map_err(|e| write_error(path)(e.error))?;
    Ok(())
}

/// This process's umask, read without changing it (Linux reports it in /proc/self/status).
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}
