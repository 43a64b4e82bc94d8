//! Retraining while people label, through the real binary: `margin queue next` starts a retrain in the
//! background once `retrain_every` decisions are in, the new model scores the pool through ONNX Runtime
//! before it becomes current, and the next batch is chosen with it. One retrain at a time; none when it
//! is switched off.

mod common;

use std::time::{Duration, Instant};

use common::Sandbox;
use rusqlite::Connection;

/// A project with labels yes/no, batches of 5 and a retrain every 5 decisions, and `n` items whose text
/// gives their label away.
fn project(sandbox: &Sandbox, n: usize, settings: &[(&str, toml::Value)]) -> String {
    let project = sandbox.project("p", "yes,no");
    sandbox.set(
        &project,
        &[("sampling.batch_size", toml::Value::Integer(5)), ("sampling.retrain_every", toml::Value::Integer(5))],
    );
    sandbox.set(&project, settings);
    sandbox.share_account(&project);
    let lines: String = (0..n)
        .map(|i| {
            let (label, words) = if i % 2 == 0 { ("yes", "sunny bright warm") } else { ("no", "rainy grey cold") };
            format!("{{\"id\": \"i{i:03}\", \"text\": \"day {i} was {words} {label}\"}}\n")
        })
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

fn batch(sandbox: &Sandbox, project: &str) -> Vec<serde_json::Value> {
    let out = sandbox.ok(&["queue", "next", "--json", "--annotator", "ann", "--project", project]);
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn decide_all(sandbox: &Sandbox, project: &str, items: &[serde_json::Value]) {
    for item in items {
        let id = item["id"].as_str().unwrap();
        let label = if item["text"].as_str().unwrap().ends_with("yes") { "yes" } else { "no" };
        sandbox.ok(&["decide", id, "--label", label, "--annotator", "ann", "--project", project]);
    }
}

fn current_model(db: &Connection) -> Option<i64> {
    db.query_row("SELECT CAST(value AS INTEGER) FROM project_state WHERE key = 'current_model'", [], |r| r.get(0)).ok()
}

/// Waits until no retrain holds the project's lock and a current model exists (two minutes at most:
/// a bound on a hang, not a speed target).
fn wait_for_retrain(project: &str, db: &Connection) -> i64 {
    let lock = std::path::Path::new(project).join("models/retrain.lock");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if !lock.exists()
            && let Some(model) = current_model(db)
        {
            return model;
        }
        assert!(Instant::now() < deadline, "the background retrain did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_batch_of_decisions_starts_a_background_retrain_and_the_next_batch_uses_its_scores() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, 60, &[("sampling.cold_start_per_label", toml::Value::Integer(1))]);
    let db = Connection::open(format!("{project}/margin.db")).unwrap();

    let not_yet: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["retrain", "--if-due", "--json", "--project", &project])).unwrap();
    assert_eq!(not_yet["retrained"], false);
    assert!(not_yet["why"].as_str().unwrap().starts_with("0 of 5"), "{not_yet}");

    // The first batch: a cold start, no model.
    let first = batch(&sandbox, &project);
    assert_eq!(first.len(), 5);
    assert!(first.iter().all(|i| i["model_version"].is_null()));
    decide_all(&sandbox, &project, &first);

    // Five decisions are in: serving the next batch starts the retrain and does not wait for it.
    let out = sandbox.ok(&["queue", "next", "--annotator", "ann", "--project", &project]);
    assert!(out.contains("retraining in the background"), "{out}");
    let model = wait_for_retrain(&project, &db);

    let (trained_on, upto, by): (String, i64, String) = db
        .query_row("SELECT trained_on, decisions_upto, trained_by FROM model_versions WHERE id = ?1", [model], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(trained_on, "decisions+reference");
    // The background retrain runs as the account that served the batch.
    assert_eq!(by, common::me());
    let last_decision: i64 = db.query_row("SELECT max(id) FROM decisions", [], |r| r.get(0)).unwrap();
    assert_eq!(upto, last_decision, "the model knows which decisions it learned from");
    // Every item still to label was scored by the new model before it became current.
    let (pending, scored): (i64, i64) = db
        .query_row(
            "SELECT count(*), count(p.item_id) FROM items i
             LEFT JOIN predictions p ON p.item_id = i.id AND p.model_version_id = ?1
             WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id)",
            [model],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(pending, 55);
    assert_eq!(scored, pending);
    // The audit trail says it was registered, then made current.
    let kinds: Vec<String> = db
        .prepare("SELECT kind FROM events WHERE kind IN ('model_version', 'current_model') ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, ["model_version", "current_model"]);

    // The batch served while it trained was chosen without it; give it back, and the next one uses the
    // new model's scores.
    sandbox.ok(&["queue", "release", "--annotator", "ann", "--project", &project]);
    let second = batch(&sandbox, &project);
    assert_eq!(second.len(), 5);
    assert!(second.iter().all(|i| i["model_version"].as_i64() == Some(model)), "{second:?}");
    assert!(second.iter().any(|i| i["why"] == "margin"), "uncertainty picks once a model scores: {second:?}");
    // Each says why in the screen's words: for a margin pick, how far apart its top two labels are.
    for item in second.iter().filter(|i| i["why"] == "margin") {
        let chosen = item["chosen"].as_str().unwrap();
        assert!(chosen.starts_with("its top two labels are") && chosen.ends_with("apart (margin)"), "{chosen}");
    }

    // Nothing new is learned until five more decisions.
    let not_due: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["retrain", "--if-due", "--json", "--project", &project])).unwrap();
    assert_eq!(not_due["retrained"], false, "{not_due}");
    decide_all(&sandbox, &project, &second);
    let done: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["retrain", "--if-due", "--json", "--project", &project])).unwrap();
    assert_eq!(done["retrained"], true, "{done}");
    assert_eq!(done["examples"], 10);
    assert_eq!(done["scored"], 50);
    assert_eq!(current_model(&db), done["model_version"].as_i64());
}

