//! The expert's triage queue in the database: which items need a ruling and why, the out-of-fold
//! probabilities training leaves for finding likely label errors, and the expert's own moves besides a
//! ruling (sending an escalation back, making an item gold), each recorded in the audit trail.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Result, Store, events, labels_from_json, labels_to_json, now_ms};
use crate::domain::audit::event::{AuditEvent, Gold, SendBack};
use crate::domain::triage::{CaseKind, GoldAlert, gold_alert_since, likely_label_errors};
use crate::domain::{Decision, DecisionAction, ItemOutcome, StoredItem, outcome};

/// Decisions that give an item labels (an undone one aside).
const LABELLING: &str = "('accept', 'correct', 'reject', 'resolve', 'machine_accept')";

/// One item in triage, with everything an expert needs to rule on it.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageCase {
    pub item: StoredItem,
    pub kinds: Vec<CaseKind>,
    /// The open escalation: reason, who, note.
    pub escalation: Option<(String, String, Option<String>)>,
    /// Every decision about it, oldest first.
    pub decisions: Vec<Decision>,
    /// A likely label error: the label the model that never saw it suggests, with the probabilities it gave
    /// the human label and the suggested one.
    pub suggestion: Option<(String, f32, f32)>,
    /// For a gold accuracy alert: whose label, and their gold checks that raised it.
    pub gold_alert: Option<GoldAlert>,
}

impl Store {
    /// Keeps the out-of-fold probabilities of a training on people's labels: `(item, labels, probabilities)`.
    pub fn save_out_of_fold(&mut self, model: i64, rows: &[(i64, Vec<String>, Vec<f32>)]) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO out_of_fold (model_version_id, item_id, labels, probabilities)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (item_id, labels, probabilities) in rows {
                let probabilities = serde_json::to_string(probabilities).unwrap_or_else(|_| "[]".into());
                insert.execute(params![model, item_id, labels_to_json(labels), probabilities])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The items that need an expert, most urgent kinds first: open escalations, disagreements, people
    /// overriding a prediction made with at least `override_confidence`, then likely label errors (single-
    /// label projects, from the newest training that left out-of-fold probabilities). An item an expert
    /// has ruled on leaves the queue until something new happens to it (an escalation).
    /// `gold_alert`: `(threshold, window)` of `quality.gold_alert` and `gold_window` (threshold 0: off).
    pub fn triage_cases(
        &self,
        label_names: &[String],
        override_confidence: f64,
        gold_alert: (f64, usize),
    ) -> Result<Vec<TriageCase>> {
        let mut kinds: BTreeMap<i64, Vec<CaseKind>> = BTreeMap::new();
        let mut add = |item_id: i64, kind: CaseKind| {
            let entry = kinds.entry(item_id).or_default();
            if !entry.contains(&kind) {
                entry.push(kind);
            }
        };
        let ids = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<Vec<i64>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map(p, |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<i64>>>()?)
        };
        for id in ids("SELECT DISTINCT item_id FROM escalations WHERE closed_at_ms IS NULL", &[])? {
            add(id, CaseKind::Escalated);
        }
        let not_undone = "NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)";
        for id in ids(
            &format!(
                "SELECT d.item_id FROM decisions d WHERE d.action IN {LABELLING} AND {not_undone}
                 GROUP BY d.item_id HAVING count(DISTINCT d.annotator) > 1"
            ),
            &[],
        )? {
            add(id, CaseKind::Disagreement);
        }
        for id in ids(
            &format!(
                "SELECT DISTINCT d.item_id FROM decisions d WHERE d.action = 'correct' AND {not_undone}
                 AND d.predicted_confidence >= ?1 AND d.labels IS NOT d.predicted_labels"
            ),
            &[&override_confidence],
        )? {
            add(id, CaseKind::ConfidentOverride);
        }
        let mut alerts: BTreeMap<i64, GoldAlert> = BTreeMap::new();
        for (id, alert) in self.gold_alert_items(gold_alert)? {
            add(id, CaseKind::GoldAlert);
            alerts.insert(id, alert);
        }
        let mut suggestions: BTreeMap<i64, (String, f32, f32)> = BTreeMap::new();
        for (item_id, suggested, given, p) in self.likely_label_errors(label_names)? {
            add(item_id, CaseKind::LikelyLabelError);
            suggestions.insert(item_id, (suggested, given, p));
        }

        let mut cases = Vec::new();
        for (item_id, mut item_kinds) in kinds {
            let Some(item) = self.item(item_id)? else { continue };
            let decisions = self.decisions_for(item_id)?;
            let escalation = self.open_escalation(item_id)?;
            let settled = outcome(&decisions, escalation.is_some());
            // Disagreements count only while unsettled; anything an expert ruled on last is done.
            if !matches!(settled, ItemOutcome::Disputed) {
                item_kinds.retain(|k| *k != CaseKind::Disagreement);
            }
            if escalation.is_none() && ruled_last(&decisions) {
                continue;
            }
            if item_kinds.is_empty() {
                continue;
            }
            item_kinds.sort();
            cases.push(TriageCase {
                item,
                kinds: item_kinds,
                escalation,
                decisions,
                suggestion: suggestions.remove(&item_id),
                gold_alert: alerts.remove(&item_id),
            });
        }
        cases.sort_by(|a, b| a.kinds[0].cmp(&b.kinds[0]).then(a.item.id.cmp(&b.item.id)));
        Ok(cases)
    }

