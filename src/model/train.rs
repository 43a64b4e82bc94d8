//! Training the linear model: stochastic gradient descent on the L2-regularised log loss (softmax
//! cross-entropy, or one logistic loss per label for multi-label projects), with balanced class weights.
//!
//! The schedule is Bottou's "optimal" learning rate, the one scikit-learn's SGDClassifier uses, with the
//! weight-scaling trick so the L2 shrinkage of every weight costs one multiplication per step. The order
//! of examples comes from a seeded shuffle: the same data and seed give the same model, bit for bit.

use super::features::SparseVector;
use super::linear::{LinearModel, sigmoid, softmax_in_place};
use crate::domain::rng::Rng;

/// What each example should be labelled.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class index per example.
    Single(Vec<usize>),
    /// For each example, whether each class applies.
    Multi(Vec<Vec<bool>>),
}

impl Targets {
    pub fn len(&self) -> usize {
        match self {
            Targets::Single(t) => t.len(),
            Targets::Multi(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_multi_label(&self) -> bool {
        matches!(self, Targets::Multi(_))
    }

    /// The targets twice over, for examples given twice (the second time as `len()..2 * len()`).
    pub fn repeated(&self) -> Targets {
        match self {
            Targets::Single(t) => Targets::Single(t.iter().chain(t).copied().collect()),
            Targets::Multi(t) => Targets::Multi(t.iter().chain(t).cloned().collect()),
        }
    }
}

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    /// Inverse regularisation strength, as scikit-learn's `C`: the L2 penalty per example is
    /// `1 / (C * n)`.
    pub c: f64,
    pub epochs: u32,
    pub seed: u64,
    /// Weigh the classes so rare ones count as much, in total, as common ones (the text classifier);
    /// off, every example counts once and the probabilities keep the classes' shares (the span model,
    /// whose decoding weighs them).
    pub balanced: bool,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings { c: 10.0, epochs: 10, seed: 7, balanced: true }
    }
}

/// The intercept learns more slowly than the weights, as in scikit-learn for sparse data, so that it does
/// not swing with every example.
const INTERCEPT_DECAY: f32 = 0.01;

/// At least this many steps in all: with a few dozen examples, ten passes are a few hundred steps, too few
/// for the descent to settle, and the first models (the ones a cold start leans on) come out worse than
/// their data allows. Extra passes over a small set cost next to nothing.
const MIN_STEPS: usize = 2_000;

/// Passes over `n` examples: as configured, or more when that would make fewer than `MIN_STEPS` steps.
fn epochs_for(configured: u32, n: usize) -> u32 {
    let needed = MIN_STEPS.div_ceil(n.max(1));
    configured.max(u32::try_from(needed).unwrap_or(u32::MAX))
}

/// Fixed weights the model starts from and learns corrections to (the regularisation pulls toward them,
/// not toward zero): `weights[r * classes + c]` for feature `first_feature + r`. The combined model's
/// zero-shot features carry the zero-shot model this way, so that with few labels it guesses as the label
/// descriptions do, and labels move it from there.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub first_feature: usize,
    pub weights: Vec<f32>,
}

impl Prior {
    /// Adds the prior's part of the logits of `x` to `out`.
    #[inline]
    fn add_logits(&self, x: &SparseVector, out: &mut [f32]) {
        let classes = out.len();
        let rows = self.weights.len() / classes.max(1);
        for (&j, &v) in x.idx.iter().zip(&x.val) {
            let r = (j as usize).wrapping_sub(self.first_feature);
            if r < rows {
                for (o, w) in out.iter_mut().zip(&self.weights[r * classes..(r + 1) * classes]) {
                    *o += v * w;
                }
            }
        }
    }
}

/// Trains on the examples `subset` (indices into `rows` and `targets`; repeats allowed, as in a bootstrap
/// sample) for `classes` classes over `buckets` feature buckets.
pub fn train(
    rows: &[SparseVector],
    targets: &Targets,
    subset: &[usize],
    classes: usize,
    buckets: usize,
    settings: &TrainSettings,
) -> LinearModel {
    train_from(rows, targets, subset, (classes, buckets), settings, None)
}

