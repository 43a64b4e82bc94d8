//! Items: importing them, with duplicates detected by content key and id, and finding them.
//!
//! An import commits in chunks, so people deciding on the same project never wait for the whole import;
//! yet it stays all-or-nothing. A chunk ends as soon as another writer waits for the lock (every margin
//! connection that waits says so by touching the import's lock file, which the import watches), or after
//! [`MAX_CHUNK`]: committing costs a rewrite of the index pages the chunk touched, so chunks are only as
//! short as waiting people need. Its items are hidden from
//! every reader (the queue, status, export, training, scoring) until it completes: they get ids from
//! `import_hidden_from` (in `project_state`) upwards, and readers keep `i.id < HIDDEN_FROM`. Completing is
//! one small transaction that removes the key; an import that fails, is refused or was killed has its
//! items removed (the next import removes a killed one's). One import runs at a time, under a lock file
//! beside the database that the system releases if its process dies.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

pub(crate) use super::visibility::{HIDDEN_FROM, visible_item_count};
use super::{CACHE_KIB, IMPORT_CACHE_KIB, Result, Store, StoreError, events, labels_from_json, labels_to_json, now_ms};
use crate::domain::audit::event::{AuditEvent, Import, ReferenceLabels};
use crate::domain::item::key_of_derived_id;
use crate::domain::{NewItem, StoredItem, derived_item_id};

/// The longest an import chunk holds the write lock when nobody waits for it.
const MAX_CHUNK: Duration = Duration::from_millis(500);

/// How many items an import adds between two looks at whether someone waits.
const LOOK_EVERY: u64 = 256;

/// A pause after each chunk, long enough for a waiting writer (retrying every millisecond) to get in.
const BETWEEN_CHUNKS: Duration = Duration::from_millis(2);

/// Rows removed per transaction when an import's hidden items are taken out.
const REMOVE_CHUNK: i64 = 20_000;

/// The lock file beside the database that keeps imports one at a time.
pub const IMPORT_LOCK_SUFFIX: &str = "-import.lock";

/// What happened to one item offered to an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// The same text is already in the project (from this file or an earlier import), under this id.
    DuplicateText {
        existing_id: String,
    },
    /// The id is already taken by an item with a different text.
    IdTaken {
        id: String,
    },
    /// A different text already has this text's content key (odds of about one in 10^19 per pair).
    KeyCollision {
        existing_id: String,
    },
}

/// How an import ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportEnd {
    /// Keep what was added; `rejected` bad records were left out.
    Commit { rejected: u64 },
    /// Write nothing at all.
    RollBack,
}

/// What an import added, and what it found about the items it already had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: u64,
    pub duplicates: u64,
    /// Duplicates whose reference labels in the file differ from the stored ones.
    pub labels_differ: u64,
    /// Of those, the ones whose stored reference labels were replaced (`update_labels`).
    pub labels_updated: u64,
    /// Of those, gold items, whose labels an expert set and an import never replaces.
    pub gold_kept: u64,
    /// Items a killed import had left hidden, removed before this one began.
    pub interrupted_removed: u64,
}

