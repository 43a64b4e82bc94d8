//! The person labels (`person_labels`) and the running tallies (`tallies`, see `domain::tally`): rewritten
//! for an item inside every transaction that changes its decisions, escalations or gold labels, by taking
//! away what the item added before and adding what it adds now; and read back for the statistics,
//! `margin people` and `margin status`.

use rusqlite::{Connection, OptionalExtension, params};

use super::{MACHINE, Result, Store, StoreError, labels_from_json};
use crate::domain::Decision;
use crate::domain::people::ModelLearned;
use crate::domain::person_label::{PersonLabel, label_key, person_labels_of};
use crate::domain::review::{ReviewState, ReviewStatus};
use crate::domain::tally::{Counts, StateFacts, TallyKey, TallyKind, item_tallies};

const PERSON_LABEL_COLUMNS: &str =
    "SELECT item_id, annotator, decision_id, labels, predicted, gold, at_ms FROM person_labels";

/// Rewrites an item's person labels and its share of the tallies from its decisions (oldest first) and
/// its new review state. Call inside the transaction that changed them, before the review index's row is
/// rewritten: what the item added before is read from that row and from the person labels.
pub(super) fn refresh_tallies(
    conn: &Connection,
    item_id: i64,
    decisions: &[Decision],
    state: Option<&ReviewState>,
) -> Result<()> {
    let gold: Option<String> = conn
        .prepare_cached("SELECT CASE WHEN gold = 1 THEN reference_labels END FROM items WHERE id = ?1")?
        .query_row([item_id], |r| r.get(0))
        .optional()?
        .flatten();
    let gold = labels_from_json(gold)?;
    let people = person_labels_of(decisions, gold.as_deref(), MACHINE);
    let after = state.map(StateFacts::of);
    let mut delta = item_tallies(after.as_ref(), &people);
    delta.merge(&item_tallies(stored_state(conn, item_id)?.as_ref(), &stored_people(conn, item_id)?), -1);
    apply(conn, &delta)?;
    conn.prepare_cached("DELETE FROM person_labels WHERE item_id = ?1")?.execute([item_id])?;
    let settled = after.filter(|s| s.status == ReviewStatus::Decided).map(|s| label_key(&s.labels));
    for p in &people {
        conn.prepare_cached(
            "INSERT INTO person_labels (item_id, annotator, decision_id, labels, predicted, gold, at_ms, settled)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            p.item_id,
            p.annotator,
            p.decision_id,
            p.labels,
            p.predicted,
            p.gold,
            p.at_ms,
            settled.as_ref() == Some(&p.labels)
        ])?;
    }
    Ok(())
}

/// What the review index holds for the item, as the tallies count it.
fn stored_state(conn: &Connection, item_id: i64) -> Result<Option<StateFacts>> {
    let row = conn
        .prepare_cached(
            "SELECT status, labels, predicted IS NOT NULL, confidence, disagrees FROM item_state WHERE item_id = ?1",
        )?
        .query_row([item_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, (r.get(2)?, r.get(3)?, r.get(4)?)))
        })
        .optional()?;
    let Some((status, labels, (predicted, confidence, disagrees))) = row else { return Ok(None) };
    let status =
        ReviewStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("unknown review status {status:?}")))?;
    Ok(Some(StateFacts::new(status, labels_from_json(labels)?, predicted, confidence, disagrees)))
}

