//! The audit trail as a user meets it: `margin audit verify` on an untouched project, then after someone
//! drops the append-only triggers and edits or deletes event rows; `margin audit log` with its filters.

mod common;

use common::Sandbox;
use rusqlite::Connection;

/// Two people, as real accounts (see `Sandbox::command_as`).
const ANN: &str = "daemon";
const BOB: &str = "bin";

/// A project with three items and five decisions by two people (plus the init and import events).
fn labelled_project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\":\"a\",\"text\":\"win money now\"}\n{\"id\":\"b\",\"text\":\"lunch at noon\"}\n\
         {\"id\":\"c\",\"text\":\"cheap pills\"}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);
    for (item, who, how) in
        [("a", ANN, "spam"), ("b", ANN, "ham"), ("a", BOB, "ham"), ("c", BOB, "spam"), ("b", BOB, "ham")]
    {
        sandbox.ok_as(who, &["decide", item, "--label", how, "--project", &project]);
    }
    project
}

/// Opens the database as the sqlite3 shell would and drops the triggers that keep events append-only.
fn tamper(project: &str, sql: &str) {
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    db.execute_batch("DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete;")
        .unwrap();
    let changed = db.execute(sql, []).unwrap();
    assert_eq!(changed, 1, "{sql}");
}

/// The seq of the first event `sql` (a WHERE clause) picks.
fn seq_where(project: &str, sql: &str) -> i64 {
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    db.query_row(&format!("SELECT min(seq) FROM events WHERE {sql}"), [], |r| r.get(0)).unwrap()
}

fn event_count(project: &str) -> i64 {
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    db.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
}

#[test]
fn an_untouched_trail_verifies() {
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    let events = event_count(&project);
    assert!(events >= 7, "init, import and five decisions: {events}");
    let out = sandbox.ok(&["audit", "verify", "--project", &project]);
    assert!(out.contains(&format!("{events} events checked")), "{out}");
}

#[test]
fn the_triggers_refuse_edits_while_they_are_in_place() {
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    let update = db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 3", []).unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = db.execute("DELETE FROM events WHERE seq = 3", []).unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
    sandbox.ok(&["audit", "verify", "--project", &project]);
}

#[test]
fn an_edited_event_is_named() {
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    // Bob's first decision said ham; make it say spam.
    let bobs = seq_where(&project, &format!("actor = '{BOB}'"));
    tamper(
        &project,
        &format!("UPDATE events SET payload = replace(payload, '\"ham\"', '\"spam\"') WHERE seq = {bobs}"),
    );
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains(&format!("broken at event {bobs}: event {bobs} was changed")), "{err}");
    assert!(err.contains(&format!("decision by {BOB}")), "the row is described: {err}");
    assert!(err.contains(&format!("{} events before it hold", bobs - 1)), "{err}");

    // A hash rewritten as text, as a careless sqlite3 session might: named, not an error.
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    tamper(&project, "UPDATE events SET hash = hex(hash) WHERE seq = 3");
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains("broken at event 3: event 3 was changed"), "{err}");

    // An edit to who did it is caught the same way.
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    let last = event_count(&project);
    tamper(&project, &format!("UPDATE events SET actor = '{ANN}' WHERE seq = {last}"));
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains(&format!("broken at event {last}: event {last} was changed")), "{err}");
}

#[test]
fn a_deleted_event_is_named() {
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    tamper(&project, "DELETE FROM events WHERE seq = 4");
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains("broken at event 4: event 4 is missing"), "{err}");

    // The newest event: no link is left to break, but its decision is still in the decisions table.
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    let last = event_count(&project);
    tamper(&project, &format!("DELETE FROM events WHERE seq = {last}"));
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains(&format!("broken at event {last}:")), "{err}");
    assert!(err.contains("events after it were deleted"), "{err}");

    // The first.
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    tamper(&project, "DELETE FROM events WHERE seq = 1");
    let err = sandbox.fails(&["audit", "verify", "--project", &project]);
    assert!(err.contains("broken at event 1:"), "{err}");
}

#[test]
fn the_log_filters_by_item_user_action_and_time() {
    let sandbox = Sandbox::new();
    let project = labelled_project(&sandbox);
    let lines = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["audit", "log", "--project", &project];
        all.extend_from_slice(args);
        sandbox.ok(&all).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    };
    let everything = lines(&[]);
    assert_eq!(everything.len() as i64, event_count(&project));
    let seqs: Vec<i64> = everything.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first: {seqs:?}");
    assert_eq!(everything[0]["hash"].as_str().unwrap().len(), 64);

    let about_a = lines(&["--item", "a"]);
    assert_eq!(about_a.len(), 2);
    assert!(about_a.iter().all(|e| e["item"] == "a" && e["kind"] == "decision"));

    let bobs = lines(&["--user", BOB]);
    assert_eq!(bobs.len(), 3);
    assert_eq!(bobs[0]["payload"]["labels"], serde_json::json!(["ham"]));

    assert_eq!(lines(&["--action", "correct", "--user", ANN]).len(), 2);
    assert_eq!(lines(&["--action", "import"]).len(), 1);
    assert_eq!(lines(&["--since", "2h"]).len(), everything.len());
    assert_eq!(lines(&["--until", "2000-01-01"]).len(), 0);
    assert_eq!(lines(&["--since", "2000-01-01", "--user", "nobody"]).len(), 0);

    let err = sandbox.fails(&["audit", "log", "--item", "zzz", "--project", &project]);
    assert!(err.contains("no item with id \"zzz\""), "{err}");
    let err = sandbox.fails(&["audit", "log", "--since", "soon", "--project", &project]);
    assert!(err.contains("--since"), "{err}");
}
