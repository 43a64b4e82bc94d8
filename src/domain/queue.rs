//! Choosing what people see next: the query strategies over the scored pool.
//!
//! Uncertainty strategies rank candidates by one measure and take the top of the pool with a selection
//! (not a sort of the whole pool). Diversity picks, among a sample of candidates, the ones that best
//! represent the sample and are least like what is already labelled or picked (greedy facility location
//! on cosine similarity: typical items of uncovered regions, not outliers). Random picks uniformly. The default hybrid mixes the three: mostly uncertainty, a share diverse, and a small random
//! share so the model is also checked where it feels sure. In a cold start (no model yet, or a label with
//! too few examples) only diversity and random picks are made. Every pick says why it was made.

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
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::LeastConfident => "least-confident",
            Why::Margin => "margin",
            Why::Entropy => "entropy",
            Why::Committee => "committee",
            Why::Diversity => "diversity",
            Why::Random => "random",
        }
    }

    pub fn parse(s: &str) -> Option<Why> {
        [Why::LeastConfident, Why::Margin, Why::Entropy, Why::Committee, Why::Diversity, Why::Random]
            .into_iter()
            .find(|w| w.as_str() == s)
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
}

/// How many candidates diversity looks at for each diverse pick (a sample, never the whole pool).
const DIVERSITY_SAMPLE_PER_PICK: usize = 25;
/// At most this many labelled items count as centres for diversity.
pub const DIVERSITY_CENTRES: usize = 200;

