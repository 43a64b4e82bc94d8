//! The combined model's dense features: a sentence encoder's vector of the text, and its zero-shot
//! scores (the vector's cosine with each label's description), appended to the hashed n-grams as extra
//! feature indices past the last bucket. One linear model learns on all of them, with the training,
//! cross-validation, calibration and committees the n-gram model has.
//!
//! The zero-shot scores are a linear function of the vector, so at export they fold into the embedding's
//! weights: the ONNX head takes `idx`/`val` (the n-grams) and `embedding float[N,D]`, and computes
//! `Gather-MatMul(idx, val) + embedding · E + b`. A single-label model starts from the zero-shot model
//! (a [`super::train::Prior`] on the zero-shot features, at a strength fitted on the labelled items) and
//! learns corrections to it: with few labels it guesses as the descriptions do, and labels move it from
//! there. Where the descriptions say nothing (ham/spam) the trainer leaves them out (`app::train`).

use serde::{Deserialize, Serialize};

use super::features::SparseVector;
use super::linear::LinearModel;
use crate::domain::embedding::dot;

/// The encoder a combined model was trained with: the vectors it takes must come from this encoder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncoderRef {
    /// The encoder's name and checksum (see `Encoder::identity`).
    pub identity: String,
    pub dimensions: usize,
}

/// How much the vector's entries weigh against the n-grams (each part has length 1 before weighting).
/// Chosen on the demo's labelled fortunes (5-fold accuracy 0.70-0.72 for weights 0.5 to 1.5 with zero-shot
/// weights 2 to 4; 0.62-0.66 with either at 4 and 10): BENCHMARKS.md, "The combined model".
pub const EMBEDDING_WEIGHT: f32 = 1.0;

/// How much each zero-shot score (a cosine, mostly 0 to 0.6) weighs.
pub const ZERO_SHOT_WEIGHT: f32 = 3.0;

/// How many labelled items the zero-shot start weighs as much as: a model trained on `n` labels starts
/// from the zero-shot model scaled by `PRIOR_LABELS / (PRIOR_LABELS + n)`. On BBC News (5 seeds,
/// `margin simulate`), 5, 10 and 20 needed 44 to 46 labels to the target; a start that never fades 56, and
/// no start 40 but 0.71 accurate at 10 labels against 0.85: BENCHMARKS.md, "Active learning with the
/// sentence encoder".
pub const PRIOR_LABELS: f32 = 10.0;

/// The dense part of a combined model's features.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseFeatures {
    pub encoder: EncoderRef,
    /// Each label's description embedded by the encoder (length 1), in the project's label order.
    pub prompts: Vec<Vec<f32>>,
    pub embedding_weight: f32,
    pub zero_shot_weight: f32,
    /// How far a single-label model's starting point trusts the descriptions (a multiple of the zero-shot
    /// model's `1 / T`), fitted on the labelled items.
    pub prior_strength: f32,
}

impl DenseFeatures {
    pub fn new(encoder: EncoderRef, prompts: Vec<Vec<f32>>) -> DenseFeatures {
        DenseFeatures {
            encoder,
            prompts,
            embedding_weight: EMBEDDING_WEIGHT,
            zero_shot_weight: ZERO_SHOT_WEIGHT,
            prior_strength: 1.0,
        }
    }

    /// How many feature indices the dense part takes past the buckets.
    pub fn width(&self) -> usize {
        self.encoder.dimensions + self.prompts.len()
    }

    /// Appends the dense features of `vector` to `row`, past `buckets`. A missing vector (an item the
    /// encoder has not reached yet) adds nothing: the model then scores on its n-grams alone.
    pub fn append(&self, buckets: usize, vector: Option<&[f32]>, row: &mut SparseVector) {
        let Some(vector) = vector else { return };
        let base = buckets as u32;
        let dims = self.encoder.dimensions as u32;
        for (d, &x) in vector.iter().enumerate() {
            row.idx.push(base + d as u32);
            row.val.push(self.embedding_weight * x);
        }
        for (k, prompt) in self.prompts.iter().enumerate() {
            row.idx.push(base + dims + k as u32);
            row.val.push(self.zero_shot_weight * dot(vector, prompt));
        }
    }

