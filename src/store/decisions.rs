//! Recording decisions: one transaction writes the decision, opens or closes the escalation it implies,
//! and appends the audit event, so a decision is either wholly stored or not at all.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::decision_rows::{DECISION_COLUMNS, parse_action, row_to_raw};
use super::items::HIDDEN_FROM;
use super::{Result, Store, StoreError, events, labels_to_json, now_ms};
use crate::domain::audit::event::{AuditEvent, DecisionEvent, DecisionRecorded};
use crate::domain::{Decision, DecisionAction, ModelSnapshot};

/// A decision about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub item_id: i64,
    pub annotator: String,
    pub action: DecisionAction,
    pub labels: Option<Vec<String>>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub time_spent_ms: Option<i64>,
    pub model: Option<ModelSnapshot>,
    pub undoes: Option<i64>,
    /// Decide even if the item is reserved for someone else (an expert may); recorded when it was.
    pub override_lease: bool,
}

/// People's decisions since a point in the log (see [`Store::people_decisions_since`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecisionsSince {
    /// Every decision by a person: labels, skips, escalations, undos.
    pub all: u64,
    /// Those that change what an item is labelled.
    pub labelling: u64,
}

impl NewDecision {
    /// A decision with only the essentials set.
    pub fn new(item_id: i64, annotator: &str, action: DecisionAction) -> Self {
        NewDecision {
            item_id,
            annotator: annotator.to_string(),
            action,
            labels: None,
            reason: None,
            note: None,
            time_spent_ms: None,
            model: None,
            undoes: None,
            override_lease: false,
        }
    }
}

/// A reservation that keeps others from deciding an item: whose it is and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub annotator: String,
    pub expires_at_ms: i64,
}

impl Store {
    /// Records a decision durably (the transaction is committed with `synchronous = FULL` before this
    /// returns) and returns its id. An item reserved for someone else (by the queue) is refused with
    /// [`StoreError::Reserved`] unless `override_lease`, unless the person holds a reservation of their
    /// own. A labelling decision by someone who already labelled the item replaces theirs: the earlier one
    /// is taken back by an undo in the same transaction, so a person has one vote.
    pub fn record_decision(&mut self, d: &NewDecision) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert_decision(&tx, d, now_ms())?;
        tx.commit()?;
        Ok(id)
    }

    /// Who else holds a live reservation of the item, if anyone does and `annotator` holds none.
    pub fn reserved_for_another(&self, item_id: i64, annotator: &str) -> Result<Option<Reservation>> {
        reservation_by_another(&self.conn, item_id, annotator, now_ms())
    }

    /// All decisions about one item, oldest first.
    pub fn decisions_for(&self, item_id: i64) -> Result<Vec<Decision>> {
        let mut stmt = self.conn.prepare_cached(&format!("{DECISION_COLUMNS} WHERE item_id = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([item_id], row_to_raw)?;
        rows.map(|r| r?.into_decision()).collect()
    }

    /// People's decisions after decision `after` (the machine's accepts left out): all of them, and those
    /// that change what an item is labelled (accept, correct, reject, resolve, and the undo of one of
    /// those), which is what a retrain would learn that the model has not.
    pub fn people_decisions_since(&self, after: i64) -> Result<DecisionsSince> {
        let (all, labelling): (i64, i64) = self.conn.query_row(
            "SELECT count(*),
                    coalesce(sum(d.action IN ('accept', 'correct', 'reject', 'resolve')
                                 OR (d.action = 'undo' AND u.action IN ('accept', 'correct', 'reject', 'resolve'))), 0)
               FROM decisions d LEFT JOIN decisions u ON u.id = d.undoes
              WHERE d.id > ?1 AND d.annotator != ?2",
            params![after, super::MACHINE],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(DecisionsSince { all: u64::try_from(all).unwrap_or(0), labelling: u64::try_from(labelling).unwrap_or(0) })
    }
}

/// Checks and records one decision inside `tx` (see [`Store::record_decision`]) and returns its id.
pub(super) fn insert_decision(tx: &Transaction<'_>, d: &NewDecision, at_ms: i64) -> Result<i64> {
    check_shape(d)?;
    let exists = tx
        .prepare_cached(&format!("SELECT 1 FROM items WHERE id = ?1 AND id < {HIDDEN_FROM}"))?
        .query_row([d.item_id], |_| Ok(()))
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::NoSuchItem(d.item_id));
    }
    let reserved = reservation_by_another(tx, d.item_id, &d.annotator, at_ms)?;
    if let Some(r) = &reserved {
        if !d.override_lease {
            return Err(StoreError::Reserved { annotator: r.annotator.clone(), until_ms: r.expires_at_ms });
        }
    }
    let replaced = if d.action.assigns_labels() && d.action != DecisionAction::Resolve {
        own_labels(tx, d.item_id, &d.annotator)?
    } else {
        Vec::new()
    };
    for earlier in &replaced {
        let undo = NewDecision {
            undoes: Some(*earlier),
            note: Some("changed their mind: replaced by their next decision".into()),
            ..NewDecision::new(d.item_id, &d.annotator, DecisionAction::Undo)
        };
        insert(tx, &undo, at_ms, Vec::new(), None)?;
    }
    insert(tx, d, at_ms, replaced, reserved.map(|r| r.annotator))
}

