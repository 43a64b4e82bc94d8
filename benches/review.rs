//! Review benchmark: the first page (50 rows) of `margin review`'s filtered queries on a project of
//! 1,000,000 decided items, against a plain `SELECT ... LIMIT 50` on the same table in the same run,
//! round by round, alternating who goes first; medians. Also the one-time full-text indexing of every item
//! (the first text search) and the whole `margin review` command, process start included.
//!
//! Run: `cargo bench --bench review`. Settings: MARGIN_BENCH_ITEMS (default 1,000,000) and
//! MARGIN_BENCH_ROUNDS (default 9). Target (issue 18): a filtered first page in under 100 ms.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::{Rng, env_number, measure, median};
use margin::domain::review::ReviewFilter;
use margin::store::Store;
use rusqlite::{Connection, params};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const LABELS: [&str; 5] = ["spam", "ham", "news", "promo", "fraud"];
const SOURCES: [&str; 4] = ["web", "mail", "sms", "forum"];
const WORDS: [&str; 24] = [
    "meeting", "free", "prize", "call", "now", "lunch", "report", "market", "team", "offer", "today", "weekly",
    "update", "price", "new", "order", "account", "please", "review", "match", "score", "city", "council", "win",
];

/// The filters timed, as people would type them.
const FILTERS: [&str; 16] = [
    "",
    "label=spam",
    "person=ann3",
    "status=disputed",
    "disagrees",
    "confidence=0.5-0.6",
    "meta.source=sms",
    "label=ham person=ann5 disagrees",
    "text=prize",
    "text=123456",
    "gold label=news",
    "person=lee",
    "label=fraud",
    "meta.source=sms confidence=0.5-0.6",
    "until=2026-09-21",
    "since=2026-10-01 until=2026-10-01",
];

fn main() {
    let items = env_number("MARGIN_BENCH_ITEMS", 1_000_000) as i64;
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 9).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-review");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let project = work.join("p");
    let init = Command::new(MARGIN)
        .args(["init", project.to_str().expect("utf-8"), "--labels", &LABELS.join(",")])
        .env("XDG_STATE_HOME", work.join("state"))
        .output()
        .expect("margin init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let db_path = project.join("margin.db");
    let started = Instant::now();
    fill(&db_path, items);
    eprintln!("{items} decided items written in {:.0} s", started.elapsed().as_secs_f64());

    let mut store = Store::open(&db_path).expect("open");
    let started = Instant::now();
    let indexed = store.catch_up_search().expect("index");
    let index_s = started.elapsed().as_secs_f64();
    eprintln!("full-text index of {indexed} items built in {index_s:.1} s (once, at the first text search)");
    let reference = Connection::open(&db_path).expect("open reference");

    let filters: Vec<ReviewFilter> = FILTERS.iter().map(|f| ReviewFilter::parse(f).expect("filter")).collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); filters.len()];
    let mut counts: Vec<Vec<f64>> = vec![Vec::new(); filters.len()];
    let mut found = vec![0u64; filters.len()];
    let mut plain = Vec::new();
    for round in 0..rounds {
        let plain_run = || {
            let t = Instant::now();
            let mut stmt = reference.prepare_cached("SELECT id, text FROM items LIMIT 50").expect("prepare");
            let n = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).expect("query").count();
            assert_eq!(n, 50);
            t.elapsed().as_secs_f64() * 1000.0
        };
        let mut filter_runs = |store: &mut Store| {
            for (i, filter) in filters.iter().enumerate() {
                let t = Instant::now();
                let page = store.review_page(filter, None, 50).expect("page");
                times[i].push(t.elapsed().as_secs_f64() * 1000.0);
                assert!(!page.is_empty(), "{} found nothing", FILTERS[i]);
                let t = Instant::now();
                let n = store.review_count(filter).expect("count");
                counts[i].push(t.elapsed().as_secs_f64() * 1000.0);
                found[i] = n;
            }
        };
        if round % 2 == 0 {
            filter_runs(&mut store);
            plain.push(plain_run());
        } else {
            plain.push(plain_run());
            filter_runs(&mut store);
        }
    }
    let plain_ms = median(&mut plain);
    println!(
        "| filter | items found | first page of 50, median ms | plain SELECT ... LIMIT 50, median ms | ratio | counting them all, median ms |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, runs) in times.iter_mut().enumerate() {
        let m = median(runs);
        let name = if FILTERS[i].is_empty() { "(none: every decided item)" } else { FILTERS[i] };
        let c = median(&mut counts[i]);
        println!("| `{name}` | {} | {m:.2} | {plain_ms:.3} | {:.0} | {c:.0} |", found[i], m / plain_ms);
    }

    // The whole command, as a person runs it.
    let mut command_ms = Vec::new();
    for _ in 0..rounds.min(5) {
        let (run, out) = measure(
            Command::new(MARGIN)
                .args(["review", "--project", project.to_str().expect("utf-8"), "--filter", "label=spam disagrees"])
                .args(["--json"])
                .env("XDG_STATE_HOME", work.join("state")),
        );
        assert_eq!(out.lines().count(), 50, "{out}");
        command_ms.push(run.wall.as_secs_f64() * 1000.0);
    }
    println!();
    println!(
        "`margin review --filter \"label=spam disagrees\" --json` (process start included), median: {:.0} ms",
        median(&mut command_ms)
    );
    println!("Full-text index of {indexed} items, built once at the first text search: {index_s:.1} s");
}