impl Store {
    /// Runs one import from `source` (a path, or `-`): `fill` adds items through the sink and says whether
    /// to commit. All or nothing: the items are hidden until the end commits them at once, and removed if
    /// `fill` fails or asks to roll back. Waits while another import of the project runs.
    pub fn import_items<E: From<StoreError>>(
        &mut self,
        source: &str,
        format: &str,
        actor: &str,
        fill: impl FnOnce(&mut ImportSink<'_>) -> std::result::Result<ImportEnd, E>,
    ) -> std::result::Result<ImportCounts, E> {
        let lock = ImportLock::acquire(&self.path)?;
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}")).map_err(StoreError::from)?;
        let waiters = lock.file.try_clone().map_err(|e| StoreError::Rejected(format!("the import lock: {e}")))?;
        let result = self.import_in_chunks(source, format, actor, waiters, fill);
        drop(lock);
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}")).map_err(StoreError::from)?;
        result
    }

    fn import_in_chunks<E: From<StoreError>>(
        &mut self,
        source: &str,
        format: &str,
        actor: &str,
        waiters: std::fs::File,
        fill: impl FnOnce(&mut ImportSink<'_>) -> std::result::Result<ImportEnd, E>,
    ) -> std::result::Result<ImportCounts, E> {
        let interrupted_removed = self.remove_hidden_items()?;
        let mut sink = ImportSink::new(&self.conn, source, format, actor, waiters)?;
        let end = fill(&mut sink);
        let (closed, committed_any) = match end {
            Ok(ImportEnd::Commit { rejected }) => (sink.finish(rejected), sink.committed_any),
            _ => (sink.abandon(), sink.committed_any),
        };
        let counts = ImportCounts { interrupted_removed, ..sink.counts };
        drop(sink);
        // Copy the import's pages from the WAL into the database now, while others may write (a passive
        // checkpoint never blocks them), rather than when this connection closes, when it would.
        let _ = self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        let kept = matches!((&end, &closed), (Ok(ImportEnd::Commit { .. }), Ok(())));
        // Chunks already committed stay hidden until removed: by this import now, or by the next one.
        if !kept && committed_any {
            self.remove_hidden_items()?;
        }
        match (end, closed) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e.into()),
            (Ok(_), Ok(())) => Ok(counts),
        }
    }

    /// Removes the items an unfinished import holds (this one's, or a killed one's) and its record, in
    /// chunks; returns how many there were. The caller holds the import lock.
    fn remove_hidden_items(&mut self) -> Result<u64> {
        let state = |conn: &Connection, key: &str| -> Result<Option<i64>> {
            let value: Option<String> =
                conn.query_row("SELECT value FROM project_state WHERE key = ?1", [key], |r| r.get(0)).optional()?;
            Ok(value.and_then(|v| v.parse().ok()))
        };
        let Some(from) = state(&self.conn, "import_hidden_from")? else { return Ok(0) };
        // Hidden items have nothing referring to them (no reader ever saw them), and checking each deleted
        // row's references would scan the predictions table once per row.
        self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        let removed = self.remove_items_from(from, &state);
        self.conn.execute_batch("PRAGMA foreign_keys = ON")?;
        removed
    }

    fn remove_items_from(
        &mut self,
        from: i64,
        state: &dyn Fn(&Connection, &str) -> Result<Option<i64>>,
    ) -> Result<u64> {
        let mut removed = 0u64;
        loop {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE id >= ?1 ORDER BY id DESC LIMIT ?2)",
                params![from, REMOVE_CHUNK],
            )?;
            removed += n as u64;
            if n == 0 {
                if let Some(import_id) = state(&tx, "import_running")? {
                    tx.execute("DELETE FROM imports WHERE id = ?1", [import_id])?;
                }
                tx.execute("DELETE FROM project_state WHERE key IN ('import_hidden_from', 'import_running')", [])?;
                tx.commit()?;
                return Ok(removed);
            }
            tx.commit()?;
            std::thread::sleep(BETWEEN_CHUNKS);
        }
    }

    /// How many items the project holds.
    pub fn item_count(&self) -> Result<u64> {
        visible_item_count(&self.conn)
    }

    /// The item with id `id`: one the source gave, or one derived from its text.
    pub fn find_item(&self, id: &str) -> Result<Option<StoredItem>> {
        let by_explicit = item_where(&self.conn, "i.ext_id = ?1", id)?;
        if by_explicit.is_some() {
            return Ok(by_explicit);
        }
        match key_of_derived_id(id) {
            Some(key) => item_where(&self.conn, "i.content_key = ?1 AND i.ext_id IS NULL", key),
            None => Ok(None),
        }
    }

    /// The item with internal id `item_id`.
    pub fn item(&self, item_id: i64) -> Result<Option<StoredItem>> {
        item_where(&self.conn, "i.id = ?1", item_id)
    }
}

/// The item columns, first in any SELECT over `items i JOIN imports im`, that `stored_item` reads.
pub(super) const ITEM_COLUMNS: &str = "i.id, i.ext_id, i.content_key, i.text, i.meta, i.reference_labels, i.gold, i.source_line, im.source, i.gold_rationale";

/// An item from a row that starts with `ITEM_COLUMNS`.
pub(super) fn stored_item(row: &rusqlite::Row<'_>) -> Result<StoredItem> {
    let key: i64 = row.get(2)?;
    Ok(StoredItem {
        id: row.get(0)?,
        ext_id: row.get::<_, Option<String>>(1)?.unwrap_or_else(|| derived_item_id(key)),
        text: row.get(3)?,
        meta: row.get(4)?,
        reference_labels: labels_from_json(row.get(5)?)?,
        gold: row.get(6)?,
        line: row.get(7)?,
        source: row.get(8)?,
        gold_rationale: row.get(9)?,
    })
}

