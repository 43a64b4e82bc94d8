//! Store tests, each on a real SQLite file in a temporary directory.

use super::*;
use crate::domain::audit::event::{AuditEvent, Backup};
use crate::domain::audit::{EventRecord, GENESIS, chain_hash};
use crate::domain::{DecisionAction, ItemOutcome, ModelKind, NewItem, derived_item_id};

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::create(&dir.path().join("margin.db")).expect("create");
    (dir, store)
}

fn item(id: Option<&str>, text: &str, line: u64) -> NewItem {
    NewItem::new(id.map(str::to_string), text.to_string(), None, None, line)
}

/// Imports `items` and commits; returns each item's outcome.
fn import(store: &mut Store, items: &[NewItem]) -> Vec<AddOutcome> {
    let mut outcomes = Vec::new();
    store
        .import_items("test.jsonl", "jsonl", "tester", |sink| -> Result<ImportEnd> {
            for item in items {
                outcomes.push(sink.add(item)?);
            }
            Ok(ImportEnd::Commit { rejected: 0 })
        })
        .expect("import");
    outcomes
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |row| row.get(0)).expect("count")
}

/// A spam/ham model version trained `on` a source, having seen decisions up to `upto`.
fn spam_ham_model(trained_on: &str, upto: Option<i64>) -> NewModelVersion {
    NewModelVersion {
        kind: ModelKind::Linear,
        path: "models/m.onnx".into(),
        sha256: "x".into(),
        labels: vec!["spam".into(), "ham".into()],
        train_size: 1,
        metrics: "null".into(),
        trained_by: "t".into(),
        trained_on: trained_on.into(),
        decisions_upto: upto,
        data_as_of: None,
    }
}

#[test]
fn migrations_validate() {
    schema::migrations().validate().expect("migrations are valid");
}

#[test]
fn open_sets_wal_foreign_keys_and_the_latest_schema() {
    let (_dir, store) = temp_store();
    let mode: String = store.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(count(&store, "PRAGMA foreign_keys"), 1);
    assert_eq!(store.schema_version().unwrap(), schema::LATEST);
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_string()]);
}

#[test]
fn a_writer_waits_for_another_connections_write_lock() {
    let (dir, mut store) = temp_store();
    let path = dir.path().join("margin.db");
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let other = Store::open(&path).unwrap();
        other.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        other.conn.execute_batch("COMMIT").unwrap();
    });
    locked.recv().unwrap();
    // The lock is held for 200 ms: this import waits for it instead of failing with "database is locked".
    import(&mut store, &[item(None, "after the other writer", 1)]);
    holder.join().unwrap();
    assert_eq!(store.item_count().unwrap(), 1);
}

#[test]
fn reopening_keeps_data_and_version() {
    let (dir, mut store) = temp_store();
    import(&mut store, &[item(None, "kept", 1)]);
    drop(store);
    let store = Store::open(&dir.path().join("margin.db")).unwrap();
    assert_eq!(store.item_count().unwrap(), 1);
    assert_eq!(store.schema_version().unwrap(), schema::LATEST);
}

#[test]
fn a_database_from_a_newer_margin_is_refused() {
    let (dir, store) = temp_store();
    store.conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(store);
    match Store::open(&dir.path().join("margin.db")) {
        Err(StoreError::TooNew { found: 99, .. }) => {}
        other => panic!("expected TooNew, got {:?}", other.err()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("margin.db");
    std::fs::write(&path, "this is not SQLite, just text long enough to fill a header page....").unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[test]
fn only_create_makes_a_database_and_a_lost_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("margin.db");
    assert!(matches!(Store::open(&path), Err(StoreError::Missing(_))));
    assert!(!path.exists(), "open created a file");
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Empty(_))));
    assert!(matches!(Store::open_read_only(&path), Err(StoreError::Empty(_))));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "open wrote into the empty file");
    // Another program's SQLite file is not taken over either.
    std::fs::remove_file(&path).unwrap();
    rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::Empty(_))));
    assert!(matches!(Store::create(&path), Err(StoreError::Exists(_))));
    std::fs::remove_file(&path).unwrap();
    let mut store = Store::create(&path).unwrap();
    import(&mut store, &[item(None, "kept", 1)]);
    drop(store);
    assert!(matches!(Store::create(&path), Err(StoreError::Exists(_))));
    assert_eq!(Store::open(&path).unwrap().item_count().unwrap(), 1);
}

