//! The audit trail in the database: appending (callers pass their open write transaction, so the event
//! lands, or not, together with the change it records), walking the chain to verify it, and reading
//! events by item, actor, action and time.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Result, Store, StoreError, now_ms};
use crate::domain::audit::event::{AuditEvent, EventKind};
use crate::domain::audit::{BrokenLink, ChainWalk, EventHash, EventRecord, GENESIS, chain_hash};

/// At most this many threads walk the trail at once.
const MAX_VERIFY_THREADS: usize = 8;
/// A trail shorter than this is walked on one thread.
const PART_MIN_EVENTS: i64 = 50_000;

impl Store {
    /// Records an event that changes nothing else (a project created, an export written); returns its
    /// sequence number.
    pub fn log_event(&mut self, actor: &str, event: &AuditEvent) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = append(&tx, now_ms(), actor, None, event)?;
        tx.commit()?;
        Ok(seq)
    }
}

/// Appends one event and returns its sequence number. Its payload is serialised compactly and hashed as
/// stored. `tx` is the caller's open write transaction (a `Transaction`, or a connection inside
/// `BEGIN IMMEDIATE`).
pub(crate) fn append(
    tx: &rusqlite::Connection,
    at_ms: i64,
    actor: &str,
    item_id: Option<i64>,
    event: &AuditEvent,
) -> Result<i64> {
    let kind = event.kind();
    let payload = event.payload_json().map_err(|source| StoreError::EventPayload { kind, source })?;
    let last: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, to_hash(&hash)?),
        None => (1, GENESIS),
    };
    let record = EventRecord { seq, at_ms, actor, kind, item_id, payload: &payload };
    let hash = chain_hash(&prev, &record);
    tx.prepare_cached(
        "INSERT INTO events (seq, at_ms, actor, kind, item_id, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![seq, at_ms, actor, kind, item_id, payload, &prev[..], &hash[..]])?;
    Ok(seq)
}

/// Walks events `from..=to` from the stored hash of the event before `from`; the first problem, if any.
fn walk_part(store: &Store, from: i64, to: i64) -> Result<Option<BrokenLink>> {
    store.tune_for_scan()?;
    let before: Option<(i64, Vec<u8>)> = store
        .conn
        .query_row("SELECT seq, hash FROM events WHERE seq < ?1 ORDER BY seq DESC LIMIT 1", [from], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let mut walk = match before {
        None => ChainWalk::new(),
        // A bad stored hash there is reported by the part that holds that event.
        Some((seq, hash)) => ChainWalk::after(seq, EventHash::try_from(&hash[..]).unwrap_or(GENESIS)),
    };
    let mut stmt = store.conn.prepare(
        "SELECT seq, at_ms, actor, kind, item_id, payload, prev_hash, hash FROM events
         WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query([from, to])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let fields = (|| {
            let (actor, kind, payload) = (text_at(row, 2)?, text_at(row, 3)?, text_at(row, 5)?);
            let record = EventRecord { seq, at_ms: row.get(1)?, actor, kind, item_id: row.get(4)?, payload };
            Ok::<_, rusqlite::Error>((record, blob_at(row, 6)?, blob_at(row, 7)?))
        })();
        let checked = match fields {
            Ok((record, prev_hash, hash)) => walk.check(&record, prev_hash, hash),
            // A column of the wrong type (text where a hash was, a number for the actor) was put there by hand.
            Err(_) => walk.place(seq).and(Err(BrokenLink::Changed { seq })),
        };
        if let Err(link) = checked {
            return Ok(Some(link));
        }
    }
    Ok(None)
}

/// Column `i` as text, borrowed from the row (walking a long trail allocates nothing per event).
fn text_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    let value = row.get_ref(i)?;
    value.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

/// Column `i` as bytes, borrowed from the row.
fn blob_at<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    let value = row.get_ref(i)?;
    value.as_blob().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

fn to_hash(bytes: &[u8]) -> Result<EventHash> {
    bytes.try_into().map_err(|_| super::StoreError::Corrupt(format!("an event hash is {} bytes, not 32", bytes.len())))
}

/// One event as stored, for `margin audit log`.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub kind: String,
    pub item_id: Option<i64>,
    /// The item's external id, when the event is about an item.
    pub item: Option<String>,
    /// Compact JSON as stored.
    pub payload: String,
    pub hash: Vec<u8>,
}

