//! Predictions: which items a model still has to score, writing its scores in batches, and reading them
//! back.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::items::HIDDEN_FROM;
use super::{Result, Store, StoreError, now_ms};
use crate::domain::Prediction;
use crate::domain::embedding::dequantize;
use crate::domain::uncertainty::Uncertainty;

/// Labelling actions: an item with one of these (not undone) is no longer pending.
pub(super) const LABELLING: &str = "('accept', 'correct', 'reject', 'resolve', 'machine_accept')";

impl Store {
    /// Streams `(item id, text, vector)` of the items `model` has not scored yet, oldest first, from one
    /// snapshot: only pending items (no labelling decision that was not undone) unless `all`. The vector is
    /// the item's from `encoder` (dequantized), when one is asked for and the item has it.
    pub fn items_to_score<E: From<StoreError>>(
        &mut self,
        model: i64,
        all: bool,
        encoder: Option<i64>,
        mut visit: impl FnMut(i64, &str, Option<&[f32]>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let mut stmt = tx.prepare(&items_to_score_sql(all, encoder.is_some())).map_err(StoreError::from)?;
        let mut rows = match encoder {
            Some(encoder) => stmt.query(params![model, encoder]),
            None => stmt.query([model]),
        }
        .map_err(StoreError::from)?;
        // The text is borrowed from SQLite's row buffer: no copy per item.
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let id: i64 = row.get(0).map_err(StoreError::from)?;
            let text =
                row.get_ref(1).map_err(StoreError::from)?.as_str().map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let vector = match row.get_ref(2).map_err(StoreError::from)?.as_blob_or_null() {
                Ok(Some(bytes)) => dequantize(bytes),
                _ => None,
            };
            visit(id, text, vector.as_deref())?;
        }
        Ok(())
    }

    /// How many items [`Store::items_to_score`] would hand out.
    pub fn count_items_to_score(&self, model: i64, all: bool) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM ({})", items_to_score_sql(all, false));
        let n: i64 = self.conn.query_row(&sql, [model], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// Writes a batch of `model`'s predictions in one transaction (an item it has scored already keeps its
    /// earlier prediction).
    ///
    /// Predictions can always be computed again, so their commits skip the fsync (`synchronous = NORMAL`,
    /// still atomic and never corrupting in WAL mode); decisions keep `FULL`.
    pub fn write_predictions(&mut self, model: i64, batch: &[Prediction]) -> Result<()> {
        self.write_predictions_with(model, batch, "IGNORE")
    }

    /// As [`Store::write_predictions`], replacing earlier predictions of the same items: for items scored
    /// again once they have their sentence vectors.
    pub fn replace_predictions(&mut self, model: i64, batch: &[Prediction]) -> Result<()> {
        self.write_predictions_with(model, batch, "REPLACE")
    }

    fn write_predictions_with(&mut self, model: i64, batch: &[Prediction], conflict: &str) -> Result<()> {
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let written = self.write_predictions_in_transaction(model, batch, conflict);
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        written
    }

    fn write_predictions_in_transaction(&mut self, model: i64, batch: &[Prediction], conflict: &str) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(&format!(
                "INSERT OR {conflict} INTO predictions (model_version_id, item_id, probabilities, least_confident,
                     margin, entropy, vote_entropy, kl_divergence, scored_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))?;
            let at = now_ms();
            let mut blob = Vec::new();
            for p in batch {
                blob.clear();
                blob.extend(p.probabilities.iter().flat_map(|v| v.to_le_bytes()));
                insert.execute(params![
                    model,
                    p.item_id,
                    blob,
                    p.uncertainty.least_confident,
                    p.uncertainty.margin,
                    p.uncertainty.entropy,
                    p.vote_entropy,
                    p.kl_divergence,
                    at
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// `model`'s prediction for one item, if it has scored it.
    pub fn prediction(&self, model: i64, item_id: i64) -> Result<Option<Prediction>> {
        let row = self
            .conn
            .query_row(
                "SELECT probabilities, least_confident, margin, entropy, vote_entropy, kl_divergence
                 FROM predictions WHERE model_version_id = ?1 AND item_id = ?2",
                [model, item_id],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, f32>(1)?,
                        r.get::<_, f32>(2)?,
                        r.get::<_, f32>(3)?,
                        r.get::<_, Option<f32>>(4)?,
                        r.get::<_, Option<f32>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((blob, least_confident, margin, entropy, vote_entropy, kl_divergence)) = row else {
            return Ok(None);
        };
        Ok(Some(Prediction {
            item_id,
            probabilities: floats(&blob)?,
            uncertainty: Uncertainty { least_confident, margin, entropy },
            vote_entropy,
            kl_divergence,
        }))
    }

    /// How many items `model` has scored.
    pub fn prediction_count(&self, model: i64) -> Result<u64> {
        let n: i64 =
            self.conn
                .query_row("SELECT count(*) FROM predictions WHERE model_version_id = ?1", [model], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

fn items_to_score_sql(all: bool, with_vectors: bool) -> String {
    let pending = if all {
        String::new()
    } else {
        format!(
            "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id AND d.action IN {LABELLING}
                 AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))"
        )
    };
    let (vector, join) = if with_vectors {
        ("e.vector", "LEFT JOIN embeddings e ON e.encoder_id = ?2 AND e.item_id = i.id")
    } else {
        ("NULL", "")
    };
    format!(
        "SELECT i.id, i.text, {vector} FROM items i {join}
         WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.model_version_id = ?1 AND p.item_id = i.id)
           AND i.id < {HIDDEN_FROM}
         {pending}
         ORDER BY i.id"
    )
}

/// Little-endian f32s from a blob.
pub(crate) fn floats(blob: &[u8]) -> Result<Vec<f32>> {
    if blob.len() % 4 != 0 {
        return Err(StoreError::Corrupt(format!("a probabilities blob is {} bytes", blob.len())));
    }
    Ok(blob.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}