#[test]
fn a_backup_is_a_whole_checked_copy() {
    let (dir, mut store) = temp_store();
    import(&mut store, &[item(None, "one", 1), item(None, "two", 2)]);
    let copy = dir.path().join("copy.db");
    assert_eq!(store.backup_to(&copy).unwrap(), vec!["ok".to_string()]);
    let copied = Store::open(&copy).unwrap();
    assert_eq!(copied.item_count().unwrap(), 2);
    assert!(copied.verify_events().unwrap().broken.is_none());
}

#[test]
fn duplicates_are_skipped_within_and_across_imports() {
    let (_dir, mut store) = temp_store();
    let first = import(&mut store, &[item(None, "a", 1), item(Some("x"), "b", 2), item(None, "a", 3)]);
    assert_eq!(first[..2], [AddOutcome::Added, AddOutcome::Added]);
    let a_id = derived_item_id(crate::domain::content_key("a"));
    assert_eq!(first[2], AddOutcome::DuplicateText { existing_id: a_id });
    let second = import(&mut store, &[item(Some("y"), "b", 1), item(None, "c", 2)]);
    assert_eq!(second[0], AddOutcome::DuplicateText { existing_id: "x".into() });
    assert_eq!(second[1], AddOutcome::Added);
    assert_eq!(store.item_count().unwrap(), 3);
    assert_eq!(count(&store, "SELECT sum(duplicates) FROM imports"), 2);
}

#[test]
fn an_id_with_a_different_text_is_refused() {
    let (_dir, mut store) = temp_store();
    let outcomes = import(&mut store, &[item(Some("x"), "one", 1), item(Some("x"), "two", 2)]);
    assert_eq!(outcomes[1], AddOutcome::IdTaken { id: "x".into() });
    // A same-text duplicate whose id belongs to another item is an id clash too.
    let outcomes = import(&mut store, &[item(Some("z"), "three", 1), item(Some("z"), "one", 2)]);
    assert_eq!(outcomes[1], AddOutcome::IdTaken { id: "z".into() });
}

#[test]
fn explicit_ids_cannot_shadow_derived_ones_or_the_reverse() {
    let (_dir, mut store) = temp_store();
    let derived_of_a = derived_item_id(crate::domain::content_key("a"));
    let outcomes = import(&mut store, &[item(None, "a", 1), item(Some(&derived_of_a), "not a", 2)]);
    assert_eq!(outcomes[1], AddOutcome::IdTaken { id: derived_of_a });

    let derived_of_b = derived_item_id(crate::domain::content_key("b"));
    let outcomes = import(&mut store, &[item(Some(&derived_of_b), "c", 1), item(None, "b", 2)]);
    assert_eq!(outcomes, vec![AddOutcome::Added, AddOutcome::IdTaken { id: derived_of_b }]);
}

#[test]
fn a_rolled_back_import_leaves_nothing() {
    let (_dir, mut store) = temp_store();
    let counts = store
        .import_items("bad.jsonl", "jsonl", "tester", |sink| -> Result<ImportEnd> {
            sink.add(&item(None, "a", 1))?;
            Ok(ImportEnd::RollBack)
        })
        .unwrap();
    assert_eq!(counts.added, 1);
    assert_eq!(store.item_count().unwrap(), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM imports"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 0);
}

#[test]
fn decisions_undo_and_escalations() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1), item(None, "b", 2)]);
    let labels = vec!["ham".to_string(), "spam".to_string()];

    let accept =
        NewDecision { labels: Some(vec!["spam".into()]), ..NewDecision::new(1, "ann", DecisionAction::Accept) };
    let accepted = store.record_decision(&accept).unwrap();
    let status = store.status(&labels).unwrap();
    assert_eq!((status.decided, status.pending), (1, 1));
    assert_eq!(status.labels[1], LabelCount { label: "spam".into(), count: 1 });

    let undo = NewDecision { undoes: Some(accepted), ..NewDecision::new(1, "ann", DecisionAction::Undo) };
    store.record_decision(&undo).unwrap();
    assert_eq!(store.status(&labels).unwrap().decided, 0);
    assert!(store.record_decision(&undo).is_err(), "an undone decision cannot be undone twice");

    let escalate = NewDecision {
        reason: Some("unclear guideline".into()),
        ..NewDecision::new(2, "ann", DecisionAction::Escalate)
    };
    let escalated = store.record_decision(&escalate).unwrap();
    assert_eq!(store.status(&labels).unwrap().escalated, 1);
    let undo = NewDecision { undoes: Some(escalated), ..NewDecision::new(2, "ann", DecisionAction::Undo) };
    store.record_decision(&undo).unwrap();
    assert_eq!(store.status(&labels).unwrap().escalated, 0);
    assert_eq!(count(&store, "SELECT count(*) FROM escalations WHERE closed_as = 'undone'"), 1);

    store.record_decision(&escalate).unwrap();
    let resolve =
        NewDecision { labels: Some(vec!["ham".into()]), ..NewDecision::new(2, "expert", DecisionAction::Resolve) };
    store.record_decision(&resolve).unwrap();
    let status = store.status(&labels).unwrap();
    assert_eq!((status.escalated, status.decided), (0, 1));
    assert_eq!(store.decisions_for(2).unwrap().len(), 4);
}

