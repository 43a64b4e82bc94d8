//! The simulation: the whole loop (queue, labels, retraining, scoring through ONNX Runtime) run with the
//! reference labels as the annotator, on a held-out split, to measure how many labels a strategy needs.
//! Wires the project files, `store`, `queue`, `retrain` and `model`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::retrain::{RetrainError, retrain};
use crate::app::score::score_with;
use crate::app::serve::next_batch;
use crate::app::train::{TrainError, TrainOptions, train_new_version};
use crate::app::zero_shot::make_zero_shot_if_no_model;
use crate::config::ProjectConfig;
use crate::domain::embedding::{dequantize, quantize};
use crate::domain::rng::Rng;
use crate::domain::{DecisionAction, NewItem, Strategy, TaskKind};
use crate::model::encoder::SharedEncoder;
use crate::model::evaluate::score;
use crate::model::features::Scratch;
use crate::model::runtime::Runtime;
use crate::model::scorer::Scorer;
use crate::model::train::Targets;
use crate::store::{ImportEnd, LabelSource, NewDecision, Store, StoreError};

/// The annotator name the simulation's decisions carry.
pub const SIMULATOR: &str = "simulator";

/// Labelled data for the simulation: distinct texts with one label each.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub texts: Vec<String>,
    /// Index into `labels` per text.
    pub gold: Vec<usize>,
    pub labels: Vec<String>,
    /// With a sentence encoder: the runs' models are combined ones (see [`SentenceVectors`]).
    pub sentence: Option<SentenceVectors>,
}

/// The sentence encoder for the simulation and every text's vector, computed once for all runs (as stored:
/// int8, read back).
#[derive(Clone)]
pub struct SentenceVectors {
    pub encoder: SharedEncoder,
    pub of_texts: Vec<Vec<f32>>,
    /// Zero-shot on (`[model] zero_shot`): a zero-shot model before the first labels, and the label
    /// descriptions as features.
    pub zero_shot: bool,
}

impl std::fmt::Debug for SentenceVectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceVectors")
            .field("texts", &self.of_texts.len())
            .field("zero_shot", &self.zero_shot)
            .finish()
    }
}

impl SentenceVectors {
    /// Embeds every text of `texts` with `encoder`.
    pub fn compute(encoder: SharedEncoder, texts: &[String], zero_shot: bool) -> Result<Self, SimulateError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let (vectors, _, _) =
            encoder.lock().unwrap_or_else(|p| p.into_inner()).embed_by_length(&refs, crate::model::encoder::BATCH)?;
        let of_texts = vectors.iter().map(|v| dequantize(&quantize(v)).unwrap_or_else(|| v.clone())).collect();
        Ok(SentenceVectors { encoder, of_texts, zero_shot })
    }
}

/// One run's settings.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub strategy: Strategy,
    pub seed: u64,
    pub budget: usize,
    pub batch: usize,
    /// Share of labels the simulated annotator gets wrong (to a random other label).
    pub error_rate: f64,
}

/// One point of a learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub labels: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Queue(#[from] crate::app::serve::QueueError),
    #[error(transparent)]
    Retrain(#[from] RetrainError),
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error(transparent)]
    Score(#[from] crate::app::score::ScoreError),
    #[error("{}: the model trained on every pool label did not become current", .0.display())]
    NoFullDataModel(PathBuf),
}

/// A stratified split: indices of the held-out test items and of the pool, by seed.
pub fn split(dataset: &Dataset, test_share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed ^ 0x5EED_5B11);
    let (mut test, mut pool) = (Vec::new(), Vec::new());
    for label in 0..dataset.labels.len() {
        let mut members: Vec<usize> = (0..dataset.texts.len()).filter(|&i| dataset.gold[i] == label).collect();
        rng.shuffle(&mut members);
        let cut = (members.len() as f64 * test_share).round() as usize;
        test.extend_from_slice(&members[..cut]);
        pool.extend_from_slice(&members[cut..]);
    }
    test.sort_unstable();
    pool.sort_unstable();
    (test, pool)
}

