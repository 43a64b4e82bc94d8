//! The project's labels as its data uses them: how many items use a label (in reference labels or
//! people's decisions), and renaming a label everywhere the database holds it, in one transaction.

use rusqlite::{TransactionBehavior, params};

use super::{Result, Store, events, now_ms, renamed_labels};
use crate::domain::audit::event::{AuditEvent, LabelsRenamed, SettingsRecorded};

/// What a rename rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Renamed {
    /// Items whose reference labels held the label.
    pub items: u64,
    /// Decisions that gave or predicted it.
    pub decisions: u64,
    /// Model versions that know it.
    pub models: u64,
}

// Dropped and made again, exactly as migration 0001 made them, while a rename rewrites decisions.
const DROP_DECISION_TRIGGERS: &str =
    "DROP TRIGGER decisions_are_append_only_update; DROP TRIGGER decisions_are_append_only_delete;";
const CREATE_DECISION_TRIGGERS: &str = "CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only; record an undo instead'); END;
CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only; record an undo instead'); END;";

impl Store {
    /// How many items use `label`: in their reference labels or in a decision's labels.
    pub fn label_use(&self, label: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM (
                 SELECT i.id FROM items i, json_each(i.reference_labels) j
                  WHERE i.reference_labels IS NOT NULL AND j.value = ?1
                 UNION
                 SELECT d.item_id FROM decisions d, json_each(d.labels) j WHERE d.labels IS NOT NULL AND j.value = ?1
             )",
            [label],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    /// Renames label `from` to `to` in every item's reference labels, every decision (given and predicted
    /// labels), the triage's out-of-fold records and every model's label list (the names in a model's file
    /// are kept beside it, so the file still loads), and records the rename and `settings` (the project's
    /// new admin-only settings) in the audit trail, all in one transaction. Decisions stay append-only for
    /// everyone else: their triggers are lifted only inside it.
    pub fn rename_label(&mut self, from: &str, to: &str, actor: &str, settings: SettingsRecorded) -> Result<Renamed> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rename = |json: Option<String>| renamed_labels(json, from, to);
        let mut done = Renamed::default();
        // Each table: read the rows that hold the label, write them back renamed.
        let rows = |sql: &str| -> Result<Vec<LabelledRow>> {
            let mut stmt = tx.prepare(sql)?;
            let rows = stmt.query_map([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let holds = |column: &str| format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?1)");
        let touched: Vec<i64> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT item_id FROM decisions WHERE (labels IS NOT NULL AND {}) OR (predicted_labels IS NOT NULL AND {})
                 UNION SELECT id FROM items WHERE gold = 1 AND reference_labels IS NOT NULL AND {}",
                holds("labels"),
                holds("predicted_labels"),
                holds("reference_labels")
            ))?;
            let ids = stmt.query_map([from], |r| r.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        };

        for (id, labels, _) in rows(&format!(
            "SELECT id, reference_labels, NULL FROM items WHERE reference_labels IS NOT NULL AND {}",
            holds("reference_labels")
        ))? {
            tx.execute("UPDATE items SET reference_labels = ?1 WHERE id = ?2", params![rename(labels)?, id])?;
            done.items += 1;
        }

        let decisions = rows(&format!(
            "SELECT id, labels, predicted_labels FROM decisions
              WHERE (labels IS NOT NULL AND {}) OR (predicted_labels IS NOT NULL AND {})",
            holds("labels"),
            holds("predicted_labels")
        ))?;
        if !decisions.is_empty() {
            tx.execute_batch(DROP_DECISION_TRIGGERS)?;
            for (id, labels, predicted) in decisions {
                tx.execute(
                    "UPDATE decisions SET labels = coalesce(?1, labels), predicted_labels = coalesce(?2, predicted_labels)
                      WHERE id = ?3",
                    params![rename(labels)?, rename(predicted)?, id],
                )?;
                done.decisions += 1;
            }
            tx.execute_batch(CREATE_DECISION_TRIGGERS)?;
        }

        let out_of_fold: Vec<(i64, i64, Option<String>)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT model_version_id, item_id, labels FROM out_of_fold WHERE {}",
                holds("labels")
            ))?;
            let rows = stmt.query_map([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (model, item, labels) in out_of_fold {
            tx.execute(
                "UPDATE out_of_fold SET labels = ?1 WHERE model_version_id = ?2 AND item_id = ?3",
                params![rename(labels)?, model, item],
            )?;
        }

        for (id, labels, file_labels) in
            rows(&format!("SELECT id, labels, file_labels FROM model_versions WHERE {}", holds("labels")))?
        {
            // The first rename since the model was trained keeps the names its file knows.
            let file_labels = file_labels.or_else(|| labels.clone());
            tx.execute(
                "UPDATE model_versions SET labels = ?1, file_labels = ?2 WHERE id = ?3",
                params![rename(labels)?, file_labels, id],
            )?;
            done.models += 1;
        }

        // The review index, person labels and tallies hold the same names: each item they came from is
        // worked out again from its renamed decisions and gold labels.
        for item_id in touched {
            super::item_state::refresh_item_state(&tx, item_id)?;
        }

        let at = now_ms();
        let renamed = AuditEvent::LabelsRenamed(LabelsRenamed {
            from: from.to_string(),
            to: to.to_string(),
            items: done.items,
            decisions: done.decisions,
            models: done.models,
        });
        events::append(&tx, at, actor, None, &renamed)?;
        events::append(&tx, at, actor, None, &AuditEvent::Settings(settings))?;
        tx.commit()?;
        Ok(done)
    }
}

/// A row that holds label lists (as JSON): its id and up to two label columns.
type LabelledRow = (i64, Option<String>, Option<String>);
