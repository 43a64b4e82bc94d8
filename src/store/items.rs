//! Items: importing them in one transaction, with duplicates detected by content hash and id.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Result, Store, events, labels_to_json, now_ms};
use crate::domain::{NewItem, content_hash, derived_item_id};

/// What happened to one item offered to an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// The same text is already in the project (from this file or an earlier import), under this id.
    DuplicateText { existing_id: String },
    /// The id is already taken by an item with a different text.
    IdTaken { id: String },
}

/// One import in progress: everything added is one transaction, committed by [`ImportWriter::commit`] and
/// rolled back if the writer is dropped without it.
pub struct ImportWriter<'s> {
    tx: Transaction<'s>,
    import_id: i64,
    actor: String,
    source: String,
    format: String,
    added: u64,
    duplicates: u64,
}

impl Store {
    /// Starts an import from `source` (a path, or `-` for standard input). Takes the write lock at once.
    pub fn begin_import(&mut self, source: &str, format: &str, actor: &str) -> Result<ImportWriter<'_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO imports (source, format, imported_by, started_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![source, format, actor, now_ms()],
        )?;
        let import_id = tx.last_insert_rowid();
        Ok(ImportWriter {
            tx,
            import_id,
            actor: actor.to_string(),
            source: source.to_string(),
            format: format.to_string(),
            added: 0,
            duplicates: 0,
        })
    }

    /// How many items the project holds.
    pub fn item_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM items", [], |row| row.get(0))?;
        Ok(n.unsigned_abs())
    }
}

impl ImportWriter<'_> {
    /// Adds one item unless its text or id is already taken.
    pub fn add(&mut self, item: &NewItem) -> Result<AddOutcome> {
        let hash = content_hash(&item.text);
        let ext_id = match &item.ext_id {
            Some(id) => id.clone(),
            None => derived_item_id(&hash),
        };
        let labels = item.reference_labels.as_deref().map(labels_to_json);
        let line = i64::try_from(item.line).unwrap_or(i64::MAX);
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO items (ext_id, text, meta, content_hash, import_id, source_line, reference_labels)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )?
            .execute(params![ext_id, item.text, item.meta, &hash[..], self.import_id, line, labels])?;
        if inserted == 1 {
            self.added += 1;
            return Ok(AddOutcome::Added);
        }
        // Something was in the way: the same text, or the same id with another text.
        let same_text: Option<String> = self
            .tx
            .prepare_cached("SELECT ext_id FROM items WHERE content_hash = ?1")?
            .query_row([&hash[..]], |row| row.get(0))
            .optional()?;
        if let Some(existing_id) = same_text {
            let id_elsewhere = item.ext_id.is_some() && existing_id != ext_id && self.id_exists(&ext_id)?;
            if !id_elsewhere {
                self.duplicates += 1;
                return Ok(AddOutcome::DuplicateText { existing_id });
            }
        }
        Ok(AddOutcome::IdTaken { id: ext_id })
    }

    fn id_exists(&self, ext_id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM items WHERE ext_id = ?1")?
            .query_row([ext_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn added(&self) -> u64 {
        self.added
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Commits everything added, with the import's counts and an audit event.
    pub fn commit(self, rejected: u64) -> Result<()> {
        let ImportWriter { tx, import_id, actor, source, format, added, duplicates } = self;
        tx.execute(
            "UPDATE imports SET added = ?1, duplicates = ?2, rejected = ?3 WHERE id = ?4",
            params![to_i64(added), to_i64(duplicates), to_i64(rejected), import_id],
        )?;
        let payload = serde_json::json!({
            "import_id": import_id,
            "source": source,
            "format": format,
            "added": added,
            "duplicates": duplicates,
            "rejected": rejected,
        });
        events::append(&tx, now_ms(), &actor, "import", None, &payload)?;
        tx.commit()?;
        Ok(())
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
