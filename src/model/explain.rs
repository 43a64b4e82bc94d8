//! Why the model predicts what it does, per item, fast enough to show at once:
//!
//! - **word contributions**: for margin's linear model, exact: each feature's weight for the predicted
//!   label (centred over the labels for softmax models, so contributions sum to that label's logit minus
//!   the mean logit, bias aside) times its value, shared back onto the words that produced it (a bigram
//!   half to each word, a bucket hit by several features in proportion);
//! - **a counterfactual hint**: the fewest top-contributing words whose removal changes the prediction,
//!   checked by scoring the edited texts through the model in ONNX Runtime;
//! - **similar labelled items**: the nearest labelled items by cosine of their feature vectors.

use std::collections::BTreeMap;

use prost::Message;
use serde::Serialize;

use super::ModelError;
use super::card::ModelCard;
use super::engine::Engine;
use super::features::{Featurizer, SparseVector};
use super::linear::LinearModel;
use super::onnx::proto::ModelProto;

/// The most words a counterfactual may remove before margin gives up looking.
pub const MAX_COUNTERFACTUAL_WORDS: usize = 8;

/// How much one word of the text pushed toward (positive) or against (negative) the predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordContribution {
    /// Byte range of the word in the text.
    pub start: usize,
    pub end: usize,
    pub word: String,
    pub contribution: f32,
}

/// The fewest words whose removal changes the prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterfactual {
    pub removed: Vec<String>,
    /// The label predicted without them, and its probability.
    pub label: String,
    pub probability: f32,
}

/// A labelled item close to the one explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Similar {
    pub item_id: i64,
    pub similarity: f32,
    pub labels: Vec<String>,
}

/// The linear model's weights, read back from its ONNX file, with its featurizer; for a combined model,
/// also the embedding's weights `E[D, C]`.
#[derive(Debug, Clone)]
pub struct Explainer {
    linear: LinearModel,
    featurizer: Featurizer,
    labels: Vec<String>,
    embedding: Option<Vec<f32>>,
}

impl Explainer {
    /// Reads the weights and card of a margin model file.
    pub fn from_onnx(bytes: &[u8]) -> Result<Explainer, ModelError> {
        let invalid = |m: String| ModelError::Invalid(format!("cannot explain with this model: {m}"));
        let proto = ModelProto::decode(bytes).map_err(|e| invalid(e.to_string()))?;
        let props: BTreeMap<String, String> =
            proto.metadata_props.iter().filter_map(|p| Some((p.key.clone()?, p.value.clone()?))).collect();
        let card = ModelCard::from_metadata(&props).map_err(invalid)?;
        let graph = proto.graph.ok_or_else(|| invalid("no graph".into()))?;
        let tensor = |name: &str| {
            graph
                .initializer
                .iter()
                .find(|t| t.name.as_deref() == Some(name))
                .and_then(|t| t.raw_data.as_ref())
                .map(|raw| {
                    raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect::<Vec<_>>()
                })
                .ok_or_else(|| invalid(format!("no initializer `{name}`")))
        };
        let weights = tensor("W")?;
        let bias = tensor("b")?;
        let classes = card.labels.len();
        if bias.len() != classes || weights.len() != card.featurizer.buckets() * classes {
            return Err(invalid("weights do not match its labels and buckets".into()));
        }
        let multi_label = card.task == crate::domain::TaskKind::MultiLabel;
        let featurizer = Featurizer::new(card.featurizer.clone()).map_err(invalid)?;
        let embedding = match &card.encoder {
            Some(encoder) => {
                let e = tensor("E")?;
                if e.len() != encoder.dimensions * classes {
                    return Err(invalid("embedding weights do not match its labels and encoder".into()));
                }
                Some(e)
            }
            None => None,
        };
        let linear = LinearModel { classes, multi_label, weights, bias };
        Ok(Explainer { linear, featurizer, labels: card.labels, embedding })
    }

    /// Whether the model also takes a sentence vector (a combined model).
    pub fn has_embedding_part(&self) -> bool {
        self.embedding.is_some()
    }

