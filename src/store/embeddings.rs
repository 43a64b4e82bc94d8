//! Sentence-encoder vectors: which encoders a project has used, which items still need a vector from the
//! current one, and writing vectors in batches (each its own transaction, so a killed `margin embed`
//! keeps what it wrote and goes on from there).

use rusqlite::{OptionalExtension, params};

use super::items::HIDDEN_FROM;
use super::{Result, Store, StoreError};
use crate::domain::embedding::quantize;

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

    /// Stores the vectors of some items, in one transaction.
    pub fn write_embeddings(&mut self, encoder: i64, vectors: &[(i64, Vec<f32>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
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