/// A fresh project in `dir` for `labels`, with the simulation's settings.
fn project(dir: &Path, dataset: &Dataset, settings: &RunSettings) -> Result<(ProjectConfig, Store), SimulateError> {
    // Every run starts from nothing: a project left by an earlier run in the same place is replaced.
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| SimulateError::Io { path: dir.to_path_buf(), message: e.to_string() })?;
    }
    std::fs::create_dir_all(dir).map_err(|e| SimulateError::Io { path: dir.to_path_buf(), message: e.to_string() })?;
    let committee = if settings.strategy == Strategy::Committee { 5 } else { 0 };
    // A new project's settings with the simulation's values, checked by the rules a margin.toml is.
    let path = dir.join(crate::config::FILE_NAME);
    let invalid = |message: String| SimulateError::Io { path: path.clone(), message };
    let text = ProjectConfig::render_new("simulation", TaskKind::SingleLabel, &dataset.labels);
    let mut config = ProjectConfig::parse(&text, &path).map_err(|e| invalid(e.to_string()))?;
    config.sampling.strategy = settings.strategy;
    config.sampling.batch_size = u32::try_from(settings.batch).unwrap_or(u32::MAX);
    config.sampling.seed = settings.seed;
    config.model.seed = settings.seed;
    config.model.committee = committee;
    config.model.keep_versions = 1;
    config.model.zero_shot = dataset.sentence.as_ref().is_some_and(|s| s.zero_shot);
    let text = toml::to_string(&config).map_err(|e| invalid(e.to_string()))?;
    let config = ProjectConfig::parse(&text, &path).map_err(|e| invalid(e.to_string()))?;
    let store = Store::create(&dir.join(crate::app::project::DB_FILE))?;
    Ok((config, store))
}

fn import(store: &mut Store, dataset: &Dataset, indices: &[usize], with_labels: bool) -> Result<(), SimulateError> {
    store.import_items("simulation", "jsonl", SIMULATOR, |sink| -> Result<ImportEnd, StoreError> {
        for &i in indices {
            let labels = with_labels.then(|| vec![dataset.labels[dataset.gold[i]].clone()]);
            sink.add(&NewItem::new(Some(format!("d{i}")), dataset.texts[i].clone(), None, labels, i as u64 + 1))?;
        }
        Ok(ImportEnd::Commit { rejected: 0 })
    })?;
    if let Some(sentence) = &dataset.sentence {
        let (identity, dims) = {
            let e = sentence.encoder.lock().unwrap_or_else(|p| p.into_inner());
            (e.identity().to_string(), e.dimensions())
        };
        let encoder = store.encoder_id(&identity, dims)?;
        let mut vectors = Vec::with_capacity(indices.len());
        for &i in indices {
            if let Some(item) = store.find_item(&format!("d{i}"))? {
                vectors.push((item.id, sentence.of_texts[i].clone()));
            }
        }
        store.write_embeddings(encoder, &vectors)?;
    }
    Ok(())
}

/// Accuracy and macro-F1 of the project's current model on the test items, through ONNX Runtime.
fn evaluate(
    dir: &Path,
    store: &Store,
    runtime: &Runtime,
    dataset: &Dataset,
    test: &[usize],
) -> Result<Option<Point>, SimulateError> {
    let Some(model) = store.current_model()? else { return Ok(None) };
    let encoder = dataset.sentence.as_ref().map(|s| &s.encoder);
    let mut scorer = Scorer::load(runtime, &dir.join(&model.path), &dataset.labels, 1, encoder)?;
    let mut probabilities = Vec::with_capacity(test.len());
    let mut scratch = Scratch::default();
    for chunk in test.chunks(512) {
        let texts: Vec<&str> = chunk.iter().map(|&i| dataset.texts[i].as_str()).collect();
        let rows = scorer.featurize(&texts, &mut scratch);
        let vectors: Option<Vec<f32>> = match (&dataset.sentence, scorer.embedding_dimensions()) {
            (Some(s), Some(_)) => Some(chunk.iter().flat_map(|&i| s.of_texts[i].iter().copied()).collect()),
            _ => None,
        };
        probabilities.extend(scorer.score(&rows, vectors.as_deref())?);
    }
    let targets = Targets::Single(test.iter().map(|&i| dataset.gold[i]).collect());
    let (accuracy, macro_f1, _) = score(&probabilities, &targets, dataset.labels.len());
    Ok(Some(Point { labels: 0, accuracy, macro_f1 }))
}

/// The accuracy the same model reaches with every pool label: the yardstick for "labels to target".
pub fn full_accuracy(
    work: &Path,
    runtime: &Runtime,
    dataset: &Dataset,
    pool: &[usize],
    test: &[usize],
    seed: u64,
) -> Result<Point, SimulateError> {
    let dir = work.join(format!("full-{seed}"));
    let settings = RunSettings { strategy: Strategy::Random, seed, budget: 0, batch: 20, error_rate: 0.0 };
    let (config, mut store) = project(&dir, dataset, &settings)?;
    import(&mut store, dataset, pool, true)?;
    let options =
        TrainOptions { source: LabelSource::Reference, committee: Some(0), user: SIMULATOR.into(), make_current: true };
    let encoder = dataset.sentence.as_ref().map(|s| &s.encoder);
    train_new_version(&dir, &config, &mut store, runtime, encoder, &options)?;
    let point =
        evaluate(&dir, &store, runtime, dataset, test)?.ok_or_else(|| SimulateError::NoFullDataModel(dir.clone()))?;
    Ok(Point { labels: pool.len(), ..point })
}

