//! The audit trail's hash chain: how an event is written down canonically and chained to the one before.
//!
//! Each event's hash is SHA-256 over the previous event's hash followed by the event's canonical JSON, so
//! changing or removing any event breaks every link after it. [`ChainWalk`] checks the links one event at a
//! time, in order, and says which event is the first that does not hold. What each kind of event records
//! is in [`event`].

use sha2::{Digest, Sha256};

pub mod event;

pub type EventHash = [u8; 32];

/// The `prev_hash` of the first event.
pub const GENESIS: EventHash = [0; 32];

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub item_id: Option<i64>,
    /// Compact JSON, embedded verbatim.
    pub payload: &'a str,
}

/// The exact bytes that are hashed: fixed key order, no spaces, the payload as stored.
pub fn canonical_json(event: &EventRecord<'_>) -> String {
    let mut out = Vec::with_capacity(96 + event.payload.len());
    write_canonical(&mut out, event);
    String::from_utf8(out).expect("canonical JSON is built from strings")
}

/// Appends the canonical JSON of `event` to `out` (reused across events when walking a long chain).
fn write_canonical(out: &mut Vec<u8>, event: &EventRecord<'_>) {
    use std::io::Write as _;
    // Writing to a Vec cannot fail, nor can serialising a &str.
    let _ = write!(out, "{{\"seq\":{},\"at_ms\":{},\"actor\":", event.seq, event.at_ms);
    let _ = serde_json::to_writer(&mut *out, event.actor);
    out.extend_from_slice(b",\"kind\":");
    let _ = serde_json::to_writer(&mut *out, event.kind);
    out.extend_from_slice(b",\"item_id\":");
    match event.item_id {
        Some(id) => {
            let _ = write!(out, "{id}");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"payload\":");
    out.extend_from_slice(event.payload.as_bytes());
    out.push(b'}');
}

/// The hash of an event given the hash of the event before it.
pub fn chain_hash(prev: &EventHash, event: &EventRecord<'_>) -> EventHash {
    let mut buffer = Vec::new();
    hash_with(&mut buffer, prev, event)
}

fn hash_with(buffer: &mut Vec<u8>, prev: &EventHash, event: &EventRecord<'_>) -> EventHash {
    buffer.clear();
    write_canonical(buffer, event);
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(&buffer[..]);
    hasher.finalize().into()
}

/// The first link in the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    #[error("event {seq} is missing: the trail goes from event {before} to event {after} (deleted)", seq = before + 1)]
    Missing { before: i64, after: i64 },
    #[error("the trail starts at event {first}, not 1: the events before it were deleted")]
    MissingStart { first: i64 },
    #[error("event {seq} was changed: what it says no longer matches its hash")]
    Changed { seq: i64 },
    #[error(
        "event {seq} does not follow event {before}: its link to the event before does not match that event's hash \
         (event {before} was changed and its hash rewritten, or event {seq} was put in)",
        before = seq - 1
    )]
    Unlinked { seq: i64 },
    #[error("event {seq}'s {field} is {len} bytes, not 32")]
    BadHash { seq: i64, field: &'static str, len: usize },
}

impl BrokenLink {
    /// The event to look at first.
    pub fn seq(&self) -> i64 {
        match self {
            BrokenLink::Missing { before, .. } => before + 1,
            BrokenLink::MissingStart { first } => first - 1,
            BrokenLink::Changed { seq } | BrokenLink::Unlinked { seq } | BrokenLink::BadHash { seq, .. } => *seq,
        }
    }
}

/// Walks the chain in `seq` order, one stored event at a time. A long trail can be walked in parts at
/// once: each part starts [`after`](ChainWalk::after) the last event of the part before it.
#[derive(Debug, Default)]
pub struct ChainWalk {
    last: Option<(i64, EventHash)>,
    buffer: Vec<u8>,
}

impl ChainWalk {
    /// A walk from the first event.
    pub fn new() -> ChainWalk {
        ChainWalk::default()
    }

    /// A walk that goes on after event `seq`, whose stored hash is `hash`.
    pub fn after(seq: i64, hash: EventHash) -> ChainWalk {
        ChainWalk { last: Some((seq, hash)), buffer: Vec::new() }
    }

    /// Checks the next stored event: its place, its link to the event before, and its own hash.
    pub fn check(&mut self, event: &EventRecord<'_>, prev_hash: &[u8], hash: &[u8]) -> Result<(), BrokenLink> {
        let seq = event.seq;
        // Its place first: a missing event before it is the first problem, whatever this row holds.
        let expected_prev = self.place(seq)?;
        let as_hash = |bytes: &[u8], field| {
            EventHash::try_from(bytes).map_err(|_| BrokenLink::BadHash { seq, field, len: bytes.len() })
        };
        let (prev_hash, hash) = (as_hash(prev_hash, "prev_hash")?, as_hash(hash, "hash")?);
        if prev_hash != expected_prev {
            return Err(BrokenLink::Unlinked { seq });
        }
        if hash_with(&mut self.buffer, &prev_hash, event) != hash {
            return Err(BrokenLink::Changed { seq });
        }
        self.last = Some((seq, hash));
        Ok(())
    }

