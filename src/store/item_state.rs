//! The review index (`item_state`): one row per item that has decisions, with its outcome and latest
//! decision, rewritten inside every transaction that changes the item's decisions or escalations (so it
//! cannot lag behind them), with the item's person labels and tallies (see `tallies`), and rebuilt whole
//! by the migration that made them.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::decision_rows::{DECISION_COLUMNS, row_to_raw};
use super::{Result, labels_from_json, labels_to_json};
use crate::domain::Decision;
use crate::domain::review::{ReviewState, review_state};

/// Rewrites one item's review row, person labels and share of the tallies from its decisions (call inside
/// the transaction that changed them, or its gold labels).
pub(super) fn refresh_item_state(conn: &Connection, item_id: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!("{DECISION_COLUMNS} WHERE item_id = ?1 ORDER BY id"))?;
    let decisions: Vec<Decision> =
        stmt.query_map([item_id], row_to_raw)?.map(|r| r?.into_decision()).collect::<Result<_>>()?;
    let open: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM escalations WHERE item_id = ?1 AND closed_at_ms IS NULL)")?
        .query_row([item_id], |r| r.get(0))?;
    let state = review_state(&decisions, open);
    // Before the row is rewritten: the tallies take away what the item added from it.
    super::tallies::refresh_tallies(conn, item_id, &decisions, state.as_ref())?;
    forget_labels(conn, item_id)?;
    match state {
        Some(state) => write_state(conn, item_id, &state),
        None => {
            conn.prepare_cached("DELETE FROM item_state WHERE item_id = ?1")?.execute([item_id])?;
            Ok(())
        }
    }
}

/// Removes the item's rows from `item_state_labels` (found through the labels its review row holds).
fn forget_labels(conn: &Connection, item_id: i64) -> Result<()> {
    let held: Option<Option<String>> = conn
        .prepare_cached("SELECT labels FROM item_state WHERE item_id = ?1")?
        .query_row([item_id], |r| r.get(0))
        .optional()?;
    for label in labels_from_json(held.flatten())?.unwrap_or_default() {
        conn.prepare_cached("DELETE FROM item_state_labels WHERE label = ?1 AND item_id = ?2")?
            .execute(params![label, item_id])?;
    }
    Ok(())
}

fn write_state(conn: &Connection, item_id: i64, s: &ReviewState) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO item_state (item_id, status, labels, last_id, last_at_ms, last_by, predicted,
             confidence, disagrees, escalated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        item_id,
        s.status.as_str(),
        s.labels.as_deref().map(labels_to_json),
        s.last_id,
        s.last_at_ms,
        s.last_by,
        s.predicted.as_deref().map(labels_to_json),
        s.confidence,
        s.disagrees,
        s.escalated,
    ])?;
    for label in s.labels.iter().flatten() {
        conn.prepare_cached("INSERT OR IGNORE INTO item_state_labels (label, item_id) VALUES (?1, ?2)")?
            .execute(params![label, item_id])?;
    }
    Ok(())
}

/// Rewrites every item's review row, person labels and tallies (the migration that made them).
pub(super) fn rebuild_item_states(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM item_state; DELETE FROM item_state_labels; DELETE FROM person_labels; DELETE FROM tallies;",
    )?;
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT DISTINCT item_id FROM decisions ORDER BY item_id")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        ids.collect::<rusqlite::Result<_>>()?
    };
    for id in ids {
        refresh_item_state(tx, id)?;
    }
    Ok(())
}
