//! From labelled texts to calibrated models: featurize, cross-validate, fit the temperature on the
//! held-out predictions, train on everything, and (for a committee) on bootstrap resamples.

use super::ModelError;
use super::card::{LINEAR_FORMAT, ModelCard, Training};
use super::combined::{DenseFeatures, Head};
use super::evaluate::{self, Metrics};
use super::features::{Featurizer, FeaturizerSpec, Scratch, SparseVector};
use super::linear::LinearModel;
use super::train::{Job, Targets, TrainSettings, train_many};
use crate::domain::TaskKind;
use crate::domain::rng::Rng;

/// What to learn from and how.
#[derive(Debug, Clone)]
pub struct FitRequest<'a> {
    pub texts: Vec<&'a str>,
    /// Each example's labels, by name.
    pub labels: Vec<&'a [String]>,
    /// The project's labels, in order.
    pub label_names: &'a [String],
    pub task: TaskKind,
    pub bits: u32,
    pub settings: TrainSettings,
    /// Folds wanted for cross-validation (fewer are used when a label has fewer examples).
    pub folds: usize,
    /// Committee members to train on bootstrap resamples (0 for none).
    pub committee: usize,
    /// "decisions" or "reference".
    pub source: &'a str,
    /// RFC 3339 time to stamp on the cards.
    pub trained_at: String,
    /// For a combined model: the dense features, and each example's vector (in the order of `texts`).
    pub dense: Option<(DenseFeatures, Vec<&'a [f32]>)>,
}

/// The trained models and what they are.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub model: Head,
    pub card: ModelCard,
    pub members: Vec<(Head, ModelCard)>,
    /// Examples left out because a label of theirs is not one of the project's.
    pub skipped: usize,
    /// Each example's calibrated probabilities from the fold model that did not see it, by its index in
    /// the request (empty without cross-validation): what finding likely label errors needs.
    pub out_of_fold: Vec<(usize, Vec<f32>)>,
}

/// Trains, cross-validates and calibrates.
pub fn fit(request: &FitRequest<'_>) -> Result<Fitted, ModelError> {
    let classes = request.label_names.len();
    let multi = request.task == TaskKind::MultiLabel;
    let (kept, targets) = usable_examples(request, multi);
    let skipped = request.labels.len() - kept.len();
    check_enough(&targets, request.label_names)?;

    let spec = FeaturizerSpec::new(request.bits);
    let featurizer = Featurizer::new(spec.clone()).map_err(ModelError::Invalid)?;
    let texts: Vec<&str> = kept.iter().map(|&i| request.texts[i]).collect();
    let mut rows = featurize_parallel(&featurizer, &texts);
    let examples = rows.len();
    let split = Split::new(&targets, classes, request.folds, request.settings.seed);
    let mut jobs = training_jobs(&split, examples, request.committee, request.settings);
    let mut width = spec.buckets();
    let mut training_targets = targets.clone();
    if let Some((dense, vectors)) = &request.dense {
        // Each example twice: with its vector, and on its words alone, so that an item the encoder has not
        // reached yet (scored with no vector) gets a prediction from its words worth the name.
        let words_alone = rows.clone();
        for (row, &i) in rows.iter_mut().zip(&kept) {
            dense.append(spec.buckets(), Some(vectors[i]), row);
        }
        rows.extend(words_alone);
        training_targets = training_targets.repeated();
        for job in &mut jobs {
            let copies: Vec<usize> = job.subset.iter().map(|&i| i + examples).collect();
            job.subset.extend(copies);
        }
        width += dense.width();
    }

    // Every training is independent: the cross-validation folds, the final model and the committee's
    // bootstrap members all run together on the cores. A single-label combined model starts from the
    // zero-shot model and learns corrections to it, a start that fades as labels arrive.
    let prior = match &request.dense {
        Some((dense, _)) if !multi => dense.zero_shot_prior(spec.buckets(), examples),
        _ => None,
    };
    let mut models = train_many(&rows, &training_targets, &jobs, (classes, width), prior.as_ref()).into_iter();
    let fold_models: Vec<LinearModel> = models.by_ref().take(split.k).collect();
    let calibration = calibrate(&rows[..examples], &split, &fold_models, &targets, classes, multi, &kept);

    let card = |member: Option<[usize; 2]>, examples: usize| model_card(request, &spec, &calibration, member, examples);
    let head = |mut model: LinearModel| {
        model.scale(calibration.temperature);
        match &request.dense {
            Some((dense, _)) => {
                let (ngrams, embedding) = dense.split(&model, spec.buckets());
                Head { ngrams, embedding: Some(embedding) }
            }
            None => Head { ngrams: model, embedding: None },
        }
    };
    let model = head(models.next().expect("the final model was trained"));
    let members = models
        .zip(jobs.iter().skip(split.k + 1))
        .enumerate()
        .map(|(m, (member, job))| (head(member), card(Some([m + 1, request.committee]), job.subset.len())))
        .collect();

    Ok(Fitted { model, card: card(None, examples), members, skipped, out_of_fold: calibration.out_of_fold })
}