    /// The zero-shot model as the prior a single-label model trained on `labelled` items starts from (see
    /// [`super::train::Prior`]): weight `f·s / (z·T)` from each label's zero-shot feature to that label, so
    /// that before any correction the logits are `f` times the zero-shot model's (`s·cos / T`, `s` the
    /// fitted `prior_strength`). `f = PRIOR_LABELS / (PRIOR_LABELS + labelled)`: the start fades as labels
    /// arrive. `None` without label descriptions or with strength 0.
    pub fn zero_shot_prior(&self, buckets: usize, labelled: usize) -> Option<super::train::Prior> {
        let classes = self.prompts.len();
        if classes == 0 || self.zero_shot_weight == 0.0 || self.prior_strength == 0.0 {
            return None;
        }
        let fade = PRIOR_LABELS / (PRIOR_LABELS + labelled as f32);
        let mut weights = vec![0.0f32; classes * classes];
        for k in 0..classes {
            weights[k * classes + k] =
                fade * self.prior_strength / (self.zero_shot_weight * crate::domain::zero_shot::TEMPERATURE);
        }
        Some(super::train::Prior { first_feature: buckets + self.encoder.dimensions, weights })
    }

    /// Splits a model trained on `buckets` n-gram buckets plus this dense part into the n-gram model and
    /// the embedding's weights `E[D, C]` (row-major), the zero-shot weights folded in:
    /// `E[d, c] = a·W[b+d, c] + z·Σ_k prompt_k[d]·W[b+D+k, c]`.
    pub fn split(&self, model: &LinearModel, buckets: usize) -> (LinearModel, Vec<f32>) {
        let c = model.classes;
        let dims = self.encoder.dimensions;
        let row = |j: usize| &model.weights[j * c..(j + 1) * c];
        let mut embedding = vec![0.0f32; dims * c];
        for d in 0..dims {
            let out = &mut embedding[d * c..(d + 1) * c];
            for (o, w) in out.iter_mut().zip(row(buckets + d)) {
                *o = self.embedding_weight * w;
            }
            for (k, prompt) in self.prompts.iter().enumerate() {
                let scale = self.zero_shot_weight * prompt[d];
                for (o, w) in out.iter_mut().zip(row(buckets + dims + k)) {
                    *o += scale * w;
                }
            }
        }
        let ngrams = LinearModel {
            classes: c,
            multi_label: model.multi_label,
            weights: model.weights[..buckets * c].to_vec(),
            bias: model.bias.clone(),
        };
        (ngrams, embedding)
    }
}

/// A trained head: the n-gram model, and for a combined model the embedding's weights `E[D, C]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub ngrams: LinearModel,
    pub embedding: Option<Vec<f32>>,
}

impl Head {
    /// The logits of an item from its n-gram features and (for a combined model) its vector.
    pub fn logits(&self, x: &SparseVector, vector: Option<&[f32]>) -> Vec<f32> {
        let mut out = self.ngrams.logits(x);
        if let (Some(e), Some(v)) = (&self.embedding, vector) {
            add_embedding_logits(e, v, &mut out);
        }
        out
    }

    pub fn probabilities(&self, x: &SparseVector, vector: Option<&[f32]>) -> Vec<f32> {
        let mut p = self.logits(x, vector);
        self.ngrams.activate(&mut p);
        p
    }
}

/// What a zero-shot model's card says it was trained on.
pub use crate::domain::zero_shot::SOURCE as ZERO_SHOT_SOURCE;

/// The featurizer bits of a zero-shot head: its n-gram weights are all zero, so the fewest buckets the
/// featurizer allows (256) will do.
pub const ZERO_SHOT_BITS: u32 = 8;

/// The zero-shot model as a head: no n-gram weights and `E[d, c] = prompt_c[d] / T`, so its probabilities are
/// [`crate::domain::zero_shot::zero_shot`]'s, a softmax of the cosines at temperature `T`.
pub fn zero_shot_head(prompts: &[Vec<f32>], dimensions: usize) -> Head {
    let classes = prompts.len();
    let mut embedding = vec![0.0f32; dimensions * classes];
    for (c, prompt) in prompts.iter().enumerate() {
        for (d, &x) in prompt.iter().enumerate().take(dimensions) {
            embedding[d * classes + c] = x / crate::domain::zero_shot::TEMPERATURE;
        }
    }
    Head { ngrams: LinearModel::zeros(1 << ZERO_SHOT_BITS, classes, false), embedding: Some(embedding) }
}

