//! A person at the real span screen (`margin annotate` in a span project, in a pseudo-terminal at 80x24):
//! the patterns propose spans, the person accepts one item as proposed, corrects a wrong boundary and a
//! wrong label on another, labels a third from nothing, then undoes the last item and one of its span
//! changes and saves it again. The keys each entity took are counted; the database, the export and the
//! audit trail must hold exactly what was done.

mod common;

use common::Sandbox;
use common::pty::Pty;
use rusqlite::Connection;

/// One item: its text, the keys that label it, the spans it ends with, and the spans once the last change
/// to them is taken back.
struct Script {
    id: &'static str,
    keys: &'static [&'static str],
    entities: usize,
    spans: &'static [&'static str],
    after_undo: &'static [&'static str],
}

const SCRIPTS: [Script; 3] = [
    // The patterns are right: one key.
    Script { id: "a1", keys: &["\r"], entities: 1, spans: &["0:7:ORG"], after_undo: &["0:7:ORG"] },
    // The patterns found "Tim" (PER) and "Apple" (LOC): Tab selects Tim, L widens it over Cook, 1 keeps it
    // PER; Tab selects Apple, 2 makes it ORG; Enter.
    Script {
        id: "a2",
        keys: &["\t", "L", "1", "\t", "2", "\r"],
        entities: 2,
        spans: &["0:8:PER", "17:22:ORG"],
        after_undo: &["0:8:PER", "17:22:LOC"],
    },
    // Nothing proposed: 1 on Merkel; w w 1 on Macron; w w 3 on Paris; Enter.
    Script {
        id: "a3",
        keys: &["1", "w", "w", "1", "w", "w", "3", "\r"],
        entities: 3,
        spans: &["0:6:PER", "11:17:PER", "21:26:LOC"],
        after_undo: &["0:6:PER", "11:17:PER"],
    },
];

