//! Zero-shot from the first item, through the real screen: a project with labels but no labelled item and
//! no vectors, opened in a real pseudo-terminal. The screen's embedding thread makes the zero-shot model
//! from the label names, gives the items their vectors (the ones on screen first) and scores them; the
//! card on screen shows a zero-shot guess marked as not calibrated, and a decision on it records that model.

mod common;

use common::Sandbox;
use common::pty::Pty;
use rusqlite::Connection;

const LABELS: &str = "computers,science,politics,work,food,love,kids,education,sports,law";

/// The first `n` demo fortunes, without their labels.
fn unlabelled_fortunes(sandbox: &Sandbox, n: usize) -> String {
    let data = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/fortunes.jsonl")).unwrap();
    let lines: String = data
        .lines()
        .take(n)
        .map(|line| {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            value.as_object_mut().unwrap().remove("label");
            format!("{value}\n")
        })
        .collect();
    sandbox.write("fortunes.jsonl", lines)
}

#[test]
fn with_no_labels_the_screen_shows_zero_shot_guesses_and_embeds_in_the_background() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", LABELS);
    let file = unlabelled_fortunes(&sandbox, 300);
    sandbox.ok(&["import", &file, "--project", &project]);

    let mut pty = Pty::spawn(sandbox.command(&["annotate", "--project", &project]), 100, 30);
    pty.wait_for("a zero-shot guess on the card", |s| s.contains("zero-shot guess") && s.contains("not calibrated"));
    pty.wait_for("the embedding's progress on the status line", |s| s.contains("vectors ") && s.contains("/300"));
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    pty.wait_for("every item embedded", |_| count("SELECT count(*) FROM embeddings") == 300);
    pty.wait_for("the status line done with vectors", |s| !s.contains("vectors "));
    pty.send("\r"); // accept the guess
    let decided = || -> i64 { db.query_row("SELECT count(*) FROM decisions", [], |r| r.get(0)).unwrap() };
    pty.wait_for("the decision saved", |_| decided() == 1);
    pty.send("q");
    pty.wait_exit();

    let (version, trained_on): (i64, String) =
        db.query_row("SELECT id, trained_on FROM model_versions", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(trained_on, "label descriptions");
    let vectors: i64 = db.query_row("SELECT count(*) FROM embeddings", [], |r| r.get(0)).unwrap();
    assert_eq!(vectors, 300, "every item has its vector");
    // Every pending item was scored by the zero-shot model once it had its vector.
    let scored: i64 =
        db.query_row("SELECT count(*) FROM predictions WHERE model_version_id = ?1", [version], |r| r.get(0)).unwrap();
    assert!(scored >= 299, "{scored} of 300 items scored");
    // The decision accepted the zero-shot guess and says which model made it.
    let (action, model): (String, Option<i64>) =
        db.query_row("SELECT action, model_version_id FROM decisions", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((action.as_str(), model), ("accept", Some(version)));
}
