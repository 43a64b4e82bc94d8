//! Writing a span project's settled items as span files: Prodigy's JSONL (with tokens, `meta` and
//! `"answer": "accept"`), spaCy's JSONL (with `meta`) or CoNLL / IOB2. Items whose spans are not settled
//! (pending, disputed, escalated) are left out: these formats have no way to say "not decided".

use std::io::Write;

use serde_json::Value;
use serde_json::value::RawValue;

use super::spans::{SpanJsonl, SpanRecord, jsonl_value, write_conll};
use crate::domain::spans::from_keys;
use crate::domain::{ItemOutcome, StoredItem};

/// Writes one item if its spans are settled: as JSONL of `shape`, or as CoNLL when `shape` is `None`;
/// `labels` are the project's, in order.
pub(super) fn write_span_record(
    out: &mut impl Write,
    shape: Option<SpanJsonl>,
    item: &StoredItem,
    meta: &RawValue,
    outcome: &ItemOutcome,
    labels: &[String],
) -> std::io::Result<()> {
    let ItemOutcome::Decided { labels: keys } = outcome else { return Ok(()) };
    let record = SpanRecord { text: item.text.clone(), spans: from_keys(keys) };
    let Some(shape) = shape else {
        return out.write_all(write_conll(&record, labels).as_bytes());
    };
    let mut value = jsonl_value(&record, shape);
    let meta: Value = serde_json::from_str(meta.get()).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("id".into(), Value::String(item.ext_id.clone()));
        map.insert("meta".into(), meta);
        if shape == SpanJsonl::Prodigy {
            map.insert("answer".into(), Value::String("accept".into()));
        }
    }
    serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}