/// Which events to read; every field that is set must hold.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub item_id: Option<i64>,
    pub actor: Option<String>,
    /// The event's kind (`decision`, `export`, ...) or, for decisions, their action (`correct`, `escalate`, ...).
    pub action: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// What walking the whole trail found.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainReport {
    /// Events that held, from the first.
    pub held: u64,
    /// The last event, when the whole trail held.
    pub head: Option<(i64, EventHash)>,
    pub broken: Option<BrokenEvent>,
}

/// Where the trail stops holding, and what the row there says (when there is a row).
#[derive(Debug, Clone, PartialEq)]
pub struct BrokenEvent {
    pub problem: Broken,
    pub at_ms: Option<i64>,
    pub actor: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Broken {
    #[error(transparent)]
    Link(#[from] BrokenLink),
    /// The newest decision has no event: events were cut off the end of the trail.
    #[error(
        "decision {decision_id} has no event in the trail, which ends at event {last_seq}: events after it were deleted"
    )]
    Unrecorded { decision_id: i64, last_seq: i64 },
}

impl Broken {
    /// The event to look at first.
    pub fn seq(&self) -> i64 {
        match self {
            Broken::Link(link) => link.seq(),
            Broken::Unrecorded { last_seq, .. } => last_seq + 1,
        }
    }
}