/// The examples whose labels the project still has (their indices in the request) and what they are
/// labelled, as class indices; a single-label example with other than one label is left out too.
fn usable_examples(request: &FitRequest<'_>, multi: bool) -> (Vec<usize>, Targets) {
    let classes = request.label_names.len();
    let index = |name: &String| request.label_names.iter().position(|n| n == name);
    let mut kept = Vec::new();
    let mut single = Vec::new();
    let mut multi_targets = Vec::new();
    for (i, labels) in request.labels.iter().enumerate() {
        let Some(indices) = labels.iter().map(index).collect::<Option<Vec<usize>>>() else { continue };
        if multi {
            let mut row = vec![false; classes];
            for k in indices {
                row[k] = true;
            }
            multi_targets.push(row);
        } else {
            let [k] = indices[..] else { continue };
            single.push(k);
        }
        kept.push(i);
    }
    let targets = if multi { Targets::Multi(multi_targets) } else { Targets::Single(single) };
    (kept, targets)
}

/// The cross-validation split: each example's fold, and how many folds there are.
struct Split {
    /// Each example's fold (empty without cross-validation).
    folds: Vec<usize>,
    /// The number of folds, 0 when some label has too few examples to cross-validate.
    k: usize,
}

impl Split {
    /// Stratified folds, as many as `wanted` when every label has examples enough.
    fn new(targets: &Targets, classes: usize, wanted: usize, seed: u64) -> Split {
        let k = evaluate::fold_count(targets, classes, wanted);
        if k >= 2 {
            Split { folds: evaluate::stratified_folds(targets, classes, k, seed), k }
        } else {
            Split { folds: Vec::new(), k: 0 }
        }
    }
}

/// The trainings to run, in this order: one per fold (on the other folds' examples), the final model
/// (on all `examples`), then each committee member (on a bootstrap resample, with a seed of its own).
fn training_jobs(split: &Split, examples: usize, committee: usize, settings: TrainSettings) -> Vec<Job> {
    let mut jobs: Vec<Job> =
        evaluate::fold_subsets(&split.folds, split.k).into_iter().map(|subset| Job { subset, settings }).collect();
    jobs.push(Job { subset: (0..examples).collect(), settings });
    for m in 0..committee {
        let mut rng = Rng::new(settings.seed ^ (0xC0FFEE + m as u64));
        let subset = (0..examples).map(|_| rng.below(examples)).collect();
        jobs.push(Job {
            subset,
            settings: TrainSettings { seed: settings.seed.wrapping_add(m as u64 + 1), ..settings },
        });
    }
    jobs
}

/// What cross-validation found: the temperature that calibrates the models, the figures, and each
/// example's calibrated out-of-fold probabilities.
struct Calibration {
    temperature: f32,
    metrics: Option<Metrics>,
    /// By the example's index in the request.
    out_of_fold: Vec<(usize, Vec<f32>)>,
}