/// One simulated labelling run: serve a batch, label it from the gold labels, retrain, rescore,
/// evaluate; until the budget is spent or nothing is left. Returns the learning curve.
pub fn run(
    dir: &Path,
    runtime: &Runtime,
    dataset: &Dataset,
    pool: &[usize],
    test: &[usize],
    settings: &RunSettings,
) -> Result<Vec<Point>, SimulateError> {
    let (config, mut store) = project(dir, dataset, settings)?;
    import(&mut store, dataset, pool, false)?;
    let mut mistakes = Rng::new(settings.seed ^ 0xE770_0000);
    let mut curve = Vec::new();
    let mut labelled = 0;
    let encoder = dataset.sentence.as_ref().map(|s| &s.encoder);
    // With zero-shot on, the label descriptions score the pool before the first label: the first batch is
    // chosen by their uncertainty, and the curve starts at 0 labels.
    if let Some(encoder) = encoder
        && let Some(version) = make_zero_shot_if_no_model(dir, &config, &mut store, runtime, encoder, SIMULATOR)?
    {
        let model = store.model_version(version)?;
        score_with(dir, &config, &mut store, runtime, Some(encoder), &model, |_| {})?;
        if let Some(point) = evaluate(dir, &store, runtime, dataset, test)? {
            curve.push(point);
        }
    }
    while labelled < settings.budget {
        let batch = next_batch(&mut store, &config, SIMULATOR)?;
        if batch.items.is_empty() {
            break;
        }
        for served in batch.items.iter().take(settings.budget - labelled) {
            let index: usize = served.item.ext_id[1..].parse().unwrap_or(0);
            let mut label = dataset.gold[index];
            if settings.error_rate > 0.0 && mistakes.unit() < settings.error_rate && dataset.labels.len() > 1 {
                label = (label + 1 + mistakes.below(dataset.labels.len() - 1)) % dataset.labels.len();
            }
            let decision = NewDecision {
                labels: Some(vec![dataset.labels[label].clone()]),
                ..NewDecision::new(served.item.id, SIMULATOR, DecisionAction::Correct)
            };
            store.record_decision(&decision)?;
            labelled += 1;
        }
        store.release_leases(SIMULATOR)?;
        // Retrain on everything labelled so far (once two labels have examples), rescore, evaluate: what
        // the background retrain does after each batch.
        match retrain(dir, &config, &mut store, runtime, encoder, SIMULATOR) {
            Ok(_) => {}
            Err(RetrainError::Train(TrainError::Model(crate::model::ModelError::Invalid(m))))
                if m.starts_with("not enough labels") =>
            {
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(point) = evaluate(dir, &store, runtime, dataset, test)? {
            curve.push(Point { labels: labelled, ..point });
        }
    }
    Ok(curve)
}

/// Labels needed to reach `target` accuracy: the first point at or above it.
pub fn labels_to_target(curve: &[Point], target: f64) -> Option<usize> {
    curve.iter().find(|p| p.accuracy >= target).map(|p| p.labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(per_label: &[usize]) -> Dataset {
        let mut gold = Vec::new();
        for (label, &n) in per_label.iter().enumerate() {
            gold.extend(std::iter::repeat_n(label, n));
        }
        let texts = (0..gold.len()).map(|i| format!("text {i}")).collect();
        Dataset { texts, gold, labels: (0..per_label.len()).map(|l| format!("l{l}")).collect(), sentence: None }
    }

    #[test]
    fn the_split_holds_out_a_share_of_each_label_and_is_the_same_for_the_same_seed() {
        let data = dataset(&[50, 30, 20]);
        let (test, pool) = split(&data, 0.2, 1);
        let mut all: Vec<usize> = test.iter().chain(&pool).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>(), "every item once, in the test set or the pool");
        for (label, held) in [(0, 10), (1, 6), (2, 4)] {
            assert_eq!(test.iter().filter(|&&i| data.gold[i] == label).count(), held, "label {label}");
        }
        assert_eq!(split(&data, 0.2, 1), (test.clone(), pool), "same seed, same split");
        assert_ne!(split(&data, 0.2, 2).0, test, "another seed, another split");
    }

    #[test]
    fn labels_to_target_is_the_first_point_at_or_above_it() {
        let curve: Vec<Point> = [(10, 0.5), (20, 0.9), (30, 0.85), (40, 0.95)]
            .into_iter()
            .map(|(labels, accuracy)| Point { labels, accuracy, macro_f1: accuracy })
            .collect();
        assert_eq!(labels_to_target(&curve, 0.9), Some(20));
        assert_eq!(labels_to_target(&curve, 0.91), Some(40));
        assert_eq!(labels_to_target(&curve, 0.96), None);
        assert_eq!(labels_to_target(&[], 0.1), None);
    }
}