/// As [`train`], starting from `prior` (see [`Prior`]); the model returned includes it.
pub fn train_from(
    rows: &[SparseVector],
    targets: &Targets,
    subset: &[usize],
    (classes, buckets): (usize, usize),
    settings: &TrainSettings,
    prior: Option<&Prior>,
) -> LinearModel {
    let multi = targets.is_multi_label();
    let mut model = LinearModel::zeros(buckets, classes, multi);
    if subset.is_empty() || classes == 0 {
        return model;
    }
    let schedule = Schedule::new(settings.c, subset.len());
    let weights = if settings.balanced {
        ClassWeights::balanced(targets, subset, classes)
    } else {
        ClassWeights { single: vec![1.0; classes], multi: vec![[1.0, 1.0]; classes] }
    };

    let mut scale = 1.0f64;
    let mut order: Vec<usize> = subset.to_vec();
    let mut rng = Rng::new(settings.seed);
    let mut grad = vec![0.0f32; classes];
    let mut t = 0.0f64;
    for _ in 0..epochs_for(settings.epochs, subset.len()) {
        rng.shuffle(&mut order);
        for (position, &i) in order.iter().enumerate() {
            // The weights are too big for the cache and each example touches hundreds of random rows:
            // ask for the next example's rows now, so they arrive while this one is worked on.
            if let Some(&next) = order.get(position + 1) {
                prefetch_rows(&model, &rows[next]);
            }
            let eta = schedule.eta(t);
            t += 1.0;
            let x = &rows[i];
            logits_into(&mut grad, &model, x, scale);
            if let Some(prior) = prior {
                prior.add_logits(x, &mut grad);
            }
            loss_gradient(&mut grad, targets, i, &weights);
            descend(&mut model, x, &grad, eta, schedule.alpha, &mut scale);
        }
    }
    fold_scale(&mut model, &mut scale);
    if let Some(prior) = prior {
        let start = prior.first_feature * classes;
        for (w, p) in model.weights[start..start + prior.weights.len()].iter_mut().zip(&prior.weights) {
            *w += p;
        }
    }
    model
}

/// Bottou's learning-rate schedule, `eta_t = 1 / (alpha * (t0 + t))`, for the L2 penalty `alpha` of `C`
/// over `n` examples.
struct Schedule {
    /// The L2 penalty per example, `1 / (C * n)`.
    alpha: f64,
    t0: f64,
}

impl Schedule {
    fn new(c: f64, n: usize) -> Schedule {
        let alpha = 1.0 / (c * n as f64);
        // As in Bottou's SGD, t0 is set from a typical weight size.
        let typical = (1.0 / alpha.sqrt()).sqrt();
        let t0 = 1.0 / (typical * alpha);
        Schedule { alpha, t0 }
    }

    /// The learning rate of step `t` (counting from 0).
    #[inline]
    fn eta(&self, t: f64) -> f64 {
        1.0 / (self.alpha * (self.t0 + t))
    }
}

/// Asks for the weight rows example `x` will touch (see [`prefetch`]).
#[inline]
fn prefetch_rows(model: &LinearModel, x: &SparseVector) {
    for &j in &x.idx {
        prefetch(&model.weights[j as usize * model.classes]);
    }
}

/// Writes the model's logits for `x` into `out`, the stored weights multiplied by `scale`.
#[inline]
fn logits_into(out: &mut [f32], model: &LinearModel, x: &SparseVector, scale: f64) {
    let classes = model.classes;
    out.copy_from_slice(&model.bias);
    let s = scale as f32;
    for (&j, &v) in x.idx.iter().zip(&x.val) {
        let row = &model.weights[j as usize * classes..(j as usize + 1) * classes];
        for (g, w) in out.iter_mut().zip(row) {
            *g += s * w * v;
        }
    }
}