/// Fits the temperature on the fold models' predictions for the examples they did not see, and scores
/// those predictions before and after calibration. Without folds: temperature 1 and no figures.
fn calibrate(
    rows: &[SparseVector],
    split: &Split,
    fold_models: &[LinearModel],
    targets: &Targets,
    classes: usize,
    multi: bool,
    kept: &[usize],
) -> Calibration {
    if split.k < 2 {
        return Calibration { temperature: 1.0, metrics: None, out_of_fold: Vec::new() };
    }
    let logits = evaluate::out_of_fold_logits(rows, &split.folds, fold_models);
    let temperature = evaluate::fit_temperature(&logits, targets);
    let raw: Vec<Vec<f32>> = logits.iter().map(|z| evaluate::probabilities(z, 1.0, multi)).collect();
    let calibrated: Vec<Vec<f32>> = logits.iter().map(|z| evaluate::probabilities(z, temperature, multi)).collect();
    let (_, _, ece_uncalibrated) = evaluate::score(&raw, targets, classes);
    let (accuracy, macro_f1, ece) = evaluate::score(&calibrated, targets, classes);
    let metrics = Metrics {
        folds: split.k,
        examples: rows.len(),
        accuracy,
        macro_f1,
        ece,
        ece_uncalibrated,
        temperature: f64::from(temperature),
    };
    Calibration { temperature, metrics: Some(metrics), out_of_fold: kept.iter().copied().zip(calibrated).collect() }
}

/// The card of a model trained on `examples` examples; `member` is `[m, of]` for a committee member.
fn model_card(
    request: &FitRequest<'_>,
    spec: &FeaturizerSpec,
    calibration: &Calibration,
    member: Option<[usize; 2]>,
    examples: usize,
) -> ModelCard {
    let settings = request.settings;
    ModelCard {
        format: LINEAR_FORMAT.to_string(),
        labels: request.label_names.to_vec(),
        task: request.task,
        featurizer: spec.clone(),
        training: Training {
            source: request.source.to_string(),
            examples,
            c: settings.c,
            epochs: settings.epochs,
            seed: settings.seed,
            committee_member: member,
        },
        metrics: calibration.metrics.clone(),
        temperature: f64::from(calibration.temperature),
        margin_version: env!("CARGO_PKG_VERSION").to_string(),
        trained_at: request.trained_at.clone(),
        encoder: request.dense.as_ref().map(|(dense, _)| dense.encoder.clone()),
    }
}

/// Refuses to train when there is nothing to tell apart.
fn check_enough(targets: &Targets, names: &[String]) -> Result<(), ModelError> {
    let counts: Vec<usize> = match targets {
        Targets::Single(t) => (0..names.len()).map(|k| t.iter().filter(|&&y| y == k).count()).collect(),
        Targets::Multi(t) => (0..names.len()).map(|k| t.iter().filter(|row| row[k]).count()).collect(),
    };
    let enough = match targets {
        Targets::Single(_) => counts.iter().filter(|&&c| c > 0).count() >= 2,
        Targets::Multi(t) => !t.is_empty(),
    };
    if enough {
        return Ok(());
    }
    let have: Vec<String> = names.iter().zip(&counts).map(|(n, c)| format!("{n}: {c}")).collect();
    Err(ModelError::Invalid(format!(
        "not enough labels to train: need examples of at least two labels (have {})",
        have.join(", ")
    )))
}

/// Featurizes on all cores, keeping the order.
pub fn featurize_parallel(featurizer: &Featurizer, texts: &[&str]) -> Vec<SparseVector> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).max(1);
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    part.iter()
                        .map(|t| {
                            let mut v = SparseVector::default();
                            featurizer.featurize_into(t, &mut scratch, &mut v);
                            v
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a featurizing thread panicked")).collect()
    })
}
