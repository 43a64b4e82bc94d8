//! Eight people at once, as eight real processes on one project: every item is served to one person at
//! a time and every decision made lands in the database exactly once.

mod common;

use std::collections::HashMap;

use common::{Sandbox, shared};

#[test]
fn eight_processes_label_one_project_and_no_decision_is_lost_or_doubled() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "yes,no");
    sandbox.set(&project, &[("sampling.batch_size", toml::Value::Integer(5))]);
    // Eight people on one shared account, each naming themselves with --annotator.
    sandbox.share_account(&project);
    let items = 160;
    let lines: String = (0..items)
        .map(|i| format!("{{\"id\": \"i{i:03}\", \"text\": \"item {i} says {}\"}}\n", ["yes", "no"][i % 2]))
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);

    let decided: Vec<Vec<String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let sandbox = &sandbox;
                let project = &project;
                scope.spawn(move || {
                    let me = format!("worker{w}");
                    let mut mine = Vec::new();
                    loop {
                        let out = sandbox.ok(&["queue", "next", "--json", "--annotator", &me, "--project", project]);
                        let batch: Vec<serde_json::Value> =
                            out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
                        if batch.is_empty() {
                            return mine;
                        }
                        for item in batch {
                            let id = item["id"].as_str().unwrap().to_string();
                            let label = if item["text"].as_str().unwrap().ends_with("yes") { "yes" } else { "no" };
                            sandbox.ok(&["decide", &id, "--label", label, "--annotator", &me, "--project", project]);
                            mine.push(id);
                        }
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).collect()
    });

    let all: Vec<&String> = decided.iter().flatten().collect();
    assert_eq!(all.len(), items, "every item was decided once by the workers");
    let busy: Vec<usize> = decided.iter().map(Vec::len).collect();
    assert!(busy.iter().filter(|&&n| n > 0).count() >= 2, "the work was shared: {busy:?}");

    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT i.ext_id, count(*) FROM decisions d JOIN items i ON i.id = d.item_id GROUP BY d.item_id")
        .unwrap();
    let per_item: HashMap<String, i64> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(per_item.len(), items, "every item has a decision in the database");
    assert!(per_item.values().all(|&n| n == 1), "no item has two decisions");
    for id in all {
        assert_eq!(per_item.get(id.as_str()), Some(&1), "{id} was decided and is in the database once");
    }
    let leases: i64 = db.query_row("SELECT count(*) FROM leases", [], |r| r.get(0)).unwrap();
    assert_eq!(leases, 0, "every reservation ended with its decision");
    let events: i64 = db.query_row("SELECT count(*) FROM events WHERE kind = 'decision'", [], |r| r.get(0)).unwrap();
    assert_eq!(events, items as i64, "one audit event per decision");

    // Eight writers appended to the audit trail at once, and its hash chain is whole.
    let mut stmt = db
        .prepare("SELECT seq, at_ms, actor, kind, item_id, payload, prev_hash, hash FROM events ORDER BY seq")
        .unwrap();
    let mut prev = margin::domain::audit::GENESIS;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, Vec<u8>>(7)?,
            ))
        })
        .unwrap();
    for (expected_seq, row) in (1..).zip(rows) {
        let (seq, at_ms, actor, kind, item_id, payload, prev_hash, hash) = row.unwrap();
        assert_eq!(seq, expected_seq, "no gaps in the sequence");
        assert_eq!(prev_hash.as_slice(), prev.as_slice(), "event {seq} links to the one before");
        let record =
            margin::domain::audit::EventRecord { seq, at_ms, actor: &actor, kind: &kind, item_id, payload: &payload };
        prev = margin::domain::audit::chain_hash(&prev, &record);
        assert_eq!(hash.as_slice(), prev.as_slice(), "event {seq}");
    }
}

