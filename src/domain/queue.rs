//! Choosing what people see next: the query strategies over the scored pool.
//!
//! Uncertainty strategies rank candidates by one measure and take the top of the pool with a selection
//! (not a sort of the whole pool). Diversity picks, among a sample of candidates, the ones that best
//! represent the sample and are least like what is already labelled or picked (greedy facility location
//! on cosine similarity: typical items of uncovered regions, not outliers). Random picks uniformly. The default hybrid mixes the three: mostly uncertainty, a share diverse, and a small random
//! share so the model is also checked where it feels sure. In a cold start (no model yet, or a label with
//! too few examples) only diversity and random picks are made. Every pick says why it was made.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use serde::Serialize;

use super::Strategy;
use super::rng::Rng;
use super::vector::SparseVector;

/// The current model's view of a pending item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Probability of the most likely label.
    pub confidence: f32,
    pub least_confident: f32,
    pub margin: f32,
    pub entropy: f32,
    pub vote_entropy: Option<f32>,
    pub kl_divergence: Option<f32>,
}

/// A pending item the queue may serve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub item_id: i64,
    /// `None` when the current model has not scored it (or there is no model).
    pub scores: Option<Scores>,
}

/// Why an item was picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Why {
    LeastConfident,
    Margin,
    Entropy,
    Committee,
    Diversity,
    Random,
    /// A gold item (its label known) mixed into the batch to check the person: shown to them as a random
    /// pick, so that gold checks stay unannounced (see [`Why::shown`]).
    Gold,
}

impl Why {
    /// The reason as the person labelling sees it: a gold check looks like any random pick.
    pub fn shown(self) -> Why {
        if self == Why::Gold { Why::Random } else { self }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Why::LeastConfident => "least-confident",
            Why::Margin => "margin",
            Why::Entropy => "entropy",
            Why::Committee => "committee",
            Why::Diversity => "diversity",
            Why::Random => "random",
            Why::Gold => "gold",
        }
    }

    pub fn parse(s: &str) -> Option<Why> {
        [Why::LeastConfident, Why::Margin, Why::Entropy, Why::Committee, Why::Diversity, Why::Random, Why::Gold]
            .into_iter()
            .find(|w| w.as_str() == s)
    }

    /// The ranking score as people read it: the gap between the top two labels (margin; multi-label:
    /// between yes and no for the least sure label), the top label's probability (least-confident;
    /// multi-label: the less likely side of the least sure label), the entropy or vote entropy; none for
    /// diversity (a coverage gain) and random picks. The queue ranks so that higher is always first.
    pub fn shown_score(self, score: f32, multi_label: bool) -> Option<f32> {
        match self {
            Why::Margin => Some(1.0 - score),
            Why::LeastConfident if multi_label => Some(score),
            Why::LeastConfident => Some(1.0 - score),
            Why::Entropy | Why::Committee => Some(score),
            Why::Diversity | Why::Random | Why::Gold => None,
        }
    }

    /// Why an item with this pick's `score` was chosen, in words, for the person looking at it.
    pub fn describe(self, score: f32, multi_label: bool) -> String {
        let shown = self.shown_score(score, multi_label).unwrap_or(0.0);
        let gap = if shown < 0.01 { "less than 0.01".to_string() } else { format!("only {shown:.2}") };
        match self {
            Why::Margin if multi_label => format!("for one label, yes and no are {gap} apart (margin)"),
            Why::Margin => format!("its top two labels are {gap} apart (margin)"),
            Why::LeastConfident if multi_label => {
                format!("one label is nearly a toss-up: {:.0}% against (least-confident)", shown * 100.0)
            }
            Why::LeastConfident => {
                format!("the model is least sure: top label {:.0}% (least-confident)", shown * 100.0)
            }
            Why::Entropy => format!("the model's guess is spread out: entropy {shown:.2}"),
            Why::Committee => format!("the committee's models disagree: vote entropy {shown:.2}"),
            Why::Diversity => "it is unlike what is labelled so far (diversity)".to_string(),
            Why::Random | Why::Gold => "at random, so no part of the pool goes unseen".to_string(),
        }
    }
}

/// One pick: the item, why, the score that ranked it (the measure's value; distance for diversity; 0
/// for random) and its place in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pick {
    pub item_id: i64,
    pub why: Why,
    pub score: f32,
    pub rank: usize,
}

/// The hybrid strategy's shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub uncertainty: f64,
    pub diversity: f64,
    pub random: f64,
}

