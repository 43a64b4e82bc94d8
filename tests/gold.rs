//! The gold-accuracy alert on a real SQLite file: a person whose gold checks fall below
//! `quality.gold_alert` over `gold_window` answers has their labels from then on put in the experts'
//! triage (kept, never dropped); someone who answers gold rightly is left alone. And through the real
//! screen: a missed gold check is said at once, `g` opens its label's guidelines, and the alert fires.

mod common;

use common::Sandbox;
use common::pty::Pty;
use margin::domain::triage::CaseKind;
use margin::domain::{DecisionAction, NewItem};
use margin::store::{ImportEnd, NewDecision, Store};

fn store_with_items(dir: &std::path::Path, n: usize) -> Store {
    let mut store = Store::create(&dir.join("margin.db")).expect("store");
    store
        .import_items("items", "text", "test", |sink| -> Result<ImportEnd, margin::store::StoreError> {
            for i in 0..n {
                sink.add(&NewItem::new(None, format!("item number {i}"), None, None, i as u64 + 1))?;
            }
            Ok(ImportEnd::Commit { rejected: 0 })
        })
        .expect("import");
    store
}

fn label(store: &mut Store, item: i64, who: &str, label: &str) {
    let labels = Some(vec![label.to_string()]);
    store.record_decision(&NewDecision { labels, ..NewDecision::new(item, who, DecisionAction::Correct) }).unwrap();
}

#[test]
fn labels_after_gold_accuracy_falls_go_to_triage_and_good_answers_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), 40);
    let names = vec!["a".to_string(), "b".to_string()];
    for gold in 1..=10 {
        store.mark_gold(gold, &["a".to_string()], "expert", None).unwrap();
    }
    // ann labels item 11, then answers ten gold checks, four of them wrongly (60% < 70%), then labels
    // items 12-14. bob answers every gold check rightly and labels items 20-22.
    label(&mut store, 11, "ann", "a");
    for gold in 1..=10 {
        label(&mut store, gold, "ann", if gold % 5 < 2 { "b" } else { "a" });
        label(&mut store, gold, "bob", "a");
    }
    for item in 12..=14 {
        label(&mut store, item, "ann", "b");
    }
    for item in 20..=22 {
        label(&mut store, item, "bob", "b");
    }
    let alerted = |store: &Store, rule: (f64, usize)| -> Vec<i64> {
        let cases = store.triage_cases(&names, 0.9, rule).unwrap();
        cases.iter().filter(|c| c.kinds.contains(&CaseKind::GoldAlert)).map(|c| c.item.id).collect()
    };
    assert_eq!(alerted(&store, (0.7, 10)), vec![12, 13, 14], "ann's labels from her first gold check on");
    let case = store.triage_cases(&names, 0.9, (0.7, 10)).unwrap().into_iter().find(|c| c.item.id == 12).unwrap();
    let alert = case.gold_alert.expect("the alert says why");
    assert_eq!((alert.annotator.as_str(), alert.right, alert.of), ("ann", 6, 10));
    assert!(alert.describe().starts_with("ann got 6 of 10 gold checks right"), "{}", alert.describe());
    assert_eq!(alerted(&store, (0.5, 10)), Vec::<i64>::new(), "60% is not below 50%");
    assert_eq!(alerted(&store, (0.0, 10)), Vec::<i64>::new(), "the alert off");
    // An expert's ruling settles a flagged item; the others stay.
    store
        .record_decision(&NewDecision {
            labels: Some(vec!["a".to_string()]),
            ..NewDecision::new(13, "expert", DecisionAction::Resolve)
        })
        .unwrap();
    assert_eq!(alerted(&store, (0.7, 10)), vec![12, 14]);
}

#[test]
fn a_person_who_misses_gold_checks_is_told_on_the_screen_and_the_alert_fires() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let mut items = String::new();
    for i in 0..30 {
        items += &format!("{{\"id\":\"i{i:02}\",\"text\":\"message number {i} about the meeting\"}}\n");
    }
    sandbox.ok(&["import", &sandbox.write("items.jsonl", items), "--project", &project]);
    for i in 0..10 {
        let why = "it asks for money";
        sandbox.ok(&[
            "triage",
            "gold",
            &format!("i{i:02}"),
            "--label",
            "spam",
            "--rationale",
            why,
            "--project",
            &project,
        ]);
    }
    sandbox.set(
        &project,
        &[
            ("quality.gold_share", toml::Value::Float(0.5)),
            ("quality.gold_window", toml::Value::Integer(2)),
            ("quality.gold_alert", toml::Value::Float(0.9)),
            ("sampling.batch_size", toml::Value::Integer(10)),
            ("model.encoder", toml::Value::String("none".into())),
        ],
    );
    let mut pty = Pty::spawn(sandbox.command(&["annotate", "--project", &project]), 80, 24);
    pty.wait_for("the first item", |s| s.contains("item 1/10"));
    // Every item gets ham; the gold items are spam. The first miss is said on the next screen.
    let mut told = None;
    for n in 1..=10 {
        pty.send("2");
        let next = format!("item {}/10", n + 1);
        let s = pty.wait_for("the next item or the summary", |s| s.contains(&next) || s.contains("batch 1 done"));
        if s.contains("That was a gold check: it is spam") {
            told = Some(s);
            break;
        }
    }
    let told = told.expect("a missed gold check is said");
    assert!(told.contains("it is spam (g: its guidelines). Why: it asks for money."), "{told}");
    // g opens the guidelines at spam's section.
    pty.send("g");
    let guide = pty.wait_for("the guidelines", |s| s.contains("guidelines ─"));
    let first_text = guide.lines().nth(2).unwrap_or("").trim_matches(|c| c == '│' || c == ' ');
    assert_eq!(first_text, "spam", "{guide}");
    pty.send("\x1b");
    pty.wait_for("the guidelines to close", |s| !s.contains("guidelines ─"));
    // The rest of the batch, ham throughout.
    loop {
        let s = pty.contents();
        if s.contains("batch 1 done") {
            break;
        }
        let at = s.lines().next().unwrap_or("").to_string();
        pty.send("2");
        pty.wait_for("the decision", |now| now.lines().next() != Some(at.as_str()) || now.contains("batch 1 done"));
    }
    pty.send("q");
    assert!(pty.wait_exit().success());
    let cases = sandbox.ok(&["triage", "list", "--json", "--project", &project]);
    assert!(cases.contains("gold accuracy alert"), "the alert fired:\n{cases}");
    assert!(cases.contains("\"gold_alert\":{\"annotator\":"), "with whose labels and why:\n{cases}");
    let listed = sandbox.ok(&["triage", "list", "--project", &project]);
    assert!(listed.contains("got 0 of 2 gold checks right"), "{listed}");
    // margin people: every gold check missed, all of them this week.
    let people = sandbox.ok(&["people", "--project", &project]);
    let gold_row = people.lines().skip_while(|l| !l.starts_with("gold checks right")).nth(1).unwrap_or("").to_string();
    assert!(gold_row.starts_with(&common::me()) && gold_row.contains("0 of "), "{people}");
    let fields: Vec<&str> = gold_row.split_whitespace().collect();
    assert_eq!(fields[1..4], fields[4..7], "all time and the last 7 days alike: {people}");
}
