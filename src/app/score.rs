//! The scoring pipeline: one thread reads the items still to score from the store and featurizes them,
//! one runs them through ONNX Runtime (the model and any committee members) and works out the uncertainty
//! measures, and the caller's thread writes the predictions back in batches. The three overlap, so the
//! slowest alone sets the pace. Wires `store` and `model`; imports nothing from the screen or the CLI.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use crate::config::ProjectConfig;
use crate::domain::{TaskKind, uncertainty};
use crate::model::encoder::SharedEncoder;
use crate::model::engine::{Engine, Preparer, Rows};
use crate::model::external::ExternalModel;
use crate::model::features::Scratch;
use crate::model::scorer::Scorer;
use crate::model::{ModelError, Runtime};
use crate::store::{ModelVersion, Prediction, Store, StoreError};

/// The most padded entries (rows times the widest row) in one batch: bounds ONNX Runtime's memory when
/// texts are long.
const MAX_BATCH_CELLS: usize = 256 * 1024;

/// Predictions written per transaction.
const WRITE_BATCH: usize = 16_384;

/// What a scoring run did, and where its time went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreReport {
    pub scored: u64,
    pub elapsed: Duration,
    /// Time each stage spent working (not waiting): reading and featurizing, ONNX Runtime, writing.
    pub featurize: Duration,
    pub infer: Duration,
    pub write: Duration,
    /// Items the machine accepted when the scored pool was routed (big pools only; see
    /// [`crate::app::serve::build_shortlist`]).
    pub machine_accepted: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("the {0} thread stopped unexpectedly")]
    Thread(&'static str),
    #[error("model version {version} cannot be used; train a new one")]
    Load {
        version: i64,
        #[source]
        source: ModelError,
    },
}

/// Loads a registered model and its committee members through ONNX Runtime, ready to score.
pub fn load_engines(
    dir: &Path,
    config: &ProjectConfig,
    store: &Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    model: &ModelVersion,
) -> Result<(Engine, Vec<Engine>), ScoreError> {
    let multi = config.task == TaskKind::MultiLabel;
    let load = |version: &ModelVersion| {
        let path = dir.join(&version.path);
        let labels = names_in_file(&config.label_names(), version);
        let engine = if version.kind == crate::domain::ModelKind::External {
            ExternalModel::load(runtime, &path, &labels, multi).map(|m| Engine::External(Box::new(m)))
        } else {
            Scorer::load(runtime, &path, &labels, 1, encoder).map(|s| Engine::Linear(Box::new(s)))
        };
        engine.map_err(|source| ScoreError::Load { version: version.id, source })
    };
    let engine = load(model)?;
    let members = store.committee(model.id)?.iter().map(load).collect::<Result<_, _>>()?;
    Ok((engine, members))
}

/// The project's labels as `version`'s file names them (a label renamed since it was trained keeps its old
/// name there), in the project's order; a label the model does not know keeps its own name, so loading
/// refuses it with both lists named.
fn names_in_file(labels: &[String], version: &ModelVersion) -> Vec<String> {
    labels
        .iter()
        .map(|label| match version.labels.iter().position(|l| l == label) {
            Some(i) => version.file_labels.get(i).unwrap_or(label).clone(),
            None => label.clone(),
        })
        .collect()
}

/// Scores, with `model` of the project at `dir`, the pending items it has not scored, then rebuilds the
/// short list of candidates from its scores.
pub fn score_with(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    model: &ModelVersion,
    progress: impl FnMut(u64),
) -> Result<ScoreReport, ScoreError> {
    let (engine, members) = load_engines(dir, config, store, runtime, encoder, model)?;
    let db_path = dir.join(crate::app::project::DB_FILE);
    let job = ScoreJob {
        db_path: &db_path,
        model_id: model.id,
        engine,
        members,
        classes: config.labels.len(),
        multi_label: config.task == TaskKind::MultiLabel,
        all: false,
        batch: DEFAULT_BATCH,
    };
    let mut report = score_items(job, store, progress)?;
    report.machine_accepted =
        crate::app::serve::build_shortlist(store, config, model.id, crate::app::serve::SHORTLIST_FROM)?;
    Ok(report)
}

