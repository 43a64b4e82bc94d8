//! Training a new model version end to end: read the labels from the store, fit and calibrate, write the
//! ONNX files, load each back through ONNX Runtime, register the version as current, prune old files.
//! Wires `store` and `model`; the CLI, the simulation and the screen's background worker all use it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::ProjectConfig;
use crate::domain::embedding::{dequantize, quantize};
use crate::domain::{ModelKind, TaskKind};
use crate::model::combined::{DenseFeatures, EncoderRef};
use crate::model::encoder::SharedEncoder;
use crate::model::evaluate::Metrics;
use crate::model::export::head_to_onnx;
use crate::model::files::write_model;
use crate::model::fit::{FitRequest, fit};
use crate::model::onnx::encode;
use crate::model::runtime::Runtime;
use crate::model::scorer::Scorer;
use crate::model::train::TrainSettings;
use crate::model::{ModelError, combined::Head};
use crate::store::{LabelSource, NewModelVersion, Store, StoreError, TrainingExample};

/// Where model files live inside a project.
pub const MODELS_DIR: &str = "models";

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub source: LabelSource,
    /// Committee members (None: the project's setting).
    pub committee: Option<usize>,
    /// Who trains, for the record.
    pub user: String,
    /// Make the new version current at once; when false it is only registered, for the caller to score
    /// the pool with it first and then make it current (see `retrain`).
    pub make_current: bool,
}

