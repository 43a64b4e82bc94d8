//! A person's save during a big import, and the import's own time, against a reference margin built from
//! an earlier commit, in the same run.
//!
//! For each binary (this margin, and the reference given by MARGIN_REFERENCE_BIN) it imports N JSONL items
//! (about 100 characters each) into a fresh project of 1,000 items, alone, MARGIN_BENCH_ROUNDS times
//! (alternating which binary goes first); then MARGIN_BENCH_ROUNDS times more while a person saves a
//! decision every MARGIN_BENCH_GAP_MS (default 250) after the last ended, as a quick annotator would. This
//! margin's saves are the screen's own: `Store::record_decision` on one long-lived connection, timed per
//! call. For the reference (another schema, another store) and, for comparison, for this margin too, a save
//! is a whole `margin decide ID --skip` command, timed from process start to exit. A save that fails (the
//! reference's "database is locked" after 10 s) is counted.
//!
//! Run (the reference is the commit before imports were chunked):
//!   git worktree add --detach ../margin-reference f146277
//!   (cd ../margin-reference && CARGO_TARGET_DIR=target cargo build --release --bin margin)
//!   MARGIN_REFERENCE_BIN=../margin-reference/target/release/margin cargo bench --bench import_load
//! Settings: MARGIN_BENCH_ITEMS (default 3,000,000), MARGIN_BENCH_ROUNDS (default 3),
//! MARGIN_BENCH_GAP_MS (default 250).
//!
//! Targets (issue 14, point 6): the save's p99 during the import under 200 ms; this import's median time
//! within 1.2x of the reference's.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Rng, env_number, median};
use margin::domain::DecisionAction;
use margin::store::{NewDecision, Store};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const SMALL: usize = 1000;

fn main() {
    let Ok(reference) = std::env::var("MARGIN_REFERENCE_BIN") else {
        eprintln!("set MARGIN_REFERENCE_BIN to a margin binary to compare with (see this file's header)");
        std::process::exit(2);
    };
    let items = env_number("MARGIN_BENCH_ITEMS", 3_000_000);
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 3).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-import-load");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let big = work.join("big.jsonl");
    let small = work.join("small.jsonl");
    write_items(&big, 0, items);
    write_items(&small, items, items + SMALL as u64);
    let binaries = [("this margin", PathBuf::from(MARGIN)), ("reference", PathBuf::from(reference))];
    eprintln!("{items} items; {rounds} rounds alone, then one under load each");

    let mut alone: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for b in order {
            let project = fresh_project(&work, &binaries[b].1, &small, &format!("alone-{b}-{round}"));
            let started = Instant::now();
            let status = margin(&binaries[b].1, &work)
                .args(["import", big.to_str().expect("path"), "--project", project.to_str().expect("path")])
                .stdout(Stdio::null())
                .status()
                .expect("import");
            assert!(status.success(), "{} import failed", binaries[b].0);
            let secs = started.elapsed().as_secs_f64();
            eprintln!("round {}: {} imported in {secs:.2} s", round + 1, binaries[b].0);
            alone[b].push(secs);
            std::fs::remove_dir_all(&project).expect("clean up");
        }
    }

    println!("| measure | this margin | reference |");
    println!("|---|---|---|");
    let medians = [median(&mut alone[0].clone()), median(&mut alone[1].clone())];
    println!("| import alone, median of {rounds} | {:.2} s | {:.2} s |", medians[0], medians[1]);
    let gap = Duration::from_millis(env_number("MARGIN_BENCH_GAP_MS", 250));
    let empty = || Saves { times: Vec::new(), failed: 0, idle: Vec::new(), seconds: Vec::new() };
    // [screen saves, this margin], [command saves, this margin], [command saves, reference]
    let mut loaded: [Saves; 3] = [empty(), empty(), empty()];
    for round in 0..rounds {
        let runs = [(0, Saver::Screen), (0, Saver::Command), (1, Saver::Command)];
        for (slot, (b, saver)) in runs.into_iter().enumerate() {
            let (name, binary) = &binaries[b];
            let project = fresh_project(&work, binary, &small, &format!("load-{slot}-{round}"));
            let saves = saves_during_import(binary, &work, &project, &big, gap, saver);
            eprintln!(
                "round {}: {name}, {saver:?} saves: {} during a {:.1} s import, {} failed",
                round + 1,
                saves.times.len(),
                saves.seconds[0],
                saves.failed
            );
            let total = &mut loaded[slot];
            total.times.extend(saves.times);
            total.idle.extend(saves.idle);
            total.seconds.extend(saves.seconds);
            total.failed += saves.failed;
            std::fs::remove_dir_all(&project).expect("clean up");
        }
    }
    let p = |times: &[f64], q: f64| percentile(times, q).map_or("-".to_string(), |ms| format!("{ms:.0} ms"));
    println!();
    println!(
        "| during the import | this margin, the screen's save | this margin, `margin decide` | reference, `margin decide` |"
    );
    println!("|---|---|---|---|");
    let row = |what: &str, f: &dyn Fn(&Saves) -> String| {
        println!("| {what} | {} | {} | {} |", f(&loaded[0]), f(&loaded[1]), f(&loaded[2]));
    };
    row("saves (ok / failed)", &|s| format!("{} / {}", s.times.len(), s.failed));
    row("save time p50", &|s| p(&s.times, 0.5));
    row("save time p90", &|s| p(&s.times, 0.9));
    row("save time p99", &|s| p(&s.times, 0.99));
    row("save time max", &|s| p(&s.times, 1.0));
    row("save time p50 with no import", &|s| p(&s.idle, 0.5));
    row(&format!("import time, median of {rounds}"), &|s| format!("{:.2} s", median(&mut s.seconds.clone())));
    println!();
    let ratio = medians[0] / medians[1];
    println!("import time ratio {ratio:.2}; target <= 1.20: {}", if ratio <= 1.2 { "met" } else { "NOT met" });
    let p99 = percentile(&loaded[0].times, 0.99).unwrap_or(f64::INFINITY);
    let ok = p99 < 200.0 && loaded[0].failed == 0;
    println!(
        "(the screen's save: Store::record_decision on a long-lived connection, as the screen's store thread does)"
    );
    println!(
        "save p99 during the import {p99:.0} ms; target < 200 ms and none failed: {}",
        if ok { "met" } else { "NOT met" }
    );
}