/// What to choose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub strategy: Strategy,
    pub mix: Mix,
    /// How many picks make the batch, mixed as the strategy says.
    pub count: usize,
    /// Further picks after those, next in line by the same ranking (or at random), for when some of the
    /// batch turns out to be taken by someone else meanwhile.
    pub spares: usize,
    /// No model yet, or a label with too few examples: diversity and random only.
    pub cold_start: bool,
    pub seed: u64,
    /// Where random picks come from: candidates `start..end` (a uniform sample of the pool when the
    /// candidates are a short list), or all of them when `None`.
    pub random_from: Option<(usize, usize)>,
}

/// How many candidates diversity looks at for each diverse pick (a sample, never the whole pool)...
const DIVERSITY_SAMPLE_PER_PICK: usize = 25;
/// ...and at most this many in all, so a batch of diverse picks stays quick...
const DIVERSITY_SAMPLE_MAX: usize = 160;
/// ...except in a cold start, where diversity makes most of the batch and there is no ranking to sample
/// from: a wider look makes the first labels more representative, and it happens once or twice.
const COLD_START_SAMPLE_MAX: usize = 400;
/// At most this many labelled items count as centres for diversity.
pub const DIVERSITY_CENTRES: usize = 200;

/// Chooses up to `request.count` distinct candidates. `vectors(indices)` gives the feature vectors of
/// candidates (by index into `candidates`), asked only for the few diversity looks at; `labelled` are
/// vectors of items already labelled (diversity keeps away from them).
///
/// One pass over the pool finds the few hundred best-ranked candidates (a bounded heap); uncertainty
/// picks, half of the diversity sample and the spares all come from that short list, so the pool is
/// never sorted and nothing the size of the pool is allocated.
pub fn choose(
    candidates: &[Candidate],
    request: &Request,
    vectors: &mut dyn FnMut(&[usize]) -> Vec<SparseVector>,
    labelled: &[SparseVector],
) -> Vec<Pick> {
    let want = request.count.min(candidates.len());
    let spares = request.spares.min(candidates.len() - want);
    let mut rng = Rng::new(request.seed);
    let random_from = request.random_from.map_or(0..candidates.len(), |(a, b)| a.min(b)..b.min(candidates.len()));
    let scored = candidates.iter().any(|c| c.scores.is_some());
    let (uncertain, diverse) = shares(request, want, scored);
    let sample_max = if request.cold_start || !scored { COLD_START_SAMPLE_MAX } else { DIVERSITY_SAMPLE_MAX };
    let sample_size = (diverse * DIVERSITY_SAMPLE_PER_PICK).min(sample_max).min(candidates.len());
    let ranking = !request.cold_start && scored && request.strategy != Strategy::Random;
    let (why, measure) = measure_of(request.strategy);
    let ranked = if ranking { top_by(candidates, uncertain + sample_size / 2 + spares, measure) } else { Vec::new() };
    let mut taken: HashSet<usize> = HashSet::with_capacity(want + spares);
    let mut picks: Vec<Pick> = Vec::with_capacity(want + spares);
    let mut picked: Vec<usize> = Vec::with_capacity(want);
    let ranked_pick = |i: usize| Pick {
        item_id: candidates[i].item_id,
        why: why_for(why, &candidates[i]),
        score: candidates[i].scores.map_or(0.0, |s| measure(&s)),
        rank: 0,
    };

    // 1. Uncertainty: the top of the pool by the strategy's measure.
    for &i in ranked.iter().take(uncertain) {
        taken.insert(i);
        picked.push(i);
        picks.push(ranked_pick(i));
    }

    // 2. Diversity: representative picks over a sample of the candidates left (the next most uncertain
    //    half, a random half), away from what is labelled and picked.
    if diverse > 0 {
        let mut sample: Vec<usize> =
            ranked.iter().copied().filter(|i| !taken.contains(i)).take(sample_size / 2).collect();
        let mut blocked = taken.clone();
        blocked.extend(&sample);
        sample.extend(random_fill(&mut rng, &mut blocked, &random_from, candidates.len(), sample_size - sample.len()));
        let sample_vectors = vectors(&sample);
        let mut centres: Vec<SparseVector> = labelled.iter().take(DIVERSITY_CENTRES).cloned().collect();
        if !picked.is_empty() {
            centres.extend(vectors(&picked));
        }
        for (s, coverage) in representative_picks(&sample_vectors, &centres, diverse) {
            let i = sample[s];
            taken.insert(i);
            picked.push(i);
            picks.push(Pick { item_id: candidates[i].item_id, why: Why::Diversity, score: coverage, rank: 0 });
        }
    }

    // 3. Random, for the rest (and whatever the others could not fill): nothing is ever skipped for
    //    good, and the model is checked where it feels sure.
    let missing = want - picks.len();
    for i in random_fill(&mut rng, &mut taken, &random_from, candidates.len(), missing) {
        picks.push(Pick { item_id: candidates[i].item_id, why: Why::Random, score: 0.0, rank: 0 });
    }

    // 4. Spares: the next in line by the ranking, then random ones.
    if spares > 0 {
        let next: Vec<usize> = ranked.iter().copied().filter(|i| !taken.contains(i)).take(spares).collect();
        for i in next {
            taken.insert(i);
            picks.push(ranked_pick(i));
        }
        let missing = want + spares - picks.len();
        for i in random_fill(&mut rng, &mut taken, &random_from, candidates.len(), missing) {
            picks.push(Pick { item_id: candidates[i].item_id, why: Why::Random, score: 0.0, rank: 0 });
        }
    }
    for (rank, pick) in picks.iter_mut().enumerate() {
        pick.rank = rank + 1;
    }
    picks
}

