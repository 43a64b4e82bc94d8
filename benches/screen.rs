//! Screen benchmark: `margin annotate` on a 1,000,000-item project, driven through a pseudo-terminal as a
//! person would drive it: launch to the first item on screen, key to the next item's frame for each
//! decision (which includes committing the decision to SQLite), and the process's peak memory.
//!
//! Run: `cargo bench --bench screen`. Settings: MARGIN_BENCH_ITEMS (default 1,000,000), MARGIN_BENCH_ROUNDS
//! (default 3), MARGIN_BENCH_DECISIONS (per round, default 100), MARGIN_BENCH_EXPERT (an expert threshold,
//! e.g. 0.5: routing on; default off). The reference, measured in the same run:
//! the round trip of one key through the same pseudo-terminal to `cat` (what the harness itself costs).
//!
//! With the sentence encoder installed (scripts/setup), the model is a combined one and the screen embeds
//! the pool in the background all through the measurement; the bench says how many vectors it computed.
//!
//! Targets (issues 5 and 16): key to next frame p50 and p99 under 10 ms; launch to first item under 300 ms;
//! peak memory under 400 MB with the encoder (300 MB without).

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;
#[allow(dead_code)]
#[path = "../tests/common/pty.rs"]
mod pty;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{env_number, measure, median, write_data};
use pty::Pty;

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");

