//! Reading decision rows: the columns every reader selects and turning a row into a domain `Decision`
//! (its JSON columns parsed), shared by the store's readers.

use super::{Result, StoreError, labels_from_json};
use crate::domain::{Decision, DecisionAction, ModelSnapshot};

pub(crate) const DECISION_COLUMNS: &str = "SELECT id, item_id, annotator, action, labels, reason, note,
    time_spent_ms, model_version_id, predicted_labels, predicted_confidence, undoes, at_ms FROM decisions";

/// A decision row before its JSON columns are parsed (rusqlite's row closures cannot return our errors).
pub(crate) struct RawDecision {
    id: i64,
    item_id: i64,
    annotator: String,
    action: String,
    labels: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    time_spent_ms: Option<i64>,
    model_version: Option<i64>,
    predicted: Option<String>,
    confidence: Option<f64>,
    undoes: Option<i64>,
    at_ms: i64,
}

pub(crate) fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDecision> {
    Ok(RawDecision {
        id: row.get(0)?,
        item_id: row.get(1)?,
        annotator: row.get(2)?,
        action: row.get(3)?,
        labels: row.get(4)?,
        reason: row.get(5)?,
        note: row.get(6)?,
        time_spent_ms: row.get(7)?,
        model_version: row.get(8)?,
        predicted: row.get(9)?,
        confidence: row.get(10)?,
        undoes: row.get(11)?,
        at_ms: row.get(12)?,
    })
}

impl RawDecision {
    pub(crate) fn item_id(&self) -> i64 {
        self.item_id
    }

    pub(crate) fn into_decision(self) -> Result<Decision> {
        let model = match self.model_version {
            Some(version) => Some(ModelSnapshot {
                version,
                predicted: labels_from_json(self.predicted)?.unwrap_or_default(),
                confidence: self.confidence.unwrap_or(f64::NAN),
            }),
            None => None,
        };
        Ok(Decision {
            id: self.id,
            item_id: self.item_id,
            annotator: self.annotator,
            action: parse_action(&self.action)?,
            labels: labels_from_json(self.labels)?,
            reason: self.reason,
            note: self.note,
            time_spent_ms: self.time_spent_ms,
            model,
            undoes: self.undoes,
            at_ms: self.at_ms,
        })
    }
}

pub(super) fn parse_action(s: &str) -> Result<DecisionAction> {
    DecisionAction::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown decision action {s:?}")))
}
