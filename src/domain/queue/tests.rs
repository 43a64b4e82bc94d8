use super::*;

fn scored(item_id: i64, margin: f32) -> Candidate {
    Candidate {
        item_id,
        scores: Some(Scores {
            confidence: 0.5 + margin / 2.0,
            least_confident: 0.5 - margin / 2.0,
            margin,
            entropy: 1.0 - margin,
            vote_entropy: None,
            kl_divergence: None,
        }),
    }
}

fn request(strategy: Strategy, count: usize) -> Request {
    Request {
        strategy,
        mix: Mix { uncertainty: 0.7, diversity: 0.2, random: 0.1 },
        count,
        spares: 0,
        cold_start: false,
        seed: 42,
        random_from: None,
    }
}

/// Unit vectors that point one of `n` ways, so diversity has something to tell apart.
fn vectors_for(candidates: &[Candidate]) -> impl FnMut(&[usize]) -> Vec<SparseVector> + '_ {
    move |indices: &[usize]| {
        indices
            .iter()
            .map(|&i| {
                let dim = (candidates[i].item_id % 7) as u32;
                SparseVector { idx: vec![dim], val: vec![1.0] }
            })
            .collect()
    }
}

fn pool(n: i64) -> Vec<Candidate> {
    // Margins from 0.0 up: item 0 is the most uncertain.
    (0..n).map(|i| scored(i, i as f32 / n as f32)).collect()
}

