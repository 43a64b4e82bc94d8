//! Logging to a file under the XDG state directory, never to the terminal (a running TUI owns it).
//!
//! `MARGIN_LOG` sets the level: error, warn, info (the default), debug or trace. The file is private to
//! its owner (0600), and what is written to it names commands, not the texts, notes or reasons given to
//! them; error messages are masked for personal data before they are logged.

use std::fs::OpenOptions;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::Level;

/// A log file larger than this is moved to `margin.log.1` at start-up, so logs never grow without bound.
const ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// Starts logging to `dir/margin.log`; returns the file's path, or `None` if it cannot be opened (margin
/// then runs without a log rather than not at all).
pub fn init(dir: &Path) -> Option<PathBuf> {
    let level = match std::env::var("MARGIN_LOG").unwrap_or_default().to_ascii_lowercase().as_str() {
        "error" => Level::ERROR,
        "warn" => Level::WARN,
        "debug" => Level::DEBUG,
        "trace" => Level::TRACE,
        _ => Level::INFO,
    };
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join("margin.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(&path, dir.join("margin.log.1"));
    }
    // The log is the user's own: others on a shared machine must not read what margin did.
    let file = OpenOptions::new().create(true).append(true).mode(0o600).open(&path).ok()?;
    let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    tracing_subscriber::fmt().with_writer(Mutex::new(file)).with_ansi(false).with_max_level(level).try_init().ok()?;
    Some(path)
}