/// The visible item matching `condition` (with `?1` bound to `value`), on any connection or transaction.
pub(super) fn item_where(
    conn: &rusqlite::Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<StoredItem>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM items i JOIN imports im ON im.id = i.import_id
         WHERE {condition} AND i.id < {HIDDEN_FROM}"
    ))?;
    let mut rows = stmt.query([value])?;
    match rows.next()? {
        Some(row) => Ok(Some(stored_item(row)?)),
        None => Ok(None),
    }
}

/// Adds items to an import in progress, committing chunk by chunk (see the module). Its checks see every item, the hidden
/// ones of this import included.
pub struct ImportSink<'c> {
    conn: &'c Connection,
    source: String,
    format: String,
    actor: String,
    /// The import's row, once its first chunk has begun (rolled back with it, if that one is).
    import_id: Option<i64>,
    /// Whether a chunk was committed: then the import's items are in the database, hidden.
    committed_any: bool,
    /// When the open chunk's transaction began, if one is open, by both clocks (the lock file's time is
    /// compared with the wall clock).
    chunk_started: Option<(Instant, SystemTime)>,
    /// Items added in the open chunk.
    in_chunk: u64,
    /// The import lock file, whose modification time waiting writers set.
    waiters: std::fs::File,
    /// Whether some item was given an explicit id that looks like a derived one; only then can an item
    /// without an id clash with an explicit id, so only then is that checked.
    hex_like_ids: bool,
    /// Replace the stored reference labels of duplicates whose file labels differ (gold items excepted).
    update_labels: bool,
    counts: ImportCounts,
    // Prepared once: a statement outlives the chunks' transactions, and preparing per item (even from the
    // connection's cache) cost a tenth of the import.
    insert: rusqlite::Statement<'c>,
    by_key: rusqlite::Statement<'c>,
    by_explicit_id: rusqlite::Statement<'c>,
    by_derived_id: rusqlite::Statement<'c>,
}

/// SQLite's test for "16 lowercase hex digits", the form of a derived id.
const HEX_LIKE: &str = "length(ext_id) = 16 AND ext_id NOT GLOB '*[^0-9a-f]*'";

const INSERT: &str = "INSERT INTO items (ext_id, text, meta, content_key, import_id, source_line, reference_labels)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING";

