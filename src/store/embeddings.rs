//! Sentence-encoder vectors: which encoders a project has used, which items still need a vector from the
//! current one, and writing vectors in batches (each its own transaction, so a killed `margin embed`
//! keeps what it wrote and goes on from there).

use rusqlite::{OptionalExtension, params};

use super::items::HIDDEN_FROM;
use super::{Result, Store, StoreError};
use crate::domain::embedding::{dequantize, quantize};

impl Store {
    /// The id of the encoder known as `identity`, registered on first use.
    pub fn encoder_id(&mut self, identity: &str, dimensions: usize) -> Result<i64> {
        let found: Option<(i64, i64)> = self
            .conn
            .query_row("SELECT id, dimensions FROM encoders WHERE identity = ?1", [identity], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match found {
            Some((id, dims)) if dims == dimensions as i64 => Ok(id),
            Some((_, dims)) => Err(StoreError::Rejected(format!(
                "encoder {identity} was recorded with {dims} dimensions, not {dimensions}"
            ))),
            None => {
                self.conn.execute(
                    "INSERT INTO encoders (identity, dimensions) VALUES (?1, ?2)",
                    params![identity, dimensions as i64],
                )?;
                Ok(self.conn.last_insert_rowid())
            }
        }
    }

    /// Up to `limit` items (id and text) above id `after` with no vector from `encoder` yet, lowest id
    /// first. A run passes the last id it got, so it never walks again over what it has embedded.
    pub fn items_to_embed(&self, encoder: i64, after: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.id, i.text FROM items i
              WHERE i.id > ?3 AND i.id < {HIDDEN_FROM}
                AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.encoder_id = ?1 AND e.item_id = i.id)
              ORDER BY i.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![encoder, limit as i64, after], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` items (id and text) with no vector from `encoder` that matter first: those leased to
    /// someone (about to be shown), then those on the current short list of candidates.
    pub fn urgent_items_to_embed(&self, encoder: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.text FROM (
                 SELECT item_id, 0 AS rank FROM leases
                 UNION ALL
                 SELECT s.item_id, 1 AS rank FROM shortlist s
                  WHERE s.model_version_id = (SELECT CAST(value AS INTEGER) FROM project_state
                                               WHERE key = 'current_model')
             ) u JOIN items i ON i.id = u.item_id
              WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.encoder_id = ?1 AND e.item_id = i.id)
              GROUP BY i.id ORDER BY min(u.rank), i.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![encoder, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The encoder registered last (the one the project uses now), if any.
    pub fn newest_encoder(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row("SELECT max(id) FROM encoders", [], |r| r.get(0))?)
    }

    /// How many items have a vector from `encoder`.
    pub fn embedded_count(&self, encoder: i64) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT count(*) FROM embeddings WHERE encoder_id = ?1", [encoder], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// Each encoder the project has vectors from (its identity) with how many, most first.
    pub fn embedding_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT n.identity, count(*) FROM embeddings e JOIN encoders n ON n.id = e.encoder_id
              GROUP BY n.id ORDER BY count(*) DESC, n.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs())))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The vectors from `encoder` of those of `items` that have one, by item id.
    pub fn vectors_of(&self, encoder: i64, items: &[i64]) -> Result<std::collections::HashMap<i64, Vec<f32>>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT vector FROM embeddings WHERE encoder_id = ?1 AND item_id = ?2")?;
        let mut found = std::collections::HashMap::with_capacity(items.len());
        for &item in items {
            let bytes: Option<Vec<u8>> = stmt.query_row(params![encoder, item], |r| r.get(0)).optional()?;
            if let Some(bytes) = bytes {
                let vector = dequantize(&bytes)
                    .ok_or_else(|| StoreError::Corrupt(format!("the stored vector of item {item} is unreadable")))?;
                found.insert(item, vector);
            }
        }
        Ok(found)
    }

    /// Stores the vectors of some items, in one transaction. Vectors can always be computed again, so the
    /// commit skips the fsync (`synchronous = NORMAL`, still atomic in WAL mode) and holds the write lock,
    /// which a person's save may be waiting for, as briefly as it can; decisions keep `FULL`.
    pub fn write_embeddings(&mut self, encoder: i64, vectors: &[(i64, Vec<f32>)]) -> Result<()> {
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let written = self.write_embeddings_in_transaction(encoder, vectors);
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        written
    }

    fn write_embeddings_in_transaction(&mut self, encoder: i64, vectors: &[(i64, Vec<f32>)]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO embeddings (encoder_id, item_id, vector) VALUES (?1, ?2, ?3)",
            )?;
            for (item_id, vector) in vectors {
                insert.execute(params![encoder, item_id, quantize(vector)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