#[test]
fn retraining_keeps_the_reference_labels_of_items_nobody_decided() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "yes,no");
    let lines: String = (0..40)
        .map(|i| {
            let label = ["yes", "no"][i % 2];
            if i < 20 {
                format!("{{\"id\": \"r{i}\", \"text\": \"labelled {i} {label}\", \"label\": \"{label}\"}}\n")
            } else {
                format!("{{\"id\": \"u{i}\", \"text\": \"open {i} {label}\"}}\n")
            }
        })
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--quiet", "--project", &project]);
    // Decisions on three open items and, against its reference label, on one labelled item.
    for (id, label) in [("u20", "yes"), ("u21", "no"), ("u22", "yes"), ("r0", "no")] {
        sandbox.ok(&["decide", id, "--label", label, "--project", &project]);
    }
    let done: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["retrain", "--json", "--project", &project])).unwrap();
    assert_eq!(done["retrained"], true);
    assert_eq!(done["examples"], 23, "20 reference items (one decided otherwise) and 3 decided ones: {done}");
}

#[test]
fn one_retrain_at_a_time_and_none_when_switched_off() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, 20, &[]);
    let first = batch(&sandbox, &project);
    decide_all(&sandbox, &project, &first);

    // A live process holds the lock (this test's own): nobody else retrains, and queue next starts nothing.
    std::fs::create_dir_all(format!("{project}/models")).unwrap();
    let lock = format!("{project}/models/retrain.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let busy = sandbox.fails(&["retrain", "--project", &project]);
    assert!(busy.contains("another retrain is running"), "{busy}");
    let skipped = sandbox.ok(&["retrain", "--if-due", "--project", &project]);
    assert!(skipped.contains("another retrain is running"), "{skipped}");
    let out = sandbox.ok(&["queue", "next", "--annotator", "other", "--project", &project]);
    assert!(!out.contains("retraining"), "{out}");
    std::fs::remove_file(&lock).unwrap();

    // retrain_every = 0: retraining is left to `margin train`.
    sandbox.set(&project, &[("sampling.retrain_every", toml::Value::Integer(0))]);
    let off = sandbox.fails(&["retrain", "--project", &project]);
    assert!(off.contains("retrain_every is 0"), "{off}");
    let out = sandbox.ok(&["queue", "next", "--annotator", "third", "--project", &project]);
    assert!(!out.contains("retraining"), "{out}");
    assert!(!std::path::Path::new(&lock).exists());
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    assert_eq!(current_model(&db), None, "no model was trained");
}
