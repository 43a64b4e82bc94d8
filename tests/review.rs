//! The review on real SQLite files: every filter finds what it says, pages follow on, the review index,
//! person labels and running tallies agree with what is worked out afresh from the decisions, full-text search (FTS5) finds words and takes
//! any input, a migrated database gets its index, and re-labelling 10,000 items is one transaction with
//! one audited ruling each. Then `margin review` itself: filters, JSON, history, the re-label prompt.

mod common;

use common::{Sandbox, me};
use margin::domain::agreement::{Coefficients, agreement};
use margin::domain::audit::event::SettingsRecorded;
use margin::domain::people;
use margin::domain::review::{ReviewFilter, ReviewStatus, review_state};
use margin::domain::tally::{Counts, Days, StateFacts, item_tallies};
use margin::domain::{DecisionAction, ModelSnapshot, NewItem};
use margin::store::{ImportEnd, NewDecision, Store, StoreError};

fn store_with(dir: &std::path::Path, texts: &[String], meta: impl Fn(usize) -> Option<String>) -> Store {
    let mut store = Store::create(&dir.join("margin.db")).expect("store");
    store
        .import_items("items", "jsonl", "test", |sink| -> Result<ImportEnd, StoreError> {
            for (i, text) in texts.iter().enumerate() {
                sink.add(&NewItem::new(None, text.clone(), meta(i), None, i as u64 + 1))?;
            }
            Ok(ImportEnd::Commit { rejected: 0 })
        })
        .expect("import");
    // A model version for the decisions' snapshots to name.
    let model = margin::store::NewModelVersion {
        kind: margin::domain::ModelKind::Linear,
        path: "models/1.onnx".into(),
        sha256: "00".into(),
        labels: vec!["spam".into(), "ham".into()],
        train_size: 0,
        metrics: "{}".into(),
        trained_by: "test".into(),
        trained_on: "decisions".into(),
        decisions_upto: None,
        data_as_of: None,
    };
    store.add_model(&model, &[]).expect("model");
    store
}

fn decide(store: &mut Store, item: i64, who: &str, label: &str, model: Option<(&str, f64)>) -> i64 {
    let model = model.map(|(p, c)| ModelSnapshot { version: 1, predicted: vec![p.to_string()], confidence: c });
    let action = match &model {
        Some(m) if m.predicted[0] == label => DecisionAction::Accept,
        _ => DecisionAction::Correct,
    };
    let d = NewDecision { labels: Some(vec![label.to_string()]), model, ..NewDecision::new(item, who, action) };
    store.record_decision(&d).unwrap()
}

fn ids(store: &mut Store, words: &str) -> Vec<i64> {
    let filter = ReviewFilter::parse(words).unwrap();
    let mut found: Vec<i64> = store.review_page(&filter, None, usize::MAX).unwrap().iter().map(|r| r.item_id).collect();
    found.sort();
    assert_eq!(store.review_count(&filter).unwrap(), found.len() as u64, "count and page agree for {words}");
    found
}