impl<'c> ImportSink<'c> {
    fn new(conn: &'c Connection, source: &str, format: &str, actor: &str, waiters: std::fs::File) -> Result<Self> {
        let hex_like_ids =
            conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM items WHERE {HEX_LIKE})"), [], |row| row.get(0))?;
        Ok(ImportSink {
            conn,
            source: source.to_string(),
            format: format.to_string(),
            actor: actor.to_string(),
            import_id: None,
            committed_any: false,
            chunk_started: None,
            in_chunk: 0,
            waiters,
            hex_like_ids,
            update_labels: false,
            counts: ImportCounts::default(),
            insert: conn.prepare(INSERT)?,
            by_key: conn
                .prepare("SELECT id, ext_id, text, reference_labels, gold FROM items WHERE content_key = ?1")?,
            by_explicit_id: conn.prepare("SELECT text FROM items WHERE ext_id = ?1")?,
            by_derived_id: conn.prepare("SELECT text FROM items WHERE content_key = ?1 AND ext_id IS NULL")?,
        })
    }

    /// Whether duplicates bring their file's reference labels (audited, item by item; gold items keep theirs).
    pub fn update_labels(&mut self, yes: bool) {
        self.update_labels = yes;
    }

    /// Adds one item unless its text or id is already taken.
    pub fn add(&mut self, item: &NewItem) -> Result<AddOutcome> {
        self.open_chunk()?;
        let outcome = self.add_in_chunk(item)?;
        if self.chunk_is_done() {
            self.commit_chunk()?;
        }
        Ok(outcome)
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Commits the open chunk if someone waits to write: for a caller that has nothing to add for a
    /// moment (its input is slow), so nobody waits on it meanwhile.
    pub fn let_waiting_writers_in(&mut self) -> Result<()> {
        let waited = self.chunk_started.is_some_and(|(_, wall)| self.someone_waits_since(wall));
        if waited {
            self.commit_chunk()?;
        }
        Ok(())
    }

    /// Whether a writer waiting for the database has said so since `since`.
    fn someone_waits_since(&self, since: SystemTime) -> bool {
        self.waiters.metadata().and_then(|m| m.modified()).is_ok_and(|touched| touched >= since)
    }

    fn commit_chunk(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.chunk_started = None;
        self.committed_any = true;
        std::thread::sleep(BETWEEN_CHUNKS);
        Ok(())
    }

    /// Opens a chunk's transaction if none is open; the first one records the import and marks where its
    /// (hidden) items begin. An import that fails within its first chunk so writes nothing at all.
    fn open_chunk(&mut self) -> Result<()> {
        if self.chunk_started.is_some() {
            return Ok(());
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.chunk_started = Some((Instant::now(), SystemTime::now()));
        self.in_chunk = 0;
        if self.import_id.is_none() {
            self.conn.execute(
                "INSERT INTO imports (source, format, imported_by, started_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![self.source, self.format, self.actor, now_ms()],
            )?;
            let import_id = self.conn.last_insert_rowid();
            self.conn.execute(
                "INSERT INTO project_state (key, value)
                 SELECT 'import_hidden_from', CAST(coalesce(max(id), 0) + 1 AS TEXT) FROM items",
                [],
            )?;
            self.conn.execute(
                "INSERT INTO project_state (key, value) VALUES ('import_running', ?1)",
                [import_id.to_string()],
            )?;
            self.import_id = Some(import_id);
        }
        Ok(())
    }

    /// Completes the import: its counts, its audit event and its items made visible, in the open chunk's
    /// transaction (one transaction in all for an import shorter than a chunk).
    fn finish(&mut self, rejected: u64) -> Result<()> {
        let result = self.finish_in_chunk(rejected);
        if result.is_err() {
            let _ = self.abandon();
        }
        result
    }

    fn finish_in_chunk(&mut self, rejected: u64) -> Result<()> {
        self.open_chunk()?;
        let import_id = self.import_id.ok_or_else(|| StoreError::Corrupt("an import without its record".into()))?;
        let counts = self.counts;
        self.conn.execute(
            "UPDATE imports SET added = ?1, duplicates = ?2, rejected = ?3 WHERE id = ?4",
            params![to_i64(counts.added), to_i64(counts.duplicates), to_i64(rejected), import_id],
        )?;
        let event = AuditEvent::Import(Import {
            import_id,
            source: self.source.clone(),
            format: self.format.clone(),
            added: counts.added,
            duplicates: counts.duplicates,
            rejected,
            reference_labels_updated: counts.labels_updated,
        });
        events::append(self.conn, now_ms(), &self.actor, None, &event)?;
        self.conn.execute("DELETE FROM project_state WHERE key IN ('import_hidden_from', 'import_running')", [])?;
        self.conn.execute_batch("COMMIT")?;
        self.chunk_started = None;
        Ok(())
    }

    /// Rolls back the open chunk, if any.
    fn abandon(&mut self) -> Result<()> {
        if self.chunk_started.take().is_some() {
            self.conn.execute_batch("ROLLBACK")?;
            if !self.committed_any {
                self.import_id = None;
            }
        }
        Ok(())
    }

    /// Whether to commit the open chunk now: someone waits for the lock, or it has run [`MAX_CHUNK`].
    fn chunk_is_done(&mut self) -> bool {
        let Some((started, wall)) = self.chunk_started else { return false };
        self.in_chunk += 1;
        if self.in_chunk % LOOK_EVERY != 0 {
            return false;
        }
        started.elapsed() >= MAX_CHUNK || self.someone_waits_since(wall)
    }

    fn add_in_chunk(&mut self, item: &NewItem) -> Result<AddOutcome> {
        let key = item.content_key;
        // Explicit ids and ids derived from text share one namespace: neither may shadow the other.
        let shadowed = match &item.ext_id {
            None if self.hex_like_ids => self.explicit_id_text(&derived_item_id(key))?,
            None => None,
            Some(id) => match key_of_derived_id(id) {
                Some(other_key) if other_key != key => {
                    self.by_derived_id.query_row([other_key], |row| row.get(0)).optional()?
                }
                _ => None,
            },
        };
        if shadowed.is_some_and(|text: String| text != item.text) {
            let id = item.ext_id.clone().unwrap_or_else(|| derived_item_id(key));
            return Ok(AddOutcome::IdTaken { id });
        }

        let labels = item.reference_labels.as_deref().map(labels_to_json);
        let line = to_i64(item.line);
        let inserted =
            self.insert.execute(params![item.ext_id, item.text, item.meta, key, self.import_id, line, labels])?;
        if inserted == 1 {
            self.counts.added += 1;
            if item.ext_id.as_deref().is_some_and(|id| key_of_derived_id(id).is_some()) {
                self.hex_like_ids = true;
            }
            return Ok(AddOutcome::Added);
        }

        // Something was in the way: the same text, or the same id with another text.
        let same_key = self
            .by_key
            .query_row([key], |row| {
                Ok(ItemWithKey {
                    id: row.get(0)?,
                    ext_id: row.get(1)?,
                    text: row.get(2)?,
                    reference_labels: row.get(3)?,
                    gold: row.get(4)?,
                })
            })
            .optional()?;
        let Some(ItemWithKey {
            id: existing,
            ext_id: existing_ext,
            text: existing_text,
            reference_labels: stored_labels,
            gold,
        }) = same_key
        else {
            return Ok(AddOutcome::IdTaken { id: item.ext_id.clone().unwrap_or_else(|| derived_item_id(key)) });
        };
        let existing_id = existing_ext.unwrap_or_else(|| derived_item_id(key));
        if existing_text != item.text {
            return Ok(AddOutcome::KeyCollision { existing_id });
        }
        if let Some(id) = &item.ext_id {
            if *id != existing_id && self.explicit_id_text(id)?.is_some() {
                return Ok(AddOutcome::IdTaken { id: id.clone() });
            }
        }
        self.counts.duplicates += 1;
        let stored = labels_from_json(stored_labels)?;
        if let Some(given) = item.reference_labels.as_ref().filter(|given| stored.as_ref() != Some(*given)) {
            self.counts.labels_differ += 1;
            if gold {
                self.counts.gold_kept += 1;
            } else if self.update_labels {
                self.replace_labels(existing, stored.as_deref(), given)?;
            }
        }
        Ok(AddOutcome::DuplicateText { existing_id })
    }

    /// Gives an item the reference labels its file now carries, with an audit event saying what they were.
    fn replace_labels(&mut self, item_id: i64, before: Option<&[String]>, after: &[String]) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE items SET reference_labels = ?1 WHERE id = ?2")?
            .execute(params![labels_to_json(after), item_id])?;
        let (before, after) = (before.map(<[String]>::to_vec), after.to_vec());
        let event = AuditEvent::ReferenceLabels(ReferenceLabels { import_id: self.import_id, before, after });
        // In the chunk's transaction, with the change it records.
        events::append(self.conn, now_ms(), &self.actor, Some(item_id), &event)?;
        self.counts.labels_updated += 1;
        Ok(())
    }

    /// The text of the item that was given `id` explicitly, if any.
    fn explicit_id_text(&mut self, id: &str) -> Result<Option<String>> {
        Ok(self.by_explicit_id.query_row([id], |row| row.get(0)).optional()?)
    }
}

