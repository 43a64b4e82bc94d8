//! An expert at the real triage screen (`margin triage` in a pseudo-terminal, 100x30): resolves an
//! escalation and a disagreement, adds the disagreement to the guidelines as an example, quits; the store,
//! the guidelines file and the audit trail must hold exactly that.

mod common;

use common::pty::Pty;
use common::{ALICE, BOB, ERIN, Sandbox};
use rusqlite::Connection;

#[test]
fn an_expert_resolves_an_escalation_and_a_disagreement_and_adds_a_guideline_example() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\":\"pills\",\"text\":\"cheap pills, ask your pharmacist\"}\n\
         {\"id\":\"prize\",\"text\":\"is the prize draw at the meeting? mail jo@example.com\"}\n\
         {\"id\":\"lunch\",\"text\":\"lunch at noon\"}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);
    let decide = |user: &str, args: &[&str]| {
        let mut all = vec!["decide"];
        all.extend_from_slice(args);
        all.extend(["--project", project.as_str()]);
        let out = sandbox.run_as(user, &all);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    decide(ALICE, &["pills", "--escalate", "unclear guideline", "--note", "an ad, or advice?"]);
    decide(ALICE, &["prize", "--label", "spam"]);
    decide(BOB, &["prize", "--label", "ham"]);
    decide(ALICE, &["lunch", "--label", "ham"]);

    let command = sandbox.command_as(ERIN, &["triage", "--project", &project]);
    let mut pty = Pty::spawn(command, 100, 30);
    let screen = pty.wait_for("the escalation", |s| s.contains("item pills"));
    assert!(screen.contains("case 1/2") && screen.contains("escalated"), "{screen}");
    assert!(screen.contains("unclear guideline") && screen.contains("an ad, or advice?"), "{screen}");

    // The escalation: spam, because it sells.
    pty.send("\r");
    pty.wait_for("the labels", |s| s.contains("resolve as:"));
    pty.send("1");
    pty.send("sells a product");
    pty.wait_for("the rationale", |s| s.contains("sells a product▏"));
    pty.send("\r");
    let screen = pty.wait_for("the disagreement", |s| s.contains("item prize") && s.contains("1 settled"));
    assert!(
        screen.contains("disagreement")
            && screen.contains(&format!("{ALICE}: correct spam"))
            && screen.contains(&format!("{BOB}: correct ham"))
    );
    assert!(screen.contains("<email>") && !screen.contains("jo@example.com"), "masked: {screen}");

    // The disagreement: first an example for the guidelines, then the ruling.
    pty.send("x");
    pty.wait_for("the labels", |s| s.contains("add as an example of:"));
    pty.send("2");
    pty.send("a question about an event, not an offer");
    pty.wait_for("the rationale", |s| s.contains("not an offer▏"));
    pty.send("\r");
    pty.wait_for("the example to be saved", |s| s.contains("Added under ham in guidelines/guidelines.md"));
    pty.send("\r");
    pty.wait_for("the labels", |s| s.contains("resolve as:"));
    pty.send("2\r");
    pty.wait_for("an empty queue", |s| s.contains("Nothing needs a ruling") && s.contains("2 settled"));
    pty.send("q");
    let status = pty.wait_exit();
    assert!(status.success());
    assert!(pty.restored());

    let db = Connection::open(format!("{project}/margin.db")).unwrap();
    let rulings: Vec<(String, String, Option<String>)> = db
        .prepare(
            "SELECT i.ext_id, d.labels, d.note FROM decisions d JOIN items i ON i.id = d.item_id
             WHERE d.action = 'resolve' AND d.annotator = ?1 ORDER BY d.id",
        )
        .unwrap()
        .query_map([ERIN], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rulings,
        [
            ("pills".to_string(), "[\"spam\"]".to_string(), Some("sells a product".to_string())),
            ("prize".to_string(), "[\"ham\"]".to_string(), None),
        ]
    );
    let closed: String =
        db.query_row("SELECT closed_as || ' by ' || closed_by FROM escalations", [], |r| r.get(0)).unwrap();
    assert_eq!(closed, format!("resolved by {ERIN}"));

    let guidelines = std::fs::read_to_string(format!("{project}/guidelines/guidelines.md")).unwrap();
    let ham = &guidelines[guidelines.find("## ham").expect("ham's section")..];
    assert!(ham.contains(&format!("**Example** (item `prize`, {ERIN} on")), "{ham}");
    assert!(ham.contains("> is the prize draw at the meeting? mail <email>"), "masked in the guidelines: {ham}");
    assert!(ham.contains("a question about an event, not an offer"), "{ham}");

    let kinds: Vec<(String, String)> = db
        .prepare("SELECT kind, actor FROM events WHERE actor = ?1 ORDER BY seq")
        .unwrap()
        .query_map([ERIN], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let kinds: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["decision", "guideline_change", "decision"]);
    let verify = sandbox.ok(&["audit", "verify", "--project", &project]);
    assert!(verify.contains("audit trail holds"), "{verify}");
}
