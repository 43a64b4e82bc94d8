//! A big import no longer holds the write lock throughout: people's decisions get in between its chunks,
//! while its items stay invisible to every reader until it completes, and an import that is killed leaves
//! nothing visible (the next import removes what it left).

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::Sandbox;

fn lines(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| format!("{{\"text\":\"item number {i} about {}\"}}\n", ["cats", "dogs", "cars"][i % 3]))
        .collect()
}

fn items(sandbox: &Sandbox, project: &str) -> u64 {
    let status = sandbox.ok(&["status", "--json", "--project", project]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    status["status"]["items"].as_u64().unwrap()
}

/// A project of 10 items, and an import of 1.5 million more started in the background: long enough (a few
/// seconds) that what a test does next starts well before it ends.
fn start_big_import(sandbox: &Sandbox) -> (String, std::process::Child) {
    let project = sandbox.project("p", "a,b");
    let small = sandbox.write("small.jsonl", lines(0, 10));
    sandbox.ok(&["import", &small, "--project", &project]);
    let big = sandbox.write("big.jsonl", lines(10, 1_500_010));
    let import = sandbox
        .command(&["import", &big, "--project", &project])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (project, import)
}

#[test]
fn a_decision_gets_in_during_a_big_import_which_shows_all_or_nothing() {
    let sandbox = Sandbox::new();
    let (project, mut import) = start_big_import(&sandbox);
    std::thread::sleep(Duration::from_millis(300));
    let first = sandbox.ok(&["export", "--project", &project]);
    let id: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    // While the import runs, readers see the project as it was, and a person's decision is saved.
    let mut seen_running = 0;
    let mut decided_while_running = false;
    while import.try_wait().unwrap().is_none() {
        let n = items(&sandbox, &project);
        assert!(n == 10 || n == 1_500_010, "a reader saw part of the import: {n} items");
        if import.try_wait().unwrap().is_none() {
            seen_running += 1;
        }
        if !decided_while_running {
            sandbox.ok(&["decide", id["id"].as_str().unwrap(), "--label", "a", "--project", &project]);
            decided_while_running = import.try_wait().unwrap().is_none();
            assert!(decided_while_running, "the decision waited for the whole import");
        }
    }
    assert!(import.wait().unwrap().success());
    assert!(seen_running > 0, "the import ended before anything could look");
    assert_eq!(items(&sandbox, &project), 1_500_010);
    assert!(sandbox.ok(&["status", "--project", &project]).contains("decided 1"));
}

#[test]
fn a_killed_import_leaves_nothing_and_the_next_one_clears_it() {
    let sandbox = Sandbox::new();
    let (project, mut import) = start_big_import(&sandbox);
    // Kill it once it has committed a chunk (a second's worth, as nobody waits).
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows: i64 = db.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
        if rows > 20_000 {
            break;
        }
        assert!(Instant::now() < deadline && import.try_wait().unwrap().is_none(), "the import never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    import.kill().unwrap();
    import.wait().unwrap();
    assert_eq!(items(&sandbox, &project), 10, "a killed import's items are not visible");
    assert!(sandbox.ok(&["status", "--project", &project]).contains("1 import ·"));
    let out = sandbox.ok(&["import", &sandbox.join("small.jsonl").display().to_string(), "--project", &project]);
    assert!(out.contains("Removed") && out.contains("interrupted import"), "{out}");
    let rows: i64 = db.query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 10, "the killed import's rows are gone");
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
}
