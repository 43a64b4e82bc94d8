//! The project database: the only module that touches rusqlite.
//!
//! Owns the connection, the PRAGMAs set at open, the append-only migrations, and every read and write of
//! items, decisions, escalations and the audit trail. Writes happen in transactions; writers take the
//! write lock up front (`BEGIN IMMEDIATE`) so several processes on one project queue up instead of failing.
//! Imports only `domain`.

mod dashboard;
mod decision_rows;
mod decisions;
mod embeddings;
mod events;
mod item_state;
mod items;
mod labels;
mod left;
mod models;
mod predictions;
mod queue;
mod report;
mod review;
mod schema;
mod span_predictions;
mod tallies;
mod training;
mod triage;
mod visibility;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use decisions::{DecisionsSince, NewDecision, Reservation};
pub use events::{Broken, BrokenEvent, ChainReport, EventFilter, StoredEvent};
pub use items::{AddOutcome, IMPORT_LOCK_SUFFIX, ImportCounts, ImportEnd, ImportSink};
pub use labels::Renamed;
pub use models::{ModelVersion, NewModelVersion};
pub use queue::{MACHINE, MachineAccept, PoolRow, ServeRequest, ServedItem, ShortlistRouting, ShortlistScan};
pub use report::{LabelCount, StatusReport};
pub use review::Relabelled;
pub use triage::TriageCase;

// Types the store hands out that belong to the domain.
pub use crate::domain::review::ReviewRow;
pub use crate::domain::{ItemView, Prediction};
pub use training::{LabelSource, TrainingExample};

/// How long a writer waits for another process's transaction before giving up, in milliseconds.
const BUSY_TIMEOUT_MS: i32 = 10_000;

/// Waits for another connection's write lock: `tries` waits so far, each 1 ms for the first second, then
/// 5 ms, up to `BUSY_TIMEOUT_MS`. SQLite's own handler backs off to 100 ms between tries and kept missing
/// the moments a long job (the machine's accepts, committed in chunks) let go of the lock: a person's
/// decision waited 8.5 s for 800,000 accepts. Returns whether to try again. Waiting is signalled to a
/// running import (see `items`), which then commits its chunk.
fn wait_for_lock(tries: i32) -> bool {
    let (waited_ms, next_ms) = if tries < 1_000 { (tries, 1) } else { (1_000 + (tries - 1_000) * 5, 5) };
    if waited_ms >= BUSY_TIMEOUT_MS {
        return false;
    }
    // An import holding the lock commits its chunk when it sees someone wait (again every 20 tries, for a
    // wait that began before the import's next chunk).
    if tries % 20 == 0 {
        items::signal_waiting();
    }
    std::thread::sleep(Duration::from_millis(next_ms as u64));
    true
}

/// Page size of new databases.
const PAGE_SIZE: u32 = 16 * 1024;

/// Page cache per connection, in KiB (negative `cache_size` means KiB in SQLite).
const CACHE_KIB: i64 = 64 * 1024;

/// Bytes of the database file a scanning connection reads through a memory map.
const SCAN_MMAP_BYTES: u64 = 1 << 30;

/// Page cache of a connection that only streams through the data once.
const STREAM_CACHE_KIB: i64 = 8 * 1024;