/// What a training produced.
#[derive(Debug, Clone)]
pub struct Trained {
    pub version: i64,
    /// Relative to the project directory.
    pub path: String,
    pub examples: usize,
    pub skipped: usize,
    pub committee: usize,
    pub metrics: Option<Metrics>,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    NothingToLearn(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{}: the model just written does not load: {source}", path.display())]
    DoesNotLoad { path: PathBuf, source: ModelError },
}

/// Trains a new version for the project at `dir` and makes it current. With the project's sentence
/// `encoder`, the model is a combined one: it learns on the n-grams and the vectors (labelled items the
/// encoder has not reached yet are embedded first, and their vectors kept).
pub fn train_new_version(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    options: &TrainOptions,
) -> Result<Trained, TrainError> {
    let started = Instant::now();
    // Read before the examples: a decision made meanwhile counts as not yet learned.
    let data_as_of = store.last_event_seq()?;
    let decisions_upto = match options.source {
        LabelSource::Reference => None,
        LabelSource::Decisions | LabelSource::Combined => Some(store.last_decision_id()?),
    };
    let examples = store.training_examples(options.source)?;
    if examples.is_empty() {
        return Err(nothing_to_learn(options.source));
    }
    let settings = &config.model;
    let committee = options.committee.unwrap_or(settings.committee as usize);
    let label_names: Vec<String> = config.label_names();
    let trained_at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let dense = match encoder {
        Some(encoder) => Some(dense_features(store, encoder, config, &examples)?),
        None => None,
    };
    let request = FitRequest {
        texts: examples.iter().map(|e| e.text.as_str()).collect(),
        labels: examples.iter().map(|e| e.labels.as_slice()).collect(),
        label_names: &label_names,
        task: config.task,
        bits: settings.hash_bits,
        settings: TrainSettings { c: settings.c, epochs: settings.epochs, seed: settings.seed, balanced: true },
        folds: settings.folds as usize,
        committee,
        source: options.source.as_str(),
        trained_at: trained_at.clone(),
        dense: dense
            .as_ref()
            .map(|(features, vectors)| (features.clone(), vectors.iter().map(Vec::as_slice).collect())),
    };
    let fitted = fit(&request)?;

    // Write the files, and load each through ONNX Runtime before anything points at it.
    let models = dir.join(MODELS_DIR);
    let stem: String = trained_at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let write = |model: &Head, card, suffix: &str| -> Result<NewModelVersion, TrainError> {
        let (path, sha256) = write_checked(&models, &format!("{stem}{suffix}"), model, card, runtime, encoder)?;
        Ok(NewModelVersion {
            kind: if suffix.is_empty() { ModelKind::Linear } else { ModelKind::CommitteeMember },
            path,
            sha256,
            labels: label_names.clone(),
            train_size: card.training.examples,
            metrics: serde_json::to_string(&card.metrics).unwrap_or_else(|_| "null".into()),
            trained_by: options.user.clone(),
            trained_on: options.source.as_str().into(),
            decisions_upto,
            data_as_of: Some(data_as_of),
        })
    };
    let main = write(&fitted.model, &fitted.card, "")?;
    let members = fitted
        .members
        .iter()
        .enumerate()
        .map(|(i, (model, card))| write(model, card, &format!("-c{}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let version =
        if options.make_current { store.add_model(&main, &members)? } else { store.register_model(&main, &members)? };
    // What each labelled item's fold model thought of it: triage finds likely label errors there.
    let out_of_fold: Vec<(i64, Vec<String>, Vec<f32>)> = fitted
        .out_of_fold
        .iter()
        .map(|(i, p)| (examples[*i].item_id, examples[*i].labels.clone(), p.clone()))
        .collect();
    store.save_out_of_fold(version, &out_of_fold)?;
    prune(dir, store, settings.keep_versions as usize)?;
    Ok(Trained {
        version,
        path: main.path,
        examples: fitted.card.training.examples,
        skipped: fitted.skipped,
        committee: members.len(),
        metrics: fitted.card.metrics,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes a model file into `models` and loads it back through ONNX Runtime before anything points at it;
/// gives its path relative to the project and its SHA-256.
pub(crate) fn write_checked(
    models: &Path,
    stem: &str,
    head: &Head,
    card: &crate::model::card::ModelCard,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
) -> Result<(String, String), TrainError> {
    let written = write_model(models, stem, &encode(&head_to_onnx(head, card)))?;
    Scorer::load(runtime, &written.path, &card.labels, 1, encoder)
        .map_err(|source| TrainError::DoesNotLoad { path: written.path.clone(), source })?;
    let relative = Path::new(MODELS_DIR).join(written.path.file_name().unwrap_or_default());
    Ok((relative.display().to_string(), written.sha256))
}

/// Labelled items embedded (and their vectors written) at a time when training finds some without one.
const EMBED_CHUNK: usize = 2048;

/// The dense part of a combined model: the label descriptions embedded, and each example's vector (in the
/// order of `examples`), embedding and keeping those the encoder has not reached yet.
fn dense_features(
    store: &mut Store,
    encoder: &SharedEncoder,
    config: &ProjectConfig,
    examples: &[TrainingExample],
) -> Result<(DenseFeatures, Vec<Vec<f32>>), TrainError> {
    let mut encoder = encoder.lock().unwrap_or_else(|p| p.into_inner());
    let reference = EncoderRef { identity: encoder.identity().to_string(), dimensions: encoder.dimensions() };
    let encoder_id = store.encoder_id(&reference.identity, reference.dimensions)?;
    let ids: Vec<i64> = examples.iter().map(|e| e.item_id).collect();
    let mut found = store.vectors_of(encoder_id, &ids)?;
    let missing: Vec<&TrainingExample> = examples.iter().filter(|e| !found.contains_key(&e.item_id)).collect();
    for part in missing.chunks(EMBED_CHUNK) {
        let texts: Vec<&str> = part.iter().map(|e| e.text.as_str()).collect();
        let (vectors, _, _) = encoder.embed_by_length(&texts, crate::model::encoder::BATCH)?;
        let vectors: Vec<(i64, Vec<f32>)> = part.iter().map(|e| e.item_id).zip(vectors).collect();
        store.write_embeddings(encoder_id, &vectors)?;
        // Learn on the vectors as they are stored (and read back by the next training and the scoring),
        // so the same labels give the same model whether or not they were embedded just now.
        found.extend(vectors.into_iter().map(|(id, v)| (id, dequantize(&quantize(&v)).unwrap_or(v))));
    }
    // Without zero-shot the model learns on the vectors alone (no description features).
    let prompts: Vec<String> =
        if config.model.zero_shot { config.labels.iter().map(|l| l.prompt()).collect() } else { Vec::new() };
    let mut prompts = encoder.embed(&prompts.iter().map(String::as_str).collect::<Vec<_>>())?;
    let vectors: Vec<Vec<f32>> = ids.iter().map(|id| found.remove(id).unwrap_or_default()).collect();
    if config.task == TaskKind::SingleLabel && !prompts.is_empty() {
        let labels: Vec<Option<usize>> = examples
            .iter()
            .map(|e| match e.labels.as_slice() {
                [one] => config.labels.iter().position(|l| &l.name == one),
                _ => None,
            })
            .collect();
        // The zero-shot model the combined one starts from, calibrated on the labelled items. Where the names
        // say nothing about the texts (as "ham"/"spam": the descriptions label them no better than always
        // saying the most common label) it weighs nothing, and neither do their features.
        use crate::domain::zero_shot::{beats_the_majority, fitted_strength};
        let strength = if beats_the_majority(&vectors, &labels, &prompts) {
            fitted_strength(&vectors, &labels, &prompts)
        } else {
            0.0
        };
        tracing::info!(strength, "zero-shot strength fitted on the labelled items");
        if strength == 0.0 {
            prompts.clear();
        }
        let mut dense = DenseFeatures::new(reference, prompts);
        dense.prior_strength = strength;
        return Ok((dense, vectors));
    }
    Ok((DenseFeatures::new(reference, prompts), vectors))
}

/// Why there is nothing to train on, and what to do about it.
fn nothing_to_learn(source: LabelSource) -> TrainError {
    TrainError::NothingToLearn(match source {
        LabelSource::Decisions => {
            "nothing to learn from yet: no item has settled labels; label some items, or train on imported labels \
             with --reference"
        }
        LabelSource::Reference => {
            "nothing to learn from: no item has reference labels; import a file with a label field (see \
             --label-key), or train on decisions without --reference"
        }
        LabelSource::Combined => {
            "nothing to learn from yet: no item has settled labels or reference labels; label some items"
        }
    })
}

/// Keeps the files of the newest `keep` versions (and the current one); the versions' records stay.
fn prune(dir: &Path, store: &mut Store, keep: usize) -> Result<(), TrainError> {
    for pruned in store.prune_models(keep)? {
        let file = dir.join(&pruned.path);
        if let Err(e) = std::fs::remove_file(&file) {
            tracing::warn!("could not remove pruned model {}: {e}", file.display());
        }
    }
    Ok(())
}