#[test]
fn every_filter_finds_what_it_says_and_pages_follow_on() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..40).map(|i| format!("message {i} about the meeting")).collect();
    let mut store =
        store_with(dir.path(), &texts, |i| Some(format!("{{\"source\":\"{}\",\"n\":{i}}}", ["web", "mail"][i % 2])));
    // 1-10: ann accepts spam at 90%; 11-15: ann corrects a 60% ham to spam; 16-20: ann says ham, bob spam.
    for item in 1..=10 {
        decide(&mut store, item, "ann", "spam", Some(("spam", 0.9)));
    }
    for item in 11..=15 {
        decide(&mut store, item, "ann", "spam", Some(("ham", 0.6)));
    }
    for item in 16..=20 {
        decide(&mut store, item, "ann", "ham", None);
        decide(&mut store, item, "bob", "spam", None);
    }
    // 21: escalated and open; 22: escalated, then ruled on; 23: skipped only; 24: labelled, then undone.
    let esc = |store: &mut Store, item| {
        store
            .record_decision(&NewDecision {
                reason: Some("unsure".into()),
                ..NewDecision::new(item, "bob", DecisionAction::Escalate)
            })
            .unwrap()
    };
    esc(&mut store, 21);
    esc(&mut store, 22);
    store
        .record_decision(&NewDecision {
            labels: Some(vec!["ham".into()]),
            ..NewDecision::new(22, "eve", DecisionAction::Resolve)
        })
        .unwrap();
    store.record_decision(&NewDecision::new(23, "bob", DecisionAction::Skip)).unwrap();
    let taken = decide(&mut store, 24, "bob", "ham", None);
    store
        .record_decision(&NewDecision { undoes: Some(taken), ..NewDecision::new(24, "bob", DecisionAction::Undo) })
        .unwrap();
    store.mark_gold(5, &["spam".to_string()], "eve", None).unwrap();

    let range = |a: i64, b: i64| (a..=b).collect::<Vec<i64>>();
    assert_eq!(ids(&mut store, ""), range(1, 24), "every item with decisions, none without");
    assert_eq!(ids(&mut store, "label=spam"), range(1, 15));
    assert_eq!(ids(&mut store, "label=ham"), vec![22]);
    assert_eq!(ids(&mut store, "person=bob"), [range(16, 24)].concat());
    assert_eq!(ids(&mut store, "person=bob status=disputed"), range(16, 20));
    assert_eq!(ids(&mut store, "status=escalated"), vec![21]);
    assert_eq!(ids(&mut store, "status=pending"), vec![23, 24], "a skip, and a label taken back");
    assert_eq!(ids(&mut store, "escalated"), vec![21, 22]);
    assert_eq!(ids(&mut store, "escalated=no status=decided").len(), 15);
    assert_eq!(ids(&mut store, "gold"), vec![5]);
    assert_eq!(ids(&mut store, "disagrees"), range(11, 15));
    assert_eq!(ids(&mut store, "confidence=0.5-0.7"), range(11, 15));
    assert_eq!(ids(&mut store, "confidence=0.85"), range(1, 10));
    assert_eq!(ids(&mut store, "meta.source=web label=spam"), vec![1, 3, 5, 7, 9, 11, 13, 15]);
    assert_eq!(ids(&mut store, "meta.n=7"), vec![8], "numbers compare as text");
    assert_eq!(ids(&mut store, "meta.nothing=x"), Vec::<i64>::new());
    let today = margin::domain::review::day_of(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    );
    assert_eq!(ids(&mut store, &format!("since={today} until={today}")).len(), 24);
    assert_eq!(ids(&mut store, "until=2020-01-01"), Vec::<i64>::new());

    // Newest decision first, and pages follow on without gap or overlap.
    let all = ReviewFilter::default();
    let first = store.review_page(&all, None, 10).unwrap();
    assert_eq!(first[0].item_id, 24, "the undo was the latest decision");
    assert!(first.windows(2).all(|w| w[0].cursor() > w[1].cursor()));
    let mut seen: Vec<i64> = Vec::new();
    let mut before = None;
    loop {
        let page = store.review_page(&all, before, 7).unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.cursor());
        seen.extend(page.iter().map(|r| r.item_id));
    }
    seen.sort();
    assert_eq!(seen, range(1, 24));
    let row = store.review_rows(&[12]).unwrap().pop().unwrap();
    assert_eq!(
        (row.status, row.labels.clone(), row.predicted.clone()),
        (ReviewStatus::Decided, Some(vec!["spam".into()]), Some(vec!["ham".into()]))
    );
    assert!(row.disagrees && !row.gold && row.last_by == "ann");
}

