//! The expert's queue from the command line, on a real project: every kind of case shows up with its
//! details, each expert move lands in the store, the guidelines file and the audit trail.

mod common;

use common::{ALICE, BOB, Sandbox, me};
use rusqlite::Connection;

/// Runs as `user`, a real account, or as the tests' own account for `me()`.
fn as_user(sandbox: &Sandbox, user: &str, args: &[&str]) -> String {
    if user == me() { sandbox.ok(args) } else { sandbox.ok_as(user, args) }
}

fn cases(sandbox: &Sandbox, project: &str) -> Vec<serde_json::Value> {
    as_user(sandbox, &me(), &["triage", "list", "--json", "--project", project])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn case<'a>(cases: &'a [serde_json::Value], id: &str) -> Option<&'a serde_json::Value> {
    cases.iter().find(|c| c["id"] == id)
}

#[test]
fn escalations_disagreements_and_likely_label_errors_are_triaged_and_ruled_on() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let spam = ["win cash prize now", "cheap pills offer", "free money click here", "claim your prize cash"];
    let ham = ["lunch at noon today", "see you at the meeting", "the report is attached", "call mum tonight"];
    let mut lines = String::new();
    for i in 0..15 {
        lines.push_str(&format!("{{\"id\":\"s{i}\",\"text\":\"{} {i}\"}}\n", spam[i % 4]));
        lines.push_str(&format!("{{\"id\":\"h{i}\",\"text\":\"{} {i}\"}}\n", ham[i % 4]));
    }
    lines.push_str("{\"id\":\"x\",\"text\":\"is this a prize or a meeting\"}\n");
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    let decide = |user: &str, item: &str, args: &[&str]| {
        let mut all = vec!["decide", item, "--project", project.as_str()];
        all.extend_from_slice(args);
        as_user(&sandbox, user, &all);
    };
    for i in 0..15 {
        // s3 is labelled ham by mistake.
        decide(ALICE, &format!("s{i}"), &["--label", if i == 3 { "ham" } else { "spam" }]);
        decide(ALICE, &format!("h{i}"), &["--label", "ham"]);
    }
    decide(ALICE, "x", &["--label", "spam"]);
    decide(BOB, "x", &["--label", "ham"]);
    decide(ALICE, "h5", &["--escalate", "unclear guideline", "--note", "a meeting about a prize?"]);
    sandbox.ok(&["train", "--project", &project]);

    let all = cases(&sandbox, &project);
    let escalated = case(&all, "h5").expect("the escalation");
    assert_eq!(escalated["why"][0], "escalated");
    assert_eq!(escalated["escalation"]["reason"], "unclear guideline");
    assert_eq!(escalated["escalation"]["note"], "a meeting about a prize?");
    let disputed = case(&all, "x").expect("the disagreement");
    assert_eq!(disputed["why"], serde_json::json!(["disagreement"]));
    assert_eq!(disputed["decisions"].as_array().unwrap().len(), 2);
    let wrong = case(&all, "s3").expect("the mislabelled item");
    assert!(wrong["why"].as_array().unwrap().contains(&"likely label error".into()), "{wrong}");
    assert_eq!(wrong["suggestion"]["label"], "spam");
    assert!(case(&all, "s4").is_none() && case(&all, "h4").is_none(), "well-labelled items stay out: {all:?}");
    assert_eq!(all[0]["id"], "h5", "escalations first");

    // Rule on the disagreement and add it to the guidelines; make the label error right and gold.
    as_user(
        &sandbox,
        &me(),
        &["triage", "resolve", "x", "--label", "ham", "--rationale", "a meeting", "--project", &project],
    );
    as_user(
        &sandbox,
        &me(),
        &[
            "triage",
            "example",
            "x",
            "--label",
            "ham",
            "--rationale",
            "a question about a meeting",
            "--project",
            &project,
        ],
    );
    as_user(&sandbox, &me(), &["triage", "resolve", "s3", "--label", "spam", "--project", &project]);
    as_user(&sandbox, &me(), &["triage", "gold", "s3", "--label", "spam", "--project", &project]);
    as_user(&sandbox, &me(), &["triage", "send-back", "h5", "--project", &project]);
    let left = cases(&sandbox, &project);
    assert!(left.iter().all(|c| c["id"] != "x" && c["id"] != "s3" && c["id"] != "h5"), "{left:?}");

    let guidelines = std::fs::read_to_string(format!("{project}/guidelines/guidelines.md")).unwrap();
    let ham_section = &guidelines[guidelines.find("## ham").expect("ham's section")..];
    assert!(
        ham_section.contains("> is this a prize or a meeting") && ham_section.contains("a question about a meeting")
    );

    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    let (action, by): (String, String) = db
        .query_row(
            "SELECT d.action, d.annotator FROM decisions d JOIN items i ON i.id = d.item_id
             WHERE i.ext_id = 'x' ORDER BY d.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((action.as_str(), by.as_str()), ("resolve", me().as_str()));
    let (gold, reference): (bool, String) = db
        .query_row("SELECT gold, reference_labels FROM items WHERE ext_id = 's3'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(gold);
    assert_eq!(reference, "[\"spam\"]");
    let closed: String = db
        .query_row(
            "SELECT closed_as FROM escalations e JOIN items i ON i.id = e.item_id WHERE i.ext_id = 'h5'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(closed, "sent_back");
    let kinds: Vec<String> = db
        .prepare("SELECT kind FROM events WHERE kind IN ('guideline_change', 'gold', 'send_back') ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, ["guideline_change", "gold", "send_back"]);
    sandbox.ok(&["audit", "verify", "--project", &project]);

    // Rulings feed training like any decision.
    let trained = sandbox.ok(&["train", "--json", "--project", &project]);
    let trained: serde_json::Value = serde_json::from_str(&trained).unwrap();
    assert_eq!(trained["examples"], 31, "{trained}");

    let err = sandbox.fails(&["triage", "resolve", "x", "--label", "eggs", "--project", &project]);
    assert!(err.contains("\"eggs\" is not one of the project's labels"), "{err}");
    let err = sandbox.fails(&["triage", "send-back", "x", "--project", &project]);
    assert!(err.contains("no open escalation"), "{err}");
}