/// Adds `vector · E` to `out` (`E[D, C]` row-major, `C = out.len()`).
pub fn add_embedding_logits(embedding_weights: &[f32], vector: &[f32], out: &mut [f32]) {
    let c = out.len();
    for (d, &x) in vector.iter().enumerate() {
        for (o, w) in out.iter_mut().zip(&embedding_weights[d * c..(d + 1) * c]) {
            *o += x * w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_head_gives_the_logits_of_the_model_it_came_from() {
        let dense = DenseFeatures::new(
            EncoderRef { identity: "e@sha256:0".into(), dimensions: 3 },
            vec![vec![1.0, 0.0, 0.0], vec![0.0, 0.6, 0.8]],
        );
        let buckets = 4;
        let classes = 2;
        let width = buckets + dense.width();
        let weights: Vec<f32> = (0..width * classes).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
        let model = LinearModel { classes, multi_label: false, weights, bias: vec![0.1, -0.2] };
        let vector = [0.48, 0.6, 0.64];
        let mut row = SparseVector { idx: vec![1, 3], val: vec![0.6, 0.8] };
        let ngrams_only = row.clone();
        dense.append(buckets, Some(&vector), &mut row);
        let whole = model.logits(&row);
        let (ngrams, embedding) = dense.split(&model, buckets);
        let head = Head { ngrams, embedding: Some(embedding) };
        let split = head.logits(&ngrams_only, Some(&vector));
        for (a, b) in whole.iter().zip(&split) {
            assert!((a - b).abs() < 1e-5, "{whole:?} against {split:?}");
        }
        // Without a vector the head scores on the n-grams alone.
        assert_eq!(head.logits(&ngrams_only, None), model.logits(&ngrams_only));
    }

    #[test]
    fn the_zero_shot_start_is_the_zero_shot_model_and_fades_as_labels_arrive() {
        let prompts = vec![vec![1.0, 0.0, 0.0], vec![0.0, 0.6, 0.8], vec![0.0, 1.0, 0.0]];
        let dense = DenseFeatures::new(EncoderRef { identity: "e@sha256:0".into(), dimensions: 3 }, prompts.clone());
        let (buckets, vector) = (4, [0.48, 0.6, 0.64]);
        let mut row = SparseVector { idx: vec![1], val: vec![1.0] };
        dense.append(buckets, Some(&vector), &mut row);
        // The logits the start alone gives `row`, trained on `labelled` items.
        let start_logits = |labelled: usize| -> Vec<f32> {
            let prior = dense.zero_shot_prior(buckets, labelled).expect("a start");
            let mut out = vec![0.0f32; 3];
            for (&j, &v) in row.idx.iter().zip(&row.val) {
                let Some(r) = (j as usize).checked_sub(prior.first_feature) else { continue };
                for (c, o) in out.iter_mut().enumerate() {
                    *o += v * prior.weights.get(r * 3 + c).copied().unwrap_or(0.0);
                }
            }
            out
        };
        let softmax = |z: &[f32]| {
            let e: Vec<f32> = z.iter().map(|x| x.exp()).collect();
            let sum: f32 = e.iter().sum();
            e.iter().map(|x| x / sum).collect::<Vec<f32>>()
        };
        let want = crate::domain::zero_shot::zero_shot(&vector, &prompts);
        for (a, b) in softmax(&start_logits(0)).iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "with no labels the start is the zero-shot model: {a} against {b}");
        }
        let (none, some, many) = (start_logits(0), start_logits(PRIOR_LABELS as usize), start_logits(1_000));
        for k in 0..3 {
            assert!((some[k] - none[k] / 2.0).abs() < 1e-4, "half as strong after PRIOR_LABELS labels");
            assert!(many[k].abs() <= none[k].abs() / 50.0, "all but gone after 1,000 labels");
        }
    }

    #[test]
    fn the_zero_shot_head_gives_the_zero_shot_probabilities() {
        let prompts = vec![vec![1.0, 0.0, 0.0], vec![0.0, 0.6, 0.8], vec![0.0, 1.0, 0.0]];
        let head = zero_shot_head(&prompts, 3);
        let vector = [0.48, 0.6, 0.64];
        let got = head.probabilities(&SparseVector { idx: vec![1], val: vec![1.0] }, Some(&vector));
        let want = crate::domain::zero_shot::zero_shot(&vector, &prompts);
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "{got:?} against {want:?}");
        }
    }
}