/// Page cache while an import runs: enough to keep a million-item project's indexes in memory, so
/// inserting does not spill pages half-done (an import of 1,000,000 items peaks at about 160 MB).
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: cannot open the database: {source}", path.display())]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "{}: the database is missing, and with it the project's items and decisions (margin.toml is still \
         there). Restore it from a backup (`margin backup FILE` makes one): copy the backup to this path",
        .0.display()
    )]
    Missing(PathBuf),
    #[error(
        "{}: the database is empty: the project's items and decisions are gone. Restore it from a backup \
         (`margin backup FILE` makes one): copy the backup over this file",
        .0.display()
    )]
    Empty(PathBuf),
    #[error("{}: a database is already there; margin will not make a new one over it", .0.display())]
    Exists(PathBuf),
    #[error(
        "{}: this database has schema version {found}, but this margin knows only up to {known}; upgrade margin",
        path.display()
    )]
    TooNew { path: PathBuf, found: u32, known: u32 },
    #[error("{}: cannot bring the database schema up to date: {message}", path.display())]
    Migrate { path: PathBuf, message: String },
    #[error("item {0} does not exist")]
    NoSuchItem(i64),
    /// The item is reserved for someone else by the queue until `until_ms`.
    #[error("the item is reserved for {annotator} until {}", utc(*until_ms))]
    Reserved { annotator: String, until_ms: i64 },
    #[error("{0}")]
    Rejected(String),
    #[error(
        "model version {version} was not made current: the current model, version {current}, learned from newer \
         data (it was trained while this one was)"
    )]
    Superseded { version: i64, current: i64 },
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    #[error(
        "the project's database is read-only for you (no permission to write margin.db or its directory); this \
         command needs to write to it: ask its owner, or work on a copy (`margin backup`)"
    )]
    ReadOnly,
    #[error(
        "the database file is damaged ({0}); run `margin doctor` for what SQLite finds, and restore it from a backup \
         (`margin backup FILE` makes one)"
    )]
    Damaged(#[source] rusqlite::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error(
        "model version {id} in the database: {source}; it was registered by a newer margin (upgrade margin) or changed by hand"
    )]
    UnknownModelKind { id: i64, source: crate::domain::model_kind::UnknownModelKind },
    /// An event's payload could not be written as JSON (nothing was recorded).
    #[error("the {kind} event cannot be written as JSON: {source}")]
    EventPayload { kind: &'static str, source: serde_json::Error },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly,
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => StoreError::Damaged(e),
            _ => StoreError::Sqlite(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open project database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened for reading only: the file or its directory is not writable by this user.
    read_only: bool,
}

impl Store {
    /// Opens the project database at `path`, which must exist and be a margin database, and brings its
    /// schema up to date. A missing or emptied file is an error (only [`Store::create`] makes a database),
    /// so a lost database is never silently replaced by an empty one.
    pub fn open(path: &Path) -> Result<Store> {
        check_present(path)?;
        if !writable(path) {
            return Self::open_for_reading(path);
        }
        Self::open_with(path, false)
    }

    /// Whether this connection only reads (see [`Store::open`]): writes fail with [`StoreError::ReadOnly`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Opens a database this user cannot write, at the schema this margin reads.
    fn open_for_reading(path: &Path) -> Result<Store> {
        let store = Self::open_read_only(path)?;
        let version = store.schema_version()?;
        if version == 0 {
            return Err(StoreError::Empty(path.to_path_buf()));
        }
        if version != schema::LATEST {
            return Err(StoreError::Migrate {
                path: path.to_path_buf(),
                message: format!(
                    "it is at schema version {version} and this margin reads {}, but it is read-only for you; \
                     someone who may write it runs any margin command once to bring it up to date",
                    schema::LATEST
                ),
            });
        }
        Ok(store)
    }

    /// Creates a new project database at `path` (absent, or an empty file made with the right
    /// permissions); refuses one that already holds data.
    pub fn create(path: &Path) -> Result<Store> {
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::Exists(path.to_path_buf()));
        }
        Self::open_with(path, true)
    }

    fn open_with(path: &Path, new: bool) -> Result<Store> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let create = if new { OpenFlags::SQLITE_OPEN_CREATE } else { OpenFlags::empty() };
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | create | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_handler(Some(wait_for_lock)).map_err(open_err)?;
        items::watch_for_imports(path);
        // A file with no margin schema is no project's database: say so before changing anything in it.
        let version: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(open_err)?;
        if !new && version == 0 {
            return Err(StoreError::Empty(path.to_path_buf()));
        }
        // Takes effect only when the file is new; 16 KiB pages make bulk imports about 10% faster.
        conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}")).map_err(open_err)?;
        // journal_mode answers with a row; the other PRAGMAs do not.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                source: rusqlite::Error::InvalidParameterName(format!("journal_mode is {mode}, WAL was refused")),
            });
        }
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -{CACHE_KIB};"
        ))
        .map_err(open_err)?;
        schema::migrate(&mut conn, path)?;
        Ok(Store { conn, path: path.to_path_buf(), read_only: false })
    }

    /// Opens an existing database without changing it: no migration, no PRAGMA that writes. For looking
    /// at a project as it is (`margin doctor`).
    /// A database in WAL mode is read through its -shm file; when that is missing and cannot be made (a
    /// read-only directory), the file is read as it is on disk.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        check_present(path)?;
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_handler(Some(wait_for_lock)).map_err(open_err)?;
        let store = Store { conn, path: path.to_path_buf(), read_only: true };
        match store.schema_version() {
            // SQLite could not set up the -shm file it reads a WAL database through.
            Err(StoreError::ReadOnly) | Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(_, _))) => {
                drop(store);
                let flags =
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
                let conn = Connection::open_with_flags(immutable_uri(path), flags).map_err(open_err)?;
                Ok(Store { conn, path: path.to_path_buf(), read_only: true })
            }
            _ => Ok(store),
        }
    }

    /// Tunes this connection for one pass over much of the database (scoring reads every pending item):
    /// pages are read through a memory map, which spares a copy per page, and the page cache is kept
    /// small since nothing is read twice.
    pub fn tune_for_scan(&self) -> Result<()> {
        self.conn.execute_batch(&format!(
            "PRAGMA mmap_size = {SCAN_MMAP_BYTES}; PRAGMA cache_size = -{STREAM_CACHE_KIB};"
        ))?;
        Ok(())
    }

    /// Tunes this connection for appending many rows it will not read back (predictions): a small page
    /// cache is enough.
    pub fn tune_for_appending(&self) -> Result<()> {
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{STREAM_CACHE_KIB};"))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this database is at.
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// The schema version this margin creates.
    pub fn latest_schema_version() -> u32 {
        schema::LATEST
    }

    /// Copies the whole database to `dest` (a new or empty file) with SQLite's online backup API, as one
    /// consistent snapshot: other connections go on reading and writing meanwhile. Returns the copy's
    /// `PRAGMA integrity_check`.
    pub fn backup_to(&self, dest: &Path) -> Result<Vec<String>> {
        let mut copy =
            Connection::open(dest).map_err(|source| StoreError::Open { path: dest.to_path_buf(), source })?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
            // All pages in one step: one read transaction, so the copy is one moment of the database.
            backup.step(-1)?;
        }
        let copied = Store { conn: copy, path: dest.to_path_buf(), read_only: false };
        copied.integrity_check()
    }

    /// `PRAGMA integrity_check`: `["ok"]` when the file is sound, otherwise what SQLite found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// A time in milliseconds since the epoch as RFC 3339 UTC, to the second, for messages.
