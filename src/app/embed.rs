//! Embedding a project's items with a sentence encoder: the items with no vector from it yet, read a window
//! at a time and sorted by length (little padding), embedded and written a chunk at a time, each chunk in
//! one transaction, so that a kill loses at most one chunk and the next run goes on from there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::project::Project;
use crate::app::score::{Rescorer, ScoreError};
use crate::config::{DEFAULT_ENCODER, NO_ENCODER};
use crate::domain::embedding::{dequantize, quantize};
use crate::model::ModelError;
use crate::model::Runtime;
use crate::model::encoder::{Encoder, EncoderPlaces, SharedEncoder, embed_sorted_on, tokenize_by_length};
use crate::store::{Store, StoreError};
use std::sync::{Arc, Mutex};

/// Items embedded and written in one transaction by default: a kill loses at most one chunk (a few seconds
/// of work on two cores).
pub const CHUNK: usize = 2048;

/// Items read and sorted by length at a time: the wider the window, the closer in length the texts of each
/// batch, the less padding ONNX Runtime computes (measured on 10,000 texts: 4% faster than a window of
/// 2,048, which was 3% faster than 512). 16,384 texts and their tokens take a few MB.
pub const WINDOW: usize = 16_384;

pub use crate::model::encoder::BATCH;

/// Why embedding stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    ZeroShot(#[from] crate::app::train::TrainError),
}

/// What an embedding run did, and where its time went.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedReport {
    /// The encoder's identity (name and checksum).
    pub encoder: String,
    /// Vectors computed by this run.
    pub embedded: u64,
    /// Items with a vector from this encoder, and all the project's items, after the run.
    pub done: u64,
    pub items: u64,
    pub elapsed: Duration,
    pub tokenize: Duration,
    pub encode: Duration,
    pub store: Duration,
}

/// The manifest of the project's encoder (`[model] encoder`), `None` when it uses none. For "default",
/// `flag` (the `--encoder` option) and then the usual places are searched; a path is the project's own
/// choice and is taken relative to the project.
pub fn project_encoder(project: &Project, flag: Option<&Path>) -> Result<Option<PathBuf>, ModelError> {
    match project.config.model.encoder.as_str() {
        NO_ENCODER => Ok(None),
        DEFAULT_ENCODER => EncoderPlaces::from_environment(flag).locate().map(Some),
        path => {
            let places = EncoderPlaces { flag: Some(project.dir.join(path)), ..EncoderPlaces::default() };
            places.locate().map(Some).map_err(|_| {
                ModelError::Invalid(format!(
                    "margin.toml's [model] encoder names {}, which holds no encoder.toml; point it at an \
                     encoder's manifest or folder, or say \"default\" or \"none\"",
                    project.dir.join(path).display()
                ))
            })
        }
    }
}

/// The project's encoder, loaded with `threads` ONNX Runtime threads and ready to share: `Ok(None)` when
/// the project uses none. Fails when it names one that cannot be found or loaded (see
/// [`project_encoder`]).
pub fn load_project_encoder(
    project: &Project,
    flag: Option<&Path>,
    runtime: &Runtime,
    threads: usize,
) -> Result<Option<SharedEncoder>, ModelError> {
    let Some(manifest) = project_encoder(project, flag)? else { return Ok(None) };
    Ok(Some(Arc::new(Mutex::new(Encoder::load(runtime, &manifest, threads)?))))
}

/// Most encoder sessions a run shares its batches among (each holds the model and its working memory).
pub const MAX_SESSIONS: usize = 4;

/// `threads` ONNX Runtime threads in all as sessions of the encoder at `manifest`: one session per thread
/// up to [`MAX_SESSIONS`], the threads shared among them (see [`embed_sorted_on`] for why).
pub fn load_sessions(runtime: &Runtime, manifest: &Path, threads: usize) -> Result<Vec<Encoder>, ModelError> {
    let sessions = threads.clamp(1, MAX_SESSIONS);
    let per_session = (threads / sessions).max(1);
    (0..sessions).map(|_| Encoder::load(runtime, manifest, per_session)).collect()
}

/// Embeds every item that has no vector from the encoder, a [`WINDOW`] of them sorted by length at a time,
/// `chunk` items per transaction (see [`CHUNK`]) and `batch` texts per ONNX Runtime call, the batches
/// shared out among `encoders` (sessions of that one encoder; see [`embed_sorted_on`]).
/// `progress(done, items)` is called after each chunk; it returns false to stop early (what is written
/// stays). With a `rescorer` (the current model, a combined one), each chunk's items are scored again
/// with their vectors.
pub fn embed_pending(
    store: &mut Store,
    encoders: &mut [&mut Encoder],
    (chunk, batch): (usize, usize),
    mut rescorer: Option<&mut Rescorer>,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<EmbedReport, EmbedError> {
    let started = Instant::now();
    let Some(encoder) = encoders.first() else { return Err(ModelError::Invalid("no encoder".into()).into()) };
    let encoder_id = store.encoder_id(encoder.identity(), encoder.dimensions())?;
    let items = store.item_count()?;
    let mut report = EmbedReport {
        encoder: encoder.identity().to_string(),
        embedded: 0,
        done: store.embedded_count(encoder_id)?,
        items,
        elapsed: Duration::ZERO,
        tokenize: Duration::ZERO,
        encode: Duration::ZERO,
        store: Duration::ZERO,
    };
    let (chunk, mut after) = (chunk.max(1), 0);
    'windows: loop {
        let t = Instant::now();
        let window = store.items_to_embed(encoder_id, after, WINDOW.max(chunk))?;
        report.store += t.elapsed();
        let Some(&(last, _)) = window.last() else { break };
        after = last;
        let texts: Vec<&str> = window.iter().map(|(_, text)| text.as_str()).collect();
        let (sorted, tokenize) = tokenize_by_length(encoders[0], &texts)?;
        report.tokenize += tokenize;
        let mut sorted = sorted.into_iter().peekable();
        while sorted.peek().is_some() {
            let (numbered, encode) = embed_sorted_on(encoders, sorted.by_ref().take(chunk).collect(), batch)?;
            report.encode += encode;
            let items_now: Vec<(i64, String)> = numbered.iter().map(|(i, _)| window[*i].clone()).collect();
            let vectors: Vec<(i64, Vec<f32>)> = numbered.into_iter().map(|(i, v)| (window[i].0, v)).collect();
            let t = Instant::now();
            store.write_embeddings(encoder_id, &vectors)?;
            report.store += t.elapsed();
            if let Some(rescorer) = rescorer.as_deref_mut() {
                rescore_chunk(store, rescorer, &items_now, &vectors)?;
            }
            report.embedded += vectors.len() as u64;
            report.done += vectors.len() as u64;
            if !progress(report.done, items) {
                break 'windows;
            }
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Scores a chunk's items again with their vectors, as stored (so as `margin score` would).
pub(crate) fn rescore_chunk(
    store: &mut Store,
    rescorer: &mut Rescorer,
    items: &[(i64, String)],
    vectors: &[(i64, Vec<f32>)],
) -> Result<Vec<crate::domain::Prediction>, EmbedError> {
    let stored: Vec<Vec<f32>> =
        vectors.iter().map(|(_, v)| dequantize(&quantize(v)).unwrap_or_else(|| v.clone())).collect();
    let rows: Vec<(i64, &str, &[f32])> =
        items.iter().zip(&stored).map(|((id, text), v)| (*id, text.as_str(), v.as_slice())).collect();
    Ok(rescorer.rescore(store, &rows)?)
}