    /// The items labelled by people whose gold accuracy fell below the alert, from the start of the gold
    /// checks that showed it (their current labels; gold items themselves are not flagged).
    fn gold_alert_items(&self, (threshold, window): (f64, usize)) -> Result<Vec<(i64, GoldAlert)>> {
        if threshold <= 0.0 {
            return Ok(Vec::new());
        }
        let labels = self.people_labels()?;
        // Each person's gold answers in the order they gave them, by decision id (ids grow with time and,
        // unlike timestamps, never tie).
        let mut answers: BTreeMap<&str, Vec<(i64, bool)>> = BTreeMap::new();
        for l in labels.iter() {
            if let Some(gold) = &l.gold {
                answers.entry(&l.annotator).or_default().push((l.decision_id, &l.labels == gold));
            }
        }
        let mut since: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
        for (who, mut list) in answers {
            list.sort_unstable();
            if let Some(found) = gold_alert_since(&list, window, threshold) {
                since.insert(who, found);
            }
        }
        Ok(labels
            .iter()
            .filter(|l| l.gold.is_none())
            .filter_map(|l| {
                let &(first, right) = since.get(l.annotator.as_str())?;
                let alert = GoldAlert { annotator: l.annotator.clone(), right, of: window };
                (l.decision_id >= first).then_some((l.item_id, alert))
            })
            .collect())
    }

    fn open_escalation(&self, item_id: i64) -> Result<Option<(String, String, Option<String>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT reason, opened_by, note FROM escalations WHERE item_id = ?1 AND closed_at_ms IS NULL
                 ORDER BY id DESC LIMIT 1",
                [item_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// `(item, suggested label, probability of the human label, of the suggested one)`, worst first.
    fn likely_label_errors(&self, label_names: &[String]) -> Result<Vec<(i64, String, f32, f32)>> {
        let newest: Option<i64> =
            self.conn.query_row("SELECT max(model_version_id) FROM out_of_fold", [], |r| r.get(0))?;
        let Some(model) = newest else { return Ok(Vec::new()) };
        let mut stmt =
            self.conn.prepare("SELECT item_id, labels, probabilities FROM out_of_fold WHERE model_version_id = ?1")?;
        let rows: Vec<(i64, String, String)> =
            stmt.query_map([model], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut items = Vec::new();
        let mut examples: Vec<(usize, Vec<f32>)> = Vec::new();
        for (item_id, labels, probabilities) in rows {
            let labels = labels_from_json(Some(labels))?.unwrap_or_default();
            // Single-label items only: confident learning here compares one label with the others.
            let [label] = labels.as_slice() else { continue };
            let Some(k) = label_names.iter().position(|n| n == label) else { continue };
            let Ok(p) = serde_json::from_str::<Vec<f32>>(&probabilities) else { continue };
            if p.len() != label_names.len() {
                continue;
            }
            items.push(item_id);
            examples.push((k, p));
        }
        let borrowed: Vec<(usize, &[f32])> = examples.iter().map(|(k, p)| (*k, p.as_slice())).collect();
        Ok(likely_label_errors(&borrowed, label_names.len())
            .into_iter()
            .map(|issue| {
                (
                    items[issue.index],
                    label_names[issue.suggested].clone(),
                    issue.given_probability,
                    issue.suggested_probability,
                )
            })
            .collect())
    }

    /// Closes an item's open escalation without a ruling: it goes back to annotators. Recorded as an event.
    pub fn send_back(&mut self, item_id: i64, by: &str, note: Option<&str>) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at = now_ms();
        let closed = tx.execute(
            "UPDATE escalations SET closed_by = ?1, closed_at_ms = ?2, closed_as = 'sent_back'
             WHERE item_id = ?3 AND closed_at_ms IS NULL",
            params![by, at, item_id],
        )?;
        if closed > 0 {
            let event = AuditEvent::SendBack(SendBack { note: note.map(str::to_string) });
            events::append(&tx, at, by, Some(item_id), &event)?;
            super::item_state::refresh_item_state(&tx, item_id)?;
        }
        tx.commit()?;
        Ok(closed > 0)
    }

    /// Makes an item gold with the expert's labels (its reference labels become them) and, when given, why
    /// (shown to whoever misses it). Recorded as an event.
    pub fn mark_gold(&mut self, item_id: i64, labels: &[String], by: &str, rationale: Option<&str>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before: Option<String> =
            tx.query_row("SELECT reference_labels FROM items WHERE id = ?1", [item_id], |r| r.get(0))?;
        tx.execute(
            "UPDATE items SET gold = 1, reference_labels = ?1, gold_rationale = ?3 WHERE id = ?2",
            params![labels_to_json(labels), item_id, rationale],
        )?;
        let rationale = rationale.map(str::to_string);
        let event = AuditEvent::Gold(Gold { labels: labels.to_vec(), reference_before: before, rationale });
        events::append(&tx, now_ms(), by, Some(item_id), &event)?;
        // The people's labels on it are now gold answers.
        super::item_state::refresh_item_state(&tx, item_id)?;
        tx.commit()?;
        Ok(())
    }
}

/// The last effective decision (an undone one aside) is an expert's ruling.
fn ruled_last(decisions: &[Decision]) -> bool {
    let undone: Vec<i64> = decisions.iter().filter_map(|d| d.undoes).collect();
    decisions
        .iter()
        .rev()
        .find(|d| d.action != DecisionAction::Undo && !undone.contains(&d.id))
        .is_some_and(|d| d.action == DecisionAction::Resolve)
}