/// Chooses up to `request.count` distinct candidates. `vectors(indices)` gives the feature vectors of
/// candidates (by index into `candidates`), asked only for the few diversity looks at; `labelled` are
/// vectors of items already labelled (diversity keeps away from them).
pub fn choose(
    candidates: &[Candidate],
    request: &Request,
    vectors: &mut dyn FnMut(&[usize]) -> Vec<SparseVector>,
    labelled: &[SparseVector],
) -> Vec<Pick> {
    let want = request.count.min(candidates.len());
    let mut rng = Rng::new(request.seed);
    let mut taken = vec![false; candidates.len()];
    let mut picks: Vec<Pick> = Vec::with_capacity(want);
    let mut picked: Vec<usize> = Vec::with_capacity(want);
    let scored = candidates.iter().any(|c| c.scores.is_some());
    let (uncertain, diverse) = shares(request, want, scored);

    // 1. Uncertainty: the top of the pool by the strategy's measure.
    if uncertain > 0 {
        let (why, measure) = measure_of(request.strategy);
        for i in top_by(candidates, &taken, uncertain, |c| c.scores.map(|s| measure(&s))) {
            taken[i] = true;
            picked.push(i);
            let score = candidates[i].scores.map_or(0.0, |s| measure(&s));
            picks.push(Pick { item_id: candidates[i].item_id, why: why_for(why, &candidates[i]), score, rank: 0 });
        }
    }

    // 2. Diversity: representative picks over a sample of the candidates left (the next most uncertain
    //    half, a random half), away from what is labelled and picked.
    if diverse > 0 {
        let sample = diversity_sample(candidates, &taken, diverse, request, &mut rng);
        let sample_vectors = vectors(&sample);
        let mut centres: Vec<SparseVector> = labelled.iter().take(DIVERSITY_CENTRES).cloned().collect();
        if !picked.is_empty() {
            centres.extend(vectors(&picked));
        }
        for (s, distance) in representative_picks(&sample_vectors, &centres, diverse) {
            let i = sample[s];
            taken[i] = true;
            picked.push(i);
            picks.push(Pick { item_id: candidates[i].item_id, why: Why::Diversity, score: distance, rank: 0 });
        }
    }

    // 3. Random, for the rest (and whatever the others could not fill): nothing is ever skipped for
    //    good, and the model is checked where it feels sure.
    let missing = want - picks.len();
    for i in random_untaken(&mut rng, &mut taken, missing) {
        picks.push(Pick { item_id: candidates[i].item_id, why: Why::Random, score: 0.0, rank: 0 });
    }

    // 4. Spares: the next in line by the ranking, then random ones.
    let spares = request.spares.min(candidates.len() - picks.len());
    if spares > 0 {
        if !request.cold_start && scored && request.strategy != Strategy::Random {
            let (why, measure) = measure_of(request.strategy);
            for i in top_by(candidates, &taken, spares, |c| c.scores.map(|s| measure(&s))) {
                taken[i] = true;
                let score = candidates[i].scores.map_or(0.0, |s| measure(&s));
                picks.push(Pick { item_id: candidates[i].item_id, why: why_for(why, &candidates[i]), score, rank: 0 });
            }
        }
        let missing = want + spares - picks.len();
        for i in random_untaken(&mut rng, &mut taken, missing) {
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

/// Indices of the `k` candidates with the highest `score` (those without one rank last), best first,
/// found by selection rather than by sorting the pool.
fn top_by(candidates: &[Candidate], taken: &[bool], k: usize, score: impl Fn(&Candidate) -> Option<f32>) -> Vec<usize> {
    let mut ranked: Vec<(f32, usize)> = candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| !taken[*i])
        .filter_map(|(i, c)| score(c).map(|s| (s, i)))
        .collect();
    let k = k.min(ranked.len());
    if k == 0 {
        return Vec::new();
    }
    // Highest score first; ties by position, so the choice is the same every time.
    let order = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if k < ranked.len() {
        ranked.select_nth_unstable_by(k - 1, order);
        ranked.truncate(k);
    }
    ranked.sort_unstable_by(order);
    ranked.into_iter().map(|(_, i)| i).collect()
}

/// Candidates diversity chooses among: the most uncertain not yet taken and a random sample, about
/// [`DIVERSITY_SAMPLE_PER_PICK`] per pick in all.
fn diversity_sample(
    candidates: &[Candidate],
    taken: &[bool],
    picks: usize,
    request: &Request,
    rng: &mut Rng,
) -> Vec<usize> {
    let size = (picks * DIVERSITY_SAMPLE_PER_PICK).min(candidates.len());
    let mut chosen = vec![false; candidates.len()];
    let mut sample = Vec::with_capacity(size);
    if !request.cold_start {
        let (_, measure) = measure_of(request.strategy);
        for i in top_by(candidates, taken, size / 2, |c| c.scores.map(|s| measure(&s))) {
            chosen[i] = true;
            sample.push(i);
        }
    }
    let mut blocked: Vec<bool> = taken.iter().zip(&chosen).map(|(t, c)| *t || *c).collect();
    let missing = size - sample.len();
    sample.extend(random_untaken(rng, &mut blocked, missing));
    sample
}

/// Up to `n` distinct random indices not marked in `taken` (and marks them). Draws at random while the
/// free part of the pool is large, and lists what is left once it runs low, so it is fast on a million
/// items and still finds the last few.
fn random_untaken(rng: &mut Rng, taken: &mut [bool], n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    let len = taken.len();
    let mut misses = 0;
    while out.len() < n && misses < 16 * n + 64 && len > 0 {
        let i = rng.below(len);
        if taken[i] {
            misses += 1;
            continue;
        }
        taken[i] = true;
        out.push(i);
    }
    if out.len() < n {
        let mut free: Vec<usize> = (0..len).filter(|&i| !taken[i]).collect();
        while out.len() < n && !free.is_empty() {
            let i = free.swap_remove(rng.below(free.len()));
            taken[i] = true;
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// Greedy facility location: repeatedly the vector whose addition most raises how well the sample is
/// covered (each sample vector's similarity to its most similar centre or pick), so picks are typical of
/// the parts of the sample nothing covers yet. Returns (index into `vectors`, the coverage it added).
/// Vectors must be sorted by index and unit length.
pub fn representative_picks(vectors: &[SparseVector], centres: &[SparseVector], k: usize) -> Vec<(usize, f32)> {
    let m = vectors.len();
    let similarity: Vec<Vec<f32>> = (0..m)
        .map(|i| (0..m).map(|j| if i == j { 1.0 } else { vectors[i].dot(&vectors[j]).max(0.0) }).collect())
        .collect();
    let mut covered: Vec<f32> =
        vectors.iter().map(|v| centres.iter().map(|c| v.dot(c).max(0.0)).fold(0.0, f32::max)).collect();
    let mut used = vec![false; m];
    let mut picks = Vec::with_capacity(k);
    for _ in 0..k.min(m) {
        let gain = |i: usize| -> f32 { (0..m).map(|j| (similarity[i][j] - covered[j]).max(0.0)).sum() };
        let Some((best, added)) =
            (0..m).filter(|&i| !used[i]).map(|i| (i, gain(i))).max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        used[best] = true;
        picks.push((best, added));
        for j in 0..m {
            covered[j] = covered[j].max(similarity[best][j]);
        }
    }
    picks
}