/// Inserts one decision with what it implies (its reservation ended, an escalation opened or closed) and
/// its audit event, which also records the person's earlier decisions it `replaces` and whose reservation
/// it overrode (`lease_overridden`); returns its id.
fn insert(
    tx: &Transaction<'_>,
    d: &NewDecision,
    at_ms: i64,
    replaces: Vec<i64>,
    lease_overridden: Option<String>,
) -> Result<i64> {
    let undone_action = match d.undoes {
        Some(target) => Some(check_undo_target(tx, d.item_id, target)?),
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO decisions (item_id, annotator, action, labels, reason, note, time_spent_ms,
             model_version_id, predicted_labels, predicted_confidence, undoes, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        d.item_id,
        d.annotator,
        d.action.as_str(),
        d.labels.as_deref().map(labels_to_json),
        d.reason,
        d.note,
        d.time_spent_ms,
        d.model.as_ref().map(|m| m.version),
        d.model.as_ref().map(|m| labels_to_json(&m.predicted)),
        d.model.as_ref().map(|m| m.confidence),
        d.undoes,
        at_ms,
    ])?;
    let id = tx.last_insert_rowid();
    // A decision ends the person's reservation of the item.
    tx.execute("DELETE FROM leases WHERE item_id = ?1 AND annotator = ?2", params![d.item_id, d.annotator])?;
    match (d.action, undone_action) {
        (DecisionAction::Escalate, _) => {
            tx.execute(
                "INSERT INTO escalations (item_id, decision_id, reason, note, opened_by, opened_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![d.item_id, id, d.reason, d.note, d.annotator, at_ms],
            )?;
        }
        (DecisionAction::Resolve, _) => close_escalations(tx, d.item_id, &d.annotator, at_ms, "resolved")?,
        (DecisionAction::Undo, Some(DecisionAction::Escalate)) => {
            tx.execute(
                "UPDATE escalations SET closed_by = ?1, closed_at_ms = ?2, closed_as = 'undone'
                 WHERE decision_id = ?3 AND closed_at_ms IS NULL",
                params![d.annotator, at_ms, d.undoes],
            )?;
        }
        _ => {}
    }
    let event = AuditEvent::Decision(DecisionEvent::Recorded(DecisionRecorded {
        decision_id: id,
        action: d.action,
        labels: d.labels.clone(),
        reason: d.reason.clone(),
        note: d.note.clone(),
        undoes: d.undoes,
        model: d.model.clone(),
        replaces,
        lease_overridden,
    }));
    events::append(tx, at_ms, &d.annotator, Some(d.item_id), &event)?;
    super::item_state::refresh_item_state(tx, d.item_id)?;
    Ok(id)
}

/// A live reservation of `item_id` held by someone other than `annotator`, when `annotator` holds none.
fn reservation_by_another(
    conn: &rusqlite::Connection,
    item_id: i64,
    annotator: &str,
    now: i64,
) -> Result<Option<Reservation>> {
    let mut stmt = conn.prepare_cached(
        "SELECT annotator, expires_at_ms FROM leases WHERE item_id = ?1 AND expires_at_ms >= ?2 ORDER BY expires_at_ms",
    )?;
    let holders: Vec<Reservation> = stmt
        .query_map(params![item_id, now], |r| Ok(Reservation { annotator: r.get(0)?, expires_at_ms: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    if holders.iter().any(|h| h.annotator == annotator) {
        return Ok(None);
    }
    Ok(holders.into_iter().next())
}

/// The labelling decisions (accept, correct, reject) `annotator` made on the item that stand: not undone.
fn own_labels(tx: &Transaction<'_>, item_id: i64, annotator: &str) -> Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "SELECT d.id FROM decisions d WHERE d.item_id = ?1 AND d.annotator = ?2
            AND d.action IN ('accept', 'correct', 'reject')
            AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) ORDER BY d.id",
    )?;
    let ids = stmt.query_map(params![item_id, annotator], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

fn check_shape(d: &NewDecision) -> Result<()> {
    let reject = |m: &str| Err(StoreError::Rejected(format!("{} decision: {m}", d.action.as_str())));
    if d.action.assigns_labels() && d.labels.is_none() {
        return reject("labels are required");
    }
    if !d.action.assigns_labels() && d.labels.is_some() {
        return reject("this action gives no labels");
    }
    if d.action == DecisionAction::Escalate && d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return reject("a reason is required");
    }
    if (d.action == DecisionAction::Undo) != d.undoes.is_some() {
        return reject("an undo, and only an undo, names the decision it takes back");
    }
    Ok(())
}

/// An undo must name a decision on the same item that is not itself an undo and was not undone already.
/// Returns the action being undone.
fn check_undo_target(tx: &Transaction<'_>, item_id: i64, target: i64) -> Result<DecisionAction> {
    let found: Option<(i64, String)> = tx
        .query_row("SELECT item_id, action FROM decisions WHERE id = ?1", [target], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let Some((target_item, action)) = found else {
        return Err(StoreError::Rejected(format!("undo: decision {target} does not exist")));
    };
    if target_item != item_id {
        return Err(StoreError::Rejected(format!("undo: decision {target} is about another item")));
    }
    let action = parse_action(&action)?;
    if action == DecisionAction::Undo {
        return Err(StoreError::Rejected("undo: an undo cannot be undone".into()));
    }
    let already = tx.query_row("SELECT 1 FROM decisions WHERE undoes = ?1", [target], |_| Ok(())).optional()?;
    if already.is_some() {
        return Err(StoreError::Rejected(format!("undo: decision {target} was already undone")));
    }
    Ok(action)
}

fn close_escalations(tx: &Transaction<'_>, item_id: i64, by: &str, at_ms: i64, how: &str) -> Result<()> {
    tx.execute(
        "UPDATE escalations SET closed_by = ?1, closed_at_ms = ?2, closed_as = ?3
         WHERE item_id = ?4 AND closed_at_ms IS NULL",
        params![by, at_ms, how, item_id],
    )?;
    Ok(())
}
