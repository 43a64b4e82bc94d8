//! Embedding a project's items with a sentence encoder: the items with no vector from it yet, in chunks
//! grouped by length (little padding), each chunk's vectors written in one transaction, so that a kill
//! loses at most one chunk and the next run goes on from there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::project::Project;
use crate::app::score::{Rescorer, ScoreError};
use crate::config::{DEFAULT_ENCODER, NO_ENCODER};
use crate::domain::embedding::{dequantize, quantize};
use crate::model::ModelError;
use crate::model::Runtime;
use crate::model::encoder::{Encoder, EncoderPlaces, SharedEncoder, embed_by_length_on};
use crate::store::{Store, StoreError};
use std::sync::{Arc, Mutex};

/// Items read, tokenized, embedded and written at a time by default: the texts of a chunk are sorted by
/// length before they are batched (less padding than 512 at a time: ONNX Runtime 3% faster), and a kill
/// loses at most one chunk (a few seconds of work on two cores).
pub const CHUNK: usize = 2048;

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
/// up to [`MAX_SESSIONS`], the threads shared among them (see [`embed_by_length_on`] for why).
pub fn load_sessions(runtime: &Runtime, manifest: &Path, threads: usize) -> Result<Vec<Encoder>, ModelError> {
    let sessions = threads.clamp(1, MAX_SESSIONS);
    let per_session = (threads / sessions).max(1);
    (0..sessions).map(|_| Encoder::load(runtime, manifest, per_session)).collect()
}

/// Embeds every item that has no vector from the encoder, `chunk` items per transaction (see [`CHUNK`]) and
/// `batch` texts per ONNX Runtime call, the batches shared out among `encoders` (sessions of that one
/// encoder; see [`embed_by_length_on`]).
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
    let mut after = 0;
    loop {
        let t = Instant::now();
        let items_now = store.items_to_embed(encoder_id, after, chunk.max(1))?;
        report.store += t.elapsed();
        let Some(&(last, _)) = items_now.last() else { break };
        after = last;
        let vectors = embed_chunk(encoders, &items_now, batch, &mut report)?;
        let t = Instant::now();
        store.write_embeddings(encoder_id, &vectors)?;
        report.store += t.elapsed();
        if let Some(rescorer) = rescorer.as_deref_mut() {
            rescore_chunk(store, rescorer, &items_now, &vectors)?;
        }
        report.embedded += vectors.len() as u64;
        report.done += vectors.len() as u64;
        if !progress(report.done, items) {
            break;
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

/// The vectors of one chunk of items: tokenized, sorted by length, embedded `batch` at a time.
fn embed_chunk(
    encoders: &mut [&mut Encoder],
    chunk: &[(i64, String)],
    batch: usize,
    report: &mut EmbedReport,
) -> Result<Vec<(i64, Vec<f32>)>, EmbedError> {
    let texts: Vec<&str> = chunk.iter().map(|(_, text)| text.as_str()).collect();
    let (vectors, tokenize, encode) = embed_by_length_on(encoders, &texts, batch)?;
    report.tokenize += tokenize;
    report.encode += encode;
    Ok(chunk.iter().map(|(id, _)| *id).zip(vectors).collect())
}
