//! Queue benchmark: choosing the next batch of 20 from a scored pool of 1,000,000 items, with each
//! strategy, in memory (the queue keeps the pool's scores there), and a reference measured in the same
//! run: sorting the whole pool by the same measure, the thing the queue avoids.
//!
//! Run: `cargo bench --bench queue`. Settings: MARGIN_BENCH_ITEMS (default 1,000,000), MARGIN_BENCH_ROUNDS
//! (default 21). Target (issue 4): under 50 ms per batch, without a full sort of the pool.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::time::Instant;

use common::{Rng, env_number, median};
use margin::domain::Strategy;
use margin::domain::queue::{Candidate, Mix, Request, Scores, choose};
use margin::domain::vector::SparseVector;

fn main() {
    let items = env_number("MARGIN_BENCH_ITEMS", 1_000_000) as usize;
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 21).max(1);
    let mut rng = Rng(0xC0FF_EE00_1234_5678);
    let unit = |rng: &mut Rng| (rng.next() >> 11) as f32 / (1u64 << 53) as f32;
    let candidates: Vec<Candidate> = (0..items)
        .map(|i| {
            let margin = unit(&mut rng);
            Candidate {
                item_id: i as i64,
                scores: Some(Scores {
                    confidence: 0.5 + margin / 2.0,
                    least_confident: 0.5 - margin / 2.0,
                    margin,
                    entropy: unit(&mut rng),
                    vote_entropy: None,
                    kl_divergence: None,
                }),
            }
        })
        .collect();
    // Feature vectors for the few candidates diversity looks at: ~300 random buckets each, as for ~100 chars.
    let vector = |seed: u64| {
        let mut r = Rng(seed | 1);
        let mut idx: Vec<u32> = (0..300).map(|_| (r.next() % (1 << 18)) as u32).collect();
        idx.sort_unstable();
        idx.dedup();
        let v = 1.0 / (idx.len() as f32).sqrt();
        SparseVector { val: vec![v; idx.len()], idx }
    };
    let labelled: Vec<SparseVector> = (0..200).map(|i| vector(1000 + i)).collect();
    println!("| strategy | median ms to choose 20 of {items} (of {rounds} rounds) |");
    println!("|---|---|");
    let mut worst = 0.0f64;
    for strategy in [
        Strategy::Hybrid,
        Strategy::Margin,
        Strategy::LeastConfident,
        Strategy::Entropy,
        Strategy::Diversity,
        Strategy::Random,
    ] {
        let mut times = Vec::new();
        for round in 0..rounds {
            let request = Request {
                strategy,
                mix: Mix { uncertainty: 0.7, diversity: 0.2, random: 0.1 },
                count: 20,
                spares: 40,
                cold_start: false,
                seed: round,
                random_from: None,
            };
            let mut vectors = |indices: &[usize]| indices.iter().map(|&i| vector(i as u64)).collect::<Vec<_>>();
            let started = Instant::now();
            let picks = choose(&candidates, &request, &mut vectors, &labelled);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(picks.len(), 60);
        }
        let m = median(&mut times);
        worst = worst.max(m);
        println!("| {} | {m:.1} |", strategy.as_str());
    }
    // The reference: a full sort of the pool by margin, what choosing avoids.
    let mut times = Vec::new();
    for _ in 0..rounds.min(7) {
        let started = Instant::now();
        let mut order: Vec<(f32, usize)> =
            candidates.iter().enumerate().map(|(i, c)| (c.scores.map_or(1.0, |s| s.margin), i)).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        std::hint::black_box(&order[..20]);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let sort = median(&mut times);
    println!("| (reference: a full sort of the pool by margin) | {sort:.1} |");
    println!();
    println!(
        "slowest strategy {worst:.1} ms = {:.2} of a full sort; target < 50 ms: {}",
        worst / sort,
        if worst < 50.0 { "met" } else { "NOT met" }
    );
}
