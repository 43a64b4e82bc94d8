//! Reading the project back: the status summary and a streaming walk over items with their decisions.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::decision_rows::{DECISION_COLUMNS, RawDecision, row_to_raw};
use super::items::{HIDDEN_FROM, visible_item_count};
use super::items::{ITEM_COLUMNS, stored_item};
use super::predictions::floats;
use super::{Result, Store, StoreError, labels_from_json};
use crate::domain::review::ReviewStatus;
use crate::domain::tally::TallyKind;
use crate::domain::uncertainty::Uncertainty;
use crate::domain::{Decision, ItemView, Prediction, StoredItem, outcome};

/// How many items carry a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelCount {
    pub label: String,
    pub count: u64,
}

/// Where the project stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub items: u64,
    pub pending: u64,
    pub decided: u64,
    pub disputed: u64,
    pub escalated: u64,
    pub gold: u64,
    pub decisions: u64,
    pub annotators: u64,
    pub imports: u64,
    pub models: u64,
    pub current_model: Option<i64>,
    /// The current model's cross-validated accuracy, if it was measured.
    pub model_accuracy: Option<f64>,
    /// Items the current model has scored.
    pub scored: u64,
    /// Decided items per label, in the project's label order (labels no longer configured come last).
    pub labels: Vec<LabelCount>,
    /// Items per imported reference label.
    pub reference_labels: Vec<LabelCount>,
}

impl Store {
    /// Counts items by outcome and label. `label_order` is the project's label list.
    pub fn status(&mut self, label_order: &[String]) -> Result<StatusReport> {
        let tx = self.conn.transaction()?;
        let count =
            |sql: &str| -> Result<u64> { Ok(tx.query_row(sql, [], |row| row.get::<_, i64>(0))?.unsigned_abs()) };
        let items = visible_item_count(&tx)?;
        let gold = count(&format!("SELECT count(*) FROM items WHERE gold = 1 AND id < {HIDDEN_FROM}"))?;
        let decisions = count("SELECT count(*) FROM decisions")?;
        let annotators = count("SELECT count(DISTINCT annotator) FROM decisions")?;
        // An import still running is not one yet, nor one that added nothing (every item a duplicate).
        let imports = count(
            "SELECT count(*) FROM imports WHERE added > 0 AND id NOT IN
               (SELECT CAST(value AS INTEGER) FROM project_state WHERE key = 'import_running')",
        )?;
        let models = count("SELECT count(*) FROM model_versions")?;
        let current_model: Option<i64> = tx
            .query_row("SELECT value FROM project_state WHERE key = 'current_model'", [], |row| row.get::<_, String>(0))
            .ok()
            .and_then(|v| v.parse().ok());

        let model_accuracy = match current_model {
            Some(id) => tx
                .query_row("SELECT metrics FROM model_versions WHERE id = ?1", [id], |r| r.get::<_, String>(0))
                .ok()
                .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
                .and_then(|m| m.get("accuracy").and_then(serde_json::Value::as_f64)),
            None => None,
        };
        let scored = match current_model {
            Some(id) => tx
                .query_row("SELECT count(*) FROM predictions WHERE model_version_id = ?1", [id], |r| {
                    r.get::<_, i64>(0)
                })?
                .unsigned_abs(),
            None => 0,
        };
        let (outcomes, per_label) = outcome_counts(&tx)?;
        let reference = reference_counts(&tx)?;
        tx.finish()?;

        let [decided, disputed, escalated] = outcomes;
        Ok(StatusReport {
            items,
            pending: items - decided - disputed - escalated,
            decided,
            disputed,
            escalated,
            gold,
            decisions,
            annotators,
            imports,
            models,
            current_model,
            model_accuracy,
            scored,
            labels: in_label_order(label_order, per_label, true),
            reference_labels: in_label_order(label_order, reference, false),
        })
    }

    /// Decided items per label and items per reference label, in the project's label order (see
    /// [`StatusReport`]): the part of the status the dashboard draws.
    pub fn label_counts(&mut self, label_order: &[String]) -> Result<(Vec<LabelCount>, Vec<LabelCount>)> {
        let tx = self.conn.transaction()?;
        let (_, decided) = outcome_counts(&tx)?;
        let reference = reference_counts(&tx)?;
        tx.finish()?;
        Ok((in_label_order(label_order, decided, true), in_label_order(label_order, reference, false)))
    }

    /// Calls `visit` for every item (oldest first) with its decisions, outcome and, if `model` is given,
    /// that model's prediction, from one consistent snapshot of the database. Memory stays flat: items and
    /// decisions are streamed side by side.
    pub fn for_each_item<E: From<StoreError>>(
        &mut self,
        model: Option<i64>,
        mut visit: impl FnMut(&ItemView<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let tx = self.conn.transaction().map_err(StoreError::from)?;
        let open = open_escalations(&tx)?;
        let mut item_stmt = tx
            .prepare(&format!(
                "SELECT {ITEM_COLUMNS}, p.probabilities, p.least_confident, p.margin, p.entropy, p.vote_entropy,
                            p.kl_divergence
                     FROM items i JOIN imports im ON im.id = i.import_id
                     LEFT JOIN predictions p ON p.model_version_id = ?1 AND p.item_id = i.id
                     WHERE i.id < {HIDDEN_FROM}
                     ORDER BY i.id"
            ))
            .map_err(StoreError::from)?;
        let mut decision_stmt =
            tx.prepare(&format!("{DECISION_COLUMNS} ORDER BY item_id, id")).map_err(StoreError::from)?;
        let mut decisions = DecisionRuns::new(decision_stmt.query_map([], row_to_raw).map_err(StoreError::from)?);
        let mut rows = item_stmt.query([model.unwrap_or(-1)]).map_err(StoreError::from)?;
        let mut group = Vec::new();
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let (item, prediction) = read_item_row(row)?;
            decisions.take_for(item.id, &mut group)?;
            let result = outcome(&group, open.contains(&item.id));
            visit(&ItemView { item: &item, decisions: &group, outcome: &result, prediction: prediction.as_ref() })?;
        }
        Ok(())
    }
}