fn stored_people(conn: &Connection, item_id: i64) -> Result<Vec<PersonLabel>> {
    let mut stmt = conn.prepare_cached(&format!("{PERSON_LABEL_COLUMNS} WHERE item_id = ?1 ORDER BY annotator"))?;
    let rows = stmt.query_map([item_id], person_label)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn person_label(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonLabel> {
    Ok(PersonLabel {
        item_id: r.get(0)?,
        annotator: r.get(1)?,
        decision_id: r.get(2)?,
        labels: r.get(3)?,
        predicted: r.get(4)?,
        gold: r.get(5)?,
        at_ms: r.get(6)?,
    })
}

/// Adds `delta` to the stored counters, removing those that reach zero.
fn apply(conn: &Connection, delta: &Counts) -> Result<()> {
    for (key, n) in &delta.0 {
        let total: i64 = conn
            .prepare_cached(
                "INSERT INTO tallies (kind, a, b, c, m, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, a, b, c, m) DO UPDATE SET n = n + excluded.n RETURNING n",
            )?
            .query_row(params![key.kind.as_str(), key.a, key.b, key.c, key.m, n], |r| r.get(0))?;
        if total == 0 {
            conn.prepare_cached("DELETE FROM tallies WHERE kind = ?1 AND a = ?2 AND b = ?3 AND c = ?4 AND m = ?5")?
                .execute(params![key.kind.as_str(), key.a, key.b, key.c, key.m])?;
        }
    }
    Ok(())
}

/// What each person taught a model that learned from decisions up to `upto`: their labels given by then on
/// items settled with those labels, and of those, the ones that corrected the model's prediction.
pub(super) fn learned_by_person(conn: &Connection, upto: i64) -> Result<ModelLearned> {
    let mut stmt = conn.prepare(
        "SELECT annotator, count(*), sum(predicted IS NOT NULL AND predicted <> labels) FROM person_labels
          WHERE settled = 1 AND decision_id <= ?1 GROUP BY annotator",
    )?;
    let rows = stmt.query_map([upto], |r| {
        Ok((r.get::<_, String>(0)?, (r.get::<_, i64>(1)?.unsigned_abs(), r.get::<_, i64>(2)?.unsigned_abs())))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records what each model that learned from decisions learned from each person (the migration that
/// made the column, for the models registered before it).
pub(super) fn record_learned_for_all(conn: &Connection) -> Result<()> {
    let models: Vec<(i64, i64)> = {
        let mut stmt = conn.prepare(
            "SELECT id, decisions_upto FROM model_versions WHERE decisions_upto IS NOT NULL AND parent_id IS NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, upto) in models {
        record_learned(conn, id, upto)?;
    }
    Ok(())
}

/// Records on model `id`, which learned from decisions up to `upto`, what it learned from each person.
pub(super) fn record_learned(conn: &Connection, id: i64, upto: i64) -> Result<()> {
    let json =
        serde_json::to_string(&learned_by_person(conn, upto)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.execute("UPDATE model_versions SET learned_by_person = ?1 WHERE id = ?2", params![json, id])?;
    Ok(())
}

impl Store {
    /// Every running tally of the project.
    pub fn tallies(&self) -> Result<Counts> {
        // In the order of `TallyKey` (kinds in declaration order, then the fields), so the map is built from
        // one sorted run instead of one search per row.
        let kinds: String =
            TallyKind::ALL.iter().enumerate().map(|(i, k)| format!(" WHEN '{}' THEN {i}", k.as_str())).collect();
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT kind, a, b, c, m, n FROM tallies ORDER BY CASE kind{kinds} END, a, b, c, m"))?;
        let mut rows = stmt.query([])?;
        let mut read: Vec<(TallyKey, i64)> = Vec::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(0)?;
            let kind =
                TallyKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("unknown tally kind {kind:?}")))?;
            read.push((TallyKey { kind, a: r.get(1)?, b: r.get(2)?, c: r.get(3)?, m: r.get(4)? }, r.get(5)?));
        }
        Ok(Counts(read.into_iter().collect()))
    }

    /// Each person's current label for each item they labelled: their latest accept, correction or reject
    /// that is not undone (the machine's accepts and experts' rulings are not a person's labelling), with
    /// the model's prediction they saw and the item's gold labels; by item, then person.
    pub fn people_labels(&self) -> Result<Vec<PersonLabel>> {
        let mut stmt = self.conn.prepare(&format!("{PERSON_LABEL_COLUMNS} ORDER BY item_id, annotator"))?;
        let rows = stmt.query_map([], person_label)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What the current model learned from each person (`None`: no model, or one that learned from
    /// reference labels only): as recorded when it was registered, or for a model registered before that
    /// was recorded, worked out now.
    pub fn model_learned(&mut self) -> Result<Option<ModelLearned>> {
        let Some(model) = self.current_model()? else { return Ok(None) };
        let Some(upto) = model.decisions_upto else { return Ok(None) };
        let recorded: Option<String> =
            self.conn
                .query_row("SELECT learned_by_person FROM model_versions WHERE id = ?1", [model.id], |r| r.get(0))?;
        match recorded {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("model {}'s learned_by_person: {e}", model.id))),
            None => learned_by_person(&self.conn, upto).map(Some),
        }
    }
}
