//! Span screen benchmark: `margin annotate` on a span project of 100,000 items, a span model trained on
//! 2,000 labelled ones having scored them all, driven through a pseudo-terminal as a person labels
//! entities: per item, `w` (the cursor to the next word), `L` (extend the selection), `1` (label it),
//! Enter (save: committed to SQLite before the next item shows). Each key's latency is from writing it to
//! the frame that shows its effect (a moved cursor shows in the screen's attributes, the rest in its text).
//!
//! Run: `cargo bench --bench span_screen`. Settings: MARGIN_BENCH_ITEMS (default 100,000),
//! MARGIN_BENCH_ROUNDS (default 3), MARGIN_BENCH_DECISIONS (items per round, default 60). The reference,
//! measured in the same run: one key's round trip through the same pseudo-terminal to `cat`.
//!
//! Target (issue 19): key to next frame p99 under 10 ms.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;
#[allow(dead_code)]
#[path = "../tests/common/pty.rs"]
mod pty;

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Rng, env_number, measure, median};
use pty::Pty;

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const NAMES: [&str; 12] = ["Ann", "Bob", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"];
const PLACES: [&str; 8] = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Bern", "Cork", "Nice"];
const COMPANIES: [&str; 6] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"];
const FILLER: [&str; 10] = ["met", "saw", "the", "a", "report", "on", "today", "with", "about", "news"];

/// A sentence of people, places, companies and filler, and its spans as Prodigy's JSONL `spans`.
fn sentence(rng: &mut Rng, i: u64) -> (String, String) {
    let mut text = String::new();
    let mut spans = Vec::new();
    for _ in 0..(8 + rng.below(10)) {
        let (word, label) = match rng.below(7) {
            0 => (NAMES[rng.below(12) as usize], Some("PER")),
            1 => (PLACES[rng.below(8) as usize], Some("LOC")),
            2 => (COMPANIES[rng.below(6) as usize], Some("ORG")),
            _ => (FILLER[rng.below(10) as usize], None),
        };
        let start = text.chars().count();
        text.push_str(word);
        if let Some(label) = label {
            spans.push(format!("{{\"start\": {start}, \"end\": {}, \"label\": \"{label}\"}}", start + word.len()));
        }
        text.push(' ');
    }
    text.push_str(&format!("n{i} ."));
    (text, spans.join(", "))
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Waits (in short sleeps) until `changed` says the screen moved on; returns how long that took.
fn until(pty: &Pty, started: Instant, changed: impl Fn(&Pty) -> bool) -> Duration {
    loop {
        if changed(pty) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "stuck; the screen:\n{}", pty.contents());
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The item shown, from the header ("item ID ·").
fn item_of(screen: &str) -> Option<String> {
    let header = screen.lines().next()?;
    let rest = &header[header.find("item ")? + 5..];
    Some(rest.split(' ').next()?.to_string())
}

fn main() {
    let pool = env_number("MARGIN_BENCH_ITEMS", 100_000);
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 3).max(1);
    let decisions = env_number("MARGIN_BENCH_DECISIONS", 60).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-span-screen");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let mut rng = Rng(0x5EED_5EED_0000_0019);
    let mut labelled = BufWriter::new(std::fs::File::create(work.join("labelled.jsonl")).expect("file"));
    for i in 0..2_000 {
        let (text, spans) = sentence(&mut rng, i);
        writeln!(labelled, "{{\"text\": \"{text}\", \"spans\": [{spans}]}}").expect("write");
    }
    labelled.flush().expect("flush");
    let mut unlabelled = BufWriter::new(std::fs::File::create(work.join("pool.jsonl")).expect("file"));
    for i in 0..pool {
        let (text, _) = sentence(&mut rng, 1_000_000 + i);
        writeln!(unlabelled, "{{\"text\": \"{text}\"}}").expect("write");
    }
    unlabelled.flush().expect("flush");
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
    measure(&mut margin(&["init", p, "--task", "spans", "--labels", "PER,ORG,LOC"]));
    // No retrain competing for the two cores; the hashed span model (no encoder), so scoring takes seconds.
    let config = project.join("margin.toml");
    let text = std::fs::read_to_string(&config).expect("config");
    let text =
        text.replace("retrain_every = 20", "retrain_every = 0").replace("encoder = \"default\"", "encoder = \"none\"");
    std::fs::write(&config, text).expect("config");
    measure(&mut margin(&["import", work.join("labelled.jsonl").to_str().expect("path"), "--project", p]));
    measure(&mut margin(&["import", work.join("pool.jsonl").to_str().expect("path"), "--project", p]));
    measure(&mut margin(&["train", "--reference", "--project", p]));
    let (scoring, _) = measure(&mut margin(&["score", "--project", p]));
    eprintln!("{pool} pool items scored in {:.1} s; {rounds} rounds of {decisions} items", scoring.wall.as_secs_f64());

    let mut keys = Vec::new();
    let mut saves = Vec::new();
    let mut echoes = Vec::new();
    let mut launches = Vec::new();
    for round in 0..rounds {
        let mut cat = Pty::spawn(Command::new("cat"), 80, 24);
        std::thread::sleep(Duration::from_millis(100));
        for i in 0..50 {
            let marker = (b'a' + (i % 26) as u8) as char;
            let before = cat.contents().matches(marker).count();
            let started = Instant::now();
            cat.send(&marker.to_string());
            echoes.push(until(&cat, started, |c| c.contents().matches(marker).count() > before).as_secs_f64() * 1000.0);
        }
        let _ = cat.child.kill();
        let _ = cat.child.wait();

        let started = Instant::now();
        let mut screen = Pty::spawn(margin(&["annotate", "--project", p]), 80, 24);
        launches.push(until(&screen, started, |s| item_of(&s.contents()).is_some()).as_secs_f64() * 1000.0);
        for _ in 0..decisions {
            for key in ["w", "L", "1"] {
                let before = screen.contents_formatted();
                let started = Instant::now();
                screen.send(key);
                keys.push(until(&screen, started, |s| s.contents_formatted() != before).as_secs_f64() * 1000.0);
            }
            let at = item_of(&screen.contents());
            let started = Instant::now();
            screen.send("\r");
            let took = until(&screen, started, |s| {
                let now = s.contents();
                item_of(&now).is_some_and(|i| Some(&i) != at.as_ref())
            });
            keys.push(took.as_secs_f64() * 1000.0);
            saves.push(took.as_secs_f64() * 1000.0);
        }
        screen.send("q");
        let _ = screen.wait_exit();
        eprintln!(
            "round {}: launch {:.0} ms; keys p50 {:.1} ms p99 {:.1} ms; saves p50 {:.1} ms",
            round + 1,
            launches[round as usize],
            percentile(&keys, 0.5),
            percentile(&keys, 0.99),
            percentile(&saves, 0.5)
        );
    }
    let (p50, p99) = (percentile(&keys, 0.5), percentile(&keys, 0.99));
    println!("| measure ({pool} items; {} key presses over {rounds} rounds) | result |", keys.len());
    println!("|---|---|");
    println!("| launch to first item shown (median) | {:.0} ms |", median(&mut launches));
    println!("| key to next frame, p50 / p99 (all keys) | {p50:.1} / {p99:.1} ms |");
    println!(
        "| Enter to the next item's frame (saved first), p50 / p99 | {:.1} / {:.1} ms |",
        percentile(&saves, 0.5),
        percentile(&saves, 0.99)
    );
    println!(
        "| reference: key round trip through the pseudo-terminal to cat, median | {:.2} ms |",
        median(&mut echoes)
    );
    println!();
    println!("target: key to next frame p99 < 10 ms: {}", if p99 < 10.0 { "met" } else { "NOT met" });
}
