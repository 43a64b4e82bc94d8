//! The gold-accuracy alert on a real SQLite file: a person whose gold checks fall below
//! `quality.gold_alert` over `gold_window` answers has their labels from then on put in the experts'
//! triage (kept, never dropped); someone who answers gold rightly is left alone.

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
        store.mark_gold(gold, &["a".to_string()], "expert").unwrap();
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