fn read_item_row(row: &rusqlite::Row<'_>) -> Result<(StoredItem, Option<Prediction>)> {
    let item = stored_item(row)?;
    let id = item.id;
    let prediction = match row.get::<_, Option<Vec<u8>>>(10)? {
        Some(blob) => Some(Prediction {
            item_id: id,
            probabilities: floats(&blob)?,
            uncertainty: Uncertainty { least_confident: row.get(11)?, margin: row.get(12)?, entropy: row.get(13)? },
            vote_entropy: row.get(14)?,
            kl_divergence: row.get(15)?,
        }),
        None => None,
    };
    Ok((item, prediction))
}

/// Items decided, disputed and escalated, and decided items per label, from the running tallies (kept
/// with every decision).
fn outcome_counts(conn: &rusqlite::Connection) -> Result<([u64; 3], BTreeMap<String, u64>)> {
    let mut outcomes = [0u64; 3];
    let mut per_label: BTreeMap<String, u64> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT kind, a, n FROM tallies WHERE kind IN (?1, ?2)")?;
    let rows = stmt.query_map([TallyKind::Status.as_str(), TallyKind::DecidedLabel.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?.unsigned_abs()))
    })?;
    for row in rows {
        let (kind, a, n) = row?;
        if kind == TallyKind::DecidedLabel.as_str() {
            *per_label.entry(a).or_default() += n;
            continue;
        }
        match ReviewStatus::parse(&a) {
            Some(ReviewStatus::Decided) => outcomes[0] += n,
            Some(ReviewStatus::Disputed) => outcomes[1] += n,
            Some(ReviewStatus::Escalated) => outcomes[2] += n,
            Some(ReviewStatus::Pending) | None => {}
        }
    }
    Ok((outcomes, per_label))
}

/// Items per imported reference label (items an unfinished import holds left out).
fn reference_counts(conn: &rusqlite::Connection) -> Result<BTreeMap<String, u64>> {
    let mut reference: BTreeMap<String, u64> = BTreeMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT reference_labels, count(*) FROM items WHERE reference_labels IS NOT NULL AND id < {HIDDEN_FROM}
             GROUP BY 1"
    ))?;
    let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?.unsigned_abs())))?;
    for row in rows {
        let (labels, n) = row?;
        for label in labels_from_json(Some(labels))?.unwrap_or_default() {
            *reference.entry(label).or_default() += n;
        }
    }
    Ok(reference)
}

fn open_escalations(tx: &rusqlite::Transaction<'_>) -> Result<HashSet<i64>> {
    let mut stmt = tx.prepare("SELECT DISTINCT item_id FROM escalations WHERE closed_at_ms IS NULL")?;
    let ids = stmt.query_map([], |row| row.get(0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}

/// Decisions read in (item, id) order and handed out one item's run at a time.
pub(crate) struct DecisionRuns<I: Iterator<Item = rusqlite::Result<RawDecision>>> {
    rows: std::iter::Peekable<I>,
}

impl<I: Iterator<Item = rusqlite::Result<RawDecision>>> DecisionRuns<I> {
    pub(crate) fn new(rows: I) -> Self {
        DecisionRuns { rows: rows.peekable() }
    }

    /// Fills `group` with the decisions about `item_id`, passing over those of earlier items.
    fn take_for(&mut self, item_id: i64, group: &mut Vec<Decision>) -> Result<()> {
        group.clear();
        loop {
            match self.rows.peek() {
                Some(Ok(raw)) if raw.item_id() > item_id => return Ok(()),
                None => return Ok(()),
                Some(_) => {}
            }
            if let Some(row) = self.rows.next() {
                let raw = row?;
                if raw.item_id() == item_id {
                    group.push(raw.into_decision()?);
                }
            }
        }
    }

    /// Fills `group` with the next item's decisions and returns that item's id.
    pub(crate) fn next_run(&mut self, group: &mut Vec<Decision>) -> Result<Option<i64>> {
        let item_id = match self.rows.peek() {
            None => return Ok(None),
            Some(Ok(raw)) => raw.item_id(),
            Some(Err(_)) => {
                let err = self.rows.next().and_then(|row| row.err());
                return Err(err.map_or_else(|| StoreError::Corrupt("unreadable decision".into()), StoreError::from));
            }
        };
        self.take_for(item_id, group)?;
        Ok(Some(item_id))
    }
}

fn in_label_order(order: &[String], mut counts: BTreeMap<String, u64>, keep_zero: bool) -> Vec<LabelCount> {
    let mut out: Vec<LabelCount> = order
        .iter()
        .map(|label| LabelCount { label: label.clone(), count: counts.remove(label).unwrap_or(0) })
        .filter(|c| keep_zero || c.count > 0)
        .collect();
    out.extend(counts.into_iter().map(|(label, count)| LabelCount { label, count }));
    out
}
