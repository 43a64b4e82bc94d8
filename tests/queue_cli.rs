//! Eight people at once, as eight real processes on one project: every item is served to one person at
//! a time and every decision made lands in the database exactly once.

mod common;

use std::collections::HashMap;

use common::Sandbox;

#[test]
fn eight_processes_label_one_project_and_no_decision_is_lost_or_doubled() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "yes,no");
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("batch_size = 20", "batch_size = 5");
    std::fs::write(&path, text).unwrap();
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
