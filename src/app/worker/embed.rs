//! The screen's embedding thread: while people label, it gives the project's items their sentence vectors,
//! a few dozen at a time, what matters first (the items leased to someone, then the current model's short
//! list of candidates, then the rest in order), and scores each chunk again with the current model when
//! that model takes vectors. With no model yet it makes the zero-shot one, so the cards show guesses from
//! the label descriptions from the first batch. It tells the screen how far it is; nothing on the screen waits for
//! it (its own store connection, the encoder's lock held one batch of texts at a time).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Duration;

use super::ModelHost;
use crate::app::embed::{EmbedError, rescore_chunk};
use crate::app::score::Rescorer;
use crate::app::zero_shot::make_zero_shot_if_no_model;
use crate::config::ProjectConfig;
use crate::model::ModelError;
use crate::model::encoder::SharedEncoder;
use crate::model::encoder::Tokens;
use crate::store::Store;
use crate::tui::annotate::msg::{CardPrediction, ModelInfo, Msg};
use crate::tui::inbox::Outbox;

/// Items embedded between two looks at what matters most (and two progress reports): enough to sort by
/// length and batch with little padding, few enough to look again within seconds.
const CHUNK: usize = 256;

/// Texts per ONNX Runtime call: small, so that the runtime's working memory for a batch of long texts stays
/// small beside the screen's (chunks are sorted by length, so small batches cost little padding).
const EMBED_BATCH: usize = 8;

/// Rows written per transaction (vectors, then their new predictions): a person's save never waits behind
/// more than a millisecond of them (a chunk's 256 rows took 2-4 ms for the vectors and 12-18 ms more for
/// scoring and writing their predictions on a 1,000,000-item project).
const WRITE_ROWS: usize = 16;

/// The encoder's scheduling priority: the lowest, below the screen, the saves and the explanations.
const EMBED_NICE: i32 = 19;

/// The priority of the thread that reads and writes the store and scores the embedded items again: a
/// little below the screen's, far above the encoder's (a thread at 19 holding the write lock while other
/// work takes the cores would keep a save waiting).
const STORE_NICE: i32 = 5;

/// How long the thread rests when every item has its vector, before looking for new ones.
const IDLE: Duration = Duration::from_secs(3);

pub(super) struct EmbedThread {
    pub dir: PathBuf,
    pub config: ProjectConfig,
    pub store: Store,
    pub host: ModelHost,
    pub user: String,
}

impl EmbedThread {
    /// Embeds until the screen closes `stop` (its sender dropped); a failure ends the thread, said in the
    /// log (the screen goes on without vectors).
    ///
    /// The encoder runs on a helper thread at the lowest priority; this thread, a little below normal, does
    /// the store's reads and writes, so that it never holds the database's write lock while starved of the
    /// CPU (a person's save would wait behind it).
    pub fn run(mut self, stop: Receiver<()>, replies: Outbox) {
        let Some(encoder) = self.host.encoder.clone() else { return };
        // Below the screen and the saves, but not so low that it could hold the write lock while starved.
        super::run_in_background(STORE_NICE);
        std::thread::scope(|scope| {
            let (texts, to_encode) = sync_channel::<Vec<String>>(1);
            let (encoded, vectors) = sync_channel::<Result<Vec<Vec<f32>>, ModelError>>(1);
            let helper = encoder.clone();
            let spawned = std::thread::Builder::new().name("margin-encode".into()).spawn_scoped(scope, move || {
                super::run_in_background(EMBED_NICE);
                for chunk in to_encode {
                    if encoded.send(encode_by_length(&helper, &chunk)).is_err() {
                        return;
                    }
                }
            });
            if spawned.is_err() {
                tracing::warn!("cannot start the encoding thread: no vectors in the background");
                return;
            }
            let encode = |chunk: Vec<String>| -> Result<Vec<Vec<f32>>, EmbedError> {
                let stopped = || ModelError::Invalid("the encoding thread stopped".into());
                texts.send(chunk).map_err(|_| stopped())?;
                Ok(vectors.recv().map_err(|_| stopped())??)
            };
            if let Err(e) = self.embed_while_open(&encoder, &encode, &stop, &replies) {
                tracing::warn!("the embedding thread stopped: {e}");
            }
            drop(texts);
        });
    }

