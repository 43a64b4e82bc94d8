//! Spans of text, for the span task kind: a text's tokens with their character offsets, labelled spans over
//! them, and the checks a span must pass (inside the text, on token edges, a known label, no overlap
//! unless the project allows it). Offsets count characters (Unicode scalar values), as Prodigy's and
//! spaCy's files do, end exclusive. Pure.
//! - [`bio`]: spans as BIO tags per token and back, and the constrained Viterbi decoding of tag scores.
//! - [`patterns`]: Prodigy's and spaCy's entity-ruler patterns, which pre-highlight spans before a model.
//! - [`agreement`]: span F1 between two people, exact and overlapping, per label.

pub mod agreement;
pub mod bio;
pub mod patterns;

use serde::{Deserialize, Serialize};

/// A token: a word (a maximal run of letters and digits, as the model's featurizer reads words) or one
/// punctuation or symbol character; spaces are not tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

/// A labelled span of characters `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// A span proposed before a person labels the text: by the model, with its confidence (its tokens' lowest
/// tag probability), or by a pattern (no confidence).
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    pub span: Span,
    pub confidence: Option<f32>,
}

impl Span {
    /// The span as one string, `start:end:label`. A span item's decisions and reference labels hold its
    /// spans as these keys, so the rules that settle an item (one vote per person, a strict majority
    /// decides, an expert's ruling wins) compare whole sets of spans.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.start, self.end, self.label)
    }

    /// A span back from its [`Span::key`]; `None` for anything else.
    pub fn from_key(key: &str) -> Option<Span> {
        let mut parts = key.splitn(3, ':');
        let start = parts.next()?.parse().ok()?;
        let end = parts.next()?.parse().ok()?;
        let label = parts.next()?.to_string();
        Some(Span { start, end, label })
    }
}

/// The keys of `spans`, in span order: what a decision records.
pub fn keys(spans: &[Span]) -> Vec<String> {
    let mut sorted = spans.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.iter().map(Span::key).collect()
}

/// The spans a decision's labels hold, in order; anything that is not a span key is passed over.
pub fn from_keys(keys: &[String]) -> Vec<Span> {
    let mut spans: Vec<Span> = keys.iter().filter_map(|k| Span::from_key(k)).collect();
    spans.sort();
    spans
}

/// A decision's labels as people read them: each span key as its label and words (`PER «Angela Merkel»`),
/// the words from `text` (which must have the stored text's offsets: masked, if at all, keeping lengths);
/// anything that is not a span key as it is.
pub fn describe(text: &str, labels: &[String]) -> String {
    labels
        .iter()
        .map(|k| match Span::from_key(k) {
            Some(s) => format!("{} «{}»", s.label, slice(text, s.start, s.end)),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why spans do not fit a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    #[error("span {start}-{end} is empty or backwards: its end must come after its start")]
    Empty { start: usize, end: usize },
    #[error("span {start}-{end} runs past the end of the text ({len} characters)")]
    PastEnd { start: usize, end: usize, len: usize },
    #[error("span {start}-{end} cuts a word: a span starts and ends on token edges")]
    NotOnTokens { start: usize, end: usize },
    #[error("span {start}-{end} has label `{label}`, which is not one of the project's labels ({known})")]
    UnknownLabel { start: usize, end: usize, label: String, known: String },
    #[error("spans {first} and {second} overlap; set spans.overlap = true in margin.toml to allow it")]
    Overlap { first: String, second: String },
}

/// The text's tokens, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut count = 0;
    for (i, c) in text.chars().enumerate() {
        count = i + 1;
        if c.is_alphanumeric() {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            out.push(Token { start, end: i });
        }
        if !c.is_whitespace() && !c.is_control() {
            out.push(Token { start: i, end: i + 1 });
        }
    }
    if let Some(start) = word_start {
        out.push(Token { start, end: count });
    }
    out
}

/// The characters `[start, end)` of `text` (empty when out of range).
pub fn slice(text: &str, start: usize, end: usize) -> &str {
    let byte = |at: usize| text.char_indices().nth(at).map_or(text.len(), |(b, _)| b);
    if start >= end {
        return "";
    }
    &text[byte(start)..byte(end)]
}

/// Each token's text, in one pass over `text` (cheaper than [`slice()`] per token on a long text).
pub fn words<'a>(text: &'a str, tokens: &[Token]) -> Vec<&'a str> {
    let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    bytes.push(text.len());
    let byte = |at: usize| bytes.get(at).copied().unwrap_or(text.len());
    tokens.iter().map(|t| &text[byte(t.start)..byte(t.end).max(byte(t.start))]).collect()
}

/// The index of the token starting at character `start` and of the one ending at `end`, if the span lies
/// on token edges.
pub fn token_range(tokens: &[Token], start: usize, end: usize) -> Option<(usize, usize)> {
    let first = tokens.iter().position(|t| t.start == start)?;
    let last = tokens.iter().position(|t| t.end == end)?;
    (first <= last).then_some((first, last))
}