impl Store {
    /// Walks the audit trail from the first event and checks every link; then checks that the newest
    /// decision is in it (removing events from the end leaves no broken link behind). A long trail is
    /// walked in parts at once, each on its own thread and read-only connection (one per core), each part from the stored hash of the
    /// event before it; the first problem in trail order is the one reported.
    pub fn verify_events(&self) -> Result<ChainReport> {
        let bounds: Option<(i64, i64)> = self.conn.query_row("SELECT min(seq), max(seq) FROM events", [], |r| {
            Ok(r.get::<_, Option<i64>>(0)?.zip(r.get(1)?))
        })?;
        let Some((first, last)) = bounds else {
            let broken = self.newest_decision_unrecorded(0)?;
            return Ok(ChainReport { held: 0, head: None, broken });
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_VERIFY_THREADS);
        let parts = if last - first < PART_MIN_EVENTS { 1 } else { cores as i64 };
        let span = (last - first + parts) / parts;
        let path = &self.path;
        let results: Vec<Result<Option<BrokenLink>>> = std::thread::scope(|scope| {
            let walkers: Vec<_> = (0..parts)
                .map(|part| {
                    let from = first + part * span;
                    let to = (from + span - 1).min(last);
                    scope.spawn(move || walk_part(&Store::open_read_only(path)?, from, to))
                })
                .collect();
            walkers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| Err(StoreError::Corrupt("a verify thread failed".into()))))
                .collect()
        });
        let mut problem = None;
        for result in results {
            if let Some(link) = result? {
                problem = Some(link);
                break;
            }
        }
        let Some(link) = problem else {
            let hash: Vec<u8> = self.conn.query_row("SELECT hash FROM events WHERE seq = ?1", [last], |r| r.get(0))?;
            // Every event from 1 to `last` held, with no gap.
            let held = last;
            let broken = self.newest_decision_unrecorded(last)?;
            return Ok(ChainReport { held: held as u64, head: Some((last, to_hash(&hash)?)), broken });
        };
        let held = match link {
            BrokenLink::Missing { before, .. } => before,
            BrokenLink::MissingStart { .. } => 0,
            BrokenLink::Changed { seq } | BrokenLink::Unlinked { seq } | BrokenLink::BadHash { seq, .. } => seq - 1,
        };
        // What the row at the broken event says, when there is one.
        let row: Option<(i64, String, String)> = self
            .conn
            .query_row("SELECT at_ms, actor, kind FROM events WHERE seq = ?1", [link.seq()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let broken = BrokenEvent {
            problem: Broken::Link(link),
            at_ms: row.as_ref().map(|r| r.0),
            actor: row.as_ref().map(|r| r.1.clone()),
            kind: row.map(|r| r.2),
        };
        Ok(ChainReport { held: held as u64, head: None, broken: Some(broken) })
    }

    fn newest_decision_unrecorded(&self, last_seq: i64) -> Result<Option<BrokenEvent>> {
        let newest: Option<(i64, i64, i64, String)> = self
            .conn
            .query_row("SELECT id, item_id, at_ms, annotator FROM decisions ORDER BY id DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((decision_id, item_id, at_ms, annotator)) = newest else { return Ok(None) };
        let recorded: bool = self.conn.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM events WHERE item_id = ?1 AND kind = '{}'
                                AND json_extract(payload, '$.decision_id') = ?2)",
                EventKind::Decision.as_str()
            ),
            params![item_id, decision_id],
            |r| r.get(0),
        )?;
        Ok((!recorded).then(|| BrokenEvent {
            problem: Broken::Unrecorded { decision_id, last_seq },
            at_ms: Some(at_ms),
            actor: Some(annotator),
            kind: Some(EventKind::Decision.as_str().into()),
        }))
    }

    /// Calls `visit` with each event that passes `filter`, oldest first.
    pub fn visit_events(
        &self,
        filter: &EventFilter,
        mut visit: impl FnMut(StoredEvent) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT e.seq, e.at_ms, e.actor, e.kind, e.item_id, i.ext_id, e.payload, e.hash
             FROM events e LEFT JOIN items i ON i.id = e.item_id
             WHERE (?1 IS NULL OR e.item_id = ?1)
               AND (?2 IS NULL OR e.actor = ?2)
               AND (?3 IS NULL OR e.kind = ?3 OR (e.kind = '{decision}' AND json_extract(e.payload, '$.action') = ?3))
               AND (?4 IS NULL OR e.at_ms >= ?4)
               AND (?5 IS NULL OR e.at_ms < ?5)
             ORDER BY e.seq",
            decision = EventKind::Decision.as_str()
        ))?;
        let mut rows =
            stmt.query(params![filter.item_id, filter.actor, filter.action, filter.since_ms, filter.until_ms])?;
        while let Some(row) = rows.next()? {
            let event = StoredEvent {
                seq: row.get(0)?,
                at_ms: row.get(1)?,
                actor: row.get(2)?,
                kind: row.get(3)?,
                item_id: row.get(4)?,
                item: row.get(5)?,
                payload: row.get(6)?,
                hash: row.get(7)?,
            };
            if let Err(e) = visit(event) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

impl Store {
    /// The payload of the newest event of `kind`, if any.
    pub fn newest_event_payload(&self, kind: EventKind) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT payload FROM events WHERE kind = ?1 ORDER BY seq DESC LIMIT 1", [kind.as_str()], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The sequence number and payload of the newest event of `kind`, if any.
    pub fn newest_event(&self, kind: EventKind) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, payload FROM events WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
                [kind.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Whether an event of `kind` records writing to `path` (its payload's `to`): an earlier export or
    /// backup there, which the next one may replace.
    pub fn wrote_to(&self, kind: EventKind, path: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE kind = ?1 AND json_extract(payload, '$.to') = ?2)",
            [kind.as_str(), path],
            |r| r.get(0),
        )?)
    }

    /// Records an event about one item (a reveal of its masked text); returns its sequence number.
    pub fn log_item_event(&mut self, actor: &str, item_id: i64, event: &AuditEvent) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = append(&tx, now_ms(), actor, Some(item_id), event)?;
        tx.commit()?;
        Ok(seq)
    }
}
