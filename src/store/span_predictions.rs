//! The spans a span model proposes for the items it scored (`span_predictions`), written beside each
//! item's uncertainty in `predictions`, and read back for the screen's cards.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Result, Store};
use crate::domain::spans::{Proposed, Span};

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSpan {
    start: usize,
    end: usize,
    label: String,
    confidence: f32,
}

impl Store {
    /// Writes `model`'s proposed spans for each item (replacing any it wrote before), in one transaction.
    pub fn write_span_predictions(&mut self, model: i64, items: &[(i64, Vec<Proposed>)]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO span_predictions (model_version_id, item_id, spans) VALUES (?1, ?2, ?3)",
            )?;
            for (item_id, spans) in items {
                let stored: Vec<StoredSpan> = spans
                    .iter()
                    .map(|p| StoredSpan {
                        start: p.span.start,
                        end: p.span.end,
                        label: p.span.label.clone(),
                        confidence: p.confidence.unwrap_or(1.0),
                    })
                    .collect();
                let json = serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into());
                insert.execute(params![model, item_id, json])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// `model`'s proposed spans for each of `item_ids` it scored.
    pub fn span_predictions(&self, model: i64, item_ids: &[i64]) -> Result<HashMap<i64, Vec<Proposed>>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT spans FROM span_predictions WHERE model_version_id = ?1 AND item_id = ?2")?;
        let mut out = HashMap::new();
        for &id in item_ids {
            let found: Option<String> = stmt.query_row(params![model, id], |r| r.get(0)).optional()?;
            let Some(json) = found else { continue };
            let stored: Vec<StoredSpan> = serde_json::from_str(&json).unwrap_or_default();
            let proposed = stored
                .into_iter()
                .map(|s| Proposed {
                    span: Span { start: s.start, end: s.end, label: s.label },
                    confidence: Some(s.confidence),
                })
                .collect();
            out.insert(id, proposed);
        }
        Ok(out)
    }
}
