//! The span model in the loop: `margin train` / `retrain` in a span project train the span model on every
//! item with settled or reference spans (with the sentence encoder's word vectors when the project has
//! one), write it as ONNX, load it back through ONNX Runtime, and register it; scoring runs every pool item
//! through it, keeping the spans it proposes (for the screen) and the item's uncertainty from its tokens
//! (for the queue). A bring-your-own token classifier (`margin model use`) scores the same way. Wires
//! `store` and `model`.

use std::path::Path;
use std::time::Instant;

use super::score::{ScoreError, ScoreReport};
use super::train::{MODELS_DIR, TrainError, TrainOptions, Trained};
use crate::config::ProjectConfig;
use crate::domain::spans::{Proposed, Span, Token, from_keys, tokens};
use crate::domain::{ModelKind, Prediction, uncertainty};
use crate::model::ModelError;
use crate::model::Runtime;
use crate::model::combined::EncoderRef;
use crate::model::encoder::SharedEncoder;
use crate::model::files::write_model;
use crate::model::onnx::encode;
use crate::model::spans::{SpanScorer, decode, span_settings, train_spans_with};
use crate::model::token_classifier::TokenClassifier;
use crate::store::{ModelVersion, NewModelVersion, Store};

/// What scores a span project's items: margin's span model, or one brought with its tokenizer.
enum Engine {
    Own(Box<SpanScorer>),
    Byo(Box<TokenClassifier>),
}

impl Engine {
    fn token_probabilities(&mut self, text: &str) -> Result<(Vec<Token>, Vec<Vec<f32>>), ModelError> {
        match self {
            Engine::Own(scorer) => scorer.token_probabilities(text),
            Engine::Byo(classifier) => classifier.token_probabilities(text),
        }
    }
}

/// Items scored and written at a time.
const CHUNK: usize = 1000;

/// Trains a span model version (see the module's doc) and registers it; current if `options` say so.
pub fn train_span_version(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    options: &TrainOptions,
) -> Result<Trained, TrainError> {
    let started = Instant::now();
    let data_as_of = store.last_event_seq()?;
    let decisions_upto = Some(store.last_decision_id()?);
    let examples = store.training_examples(options.source)?;
    if examples.is_empty() {
        return Err(TrainError::NothingToLearn(
            "nothing to learn from yet: no item has settled spans or imported ones; label some items",
        ));
    }
    let labels = config.label_names();
    let pairs: Vec<(String, Vec<Span>)> = examples.iter().map(|e| (e.text.clone(), from_keys(&e.labels))).collect();
    let (vectors, reference) = match encoder {
        Some(shared) => {
            let mut encoder = shared.lock().unwrap_or_else(|p| p.into_inner());
            let reference = EncoderRef { identity: encoder.identity().to_string(), dimensions: encoder.dimensions() };
            let mut all = Vec::with_capacity(pairs.len());
            for (text, _) in &pairs {
                let ranges: Vec<(usize, usize)> = tokens(text).iter().map(|t| (t.start, t.end)).collect();
                all.push(if ranges.is_empty() { Vec::new() } else { encoder.word_vectors(text, &ranges)? });
            }
            (Some(all), Some(reference))
        }
        None => (None, None),
    };
    let settings = span_settings();
    let model = train_spans_with(&pairs, vectors.as_deref(), &labels, &settings);
    let trained_at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let proto = model.to_onnx(&settings, &trained_at, reference);
    let stem: String = trained_at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let written = write_model(&dir.join(MODELS_DIR), &format!("{stem}-spans"), &encode(&proto))?;
    SpanScorer::load(runtime, &written.path, &labels, 1, encoder)
        .map_err(|source| TrainError::DoesNotLoad { path: written.path.clone(), source })?;
    let relative = Path::new(MODELS_DIR).join(written.path.file_name().unwrap_or_default());
    let version = NewModelVersion {
        kind: ModelKind::Spans,
        path: relative.display().to_string(),
        sha256: written.sha256,
        labels: labels.clone(),
        train_size: pairs.len(),
        metrics: "null".into(),
        trained_by: options.user.clone(),
        trained_on: options.source.as_str().into(),
        decisions_upto,
        data_as_of: Some(data_as_of),
    };
    let id =
        if options.make_current { store.add_model(&version, &[])? } else { store.register_model(&version, &[])? };
    Ok(Trained {
        version: id,
        path: version.path,
        examples: pairs.len(),
        skipped: 0,
        committee: 0,
        metrics: None,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Scores every pool item `model` has not scored: its proposed spans and its uncertainty (as unsure as
/// its least sure token; the mean token entropy), written a chunk at a time.
pub fn score_spans(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    model: &ModelVersion,
    mut progress: impl FnMut(u64),
) -> Result<ScoreReport, ScoreError> {
    let started = Instant::now();
    let labels = config.label_names();
    let loaded = match model.kind {
        // A bring-your-own token classifier: its path is its manifest's.
        ModelKind::External => {
            TokenClassifier::load(runtime, &dir.join(&model.path), &labels).map(|c| Engine::Byo(Box::new(c)))
        }
        _ => SpanScorer::load(runtime, &dir.join(&model.path), &labels, 1, encoder).map(|s| Engine::Own(Box::new(s))),
    };
    let mut scorer = loaded.map_err(|source| ScoreError::Load { version: model.id, source })?;
    let mut pending: Vec<(i64, String)> = Vec::new();
    store.items_to_score(model.id, false, None, |id, text, _| -> Result<(), ScoreError> {
        pending.push((id, text.to_string()));
        Ok(())
    })?;
    let mut report = ScoreReport::default();
    for chunk in pending.chunks(CHUNK) {
        let mut predictions = Vec::with_capacity(chunk.len());
        let mut proposed: Vec<(i64, Vec<Proposed>)> = Vec::with_capacity(chunk.len());
        for (id, text) in chunk {
            let (toks, probabilities) = scorer.token_probabilities(text)?;
            let spans = decode(&toks, &probabilities, &labels);
            // Per label, the most confident span of it the model proposes (0 for none): what the
            // export and the queue's reasons show as the prediction.
            let per_label: Vec<f32> = labels
                .iter()
                .map(|l| spans.iter().filter(|s| &s.span.label == l).map(|s| s.confidence).fold(0.0, f32::max))
                .collect();
            predictions.push(Prediction {
                item_id: *id,
                probabilities: per_label,
                uncertainty: uncertainty::spans(&probabilities),
                vote_entropy: None,
                kl_divergence: None,
            });
            proposed.push((
                *id,
                spans.into_iter().map(|s| Proposed { span: s.span, confidence: Some(s.confidence) }).collect(),
            ));
        }
        store.write_predictions(model.id, &predictions)?;
        store.write_span_predictions(model.id, &proposed)?;
        report.scored += chunk.len() as u64;
        progress(report.scored);
    }
    // The short list batches are served from, as for any scored pool (routing is off for spans).
    report.machine_accepted =
        crate::app::serve::build_shortlist(store, config, model.id, crate::app::serve::SHORTLIST_FROM)?;
    report.elapsed = started.elapsed();
    Ok(report)
}
