//! Where a command's output file goes (`export -o`, `backup`): the path as the file system resolves it
//! (relative parts, `..` and symlinks followed), refused when it is one of the project's own files, and
//! refused when it would replace a file that is not an earlier output of the same kind unless forced.
//!
//! The project's own files are its database with the files SQLite keeps beside it (-wal, -shm, -journal),
//! margin.toml, and everything under guidelines/ and models/. A hard link to one of them is caught by its
//! inode.

use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::app::project::{DB_FILE, GUIDELINES_DIR, Project};
use crate::app::train::MODELS_DIR;
use crate::config;
use crate::store::IMPORT_LOCK_SUFFIX;

/// How many symlinks a path may pass through before it is taken to be a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Where output will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OutputTarget {
    /// A regular file (existing or not), written through a temporary file beside it and renamed into place.
    File(PathBuf),
    /// Something that exists and is not a regular file or directory (a terminal, a pipe, /dev/null): written
    /// to as a stream, never replaced.
    Stream(PathBuf),
}

impl OutputTarget {
    pub(super) fn path(&self) -> &Path {
        match self {
            OutputTarget::File(p) | OutputTarget::Stream(p) => p,
        }
    }
}

/// Checks that `given` may receive output (`what`, e.g. "an export") from `project`. `earlier` says whether
/// a resolved path holds an earlier output of this kind, which may be replaced without `force`.
pub(super) fn check_target(
    project: &Project,
    given: &Path,
    what: &str,
    force: bool,
    earlier: impl FnOnce(&Path) -> anyhow::Result<bool>,
) -> anyhow::Result<OutputTarget> {
    let resolved = resolve(given)?;
    if let Some(own) = own_file(project, &resolved)? {
        bail!(
            "{}: that is the project's own {own}; margin never writes {what} onto it. Choose a file outside \
             the project's database, margin.toml, guidelines/ and models/",
            given.display()
        );
    }
    let meta = match std::fs::metadata(&resolved) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OutputTarget::File(resolved)),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot look at it", given.display())),
    };
    if meta.is_dir() {
        bail!("{}: is a directory; give a file name for {what}", given.display());
    }
    if !meta.is_file() {
        return Ok(OutputTarget::Stream(resolved));
    }
    if !force && !earlier(&resolved)? {
        bail!(
            "{}: the file exists and is not {what} of this project; margin will not replace it. Choose another \
             name, or pass --force to replace it",
            given.display()
        );
    }
    Ok(OutputTarget::File(resolved))
}

/// The path `given` names, absolute, with `.`, `..` and every symlink resolved; for a file that does not
/// exist yet, its directory resolved and its name kept.
pub(super) fn resolve(given: &Path) -> anyhow::Result<PathBuf> {
    let mut path = std::path::absolute(given).with_context(|| format!("{}: cannot resolve", given.display()))?;
    // What the kernel finds there, links followed: a terminal or pipe (`/dev/stdout` is a link to a
    // descriptor, not to a path) is written to where it is.
    if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(path);
    }
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).with_context(|| format!("{}: cannot read", path.display()))?;
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                path = resolve_dir(given, &dir)?.join(target);
            }
            Ok(_) => return path.canonicalize().with_context(|| format!("{}: cannot resolve", given.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = match path.components().next_back() {
                    Some(Component::Normal(name)) => name.to_os_string(),
                    _ => bail!("{}: not a file name", given.display()),
                };
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                return Ok(resolve_dir(given, &dir)?.join(name));
            }
            Err(e) => return Err(e).with_context(|| format!("{}: cannot look at it", given.display())),
        }
    }
    bail!("{}: too many levels of symbolic links", given.display())
}

fn resolve_dir(given: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    dir.canonicalize().with_context(|| format!("{}: cannot write: no directory {}", given.display(), dir.display()))
}

/// Which of the project's own files `resolved` is, if any.
fn own_file(project: &Project, resolved: &Path) -> anyhow::Result<Option<&'static str>> {
    let dir = project.dir.canonicalize().with_context(|| format!("{}: cannot resolve", project.dir.display()))?;
    let files: [(PathBuf, &str); 6] = [
        (dir.join(DB_FILE), "database"),
        (dir.join(format!("{DB_FILE}-wal")), "database log (-wal)"),
        (dir.join(format!("{DB_FILE}-shm")), "database index (-shm)"),
        (dir.join(format!("{DB_FILE}-journal")), "database journal"),
        (dir.join(format!("{DB_FILE}{IMPORT_LOCK_SUFFIX}")), "import lock"),
        (dir.join(config::FILE_NAME), "settings file (margin.toml)"),
    ];
    let dirs: [(PathBuf, &str); 2] = [(dir.join(GUIDELINES_DIR), "guidelines"), (dir.join(MODELS_DIR), "models")];
    if resolved == dir {
        return Ok(Some("directory"));
    }
    if let Some((_, what)) = files.iter().find(|(file, _)| file == resolved) {
        return Ok(Some(what));
    }
    for (sub, what) in &dirs {
        let real = sub.canonicalize().unwrap_or_else(|_| sub.clone());
        if resolved.starts_with(sub) || resolved.starts_with(&real) {
            return Ok(Some(what));
        }
    }
    // A hard link to one of them: the same file under another name.
    if let Ok(target) = std::fs::metadata(resolved) {
        let same = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.dev() == target.dev() && m.ino() == target.ino());
        if let Some((_, what)) = files.iter().find(|(file, _)| same(file)) {
            return Ok(Some(what));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dotted_and_linked_paths_resolve_to_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("sub")).unwrap();
        std::fs::write(real.join("file"), b"x").unwrap();
        std::os::unix::fs::symlink(real.join("file"), real.join("link")).unwrap();
        std::os::unix::fs::symlink(real.join("sub/missing"), real.join("dangling")).unwrap();
        assert_eq!(resolve(&real.join("sub/../file")).unwrap(), real.join("file"));
        assert_eq!(resolve(&real.join("link")).unwrap(), real.join("file"));
        assert_eq!(resolve(&real.join("sub/./new")).unwrap(), real.join("sub/new"));
        assert_eq!(resolve(&real.join("dangling")).unwrap(), real.join("sub/missing"));
        std::os::unix::fs::symlink(real.join("loop"), real.join("loop")).unwrap();
        assert!(resolve(&real.join("loop")).is_err());
    }
}
