//! The review's search by meaning (the words a person types go through the project's sentence encoder
//! and the items a filter found are ranked by how close their stored vectors are, closest first), and what
//! the current model says now about an item, for its history.

use crate::config::ProjectConfig;
use crate::domain::embedding::dot;
use crate::model::ModelError;
use crate::model::encoder::Encoder;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum MeaningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("no item has a vector from this encoder yet; run `margin embed` first, then search by meaning")]
    NoVectors,
}

/// How many items' vectors are read from the store at a time.
const CHUNK: usize = 4_096;

/// The `limit` items of `candidates` whose vectors are closest in meaning to `text`, closest first, with
/// their cosine. Items without a vector are left out; none at all is [`MeaningError::NoVectors`].
pub fn rank_by_meaning(
    store: &mut Store,
    encoder: &mut Encoder,
    text: &str,
    candidates: &[i64],
    limit: usize,
) -> Result<Vec<(i64, f32)>, MeaningError> {
    let encoder_id = store.encoder_id(encoder.identity(), encoder.dimensions())?;
    if store.embedded_count(encoder_id)? == 0 {
        return Err(MeaningError::NoVectors);
    }
    let query = encoder.embed(&[text])?.pop().unwrap_or_default();
    let mut ranked: Vec<(i64, f32)> = Vec::new();
    for chunk in candidates.chunks(CHUNK) {
        let vectors = store.vectors_of(encoder_id, chunk)?;
        ranked.extend(chunk.iter().filter_map(|id| vectors.get(id).map(|v| (*id, dot(&query, v)))));
        // Keep the list short: only the best `limit` can be shown.
        if ranked.len() > limit.saturating_mul(4).max(CHUNK) {
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(limit);
        }
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(limit);
    Ok(ranked)
}

/// The current model and what it says about an item now (`said`: its labels and confidence; `None` when
/// it has not scored the item).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelNow {
    pub version: i64,
    pub said: Option<(Vec<String>, f32)>,
}

/// What the current model says about `item_id`; `None` when there is no current model for the project's
/// labels.
pub fn model_now(store: &Store, config: &ProjectConfig, item_id: i64) -> Result<Option<ModelNow>, StoreError> {
    let labels = config.label_names();
    let multi = config.task == crate::domain::TaskKind::MultiLabel;
    let Some(model) = store.current_model()?.filter(|m| m.labels == labels) else { return Ok(None) };
    let said = store
        .prediction(model.id, item_id)?
        .and_then(|p| crate::domain::predicted(&p.probabilities, multi))
        .map(|p| (p.labels.iter().filter_map(|&k| labels.get(k).cloned()).collect::<Vec<_>>(), p.confidence));
    Ok(Some(ModelNow { version: model.id, said }))
}
