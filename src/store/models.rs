//! Model versions: rows for every trained model (and committee member), the pointer to the current one,
//! and pruning old files while keeping their rows for the record.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Result, Store, StoreError, events, labels_from_json, labels_to_json, now_ms};
use crate::domain::ModelKind;
use crate::domain::audit::event::{AuditEvent, CurrentModel, ModelRegistered};

/// A model about to be registered. Its file must already be complete on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModelVersion {
    pub kind: ModelKind,
    /// Relative to the project directory.
    pub path: String,
    pub sha256: String,
    pub labels: Vec<String>,
    pub train_size: usize,
    /// A JSON object.
    pub metrics: String,
    pub trained_by: String,
    /// "decisions", "reference", "decisions+reference" or "external".
    pub trained_on: String,
    /// The newest decision (by id) there was when its training data was read.
    pub decisions_upto: Option<i64>,
    /// The newest audit event when its training data was read ([`Store::last_event_seq`]); `None`: now
    /// (a model that did not learn from the project, such as a bring-your-own one).
    pub data_as_of: Option<i64>,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVersion {
    pub id: i64,
    pub created_at_ms: i64,
    pub kind: ModelKind,
    pub path: String,
    pub sha256: String,
    pub labels: Vec<String>,
    pub train_size: usize,
    pub metrics: String,
    pub parent_id: Option<i64>,
    pub trained_by: String,
    pub trained_on: String,
    pub pruned: bool,
    pub decisions_upto: Option<i64>,
    /// The label names in the model's file, in `labels`' order: the same unless a label was renamed since
    /// it was trained.
    pub file_labels: Vec<String>,
}

const COLUMNS: &str = "id, created_at_ms, kind, path, sha256, labels, train_size, metrics, parent_id, trained_by, \
                       trained_on, pruned_at_ms, decisions_upto, file_labels";

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<i64>,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
        row.get(13)?,
    ))
}

fn to_version(row: Row) -> Result<ModelVersion> {
    let (
        id,
        created_at_ms,
        kind,
        path,
        sha256,
        labels,
        train_size,
        metrics,
        parent_id,
        trained_by,
        trained_on,
        pruned,
        decisions_upto,
        file_labels,
    ) = row;
    let labels = labels_from_json(Some(labels))?.unwrap_or_default();
    // A kind only a newer margin knows: say so, rather than guess how to load its file.
    let kind = ModelKind::parse(&kind).map_err(|source| StoreError::UnknownModelKind { id, source })?;
    Ok(ModelVersion {
        id,
        created_at_ms,
        kind,
        path,
        sha256,
        file_labels: labels_from_json(file_labels)?.unwrap_or_else(|| labels.clone()),
        labels,
        train_size: usize::try_from(train_size).unwrap_or(0),
        metrics,
        parent_id,
        trained_by,
        trained_on,
        pruned: pruned.is_some(),
        decisions_upto,
    })
}

impl ModelVersion {
    /// A zero-shot model: made from the label descriptions, before any labels (not calibrated).
    pub fn is_zero_shot(&self) -> bool {
        self.trained_on == crate::domain::zero_shot::SOURCE
    }
}