    /// Adds to each word the embedding part's share of the explanation: how much the predicted label's
    /// logit from the vector (centred over the labels for softmax models) falls when every occurrence of
    /// the word is left out, shared among the occurrences. `full` is the text's vector; `without[k]` its
    /// vector without `distinct[k]` (compared lowercased).
    pub fn add_embedding_part(
        &self,
        words: &mut [WordContribution],
        full: &[f32],
        distinct: &[String],
        without: &[Vec<f32>],
        label: usize,
    ) {
        let Some(e) = &self.embedding else { return };
        let c = self.linear.classes;
        let logit = |v: &[f32]| {
            let mut z = vec![0.0f32; c];
            super::combined::add_embedding_logits(e, v, &mut z);
            let centre = if self.linear.multi_label { 0.0 } else { z.iter().sum::<f32>() / c as f32 };
            z[label] - centre
        };
        let whole = logit(full);
        for (word, vector) in distinct.iter().zip(without) {
            let drop = whole - logit(vector);
            let occurrences: Vec<&mut WordContribution> =
                words.iter_mut().filter(|w| w.word.to_lowercase() == *word).collect();
            let share = drop / occurrences.len().max(1) as f32;
            for w in occurrences {
                w.contribution += share;
            }
        }
    }

    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The model's probabilities for `text`, computed from the weights (the same numbers ONNX Runtime
    /// gives, up to rounding).
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        self.linear.probabilities(&self.featurizer.featurize(text))
    }

    /// Each word's contribution to `label`, in text order.
    pub fn contributions(&self, text: &str, label: usize) -> Vec<WordContribution> {
        let (words, vector, origins) = self.featurizer.featurize_traced(text);
        let c = self.linear.classes;
        // Per bucket: its value times the label's (centred) weight, and how many features hit it.
        let mut per_bucket: BTreeMap<u32, (f32, u32)> = BTreeMap::new();
        for (&j, &x) in vector.idx.iter().zip(&vector.val) {
            let row = &self.linear.weights[j as usize * c..(j as usize + 1) * c];
            let centre = if self.linear.multi_label { 0.0 } else { row.iter().sum::<f32>() / c as f32 };
            per_bucket.insert(j, ((row[label] - centre) * x, 0));
        }
        for o in &origins {
            if let Some(entry) = per_bucket.get_mut(&o.bucket) {
                entry.1 += 1;
            }
        }
        let mut totals = vec![0.0f32; words.len()];
        for o in &origins {
            let (value, hits) = per_bucket[&o.bucket];
            let share = value / hits.max(1) as f32;
            match o.second {
                Some(second) => {
                    totals[o.first] += share / 2.0;
                    totals[second] += share / 2.0;
                }
                None => totals[o.first] += share,
            }
        }
        words
            .into_iter()
            .zip(totals)
            .map(|(w, contribution)| WordContribution {
                start: w.start,
                end: w.end,
                word: text[w.start..w.end].to_string(),
                contribution,
            })
            .collect()
    }
}

/// The most likely label.
pub fn top_label(probabilities: &[f32]) -> usize {
    probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k)
}

/// `text` with every occurrence of the words `remove` (compared lowercased) blanked out.
pub fn without_words(text: &str, contributions: &[WordContribution], remove: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for w in contributions {
        if remove.iter().any(|r| r == &w.word.to_lowercase()) {
            out.push_str(&text[at..w.start]);
            out.push(' ');
            at = w.end;
        }
    }
    out.push_str(&text[at..]);
    out
}

