//! Embedding benchmark: `margin embed` of N texts of about 100 characters against the Python reference
//! pipeline (benches/embed_reference.py: onnxruntime and the tokenizers package on the same ONNX file, with
//! the same threads, batch size and length-sorted batching), in the same run, rounds interleaved.
//!
//! Run: `cargo bench --bench embed` (needs scripts/setup: the runtime, the encoder and vendor/python).
//! Settings: MARGIN_BENCH_ITEMS (default 10,000), MARGIN_BENCH_ROUNDS (3), MARGIN_BENCH_THREADS (2),
//! MARGIN_BENCH_BATCH (32). Prints a markdown table with medians; BENCHMARKS.md keeps the latest figures.
//!
//! Target (issue 16): margin at least as fast as the reference, with its time split between tokenizing,
//! ONNX Runtime and storing. margin's figure is the whole command (start, reading the texts, storing the
//! vectors with their transactions); the reference's is the script from start to its last vector.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::path::Path;
use std::process::Command;

use common::{env_number, measure, median};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn main() {
    let items = env_number("MARGIN_BENCH_ITEMS", 10_000);
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 3).max(1);
    let threads = env_number("MARGIN_BENCH_THREADS", 2);
    let batch = env_number("MARGIN_BENCH_BATCH", 32);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-embed");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let texts = work.join("texts.jsonl");
    let mean_chars = write_texts(items, &texts);
    let encoder = format!("{REPO}/vendor/encoders/all-minilm-l6-v2");
    eprintln!("{items} texts, mean {mean_chars:.0} characters; {threads} threads, batches of {batch}; {rounds} rounds");

    let (mut ours, mut theirs, mut splits) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let project = work.join(format!("p{round}"));
        let xdg = work.join("xdg");
        let margin = |args: &[&str]| {
            let mut command = Command::new(MARGIN);
            command.args(args).env("XDG_STATE_HOME", &xdg).env("XDG_DATA_HOME", &xdg).env_remove("MARGIN_PROJECT");
            command
        };
        let p = project.to_str().expect("utf-8 path");
        measure(&mut margin(&["init", p, "--labels", "a,b"]));
        measure(&mut margin(&["import", texts.to_str().expect("path"), "--project", p]));
        let (threads_s, batch_s) = (threads.to_string(), batch.to_string());
        let embed = ["embed", "--json", "--threads", &threads_s, "--batch", &batch_s, "--project", p];
        let reference = || {
            let (run, out) = measure(
                Command::new("python3")
                    .arg(format!("{REPO}/benches/embed_reference.py"))
                    .args([encoder.as_str(), texts.to_str().expect("path"), &threads_s, &batch_s])
                    .env("PYTHONPATH", format!("{REPO}/vendor/python")),
            );
            let report: serde_json::Value = serde_json::from_str(out.trim()).expect("the reference's JSON");
            assert_eq!(report["items"].as_u64(), Some(items));
            run.wall.as_secs_f64()
        };
        // Alternate who goes first, so a slow spell of the machine does not always hit the same side.
        let python_first = round % 2 == 1;
        let python = if python_first { Some(reference()) } else { None };
        let (run, out) = measure(&mut margin(&embed));
        let report: serde_json::Value = serde_json::from_str(out.trim()).expect("margin's JSON");
        assert_eq!(report["embedded"].as_u64(), Some(items));
        let python = python.unwrap_or_else(reference);
        let seconds = run.wall.as_secs_f64();
        eprintln!("round {}: margin {seconds:.1} s, Python {python:.1} s, ratio {:.2}", round + 1, python / seconds);
        ours.push(seconds);
        theirs.push(python);
        splits.push([
            report["tokenize_seconds"].as_f64().unwrap_or(0.0),
            report["encode_seconds"].as_f64().unwrap_or(0.0),
            report["store_seconds"].as_f64().unwrap_or(0.0),
        ]);
        std::fs::remove_dir_all(&project).expect("clean up");
    }
    let (ours_m, theirs_m) = (median(&mut ours.clone()), median(&mut theirs.clone()));
    let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(o, t)| t / o).collect();
    let split = |k: usize| median(&mut splits.iter().map(|s| s[k]).collect::<Vec<_>>());
    println!("| measure | margin embed | Python reference |");
    println!("|---|---|---|");
    println!("| median wall time, {rounds} rounds | {ours_m:.1} s | {theirs_m:.1} s |");
    println!("| items per second | {:.0} | {:.0} |", items as f64 / ours_m, items as f64 / theirs_m);
    println!(
        "| margin's busy seconds: tokenize / ONNX Runtime / store | {:.2} / {:.2} / {:.2} | |",
        split(0),
        split(1),
        split(2)
    );
    println!();
    let ratio = median(&mut ratios);
    println!(
        "reference time / margin time, median of rounds: {ratio:.2}; target >= 1.00: {}",
        if ratio >= 1.0 { "met" } else { "NOT met" }
    );
}

/// Texts of about 100 characters from the demo's fortunes, each made unique by a number.
fn write_texts(items: u64, path: &Path) -> f64 {
    let data = std::fs::read_to_string(format!("{REPO}/assets/demo/fortunes.jsonl")).expect("the demo's items");
    let fortunes: Vec<String> = data
        .lines()
        .map(|l| {
            let text =
                serde_json::from_str::<serde_json::Value>(l).expect("JSON")["text"].as_str().unwrap_or("").to_string();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|t| t.len() >= 40)
        .collect();
    let mut out = String::new();
    let mut total = 0usize;
    for i in 0..items as usize {
        // Two fortunes joined, cut at a word near 95 bytes: about 100 characters with the number.
        let joined = format!("{} {}", fortunes[i % fortunes.len()], fortunes[(i * 7 + 1) % fortunes.len()]);
        let cut = joined
            .char_indices()
            .filter(|&(k, c)| c == ' ' && k <= 95)
            .map(|(k, _)| k)
            .next_back()
            .unwrap_or(joined.len());
        let text = format!("{} {i}", &joined[..cut]);
        total += text.len();
        out.push_str(&format!("{}\n", serde_json::json!({ "text": text })));
    }
    std::fs::write(path, out).expect("write the texts");
    total as f64 / items as f64
}