/// Save times in milliseconds during the import, how many failed, the same saves with no import, and how
/// long the import took.
struct Saves {
    times: Vec<f64>,
    failed: usize,
    idle: Vec<f64>,
    seconds: Vec<f64>,
}

/// The `q` quantile of `times` (nearest rank), if there are any.
fn percentile(times: &[f64], q: f64) -> Option<f64> {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied()
}

fn margin(binary: &Path, work: &Path) -> Command {
    let mut command = Command::new(binary);
    let xdg = work.join("xdg");
    command.env("XDG_STATE_HOME", &xdg).env("XDG_DATA_HOME", &xdg).env("XDG_CONFIG_HOME", &xdg);
    command.env_remove("MARGIN_PROJECT").stdin(Stdio::null());
    command
}

/// A new project made by `binary`, holding the small items.
fn fresh_project(work: &Path, binary: &Path, small: &Path, name: &str) -> PathBuf {
    let project = work.join(name);
    let p = project.to_str().expect("path");
    assert!(
        margin(binary, work)
            .args(["init", p, "--labels", "a,b"])
            .stdout(Stdio::null())
            .status()
            .expect("init")
            .success()
    );
    let imported = margin(binary, work)
        .args(["import", small.to_str().expect("path"), "--project", p])
        .stdout(Stdio::null())
        .status()
        .expect("import");
    assert!(imported.success());
    project
}

/// How a person's save is made.
#[derive(Debug, Clone, Copy)]
enum Saver {
    /// As the screen does: `Store::record_decision` on one connection kept open.
    Screen,
    /// A `margin decide` command.
    Command,
}

/// One save by the screen's path; its time in milliseconds, or None when it failed.
fn screen_save(store: &mut Store, i: usize) -> Option<f64> {
    let item = store.find_item(&format!("s{i}")).ok().flatten()?;
    let started = Instant::now();
    let decision = NewDecision::new(item.id, "bench", DecisionAction::Skip);
    store.record_decision(&decision).ok().map(|_| started.elapsed().as_secs_f64() * 1000.0)
}

/// One save: `margin decide ID --skip`; its time in milliseconds, or None when it failed.
fn save(binary: &Path, work: &Path, project: &Path, i: usize) -> Option<f64> {
    let started = Instant::now();
    let out = margin(binary, work)
        .args(["decide", &format!("s{i}"), "--skip", "--project", project.to_str().expect("path")])
        .output()
        .expect("decide");
    out.status.success().then(|| started.elapsed().as_secs_f64() * 1000.0)
}

fn saves_during_import(binary: &Path, work: &Path, project: &Path, big: &Path, gap: Duration, saver: Saver) -> Saves {
    let mut store = match saver {
        Saver::Screen => Some(Store::open(&project.join("margin.db")).expect("open the project's database")),
        Saver::Command => None,
    };
    let mut save = |i: usize| match store.as_mut() {
        Some(store) => screen_save(store, i),
        None => save(binary, work, project, i),
    };
    let idle: Vec<f64> = (0..30).filter_map(|i| save(i % SMALL)).collect();
    let started = Instant::now();
    let mut import = margin(binary, work)
        .args(["import", big.to_str().expect("path"), "--project", project.to_str().expect("path")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("import");
    // Let it get going, as a person would meet it.
    std::thread::sleep(Duration::from_millis(500));
    let (mut times, mut failed, mut i) = (Vec::new(), 0, 30);
    while import.try_wait().expect("wait").is_none() {
        match save(i % SMALL) {
            Some(ms) => times.push(ms),
            None => failed += 1,
        }
        i += 1;
        std::thread::sleep(gap);
    }
    assert!(import.wait().expect("wait").success(), "the import under load failed");
    let seconds = vec![started.elapsed().as_secs_f64()];
    Saves { times, failed, idle, seconds }
}

/// Items `from..to` as JSONL with ids `s{n - from}` for the small set, about 100 characters each.
fn write_items(path: &Path, from: u64, to: u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ from);
    let vocabulary: Vec<String> = (0..5000)
        .map(|_| {
            let len = 2 + rng.below(8);
            (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect()
        })
        .collect();
    let mut out = BufWriter::new(std::fs::File::create(path).expect("data file"));
    for i in from..to {
        let mut text = String::with_capacity(110);
        while text.len() < 92 {
            text.push_str(&vocabulary[rng.below(vocabulary.len() as u64) as usize]);
            text.push(' ');
        }
        text.push_str(&i.to_string());
        if from > 0 {
            writeln!(out, "{{\"id\": \"s{}\", \"text\": \"{text}\"}}", i - from).expect("write");
        } else {
            writeln!(out, "{{\"text\": \"{text}\"}}").expect("write");
        }
    }
    out.flush().expect("flush");
}