/// Rows per ONNX Runtime call unless asked otherwise.
pub const DEFAULT_BATCH: usize = 512;

/// What to score and with what.
pub struct ScoreJob<'a> {
    /// The project database; the reading thread opens its own connection to it.
    pub db_path: &'a Path,
    pub model_id: i64,
    pub engine: Engine,
    /// Committee members, for vote entropy and KL divergence.
    pub members: Vec<Engine>,
    /// How many labels the project has, and whether an item may take several.
    pub classes: usize,
    pub multi_label: bool,
    /// Every item not yet scored by this model, not only pending ones.
    pub all: bool,
    /// Rows per ONNX Runtime call (fewer when texts are long).
    pub batch: usize,
}

/// Scores what the job's model has not scored yet, writing through `store`; `progress` is called with the
/// running count after each write. Three stages run at once: reading and featurizing on one thread, ONNX
/// Runtime on another, writing on this one.
pub fn score_items(job: ScoreJob<'_>, store: &mut Store, progress: impl FnMut(u64)) -> Result<ScoreReport, ScoreError> {
    let ScoreJob { db_path, model_id, engine, members, classes, multi_label, all, batch } = job;
    let started = Instant::now();
    let batch = batch.max(1);
    let preparer = engine.preparer();
    // A combined model reads each item's vector from its encoder beside the text.
    let encoder = match engine.encoder() {
        Some(e) => Some(store.encoder_id(&e.identity, e.dimensions)?),
        None => None,
    };
    let needs_vectors = engine.needs_vectors();
    // Room for two windows of batches, so the reading thread fills the next window while the last is scored.
    let (to_score, featurized) = sync_channel::<(Vec<i64>, Rows)>(2 * WINDOW_BATCHES);
    let (to_write, scored) = sync_channel::<Vec<Prediction>>(4);
    let mut reader_store = Store::open(db_path)?;
    reader_store.tune_for_scan()?;
    store.tune_for_appending()?;

    std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("margin-featurize".into())
            .spawn_scoped(scope, move || {
                let source = ScoreSource { model_id, all, encoder, needs_vectors };
                read_and_featurize(&mut reader_store, source, Batcher::new(batch, preparer), to_score)
            })
            .map_err(|_| ScoreError::Thread("reading"))?;
        let scoring = Scoring { engine, members, classes, multi_label };
        let inferring = std::thread::Builder::new()
            .name("margin-onnx".into())
            .spawn_scoped(scope, move || scoring.run(featurized, to_write))
            .map_err(|_| ScoreError::Thread("inference"))?;
        let (scored_count, write, write_result) = write_all(store, model_id, scored, progress);
        let infer = inferring.join().map_err(|_| ScoreError::Thread("inference"))??;
        let featurize = reading.join().map_err(|_| ScoreError::Thread("reading"))??;
        write_result?;
        Ok(ScoreReport {
            scored: scored_count,
            elapsed: started.elapsed(),
            featurize,
            infer,
            write,
            machine_accepted: 0,
        })
    })
}

/// Which items the first stage reads: those `model_id` has not scored (pending ones unless `all`), with
/// their vectors from `encoder` for a combined model.
struct ScoreSource {
    model_id: i64,
    all: bool,
    encoder: Option<i64>,
    /// Leave out items with no vector (for a zero-shot model).
    needs_vectors: bool,
}

/// The first stage: reads the texts to score and featurizes them in windows of batches (sorted by width),
/// until the texts run out or the next stage stops taking them. Returns the time it was busy.
fn read_and_featurize(
    reader_store: &mut Store,
    ScoreSource { model_id, all, encoder, needs_vectors }: ScoreSource,
    mut window: Batcher,
    to_score: SyncSender<(Vec<i64>, Rows)>,
) -> Result<Duration, ScoreError> {
    let mut busy = Duration::ZERO;
    let mut scratch = Scratch::default();
    let mut stopped = false;
    reader_store.items_to_score(model_id, all, encoder, |id, text, vector| -> Result<(), StoreError> {
        if stopped || (needs_vectors && vector.is_none()) {
            return Ok(());
        }
        let t = Instant::now();
        window.push(id, text, vector, &mut scratch);
        busy += t.elapsed();
        if window.is_full() {
            let t = Instant::now();
            let batches = window.drain();
            busy += t.elapsed();
            stopped = batches.into_iter().any(|b| to_score.send(b).is_err());
        }
        Ok(())
    })?;
    if !stopped {
        for b in window.drain() {
            if to_score.send(b).is_err() {
                break;
            }
        }
    }
    Ok(busy)
}