/// A project with 40 items (`text(i)` and a reference label each), a model trained on those labels
/// that has scored every item, and `settings` set in margin.toml.
fn scored_project(
    sandbox: &Sandbox,
    settings: &[(&str, toml::Value)],
    item: impl Fn(usize) -> (String, &'static str),
) -> String {
    let project = sandbox.project("routed", "yes,no");
    sandbox.set(
        &project,
        &[("sampling.batch_size", toml::Value::Integer(5)), ("sampling.retrain_every", toml::Value::Integer(0))],
    );
    sandbox.set(&project, settings);
    sandbox.share_account(&project);
    let lines: String = (0..40)
        .map(|i| {
            let (text, label) = item(i);
            format!("{{\"id\": \"i{i:03}\", \"text\": \"{text}\", \"label\": \"{label}\"}}\n")
        })
        .collect();
    let file = sandbox.write("labelled.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["score", "--project", &project]);
    project
}

/// Serves batches to `who` and decides each item by its text until nothing is left.
fn label_everything(sandbox: &Sandbox, project: &str, who: &str) -> Vec<serde_json::Value> {
    let mut served = Vec::new();
    loop {
        let out = sandbox.ok(&["queue", "next", "--json", "--annotator", who, "--project", project]);
        let batch: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if batch.is_empty() {
            return served;
        }
        for item in batch {
            let label = if item["text"].as_str().unwrap().contains("sunny") { "yes" } else { "no" };
            sandbox.ok(&[
                "decide",
                item["id"].as_str().unwrap(),
                "--label",
                label,
                "--annotator",
                who,
                "--project",
                project,
            ]);
            served.push(item);
        }
    }
}

#[test]
fn confident_items_are_accepted_by_the_machine_except_audits_and_high_stakes_labels() {
    let sandbox = Sandbox::new();
    let project = scored_project(
        &sandbox,
        &[
            ("thresholds.auto_accept", toml::Value::Float(0.5)),
            ("thresholds.auto_accept_enabled", true.into()),
            ("thresholds.audit_share", toml::Value::Float(0.3)),
            ("thresholds.high_stakes", toml::Value::Array(vec!["no".into()])),
        ],
        |i| {
            if i % 2 == 0 {
                (format!("day {i} was sunny bright warm"), "yes")
            } else {
                (format!("day {i} was rainy grey cold"), "no")
            }
        },
    );
    let served = label_everything(&sandbox, &project, "ann");

    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT i.ext_id, d.annotator, d.action, d.labels FROM decisions d JOIN items i ON i.id = d.item_id")
        .unwrap();
    let decisions: Vec<(String, String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    let machine: Vec<_> = decisions.iter().filter(|d| d.1 == "margin").collect();
    assert!(!machine.is_empty(), "the machine accepted confident predictions: {decisions:?}");
    for (id, _, action, labels) in &machine {
        assert_eq!(action, "machine_accept", "{id}");
        assert_eq!(labels, "[\"yes\"]", "{id}: a high-stakes label is never accepted by the machine");
    }
    let number = |id: &str| id[1..].parse::<usize>().unwrap();
    for item in &served {
        let id = item["id"].as_str().unwrap();
        if item["audit"] == true {
            assert_eq!(number(id) % 2, 0, "{id}: audits are items the machine would have accepted");
        }
    }
    let audits = served.iter().filter(|i| i["audit"] == true).count();
    assert!(audits > 0, "a share of the acceptable items went to people as an audit");
    assert_eq!(machine.len() + audits, 20, "every yes item was either accepted by the machine or audited");
    let people: Vec<_> = decisions.iter().filter(|d| d.1 == shared("ann")).collect();
    assert_eq!(people.len(), served.len());
    for i in (1..40).step_by(2) {
        let id = format!("i{i:03}");
        assert!(people.iter().any(|d| d.0 == id), "{id} (high-stakes \"no\") was labelled by a person");
    }
    assert_eq!(decisions.len(), 40, "each item decided once: {decisions:?}");
}

#[test]
fn items_below_the_expert_threshold_wait_for_an_expert() {
    let sandbox = Sandbox::new();
    // Texts that mix the two labels' words in every proportion, so the model is sure of some and not others.
    let project = scored_project(&sandbox, &[("thresholds.auto_accept", toml::Value::Float(1.0))], |i| {
        let sunny = i % 5;
        let words: Vec<&str> = ["sunny", "bright", "warm", "clear"][..sunny]
            .iter()
            .chain(&["rainy", "grey", "cold", "windy"][sunny..])
            .copied()
            .collect();
        let label = if sunny > 2 || (sunny == 2 && i % 2 == 0) { "yes" } else { "no" };
        (format!("day {i} was {}", words.join(" ")), label)
    });
    // The median confidence of the current model, as the threshold: half the items go to experts.
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    let mut stmt =
        db.prepare("SELECT i.ext_id, p.probabilities FROM predictions p JOIN items i ON i.id = p.item_id").unwrap();
    let mut confidence: Vec<(String, f32)> = stmt
        .query_map([], |r| {
            let blob: Vec<u8> = r.get(1)?;
            let top = blob.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).fold(0.0f32, f32::max);
            Ok((r.get(0)?, top))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(confidence.len(), 40);
    confidence.sort_by(|a, b| a.1.total_cmp(&b.1));
    let threshold = confidence[20].1;
    let below: Vec<&String> = confidence.iter().filter(|c| c.1 < threshold).map(|c| &c.0).collect();
    assert!(!below.is_empty() && below.len() < 40, "the items' confidences differ: {confidence:?}");
    sandbox.set(&project, &[("thresholds.expert", toml::Value::Float(f64::from(threshold)))]);

    let out = sandbox.ok(&["queue", "next", "--annotator", "ann", "--project", &project]);
    let waiting = if below.len() == 1 { "1 item waits".to_string() } else { format!("{} items wait", below.len()) };
    assert!(out.contains(&format!("{waiting} for an expert")), "{out}");
    sandbox.ok(&["queue", "release", "--annotator", "ann", "--project", &project]);
    let served = label_everything(&sandbox, &project, "ann");
    assert_eq!(served.len(), 40 - below.len(), "annotators get every item at or above the threshold");
    for item in &served {
        let id = item["id"].as_str().unwrap().to_string();
        assert!(!below.contains(&&id), "{id} is below the expert threshold and was served to an annotator");
    }
}