fn labels_of(conn: &Connection, id: &str) -> Vec<Vec<String>> {
    let mut stmt = conn
        .prepare(
            "SELECT d.labels FROM decisions d JOIN items i ON i.id = d.item_id
              WHERE i.ext_id = ?1 AND d.action != 'undo' ORDER BY d.id",
        )
        .unwrap();
    stmt.query_map([id], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

#[test]
fn spans_are_labelled_corrected_undone_and_stored_with_their_audit_trail() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "p", "--task", "spans", "--labels", "PER,ORG,LOC"]);
    let project = sandbox.join("p").display().to_string();
    std::fs::write(
        sandbox.join("p/patterns.jsonl"),
        "{\"label\": \"ORG\", \"pattern\": \"Siemens\"}\n\
         {\"label\": \"PER\", \"pattern\": [{\"LOWER\": \"tim\"}]}\n\
         {\"label\": \"LOC\", \"pattern\": \"Apple\"}\n",
    )
    .unwrap();
    let settings = std::fs::read_to_string(sandbox.join("p/margin.toml")).unwrap();
    std::fs::write(sandbox.join("p/margin.toml"), settings.replace("patterns = \"\"", "patterns = \"patterns.jsonl\""))
        .unwrap();
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\": \"a1\", \"text\": \"Siemens opened an office.\"}\n\
         {\"id\": \"a2\", \"text\": \"Tim Cook visited Apple.\"}\n\
         {\"id\": \"a3\", \"text\": \"Merkel met Macron in Paris.\"}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);

    let mut pty = Pty::spawn(sandbox.command(&["--project", &project, "annotate"]), 80, 24);
    let mut order: Vec<&Script> = Vec::new();
    let mut keys_per_entity: Vec<(String, f64)> = Vec::new();
    for done in 0..3 {
        let screen = pty.wait_for("the next item", |s| {
            s.contains(&format!("{done} done this session"))
                && SCRIPTS.iter().any(|c| s.contains(&format!("item {} ", c.id)))
        });
        let script = SCRIPTS.iter().find(|c| screen.contains(&format!("item {} ", c.id))).unwrap();
        for key in script.keys {
            pty.send(key);
        }
        order.push(script);
        keys_per_entity.push((script.id.to_string(), script.keys.len() as f64 / script.entities as f64));
    }
    pty.wait_for("the end of the items", |s| s.contains("Nothing left to label") && s.contains("3 done"));
    // Undo: the last item comes back with its spans; undo again takes back its last span change (when it
    // had one: with none, undo would take back the item before it).
    let last = order[2];
    pty.send("u");
    pty.wait_for("the last item back", |s| s.contains(&format!("item {} ", last.id)) && s.contains("2 done"));
    if last.after_undo != last.spans {
        pty.send("u");
        pty.wait_for("the span change taken back", |s| s.contains("took back the last change"));
    }
    pty.send("\r");
    pty.wait_for("the item saved again", |s| s.contains("Nothing left to label") && s.contains("3 done"));
    pty.send("q");
    assert!(pty.wait_exit().success());
    assert!(pty.restored());

    let conn = Connection::open(sandbox.join("p/margin.db")).unwrap();
    for script in &SCRIPTS {
        let given = labels_of(&conn, script.id);
        let spans: Vec<String> = script.spans.iter().map(|s| s.to_string()).collect();
        let after: Vec<String> = script.after_undo.iter().map(|s| s.to_string()).collect();
        if script.id == last.id {
            assert_eq!(given, [spans, after], "{}: saved, undone, saved again", script.id);
        } else {
            assert_eq!(given, [spans], "{}", script.id);
        }
    }
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM decisions ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "undo").count(), 1, "{actions:?}");
    // a1 was accepted as proposed; the others were corrected.
    let a1: String = conn
        .query_row(
            "SELECT d.action FROM decisions d JOIN items i ON i.id = d.item_id WHERE i.ext_id = 'a1' ORDER BY d.id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(a1, "accept");
    let events: i64 = conn
        .query_row("SELECT count(*) FROM events WHERE item_id IS NOT NULL AND kind = 'decision'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 5, "one audit event per decision and undo");
    let audit = sandbox.ok(&["--project", &project, "audit", "verify"]);
    assert!(audit.contains("audit trail holds"), "{audit}");
    let exported = sandbox.ok(&["--project", &project, "export", "--format", "spacy"]);
    assert!(exported.contains(r#""entities":[[0,8,"PER"],[17,22,"ORG"]]"#) || last.id == "a2", "{exported}");

    // Keys per entity: one when the proposal is right; the corrections as counted.
    let per = |id: &str| keys_per_entity.iter().find(|(i, _)| i == id).unwrap().1;
    assert_eq!(per("a1"), 1.0);
    assert_eq!(per("a2"), 3.0, "boundary and label fixes: 6 keys for 2 entities, Enter included");
    assert!((per("a3") - 8.0 / 3.0).abs() < 1e-9, "from nothing: 8 keys for 3 entities");
    eprintln!("keys per entity: {keys_per_entity:?}");
}

#[test]
fn two_people_s_spans_are_compared_exactly_and_by_overlap_and_bad_spans_are_refused() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "p", "--task", "spans", "--labels", "PER,LOC"]);
    let project = sandbox.join("p").display().to_string();
    sandbox.share_account(&project);
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\": \"t1\", \"text\": \"Angela Merkel visited Paris.\"}\n{\"id\": \"t2\", \"text\": \"Bo met Cy.\"}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);
    let decide = |who: &str, item: &str, spans: &str| {
        sandbox.ok(&["--project", &project, "decide", item, "--spans", spans, "--annotator", who])
    };
    // Ann and Bob agree on Paris; on Merkel Bob's span is one word short (overlapping, not exact).
    decide(common::ALICE, "t1", "0:13:PER,22:27:LOC");
    decide(common::BOB, "t1", "7:13:PER,22:27:LOC");
    decide(common::ALICE, "t2", "0:2:PER,7:9:PER");
    decide(common::BOB, "t2", "7:9:PER,0:2:PER");
    let people = sandbox.ok(&["--project", &project, "people", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&people).unwrap();
    let a = &json["span_agreement"];
    assert_eq!(a["texts"], 2);
    // Exact: Paris, Bo and Cy match (3 of 4 spans each): F1 = 2 x 3 / 8.
    assert_eq!(a["exact"]["overall"]["matched"], 3);
    assert_eq!(a["overlap"]["overall"]["matched"], 4, "Merkel's spans share characters");
    assert_eq!(a["exact"]["per_label"]["LOC"]["matched"], 1);
    let text = sandbox.ok(&["--project", &project, "people"]);
    assert!(text.contains("Span agreement between people on 2 texts"), "{text}");
    assert!(text.contains("0.75") && text.contains("1.00"), "exact 0.75, overlap 1.00:\n{text}");
    // t1 is disputed (their spans differ), t2 is settled (the same spans, given in another order).
    let items = sandbox.ok(&["--project", &project, "items", "--status", "disputed"]);
    assert!(items.contains("t1") && !items.contains("t2"), "{items}");
    // Bad spans are refused with what is wrong, and nothing is written.
    for (spans, says) in [
        ("0:5:PER", "cuts a word"),
        ("0:13:ORG", "not one of the project's labels"),
        ("0:13:PER,7:13:PER", "spans.overlap = true"),
        ("13:0:PER", "empty or backwards"),
        ("PER", "is not START:END:LABEL"),
    ] {
        let err = sandbox.fails(&["--project", &project, "decide", "t1", "--spans", spans]);
        assert!(err.contains(says), "{spans}: {err}");
    }
    let label = sandbox.fails(&["--project", &project, "decide", "t1", "--label", "PER"]);
    assert!(label.contains("--spans"), "{label}");
    // Re-labelling from the review would give the item a label name for its spans: refused.
    let relabel =
        sandbox.fails(&["--project", &project, "review", "--item", "t2", "--relabel", "PER", "--reason", "x", "--yes"]);
    assert!(relabel.contains("labels spans"), "{relabel}");
    // The expert sees the disagreement and rules with the item's spans; a label name is no ruling here.
    let cases = sandbox.ok(&["--project", &project, "triage", "list"]);
    assert!(cases.contains("t1"), "{cases}");
    let refused = sandbox.fails(&["--project", &project, "triage", "resolve", "t1", "--label", "PER"]);
    assert!(refused.contains("START:END:LABEL"), "{refused}");
    sandbox.ok(&[
        "--project",
        &project,
        "triage",
        "resolve",
        "t1",
        "--label",
        "0:13:PER",
        "--label",
        "22:27:LOC",
        "--rationale",
        "the whole name",
    ]);
    let exported = sandbox.ok(&["--project", &project, "export", "--format", "spacy"]);
    assert!(exported.contains(r#""entities":[[0,13,"PER"],[22,27,"LOC"]]"#), "{exported}");
}

#[test]
fn imported_spans_are_shown_to_be_corrected() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "p", "--task", "spans", "--labels", "PER,LOC"]);
    let project = sandbox.join("p").display().to_string();
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\": \"pre\", \"text\": \"Angela Merkel visited Paris.\", \"spans\": [{\"start\": 0, \"end\": 13, \"label\": \"PER\"}]}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);
    let mut command = sandbox.command(&["--project", &project, "annotate"]);
    command.env("NO_COLOR", "1");
    let mut pty = Pty::spawn(command, 80, 24);
    pty.wait_for("the imported spans", |s| {
        s.contains("[Angela Merkel]PER visited Paris.") && s.contains("as imported")
    });
    // Paris was missed: w w 2 (LOC is the second label), Enter.
    for key in ["\t", "w", "w", "2", "\r"] {
        pty.send(key);
    }
    pty.wait_for("the end", |s| s.contains("Nothing left to label"));
    pty.send("q");
    assert!(pty.wait_exit().success());
    let conn = Connection::open(sandbox.join("p/margin.db")).unwrap();
    assert_eq!(labels_of(&conn, "pre"), [vec!["0:13:PER".to_string(), "22:27:LOC".to_string()]]);
}
