//! Writing items out: margin's own JSONL (everything, including every decision), a flat CSV, and a
//! Prodigy-style JSONL so the data can move between tools.
//!
//! Prodigy mapping: a decided single-label item becomes `{"text", "label", "answer": "accept", "meta"}`;
//! a decided multi-label item `{"text", "options", "accept": [...], "answer": "accept", "meta"}`; an item
//! that was only skipped, is escalated or is disputed `"answer": "ignore"`; an item no one has touched is
//! written as an unanswered task (`text` and `meta` only).

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use serde_json::value::RawValue;

use super::delimited::LABEL_SEPARATOR;
use crate::domain::{Decision, ItemOutcome, ItemView, Prediction, StoredItem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Prodigy,
    /// Span projects: Prodigy's span JSONL (`text`, `tokens`, `spans`), settled items only.
    ProdigySpans,
    /// Span projects: spaCy's JSONL (`text`, `entities`), settled items only.
    Spacy,
    /// Span projects: CoNLL / IOB2, settled items only.
    Conll,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
            ExportFormat::Prodigy => "prodigy",
            ExportFormat::ProdigySpans => "prodigy-spans",
            ExportFormat::Spacy => "spacy",
            ExportFormat::Conll => "conll",
        }
    }

    /// Whether this format writes spans (and only items whose spans are settled).
    pub fn is_spans(self) -> bool {
        matches!(self, ExportFormat::ProdigySpans | ExportFormat::Spacy | ExportFormat::Conll)
    }
}

/// Writes export records one item at a time.
pub struct ExportWriter<W: Write> {
    format: ExportFormat,
    sink: Sink<W>,
    multi_label: bool,
    /// (name, display name) per label, for Prodigy's options and for naming predictions.
    options: Vec<(String, String)>,
    /// The model whose predictions are written.
    model: Option<i64>,
}

enum Sink<W: Write> {
    Lines(W),
    Csv(Box<csv::Writer<W>>),
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error("item {id}: stored metadata is not valid JSON: {source}")]
    Meta { id: String, source: serde_json::Error },
}

const CSV_HEADER: [&str; 11] = [
    "id",
    "text",
    "status",
    "labels",
    "reference_labels",
    "annotators",
    "decisions",
    "last_decision_at",
    "predicted",
    "confidence",
    "meta",
];

