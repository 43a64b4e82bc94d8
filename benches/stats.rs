//! Statistics benchmark: `margin stats`, `margin people` and `margin status` on a project of 1,000,000
//! decisions (600,000 items, 400,000 of them labelled by two people, spread over 200 days), each run as a
//! person runs it (process start included), round by round against two references measured in the same
//! run: one read of every decision (`SELECT count(*), sum(length(labels)) FROM decisions`) and the bare
//! process start (`margin --version`); medians. Also the one-time migration that fills the review index,
//! person labels and tallies of such a project, and registering a model (which records what it learned
//! from each person).
//!
//! Run: `cargo bench --bench stats`. Settings: MARGIN_BENCH_ITEMS (default 600,000; two thirds of them
//! get a second person's label), MARGIN_BENCH_DAYS (default 200: the days the decisions are spread over,
//! ending now) and MARGIN_BENCH_ROUNDS (default 9). Target (issue 18): the statistics and `margin people`
//! in under 200 ms at 1,000,000 decisions.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use common::{Rng, env_number, measure, median};
use margin::store::{NewModelVersion, Store};
use rusqlite::{Connection, params};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const LABELS: [&str; 5] = ["spam", "ham", "news", "promo", "fraud"];

fn main() {
    let items = env_number("MARGIN_BENCH_ITEMS", 600_000) as i64;
    let days = env_number("MARGIN_BENCH_DAYS", 200).max(1) as i64;
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 9).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-stats");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let project = work.join("p");
    let state = work.join("state");
    let init = Command::new(MARGIN)
        .args(["init", project.to_str().expect("utf-8"), "--labels", &LABELS.join(",")])
        .env("XDG_STATE_HOME", &state)
        .output()
        .expect("margin init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let db_path = project.join("margin.db");
    let decisions = fill(&db_path, items, days);
    eprintln!("{items} items and {decisions} decisions written");

    // Open it as a database from before the tallies: the migration fills them (and the review index).
    let started = Instant::now();
    let mut store = Store::open(&db_path).expect("open");
    let migrate_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    store.add_model(&model(decisions), &[]).expect("model");
    let model_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(store);

    let reference = Connection::open(&db_path).expect("open reference");
    let read_all = || {
        let t = Instant::now();
        let (n, _): (i64, i64) = reference
            .query_row("SELECT count(*), sum(length(labels)) FROM decisions", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("read");
        assert_eq!(n, decisions);
        t.elapsed().as_secs_f64() * 1000.0
    };
    let commands: [&[&str]; 4] = [&["stats", "--json"], &["people", "--json"], &["status", "--json"], &["--version"]];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); commands.len()];
    let mut peaks: Vec<u64> = vec![0; commands.len()];
    let mut reads = Vec::new();
    for round in 0..rounds {
        if round % 2 == 1 {
            reads.push(read_all());
        }
        for (i, args) in commands.iter().enumerate() {
            let mut command = Command::new(MARGIN);
            if args[0] != "--version" {
                command.args(["--project", project.to_str().expect("utf-8")]);
            }
            let (run, out) = measure(command.args(*args).env("XDG_STATE_HOME", &state));
            assert!(!out.is_empty(), "{args:?} printed nothing");
            times[i].push(run.wall.as_secs_f64() * 1000.0);
            peaks[i] = peaks[i].max(run.peak_rss);
        }
        if round % 2 == 0 {
            reads.push(read_all());
        }
    }
    let read_ms = median(&mut reads);
    let start_ms = median(&mut times[3]);
    println!(
        "| command | median ms | against one read of every decision ({read_ms:.0} ms) | against process start \
         ({start_ms:.1} ms) | peak memory |"
    );
    println!("|---|---|---|---|---|");
    for (i, args) in commands.iter().enumerate().take(3) {
        let m = median(&mut times[i]);
        let mb = peaks[i] as f64 / 1e6;
        println!("| `margin {}` | {m:.0} | {:.2} | {:.1} | {mb:.0} MB |", args.join(" "), m / read_ms, m / start_ms);
    }
    println!();
    println!(
        "Migration filling the review index, person labels and tallies of {decisions} decisions: {migrate_s:.1} s"
    );
    println!("Registering a model (recording what it learned from each person): {model_ms:.0} ms");
}