/// The second stage: the model (and its committee) through ONNX Runtime.
struct Scoring {
    engine: Engine,
    members: Vec<Engine>,
    classes: usize,
    multi_label: bool,
}

impl Scoring {
    /// Scores each batch and passes its predictions on, until the batches run out or the writer stops.
    /// Returns the time it was busy.
    fn run(
        mut self,
        featurized: Receiver<(Vec<i64>, Rows)>,
        to_write: SyncSender<Vec<Prediction>>,
    ) -> Result<Duration, ScoreError> {
        let mut busy = Duration::ZERO;
        for (ids, rows) in featurized {
            let t = Instant::now();
            let predictions = self.predictions(&ids, &rows)?;
            busy += t.elapsed();
            if to_write.send(predictions).is_err() {
                break;
            }
        }
        Ok(busy)
    }

    /// The predictions of a batch of rows (item `ids[r]` for row `r`) by the model and its committee.
    fn predictions(&mut self, ids: &[i64], rows: &Rows) -> Result<Vec<Prediction>, ScoreError> {
        let probabilities = self.engine.score(rows)?;
        let committee: Vec<Vec<Vec<f32>>> = self.members.iter_mut().map(|m| m.score(rows)).collect::<Result<_, _>>()?;
        Ok(ids
            .iter()
            .zip(probabilities)
            .enumerate()
            .map(|(r, (&item_id, probabilities))| {
                let votes: Vec<Vec<f32>> = committee.iter().map(|m| m[r].clone()).collect();
                self.prediction(item_id, probabilities, &votes)
            })
            .collect())
    }

    /// One item's prediction: its probabilities, their uncertainty, and the committee's disagreement.
    fn prediction(&self, item_id: i64, probabilities: Vec<f32>, votes: &[Vec<f32>]) -> Prediction {
        let uncertainty = if self.multi_label {
            uncertainty::multi_label(&probabilities)
        } else {
            uncertainty::single_label(&probabilities)
        };
        let (vote_entropy, kl_divergence) = if votes.is_empty() {
            (None, None)
        } else {
            (Some(uncertainty::vote_entropy(votes, self.classes)), Some(uncertainty::mean_kl_to_consensus(votes)))
        };
        Prediction { item_id, probabilities, uncertainty, vote_entropy, kl_divergence }
    }
}

/// The last stage: writes predictions in batches of [`WRITE_BATCH`], calling `progress` after each. Returns
/// how many were written, the time it was busy, and the first write error (it stops there).
fn write_all(
    store: &mut Store,
    model_id: i64,
    scored: Receiver<Vec<Prediction>>,
    mut progress: impl FnMut(u64),
) -> (u64, Duration, Result<(), ScoreError>) {
    let mut busy = Duration::ZERO;
    let mut written = 0u64;
    let mut pending: Vec<Prediction> = Vec::with_capacity(WRITE_BATCH);
    let mut write = |pending: &mut Vec<Prediction>| -> Result<(), ScoreError> {
        let t = Instant::now();
        store.write_predictions(model_id, pending)?;
        busy += t.elapsed();
        written += pending.len() as u64;
        pending.clear();
        progress(written);
        Ok(())
    };
    for predictions in scored {
        pending.extend(predictions);
        if pending.len() >= WRITE_BATCH {
            if let Err(e) = write(&mut pending) {
                return (written, busy, Err(e));
            }
        }
    }
    let result = if pending.is_empty() { Ok(()) } else { write(&mut pending) };
    (written, busy, result)
}

