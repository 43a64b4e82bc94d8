//! `margin decide` respects the queue's reservations (an expert may override one, and that is recorded),
//! and a person who decides an item again changes their mind: their earlier label is taken back, not
//! counted as a second vote.

use crate::common::{ALICE, BOB, CAROL, Sandbox};

/// alice admin, bob expert, carol an annotator; two items.
fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file =
        sandbox.write("items.jsonl", "{\"id\":\"a\",\"text\":\"win money\"}\n{\"id\":\"b\",\"text\":\"lunch?\"}\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    let path = format!("{project}/margin.toml");
    let roles =
        format!("\n[roles]\nadmin = [\"{ALICE}\"]\nexpert = [\"{BOB}\"]\nannotator = [\"{CAROL}\", \"sync\"]\n");
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &roles).unwrap();
    sandbox.ok_as(ALICE, &["status", "--project", &project]);
    project
}

fn export(sandbox: &Sandbox, project: &str) -> Vec<serde_json::Value> {
    sandbox.ok_as(ALICE, &["export", "--project", project]).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn an_item_reserved_for_someone_else_is_refused_unless_an_expert_overrides() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    // carol is served both items; they are reserved for her.
    let served = sandbox.ok_as(CAROL, &["queue", "next", "--json", "--project", &project]);
    assert_eq!(served.lines().count(), 2, "{served}");

    let out = sandbox.run_as("sync", &["decide", "a", "--label", "ham", "--project", &project]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "another annotator decided an item reserved for carol");
    assert!(err.contains(&format!("reserved for {CAROL}")) && err.contains("until"), "{err}");
    assert!(export(&sandbox, &project)[0]["decisions"].as_array().unwrap().is_empty());

    // An expert may override; the record says whose reservation was overridden.
    let out = sandbox.ok_as(BOB, &["decide", "a", "--label", "spam", "--project", &project]);
    assert!(out.contains(&format!("reserved for {CAROL}")), "{out}");
    let log = sandbox.ok_as(ALICE, &["audit", "log", "--item", "a", "--project", &project]);
    assert!(log.contains(&format!("\"lease_overridden\":\"{CAROL}\"")), "{log}");
    // The person it is reserved for decides as usual.
    sandbox.ok_as(CAROL, &["decide", "b", "--label", "ham", "--project", &project]);
}

#[test]
fn deciding_again_is_a_change_of_mind_not_a_second_vote() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok_as(CAROL, &["decide", "a", "--label", "spam", "--project", &project]);
    sandbox.ok_as(CAROL, &["decide", "a", "--label", "ham", "--project", &project]);
    let items = export(&sandbox, &project);
    let a = &items[0];
    assert_eq!(a["status"], "decided", "{a}");
    assert_eq!(a["labels"], serde_json::json!(["ham"]));
    let decisions = a["decisions"].as_array().unwrap();
    // spam, its undo by carol herself, then ham.
    let actions: Vec<&str> = decisions.iter().map(|d| d["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["correct", "undo", "correct"], "{a}");
    assert_eq!(decisions[1]["undoes"], decisions[0]["id"]);
    assert!(decisions.iter().all(|d| d["annotator"] == CAROL));
    let log = sandbox.ok_as(ALICE, &["audit", "log", "--item", "a", "--project", &project]);
    assert!(log.contains("\"replaces\""), "{log}");
    // Nothing for an expert to settle: one person, one vote.
    let cases = sandbox.ok_as(BOB, &["triage", "list", "--json", "--project", &project]);
    assert!(!cases.contains("\"a\""), "{cases}");
    let status = sandbox.ok_as(ALICE, &["status", "--json", "--project", &project]);
    assert!(status.contains("\"disputed\":0"), "{status}");
}