    /// Checks that event `seq` comes next; returns the hash its `prev_hash` must be.
    pub fn place(&self, seq: i64) -> Result<EventHash, BrokenLink> {
        match self.last {
            None if seq != 1 => Err(BrokenLink::MissingStart { first: seq }),
            None => Ok(GENESIS),
            Some((before, _)) if seq != before + 1 => Err(BrokenLink::Missing { before, after: seq }),
            Some((_, last_hash)) => Ok(last_hash),
        }
    }

    /// The last event that held: its seq and hash.
    pub fn head(&self) -> Option<(i64, EventHash)> {
        self.last
    }
}

/// An event hash in lower-case hex.
pub fn to_hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(payload: &str) -> EventRecord<'_> {
        EventRecord { seq: 1, at_ms: 5, actor: "ann \"the\" tester", kind: "decision", item_id: Some(7), payload }
    }

    #[test]
    fn canonical_form_is_fixed() {
        assert_eq!(
            canonical_json(&event("{\"a\":1}")),
            r#"{"seq":1,"at_ms":5,"actor":"ann \"the\" tester","kind":"decision","item_id":7,"payload":{"a":1}}"#
        );
    }

    /// A chain of `n` events as stored: (event, prev_hash, hash).
    fn chain(n: i64) -> Vec<(i64, String, EventHash, EventHash)> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let payload = format!("{{\"n\":{seq}}}");
                let record = EventRecord {
                    seq,
                    at_ms: seq * 10,
                    actor: "ann",
                    kind: "decision",
                    item_id: None,
                    payload: &payload,
                };
                let hash = chain_hash(&prev, &record);
                let row = (seq, payload.clone(), prev, hash);
                prev = hash;
                row
            })
            .collect()
    }

    /// Walks `rows` whole, and again in two parts (the second after the first's last stored event): both
    /// must agree.
    fn walk(rows: &[(i64, String, EventHash, EventHash)]) -> Result<usize, BrokenLink> {
        let check = |walk: &mut ChainWalk, (seq, payload, prev, hash): &(i64, String, EventHash, EventHash)| {
            let record =
                EventRecord { seq: *seq, at_ms: seq * 10, actor: "ann", kind: "decision", item_id: None, payload };
            walk.check(&record, prev, hash)
        };
        let mut whole = ChainWalk::new();
        let one_part = rows.iter().try_for_each(|row| check(&mut whole, row));
        let (first, second) = rows.split_at(rows.len() / 2);
        let mut walk = ChainWalk::new();
        let mut then = first.last().map_or_else(ChainWalk::new, |(seq, _, _, hash)| ChainWalk::after(*seq, *hash));
        let two_parts = first
            .iter()
            .try_for_each(|row| check(&mut walk, row))
            .and_then(|()| second.iter().try_for_each(|row| check(&mut then, row)));
        assert_eq!(one_part, two_parts);
        one_part.map(|()| rows.len())
    }

    #[test]
    fn an_untouched_chain_holds() {
        assert_eq!(walk(&chain(5)), Ok(5));
        assert_eq!(walk(&[]), Ok(0));
    }

    #[test]
    fn each_kind_of_tampering_names_its_event() {
        let mut changed = chain(5);
        changed[2].1 = "{\"n\":99}".into();
        assert_eq!(walk(&changed), Err(BrokenLink::Changed { seq: 3 }));

        let mut deleted = chain(5);
        deleted.remove(3);
        assert_eq!(walk(&deleted), Err(BrokenLink::Missing { before: 3, after: 5 }));
        assert_eq!(walk(&deleted).unwrap_err().seq(), 4);

        let mut first_gone = chain(5);
        first_gone.remove(0);
        assert_eq!(walk(&first_gone), Err(BrokenLink::MissingStart { first: 2 }));

        // Changed, with its own hash rewritten to match: the next link gives it away.
        let mut rehashed = chain(5);
        rehashed[1].1 = "{\"n\":99}".into();
        let record =
            EventRecord { seq: 2, at_ms: 20, actor: "ann", kind: "decision", item_id: None, payload: &rehashed[1].1 };
        rehashed[1].3 = chain_hash(&rehashed[1].2, &record);
        assert_eq!(walk(&rehashed), Err(BrokenLink::Unlinked { seq: 3 }));

        let mut short = chain(2);
        short[1].3 = [0; 32];
        assert_eq!(walk(&short), Err(BrokenLink::Changed { seq: 2 }));

        // A gap comes before anything wrong with the row after it.
        let mut gap_then_bad = chain(5);
        gap_then_bad.remove(3);
        let mut walk = ChainWalk::new();
        let rows: Vec<_> = gap_then_bad.iter().take(3).collect();
        for (seq, payload, prev, hash) in rows {
            let record =
                EventRecord { seq: *seq, at_ms: seq * 10, actor: "ann", kind: "decision", item_id: None, payload };
            walk.check(&record, prev, hash).unwrap();
        }
        let record = EventRecord { seq: 5, at_ms: 50, actor: "ann", kind: "decision", item_id: None, payload: "{}" };
        assert_eq!(walk.check(&record, &[1, 2], &[3]), Err(BrokenLink::Missing { before: 3, after: 5 }));
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = chain_hash(&GENESIS, &event("{\"a\":1}"));
        assert_ne!(base, chain_hash(&GENESIS, &event("{\"a\":2}")));
        assert_ne!(base, chain_hash(&[1; 32], &event("{\"a\":1}")));
        assert_eq!(base, chain_hash(&GENESIS, &event("{\"a\":1}")));
    }
}