#[test]
fn the_review_index_agrees_with_the_outcome_of_the_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..80).map(|i| format!("text {i}")).collect();
    let mut store = store_with(dir.path(), &texts, |_| None);
    // A fixed pseudo-random walk of labels, skips, escalations, rulings and undos by three people.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let people = ["ann", "bob", "cy"];
    let mut made: Vec<(i64, i64)> = Vec::new();
    for _ in 0..200 {
        let item = next(80) as i64 + 1;
        let who = people[next(3) as usize];
        let label = ["a", "b"][next(2) as usize];
        let d = match next(20) {
            0 => NewDecision::new(item, who, DecisionAction::Skip),
            1 => NewDecision { reason: Some("why".into()), ..NewDecision::new(item, who, DecisionAction::Escalate) },
            2 => NewDecision {
                labels: Some(vec![label.into()]),
                ..NewDecision::new(item, "eve", DecisionAction::Resolve)
            },
            6 => {
                store.send_back(item, "eve", Some("look again")).unwrap();
                continue;
            }
            7 => {
                store.mark_gold(item, &[label.to_string()], "eve", None).unwrap();
                continue;
            }
            8 | 9 => {
                let other = ["a", "b"][next(2) as usize];
                let model = Some(ModelSnapshot {
                    version: 1,
                    predicted: vec![other.into()],
                    confidence: next(101) as f64 / 100.0,
                });
                let action = if other == label { DecisionAction::Accept } else { DecisionAction::Correct };
                NewDecision { labels: Some(vec![label.into()]), model, ..NewDecision::new(item, who, action) }
            }
            3..=5 if !made.is_empty() => {
                let (item, target) = made.remove(next(made.len() as u64) as usize);
                NewDecision { undoes: Some(target), ..NewDecision::new(item, who, DecisionAction::Undo) }
            }
            _ => {
                NewDecision { labels: Some(vec![label.into()]), ..NewDecision::new(item, who, DecisionAction::Correct) }
            }
        };
        match store.record_decision(&d) {
            Ok(id) if d.action != DecisionAction::Undo => made.push((item, id)),
            Ok(_) | Err(StoreError::Rejected(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let mut expected = std::collections::BTreeMap::new();
    store
        .for_each_item(None, |view| -> Result<(), StoreError> {
            if !view.decisions.is_empty() {
                expected.insert(view.item.id, view.outcome.clone());
            }
            Ok(())
        })
        .unwrap();
    let rows = store.review_page(&ReviewFilter::default(), None, 100).unwrap();
    assert_eq!(rows.len(), expected.len());
    let mut kinds = std::collections::BTreeSet::new();
    for row in rows {
        let outcome = &expected[&row.item_id];
        assert_eq!(row.status.as_str(), outcome.as_str(), "item {}", row.item_id);
        assert_eq!(row.labels.as_deref(), outcome.labels(), "item {}", row.item_id);
        kinds.insert(outcome.as_str());
    }
    assert_eq!(kinds.len(), 4, "the walk reached every outcome: {kinds:?}");

    // The person labels and running tallies, kept decision by decision, equal those worked out afresh.
    check_tallies(&mut store);
    let tallies = store.tallies().unwrap();
    let report = people::report(&tallies, None);
    assert!(report.agreement.items > 10 && report.people.iter().all(|p| p.gold > 0), "{report:?}");
    // A label rename works the items out again under the new name.
    let settings = SettingsRecorded { changed: vec!["labels".into()], settings: serde_json::Map::new() };
    store.rename_label("a", "z", "eve", settings).unwrap();
    check_tallies(&mut store);
    assert!(!store.tallies().unwrap().0.keys().any(|k| [&k.a, &k.b, &k.c].iter().any(|v| *v == "a")), "no `a` left");
    // The migration that made them fills them again from the decisions.
    let path = dir.path().join("margin.db");
    let before = store.tallies().unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Back to version 14: without the tables and column of migration 15 (and the table of 16 after it).
    conn.execute_batch(
        "DROP TABLE span_predictions; DROP TABLE tallies; DROP TABLE person_labels;
         ALTER TABLE model_versions DROP COLUMN learned_by_person; PRAGMA user_version = 14;",
    )
    .unwrap();
    drop(conn);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.tallies().unwrap(), before);
    check_tallies(&mut store);
}

/// Checks the store's person labels against a query over every decision, and its tallies against those
/// worked out from each item's decisions; and that agreement from the tallies equals agreement from the
/// labels.
fn check_tallies(store: &mut Store) {
    let mut expected = Counts::default();
    store
        .for_each_item(None, |view| -> Result<(), StoreError> {
            let open = matches!(view.outcome, margin::domain::ItemOutcome::Escalated);
            let state = review_state(view.decisions, open).map(|s| StateFacts::of(&s));
            let gold = view.item.reference_labels.as_deref().filter(|_| view.item.gold);
            let people = margin::domain::person_label::person_labels_of(view.decisions, gold, margin::store::MACHINE);
            expected.merge(&item_tallies(state.as_ref(), &people), 1);
            Ok(())
        })
        .unwrap();
    assert_eq!(store.tallies().unwrap(), expected);
    let labels = store.people_labels().unwrap();
    let path = store.path().to_path_buf();
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT d.item_id, d.annotator, max(d.id) FROM decisions d
              WHERE d.action IN ('accept', 'correct', 'reject') AND d.labels IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)
              GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .unwrap();
    let brute: Vec<(i64, String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let kept: Vec<(i64, String, i64)> =
        labels.iter().map(|l| (l.item_id, l.annotator.clone(), l.decision_id)).collect();
    assert_eq!(kept, brute);
    let order: Vec<String> = ["a", "b", "z"].iter().map(|s| s.to_string()).collect();
    let mut by_item: std::collections::BTreeMap<i64, Vec<Vec<String>>> = Default::default();
    for l in &labels {
        by_item.entry(l.item_id).or_default().push(l.label_list());
    }
    let items: Vec<Vec<Vec<String>>> = by_item.into_values().collect();
    let tallies = store.tallies().unwrap();
    for multi in [false, true] {
        let from_labels = agreement(&items, &order, multi);
        let from_tallies = people::agreement_of(&tallies, &order, multi, Days::ALL);
        let close = |x: &Coefficients, y: &Coefficients| {
            x.items == y.items
                && [(x.alpha, y.alpha), (x.fleiss_kappa, y.fleiss_kappa)].iter().all(|(p, q)| match (p, q) {
                    (Some(p), Some(q)) => (p - q).abs() < 1e-12,
                    (p, q) => p == q,
                })
        };
        assert!(close(&from_labels.overall, &from_tallies.overall), "{from_labels:?} {from_tallies:?}");
        for ((_, x), (_, y)) in from_labels.per_label.iter().zip(&from_tallies.per_label) {
            assert!(close(x, y), "{x:?} {y:?}");
        }
    }
}

#[test]
fn text_search_finds_words_takes_any_input_and_sees_later_imports() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> =
        ["Free prize inside, call now", "Meeting moved to Tuesday", "Le café est fermé", "prizes for everyone"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let mut store = store_with(dir.path(), &texts, |_| None);
    for item in 1..=4 {
        decide(&mut store, item, "ann", "x", None);
    }
    assert_eq!(ids(&mut store, "text=prize"), vec![1]);
    assert_eq!(ids(&mut store, "text=prize*"), vec![1, 4], "a prefix");
    assert_eq!(ids(&mut store, "text=\"FREE call\""), vec![1], "every word, any case, any order");
    assert_eq!(ids(&mut store, "text=cafe"), vec![3], "accents folded");
    for hostile in ["\"", "NEAR(", "a OR", "*", "-x", "prize AND", "'; DROP TABLE items; --", "\u{0}"] {
        let filter = ReviewFilter { search: Some(hostile.to_string()), ..ReviewFilter::default() };
        store.review_page(&filter, None, 10).unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
    }
    // Items imported after the first search are found by the next one.
    store
        .import_items("more", "jsonl", "test", |sink| -> Result<ImportEnd, StoreError> {
            sink.add(&NewItem::new(None, "another prize draw".into(), None, None, 1))?;
            Ok(ImportEnd::Commit { rejected: 0 })
        })
        .unwrap();
    decide(&mut store, 5, "ann", "x", None);
    assert_eq!(ids(&mut store, "text=prize"), vec![1, 5]);
    assert_eq!(store.catch_up_search().unwrap(), 0, "nothing left to index");
}

#[test]
fn relabelling_ten_thousand_items_is_one_transaction_with_a_ruling_each_in_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> = (0..10_000).map(|i| format!("item {i}")).collect();
    let mut store = store_with(dir.path(), &texts, |_| None);
    let all: Vec<i64> = (1..=10_000).collect();
    let events_before = store.verify_events().unwrap().held;

    // One bad id at the end: nothing at all is written.
    let with_bad: Vec<i64> = all.iter().copied().chain([99_999]).collect();
    let failed = store.relabel(&with_bad, &["spam".to_string()], "eve", "bulk fix", None);
    assert!(matches!(failed, Err(StoreError::NoSuchItem(99_999))), "{failed:?}");
    assert_eq!(store.review_count(&ReviewFilter::default()).unwrap(), 0);
    assert_eq!(store.verify_events().unwrap().held, events_before);

    let done = store.relabel(&all, &["spam".to_string()], "eve", "bulk fix", Some("from the review")).unwrap();
    assert_eq!((done.changed, done.unchanged), (10_000, 0));
    let chain = store.verify_events().unwrap();
    assert!(chain.broken.is_none());
    assert_eq!(chain.held, events_before + 10_000, "one audit event per item");
    let d = store.decisions_for(1234).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].action, d[0].annotator.as_str(), d[0].reason.as_deref()),
        (DecisionAction::Resolve, "eve", Some("bulk fix"))
    );
    assert_eq!(ids(&mut store, "label=spam status=decided").len(), 10_000);
    // Many match: these walk the items newest first instead of starting from the matches.
    assert_eq!(ids(&mut store, "person=eve label=spam").len(), 10_000);
    assert_eq!(ids(&mut store, "person=eve text=item").len(), 10_000);
    assert_eq!(ids(&mut store, "person=eve text=1234"), vec![1235], "and a rare word among many");
    // The same again changes nothing and records nothing.
    let again = store.relabel(&all, &["spam".to_string()], "eve", "bulk fix", None).unwrap();
    assert_eq!((again.changed, again.unchanged), (0, 10_000));
    assert_eq!(store.verify_events().unwrap().held, events_before + 10_000);
}

