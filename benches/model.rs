//! Model benchmark: training on 10,000 labelled items, scoring 1,000,000 pending items end to end through
//! ONNX Runtime, and explaining one item, all through the real `margin` binary.
//!
//! Run: `cargo bench --bench model`. Settings: MARGIN_BENCH_ITEMS (pool to score, default 1,000,000),
//! MARGIN_BENCH_LABELLED (default 10,000), MARGIN_BENCH_LABELS (default 5), MARGIN_BENCH_ROUNDS (default 3).
//! Texts are about 100 characters of pseudo-words; each label has words of its own that appear in 30% of
//! positions, so the model has something to learn. Prints a markdown table with medians.
//!
//! Targets (issue 3): training on 10,000 items under 2 s; scoring at 100,000 items/s or more with peak
//! memory under 500 MB, with the split between featurizing, ONNX Runtime and the store.

mod common;

use std::path::Path;
use std::process::Command;

use common::{env_number, measure, median, write_data};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");

fn main() {
    let pool = env_number("MARGIN_BENCH_ITEMS", 1_000_000);
    let labelled = env_number("MARGIN_BENCH_LABELLED", 10_000);
    let labels = env_number("MARGIN_BENCH_LABELS", 5).clamp(2, 26) as usize;
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 3).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-model");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let names: Vec<String> = (0..labels).map(|k| format!("topic{}", (b'a' + k as u8) as char)).collect();
    write_data(&work.join("labelled.jsonl"), &work.join("pool.jsonl"), labelled, pool, &names);
    let xdg = work.join("xdg");
    let margin = |args: &[&str]| {
        let mut command = Command::new(MARGIN);
        command.args(args).env("XDG_STATE_HOME", &xdg).env("XDG_DATA_HOME", &xdg).env_remove("MARGIN_PROJECT");
        command
    };
    let project = work.join("project");
    let p = project.to_str().expect("utf-8 path");
    measure(&mut margin(&["init", p, "--labels", &names.join(",")]));
    measure(&mut margin(&["import", work.join("labelled.jsonl").to_str().expect("path"), "--project", p]));
    measure(&mut margin(&["import", work.join("pool.jsonl").to_str().expect("path"), "--project", p]));
    eprintln!("{labelled} labelled and {pool} pool items, {labels} labels, {rounds} rounds");

    let mut train_seconds = Vec::new();
    let mut train_fit = Vec::new();
    let mut rates = Vec::new();
    let mut peaks = Vec::new();
    let mut splits = Vec::new();
    let mut explain_ms = Vec::new();
    let mut ece = 0.0;
    for round in 0..rounds {
        let (run, out) = measure(&mut margin(&["train", "--reference", "--json", "--project", p]));
        let trained: serde_json::Value = serde_json::from_str(out.trim()).expect("train JSON");
        train_seconds.push(run.wall.as_secs_f64());
        train_fit.push(trained["seconds"].as_f64().unwrap_or(0.0));
        ece = trained["metrics"]["ece"].as_f64().unwrap_or(f64::NAN);

        let (run, out) = measure(&mut margin(&["score", "--json", "--project", p]));
        let scored: serde_json::Value = serde_json::from_str(out.trim()).expect("score JSON");
        let items = scored["scored"].as_f64().unwrap_or(0.0);
        rates.push(items / run.wall.as_secs_f64());
        peaks.push(run.peak_rss as f64 / 1e6);
        let busy = &scored["busy_seconds"];
        splits.push([
            busy["featurize"].as_f64().unwrap_or(0.0),
            busy["onnx_runtime"].as_f64().unwrap_or(0.0),
            busy["store"].as_f64().unwrap_or(0.0),
        ]);
        eprintln!(
            "round {}: train {:.2} s; score {} items in {:.2} s = {:.0} items/s, peak {:.0} MB",
            round + 1,
            train_seconds[round as usize],
            items,
            run.wall.as_secs_f64(),
            rates[round as usize],
            peaks[round as usize]
        );
        for id in ["pool-0000001", "pool-0000002", "pool-0000003", "pool-0000004", "pool-0000005"] {
            let (_, out) = measure(&mut margin(&["explain", id, "--json", "--project", p]));
            let explained: serde_json::Value = serde_json::from_str(out.trim()).expect("explain JSON");
            explain_ms.push(explained["milliseconds"].as_f64().unwrap_or(f64::NAN));
        }
    }
    let split = |i: usize| median(&mut splits.iter().map(|s| s[i]).collect::<Vec<_>>());
    let rate = median(&mut rates);
    println!("| measure | median of {rounds} rounds |");
    println!("|---|---|");
    println!(
        "| `margin train --reference`, {labelled} items, 5-fold CV + final model, wall | {:.2} s |",
        median(&mut train_seconds)
    );
    println!("| of which inside `margin train` (reported) | {:.2} s |", median(&mut train_fit));
    println!("| held-out ECE after calibration | {ece:.4} |");
    println!("| `margin score`, {pool} pending items, items/s end to end | {rate:.0} |");
    println!(
        "| busy seconds: read+featurize / ONNX Runtime / store | {:.2} / {:.2} / {:.2} |",
        split(0),
        split(1),
        split(2)
    );
    println!("| peak memory of `margin score` | {:.0} MB |", median(&mut peaks));
    println!(
        "| `margin explain` (score, contributions, counterfactual), one item | {:.1} ms |",
        median(&mut explain_ms)
    );
    println!();
    println!(
        "targets: training < 2 s: {}; scoring >= 100,000 items/s: {}; scoring memory < 500 MB: {}",
        if median(&mut train_seconds) < 2.0 { "met" } else { "NOT met" },
        if rate >= 100_000.0 { "met" } else { "NOT met" },
        if median(&mut peaks) < 500.0 { "met" } else { "NOT met" }
    );
}