impl Store {
    /// Registers a model and its committee members (whose parent it becomes) in one transaction, makes it
    /// the current model (see [`Store::make_current`]), and records both in the audit trail. Returns the
    /// model's id.
    pub fn add_model(&mut self, model: &NewModelVersion, members: &[NewModelVersion]) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_model(&tx, model, members)?;
        set_current(&tx, id, &model.trained_by)?;
        tx.commit()?;
        Ok(id)
    }

    /// Registers a model and its committee members without making it current: a retrain scores the pool
    /// with it first, then calls [`Store::make_current`], so the queue never serves from an unscored model.
    pub fn register_model(&mut self, model: &NewModelVersion, members: &[NewModelVersion]) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_model(&tx, model, members)?;
        tx.commit()?;
        Ok(id)
    }

    /// The sequence number of the newest audit event (0 when there is none): read before a model's training
    /// data, it says how new that data is.
    pub fn last_event_seq(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?)
    }

    /// Makes a registered model the current one, recording who and what it replaced; refuses with
    /// [`StoreError::Superseded`] when the current model read its training data later than this one did.
    pub fn make_current(&mut self, id: i64, by: &str) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        set_current(&tx, id, by)?;
        tx.commit()?;
        Ok(())
    }

    /// The id of the newest decision, 0 when there is none.
    pub fn last_decision_id(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT coalesce(max(id), 0) FROM decisions", [], |r| r.get(0))?)
    }

    /// The model new predictions come from, if any has been trained.
    pub fn current_model(&self) -> Result<Option<ModelVersion>> {
        let id: Option<String> = self
            .conn
            .query_row("SELECT value FROM project_state WHERE key = 'current_model'", [], |r| r.get(0))
            .optional()?;
        match id.and_then(|v| v.parse::<i64>().ok()) {
            Some(id) => self.model_version(id).map(Some),
            None => Ok(None),
        }
    }

    pub fn model_version(&self, id: i64) -> Result<ModelVersion> {
        let row = self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM model_versions WHERE id = ?1"), [id], read_row)
            .optional()?
            .ok_or_else(|| StoreError::Corrupt(format!("model version {id} is named but does not exist")))?;
        to_version(row)
    }

    /// Every model version, oldest first.
    pub fn model_versions(&self) -> Result<Vec<ModelVersion>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {COLUMNS} FROM model_versions ORDER BY id"))?;
        let rows = stmt.query_map([], read_row)?;
        rows.map(|r| to_version(r?)).collect()
    }

    /// A model's committee members, in order.
    pub fn committee(&self, id: i64) -> Result<Vec<ModelVersion>> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {COLUMNS} FROM model_versions WHERE parent_id = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([id], read_row)?;
        rows.map(|r| to_version(r?)).collect()
    }

    /// Marks every model except the newest `keep` main models (and the current one, and their committees)
    /// as pruned, deletes their predictions, and returns those whose files no kept model uses, so the files
    /// can be removed.
    pub fn prune_models(&mut self, keep: usize) -> Result<Vec<ModelVersion>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: Option<i64> = tx
            .query_row("SELECT value FROM project_state WHERE key = 'current_model'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|v| v.parse().ok());
        let kept: Vec<i64> = {
            let mut stmt =
                tx.prepare("SELECT id FROM model_versions WHERE parent_id IS NULL ORDER BY id DESC LIMIT ?1")?;
            let ids = stmt.query_map([i64::try_from(keep).unwrap_or(i64::MAX)], |r| r.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        };
        let is_kept = |id: i64, parent: Option<i64>| {
            let main = parent.unwrap_or(id);
            kept.contains(&main) || current == Some(main)
        };
        let candidates: Vec<Row> = {
            let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM model_versions WHERE pruned_at_ms IS NULL"))?;
            let rows = stmt.query_map([], read_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut pruned = Vec::new();
        let mut kept_paths = std::collections::HashSet::new();
        for row in candidates {
            let version = to_version(row)?;
            if is_kept(version.id, version.parent_id) {
                kept_paths.insert(version.path.clone());
                continue;
            }
            tx.execute("UPDATE model_versions SET pruned_at_ms = ?1 WHERE id = ?2", params![now_ms(), version.id])?;
            tx.execute("DELETE FROM predictions WHERE model_version_id = ?1", [version.id])?;
            tx.execute("DELETE FROM span_predictions WHERE model_version_id = ?1", [version.id])?;
            tx.execute("DELETE FROM out_of_fold WHERE model_version_id = ?1", [version.id])?;
            pruned.push(version);
        }
        tx.commit()?;
        // Files are named by content, so a retrained identical model shares its file with an older one:
        // such a file stays while a kept version uses it.
        pruned.retain(|v| !kept_paths.contains(&v.path));
        Ok(pruned)
    }
}

/// Inserts a model and its committee and records it in the audit trail.
fn insert_model(tx: &Transaction<'_>, model: &NewModelVersion, members: &[NewModelVersion]) -> Result<i64> {
    let at = now_ms();
    let insert = |m: &NewModelVersion, parent: Option<i64>| -> Result<i64> {
        tx.execute(
            "INSERT INTO model_versions (created_at_ms, kind, path, sha256, labels, train_size, metrics,
                 parent_id, trained_by, trained_on, decisions_upto, data_as_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
                     coalesce(?12, (SELECT coalesce(max(seq), 0) FROM events)))",
            params![
                at,
                m.kind.as_str(),
                m.path,
                m.sha256,
                labels_to_json(&m.labels),
                i64::try_from(m.train_size).unwrap_or(i64::MAX),
                m.metrics,
                parent,
                m.trained_by,
                m.trained_on,
                m.decisions_upto,
                m.data_as_of
            ],
        )?;
        Ok(tx.last_insert_rowid())
    };
    let id = insert(model, None)?;
    for member in members {
        insert(member, Some(id))?;
    }
    // What it learned from each person, recorded now: the labels it learned are those of today's outcomes.
    if let Some(upto) = model.decisions_upto {
        super::tallies::record_learned(tx, id, upto)?;
    }
    let metrics: serde_json::Value = serde_json::from_str(&model.metrics).unwrap_or(serde_json::Value::Null);
    let event = AuditEvent::ModelVersion(ModelRegistered {
        model_version: id,
        kind: model.kind,
        path: model.path.clone(),
        sha256: model.sha256.clone(),
        trained_on: model.trained_on.clone(),
        train_size: model.train_size,
        committee: members.len(),
        metrics,
    });
    events::append(tx, at, &model.trained_by, None, &event)?;
    Ok(id)
}

/// Points `current_model` at `id` and records the change in the audit trail. The pointer never moves to a
/// model whose training data was read before the current one's: a retrain that started before a train and
/// ended after it keeps its version, not current.
fn set_current(tx: &Transaction<'_>, id: i64, by: &str) -> Result<()> {
    let previous: Option<String> =
        tx.query_row("SELECT value FROM project_state WHERE key = 'current_model'", [], |r| r.get(0)).optional()?;
    if let Some(current) = previous.as_deref().and_then(|p| p.parse::<i64>().ok()) {
        let as_of = |id: i64| -> Result<Option<i64>> {
            Ok(tx
                .query_row("SELECT data_as_of FROM model_versions WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .flatten())
        };
        if current != id && as_of(id)?.unwrap_or(0) < as_of(current)?.unwrap_or(0) {
            return Err(StoreError::Superseded { version: id, current });
        }
    }
    tx.execute(
        "INSERT INTO project_state (key, value) VALUES ('current_model', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [id.to_string()],
    )?;
    let event = AuditEvent::CurrentModel(CurrentModel {
        model_version: id,
        previous: previous.and_then(|p| p.parse::<i64>().ok()),
    });
    events::append(tx, now_ms(), by, None, &event)?;
    Ok(())
}