#[test]
fn a_database_from_before_the_review_gets_its_index_filled_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("margin.db");
    {
        // The schema as of migration 13, straight from the migration files, with decisions in it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations");
        let mut files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.iter().take(13) {
            conn.execute_batch(&std::fs::read_to_string(file).unwrap()).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 13;
             INSERT INTO imports (id, source, format, imported_by, started_at_ms) VALUES (1, 'f', 'text', 'x', 0);
             INSERT INTO items (id, text, content_key, import_id, source_line) VALUES (1, 'one', 11, 1, 1), (2, 'two', 22, 1, 2);
             INSERT INTO decisions (item_id, annotator, action, labels, at_ms) VALUES (1, 'ann', 'correct', '[\"a\"]', 5);
             INSERT INTO decisions (item_id, annotator, action, labels, at_ms) VALUES (2, 'ann', 'correct', '[\"a\"]', 6);
             INSERT INTO decisions (item_id, annotator, action, labels, at_ms) VALUES (2, 'bob', 'correct', '[\"b\"]', 7);",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let rows = store.review_page(&ReviewFilter::default(), None, 10).unwrap();
    let got: Vec<(i64, &str, &str)> = rows.iter().map(|r| (r.item_id, r.status.as_str(), r.last_by.as_str())).collect();
    assert_eq!(got, vec![(2, "disputed", "bob"), (1, "decided", "ann")]);
    // And its person labels and tallies: item 2, labelled by two people who disagree.
    let report = people::report(&store.tallies().unwrap(), None);
    assert_eq!((report.agreement.items, report.agreement.pairs, report.agreement.agreed_pairs), (1, 1, 0));
    assert_eq!(
        report.people.iter().map(|p| (p.annotator.as_str(), p.labelled)).collect::<Vec<_>>(),
        [("ann", 2), ("bob", 1)]
    );
}

#[test]
fn margin_review_lists_filters_shows_history_and_asks_before_relabelling() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let items = sandbox.write("items.jsonl", "{\"id\":\"a1\",\"text\":\"win a free prize\",\"source\":\"web\"}\n{\"id\":\"a2\",\"text\":\"lunch at noon?\",\"source\":\"mail\"}\n{\"id\":\"a3\",\"text\":\"free lunch\",\"source\":\"web\"}\n");
    sandbox.ok(&["--project", &project, "import", &items]);
    for (id, label) in [("a1", "spam"), ("a2", "ham"), ("a3", "ham")] {
        sandbox.ok(&["--project", &project, "decide", id, "--label", label]);
    }
    let json = sandbox.ok(&[
        "--project",
        &project,
        "review",
        "--filter",
        "label=ham",
        "--filter",
        "meta.source=web",
        "--json",
    ]);
    let rows: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(
        (rows[0]["id"].as_str(), rows[0]["status"].as_str(), rows[0]["last_by"].as_str()),
        (Some("a3"), Some("decided"), Some(me().as_str()))
    );
    assert!(sandbox.ok(&["--project", &project, "review", "--search", "free"]).contains("a1"));
    assert_eq!(sandbox.ok(&["--project", &project, "review", "--count", "--search", "free"]).trim(), "2");
    let err = sandbox.fails(&["--project", &project, "review", "--filter", "label=eggs"]);
    assert!(err.contains("label=eggs") && err.contains("spam, ham"), "{err}");
    let err = sandbox.fails(&["--project", &project, "review", "--filter", "colour=red"]);
    assert!(err.contains("unknown filter"), "{err}");

    // Re-labelling: a reason is required, and without a terminal to ask on, --yes.
    let err = sandbox.fails(&["--project", &project, "review", "--search", "lunch", "--relabel", "spam"]);
    assert!(err.contains("--reason"), "{err}");
    let err = sandbox.fails(&[
        "--project",
        &project,
        "review",
        "--search",
        "lunch",
        "--relabel",
        "spam",
        "--reason",
        "policy",
    ]);
    assert!(err.contains("Re-label 2 items") && err.contains("--yes"), "{err}");
    let out = sandbox.ok(&[
        "--project",
        &project,
        "review",
        "--search",
        "lunch",
        "--relabel",
        "spam",
        "--reason",
        "policy",
        "--yes",
    ]);
    assert!(out.contains("Re-labelled 2 items as spam"), "{out}");
    let history = sandbox.ok(&["--project", &project, "review", "--item", "a3"]);
    assert!(history.contains("correct ham") && history.contains("resolve spam; reason: policy"), "{history}");
    assert!(history.contains("Now: decided spam"), "{history}");
    let audit = sandbox.ok(&["--project", &project, "audit", "verify"]);
    assert!(audit.contains("audit trail holds"), "{audit}");
    // A renamed label is found under its new name.
    sandbox.ok(&["--project", &project, "labels", "rename", "spam", "junk"]);
    assert_eq!(sandbox.ok(&["--project", &project, "review", "--count", "--filter", "label=junk"]).trim(), "3");
    assert!(sandbox.fails(&["--project", &project, "review", "--filter", "label=spam"]).contains("label=spam"));
}

