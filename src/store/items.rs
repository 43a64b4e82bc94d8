//! Items: importing them in one transaction, with duplicates detected by content key and id.

use rusqlite::{OptionalExtension, Statement, TransactionBehavior, params};

use super::{CACHE_KIB, IMPORT_CACHE_KIB, Result, Store, StoreError, events, labels_from_json, labels_to_json, now_ms};
use crate::domain::item::key_of_derived_id;
use crate::domain::{ContentKey, NewItem, StoredItem, derived_item_id};

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

/// What an import added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: u64,
    pub duplicates: u64,
}

impl Store {
    /// Runs one import from `source` (a path, or `-`) as one transaction: `fill` adds items through the
    /// sink and says whether to commit. The write lock is taken at once and held until the end, so other
    /// writers wait (up to the busy timeout) while readers go on seeing the project as it was.
    pub fn import_items<E: From<StoreError>>(
        &mut self,
        source: &str,
        format: &str,
        actor: &str,
        fill: impl FnOnce(&mut ImportSink<'_>) -> std::result::Result<ImportEnd, E>,
    ) -> std::result::Result<ImportCounts, E> {
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}")).map_err(StoreError::from)?;
        let result = self.import_in_transaction(source, format, actor, fill);
        self.conn.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}")).map_err(StoreError::from)?;
        result
    }

    fn import_in_transaction<E: From<StoreError>>(
        &mut self,
        source: &str,
        format: &str,
        actor: &str,
        fill: impl FnOnce(&mut ImportSink<'_>) -> std::result::Result<ImportEnd, E>,
    ) -> std::result::Result<ImportCounts, E> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let (end, counts, import_id) = {
            let mut sink = ImportSink::new(&tx, source, format, actor)?;
            let end = fill(&mut sink)?;
            (end, sink.counts, sink.import_id)
        };
        let ImportEnd::Commit { rejected } = end else {
            return Ok(counts);
        };
        let update = || -> Result<()> {
            tx.execute(
                "UPDATE imports SET added = ?1, duplicates = ?2, rejected = ?3 WHERE id = ?4",
                params![to_i64(counts.added), to_i64(counts.duplicates), to_i64(rejected), import_id],
            )?;
            let payload = serde_json::json!({
                "import_id": import_id,
                "source": source,
                "format": format,
                "added": counts.added,
                "duplicates": counts.duplicates,
                "rejected": rejected,
            });
            events::append(&tx, now_ms(), actor, "import", None, &payload)?;
            Ok(())
        };
        update()?;
        tx.commit().map_err(StoreError::from)?;
        Ok(counts)
    }

    /// How many items the project holds.
    pub fn item_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM items", [], |row| row.get(0))?;
        Ok(n.unsigned_abs())
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
pub(super) const ITEM_COLUMNS: &str =
    "i.id, i.ext_id, i.content_key, i.text, i.meta, i.reference_labels, i.gold, i.source_line, im.source";

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
    })
}

/// The item matching `condition` (with `?1` bound to `value`), on any connection or transaction.
pub(super) fn item_where(
    conn: &rusqlite::Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<StoredItem>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM items i JOIN imports im ON im.id = i.import_id WHERE {condition}"
    ))?;
    let mut rows = stmt.query([value])?;
    match rows.next()? {
        Some(row) => Ok(Some(stored_item(row)?)),
        None => Ok(None),
    }
}

/// Adds items to an import in progress, with its statements prepared once.
pub struct ImportSink<'t> {
    import_id: i64,
    insert: Statement<'t>,
    by_key: Statement<'t>,
    by_explicit_id: Statement<'t>,
    by_derived_id: Statement<'t>,
    /// Whether some item was given an explicit id that looks like a derived one; only then can an item
    /// without an id clash with an explicit id, so only then is that checked.
    hex_like_ids: bool,
    counts: ImportCounts,
}

/// SQLite's test for "16 lowercase hex digits", the form of a derived id.
const HEX_LIKE: &str = "length(ext_id) = 16 AND ext_id NOT GLOB '*[^0-9a-f]*'";

impl<'t> ImportSink<'t> {
    fn new(tx: &'t rusqlite::Transaction<'_>, source: &str, format: &str, actor: &str) -> Result<Self> {
        tx.execute(
            "INSERT INTO imports (source, format, imported_by, started_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![source, format, actor, now_ms()],
        )?;
        let import_id = tx.last_insert_rowid();
        let hex_like_ids =
            tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM items WHERE {HEX_LIKE})"), [], |row| row.get(0))?;
        Ok(ImportSink {
            import_id,
            insert: tx.prepare(
                "INSERT INTO items (ext_id, text, meta, content_key, import_id, source_line, reference_labels)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )?,
            by_key: tx.prepare("SELECT ext_id, text FROM items WHERE content_key = ?1")?,
            by_explicit_id: tx.prepare("SELECT text FROM items WHERE ext_id = ?1")?,
            by_derived_id: tx.prepare("SELECT text FROM items WHERE content_key = ?1 AND ext_id IS NULL")?,
            hex_like_ids,
            counts: ImportCounts::default(),
        })
    }

    /// Adds one item unless its text or id is already taken.
    pub fn add(&mut self, item: &NewItem) -> Result<AddOutcome> {
        let key = item.content_key;
        // Explicit ids and ids derived from text share one namespace: neither may shadow the other.
        let shadowed = match &item.ext_id {
            None if self.hex_like_ids => self.explicit_id_text(&derived_item_id(key))?,
            None => None,
            Some(id) => match key_of_derived_id(id) {
                Some(other_key) if other_key != key => query_text(&mut self.by_derived_id, other_key)?,
                _ => None,
            },
        };
        if shadowed.is_some_and(|text| text != item.text) {
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
        let same_key: Option<(Option<String>, String)> =
            self.by_key.query_row([key], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
        let Some((existing_ext, existing_text)) = same_key else {
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
        Ok(AddOutcome::DuplicateText { existing_id })
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// The text of the item that was given `id` explicitly, if any.
    fn explicit_id_text(&mut self, id: &str) -> Result<Option<String>> {
        Ok(self.by_explicit_id.query_row([id], |row| row.get(0)).optional()?)
    }
}

fn query_text(stmt: &mut Statement<'_>, key: ContentKey) -> Result<Option<String>> {
    Ok(stmt.query_row([key], |row| row.get(0)).optional()?)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
