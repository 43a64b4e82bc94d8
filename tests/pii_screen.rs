//! Personal data on the real screen: an annotator sees typed placeholders, never the data; an expert's
//! `r` shows the original and the audit trail records who looked. `export --mask` masks the file too.

mod common;

use common::pty::Pty;
use common::{ALICE, BOB, CAROL, Sandbox};
use rusqlite::Connection;

const EMAIL: &str = "jo.smith@example.com";
const PHONE: &str = "+44 20 7946 0958";

/// A project with one item holding an e-mail address and a phone number, an employee id for the
/// project's own pattern, and [roles]: alice admin, bob expert, carol annotator.
fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "complaint,praise");
    let text = format!("Please call me on {PHONE} or write to {EMAIL}, ref EMP-123456. The refund never came.");
    let line = serde_json::json!({ "id": "t1", "text": text, "meta": { "from": EMAIL } });
    let file = sandbox.write("items.jsonl", format!("{line}\n"));
    sandbox.ok(&["import", &file, "--project", &project]);
    let path = format!("{project}/margin.toml");
    let settings = std::fs::read_to_string(&path)
        .unwrap()
        .replace("[pii.patterns]\n", "[pii.patterns]\nemployee = 'EMP-\\d{6}'\n");
    std::fs::write(
        &path,
        format!("{settings}\n[roles]\nadmin = [\"{ALICE}\"]\nexpert = [\"{BOB}\"]\nannotator = [\"{CAROL}\"]\n"),
    )
    .unwrap();
    let confirmed = sandbox.run_as(ALICE, &["status", "--project", &project]);
    assert!(confirmed.status.success(), "{}", String::from_utf8_lossy(&confirmed.stderr));
    project
}

fn screen_as(sandbox: &Sandbox, project: &str, user: &str) -> Pty {
    let command = sandbox.command_as(user, &["annotate", "--project", project]);
    let pty = Pty::spawn(command, 100, 30);
    pty.wait_for("the item", |s| s.contains("Please call me"));
    pty
}

#[test]
fn annotators_see_placeholders_and_an_expert_reveal_is_audited() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);

    let mut carol = screen_as(&sandbox, &project, CAROL);
    // The item's text can be on the screen before the rest of its frame: wait for all of it.
    let screen = carol.wait_for("the placeholders and their count", |s| {
        s.contains("<phone>") && s.contains("<email>") && s.contains("<employee>") && s.contains("3 masked")
    });
    assert!(!screen.contains("example.com") && !screen.contains("7946") && !screen.contains("123456"), "{screen}");
    carol.send("r");
    let screen = carol.wait_for("the refusal", |s| s.contains("Only an expert"));
    assert!(!screen.contains("example.com"), "{screen}");
    carol.send("q");
    carol.wait_exit();

    let mut bob = screen_as(&sandbox, &project, BOB);
    bob.wait_for("the reveal key in the footer", |s| s.contains("r reveal"));
    bob.send("r");
    let screen = bob.wait_for("the original", |s| s.contains(EMAIL));
    assert!(screen.contains("revealed") && screen.contains("7946 0958"), "{screen}");
    bob.send("q");
    bob.wait_exit();

    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    let reveals: Vec<(String, Option<i64>)> = db
        .prepare("SELECT actor, item_id FROM events WHERE kind = 'pii_reveal'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(reveals.len(), 1, "only bob's reveal: {reveals:?}");
    assert_eq!(reveals[0].0, BOB);
    assert!(sandbox.run_as(BOB, &["audit", "verify", "--project", &project]).status.success());
}

#[test]
fn a_masked_export_holds_no_personal_data_and_an_unmasked_one_needs_an_expert() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let run = |user: &str, args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--project", project.as_str()]);
        sandbox.run_as(user, &all)
    };
    let masked = run(CAROL, &["export", "--mask"]);
    assert!(masked.status.success(), "{}", String::from_utf8_lossy(&masked.stderr));
    let out = String::from_utf8(masked.stdout).unwrap();
    assert!(out.contains("<email>") && out.contains("<phone>") && out.contains("<employee>"), "{out}");
    assert!(!out.contains("example.com") && !out.contains("7946"), "metadata masked too: {out}");

    let queued = run(CAROL, &["queue", "next", "--json"]);
    let queued = String::from_utf8(queued.stdout).unwrap();
    assert!(queued.contains("<email>") && !queued.contains("example.com"), "the queue masks for annotators: {queued}");
    assert!(run(CAROL, &["queue", "release"]).status.success());
    let queued = String::from_utf8(run(BOB, &["queue", "next", "--json"]).stdout).unwrap();
    assert!(queued.contains("example.com"), "and not for experts: {queued}");

    let refused = run(CAROL, &["export"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("needs the expert role"));
    let full = run(BOB, &["export"]);
    assert!(String::from_utf8_lossy(&full.stdout).contains(EMAIL));
}