#[test]
fn margin_takes_the_smallest_gaps_first() {
    let candidates = pool(100);
    let picks = choose(&candidates, &request(Strategy::Margin, 5), &mut vectors_for(&candidates), &[]);
    assert_eq!(picks.iter().map(|p| p.item_id).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert!(picks.iter().all(|p| p.why == Why::Margin));
    assert_eq!(picks.iter().map(|p| p.rank).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
}

#[test]
fn least_confident_and_entropy_rank_by_their_measures() {
    let mut candidates = pool(10);
    candidates[7].scores.as_mut().unwrap().least_confident = 0.99;
    candidates[8].scores.as_mut().unwrap().entropy = 9.0;
    let lc = choose(&candidates, &request(Strategy::LeastConfident, 1), &mut vectors_for(&candidates), &[]);
    assert_eq!((lc[0].item_id, lc[0].why), (7, Why::LeastConfident));
    let en = choose(&candidates, &request(Strategy::Entropy, 1), &mut vectors_for(&candidates), &[]);
    assert_eq!((en[0].item_id, en[0].why), (8, Why::Entropy));
}

#[test]
fn committee_ranks_by_vote_entropy_and_says_when_it_falls_back() {
    let mut candidates = pool(10);
    for c in candidates.iter_mut() {
        c.scores.as_mut().unwrap().vote_entropy = Some(0.1);
    }
    candidates[9].scores.as_mut().unwrap().vote_entropy = Some(0.69);
    let picks = choose(&candidates, &request(Strategy::Committee, 1), &mut vectors_for(&candidates), &[]);
    assert_eq!((picks[0].item_id, picks[0].why), (9, Why::Committee));
    let plain = pool(10);
    let picks = choose(&plain, &request(Strategy::Committee, 1), &mut vectors_for(&plain), &[]);
    assert_eq!((picks[0].item_id, picks[0].why), (0, Why::Margin), "no committee: the margin decides");
}

#[test]
fn hybrid_mixes_uncertainty_diversity_and_random() {
    let candidates = pool(1000);
    let picks = choose(&candidates, &request(Strategy::Hybrid, 20), &mut vectors_for(&candidates), &[]);
    let count = |why| picks.iter().filter(|p| p.why == why).count();
    assert_eq!((count(Why::Margin), count(Why::Diversity), count(Why::Random)), (14, 4, 2));
    let mut ids: Vec<i64> = picks.iter().map(|p| p.item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "no item twice");
}

#[test]
fn diversity_keeps_away_from_what_is_labelled() {
    let candidates = pool(70);
    // Everything labelled so far points in directions 0..5: diverse picks should point in 5 and 6.
    let labelled: Vec<SparseVector> = (0..5).map(|d| SparseVector { idx: vec![d], val: vec![1.0] }).collect();
    let picks = choose(&candidates, &request(Strategy::Diversity, 2), &mut vectors_for(&candidates), &labelled);
    let mut dims: Vec<i64> = picks.iter().map(|p| p.item_id % 7).collect();
    dims.sort_unstable();
    assert_eq!(dims, [5, 6]);
    assert!(picks.iter().all(|p| p.why == Why::Diversity && p.score > 0.0));
}

#[test]
fn a_cold_start_uses_only_diversity_and_random() {
    let candidates = pool(500);
    let cold = Request { cold_start: true, ..request(Strategy::Hybrid, 10) };
    let picks = choose(&candidates, &cold, &mut vectors_for(&candidates), &[]);
    assert_eq!(picks.len(), 10);
    assert!(picks.iter().all(|p| matches!(p.why, Why::Diversity | Why::Random)));
    assert_eq!(picks.iter().filter(|p| p.why == Why::Diversity).count(), 7);
    let unscored: Vec<Candidate> = (0..50).map(|i| Candidate { item_id: i, scores: None }).collect();
    let picks = choose(&unscored, &request(Strategy::Margin, 10), &mut vectors_for(&unscored), &[]);
    assert_eq!(picks.len(), 10, "no model yet: the queue still serves");
}

#[test]
fn the_queue_never_runs_dry_and_never_repeats() {
    let mut candidates = pool(5);
    candidates.extend((100..103).map(|i| Candidate { item_id: i, scores: None }));
    let picks = choose(&candidates, &request(Strategy::Margin, 20), &mut vectors_for(&candidates), &[]);
    let mut ids: Vec<i64> = picks.iter().map(|p| p.item_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2, 3, 4, 100, 101, 102], "every candidate, once");
}

#[test]
fn the_same_seed_picks_the_same_items_and_another_seed_other_random_ones() {
    let candidates = pool(10_000);
    let a = choose(&candidates, &request(Strategy::Hybrid, 20), &mut vectors_for(&candidates), &[]);
    let b = choose(&candidates, &request(Strategy::Hybrid, 20), &mut vectors_for(&candidates), &[]);
    assert_eq!(a, b);
    let other = Request { seed: 43, ..request(Strategy::Random, 20) };
    let c = choose(&candidates, &other, &mut vectors_for(&candidates), &[]);
    let d = choose(&candidates, &request(Strategy::Random, 20), &mut vectors_for(&candidates), &[]);
    assert_ne!(c, d);
}

#[test]
fn spares_come_after_the_mixed_batch() {
    let candidates = pool(1000);
    let with_spares = Request { spares: 40, ..request(Strategy::Hybrid, 20) };
    let picks = choose(&candidates, &with_spares, &mut vectors_for(&candidates), &[]);
    assert_eq!(picks.len(), 60);
    let head = &picks[..20];
    let count = |why| head.iter().filter(|p| p.why == why).count();
    assert_eq!((count(Why::Margin), count(Why::Diversity), count(Why::Random)), (14, 4, 2), "the batch keeps its mix");
    let mut ids: Vec<i64> = picks.iter().map(|p| p.item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 60);
}

#[test]
fn representative_picks_prefer_typical_items_over_outliers() {
    let v = |pairs: &[(u32, f32)]| {
        let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        SparseVector { idx: pairs.iter().map(|p| p.0).collect(), val: pairs.iter().map(|p| p.1 / norm).collect() }
    };
    // A crowd around direction 0 (with small variations) and one outlier in direction 9.
    let vectors = vec![
        v(&[(0, 1.0), (1, 0.2)]),
        v(&[(0, 1.0), (2, 0.2)]),
        v(&[(0, 1.0)]),
        v(&[(0, 1.0), (3, 0.2)]),
        v(&[(9, 1.0)]),
    ];
    let first = representative_picks(&vectors, &[], 1);
    assert_eq!(first[0].0, 2, "the centre of the crowd comes first");
    let two = representative_picks(&vectors, &[], 2);
    assert_eq!(two[1].0, 4, "then what nothing covers yet");
}

#[test]
fn random_picks_come_from_the_range_given_and_the_short_list_holds_the_best_of_each_measure() {
    let candidates = pool(1000);
    let mut vectors = vectors_for(&candidates);
    let sampled = Request { random_from: Some((900, 1000)), ..request(Strategy::Random, 30) };
    let picks = choose(&candidates, &sampled, &mut vectors, &[]);
    assert_eq!(picks.len(), 30);
    assert!(picks.iter().all(|p| p.item_id >= 900), "random picks from the sample part only: {picks:?}");
    // When the range runs out, the rest of the candidates fill the batch.
    let small = Request { random_from: Some((990, 1000)), ..request(Strategy::Random, 30) };
    assert_eq!(choose(&candidates, &small, &mut vectors, &[]).len(), 30);

    let (ranked, sample) = shortlist(&candidates, 10, 50, 7);
    let by_margin = choose(&candidates, &request(Strategy::Margin, 10), &mut vectors, &[]);
    for p in &by_margin {
        assert!(ranked.iter().any(|&i| candidates[i].item_id == p.item_id), "{p:?} is in the short list");
    }
    assert_eq!(sample.len(), 50);
    assert!(sample.iter().all(|i| !ranked.contains(i)), "the sample is besides the ranked ones");
}

#[test]
fn why_a_pick_was_chosen_reads_in_the_scores_people_know() {
    // The queue ranks by 1 - gap and 1 - top probability; people read the gap and the probability.
    assert!((Why::Margin.shown_score(0.96, false).unwrap() - 0.04).abs() < 1e-6);
    assert!(Why::Margin.describe(0.96, false).contains("top two labels are only 0.04 apart"));
    assert!(Why::Margin.describe(0.999, false).contains("less than 0.01 apart"), "not '0.00 apart'");
    assert!(Why::LeastConfident.describe(0.72, false).contains("top label 28%"));
    // Multi-label: each label is a yes/no question; the measures are about the least sure one.
    assert!(Why::Margin.describe(0.9, true).contains("yes and no are only 0.10 apart"));
    assert!(Why::LeastConfident.describe(0.45, true).contains("45% against"));
    assert_eq!(Why::Entropy.shown_score(1.2, false), Some(1.2));
    assert_eq!(Why::Diversity.shown_score(3.5, false), None);
    assert!(!Why::Diversity.describe(3.5, false).contains("3.5"), "a coverage gain means nothing to a person");
    assert!(Why::Random.describe(0.0, false).starts_with("at random"));
}
