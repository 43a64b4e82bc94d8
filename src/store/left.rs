//! How many items a person has left: the one count the screen's footer, its summary, `margin status` and
//! `margin queue next` show, so that they cannot disagree.
//!
//! An item is left for a person when it is still in the pool (not settled, not escalated, not a reference
//! item that only trains the model), they have not decided it, and nobody else holds it reserved. Items in
//! the person's own batch count until they decide them: a skipped item is still left.

use std::collections::HashSet;

use rusqlite::params;

use super::predictions::LABELLING;
use super::queue::out_of_pool;
use super::visibility::{HIDDEN_FROM, visible_item_count};
use super::{Result, Store, now_ms};

impl Store {
    /// Items `annotator` can still be served under the pool rules `(overlap, serve_reference_labelled)`,
    /// before any routing by confidence (see `app::serve::left_for`).
    pub fn left_for(&mut self, annotator: &str, (overlap, serve_reference_labelled): (u32, bool)) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let mut gone: HashSet<i64> = out_of_pool(&tx, overlap, serve_reference_labelled)?;
        {
            let mut decided = tx.prepare(&format!(
                "SELECT DISTINCT d.item_id FROM decisions d
                 WHERE d.annotator = ?1 AND d.action IN {LABELLING}
                   AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)"
            ))?;
            for id in decided.query_map([annotator], |r| r.get::<_, i64>(0))? {
                gone.insert(id?);
            }
            let mut held = tx.prepare("SELECT item_id FROM leases WHERE annotator <> ?1 AND expires_at_ms >= ?2")?;
            for id in held.query_map(params![annotator, now_ms()], |r| r.get::<_, i64>(0))? {
                gone.insert(id?);
            }
        }
        let hidden_from: i64 = tx.query_row(&format!("SELECT {HIDDEN_FROM}"), [], |r| r.get(0))?;
        let items = visible_item_count(&tx)?;
        let gone_visible = gone.iter().filter(|&&id| id < hidden_from).count() as u64;
        tx.finish()?;
        Ok(items.saturating_sub(gone_visible))
    }

    /// How many pool items the routing rules `rules` held for experts when `model`'s short list was kept
    /// (0 when it has none kept under those rules).
    pub fn held_for_experts(&self, model: i64, rules: &str) -> Result<u64> {
        let held: Option<(String, i64)> = rusqlite::OptionalExtension::optional(self.conn.query_row(
            "SELECT rules, for_experts FROM shortlist_routing WHERE model_version_id = ?1",
            [model],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ))?;
        Ok(held.filter(|(kept_under, _)| kept_under == rules).map_or(0, |(_, n)| n.unsigned_abs()))
    }
}

impl Store {
    /// How many items the batches `batch_ids` served in all (decided or not): a resumed batch's size.
    pub fn served_in_batches(&self, batch_ids: &[i64]) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached("SELECT count(*) FROM served WHERE batch_id = ?1")?;
        let mut ids = batch_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut total = 0u64;
        for id in ids {
            total += stmt.query_row([id], |r| r.get::<_, i64>(0))?.unsigned_abs();
        }
        Ok(total)
    }
}

impl Store {
    /// Gold items `annotator` may be given as a check: never served to them before, not decided by them,
    /// and reserved by nobody. Oldest first; the queue shuffles them.
    pub fn gold_for(&self, annotator: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.id FROM items i
             WHERE i.gold = 1 AND i.id < {HIDDEN_FROM}
               AND NOT EXISTS (SELECT 1 FROM served s WHERE s.item_id = i.id AND s.annotator = ?1)
               AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id AND d.annotator = ?1)
               AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at_ms >= ?2)
             ORDER BY i.id"
        ))?;
        let ids = stmt.query_map(params![annotator, now_ms()], |r| r.get::<_, i64>(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// The last batch id served to anyone (0 before the first): with the person's name, a seed for where
    /// gold checks go in their next batch (the index on batch ids answers it at once).
    pub fn last_batch_id(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT coalesce(max(batch_id), 0) FROM served", [], |r| r.get(0))?)
    }
}
