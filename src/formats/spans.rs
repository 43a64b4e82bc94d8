//! Span files: texts with labelled character spans, read and written as Prodigy's JSONL (`text`,
//! `tokens`, `spans` with `start`, `end`, `label`), spaCy's JSONL (`text`, `entities` as
//! `[start, end, label]`; doccano's `label` in the same shape is read too) and CoNLL / IOB2 (one token and
//! its tag per line, the tag in the last column, a blank line between texts, `-DOCSTART-` lines passed
//! over). Offsets count characters. Readers name the line of anything wrong.

use serde_json::{Value, json};

use crate::domain::spans::bio::{Tag, spans_of, tags_of};
use crate::domain::spans::{Span, Token, tokens, words};

/// A text and its spans, as a span file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanRecord {
    pub text: String,
    pub spans: Vec<Span>,
}

/// What is wrong with a span file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SpanFileError {
    pub line: u64,
    pub message: String,
}

/// Which JSONL shape to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanJsonl {
    Prodigy,
    Spacy,
}

/// Reads one JSONL line in any of the shapes (Prodigy's `spans`, spaCy's `entities`, doccano's `label`).
pub fn read_jsonl_line(line: &str, number: u64) -> Result<SpanRecord, SpanFileError> {
    read_jsonl_value(line, number).map(|(record, _)| record)
}

/// One JSONL line as [`read_jsonl_line`] reads it, with the whole object (for its id and metadata). The
/// spans are `None` when the line has none of the span fields (a text still to be labelled).
pub fn read_jsonl_value(line: &str, number: u64) -> Result<(SpanRecord, Value), SpanFileError> {
    let fail = |message: String| SpanFileError { line: number, message };
    let value: Value = serde_json::from_str(line).map_err(|e| fail(format!("not JSON: {e}")))?;
    let record = record_of(&value, number)?;
    Ok((record, value))
}

/// Whether a JSONL object carries spans (any of `spans`, `entities` or doccano's `label`).
pub fn has_spans(value: &Value) -> bool {
    ["spans", "entities", "label"].iter().any(|k| value.get(k).is_some())
}

