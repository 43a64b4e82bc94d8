//! Appending to the audit trail. Callers pass their open write transaction, so the event lands (or not)
//! together with the change it records.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Result, Store, now_ms};
use crate::domain::audit::{EventHash, EventRecord, GENESIS, chain_hash};

impl Store {
    /// Records an event that changes nothing else (a project created, an export written); returns its
    /// sequence number.
    pub fn log_event(&mut self, actor: &str, kind: &str, payload: &serde_json::Value) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = append(&tx, now_ms(), actor, kind, None, payload)?;
        tx.commit()?;
        Ok(seq)
    }
}

/// Appends one event and returns its sequence number. `payload` is serialised compactly and hashed as stored.
pub(crate) fn append(
    tx: &Transaction<'_>,
    at_ms: i64,
    actor: &str,
    kind: &str,
    item_id: Option<i64>,
    payload: &serde_json::Value,
) -> Result<i64> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, to_hash(&hash)?),
        None => (1, GENESIS),
    };
    let payload = payload.to_string();
    let record = EventRecord { seq, at_ms, actor, kind, item_id, payload: &payload };
    let hash = chain_hash(&prev, &record);
    tx.prepare_cached(
        "INSERT INTO events (seq, at_ms, actor, kind, item_id, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![seq, at_ms, actor, kind, item_id, payload, &prev[..], &hash[..]])?;
    Ok(seq)
}

fn to_hash(bytes: &[u8]) -> Result<EventHash> {
    bytes.try_into().map_err(|_| super::StoreError::Corrupt(format!("an event hash is {} bytes, not 32", bytes.len())))
}
