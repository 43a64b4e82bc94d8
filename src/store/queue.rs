//! The queue's data: the pool of items still to be labelled with the current model's predictions,
//! serving a batch (reserving each item for its annotator with an expiry, and recording why it was
//! picked), releasing reservations, and the machine's own accepts.
//!
//! Serving happens in one write transaction that re-checks every pick, so two people on the same project
//! (two processes, two SSH sessions) never get the same item at the same time beyond the configured
//! overlap, whatever their in-memory view of the pool.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::items::{HIDDEN_FROM, visible_item_count};
use super::predictions::floats;
use super::{Result, Store, StoreError, events, labels_to_json, now_ms};
use crate::domain::audit::event::{AuditEvent, DecisionEvent, MachineAccepted};
use crate::domain::queue::{Pick, Why};
use crate::domain::{DecisionAction, ModelSnapshot, StoredItem};

/// Labelling actions: a decision with one of these (not undone) counts toward an item's labels.
const LABELLING: &str = "('accept', 'correct', 'reject', 'resolve', 'machine_accept')";

/// Machine accepts per write transaction: about 30 ms of holding the write lock (800,000 accepts take 25 s;
/// in one transaction, people's decisions meanwhile failed after the 10 s busy timeout).
const MACHINE_ACCEPT_CHUNK: usize = 1_000;

/// The current model's prediction for an item in the pool, as `scan_pool` shows it (borrowed: nothing
/// is allocated per item).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolRow<'a> {
    /// In the project's label order.
    pub probabilities: &'a [f32],
    pub least_confident: f32,
    pub margin: f32,
    pub entropy: f32,
    pub vote_entropy: Option<f32>,
    pub kl_divergence: Option<f32>,
}

/// What to serve: picks in order of preference, as many as `want` of them that are still free.
#[derive(Debug, Clone)]
pub struct ServeRequest<'a> {
    pub annotator: &'a str,
    /// Picks, each with whether it is an audit of the machine.
    pub picks: &'a [(Pick, bool)],
    pub want: usize,
    pub lease_ms: i64,
    pub overlap: u32,
    pub model: Option<i64>,
}

/// One item served to a person.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedItem {
    pub served_id: i64,
    pub batch_id: i64,
    pub item: StoredItem,
    pub why: Why,
    pub score: f32,
    pub rank: usize,
    pub audit: bool,
    pub model: Option<i64>,
    pub expires_at_ms: i64,
}

/// A machine accept to record.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineAccept {
    pub item_id: i64,
    pub labels: Vec<String>,
    pub confidence: f64,
}

/// How a short list was routed: the routing rules it was kept under (empty when routing by confidence
/// was off; a batch serves from the list only under the same rules) and how many pool items those rules
/// held for experts when it was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShortlistRouting {
    pub rules: String,
    pub for_experts: u64,
}

/// What reading a short list found besides its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortlistScan {
    /// Items still to label in the whole pool, scored or not.
    pub pool: u64,
    /// Pool items held for experts when the list was kept.
    pub for_experts: u64,
}

impl Store {
    /// Visits every item that still needs labels (fewer people labelled it than `overlap`, no open
    /// escalation, and, unless `serve_reference_labelled`, no reference labels): first those `model`
    /// scored, in id order, with their prediction, then any it has not scored, with `None`. Returns how
    /// many were visited.
    ///
    /// Built for a million items: the few items that are not in the pool are found first from the
    /// decisions and escalations (small tables), then one sequential pass over the model's predictions
    /// visits the rest without allocating per item; the items table (texts) is read only when some items
    /// are unscored.
    pub fn scan_pool(
        &mut self,
        model: Option<i64>,
        (overlap, serve_reference_labelled): (u32, bool),
        visit: &mut dyn FnMut(i64, Option<&PoolRow<'_>>),
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let out_of_pool = out_of_pool(&tx, overlap, serve_reference_labelled)?;
        let mut visited = 0u64;
        let mut scored = 0u64;
        let mut probabilities: Vec<f32> = Vec::new();
        if let Some(model) = model {
            let mut stmt = tx.prepare(
                "SELECT item_id, probabilities, least_confident, margin, entropy, vote_entropy, kl_divergence
                 FROM predictions WHERE model_version_id = ?1 ORDER BY item_id",
            )?;
            let mut rows = stmt.query([model])?;
            while let Some(row) = rows.next()? {
                scored += 1;
                let item_id: i64 = row.get(0)?;
                if out_of_pool.contains(&item_id) {
                    continue;
                }
                let prediction = pool_row(row, &mut probabilities)?;
                visit(item_id, Some(&prediction));
                visited += 1;
            }
        }
        let items = visible_item_count(&tx)?;
        if items > scored {
            let mut stmt = tx.prepare(&format!(
                "SELECT i.id FROM items i
                 WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.model_version_id = ?1 AND p.item_id = i.id)
                   AND i.id < {HIDDEN_FROM}
                 ORDER BY i.id"
            ))?;
            let ids = stmt.query_map([model.unwrap_or(-1)], |r| r.get::<_, i64>(0))?;
            for id in ids {
                let id = id?;
                if !out_of_pool.contains(&id) {
                    visit(id, None);
                    visited += 1;
                }
            }
        }
        Ok(visited)
    }