impl<W: Write> ExportWriter<W> {
    /// `labels` are the project's (name, display name) pairs, in order; `model` the version whose
    /// predictions the rows carry.
    pub fn new(
        format: ExportFormat,
        out: W,
        multi_label: bool,
        labels: Vec<(String, String)>,
        model: Option<i64>,
    ) -> Result<Self, ExportError> {
        let sink = match format {
            ExportFormat::Jsonl
            | ExportFormat::Prodigy
            | ExportFormat::ProdigySpans
            | ExportFormat::Spacy
            | ExportFormat::Conll => Sink::Lines(out),
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(CSV_HEADER)?;
                Sink::Csv(Box::new(writer))
            }
        };
        Ok(ExportWriter { format, sink, multi_label, options: labels, model })
    }

    /// Writes one item's record.
    pub fn write(&mut self, view: &ItemView<'_>) -> Result<(), ExportError> {
        let (item, decisions, outcome) = (view.item, view.decisions, view.outcome);
        let prediction = match (view.prediction, self.model) {
            (Some(p), Some(version)) => Some(PredictionLine::new(version, p, &self.options)),
            _ => None,
        };
        let meta_text = item.meta.as_deref().unwrap_or("{}");
        let meta: &RawValue =
            serde_json::from_str(meta_text).map_err(|source| ExportError::Meta { id: item.ext_id.clone(), source })?;
        match (&mut self.sink, self.format) {
            (Sink::Lines(out), format) if format.is_spans() => {
                let names: Vec<String> = self.options.iter().map(|(name, _)| name.clone()).collect();
                let shape = match format {
                    ExportFormat::Conll => None,
                    ExportFormat::Spacy => Some(super::spans::SpanJsonl::Spacy),
                    _ => Some(super::spans::SpanJsonl::Prodigy),
                };
                super::span_export::write_span_record(out, shape, item, meta, outcome, &names)?;
            }
            (Sink::Csv(writer), _) => {
                let mut annotators: Vec<&str> = decisions.iter().map(|d| d.annotator.as_str()).collect();
                annotators.sort_unstable();
                annotators.dedup();
                let joined = |labels: Option<&[String]>| {
                    labels.map(|l| l.join(&LABEL_SEPARATOR.to_string())).unwrap_or_default()
                };
                writer.write_record([
                    item.ext_id.as_str(),
                    item.text.as_str(),
                    outcome.as_str(),
                    &joined(outcome.labels()),
                    &joined(item.reference_labels.as_deref()),
                    &annotators.join(&LABEL_SEPARATOR.to_string()),
                    &decisions.len().to_string(),
                    &decisions.last().map(|d| rfc3339(d.at_ms)).unwrap_or_default(),
                    prediction.as_ref().map_or("", |p| p.label),
                    &prediction.as_ref().map_or(String::new(), |p| format!("{:.6}", p.confidence)),
                    meta_text,
                ])?;
            }
            (Sink::Lines(out), ExportFormat::Prodigy) => {
                let line = prodigy_line(item, meta, decisions, outcome, self.multi_label, &self.options);
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            (Sink::Lines(out), _) => {
                let line = ItemLine {
                    id: &item.ext_id,
                    text: &item.text,
                    meta,
                    status: outcome.as_str(),
                    labels: outcome.labels(),
                    reference_labels: item.reference_labels.as_deref(),
                    gold: item.gold,
                    source: SourceLine { file: &item.source, line: item.line },
                    decisions: decisions.iter().map(DecisionLine::from).collect(),
                    prediction,
                };
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// Flushes and hands back the output.
    pub fn finish(self) -> Result<W, ExportError> {
        match self.sink {
            Sink::Lines(mut out) => {
                out.flush()?;
                Ok(out)
            }
            Sink::Csv(writer) => writer.into_inner().map_err(|e| ExportError::Io(e.into_error())),
        }
    }
}

#[derive(Serialize)]
struct ItemLine<'a> {
    id: &'a str,
    text: &'a str,
    meta: &'a RawValue,
    status: &'a str,
    labels: Option<&'a [String]>,
    /// null when the item came without labels: every line has the same fields.
    reference_labels: Option<&'a [String]>,
    gold: bool,
    source: SourceLine<'a>,
    decisions: Vec<DecisionLine<'a>>,
    /// The current model's prediction; null when there is no model or it has not scored the item.
    prediction: Option<PredictionLine<'a>>,
}

/// The current model's prediction for an item.
#[derive(Serialize)]
struct PredictionLine<'a> {
    model_version: i64,
    label: &'a str,
    confidence: f32,
    probabilities: serde_json::Map<String, serde_json::Value>,
    least_confident: f32,
    margin: f32,
    entropy: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    vote_entropy: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kl_divergence: Option<f32>,
}

impl<'a> PredictionLine<'a> {
    fn new(model_version: i64, p: &Prediction, labels: &'a [(String, String)]) -> Self {
        // The export's one `label` is the top label (multi-label predictions are in `probabilities`).
        let top = crate::domain::top_label(&p.probabilities).map_or(0, |(k, _)| k);
        PredictionLine {
            model_version,
            label: labels.get(top).map_or("", |(name, _)| name.as_str()),
            confidence: p.probabilities.get(top).copied().unwrap_or(0.0),
            probabilities: labels
                .iter()
                .zip(&p.probabilities)
                .map(|((name, _), q)| (name.clone(), serde_json::json!(q)))
                .collect(),
            least_confident: p.uncertainty.least_confident,
            margin: p.uncertainty.margin,
            entropy: p.uncertainty.entropy,
            vote_entropy: p.vote_entropy,
            kl_divergence: p.kl_divergence,
        }
    }
}

#[derive(Serialize)]
struct SourceLine<'a> {
    file: &'a str,
    line: i64,
}

#[derive(Serialize)]
struct DecisionLine<'a> {
    id: i64,
    annotator: &'a str,
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_spent_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undoes: Option<i64>,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a crate::domain::ModelSnapshot>,
}

impl<'a> From<&'a Decision> for DecisionLine<'a> {
    fn from(d: &'a Decision) -> Self {
        DecisionLine {
            id: d.id,
            annotator: &d.annotator,
            action: d.action.as_str(),
            labels: d.labels.as_deref(),
            reason: d.reason.as_deref(),
            note: d.note.as_deref(),
            time_spent_ms: d.time_spent_ms,
            undoes: d.undoes,
            at: rfc3339(d.at_ms),
            model: d.model.as_ref(),
        }
    }
}

#[derive(Serialize)]
struct ProdigyLine<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<ProdigyOption<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accept: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'static str>,
    meta: &'a RawValue,
}

#[derive(Serialize)]
struct ProdigyOption<'a> {
    id: &'a str,
    text: &'a str,
}

fn prodigy_line<'a>(
    item: &'a StoredItem,
    meta: &'a RawValue,
    decisions: &[Decision],
    outcome: &'a ItemOutcome,
    multi_label: bool,
    options: &'a [(String, String)],
) -> ProdigyLine<'a> {
    let mut line = ProdigyLine { text: &item.text, label: None, options: None, accept: None, answer: None, meta };
    match outcome {
        ItemOutcome::Decided { labels } if multi_label => {
            line.options = Some(options.iter().map(|(id, text)| ProdigyOption { id, text }).collect());
            line.accept = Some(labels);
            line.answer = Some("accept");
        }
        ItemOutcome::Decided { labels } => {
            line.label = labels.first().map(String::as_str);
            line.answer = Some("accept");
        }
        _ if !decisions.is_empty() => line.answer = Some("ignore"),
        _ => {}
    }
    line
}

/// A stored timestamp as RFC 3339 in UTC with milliseconds.
pub fn rfc3339(at_ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}