/// The item counter in the header ("item I/N").
fn item_number(screen: &str) -> Option<(usize, usize)> {
    let header = screen.lines().next()?;
    let rest = &header[header.find("item ")? + 5..];
    let (i, rest) = rest.split_once('/')?;
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((i.parse().ok()?, n.parse().ok()?))
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Waits (busy, in short sleeps) until the screen satisfies `ready`; returns how long that took.
fn until(pty: &Pty, started: Instant, ready: impl Fn(&str) -> bool) -> Duration {
    loop {
        if ready(&pty.contents()) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "stuck; the screen:\n{}", pty.contents());
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn main() {
    let pool = env_number("MARGIN_BENCH_ITEMS", 1_000_000);
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 3).max(1);
    let decisions = env_number("MARGIN_BENCH_DECISIONS", 100).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-screen");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let names: Vec<String> = (0..5).map(|k| format!("topic{}", (b'a' + k as u8) as char)).collect();
    write_data(&work.join("labelled.jsonl"), &work.join("pool.jsonl"), 10_000, pool, &names);
    let xdg = work.join("xdg");
    let margin = |args: &[&str]| {
        let mut command = Command::new(MARGIN);
        command
            .args(args)
            .env("XDG_STATE_HOME", &xdg)
            .env("XDG_DATA_HOME", &xdg)
            .env("XDG_CONFIG_HOME", &xdg)
            .env("USER", "bench")
            .env_remove("MARGIN_PROJECT");
        command
    };
    let project = work.join("project");
    let p = project.to_str().expect("utf-8 path");
    measure(&mut margin(&["init", p, "--labels", &names.join(",")]));
    // No retrain in the middle of the measurement: it would compete for the two cores.
    let config = project.join("margin.toml");
    let mut settings: toml::Table =
        toml::from_str(&std::fs::read_to_string(&config).expect("config")).expect("margin.toml parses");
    let mut set = |table: &str, key: &str, value: toml::Value| {
        let slot = settings.get_mut(table).and_then(|t| t.get_mut(key)).expect("a setting of margin.toml");
        *slot = value;
    };
    set("sampling", "retrain_every", toml::Value::Integer(0));
    // Routing by confidence on: every batch then reads the whole pool instead of the short list.
    if let Ok(expert) = std::env::var("MARGIN_BENCH_EXPERT") {
        set("thresholds", "expert", toml::Value::Float(expert.parse().expect("MARGIN_BENCH_EXPERT: a number")));
    }
    std::fs::write(&config, toml::to_string(&settings).expect("TOML")).expect("config");
    measure(&mut margin(&["import", work.join("labelled.jsonl").to_str().expect("path"), "--project", p]));
    measure(&mut margin(&["import", work.join("pool.jsonl").to_str().expect("path"), "--project", p]));
    measure(&mut margin(&["train", "--reference", "--project", p]));
    measure(&mut margin(&["score", "--project", p]));
    eprintln!("{pool} pool items scored; {rounds} rounds of {decisions} decisions");
    let vectors = || -> i64 {
        let db = rusqlite::Connection::open(project.join("margin.db")).expect("the project database");
        db.query_row("SELECT count(*) FROM embeddings", [], |r| r.get(0)).expect("count vectors")
    };
    let (vectors_before, rounds_started) = (vectors(), Instant::now());

    let mut launches = Vec::new();
    let mut keys = Vec::new();
    let mut batch_changes = Vec::new();
    let mut peaks = Vec::new();
    let mut echoes = Vec::new();
    for round in 0..rounds {
        // Reference: one key's round trip through a pseudo-terminal to cat and back.
        let mut cat = Pty::spawn(Command::new("cat"), 80, 24);
        std::thread::sleep(Duration::from_millis(100));
        for i in 0..50 {
            let marker = (b'a' + (i % 26) as u8) as char;
            let before = cat.contents().matches(marker).count();
            let started = Instant::now();
            cat.send(&marker.to_string());
            echoes.push(until(&cat, started, |s| s.matches(marker).count() > before).as_secs_f64() * 1000.0);
        }
        let _ = cat.child.kill();
        let _ = cat.child.wait();

        let started = Instant::now();
        let mut screen = Pty::spawn(margin(&["annotate", "--project", p]), 80, 24);
        launches.push(until(&screen, started, |s| item_number(s).is_some()).as_secs_f64() * 1000.0);
        for d in 0..decisions {
            let s = screen.contents();
            if s.contains("Enter: next batch") {
                let started = Instant::now();
                screen.send("\r");
                batch_changes.push(
                    until(&screen, started, |s| item_number(s).is_some_and(|(i, _)| i == 1)).as_secs_f64() * 1000.0,
                );
                continue;
            }
            let at = item_number(&s);
            let key = if d % 4 == 3 { "2" } else { "\r" };
            let started = Instant::now();
            screen.send(key);
            let took = until(&screen, started, |s| {
                item_number(s) != at || s.contains("Enter: next batch") || s.contains("What did it miss")
            });
            keys.push(took.as_secs_f64() * 1000.0);
            if screen.contents().contains("What did it miss") {
                let at = item_number(&screen.contents());
                screen.send("1");
                until(&screen, Instant::now(), |s| item_number(s) != at || s.contains("Enter: next batch"));
            }
        }
        screen.send("q");
        let pid = screen.child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value to be overwritten.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our child, not yet reaped; the pointers are valid.
        unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        peaks.push(usage.ru_maxrss as f64 * 1024.0 / 1e6);
        eprintln!(
            "round {}: launch {:.0} ms; keys p50 {:.1} ms p99 {:.1} ms; peak {:.0} MB",
            round + 1,
            launches[round as usize],
            percentile(&keys, 0.5),
            percentile(&keys, 0.99),
            peaks[round as usize]
        );
    }
    let embedded = vectors() - vectors_before;
    let (p50, p99) = (percentile(&keys, 0.5), percentile(&keys, 0.99));
    let echo = median(&mut echoes);
    let launch = median(&mut launches);
    let peak = median(&mut peaks);
    println!("| measure ({pool} items; {} key presses over {rounds} rounds) | result |", keys.len());
    println!("|---|---|");
    println!("| launch to first item shown (median) | {launch:.0} ms |");
    println!("| key to next item's frame, p50 / p99 | {p50:.1} / {p99:.1} ms |");
    println!("| reference: key round trip through the pseudo-terminal to cat, median | {echo:.2} ms |");
    if !batch_changes.is_empty() {
        println!(
            "| Enter on the batch summary to the next batch's first item (median) | {:.0} ms |",
            median(&mut batch_changes)
        );
    }
    println!("| peak memory of `margin annotate` (median) | {peak:.0} MB |");
    let seconds = rounds_started.elapsed().as_secs_f64();
    println!(
        "| vectors the screen computed in the background meanwhile | {embedded} in {seconds:.0} s ({:.0}/s) |",
        embedded as f64 / seconds
    );
    println!();
    let memory_target = if vectors_before > 0 || embedded > 0 { 400.0 } else { 300.0 };
    println!(
        "targets: key to frame p50 and p99 < 10 ms: {}; launch < 300 ms: {}; memory < {memory_target:.0} MB: {}",
        if p99 < 10.0 { "met" } else { "NOT met" },
        if launch < 300.0 { "met" } else { "NOT met" },
        if peak < memory_target { "met" } else { "NOT met" }
    );
}