#[test]
fn the_review_screen_filters_opens_a_history_and_relabels_through_a_real_terminal() {
    use common::pty::Pty;
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let mut items = String::new();
    for i in 0..12 {
        items += &format!("{{\"id\":\"m{i:02}\",\"text\":\"message {i} about {}\"}}\n", ["lunch", "prizes"][i % 2]);
    }
    sandbox.ok(&["--project", &project, "import", &sandbox.write("items.jsonl", items)]);
    for i in 0..12 {
        sandbox.ok(&["--project", &project, "decide", &format!("m{i:02}"), "--label", ["ham", "spam"][i % 2]]);
    }
    sandbox.set(&project, &[("model.encoder", toml::Value::String("none".into()))]);
    let mut pty = Pty::spawn(sandbox.command(&["--project", &project, "review"]), 80, 24);
    pty.wait_for("the list", |s| s.contains("of 12 items"));
    pty.send("f");
    pty.send("label=spam");
    pty.send("\r");
    pty.wait_for("the filtered list", |s| s.contains("of 6 items") && s.contains("filter: label=spam"));
    pty.send("/");
    pty.send("prizes");
    pty.send("\r");
    pty.wait_for("the search", |s| s.contains("text: prizes") && s.contains("of 6 items"));
    // The newest first: m11's history, then re-label it as ham with a reason.
    pty.send("\r");
    let history = pty.wait_for("the history", |s| s.contains("history of m11") && s.contains("correct spam"));
    assert!(history.contains("message 11 about prizes"), "{history}");
    pty.send("\x1b");
    pty.wait_for("the history to close", |s| !s.contains("history of"));
    pty.send("l");
    pty.wait_for("the labels", |s| s.contains("re-label item m11"));
    pty.send("2");
    pty.send("not a prize");
    pty.wait_for("the reason", |s| s.contains("why re-label m11 as ham: not a prize_"));
    pty.send("\r");
    pty.wait_for("the save and the reload", |s| s.contains("Re-labelled 1 item as ham") && s.contains("of 5 items"));
    pty.send("q");
    assert!(pty.wait_exit().success());
    let history = sandbox.ok(&["--project", &project, "review", "--item", "m11"]);
    assert!(history.contains("resolve ham; reason: not a prize") && history.contains("Now: decided ham"), "{history}");
    let audit = sandbox.ok(&["--project", &project, "audit", "verify"]);
    assert!(audit.contains("audit trail holds"), "{audit}");
}

