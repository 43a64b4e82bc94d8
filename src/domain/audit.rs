//! The audit trail's hash chain: how an event is written down canonically and chained to the one before.
//!
//! Each event's hash is SHA-256 over the previous event's hash followed by the event's canonical JSON, so
//! changing or removing any event breaks every link after it.

use sha2::{Digest, Sha256};

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
    let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let item = event.item_id.map_or_else(|| "null".to_string(), |id| id.to_string());
    format!(
        "{{\"seq\":{},\"at_ms\":{},\"actor\":{},\"kind\":{},\"item_id\":{},\"payload\":{}}}",
        event.seq,
        event.at_ms,
        quote(event.actor),
        quote(event.kind),
        item,
        event.payload
    )
}

/// The hash of an event given the hash of the event before it.
pub fn chain_hash(prev: &EventHash, event: &EventRecord<'_>) -> EventHash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(canonical_json(event).as_bytes());
    hasher.finalize().into()
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

    #[test]
    fn any_change_changes_the_hash() {
        let base = chain_hash(&GENESIS, &event("{\"a\":1}"));
        assert_ne!(base, chain_hash(&GENESIS, &event("{\"a\":2}")));
        assert_ne!(base, chain_hash(&[1; 32], &event("{\"a\":1}")));
        assert_eq!(base, chain_hash(&GENESIS, &event("{\"a\":1}")));
    }
}