    fn embed_while_open(
        &mut self,
        encoder: &SharedEncoder,
        encode: &dyn Fn(Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError>,
        stop: &Receiver<()>,
        replies: &Outbox,
    ) -> Result<(), EmbedError> {
        let (identity, dims) = {
            let e = encoder.lock().unwrap_or_else(|p| p.into_inner());
            (e.identity().to_string(), e.dimensions())
        };
        let encoder_id = self.store.encoder_id(&identity, dims)?;
        if let Some(version) = make_zero_shot_if_no_model(
            &self.dir,
            &self.config,
            &mut self.store,
            self.host.runtime,
            encoder,
            &self.user,
        )? {
            let info = ModelInfo { version: Some(version), zero_shot: true, ..ModelInfo::default() };
            if !replies.send(Msg::Model(info)) {
                return Ok(());
            }
        }
        let mut rescorer: Option<Rescorer> = None;
        // Where the walk in id order got to (so it never walks again over what it embedded).
        let mut after = 0;
        loop {
            let current = self.store.current_model()?.map(|m| m.id);
            if rescorer.as_ref().map(Rescorer::model_id) != current {
                rescorer = Rescorer::for_current(&self.dir, &self.config, &self.store, self.host.runtime, encoder)?;
            }
            let mut chunk = self.store.urgent_items_to_embed(encoder_id, CHUNK)?;
            if chunk.is_empty() {
                chunk = self.store.items_to_embed(encoder_id, after, CHUNK)?;
                if chunk.is_empty() && after > 0 {
                    // From the start once more: an item may have come in below where the walk is.
                    after = 0;
                    chunk = self.store.items_to_embed(encoder_id, after, CHUNK)?;
                }
                after = chunk.last().map_or(after, |(id, _)| *id);
            }
            if !chunk.is_empty() {
                let vectors: Vec<(i64, Vec<f32>)> = chunk
                    .iter()
                    .map(|(id, _)| *id)
                    .zip(encode(chunk.iter().map(|(_, t)| t.clone()).collect())?)
                    .collect();
                let mut rescored = Vec::new();
                // A few rows per transaction: a person's save waits for one of them at most.
                for (items, vectors) in chunk.chunks(WRITE_ROWS).zip(vectors.chunks(WRITE_ROWS)) {
                    self.store.write_embeddings(encoder_id, vectors)?;
                    if let Some(rescorer) = rescorer.as_mut() {
                        rescored.extend(rescore_chunk(&mut self.store, rescorer, items, vectors)?);
                    }
                }
                // The cards on someone's screen show the new predictions at once.
                let model = rescorer.as_ref().map_or(0, Rescorer::model_id);
                let cards = rescored
                    .into_iter()
                    .map(|p| (p.item_id, CardPrediction { model_version: model, probabilities: p.probabilities }))
                    .collect::<Vec<_>>();
                if !cards.is_empty() && !replies.send(Msg::Predictions(cards)) {
                    return Ok(());
                }
            }
            let (done, items) = (self.store.embedded_count(encoder_id)?, self.store.item_count()?);
            if !replies.send(Msg::Vectors { done, items }) {
                return Ok(());
            }
            let rest = if chunk.is_empty() { IDLE } else { Duration::ZERO };
            match stop.recv_timeout(rest) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }
}

/// The vectors of `texts` in their order: sorted by length (little padding) and embedded a few at a time,
/// the encoder locked one batch at a time (an explanation can go between two).
fn encode_by_length(encoder: &SharedEncoder, texts: &[String]) -> Result<Vec<Vec<f32>>, ModelError> {
    let lock = || encoder.lock().unwrap_or_else(|p| p.into_inner());
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut tokens: Vec<Option<Tokens>> = lock().tokenize(&refs)?.into_iter().map(Some).collect();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| tokens[i].as_ref().map_or(0, Tokens::len));
    let mut vectors = vec![Vec::new(); texts.len()];
    for group in order.chunks(EMBED_BATCH) {
        let batch: Vec<Tokens> = group.iter().filter_map(|&i| tokens[i].take()).collect();
        for (&i, vector) in group.iter().zip(lock().embed_tokens(&batch)?) {
            vectors[i] = vector;
        }
    }
    Ok(vectors)
}
