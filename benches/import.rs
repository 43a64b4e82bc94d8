//! Import benchmark: `margin import` of N JSONL items (about 100 characters each) against the sqlite3
//! shell's `.import` of the same texts as CSV into a plain table, in the same run, round by round.
//!
//! Run: `cargo bench --bench import` (needs the `sqlite3` command-line shell). Settings:
//! MARGIN_BENCH_ITEMS (default 1,000,000) and MARGIN_BENCH_ROUNDS (default 5); MARGIN_REFERENCE_BIN, an
//! earlier build of margin to time in the same rounds. Prints a markdown table
//! with medians; BENCHMARKS.md keeps the latest figures.
//!
//! Targets (issue 2): margin's median time at most 2x sqlite3's; margin's peak memory under 300 MB.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use common::{Rng, Run, env_number, measure, median};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");

fn main() {
    let items = env_number("MARGIN_BENCH_ITEMS", 1_000_000);
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 5).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-import");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let jsonl = work.join("items.jsonl");
    let csv = work.join("items.csv");
    let mean_chars = write_data(items, &jsonl, &csv);
    let sqlite_version =
        Command::new("sqlite3").arg("--version").output().expect("sqlite3 shell (apt-get install sqlite3)");
    eprintln!("{items} items, mean text {mean_chars:.0} chars; {rounds} rounds");

    // An earlier build of margin to compare with, in the same rounds (optional).
    let reference = std::env::var("MARGIN_REFERENCE_BIN").ok();
    let mut margin_runs = Vec::new();
    let mut sqlite_runs = Vec::new();
    let mut reference_runs = Vec::new();
    for round in 0..rounds {
        // Alternate who goes first, so a slow spell of the machine does not always hit the same side.
        let pair = if round % 2 == 0 {
            let m = run_margin(MARGIN, &work, &jsonl, items, round);
            (m, run_sqlite(&work, &csv, items, round))
        } else {
            let s = run_sqlite(&work, &csv, items, round);
            (run_margin(MARGIN, &work, &jsonl, items, round), s)
        };
        if let Some(binary) = &reference {
            let run = run_margin(binary, &work, &jsonl, items, round);
            eprintln!("round {}: reference margin {:.2} s", round + 1, run.wall.as_secs_f64());
            reference_runs.push(run);
        }
        eprintln!(
            "round {}: margin {:.2} s, {:.0} MB; sqlite3 {:.2} s; ratio {:.2}",
            round + 1,
            pair.0.wall.as_secs_f64(),
            mb(pair.0.peak_rss),
            pair.1.wall.as_secs_f64(),
            pair.0.wall.as_secs_f64() / pair.1.wall.as_secs_f64()
        );
        margin_runs.push(pair.0);
        sqlite_runs.push(pair.1);
    }

    let secs = |runs: &[Run]| runs.iter().map(|r| r.wall.as_secs_f64()).collect::<Vec<_>>();
    let margin_median = median(&mut secs(&margin_runs));
    let sqlite_median = median(&mut secs(&sqlite_runs));
    let mut ratios: Vec<f64> =
        margin_runs.iter().zip(&sqlite_runs).map(|(m, s)| m.wall.as_secs_f64() / s.wall.as_secs_f64()).collect();
    let median_ratio = median(&mut ratios);
    let peak = margin_runs.iter().map(|r| r.peak_rss).max().unwrap_or(0);
    let sqlite_peak = sqlite_runs.iter().map(|r| r.peak_rss).max().unwrap_or(0);

    println!("| measure | margin import (JSONL) | sqlite3 .import (CSV) |");
    println!("|---|---|---|");
    println!("| median wall time, {rounds} rounds | {margin_median:.2} s | {sqlite_median:.2} s |");
    println!("| peak memory (max over rounds) | {:.0} MB | {:.0} MB |", mb(peak), mb(sqlite_peak));
    println!();
    println!(
        "ratio of medians {:.2} (median of per-round ratios {median_ratio:.2}); target <= 2.00: {}",
        margin_median / sqlite_median,
        if margin_median / sqlite_median <= 2.0 { "met" } else { "NOT met" }
    );
    println!("peak memory target < 300 MB: {}", if mb(peak) < 300.0 { "met" } else { "NOT met" });
    if !reference_runs.is_empty() {
        let reference_median = median(&mut secs(&reference_runs));
        println!(
            "reference margin ({}): median {reference_median:.2} s; this margin / reference {:.2}; reference / sqlite3 {:.2}",
            reference.as_deref().unwrap_or("?"),
            margin_median / reference_median,
            reference_median / sqlite_median
        );
    }
    println!(
        "sqlite3 shell {}",
        String::from_utf8_lossy(&sqlite_version.stdout).split_whitespace().next().unwrap_or("?")
    );
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Writes the same texts as JSONL (`{"text": ...}`) and as a one-column CSV; returns the mean length.
fn write_data(items: u64, jsonl: &Path, csv: &Path) -> f64 {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocabulary: Vec<String> = (0..5000)
        .map(|_| {
            let len = 2 + rng.below(8);
            (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect()
        })
        .collect();
    let mut j = BufWriter::new(std::fs::File::create(jsonl).expect("jsonl"));
    let mut c = BufWriter::new(std::fs::File::create(csv).expect("csv"));
    writeln!(c, "text").expect("write");
    let mut total = 0usize;
    for i in 0..items {
        let mut text = String::with_capacity(110);
        while text.len() < 92 {
            text.push_str(&vocabulary[rng.below(vocabulary.len() as u64) as usize]);
            text.push(' ');
        }
        text.push_str(&i.to_string());
        total += text.len();
        writeln!(j, "{{\"text\": \"{text}\"}}").expect("write");
        writeln!(c, "{text}").expect("write");
    }
    j.flush().expect("flush");
    c.flush().expect("flush");
    total as f64 / items as f64
}

fn run_margin(binary: &str, work: &Path, jsonl: &Path, items: u64, round: u64) -> Run {
    let project = work.join(format!("margin-{round}"));
    let xdg = work.join("xdg");
    let margin = |args: &[&str]| {
        let mut command = Command::new(binary);
        command.args(args).env("XDG_STATE_HOME", &xdg).env("XDG_DATA_HOME", &xdg).env_remove("MARGIN_PROJECT");
        command
    };
    let project_str = project.to_str().expect("utf-8 path");
    measure(&mut margin(&["init", project_str, "--labels", "a,b"]));
    let (run, stdout) = measure(&mut margin(&["import", jsonl.to_str().expect("path"), "--project", project_str]));
    assert!(stdout.contains(&format!("Imported {items} items")), "unexpected: {stdout}");
    std::fs::remove_dir_all(&project).expect("clean up");
    run
}

fn run_sqlite(work: &Path, csv: &Path, items: u64, round: u64) -> Run {
    let db = work.join(format!("sqlite-{round}.db"));
    let (run, _) =
        measure(Command::new("sqlite3").arg(&db).arg(".mode csv").arg(format!(".import {} t", csv.display())));
    let count = Command::new("sqlite3").arg(&db).arg("SELECT count(*) FROM t").output().expect("sqlite3");
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), items.to_string(), "sqlite3 imported a different count");
    std::fs::remove_file(&db).expect("clean up");
    run
}