#[test]
fn search_by_meaning_ranks_the_filtered_items_with_the_real_encoder() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "pets,money");
    let texts = [
        "my dog chased a cat",
        "the bank raised its rate",
        "a kitten slept all day",
        "stocks fell sharply",
        "the puppy wants a walk",
        "interest on the loan went up",
    ];
    let lines: String = texts.iter().map(|t| format!("{}\n", serde_json::json!({ "text": t }))).collect();
    sandbox.ok(&["--project", &project, "import", &sandbox.write("items.jsonl", lines)]);
    let listed = sandbox.ok(&["--project", &project, "items", "--json"]);
    for (i, line) in listed.lines().enumerate() {
        let id: serde_json::Value = serde_json::from_str(line).unwrap();
        sandbox.ok(&["--project", &project, "decide", id["id"].as_str().unwrap(), "--label", ["pets", "money"][i % 2]]);
    }
    let err = sandbox.fails(&["--project", &project, "review", "--like", "a young dog"]);
    assert!(err.contains("margin embed"), "{err}");
    sandbox.ok(&["--project", &project, "embed"]);
    let out = sandbox.ok(&["--project", &project, "review", "--like", "a young dog", "--limit", "3", "--json"]);
    let found: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found.len(), 3, "{out}");
    assert!(found[..2].iter().all(|t| t.contains("dog") || t.contains("puppy")), "closest first: {found:?}");
    // The filters narrow what is ranked.
    let out =
        sandbox.ok(&["--project", &project, "review", "--like", "a young dog", "--filter", "label=money", "--json"]);
    assert!(out.lines().count() == 3 && !out.contains("dog"), "{out}");
}