/// How many picks go to uncertainty and to diversity (the rest are random).
fn shares(request: &Request, want: usize, scored: bool) -> (usize, usize) {
    let round = |share: f64| (share * want as f64).round() as usize;
    if request.cold_start || !scored {
        let diverse = match request.strategy {
            Strategy::Random => 0,
            _ => round(0.7).min(want),
        };
        return (0, diverse);
    }
    match request.strategy {
        Strategy::Hybrid => {
            let uncertain = round(request.mix.uncertainty).min(want);
            let diverse = round(request.mix.diversity).min(want - uncertain);
            (uncertain, diverse)
        }
        Strategy::Diversity => (0, want),
        Strategy::Random => (0, 0),
        _ => (want, 0),
    }
}

type Measure = fn(&Scores) -> f32;

/// Which measure a strategy ranks by (higher = more worth a person's look).
fn measure_of(strategy: Strategy) -> (Why, Measure) {
    match strategy {
        Strategy::LeastConfident => (Why::LeastConfident, |s| s.least_confident),
        Strategy::Entropy => (Why::Entropy, |s| s.entropy),
        Strategy::Committee => (Why::Committee, |s| {
            // Vote entropy first; KL divergence breaks ties (it is small next to it); the margin when there
            // is no committee.
            match s.vote_entropy {
                Some(v) => v + s.kl_divergence.unwrap_or(0.0).min(1.0) * 1e-3,
                None => 1.0 - s.margin,
            }
        }),
        // The hybrid's uncertainty is the margin: the smallest gap between the two likeliest labels.
        Strategy::Margin | Strategy::Hybrid | Strategy::Diversity | Strategy::Random => {
            (Why::Margin, |s| 1.0 - s.margin)
        }
    }
}

fn why_for(why: Why, candidate: &Candidate) -> Why {
    match (why, candidate.scores) {
        (Why::Committee, Some(s)) if s.vote_entropy.is_none() => Why::Margin,
        _ => why,
    }
}