/// The lock that keeps one import at a time: an exclusive `flock` on a file beside the database, released
/// by the system when its process ends, however it ends. Writers waiting for the database touch it.
struct ImportLock {
    file: std::fs::File,
}

impl ImportLock {
    /// Takes the lock, waiting for an import that holds it.
    fn acquire(db: &Path) -> Result<ImportLock> {
        let mut name = db.as_os_str().to_os_string();
        name.push(IMPORT_LOCK_SUFFIX);
        let path = PathBuf::from(name);
        let failed =
            |e: std::io::Error| StoreError::Rejected(format!("{}: cannot take the import lock: {e}", path.display()));
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(failed)?;
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(ImportLock { file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(failed(e));
            }
        }
    }
}

/// The import lock files of the databases this process opened, for [`signal_waiting`].
static LOCK_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remembers `db`'s import lock file, so a wait for `db`'s write lock can be signalled to its import.
pub(super) fn watch_for_imports(db: &Path) {
    let mut name = db.as_os_str().to_os_string();
    name.push(IMPORT_LOCK_SUFFIX);
    let file = PathBuf::from(name);
    if let Ok(mut files) = LOCK_FILES.lock() {
        if !files.contains(&file) {
            files.push(file);
        }
    }
}

/// Tells a running import that a writer waits: sets the modification time of the import lock files of
/// the databases this process opened (those that exist; none is made).
pub(super) fn signal_waiting() {
    let Ok(files) = LOCK_FILES.lock() else { return };
    for file in files.iter() {
        if let Ok(f) = std::fs::OpenOptions::new().write(true).open(file) {
            let _ = f.set_modified(SystemTime::now());
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An item already in the database whose key an imported item shares.
struct ItemWithKey {
    id: i64,
    ext_id: Option<String>,
    text: String,
    /// As stored: a JSON array, or none.
    reference_labels: Option<String>,
    gold: bool,
}
