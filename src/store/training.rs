//! What the model learns from: the settled labels of items people decided (accept is the prediction,
//! correct is the person's choice, a binary reject the other label, an expert's ruling beats votes), or
//! the reference labels an import brought, or both (people's decisions, and the reference labels of items
//! no one has decided anything about). Skipped, disputed and escalated items are left out until settled.
//! The machine's own accepts are never learned from: a model trained on what it already believed would
//! only grow surer of its mistakes. An item only the machine decided counts as undecided here.

use std::collections::HashSet;

use rusqlite::Transaction;

use super::decision_rows::{DECISION_COLUMNS, row_to_raw};
use super::items::HIDDEN_FROM;
use super::report::DecisionRuns;
use super::{Result, Store, labels_from_json};
use crate::domain::{ItemOutcome, outcome};

/// Where training labels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSource {
    Decisions,
    Reference,
    /// Decisions, plus reference labels for items without any decision: what retraining learns from, so
    /// a model first trained on imported labels does not forget them when people start deciding.
    Combined,
}

impl LabelSource {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSource::Decisions => "decisions",
            LabelSource::Reference => "reference",
            LabelSource::Combined => "decisions+reference",
        }
    }
}

/// One labelled item to learn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingExample {
    pub item_id: i64,
    pub text: String,
    pub labels: Vec<String>,
}

impl Store {
    /// Every labelled item from `source`, by item, read from one snapshot.
    pub fn training_examples(&mut self, source: LabelSource) -> Result<Vec<TrainingExample>> {
        let tx = self.conn.transaction()?;
        let examples = match source {
            LabelSource::Reference => reference_examples(&tx, &HashSet::new())?,
            LabelSource::Decisions => decided_examples(&tx)?,
            LabelSource::Combined => {
                let mut examples = decided_examples(&tx)?;
                let touched: HashSet<i64> = {
                    let mut stmt = tx.prepare("SELECT DISTINCT item_id FROM decisions WHERE annotator != ?1")?;
                    let ids = stmt.query_map([super::MACHINE], |r| r.get(0))?;
                    ids.collect::<rusqlite::Result<_>>()?
                };
                examples.extend(reference_examples(&tx, &touched)?);
                examples.sort_by_key(|e| e.item_id);
                examples
            }
        };
        Ok(examples)
    }

    /// The items people's decisions have settled and their labels, as training would learn them, read
    /// from one snapshot without the texts.
    pub fn decided_labels(&mut self) -> Result<Vec<(i64, Vec<String>)>> {
        let tx = self.conn.transaction()?;
        decided_labels(&tx)
    }
}

/// Items with reference labels, except those in `leave_out`.
fn reference_examples(tx: &Transaction<'_>, leave_out: &HashSet<i64>) -> Result<Vec<TrainingExample>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT id, text, reference_labels FROM items WHERE reference_labels IS NOT NULL AND id < {HIDDEN_FROM}
         ORDER BY id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let mut examples = Vec::new();
    for row in rows {
        let (item_id, text, labels): (i64, String, Option<String>) = row?;
        if leave_out.contains(&item_id) {
            continue;
        }
        let labels = labels_from_json(labels)?.unwrap_or_default();
        examples.push(TrainingExample { item_id, text, labels });
    }
    Ok(examples)
}

/// Items whose decisions have settled on labels.
fn decided_examples(tx: &Transaction<'_>) -> Result<Vec<TrainingExample>> {
    let decided = decided_labels(tx)?;
    let mut text_of = tx.prepare("SELECT text FROM items WHERE id = ?1")?;
    let mut examples = Vec::with_capacity(decided.len());
    for (item_id, labels) in decided {
        let text: String = text_of.query_row([item_id], |r| r.get(0))?;
        examples.push(TrainingExample { item_id, text, labels });
    }
    Ok(examples)
}

/// The items people's decisions have settled, with their labels (what training learns, without texts).
fn decided_labels(tx: &Transaction<'_>) -> Result<Vec<(i64, Vec<String>)>> {
    let open: HashSet<i64> = {
        let mut stmt = tx.prepare("SELECT DISTINCT item_id FROM escalations WHERE closed_at_ms IS NULL")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        ids.collect::<rusqlite::Result<_>>()?
    };
    let mut decided = Vec::new();
    {
        let mut stmt = tx.prepare(&format!("{DECISION_COLUMNS} WHERE annotator != ?1 ORDER BY item_id, id"))?;
        let mut runs = DecisionRuns::new(stmt.query_map([super::MACHINE], row_to_raw)?);
        let mut group = Vec::new();
        while let Some(item_id) = runs.next_run(&mut group)? {
            if let ItemOutcome::Decided { labels } = outcome(&group, open.contains(&item_id)) {
                decided.push((item_id, labels));
            }
        }
    }
    Ok(decided)
}