#[test]
fn badly_shaped_decisions_are_refused_and_leave_nothing() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1)]);
    let cases = [
        NewDecision::new(1, "ann", DecisionAction::Accept),
        NewDecision { labels: Some(vec!["x".into()]), ..NewDecision::new(1, "ann", DecisionAction::Skip) },
        NewDecision::new(1, "ann", DecisionAction::Escalate),
        NewDecision::new(1, "ann", DecisionAction::Undo),
        NewDecision { undoes: Some(12345), ..NewDecision::new(1, "ann", DecisionAction::Undo) },
    ];
    for case in &cases {
        assert!(matches!(store.record_decision(case), Err(StoreError::Rejected(_))), "{case:?}");
    }
    let missing = NewDecision::new(99, "ann", DecisionAction::Skip);
    assert!(matches!(store.record_decision(&missing), Err(StoreError::NoSuchItem(99))));
    assert_eq!(count(&store, "SELECT count(*) FROM decisions"), 0);
}

#[test]
fn decisions_and_events_cannot_be_edited_or_deleted() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1)]);
    store.record_decision(&NewDecision::new(1, "ann", DecisionAction::Skip)).unwrap();
    for sql in [
        "UPDATE decisions SET annotator = 'mallory'",
        "DELETE FROM decisions",
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
    ] {
        let err = store.conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn events_form_a_hash_chain() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1)]);
    store.record_decision(&NewDecision::new(1, "ann", DecisionAction::Skip)).unwrap();
    store.log_event("ann", &AuditEvent::Backup(Backup { to: "b.db".into(), bytes: 1 })).unwrap();
    let mut stmt = store
        .conn
        .prepare("SELECT seq, at_ms, actor, kind, item_id, payload, prev_hash, hash FROM events ORDER BY seq")
        .unwrap();
    type Row = (i64, i64, String, String, Option<i64>, String, Vec<u8>, Vec<u8>);
    let rows: Vec<Row> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.3.as_str()).collect::<Vec<_>>(), ["import", "decision", "backup"]);
    let mut prev = GENESIS;
    for (seq, at_ms, actor, kind, item_id, payload, prev_hash, hash) in &rows {
        assert_eq!(prev_hash.as_slice(), prev.as_slice(), "event {seq} links to the one before");
        let record = EventRecord { seq: *seq, at_ms: *at_ms, actor, kind, item_id: *item_id, payload };
        prev = chain_hash(&prev, &record);
        assert_eq!(hash.as_slice(), prev.as_slice(), "event {seq} hash");
    }
}