/// Turns the logits in `grad` into the gradient of example `i`'s loss with respect to them, times the
/// example's class weight: softmax minus the one-hot target, or per label sigmoid minus the target.
#[inline]
fn loss_gradient(grad: &mut [f32], targets: &Targets, i: usize, weights: &ClassWeights) {
    match targets {
        Targets::Single(t) => {
            softmax_in_place(grad);
            grad[t[i]] -= 1.0;
            let w = weights.single[t[i]];
            for g in grad.iter_mut() {
                *g *= w;
            }
        }
        Targets::Multi(t) => {
            for (k, g) in grad.iter_mut().enumerate() {
                let y = t[i][k];
                *g = (sigmoid(*g) - if y { 1.0 } else { 0.0 }) * weights.multi[k][usize::from(y)];
            }
        }
    }
}

/// One step of descent for example `x`: shrinks every weight by the L2 penalty (through `scale`), then
/// moves the weights `x` touches and the intercept against `grad` at learning rate `eta`.
#[inline]
fn descend(model: &mut LinearModel, x: &SparseVector, grad: &[f32], eta: f64, alpha: f64, scale: &mut f64) {
    let classes = model.classes;
    *scale *= 1.0 - eta * alpha;
    let step = (eta / *scale) as f32;
    for (&j, &v) in x.idx.iter().zip(&x.val) {
        let row = &mut model.weights[j as usize * classes..(j as usize + 1) * classes];
        for (w, g) in row.iter_mut().zip(grad) {
            *w -= step * g * v;
        }
    }
    for (b, g) in model.bias.iter_mut().zip(grad) {
        *b -= eta as f32 * INTERCEPT_DECAY * g;
    }
    // Before the scale underflows, it is folded into the weights.
    if *scale < 1e-9 {
        fold_scale(model, scale);
    }
}

/// A hint to load the cache line holding `value`; nothing else happens, and nothing at all on other
/// architectures.
#[inline(always)]
fn prefetch(value: &f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and does not change memory; SSE is part of every x86_64 target.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const f32).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

fn fold_scale(model: &mut LinearModel, scale: &mut f64) {
    let s = *scale as f32;
    for w in &mut model.weights {
        *w *= s;
    }
    *scale = 1.0;
}

/// Class weights: balanced (rare classes count as much, in total, as common ones) or all one.
struct ClassWeights {
    single: Vec<f32>,
    /// Per class: [weight of a negative, weight of a positive].
    multi: Vec<[f32; 2]>,
}

impl ClassWeights {
    fn balanced(targets: &Targets, subset: &[usize], classes: usize) -> Self {
        let n = subset.len() as f32;
        match targets {
            Targets::Single(t) => {
                let mut counts = vec![0usize; classes];
                for &i in subset {
                    counts[t[i]] += 1;
                }
                let present = counts.iter().filter(|&&c| c > 0).count().max(1) as f32;
                let single = counts.iter().map(|&c| if c == 0 { 0.0 } else { n / (present * c as f32) }).collect();
                ClassWeights { single, multi: Vec::new() }
            }
            Targets::Multi(t) => {
                let multi = (0..classes)
                    .map(|k| {
                        let pos = subset.iter().filter(|&&i| t[i][k]).count() as f32;
                        let neg = n - pos;
                        let weight = |count: f32| if count == 0.0 { 0.0 } else { n / (2.0 * count) };
                        [weight(neg), weight(pos)]
                    })
                    .collect();
                ClassWeights { single: Vec::new(), multi }
            }
        }
    }
}

/// One training to run: which examples (repeats allowed), and with what settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub subset: Vec<usize>,
    pub settings: TrainSettings,
}

/// Runs independent trainings on all cores, each job taken by the next free thread; results in job order.
pub fn train_many(
    rows: &[SparseVector],
    targets: &Targets,
    jobs: &[Job],
    (classes, buckets): (usize, usize),
    prior: Option<&Prior>,
) -> Vec<LinearModel> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, LinearModel)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(j) else { break };
                        let model = train_from(rows, targets, &job.subset, (classes, buckets), &job.settings, prior);
                        mine.push((j, model));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a training thread panicked")).collect()
    });
    done.sort_by_key(|(j, _)| *j);
    done.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests;