fn record_of(value: &Value, number: u64) -> Result<SpanRecord, SpanFileError> {
    let fail = |message: String| SpanFileError { line: number, message };
    let text = value
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("no \"text\" string: each line needs the text its spans are in".into()))?
        .to_string();
    let spans = if let Some(list) = value.get("spans") {
        let list = list.as_array().ok_or_else(|| fail("\"spans\" must be a list".into()))?;
        list.iter()
            .map(|s| {
                let number = |key: &str| s.get(key).and_then(Value::as_u64).map(|n| n as usize);
                match (number("start"), number("end"), s.get("label").and_then(Value::as_str)) {
                    (Some(start), Some(end), Some(label)) => Ok(Span { start, end, label: label.to_string() }),
                    _ => Err(fail(format!("a span needs \"start\", \"end\" and \"label\": {s}"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?
    } else if let Some(list) = value.get("entities").or_else(|| value.get("label")) {
        let list = list.as_array().ok_or_else(|| fail("\"entities\" must be a list of [start, end, label]".into()))?;
        list.iter()
            .map(|e| match e.as_array().map(Vec::as_slice) {
                Some([start, end, label]) => match (start.as_u64(), end.as_u64(), label.as_str()) {
                    (Some(start), Some(end), Some(label)) => {
                        Ok(Span { start: start as usize, end: end as usize, label: label.to_string() })
                    }
                    _ => Err(fail(format!("an entity is [start, end, label]: {e}"))),
                },
                _ => Err(fail(format!("an entity is [start, end, label]: {e}"))),
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    let len = text.chars().count();
    if let Some(s) = spans.iter().find(|s| s.end <= s.start || s.end > len) {
        return Err(fail(format!(
            "span {}-{} ({}) is not inside the text ({len} characters); offsets count characters",
            s.start, s.end, s.label
        )));
    }
    Ok(SpanRecord { text, spans })
}

/// One record as a JSONL line in `shape` (Prodigy's with its tokens, or spaCy's).
pub fn write_jsonl_line(record: &SpanRecord, shape: SpanJsonl) -> String {
    jsonl_value(record, shape).to_string()
}

/// One record as the JSON object [`write_jsonl_line`] writes (so a caller may add fields, such as `meta`).
pub fn jsonl_value(record: &SpanRecord, shape: SpanJsonl) -> Value {
    match shape {
        SpanJsonl::Prodigy => {
            let toks = tokens(&record.text);
            let token_list: Vec<Value> = toks
                .iter()
                .zip(words(&record.text, &toks))
                .enumerate()
                .map(|(id, (t, text))| json!({"text": text, "start": t.start, "end": t.end, "id": id}))
                .collect();
            let spans: Vec<Value> = record
                .spans
                .iter()
                .map(|s| {
                    let mut span = json!({"start": s.start, "end": s.end, "label": s.label});
                    if let Some((first, last)) = crate::domain::spans::token_range(&toks, s.start, s.end) {
                        span["token_start"] = json!(first);
                        span["token_end"] = json!(last);
                    }
                    span
                })
                .collect();
            json!({"text": record.text, "tokens": token_list, "spans": spans})
        }
        SpanJsonl::Spacy => {
            let entities: Vec<Value> = record.spans.iter().map(|s| json!([s.start, s.end, s.label])).collect();
            json!({"text": record.text, "entities": entities})
        }
    }
}

/// Reads CoNLL / IOB2 text: each text's tokens joined by single spaces, its spans from the tags (IOB1 reads
/// too). Tags must name `labels`.
pub fn read_conll(input: &str, labels: &[String]) -> Result<Vec<SpanRecord>, SpanFileError> {
    Ok(read_conll_numbered(input, labels)?.into_iter().map(|(_, record)| record).collect())
}

/// [`read_conll`], each record with the line its first token is on.
pub fn read_conll_numbered(input: &str, labels: &[String]) -> Result<Vec<(u64, SpanRecord)>, SpanFileError> {
    let mut records = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    let mut tags: Vec<Tag> = Vec::new();
    let mut first_line = 0;
    let flush = |words: &mut Vec<&str>, tags: &mut Vec<Tag>, records: &mut Vec<(u64, SpanRecord)>, line: u64| {
        if words.is_empty() {
            return;
        }
        let text = words.join(" ");
        let toks = whitespace_tokens(&text);
        records.push((line, SpanRecord { spans: spans_of(&toks, tags, labels), text }));
        words.clear();
        tags.clear();
    };
    for (i, line) in input.lines().enumerate() {
        let number = i as u64 + 1;
        let columns: Vec<&str> = line.split_whitespace().collect();
        match columns.as_slice() {
            [] => flush(&mut words, &mut tags, &mut records, first_line),
            [word, ..] if word.starts_with("-DOCSTART-") => flush(&mut words, &mut tags, &mut records, first_line),
            [_] => {
                return Err(SpanFileError {
                    line: number,
                    message: "a token line needs its tag in the last column (e.g. `Paris B-LOC`)".into(),
                });
            }
            [word, .., tag] => {
                let parsed = Tag::parse(tag, labels).ok_or_else(|| SpanFileError {
                    line: number,
                    message: format!(
                        "tag `{tag}` is not O, B-LABEL or I-LABEL with one of the project's labels ({})",
                        labels.join(", ")
                    ),
                })?;
                if words.is_empty() {
                    first_line = number;
                }
                words.push(word);
                tags.push(parsed);
            }
        }
    }
    flush(&mut words, &mut tags, &mut records, first_line);
    Ok(records)
}

/// One record as CoNLL lines (`token TAG`, IOB2) and a blank line. The tokens are the text's
/// whitespace-separated words when every span lies on them, else margin's tokens.
pub fn write_conll(record: &SpanRecord, labels: &[String]) -> String {
    let by_space = whitespace_tokens(&record.text);
    let on_edges =
        |toks: &[Token]| record.spans.iter().all(|s| crate::domain::spans::token_range(toks, s.start, s.end).is_some());
    let toks = if on_edges(&by_space) { by_space } else { tokens(&record.text) };
    let tags = tags_of(&toks, &record.spans, labels);
    let mut out = String::new();
    for (word, tag) in words(&record.text, &toks).into_iter().zip(tags) {
        out.push_str(word);
        out.push(' ');
        out.push_str(&tag.name(labels));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The text's whitespace-separated words as tokens.
fn whitespace_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut count = 0;
    for (i, c) in text.chars().enumerate() {
        count = i + 1;
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push(Token { start: s, end: i });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Token { start: s, end: count });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spans::slice;

    fn labels() -> Vec<String> {
        ["PER", "ORG", "LOC", "MISC"].iter().map(|s| s.to_string()).collect()
    }

    fn record() -> SpanRecord {
        let text = "Angela Merkel met Tim Cook of Apple in Zürich, Switzerland.".to_string();
        let span = |start, end, label: &str| Span { start, end, label: label.into() };
        SpanRecord {
            spans: vec![
                span(0, 13, "PER"),
                span(18, 26, "PER"),
                span(30, 35, "ORG"),
                span(39, 45, "LOC"),
                span(47, 58, "LOC"),
            ],
            text,
        }
    }

    #[test]
    fn prodigy_and_spacy_jsonl_keep_every_span() {
        let r = record();
        assert_eq!(slice(&r.text, 39, 45), "Zürich", "offsets count characters");
        for shape in [SpanJsonl::Prodigy, SpanJsonl::Spacy] {
            let line = write_jsonl_line(&r, shape);
            assert_eq!(read_jsonl_line(&line, 1).unwrap(), r, "{line}");
        }
        let prodigy: Value = serde_json::from_str(&write_jsonl_line(&r, SpanJsonl::Prodigy)).unwrap();
        assert_eq!(prodigy["spans"][3]["token_start"], 8, "Zürich is the ninth token");
        assert_eq!(prodigy["tokens"][8]["text"], "Zürich");
        let doccano = r#"{"text": "Tim Cook", "label": [[0, 8, "PER"]]}"#;
        assert_eq!(read_jsonl_line(doccano, 1).unwrap().spans[0].label, "PER");
    }

    #[test]
    fn conll_keeps_every_span_and_its_lines() {
        let r = record();
        let conll = write_conll(&r, &labels());
        assert!(conll.starts_with("Angela B-PER\nMerkel I-PER\nmet O\n"), "{conll}");
        // The comma and full stop are glued to words here, so the spans there are not on whitespace words:
        // margin's own tokens are written.
        assert!(conll.contains("Zürich B-LOC\n, O\nSwitzerland B-LOC\n. O\n"), "{conll}");
        let back = read_conll(&conll, &labels()).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(
            back[0].spans.iter().map(|s| slice(&back[0].text, s.start, s.end)).collect::<Vec<_>>(),
            ["Angela Merkel", "Tim Cook", "Apple", "Zürich", "Switzerland"]
        );
        assert_eq!(write_conll(&back[0], &labels()), conll, "and a second round trip is exact");
        // CoNLL-2003 as distributed: four columns, -DOCSTART-, IOB1 tags.
        let raw = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n";
        let read = read_conll(raw, &labels()).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].text, "EU rejects German call");
        assert_eq!(read[0].spans.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), ["ORG", "MISC"]);
        assert_eq!(read[1].spans, [Span { start: 0, end: 15, label: "PER".into() }]);
    }

    #[test]
    fn bad_lines_are_named_with_the_fix() {
        let err = read_conll("Paris B-LOC\nLondon B-TOWN\n", &labels()).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("B-TOWN") && err.message.contains("PER, ORG"), "{err}");
        assert_eq!(read_conll("Paris\n", &labels()).unwrap_err().line, 1);
        let past = read_jsonl_line(r#"{"text": "short", "spans": [{"start": 0, "end": 9, "label": "PER"}]}"#, 7);
        assert!(past.unwrap_err().to_string().starts_with("line 7: span 0-9"));
        assert!(read_jsonl_line(r#"{"spans": []}"#, 1).unwrap_err().message.contains("\"text\""));
        assert!(read_jsonl_line("not json", 3).is_err());
        let bad = read_jsonl_line(r#"{"text": "x", "entities": [[0, "1", "PER"]]}"#, 1).unwrap_err();
        assert!(bad.message.contains("[start, end, label]"), "{bad}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..Default::default() })]

        /// Any text of words, punctuation and non-ASCII letters, with any non-overlapping spans on its
        /// tokens: every format gives back every span (the JSONL shapes exactly; CoNLL the same words).
        #[test]
        fn every_format_keeps_every_span(
            words in proptest::collection::vec("[a-zA-Zé東]{1,6}|[,.()-]", 1..20),
            picks in proptest::collection::vec((0usize..20, 1usize..4, 0usize..4), 0..6),
        ) {
            let text = words.join(" ");
            let toks = tokens(&text);
            let mut taken = vec![false; toks.len()];
            let mut spans = Vec::new();
            for (first, len, label) in picks {
                let (first, last) = (first % toks.len(), (first % toks.len() + len - 1).min(toks.len() - 1));
                if taken[first..=last].iter().any(|t| *t) {
                    continue;
                }
                taken[first..=last].iter_mut().for_each(|t| *t = true);
                spans.push(Span { start: toks[first].start, end: toks[last].end, label: labels()[label].clone() });
            }
            spans.sort();
            let r = SpanRecord { text, spans };
            for shape in [SpanJsonl::Prodigy, SpanJsonl::Spacy] {
                proptest::prop_assert_eq!(&read_jsonl_line(&write_jsonl_line(&r, shape), 1).unwrap(), &r);
            }
            let back = read_conll(&write_conll(&r, &labels()), &labels()).unwrap();
            let words_of = |rec: &SpanRecord| -> Vec<(String, String)> {
                rec.spans.iter().map(|s| (slice(&rec.text, s.start, s.end).replace(' ', ""), s.label.clone())).collect()
            };
            proptest::prop_assert_eq!(words_of(&back[0]), words_of(&r));
        }
    }
}