    /// Replaces the short list with `ranked` and `sample` (item ids) for `model`.
    pub fn write_shortlist(
        &mut self,
        model: i64,
        ranked: &[i64],
        sample: &[i64],
        routing: &ShortlistRouting,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM shortlist", [])?;
        tx.execute("DELETE FROM shortlist_routing", [])?;
        {
            let mut insert =
                tx.prepare("INSERT OR IGNORE INTO shortlist (model_version_id, item_id, random) VALUES (?1, ?2, ?3)")?;
            for (ids, random) in [(ranked, false), (sample, true)] {
                for id in ids {
                    insert.execute(params![model, id, random])?;
                }
            }
        }
        tx.execute(
            "INSERT INTO shortlist_routing (model_version_id, rules, for_experts) VALUES (?1, ?2, ?3)",
            params![model, routing.rules, routing.for_experts as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Like `scan_pool`, over `model`'s short list only: the ranked items, then the sample (`visit` is
    /// told which), if the list was kept under `rules` (see [`ShortlistRouting`]). Returns how many items
    /// are in the whole pool (scored or not) and how many the rules held for experts, or `None` when
    /// `model` has no short list kept under `rules`.
    pub fn scan_shortlist(
        &mut self,
        model: i64,
        (overlap, serve_reference_labelled): (u32, bool),
        rules: &str,
        visit: &mut dyn FnMut(i64, &PoolRow<'_>, bool),
    ) -> Result<Option<ShortlistScan>> {
        let tx = self.conn.transaction()?;
        let listed: i64 =
            tx.query_row("SELECT count(*) FROM shortlist WHERE model_version_id = ?1", [model], |r| r.get(0))?;
        // A list kept before its routing was recorded was kept without routing.
        let (kept_under, for_experts): (String, i64) = tx
            .query_row("SELECT rules, for_experts FROM shortlist_routing WHERE model_version_id = ?1", [model], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or_default();
        if listed == 0 || kept_under != rules {
            return Ok(None);
        }
        let out_of_pool = out_of_pool(&tx, overlap, serve_reference_labelled)?;
        // CROSS JOIN keeps the short list outside: left to itself, SQLite may walk all of the model's
        // predictions instead (measured: 278 ms against 40 ms on a million).
        let mut stmt = tx.prepare(
            "SELECT p.item_id, p.probabilities, p.least_confident, p.margin, p.entropy, p.vote_entropy,
                    p.kl_divergence, s.random
             FROM shortlist s CROSS JOIN predictions p
               ON p.model_version_id = s.model_version_id AND p.item_id = s.item_id
             WHERE s.model_version_id = ?1 ORDER BY s.random, s.item_id",
        )?;
        let mut rows = stmt.query([model])?;
        let mut probabilities = Vec::new();
        while let Some(row) = rows.next()? {
            let item_id: i64 = row.get(0)?;
            if out_of_pool.contains(&item_id) {
                continue;
            }
            let random: bool = row.get(7)?;
            let prediction = pool_row(row, &mut probabilities)?;
            visit(item_id, &prediction, random);
        }
        let items = visible_item_count(&tx)?;
        Ok(Some(ShortlistScan {
            pool: items.saturating_sub(out_of_pool.len() as u64),
            for_experts: for_experts as u64,
        }))
    }

    /// The texts of items, for featurizing the few the queue looks at closely.
    pub fn texts(&self, item_ids: &[i64]) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT text FROM items WHERE id = ?1")?;
        item_ids.iter().map(|id| stmt.query_row([id], |r| r.get(0)).map_err(StoreError::from)).collect()
    }

    /// Serves a batch: for each pick in order, reserves the item for the annotator if it is still free,
    /// until `want` are reserved. Expired reservations are released first. Returns what was served.
    pub fn serve(&mut self, request: &ServeRequest<'_>) -> Result<Vec<ServedItem>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_ms();
        tx.execute("DELETE FROM leases WHERE expires_at_ms < ?1", [now])?;
        let batch_id: i64 = tx.query_row("SELECT coalesce(max(batch_id), 0) + 1 FROM served", [], |r| r.get(0))?;
        let expires = now + request.lease_ms;
        let mut served = Vec::new();
        {
            let mut free = tx.prepare(&format!(
                "SELECT
                   (SELECT count(*) FROM leases l WHERE l.item_id = ?1 AND l.annotator = ?2)
                 + (SELECT count(*) FROM decisions d WHERE d.item_id = ?1 AND d.annotator = ?2
                      AND d.action IN {LABELLING} AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)),
                   (SELECT count(DISTINCT annotator) FROM (
                       SELECT l.annotator FROM leases l WHERE l.item_id = ?1
                       UNION
                       SELECT d.annotator FROM decisions d WHERE d.item_id = ?1 AND d.action IN {LABELLING}
                         AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))),
                   EXISTS (SELECT 1 FROM decisions r WHERE r.item_id = ?1 AND r.action = 'resolve'
                      AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = r.id))
                   OR EXISTS (SELECT 1 FROM escalations e WHERE e.item_id = ?1 AND e.closed_at_ms IS NULL),
                   EXISTS (SELECT 1 FROM decisions k WHERE k.item_id = ?1 AND k.annotator = ?2 AND k.action = 'skip'
                      AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = k.id))"
            ))?;
            let mut insert_served = tx.prepare(
                "INSERT INTO served (batch_id, item_id, annotator, reason, score, rank, model_version_id, audit,
                     served_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut insert_lease = tx
                .prepare("INSERT INTO leases (item_id, annotator, served_id, expires_at_ms) VALUES (?1, ?2, ?3, ?4)")?;
            // Items this person skipped come back to them only when nothing else is left.
            let mut skipped_by_me = Vec::new();
            let mut eligible = |pick: &Pick| -> Result<Option<bool>> {
                let (mine, people, settled, skipped): (i64, i64, bool, bool) = free
                    .query_row(params![pick.item_id, request.annotator], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?;
                // A gold check goes to each person once, however many have labelled it.
                let counted = pick.why != Why::Gold && (settled || people >= i64::from(request.overlap));
                if mine > 0 || counted {
                    return Ok(None);
                }
                Ok(Some(skipped))
            };
            let mut order: Vec<&(Pick, bool)> = Vec::with_capacity(request.picks.len());
            for entry in request.picks {
                match eligible(&entry.0)? {
                    Some(false) => order.push(entry),
                    Some(true) => skipped_by_me.push(entry),
                    None => {}
                }
            }
            order.extend(skipped_by_me);
            for (pick, audit) in order {
                if served.len() >= request.want {
                    break;
                }
                let rank = served.len() + 1;
                insert_served.execute(params![
                    batch_id,
                    pick.item_id,
                    request.annotator,
                    pick.why.as_str(),
                    pick.score,
                    rank as i64,
                    request.model,
                    audit,
                    now
                ])?;
                let served_id = tx.last_insert_rowid();
                insert_lease.execute(params![pick.item_id, request.annotator, served_id, expires])?;
                served.push((served_id, pick, *audit, rank));
            }
        }
        let mut items = Vec::with_capacity(served.len());
        for (served_id, pick, audit, rank) in served {
            let item = item_in(&tx, pick.item_id)?;
            items.push(ServedItem {
                served_id,
                batch_id,
                item,
                why: pick.why,
                score: pick.score,
                rank,
                audit,
                model: request.model,
                expires_at_ms: expires,
            });
        }
        tx.commit()?;
        Ok(items)
    }

    /// The items reserved for `annotator` that are still open, in the order they were served.
    pub fn leased_to(&mut self, annotator: &str) -> Result<Vec<ServedItem>> {
        let tx = self.conn.transaction()?;
        let now = now_ms();
        type Row = (i64, i64, i64, String, f32, i64, Option<i64>, bool, i64);
        let rows: Vec<Row> = {
            let mut stmt = tx.prepare(
                "SELECT s.id, s.batch_id, s.item_id, s.reason, s.score, s.rank, s.model_version_id, s.audit,
                        l.expires_at_ms
                 FROM leases l JOIN served s ON s.id = l.served_id
                 WHERE l.annotator = ?1 AND l.expires_at_ms >= ?2 ORDER BY s.batch_id, s.rank",
            )?;
            let rows = stmt.query_map(params![annotator, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut items = Vec::with_capacity(rows.len());
        for (served_id, batch_id, item_id, reason, score, rank, model, audit, expires_at_ms) in rows {
            items.push(ServedItem {
                served_id,
                batch_id,
                item: item_in(&tx, item_id)?,
                why: Why::parse(&reason).ok_or_else(|| StoreError::Corrupt(format!("unknown reason {reason:?}")))?,
                score,
                rank: usize::try_from(rank).unwrap_or(0),
                audit,
                model,
                expires_at_ms,
            });
        }
        Ok(items)
    }

    /// Reserves an item for `annotator` again under the `served` row that first reserved it (after an
    /// undo, the item comes back to the person who undid it).
    pub fn relet(&mut self, served_id: i64, item_id: i64, annotator: &str, lease_ms: i64) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO leases (item_id, annotator, served_id, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![item_id, annotator, served_id, now_ms() + lease_ms],
        )?;
        Ok(())
    }

    /// How many items still to be labelled have a different top label under model `after` than under
    /// `before` (both must have scored them).
    pub fn changed_predictions(&self, before: i64, after: i64) -> Result<u64> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT a.probabilities, b.probabilities FROM predictions a
             JOIN predictions b ON b.item_id = a.item_id AND b.model_version_id = ?2
             WHERE a.model_version_id = ?1
               AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = a.item_id AND d.action IN {LABELLING}
                   AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))"
        ))?;
        let mut rows = stmt.query(params![before, after])?;
        let mut changed = 0;
        let top = |blob: &[u8]| -> Result<usize> {
            let p = floats(blob)?;
            Ok(p.iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1)).map_or(0, |(k, _)| k))
        };
        while let Some(row) = rows.next()? {
            let a: Vec<u8> = row.get(0)?;
            let b: Vec<u8> = row.get(1)?;
            if top(&a)? != top(&b)? {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Gives back every item reserved for `annotator` (when they quit); returns how many.
    pub fn release_leases(&mut self, annotator: &str) -> Result<u64> {
        let n = self.conn.execute("DELETE FROM leases WHERE annotator = ?1", [annotator])?;
        Ok(n as u64)
    }

    /// Extends `annotator`'s reservations by `lease_ms` from now (while they are at work).
    pub fn renew_leases(&mut self, annotator: &str, lease_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE leases SET expires_at_ms = ?1 WHERE annotator = ?2",
            params![now_ms() + lease_ms, annotator],
        )?;
        Ok(())
    }

    /// How many items are reserved right now, by anyone.
    pub fn active_leases(&self) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT count(*) FROM leases WHERE expires_at_ms >= ?1", [now_ms()], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// Records the machine's own accepts, each with its model snapshot and an audit event; items settled
    /// meanwhile are left alone. Returns how many were recorded. Commits every `MACHINE_ACCEPT_CHUNK`
    /// accepts, so people deciding on the same project wait for one chunk, not for the whole pool.
    pub fn record_machine_accepts(&mut self, model: i64, accepts: &[MachineAccept]) -> Result<u64> {
        // A pause between chunks, long enough for a waiting writer (retrying every millisecond) to get in.
        let mut pause = || std::thread::sleep(std::time::Duration::from_millis(3));
        self.record_machine_accepts_in_chunks(model, accepts, MACHINE_ACCEPT_CHUNK, &mut pause)
    }

    /// `record_machine_accepts` with the chunk size given, calling `between` after each commit but the last.
    pub(crate) fn record_machine_accepts_in_chunks(
        &mut self,
        model: i64,
        accepts: &[MachineAccept],
        chunk: usize,
        between: &mut dyn FnMut(),
    ) -> Result<u64> {
        let mut recorded = 0;
        for (i, part) in accepts.chunks(chunk.max(1)).enumerate() {
            if i > 0 {
                between();
            }
            recorded += self.record_machine_accepts_chunk(model, part)?;
        }
        Ok(recorded)
    }

    fn record_machine_accepts_chunk(&mut self, model: i64, accepts: &[MachineAccept]) -> Result<u64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = now_ms();
        let mut recorded = 0;
        let settled_sql = format!(
            "SELECT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = ?1 AND d.action IN {LABELLING}
               AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id))"
        );
        for accept in accepts {
            // Statements prepared once per connection, not once per accept: preparing was most of the cost.
            let settled: bool = tx.prepare_cached(&settled_sql)?.query_row([accept.item_id], |r| r.get(0))?;
            if settled {
                continue;
            }
            let labels = labels_to_json(&accept.labels);
            tx.prepare_cached(
                "INSERT INTO decisions (item_id, annotator, action, labels, model_version_id, predicted_labels,
                     predicted_confidence, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
            )?
            .execute(params![
                accept.item_id,
                MACHINE,
                DecisionAction::MachineAccept.as_str(),
                labels,
                model,
                accept.confidence,
                at
            ])?;
            let id = tx.last_insert_rowid();
            let snapshot =
                ModelSnapshot { version: model, predicted: accept.labels.clone(), confidence: accept.confidence };
            let event = AuditEvent::Decision(DecisionEvent::MachineAccept(MachineAccepted {
                decision_id: id,
                labels: accept.labels.clone(),
                model: snapshot,
            }));
            events::append(&tx, at, MACHINE, Some(accept.item_id), &event)?;
            super::item_state::refresh_item_state(&tx, accept.item_id)?;
            recorded += 1;
        }
        tx.commit()?;
        Ok(recorded)
    }

    /// How many items each batch-so-far has been: the number of batches ever served.
    pub fn batches_served(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row("SELECT coalesce(max(batch_id), 0) FROM served", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

/// The annotator name the machine's own decisions carry.
pub const MACHINE: &str = "margin";

fn item_in(tx: &rusqlite::Transaction<'_>, item_id: i64) -> Result<StoredItem> {
    super::items::item_where(tx, "i.id = ?1", item_id)?.ok_or(StoreError::NoSuchItem(item_id))
}

/// Items not in the pool: labelled by `overlap` people (or more), resolved by an expert, or escalated
/// and waiting; found from the decisions and escalations, which are small next to the items.
pub(super) fn out_of_pool(
    tx: &rusqlite::Transaction<'_>,
    overlap: u32,
    serve_reference_labelled: bool,
) -> Result<HashSet<i64>> {
    // Gold items are served only as unannounced checks (`gold_for`), never as ordinary picks; items that
    // came labelled, when they only train the model (partial indexes find both).
    let reference =
        if serve_reference_labelled { "" } else { "UNION SELECT id FROM items WHERE reference_labels IS NOT NULL" };
    let mut stmt = tx.prepare(&format!(
        "SELECT d.item_id FROM decisions d
         WHERE d.action IN {LABELLING} AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)
         GROUP BY d.item_id
         HAVING count(DISTINCT d.annotator) >= ?1 OR sum(d.action = 'resolve') > 0
         UNION
         SELECT item_id FROM escalations WHERE closed_at_ms IS NULL
         UNION
         SELECT id FROM items WHERE gold = 1
         {reference}"
    ))?;
    let ids = stmt.query_map([overlap], |r| r.get::<_, i64>(0))?;
    let mut out = HashSet::new();
    for id in ids {
        out.insert(id?);
    }
    Ok(out)
}

/// A prediction row (item_id, probabilities, least_confident, margin, entropy, vote_entropy,
/// kl_divergence, ...) as a `PoolRow`, decoding the probabilities into `buffer`.
fn pool_row<'b>(row: &rusqlite::Row<'_>, buffer: &'b mut Vec<f32>) -> Result<PoolRow<'b>> {
    let blob = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
    if blob.len() % 4 != 0 {
        return Err(StoreError::Corrupt(format!("a probabilities blob is {} bytes", blob.len())));
    }
    buffer.clear();
    buffer.extend(blob.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    Ok(PoolRow {
        probabilities: buffer,
        least_confident: row.get(2)?,
        margin: row.get(3)?,
        entropy: row.get(4)?,
        vote_entropy: row.get(5)?,
        kl_divergence: row.get(6)?,
    })
}