/// Indices of the `k` scored candidates with the highest measure, best first (ties by position, so the
/// choice is the same every time), found in one pass with a heap of `k`, not by sorting the pool.
fn top_by(candidates: &[Candidate], k: usize, measure: Measure) -> Vec<usize> {
    /// Ordered so that the heap's top is the worst of the best found so far.
    struct Ranked(f32, usize);
    impl Ord for Ranked {
        fn cmp(&self, other: &Self) -> Ordering {
            other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
        }
    }
    impl PartialOrd for Ranked {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl PartialEq for Ranked {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for Ranked {}

    if k == 0 {
        return Vec::new();
    }
    let mut best: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
    for (i, c) in candidates.iter().enumerate() {
        let Some(s) = c.scores else { continue };
        let candidate = Ranked(measure(&s), i);
        if best.len() < k {
            best.push(candidate);
        } else if let Some(mut worst) = best.peek_mut()
            && candidate < *worst
        {
            *worst = candidate;
        }
    }
    best.into_sorted_vec().into_iter().map(|r| r.1).collect()
}

/// Up to `n` distinct random indices from `range` not in `taken`, then from anywhere below `len` if the
/// range runs out (and adds them to `taken`).
fn random_fill(
    rng: &mut Rng,
    taken: &mut HashSet<usize>,
    range: &std::ops::Range<usize>,
    len: usize,
    n: usize,
) -> Vec<usize> {
    let mut out: Vec<usize> = random_untaken(rng, taken, range.len(), n, range.start);
    if out.len() < n && range.len() < len {
        out.extend(random_untaken(rng, taken, len, n - out.len(), 0));
    }
    out
}

/// The short list a big pool keeps for the queue (indices into `candidates`): the `per_measure` best by
/// each uncertainty measure, then (second) `random` others drawn uniformly, so that batches can be
/// chosen from a few thousand rows instead of the whole pool.
pub fn shortlist(candidates: &[Candidate], per_measure: usize, random: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut taken: HashSet<usize> = HashSet::new();
    let mut ranked = Vec::new();
    for strategy in [Strategy::Margin, Strategy::LeastConfident, Strategy::Entropy, Strategy::Committee] {
        for i in top_by(candidates, per_measure, measure_of(strategy).1) {
            if taken.insert(i) {
                ranked.push(i);
            }
        }
    }
    let sample = random_untaken(&mut Rng::new(seed), &mut taken, candidates.len(), random, 0);
    (ranked, sample)
}

/// Up to `n` distinct random indices `offset..offset + len` not in `taken` (and adds them). Draws at random while
/// the free part of the pool is large, and lists what is left once it runs low, so it is fast on a
/// million items and still finds the last few.
fn random_untaken(rng: &mut Rng, taken: &mut HashSet<usize>, len: usize, n: usize, offset: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    let mut misses = 0;
    while out.len() < n && misses < 16 * n + 64 && len > 0 {
        let i = offset + rng.below(len);
        if taken.insert(i) {
            out.push(i);
        } else {
            misses += 1;
        }
    }
    if out.len() < n {
        let mut free: Vec<usize> = (offset..offset + len).filter(|i| !taken.contains(i)).collect();
        while out.len() < n && !free.is_empty() {
            let i = free.swap_remove(rng.below(free.len()));
            taken.insert(i);
            out.push(i);
        }
    }
    out
}

/// Where a batch of `size` takes gold checks: each place independently with probability `share`, so that
/// over many batches the share of gold items served is `share` (binomial), and a person cannot tell
/// which places they are in.
pub fn gold_places(size: usize, share: f64, seed: u64) -> Vec<usize> {
    let mut rng = super::rng::Rng::new(seed);
    (0..size).filter(|_| rng.unit() < share).collect()
}

#[cfg(test)]
mod tests;

/// Greedy facility location: repeatedly the vector whose addition most raises how well the sample is
/// covered (each sample vector's similarity to its most similar centre or pick), so picks are typical of
/// the parts of the sample nothing covers yet. Returns (index into `vectors`, the coverage it added).
/// Vectors must be unit length.
pub fn representative_picks(vectors: &[SparseVector], centres: &[SparseVector], k: usize) -> Vec<(usize, f32)> {
    let m = vectors.len();
    // Similarities by scattering one vector into a dense array and gathering the others against it: no
    // merge of index lists, and each pair once.
    let dim = vectors.iter().chain(centres).flat_map(|v| v.idx.iter()).max().map_or(0, |&d| d as usize + 1);
    let mut dense = vec![0.0f32; dim];
    let gather = |dense: &[f32], v: &SparseVector| -> f32 {
        v.idx.iter().zip(&v.val).map(|(&d, &x)| dense[d as usize] * x).sum::<f32>().max(0.0)
    };
    let mut similarity = vec![0.0f32; m * m];
    let mut covered = vec![0.0f32; m];
    for i in 0..m {
        let v = &vectors[i];
        for (&d, &x) in v.idx.iter().zip(&v.val) {
            dense[d as usize] += x;
        }
        similarity[i * m + i] = 1.0;
        for j in i + 1..m {
            let s = gather(&dense, &vectors[j]);
            similarity[i * m + j] = s;
            similarity[j * m + i] = s;
        }
        covered[i] = centres.iter().map(|c| gather(&dense, c)).fold(0.0, f32::max);
        for &d in &v.idx {
            dense[d as usize] = 0.0;
        }
    }
    let mut used = vec![false; m];
    let mut picks = Vec::with_capacity(k);
    for _ in 0..k.min(m) {
        let gain = |i: usize| -> f32 {
            similarity[i * m..(i + 1) * m].iter().zip(&covered).map(|(s, c)| (s - c).max(0.0)).sum()
        };
        let Some((best, added)) =
            (0..m).filter(|&i| !used[i]).map(|i| (i, gain(i))).max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        used[best] = true;
        picks.push((best, added));
        for (c, s) in covered.iter_mut().zip(&similarity[best * m..(best + 1) * m]) {
            *c = c.max(*s);
        }
    }
    picks
}