/// A model version that learned from every decision, for `margin people`'s "learned" column.
fn model(upto: i64) -> NewModelVersion {
    NewModelVersion {
        kind: margin::domain::ModelKind::Linear,
        path: "models/1.onnx".into(),
        sha256: "00".into(),
        labels: LABELS.iter().map(|l| l.to_string()).collect(),
        train_size: 0,
        metrics: "{\"accuracy\": 0.8, \"ece\": 0.05}".into(),
        trained_by: "bench".into(),
        trained_on: "decisions".into(),
        decisions_upto: Some(upto),
        data_as_of: None,
    }
}

/// Writes `n` items and their decisions straight into the database, then takes it back to the schema of
/// before the tallies so that opening it fills them: 8 people; every item labelled once, two in three a
/// second time by someone else (who agrees 4 times in 5); the model wrong on about 1 in 5; 1% gold; the
/// decisions spread evenly over `days` days ending now. Returns the number of decisions.
fn fill(db_path: &Path, n: i64, days: i64) -> i64 {
    let mut db = Connection::open(db_path).expect("open");
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;").expect("pragmas");
    let tx = db.transaction().expect("begin");
    tx.execute_batch(
        "INSERT INTO imports (id, source, format, imported_by, started_at_ms) VALUES (1, 'bench', 'jsonl', 'bench', 0);
         INSERT INTO model_versions (id, created_at_ms, kind, path, sha256, labels, train_size, metrics, trained_by,
             trained_on) VALUES (1, 0, 'linear', 'models/0.onnx', '00', '[\"spam\"]', 0, '{}', 'bench', 'reference');",
    )
    .expect("import and model rows");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() as i64;
    let span = days * 86_400_000;
    let mut id = 0i64;
    {
        let mut item = tx
            .prepare(
                "INSERT INTO items (id, text, content_key, import_id, source_line, gold, reference_labels)
                 VALUES (?1, ?2, ?1, 1, ?1, ?3, ?4)",
            )
            .expect("prepare");
        let mut decision = tx
            .prepare(
                "INSERT INTO decisions (id, item_id, annotator, action, labels, model_version_id, predicted_labels,
                     predicted_confidence, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8)",
            )
            .expect("prepare");
        for item_id in 1..=n {
            let label = LABELS[rng.below(4) as usize];
            let gold = rng.below(100) == 0;
            let reference = gold.then(|| format!("[\"{label}\"]"));
            item.execute(params![item_id, format!("item {item_id}"), gold, reference]).expect("item");
            let first = rng.below(8);
            let mut people = vec![(first, label)];
            if rng.below(3) < 2 {
                let other = if rng.below(5) == 0 { LABELS[rng.below(4) as usize] } else { label };
                people.push(((first + 1 + rng.below(7)) % 8, other));
            }
            for (who, given) in people {
                id += 1;
                let predicted = if rng.below(5) == 0 { LABELS[rng.below(4) as usize] } else { given };
                let action = if predicted == given { "accept" } else { "correct" };
                let at = now - span + span * item_id / n - rng.below(3_600_000) as i64;
                decision
                    .execute(params![
                        id,
                        item_id,
                        format!("ann{who}"),
                        action,
                        format!("[\"{given}\"]"),
                        format!("[\"{predicted}\"]"),
                        rng.below(1000) as f64 / 1000.0,
                        at
                    ])
                    .expect("decision");
            }
        }
    }
    tx.execute_batch(
        "DELETE FROM item_state; DELETE FROM item_state_labels;
         DROP TABLE tallies; DROP TABLE person_labels; ALTER TABLE model_versions DROP COLUMN learned_by_person;
         PRAGMA user_version = 14;",
    )
    .expect("back to version 14");
    tx.commit().expect("commit");
    id
}