#[test]
fn walking_items_gives_each_its_own_decisions_in_order() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1), item(Some("b-id"), "b", 2), item(None, "c", 3)]);
    let spam = || Some(vec!["spam".to_string()]);
    store
        .record_decision(&NewDecision { labels: spam(), ..NewDecision::new(3, "ann", DecisionAction::Accept) })
        .unwrap();
    store.record_decision(&NewDecision::new(1, "ann", DecisionAction::Skip)).unwrap();
    store
        .record_decision(&NewDecision { labels: spam(), ..NewDecision::new(3, "bob", DecisionAction::Accept) })
        .unwrap();
    let mut seen = Vec::new();
    store
        .for_each_item(None, |view| -> Result<()> {
            let who: Vec<&str> = view.decisions.iter().map(|d| d.annotator.as_str()).collect();
            seen.push((view.item.ext_id.clone(), who.join(","), view.outcome.clone()));
            Ok(())
        })
        .unwrap();
    assert_eq!(seen[0].1, "ann");
    assert_eq!(seen[0].2, ItemOutcome::Pending);
    assert_eq!(seen[1], ("b-id".to_string(), String::new(), ItemOutcome::Pending));
    assert_eq!(seen[2].1, "ann,bob");
    assert_eq!(seen[2].2, ItemOutcome::Decided { labels: vec!["spam".into()] });
}

#[test]
fn pruning_keeps_files_that_a_kept_version_shares() {
    let (_dir, mut store) = temp_store();
    let version = |path: &str| NewModelVersion {
        kind: ModelKind::Linear,
        path: path.into(),
        sha256: "x".into(),
        labels: vec!["a".into(), "b".into()],
        train_size: 1,
        metrics: "null".into(),
        trained_by: "t".into(),
        trained_on: "reference".into(),
        decisions_upto: None,
        data_as_of: None,
    };
    store.add_model(&version("models/same.onnx"), &[]).unwrap();
    store.add_model(&version("models/old.onnx"), &[version("models/old-c1.onnx")]).unwrap();
    store.add_model(&version("models/same.onnx"), &[]).unwrap();
    let pruned: Vec<String> = store.prune_models(1).unwrap().into_iter().map(|v| v.path).collect();
    assert_eq!(pruned, ["models/old.onnx", "models/old-c1.onnx"]);
    assert!(store.model_version(1).unwrap().pruned, "its row is pruned, its file stays");
    assert!(!store.model_version(4).unwrap().pruned);
    assert_eq!(store.current_model().unwrap().unwrap().id, 4);
}

#[test]
fn a_registered_model_becomes_current_only_when_made_so_and_counts_what_it_has_not_learned() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "one", 1), item(None, "two", 2), item(None, "three", 3)]);
    let labels = || Some(vec!["spam".to_string()]);
    let first =
        store.record_decision(&NewDecision { labels: labels(), ..NewDecision::new(1, "ann", DecisionAction::Correct) });
    let upto = store.last_decision_id().unwrap();
    assert_eq!(upto, first.unwrap());
    let model = spam_ham_model("decisions+reference", Some(upto));
    let id = store.register_model(&model, &[]).unwrap();
    assert_eq!(store.current_model().unwrap(), None, "registered, not current");
    assert_eq!(store.model_version(id).unwrap().decisions_upto, Some(upto));
    store.make_current(id, "t").unwrap();
    assert_eq!(store.current_model().unwrap().unwrap().id, id);
    assert_eq!(count(&store, "SELECT count(*) FROM events WHERE kind = 'current_model'"), 1);

    // Decisions since: all of people's count, and their labels and undos as labelling; the machine's
    // accepts do not count at all.
    assert_eq!(store.people_decisions_since(upto).unwrap(), DecisionsSince { all: 0, labelling: 0 });
    let second =
        store.record_decision(&NewDecision { labels: labels(), ..NewDecision::new(2, "ann", DecisionAction::Correct) });
    store.record_decision(&NewDecision::new(3, "ann", DecisionAction::Skip)).unwrap();
    store
        .record_decision(&NewDecision {
            labels: labels(),
            ..NewDecision::new(3, MACHINE, DecisionAction::MachineAccept)
        })
        .unwrap();
    store
        .record_decision(&NewDecision {
            undoes: Some(second.unwrap()),
            ..NewDecision::new(2, "ann", DecisionAction::Undo)
        })
        .unwrap();
    assert_eq!(store.people_decisions_since(upto).unwrap(), DecisionsSince { all: 3, labelling: 2 });
    assert_eq!(store.people_decisions_since(0).unwrap(), DecisionsSince { all: 4, labelling: 3 });
    // Undoing a skip changes no label: it counts as a decision, not as something to learn.
    let skipped = &store.decisions_for(3).unwrap()[0];
    assert_eq!(skipped.action, DecisionAction::Skip);
    let skip = skipped.id;
    store
        .record_decision(&NewDecision { undoes: Some(skip), ..NewDecision::new(3, "ann", DecisionAction::Undo) })
        .unwrap();
    assert_eq!(store.people_decisions_since(upto).unwrap(), DecisionsSince { all: 4, labelling: 2 });
}

