//! Span projects' use cases: reading the patterns file, what is proposed for an item before a person
//! labels it, the text as a masked screen shows it (offsets kept), and checking and recording a person's
//! spans as one decision (the spans' keys as its labels, what was proposed as the model's view).

use std::path::{Path, PathBuf};

use crate::config::ProjectConfig;
use crate::domain::pii::Masker;
use crate::domain::spans::agreement::{SpanAgreement, between_people};
use crate::domain::spans::patterns::{Pattern, find, read_patterns};
use crate::domain::spans::{Proposed, Span, SpanError, Token, check_spans, from_keys, keys, tokens};
use crate::domain::{DecisionAction, ModelSnapshot};
use crate::store::{NewDecision, Store, StoreError};

/// What stands in for each character of masked personal data on a span screen.
pub const MASK_CHAR: char = '▒';

#[derive(Debug, thiserror::Error)]
pub enum SpanAppError {
    #[error("{path}:{line}: {message}")]
    Patterns { path: PathBuf, line: u64, message: String },
    #[error("{path}: cannot read the patterns file ({source}); fix spans.patterns in margin.toml")]
    PatternsFile { path: PathBuf, source: std::io::Error },
    #[error("item {0} is not in the project")]
    NoSuchItem(i64),
    #[error("{0}")]
    Spans(#[from] SpanError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The project's patterns (`spans.patterns`, relative to the project folder); none when unset.
pub fn load_patterns(dir: &Path, config: &ProjectConfig) -> Result<Vec<Pattern>, SpanAppError> {
    if config.spans.patterns.trim().is_empty() {
        return Ok(Vec::new());
    }
    let path = dir.join(&config.spans.patterns);
    let text =
        std::fs::read_to_string(&path).map_err(|source| SpanAppError::PatternsFile { path: path.clone(), source })?;
    read_patterns(&text, &config.label_names()).map_err(|e| SpanAppError::Patterns {
        path,
        line: e.line,
        message: e.message,
    })
}

/// What the patterns propose for a text (in order, never overlapping: see [`find`]).
pub fn propose_from_patterns(patterns: &[Pattern], text: &str, toks: &[Token]) -> Vec<Proposed> {
    find(patterns, text, toks).into_iter().map(|span| Proposed { span, confidence: None }).collect()
}

/// `text` with each piece of personal data replaced by as many [`MASK_CHAR`]s as it has characters, so
/// that offsets into it are the original's; and how many pieces were masked.
pub fn mask_keeping_offsets(masker: &Masker, text: &str) -> (String, usize) {
    let found = masker.find(text);
    if found.is_empty() {
        return (text.to_string(), 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for piece in &found {
        out.push_str(&text[copied..piece.start]);
        out.extend(std::iter::repeat_n(MASK_CHAR, text[piece.start..piece.end].chars().count()));
        copied = piece.end;
    }
    out.push_str(&text[copied..]);
    (out, found.len())
}

/// A person's decision about a span item.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanDecisionRequest {
    pub item_id: i64,
    pub annotator: String,
    /// Accept and correct carry spans; skip and escalate do not.
    pub action: DecisionAction,
    pub spans: Option<Vec<Span>>,
    /// The model's proposal and its version (patterns are not a model: `None`).
    pub model: Option<(i64, Vec<Proposed>)>,
    pub reason: Option<String>,
    pub time_spent_ms: Option<i64>,
}

/// Checks the spans against the item's stored text (on token edges, known labels, overlap as the project
/// allows) and records the decision with the spans' keys as its labels; returns its id.
pub fn record_spans(
    store: &mut Store,
    config: &ProjectConfig,
    request: &SpanDecisionRequest,
) -> Result<i64, SpanAppError> {
    let labels = match &request.spans {
        Some(spans) => {
            let item = store.item(request.item_id)?.ok_or(SpanAppError::NoSuchItem(request.item_id))?;
            let toks = tokens(&item.text);
            let checked = check_spans(&item.text, &toks, spans, &config.label_names(), config.spans.overlap)?;
            Some(keys(&checked))
        }
        None => None,
    };
    let model = request.model.as_ref().map(|(version, proposed)| {
        let spans: Vec<Span> = proposed.iter().map(|p| p.span.clone()).collect();
        let confidence = proposed.iter().filter_map(|p| p.confidence).fold(1.0f32, f32::min);
        ModelSnapshot { version: *version, predicted: keys(&spans), confidence: f64::from(confidence) }
    });
    let decision = NewDecision {
        labels,
        reason: request.reason.clone(),
        time_spent_ms: request.time_spent_ms,
        model,
        ..NewDecision::new(request.item_id, &request.annotator, request.action)
    };
    Ok(store.record_decision(&decision)?)
}

/// How people's spans agree on the texts two or more of them labelled: span F1, exact and overlapping.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpanAgreementReport {
    /// Texts labelled by two or more people.
    pub texts: u64,
    pub exact: SpanAgreement,
    pub overlap: SpanAgreement,
}

/// Span F1 between every pair of people, from each person's current spans on each text.
pub fn span_agreement(store: &Store) -> Result<SpanAgreementReport, StoreError> {
    let mut by_item: std::collections::BTreeMap<i64, Vec<Vec<Span>>> = std::collections::BTreeMap::new();
    for label in store.people_labels()? {
        by_item.entry(label.item_id).or_default().push(from_keys(&label.label_list()));
    }
    let texts: Vec<Vec<Vec<Span>>> = by_item.into_values().filter(|people| people.len() >= 2).collect();
    Ok(SpanAgreementReport {
        texts: texts.len() as u64,
        exact: between_people(&texts, false),
        overlap: between_people(&texts, true),
    })
}