/// Writes `n` items, one decision each and their review rows, as margin would have: 8 people (and lee, with
/// 1 in 10,000), 4 labels (and fraud, 1 in 10,000),
/// the model wrong on about 1 in 5, 3% disputed, 2% escalated, 1% gold; metadata with a source.
fn fill(db_path: &Path, n: i64) {
    let mut db = Connection::open(db_path).expect("open");
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;").expect("pragmas");
    let tx = db.transaction().expect("begin");
    tx.execute(
        "INSERT INTO imports (id, source, format, imported_by, started_at_ms) VALUES (1, 'bench', 'jsonl', 'bench', 0)",
        [],
    )
    .expect("import row");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    {
        let mut item = tx
            .prepare("INSERT INTO items (id, text, meta, content_key, import_id, source_line, gold) VALUES (?1, ?2, ?3, ?4, 1, ?1, ?5)")
            .expect("prepare");
        let mut decision = tx
            .prepare(
                "INSERT INTO decisions (id, item_id, annotator, action, labels, predicted_labels, predicted_confidence, at_ms)
                 VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .expect("prepare");
        let mut state = tx
            .prepare(
                "INSERT INTO item_state (item_id, status, labels, last_id, last_at_ms, last_by, predicted, confidence,
                     disagrees, escalated) VALUES (?1, ?2, ?3, ?1, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .expect("prepare");
        let mut state_label =
            tx.prepare("INSERT INTO item_state_labels (label, item_id) VALUES (?1, ?2)").expect("prepare");
        let start_ms = 1_790_000_000_000i64;
        for id in 1..=n {
            let words: Vec<&str> = (0..12).map(|_| WORDS[rng.below(WORDS.len() as u64) as usize]).collect();
            let text = format!("{} {id}", words.join(" "));
            let meta = format!("{{\"source\":\"{}\"}}", SOURCES[rng.below(4) as usize]);
            let gold = rng.below(100) == 0;
            item.execute(params![id, text, meta, id * 7919, gold]).expect("item");
            // lee decided only 1 item in 10,000: a filter that must pass over nearly everything.
            let who = if id % 10_000 == 0 { "lee".to_string() } else { format!("ann{}", rng.below(8)) };
            // fraud: 1 item in 10,000, a label a filter must find without walking every item.
            let label = if id % 10_000 == 5 { "fraud" } else { LABELS[rng.below(4) as usize] };
            let predicted = if rng.below(5) == 0 { LABELS[rng.below(4) as usize] } else { label };
            let confidence = rng.below(1000) as f64 / 1000.0;
            let at = start_ms + id * 1000;
            let roll = rng.below(100);
            let (action, status) = match roll {
                0..=1 => ("escalate", "escalated"),
                2..=4 => ("correct", "disputed"),
                _ => (if predicted == label { "accept" } else { "correct" }, "decided"),
            };
            let labels = (action != "escalate").then(|| format!("[\"{label}\"]"));
            let predicted_json = format!("[\"{predicted}\"]");
            decision.execute(params![id, who, action, labels, predicted_json, confidence, at]).expect("decision");
            let settled = (status == "decided").then(|| format!("[\"{label}\"]"));
            let disagrees = labels.is_some() && predicted != label;
            state
                .execute(params![
                    id,
                    status,
                    settled,
                    at,
                    who,
                    predicted_json,
                    confidence,
                    disagrees,
                    action == "escalate"
                ])
                .expect("state");
            if status == "decided" {
                state_label.execute(params![label, id]).expect("state label");
            }
        }
    }
    tx.commit().expect("commit");
}