/// Checks `spans` against `text`, its `tokens` and the project's `labels`, and returns them in order (by
/// start, then end). Overlapping spans are refused unless `allow_overlap`; the same span twice is one.
pub fn check_spans(
    text: &str,
    tokens: &[Token],
    spans: &[Span],
    labels: &[String],
    allow_overlap: bool,
) -> Result<Vec<Span>, SpanError> {
    let len = text.chars().count();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        let (start, end) = (s.start, s.end);
        if end <= start {
            return Err(SpanError::Empty { start, end });
        }
        if end > len {
            return Err(SpanError::PastEnd { start, end, len });
        }
        if token_range(tokens, start, end).is_none() {
            return Err(SpanError::NotOnTokens { start, end });
        }
        if !labels.contains(&s.label) {
            return Err(SpanError::UnknownLabel { start, end, label: s.label.clone(), known: labels.join(", ") });
        }
        out.push(s.clone());
    }
    out.sort();
    out.dedup();
    if !allow_overlap {
        for pair in out.windows(2) {
            if pair[1].start < pair[0].end {
                let name = |s: &Span| format!("{}-{} ({})", s.start, s.end, s.label);
                return Err(SpanError::Overlap { first: name(&pair[0]), second: name(&pair[1]) });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        words(text, &tokens(text))
    }

    #[test]
    fn words_and_punctuation_are_tokens_with_character_offsets() {
        assert_eq!(
            texts("Angela Merkel visited Paris, France."),
            ["Angela", "Merkel", "visited", "Paris", ",", "France", "."]
        );
        assert_eq!(texts("  U.S.-based  "), ["U", ".", "S", ".", "-", "based"]);
        // Offsets count characters, not bytes: é and 東 are one each.
        let text = "Café 東京 ok";
        let t = tokens(text);
        assert_eq!(t.iter().map(|t| (t.start, t.end)).collect::<Vec<_>>(), [(0, 4), (5, 7), (8, 10)]);
        assert_eq!(slice(text, 5, 7), "東京");
        assert!(tokens("").is_empty() && tokens(" \t\n").is_empty());
    }

    #[test]
    fn a_decision_s_spans_read_as_labels_and_words() {
        let labels = vec!["0:13:PER".to_string(), "22:27:LOC".to_string(), "other".to_string()];
        assert_eq!(describe("Angela Merkel visited Paris.", &labels), "PER «Angela Merkel», LOC «Paris», other");
    }

    #[test]
    fn keys_round_trip_in_span_order_and_labels_may_hold_colons() {
        let span = |start, end, label: &str| Span { start, end, label: label.into() };
        let spans = [span(22, 27, "LOC"), span(0, 13, "a:b"), span(0, 13, "a:b")];
        let k = keys(&spans);
        assert_eq!(k, ["0:13:a:b", "22:27:LOC"]);
        assert_eq!(from_keys(&k), [span(0, 13, "a:b"), span(22, 27, "LOC")]);
        assert_eq!(Span::from_key("x:1:PER"), None);
        assert_eq!(Span::from_key("1:2"), None);
        assert!(from_keys(&["PER".to_string()]).is_empty());
    }

    #[test]
    fn spans_must_lie_on_token_edges_inside_the_text_with_a_known_label() {
        let text = "Angela Merkel visited Paris.";
        let t = tokens(text);
        let labels = vec!["PER".to_string(), "LOC".to_string()];
        let span = |start, end, label: &str| Span { start, end, label: label.into() };
        let ok = check_spans(text, &t, &[span(22, 27, "LOC"), span(0, 13, "PER"), span(0, 13, "PER")], &labels, false);
        assert_eq!(ok.unwrap(), [span(0, 13, "PER"), span(22, 27, "LOC")], "ordered, the repeat dropped");
        let refuse = |s: Span| check_spans(text, &t, &[s], &labels, false).unwrap_err();
        assert!(matches!(refuse(span(3, 13, "PER")), SpanError::NotOnTokens { .. }));
        assert!(matches!(refuse(span(22, 40, "LOC")), SpanError::PastEnd { len: 28, .. }));
        assert!(matches!(refuse(span(5, 5, "LOC")), SpanError::Empty { .. }));
        assert!(matches!(refuse(span(0, 6, "ORG")), SpanError::UnknownLabel { .. }));
        let overlapping = [span(0, 13, "PER"), span(7, 13, "PER")];
        let err = check_spans(text, &t, &overlapping, &labels, false).unwrap_err();
        assert!(err.to_string().contains("spans.overlap = true"), "{err}");
        assert_eq!(check_spans(text, &t, &overlapping, &labels, true).unwrap().len(), 2);
    }
}