/// Batches collected per window before sorting by width.
const WINDOW_BATCHES: usize = 8;

/// Collects prepared rows and cuts them into batches of similar width. Rows are padded to the widest
/// in their batch, so sorting a window of rows by width first spares ONNX Runtime most of the padding.
struct Batcher {
    batch: usize,
    preparer: Preparer,
    ids: Vec<i64>,
    rows: Rows,
}

impl Batcher {
    fn new(batch: usize, preparer: Preparer) -> Self {
        let rows = preparer.empty_rows();
        Batcher { batch, preparer, ids: Vec::new(), rows }
    }

    fn push(&mut self, id: i64, text: &str, vector: Option<&[f32]>, scratch: &mut Scratch) {
        self.ids.push(id);
        self.rows.push(&self.preparer, text, vector, scratch);
    }

    fn is_full(&self) -> bool {
        self.ids.len() >= WINDOW_BATCHES * self.batch
    }

    /// The window's rows as batches, narrowest first; empties the window.
    fn drain(&mut self) -> Vec<(Vec<i64>, Rows)> {
        let mut order: Vec<usize> = (0..self.ids.len()).collect();
        order.sort_by_key(|&r| self.rows.width(r));
        let mut batches = Vec::new();
        let (mut ids, mut rows) = (Vec::with_capacity(self.batch), self.preparer.empty_rows());
        for r in order {
            ids.push(self.ids[r]);
            rows.push_row_of(&self.rows, r);
            // Sorted by width, so this row is the widest so far.
            if ids.len() == self.batch || ids.len() * self.rows.width(r) >= MAX_BATCH_CELLS {
                batches.push((std::mem::take(&mut ids), std::mem::replace(&mut rows, self.preparer.empty_rows())));
            }
        }
        if !ids.is_empty() {
            batches.push((ids, rows));
        }
        self.ids.clear();
        self.rows = self.preparer.empty_rows();
        batches
    }
}

/// A combined model (and its committee) kept loaded to score items again as they get their sentence
/// vectors: they were scored on their words alone before. Used by `margin embed` and the screen's
/// embedding thread.
pub struct Rescorer {
    model_id: i64,
    scoring: Scoring,
    preparer: Preparer,
    scratch: Scratch,
}

impl Rescorer {
    /// The project's current model, when it is a combined one that takes `encoder`'s vectors (`None`
    /// otherwise: nothing it scored changes with them).
    pub fn for_current(
        dir: &Path,
        config: &ProjectConfig,
        store: &Store,
        runtime: &Runtime,
        encoder: &SharedEncoder,
    ) -> Result<Option<Rescorer>, ScoreError> {
        let Some(model) = store.current_model()? else { return Ok(None) };
        if model.kind == crate::domain::ModelKind::External {
            return Ok(None);
        }
        let (engine, members) = load_engines(dir, config, store, runtime, Some(encoder), &model)?;
        let identity = encoder.lock().unwrap_or_else(|p| p.into_inner()).identity().to_string();
        if engine.encoder().is_none_or(|e| e.identity != identity) {
            return Ok(None);
        }
        let preparer = engine.preparer();
        let multi_label = config.task == TaskKind::MultiLabel;
        let scoring = Scoring { engine, members, classes: config.labels.len(), multi_label };
        Ok(Some(Rescorer { model_id: model.id, scoring, preparer, scratch: Scratch::default() }))
    }

    pub fn model_id(&self) -> i64 {
        self.model_id
    }

    /// Scores `items` (id, text, vector) and replaces the model's predictions of them; gives the new ones.
    pub fn rescore(&mut self, store: &mut Store, items: &[(i64, &str, &[f32])]) -> Result<Vec<Prediction>, ScoreError> {
        let mut rows = self.preparer.empty_rows();
        for (_, text, vector) in items {
            rows.push(&self.preparer, text, Some(vector), &mut self.scratch);
        }
        let ids: Vec<i64> = items.iter().map(|(id, _, _)| *id).collect();
        let predictions = self.scoring.predictions(&ids, &rows)?;
        store.replace_predictions(self.model_id, &predictions)?;
        Ok(predictions)
    }
}
