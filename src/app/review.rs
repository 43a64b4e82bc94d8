//! The review's search by meaning: the words a person types go through the project's sentence encoder
//! and the items a filter found are ranked by how close their stored vectors are (cosine), closest first.

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
