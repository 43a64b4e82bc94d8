//! What a model file says about itself: its labels, featurizer, training set, metrics and provenance,
//! written into the ONNX file's metadata_props as `margin.*` keys and read back when it is loaded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::combined::EncoderRef;
use super::evaluate::Metrics;
use super::features::FeaturizerSpec;
use crate::domain::TaskKind;

/// What a span model's card names as its training source.
pub const SPAN_SOURCE: &str = "spans";

/// The format of margin's own models: sparse `idx`/`val` in, `probabilities` (and `logits`) out.
pub const LINEAR_FORMAT: &str = "margin-linear-sparse/1";

/// How a model was trained, enough to train it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// "decisions" (people's settled labels) or "reference" (imported labels).
    pub source: String,
    pub examples: usize,
    pub c: f64,
    pub epochs: u32,
    pub seed: u64,
    /// For committee members: which one, and of how many (1-based).
    pub committee_member: Option<[usize; 2]>,
}

/// A model's self-description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: String,
    pub labels: Vec<String>,
    pub task: TaskKind,
    pub featurizer: FeaturizerSpec,
    pub training: Training,
    pub metrics: Option<Metrics>,
    /// The logits were divided by this before export (temperature scaling).
    pub temperature: f64,
    pub margin_version: String,
    /// RFC 3339, UTC.
    pub trained_at: String,
    /// For a combined model: the sentence encoder whose vectors it takes as `embedding`.
    pub encoder: Option<EncoderRef>,
}

impl ModelCard {
    /// The card as metadata_props entries.
    pub fn to_metadata(&self) -> Vec<(&'static str, String)> {
        let mut props = vec![
            ("margin.format", self.format.clone()),
            ("margin.labels", to_json(&self.labels)),
            ("margin.task", self.task.as_str().to_string()),
            ("margin.featurizer", to_json(&self.featurizer)),
            ("margin.train_size", self.training.examples.to_string()),
            ("margin.training", to_json(&self.training)),
            ("margin.metrics", to_json(&self.metrics)),
            ("margin.temperature", self.temperature.to_string()),
            ("margin.version", self.margin_version.clone()),
            ("margin.trained_at", self.trained_at.clone()),
        ];
        if let Some(encoder) = &self.encoder {
            props.push(("margin.encoder", to_json(encoder)));
        }
        props
    }

    /// Reads a card back from metadata_props; says which key is missing or malformed.
    pub fn from_metadata(props: &BTreeMap<String, String>) -> Result<ModelCard, String> {
        let format = text(props, "margin.format")?;
        let task = match text(props, "margin.task")?.as_str() {
            "single-label" => TaskKind::SingleLabel,
            "multi-label" => TaskKind::MultiLabel,
            "spans" => TaskKind::Spans,
            other => return Err(format!("metadata `margin.task`: unknown task {other:?}")),
        };
        Ok(ModelCard {
            format,
            labels: json(props, "margin.labels")?,
            task,
            featurizer: json(props, "margin.featurizer")?,
            training: json(props, "margin.training")?,
            metrics: json(props, "margin.metrics")?,
            temperature: json(props, "margin.temperature")?,
            margin_version: text(props, "margin.version")?,
            trained_at: text(props, "margin.trained_at")?,
            encoder: match props.get("margin.encoder") {
                Some(_) => Some(json(props, "margin.encoder")?),
                None => None,
            },
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn text(props: &BTreeMap<String, String>, key: &str) -> Result<String, String> {
    props.get(key).cloned().ok_or_else(|| format!("metadata has no `{key}`"))
}

fn json<T: serde::de::DeserializeOwned>(props: &BTreeMap<String, String>, key: &str) -> Result<T, String> {
    serde_json::from_str(&text(props, key)?).map_err(|e| format!("metadata `{key}`: {e}"))
}
