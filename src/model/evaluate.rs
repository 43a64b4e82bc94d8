//! Judging a model honestly: stratified k-fold cross-validation, accuracy and macro-F1 on the held-out
//! folds, temperature scaling fitted on the held-out predictions, and the expected calibration error.

use serde::{Deserialize, Serialize};

use super::features::SparseVector;
use super::linear::LinearModel;
use super::linear::{sigmoid, softmax_in_place};
use super::train::Targets;
use crate::domain::rng::Rng;

/// Number of confidence bins for the expected calibration error.
const ECE_BINS: usize = 15;

/// Cross-validated figures, stored with every model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Folds used; 0 when there were too few labelled examples to cross-validate.
    pub folds: usize,
    pub examples: usize,
    /// Held-out accuracy (multi-label: every label right).
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Expected calibration error of the calibrated held-out probabilities.
    pub ece: f64,
    /// ECE before calibration, for comparison.
    pub ece_uncalibrated: f64,
    /// The temperature the logits are divided by.
    pub temperature: f64,
}

/// How many folds the data allows: up to `wanted`, but every fold must be able to hold each class.
pub fn fold_count(targets: &Targets, classes: usize, wanted: usize) -> usize {
    let smallest = match targets {
        Targets::Single(t) => {
            (0..classes).map(|k| t.iter().filter(|&&y| y == k).count()).filter(|&n| n > 0).min().unwrap_or(0)
        }
        Targets::Multi(t) => t.len(),
    };
    let distinct = match targets {
        Targets::Single(t) => (0..classes).filter(|k| t.contains(k)).count(),
        Targets::Multi(_) => 2,
    };
    if distinct < 2 { 0 } else { wanted.min(smallest).min(targets.len()) }
}

/// Assigns each example a fold in `0..k`, spreading every class evenly (multi-label: by first label).
pub fn stratified_folds(targets: &Targets, classes: usize, k: usize, seed: u64) -> Vec<usize> {
    let n = targets.len();
    let key = |i: usize| match targets {
        Targets::Single(t) => t[i],
        Targets::Multi(t) => t[i].iter().position(|&y| y).unwrap_or(classes),
    };
    let mut rng = Rng::new(seed);
    let mut fold = vec![0; n];
    let mut next = 0;
    for class in 0..=classes {
        let mut members: Vec<usize> = (0..n).filter(|&i| key(i) == class).collect();
        rng.shuffle(&mut members);
        for i in members {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// The training subsets of k-fold cross-validation: fold `f` trains on every example not in fold `f`.
pub fn fold_subsets(folds: &[usize], k: usize) -> Vec<Vec<usize>> {
    (0..k).map(|f| (0..folds.len()).filter(|&i| folds[i] != f).collect()).collect()
}

/// Out-of-fold logits: each example scored by `fold_models[f]`, the model trained without its fold `f`.
pub fn out_of_fold_logits(rows: &[SparseVector], folds: &[usize], fold_models: &[LinearModel]) -> Vec<Vec<f32>> {
    rows.iter().zip(folds).map(|(row, &f)| fold_models[f].logits(row)).collect()
}

/// Probabilities from logits at a temperature.
pub fn probabilities(logits: &[f32], temperature: f32, multi_label: bool) -> Vec<f32> {
    let mut p: Vec<f32> = logits.iter().map(|z| z / temperature).collect();
    if multi_label {
        for v in &mut p {
            *v = sigmoid(*v);
        }
    } else {
        softmax_in_place(&mut p);
    }
    p
}

/// The temperature that minimises the held-out log loss (golden-section search on its logarithm).
pub fn fit_temperature(logits: &[Vec<f32>], targets: &Targets) -> f32 {
    let multi = targets.is_multi_label();
    let nll = |log_t: f64| -> f64 {
        let t = log_t.exp() as f32;
        let mut total = 0.0f64;
        for (i, z) in logits.iter().enumerate() {
            let p = probabilities(z, t, multi);
            total -= match targets {
                Targets::Single(y) => f64::from(p[y[i]].max(1e-12)).ln(),
                Targets::Multi(y) => {
                    y[i].iter().zip(&p).map(|(&yes, &q)| f64::from(if yes { q } else { 1.0 - q }.max(1e-12)).ln()).sum()
                }
            };
        }
        total
    };
    let (mut lo, mut hi) = ((0.05f64).ln(), (20.0f64).ln());
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut a = hi - ratio * (hi - lo);
    let mut b = lo + ratio * (hi - lo);
    let (mut fa, mut fb) = (nll(a), nll(b));
    for _ in 0..40 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - ratio * (hi - lo);
            fa = nll(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + ratio * (hi - lo);
            fb = nll(b);
        }
    }
    ((lo + hi) / 2.0).exp() as f32
}

/// Accuracy, macro-F1 and ECE of `probs` (one row per example) against `targets`.
pub fn score(probs: &[Vec<f32>], targets: &Targets, classes: usize) -> (f64, f64, f64) {
    let n = probs.len().max(1) as f64;
    let mut tp = vec![0usize; classes];
    let mut fp = vec![0usize; classes];
    let mut fn_ = vec![0usize; classes];
    let mut right = 0usize;
    // (confidence, correct) pairs for the calibration error.
    let mut calls: Vec<(f32, bool)> = Vec::with_capacity(probs.len());
    for (i, p) in probs.iter().enumerate() {
        match targets {
            Targets::Single(t) => {
                let (guess, &confidence) =
                    p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("at least one class");
                let truth = t[i];
                if guess == truth {
                    right += 1;
                    tp[truth] += 1;
                } else {
                    fp[guess] += 1;
                    fn_[truth] += 1;
                }
                calls.push((confidence, guess == truth));
            }
            Targets::Multi(t) => {
                let mut all = true;
                for k in 0..classes {
                    let (said, truth) = (p[k] >= 0.5, t[i][k]);
                    match (said, truth) {
                        (true, true) => tp[k] += 1,
                        (true, false) => fp[k] += 1,
                        (false, true) => fn_[k] += 1,
                        (false, false) => {}
                    }
                    all &= said == truth;
                    calls.push((p[k].max(1.0 - p[k]), said == truth));
                }
                if all {
                    right += 1;
                }
            }
        }
    }
    let f1s: Vec<f64> = (0..classes)
        .filter(|&k| tp[k] + fn_[k] > 0)
        .map(|k| {
            let denominator = 2 * tp[k] + fp[k] + fn_[k];
            if denominator == 0 { 0.0 } else { 2.0 * tp[k] as f64 / denominator as f64 }
        })
        .collect();
    let macro_f1 = if f1s.is_empty() { 0.0 } else { f1s.iter().sum::<f64>() / f1s.len() as f64 };
    (right as f64 / n, macro_f1, expected_calibration_error(&calls))
}

/// ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins, weighted by
/// how many calls fall in each.
pub fn expected_calibration_error(calls: &[(f32, bool)]) -> f64 {
    if calls.is_empty() {
        return 0.0;
    }
    let mut bins = vec![(0usize, 0.0f64, 0usize); ECE_BINS];
    for &(confidence, correct) in calls {
        let b = ((confidence as f64 * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[b].0 += 1;
        bins[b].1 += f64::from(confidence);
        bins[b].2 += usize::from(correct);
    }
    let total = calls.len() as f64;
    bins.iter()
        .filter(|(count, _, _)| *count > 0)
        .map(|&(count, confidence, correct)| {
            let count_f = count as f64;
            (count_f / total) * (correct as f64 / count_f - confidence / count_f).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests;