#[test]
fn training_learns_from_people_and_reference_labels_never_from_the_machines_accepts() {
    let (_dir, mut store) = temp_store();
    let labelled = |text: &str, line| NewItem::new(None, text.into(), None, Some(vec!["ham".into()]), line);
    import(
        &mut store,
        &[item(None, "only the machine", 1), labelled("machine over a reference", 2), item(None, "person", 3)],
    );
    let labels = |l: &str| Some(vec![l.to_string()]);
    for id in [1, 2] {
        store
            .record_decision(&NewDecision {
                labels: labels("spam"),
                ..NewDecision::new(id, MACHINE, DecisionAction::MachineAccept)
            })
            .unwrap();
    }
    store
        .record_decision(&NewDecision { labels: labels("ham"), ..NewDecision::new(3, "ann", DecisionAction::Correct) })
        .unwrap();
    // A person overrules the machine on item 1: the person's label is what is learned, not a dispute.
    store
        .record_decision(&NewDecision { labels: labels("ham"), ..NewDecision::new(1, "ann", DecisionAction::Correct) })
        .unwrap();

    let learned = |store: &mut Store, source| -> Vec<(i64, Vec<String>)> {
        store.training_examples(source).unwrap().into_iter().map(|e| (e.item_id, e.labels)).collect()
    };
    let ham = vec!["ham".to_string()];
    assert_eq!(learned(&mut store, LabelSource::Decisions), vec![(1, ham.clone()), (3, ham.clone())]);
    assert_eq!(
        learned(&mut store, LabelSource::Combined),
        vec![(1, ham.clone()), (2, ham.clone()), (3, ham.clone())],
        "item 2 keeps its reference label though the machine accepted another"
    );
}

#[test]
fn machine_accepts_commit_in_chunks_so_a_person_can_decide_in_between() {
    let (dir, mut store) = temp_store();
    let texts: Vec<NewItem> = (1..=5).map(|i| item(None, &format!("item {i}"), i)).collect();
    import(&mut store, &texts);
    let accepts: Vec<MachineAccept> =
        (1..=5).map(|item_id| MachineAccept { item_id, labels: vec!["spam".into()], confidence: 0.99 }).collect();
    let model = spam_ham_model("reference", None);
    let model = store.register_model(&model, &[]).unwrap();
    let mut person = Store::open(&dir.path().join("margin.db")).unwrap();
    // No waiting: a write fails at once if the machine still held the write lock.
    person.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let mut between = Vec::new();
    let recorded = store
        .record_machine_accepts_in_chunks(model, &accepts, 2, &mut || {
            let done = person.record_decision(&NewDecision {
                labels: Some(vec!["ham".into()]),
                ..NewDecision::new(5, "ann", DecisionAction::Correct)
            });
            between.push(done.is_ok());
        })
        .unwrap();
    assert_eq!(between, vec![true, true], "the person decided between chunks without waiting");
    assert_eq!(recorded, 4, "item 5, decided by the person meanwhile, is left alone");
    assert_eq!(count(&store, "SELECT count(*) FROM decisions WHERE action = 'machine_accept'"), 4);
    assert_eq!(count(&store, "SELECT count(*) FROM decisions WHERE item_id = 5 AND annotator = 'margin'"), 0);
    assert!(store.verify_events().unwrap().broken.is_none(), "the audit chain holds across chunks");
}

