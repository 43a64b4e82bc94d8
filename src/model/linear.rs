//! The default model: a linear classifier over the featurizer's sparse vectors. Softmax over the labels
//! for single-label projects, one sigmoid per label for multi-label ones.

use super::features::SparseVector;

/// Weights laid out bucket by bucket (`weights[bucket * classes + class]`), the layout of the exported
/// ONNX initializer `W[buckets, classes]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub classes: usize,
    pub multi_label: bool,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LinearModel {
    pub fn zeros(buckets: usize, classes: usize, multi_label: bool) -> Self {
        LinearModel { classes, multi_label, weights: vec![0.0; buckets * classes], bias: vec![0.0; classes] }
    }

    pub fn buckets(&self) -> usize {
        self.weights.len() / self.classes.max(1)
    }

    /// The raw scores (logits) of `x` into `out` (length `classes`).
    pub fn logits_into(&self, x: &SparseVector, out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        let c = self.classes;
        for (&j, &v) in x.idx.iter().zip(&x.val) {
            let row = &self.weights[j as usize * c..j as usize * c + c];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * v;
            }
        }
    }

    pub fn logits(&self, x: &SparseVector) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        self.logits_into(x, &mut out);
        out
    }

    /// Probabilities from logits: softmax, or sigmoids for multi-label.
    pub fn activate(&self, logits: &mut [f32]) {
        if self.multi_label {
            for z in logits.iter_mut() {
                *z = sigmoid(*z);
            }
        } else {
            softmax_in_place(logits);
        }
    }

    pub fn probabilities(&self, x: &SparseVector) -> Vec<f32> {
        let mut p = self.logits(x);
        self.activate(&mut p);
        p
    }

    /// Divides every weight and bias by `temperature`: the calibrated model, as one linear model.
    pub fn scale(&mut self, temperature: f32) {
        for w in self.weights.iter_mut().chain(self.bias.iter_mut()) {
            *w /= temperature;
        }
    }
}

pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

pub fn softmax_in_place(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}