fn utc(at_ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Whether this user may write the database file and make files beside it (SQLite's -wal and -shm).
fn writable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let may_write = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            // SAFETY: a valid NUL-terminated path; access only reads it.
            .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    may_write(path) && may_write(dir)
}

/// An SQLite URI that reads `path` as immutable: no locks, no -shm (for a database nobody can write here).
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for byte in absolute.as_os_str().as_encoded_bytes() {
        match byte {
            b'/' | b'-' | b'_' | b'.' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => uri.push(char::from(*byte)),
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Refuses a database file that is gone or was emptied, before SQLite would take it for a new database.
fn check_present(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() == 0 => Err(StoreError::Empty(path.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Missing(path.to_path_buf())),
        // Anything else SQLite reports itself when it tries.
        _ => Ok(()),
    }
}

/// Milliseconds since the Unix epoch, the store's one clock.
pub(crate) fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Reads a JSON array of strings from a nullable column.
pub(crate) fn labels_from_json(text: Option<String>) -> Result<Option<Vec<String>>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("label list {t:?}: {e}"))))
        .transpose()
}

/// A JSON array of labels with `from` renamed `to`; `None` when it does not hold `from` (nothing to write).
pub(crate) fn renamed_labels(json: Option<String>, from: &str, to: &str) -> Result<Option<String>> {
    let Some(labels) = labels_from_json(json)? else { return Ok(None) };
    if !labels.iter().any(|l| l == from) {
        return Ok(None);
    }
    let renamed: Vec<String> = labels.into_iter().map(|l| if l == from { to.to_string() } else { l }).collect();
    Ok(Some(labels_to_json(&renamed)))
}

pub(crate) fn labels_to_json(labels: &[String]) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests;