#[test]
fn people_labels_and_what_the_model_learned_from_them() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "disputed", 1), item(None, "settled", 2), item(None, "after", 3)]);
    let label = |store: &mut Store, item: i64, who: &str, l: &str| {
        let d = NewDecision { labels: Some(vec![l.into()]), ..NewDecision::new(item, who, DecisionAction::Correct) };
        store.record_decision(&d).unwrap()
    };
    label(&mut store, 1, "ann", "spam");
    label(&mut store, 1, "bob", "ham");
    label(&mut store, 2, "ann", "spam");
    let upto = label(&mut store, 2, "ann", "ham");
    assert_eq!(store.model_learned().unwrap(), None, "no model yet");
    let model = spam_ham_model("decisions", Some(upto));
    store.add_model(&model, &[]).unwrap();
    label(&mut store, 3, "ann", "ham");

    let labels = store.people_labels().unwrap();
    let seen: Vec<(i64, &str, &str)> =
        labels.iter().map(|l| (l.item_id, l.annotator.as_str(), l.labels.as_str())).collect();
    assert_eq!(seen, vec![(1, "ann", "spam"), (1, "bob", "ham"), (2, "ann", "ham"), (3, "ann", "ham")]);
    let learned = store.model_learned().unwrap().expect("a model that learned from decisions");
    // Item 1 is disputed (not learned), item 2 is learned with ann's later label, item 3 came after.
    assert_eq!((learned.get("ann"), learned.get("bob")), (Some(&(1, 0)), None));
    let report = crate::domain::people::report(&store.tallies().unwrap(), Some(&learned));
    let ann = report.people.iter().find(|p| p.annotator == "ann").unwrap();
    assert_eq!((ann.labelled, ann.learned), (3, 1));
}

#[test]
fn the_current_model_never_moves_to_one_that_read_older_data() {
    let (_dir, mut store) = temp_store();
    let as_of = |seq| NewModelVersion { data_as_of: Some(seq), ..spam_ham_model("reference", None) };
    // Two trainings read their data in turn, with an event between them; the later one is current first.
    let first_read = store.last_event_seq().unwrap();
    store.log_event("t", &AuditEvent::Backup(Backup { to: "b.db".into(), bytes: 1 })).unwrap();
    let second_read = store.last_event_seq().unwrap();
    let older = store.register_model(&as_of(first_read), &[]).unwrap();
    let newer = store.add_model(&as_of(second_read), &[]).unwrap();
    match store.make_current(older, "t") {
        Err(StoreError::Superseded { version, current }) => assert_eq!((version, current), (older, newer)),
        other => panic!("the older model became current: {other:?}"),
    }
    assert_eq!(store.current_model().unwrap().unwrap().id, newer);
    // Same data, or newer: it moves.
    let same = store.register_model(&as_of(second_read), &[]).unwrap();
    store.make_current(same, "t").unwrap();
    // A model that did not learn from the project (brought by its admin) is taken as of now.
    let brought =
        store.add_model(&NewModelVersion { kind: ModelKind::External, ..spam_ham_model("external", None) }, &[]);
    assert_eq!(store.current_model().unwrap().unwrap().id, brought.unwrap());
}

#[test]
fn a_model_kind_this_margin_does_not_know_is_an_error() {
    let (_dir, mut store) = temp_store();
    let id = store.add_model(&spam_ham_model("reference", None), &[]).unwrap();
    store.conn.execute("UPDATE model_versions SET kind = 'transformer' WHERE id = ?1", [id]).unwrap();
    match store.current_model() {
        Err(e @ StoreError::UnknownModelKind { .. }) => {
            assert!(e.to_string().contains("\"transformer\""), "{e}");
        }
        other => panic!("read as a model: {other:?}"),
    }
}

#[test]
fn a_replacing_decision_records_what_it_replaces() {
    let (_dir, mut store) = temp_store();
    import(&mut store, &[item(None, "a", 1)]);
    let labelled = |label: &str| NewDecision {
        labels: Some(vec![label.to_string()]),
        ..NewDecision::new(1, "ann", DecisionAction::Correct)
    };
    store.record_decision(&labelled("spam")).unwrap();
    store.record_decision(&labelled("ham")).unwrap();
    let payloads: Vec<(String, String)> = store
        .conn
        .prepare("SELECT kind, payload FROM events WHERE item_id = 1 ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let decision = |json: &str| ("decision".to_string(), json.to_string());
    assert_eq!(
        payloads,
        [
            decision(
                r#"{"decision_id":1,"action":"correct","labels":["spam"],"reason":null,"note":null,"undoes":null,"model":null}"#
            ),
            decision(
                r#"{"decision_id":2,"action":"undo","labels":null,"reason":null,"note":"changed their mind: replaced by their next decision","undoes":1,"model":null}"#
            ),
            decision(
                r#"{"decision_id":3,"action":"correct","labels":["ham"],"reason":null,"note":null,"undoes":null,"model":null,"replaces":[1]}"#
            ),
        ]
    );
}