/// Each word's contribution by occlusion, for models whose weights margin cannot read: the predicted
/// label's probability with the whole text minus its probability with that word (every occurrence)
/// left out. One batch through the model.
pub fn occlusion(engine: &mut Engine, text: &str, label: usize) -> Result<Vec<WordContribution>, ModelError> {
    let words = super::features::words(text);
    let mut texts = vec![text.to_string()];
    let plain: Vec<WordContribution> = words
        .iter()
        .map(|w| WordContribution {
            start: w.start,
            end: w.end,
            word: text[w.start..w.end].to_string(),
            contribution: 0.0,
        })
        .collect();
    let distinct = distinct_words(&plain);
    for word in &distinct {
        texts.push(without_words(text, &plain, std::slice::from_ref(word)));
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let scored = engine.score_texts(&refs)?;
    let full = scored[0][label];
    Ok(plain
        .into_iter()
        .map(|mut w| {
            let k = distinct.binary_search(&w.word.to_lowercase()).unwrap_or(0);
            w.contribution = full - scored[k + 1][label];
            w
        })
        .collect())
}

/// The distinct words of `words`, lowercased and sorted.
pub fn distinct_words(words: &[WordContribution]) -> Vec<String> {
    let mut distinct: Vec<String> = words.iter().map(|w| w.word.to_lowercase()).collect();
    distinct.sort();
    distinct.dedup();
    distinct
}

/// The fewest top-contributing words (up to [`MAX_COUNTERFACTUAL_WORDS`]) whose removal changes the
/// prediction, checked through the model. `contributions` are toward the predicted label `predicted`.
/// Content words first: function words ("the", "is") are tried only when removing the others changes
/// nothing (see [`crate::domain::function_words`]).
pub fn counterfactual(
    engine: &mut Engine,
    labels: &[String],
    text: &str,
    contributions: &[WordContribution],
    predicted: usize,
) -> Result<Option<Counterfactual>, ModelError> {
    use crate::domain::function_words::is_function_word;
    let content: Vec<WordContribution> = contributions.iter().filter(|w| !is_function_word(&w.word)).cloned().collect();
    if let Some(found) = counterfactual_among(engine, labels, text, contributions, &content, predicted)? {
        return Ok(Some(found));
    }
    if content.len() == contributions.len() {
        return Ok(None);
    }
    counterfactual_among(engine, labels, text, contributions, contributions, predicted)
}

/// [`counterfactual`] trying only the words of `tried` (a part of `contributions`).
fn counterfactual_among(
    engine: &mut Engine,
    labels: &[String],
    text: &str,
    contributions: &[WordContribution],
    tried: &[WordContribution],
    predicted: usize,
) -> Result<Option<Counterfactual>, ModelError> {
    // Distinct words that pushed toward the prediction, strongest first.
    let mut push: BTreeMap<String, f32> = BTreeMap::new();
    for w in tried.iter().filter(|w| w.contribution > 0.0) {
        *push.entry(w.word.to_lowercase()).or_default() += w.contribution;
    }
    let mut ranked: Vec<(String, f32)> = push.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(MAX_COUNTERFACTUAL_WORDS);
    if ranked.is_empty() {
        return Ok(None);
    }
    // One batch through the model: without the top 1, the top 2, ...
    let candidates: Vec<String> = (1..=ranked.len())
        .map(|n| {
            let remove: Vec<String> = ranked[..n].iter().map(|(w, _)| w.clone()).collect();
            without_words(text, contributions, &remove)
        })
        .collect();
    let texts: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let scored = engine.score_texts(&texts)?;
    for (n, p) in scored.iter().enumerate() {
        let label = top_label(p);
        if label != predicted {
            return Ok(Some(Counterfactual {
                removed: ranked[..=n].iter().map(|(w, _)| w.clone()).collect(),
                label: labels[label].clone(),
                probability: p[label],
            }));
        }
    }
    Ok(None)
}

/// Labelled items' feature vectors, for finding the nearest ones to an item.
#[derive(Debug, Default)]
pub struct SimilarIndex {
    entries: Vec<(i64, SparseVector, Vec<String>)>,
}

impl SimilarIndex {
    /// Indexes `(item id, text, labels)` with `featurizer`.
    pub fn build<'a>(featurizer: &Featurizer, items: impl IntoIterator<Item = (i64, &'a str, Vec<String>)>) -> Self {
        let entries = items
            .into_iter()
            .map(|(id, text, labels)| {
                let mut v = featurizer.featurize(text);
                v.sort();
                (id, v, labels)
            })
            .collect();
        SimilarIndex { entries }
    }

    /// Indexes `(item id, sentence vector, labels)`: neighbours by meaning.
    pub fn from_vectors<'a>(items: impl IntoIterator<Item = (i64, &'a [f32], Vec<String>)>) -> Self {
        SimilarIndex {
            entries: items.into_iter().map(|(id, v, labels)| (id, SparseVector::dense(v), labels)).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `k` most similar items to `query` (sorted), leaving out `exclude`.
    pub fn nearest(&self, query: &SparseVector, k: usize, exclude: Option<i64>) -> Vec<Similar> {
        let mut query = query.clone();
        query.sort();
        let mut scored: Vec<(f32, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, (id, _, _))| Some(*id) != exclude)
            .map(|(i, (_, v, _))| (query.dot(v), i))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .map(|(similarity, i)| {
                let (item_id, _, labels) = &self.entries[i];
                Similar { item_id: *item_id, similarity, labels: labels.clone() }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
