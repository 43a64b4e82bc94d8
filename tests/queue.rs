//! The queue's guarantees, on real SQLite files: property tests over random sequences of serving,
//! deciding, skipping, releasing and expiring, plus routing and reservations.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use margin::app::serve::next_batch;
use margin::config::ProjectConfig;
use margin::domain::{DecisionAction, NewItem, TaskKind};
use margin::store::{ImportEnd, NewDecision, Store};
use proptest::prelude::*;

fn config(overlap: u32, batch: u32, seed: u64) -> ProjectConfig {
    let mut config = default_config();
    config.sampling.batch_size = batch;
    config.sampling.overlap = overlap;
    config.sampling.seed = seed;
    config
}

/// A new project's settings for labels a and b, as `margin init` writes them.
fn default_config() -> ProjectConfig {
    let text = ProjectConfig::render_new("q", TaskKind::SingleLabel, &["a".into(), "b".into()]);
    ProjectConfig::parse(&text, Path::new("margin.toml")).expect("config")
}

fn store_with_items(dir: &Path, n: usize) -> Store {
    let mut store = Store::create(&dir.join("margin.db")).expect("store");
    store
        .import_items("items", "text", "test", |sink| -> Result<ImportEnd, margin::store::StoreError> {
            for i in 0..n {
                sink.add(&NewItem::new(
                    None,
                    format!("item number {i} about {}", ["cats", "dogs", "cars"][i % 3]),
                    None,
                    None,
                    i as u64 + 1,
                ))?;
            }
            Ok(ImportEnd::Commit { rejected: 0 })
        })
        .expect("import");
    store
}

/// Distinct people who labelled each item (not undone), straight from the database.
fn labellers(store: &Store, dir: &Path) -> HashMap<i64, HashSet<String>> {
    let _ = store;
    let db = rusqlite::Connection::open(dir.join("margin.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT item_id, annotator FROM decisions d WHERE action IN ('accept','correct','reject','resolve','machine_accept')
             AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)",
        )
        .unwrap();
    let mut out: HashMap<i64, HashSet<String>> = HashMap::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (item, who) = row.unwrap();
        out.entry(item).or_default().insert(who);
    }
    out
}

/// Active reservations per item.
fn leases(dir: &Path) -> HashMap<i64, HashSet<String>> {
    let db = rusqlite::Connection::open(dir.join("margin.db")).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut stmt = db.prepare("SELECT item_id, annotator FROM leases WHERE expires_at_ms >= ?1").unwrap();
    let mut out: HashMap<i64, HashSet<String>> = HashMap::new();
    for row in stmt.query_map([now], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (item, who) = row.unwrap();
        out.entry(item).or_default().insert(who);
    }
    out
}

#[derive(Debug, Clone)]
enum Op {
    Next(usize),
    /// Annotator labels the k-th item reserved for them.
    Decide(usize, usize),
    Skip(usize, usize),
    Release(usize),
    /// Every reservation runs out.
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize).prop_map(Op::Next),
        6 => (0..3usize, 0..5usize).prop_map(|(a, k)| Op::Decide(a, k)),
        1 => (0..3usize, 0..5usize).prop_map(|(a, k)| Op::Skip(a, k)),
        1 => (0..3usize).prop_map(Op::Release),
        1 => Just(Op::Expire),
    ]
}

const PEOPLE: [&str; 3] = ["ann", "bob", "cy"];

/// Runs `ops` on a fresh project; checks the invariants after every step; returns every batch served.
fn run(ops: &[Op], items: usize, overlap: u32, seed: u64) -> Vec<Vec<i64>> {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), items);
    let config = config(overlap, 4, seed);
    let mut served_batches = Vec::new();
    for op in ops {
        match *op {
            Op::Next(a) => {
                let before = labellers(&store, dir.path());
                let held_before = leases(dir.path());
                let batch = next_batch(&mut store, &config, PEOPLE[a]).expect("next batch");
                let ids: Vec<i64> = batch.items.iter().map(|s| s.item.id).collect();
                if !batch.resumed {
                    for id in &ids {
                        let done = before.get(id).map_or(0, HashSet::len);
                        assert!(done < overlap as usize, "served item {id}, already labelled by {done}");
                        assert!(
                            !before.get(id).is_some_and(|w| w.contains(PEOPLE[a])),
                            "served {id} to someone who labelled it"
                        );
                    }
                    // Always serves while something is left for this person.
                    if ids.is_empty() {
                        let open = (1..=items as i64).any(|id| {
                            let done = before.get(&id).cloned().unwrap_or_default();
                            let held = held_before.get(&id).cloned().unwrap_or_default();
                            let mut people: HashSet<String> = done.union(&held).cloned().collect();
                            let mine = people.contains(PEOPLE[a]);
                            people.remove(PEOPLE[a]);
                            !mine && done.len() < overlap as usize && people.len() < overlap as usize
                        });
                        assert!(!open, "nothing served to {} although items are open", PEOPLE[a]);
                    }
                }
                served_batches.push(ids);
            }
            Op::Decide(a, k) | Op::Skip(a, k) => {
                let mine = store.leased_to(PEOPLE[a]).unwrap();
                if let Some(s) = mine.get(k) {
                    let decision = match op {
                        Op::Decide(..) => NewDecision {
                            labels: Some(vec![["a", "b"][k % 2].to_string()]),
                            ..NewDecision::new(s.item.id, PEOPLE[a], DecisionAction::Correct)
                        },
                        _ => NewDecision::new(s.item.id, PEOPLE[a], DecisionAction::Skip),
                    };
                    store.record_decision(&decision).unwrap();
                }
            }
            Op::Release(a) => {
                store.release_leases(PEOPLE[a]).unwrap();
            }
            Op::Expire => {
                let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
                db.execute("UPDATE leases SET expires_at_ms = 0", []).unwrap();
            }
        }
        // Never more people on an item than the overlap allows.
        let done = labellers(&store, dir.path());
        for (id, held) in leases(dir.path()) {
            let people: HashSet<&String> = held.iter().chain(done.get(&id).into_iter().flatten()).collect();
            assert!(people.len() <= overlap as usize, "item {id} is with {people:?} at overlap {overlap}");
        }
        for (id, who) in &done {
            assert!(who.len() <= overlap as usize, "item {id} labelled by {who:?} at overlap {overlap}");
        }
    }
    served_batches
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_queue_keeps_its_promises(ops in proptest::collection::vec(op(), 1..40), items in 1usize..16, overlap in 1u32..3) {
        run(&ops, items, overlap, 42);
    }

    #[test]
    fn the_same_seed_serves_the_same_items(ops in proptest::collection::vec(op(), 1..25), items in 1usize..16) {
        prop_assert_eq!(run(&ops, items, 1, 7), run(&ops, items, 1, 7));
    }
}

#[test]
fn a_batch_in_progress_is_resumed_and_expired_reservations_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), 10);
    let config = config(1, 4, 1);
    let first = next_batch(&mut store, &config, "ann").unwrap();
    assert_eq!(first.items.len(), 4);
    assert!(!first.resumed);
    let again = next_batch(&mut store, &config, "ann").unwrap();
    assert!(again.resumed);
    assert_eq!(
        again.items.iter().map(|s| s.item.id).collect::<Vec<_>>(),
        first.items.iter().map(|s| s.item.id).collect::<Vec<_>>()
    );
    let bob = next_batch(&mut store, &config, "bob").unwrap();
    let ann_ids: HashSet<i64> = first.items.iter().map(|s| s.item.id).collect();
    assert!(bob.items.iter().all(|s| !ann_ids.contains(&s.item.id)), "never the same item to two people");
    // ann's reservations lapse; cy can now be given them.
    let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
    db.execute("UPDATE leases SET expires_at_ms = 0 WHERE annotator = 'ann'", []).unwrap();
    let cy = next_batch(&mut store, &config, "cy").unwrap();
    let bob_ids: HashSet<i64> = bob.items.iter().map(|s| s.item.id).collect();
    assert_eq!(cy.items.len(), 4);
    assert!(cy.items.iter().all(|s| !bob_ids.contains(&s.item.id)));
    let from_ann = cy.items.iter().filter(|s| ann_ids.contains(&s.item.id)).count();
    assert!(from_ann >= 2, "only 2 items were never served, so ann's lapsed ones come back: {from_ann}");
}

#[test]
fn each_served_item_says_why_it_was_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), 30);
    let batch = next_batch(&mut store, &config(1, 10, 3), "ann").unwrap();
    assert!(batch.cold_start, "no model yet");
    assert_eq!(batch.items.iter().map(|s| s.rank).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    assert!(batch.items.iter().all(|s| matches!(s.why.as_str(), "diversity" | "random")));
    let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
    let recorded: i64 =
        db.query_row("SELECT count(*) FROM served WHERE reason IN ('diversity','random')", [], |r| r.get(0)).unwrap();
    assert_eq!(recorded, 10);
}

/// A store with `n` items scored by a registered model: item i's margin grows with i (item 1 is the most
/// uncertain).
fn scored_store(dir: &Path, n: usize) -> (Store, i64) {
    let mut store = store_with_items(dir, n);
    let model = store
        .add_model(
            &margin::store::NewModelVersion {
                kind: margin::domain::ModelKind::Linear,
                path: "models/m.onnx".into(),
                sha256: "0".repeat(64),
                labels: vec!["a".into(), "b".into()],
                train_size: 10,
                metrics: "null".into(),
                trained_by: "test".into(),
                trained_on: "reference".into(),
                decisions_upto: None,
                data_as_of: None,
            },
            &[],
        )
        .unwrap();
    let predictions: Vec<margin::domain::Prediction> = (1..=n as i64)
        .map(|item_id| {
            let m = item_id as f32 / (n as f32 + 1.0);
            let p = vec![0.5 + m / 2.0, 0.5 - m / 2.0];
            margin::domain::Prediction {
                item_id,
                uncertainty: margin::domain::uncertainty::single_label(&p),
                probabilities: p,
                vote_entropy: None,
                kl_divergence: None,
            }
        })
        .collect();
    store.write_predictions(model, &predictions).unwrap();
    (store, model)
}

/// The items of `batch` picked for `why`, in order.
fn picked(batch: &margin::app::serve::Batch, why: &str) -> Vec<i64> {
    batch.items.iter().filter(|s| s.why.as_str() == why).map(|s| s.item.id).collect()
}

/// The item ids a query on the project's database returns.
fn ids(db: &rusqlite::Connection, sql: &str, params: impl rusqlite::Params) -> HashSet<i64> {
    db.prepare(sql).unwrap().query_map(params, |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_big_pool_is_served_from_its_short_list_with_the_same_uncertain_picks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, model) = scored_store(dir.path(), 6000);
    let mut config = default_config();
    config.sampling.batch_size = 50;
    config.sampling.cold_start_per_label = 0;

    // Without a short list: the whole pool is read.
    let whole = next_batch(&mut store, &config, "first").unwrap();
    store.release_leases("first").unwrap();
    margin::app::serve::build_shortlist(&mut store, &config, model, 0).unwrap();
    let short = next_batch(&mut store, &config, "second").unwrap();
    assert_eq!(short.pool, whole.pool, "the pool's size is counted either way");

    assert_eq!(picked(&short, "margin"), picked(&whole, "margin"), "the short list holds the most uncertain items");
    assert_eq!(picked(&short, "margin"), (1..=35).collect::<Vec<i64>>());

    // Random picks come from the short list's uniform sample (from the whole pool they would land in it
    // one time in six).
    let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
    let sample = ids(&db, "SELECT item_id FROM shortlist WHERE random = 1", []);
    let random = picked(&short, "random");
    assert_eq!(random.len(), 5);
    assert!(random.iter().all(|id| sample.contains(id)), "{random:?}");

    // Once the short list runs low, the whole pool is read again: the next items by margin still come,
    // not the next ones the short list happens to hold (from 101 on).
    for s in &short.items {
        store
            .record_decision(&NewDecision {
                labels: Some(vec!["a".into()]),
                ..NewDecision::new(s.item.id, "second", DecisionAction::Correct)
            })
            .unwrap();
    }
    db.execute("DELETE FROM shortlist WHERE random = 0 AND (item_id BETWEEN 36 AND 100 OR item_id > 300)", []).unwrap();
    let after = next_batch(&mut store, &config, "second").unwrap();
    assert_eq!(picked(&after, "margin"), (36..=70).collect::<Vec<i64>>());
}

#[test]
fn with_routing_on_a_big_pool_is_routed_when_scored_and_served_from_its_short_list() {
    // Confidence is 0.5 + m / 2 with m = i / 6001: items up to 1,200 are below the expert threshold of
    // 0.6, items from 5,641 are at or above the auto-accept threshold of 0.97.
    let routed = |expert: f64| {
        let mut config = default_config();
        config.sampling.batch_size = 50;
        config.sampling.cold_start_per_label = 0;
        config.thresholds.expert = expert;
        config.thresholds.auto_accept_enabled = true;
        config
    };
    let config = routed(0.6);
    let machine_decisions = |dir: &Path| -> HashSet<i64> {
        let db = rusqlite::Connection::open(dir.join("margin.db")).unwrap();
        ids(&db, "SELECT item_id FROM decisions WHERE annotator = ?1", [margin::store::MACHINE])
    };

    // The reference: no short list, so the batch reads and routes the whole pool.
    let whole_dir = tempfile::tempdir().unwrap();
    let (mut whole_store, _) = scored_store(whole_dir.path(), 6000);
    let whole = next_batch(&mut whole_store, &config, "first").unwrap();
    assert_eq!(whole.for_experts, 1200);
    assert!(whole.machine_accepted > 300, "{}", whole.machine_accepted);

    // Keeping the short list routes the pool: the same items are accepted by the machine, then.
    let dir = tempfile::tempdir().unwrap();
    let (mut store, model) = scored_store(dir.path(), 6000);
    let accepted = margin::app::serve::build_shortlist(&mut store, &config, model, 0).unwrap();
    assert_eq!(accepted, whole.machine_accepted);
    assert_eq!(machine_decisions(dir.path()).len() as u64, accepted);
    assert!(machine_decisions(dir.path()).iter().all(|&id| id >= 5641));
    assert_eq!(machine_decisions(dir.path()), machine_decisions(whole_dir.path()));
    let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
    let listed: Vec<i64> = db
        .prepare("SELECT item_id FROM shortlist")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|&id| id > 1200), "nothing for experts is on the list");
    let accepted_ids = machine_decisions(dir.path());
    assert!(listed.iter().all(|id| !accepted_ids.contains(id)), "nothing the machine accepted is on the list");

    // A batch from the list: the same uncertain picks and expert count as from the whole pool, no
    // second round of machine accepts, and random picks from the list's sample.
    let short = next_batch(&mut store, &config, "second").unwrap();
    assert_eq!(picked(&short, "margin"), (1201..=1235).collect::<Vec<i64>>());
    assert_eq!(picked(&short, "margin"), picked(&whole, "margin"));
    assert_eq!((short.for_experts, short.machine_accepted), (1200, 0));
    let sample = ids(&db, "SELECT item_id FROM shortlist WHERE random = 1", []);
    let random = picked(&short, "random");
    assert_eq!(random.len(), 5);
    assert!(random.iter().all(|id| sample.contains(id)), "{random:?}");
    store.release_leases("second").unwrap();

    // Rules changed since the list was kept: it is not used, and the whole pool is routed anew.
    let lowered = routed(0.55);
    let after = next_batch(&mut store, &lowered, "second").unwrap();
    assert_eq!(after.for_experts, 600);
    assert_eq!(picked(&after, "margin"), (601..=635).collect::<Vec<i64>>());
}

/// Items that came with reference labels are served too by default; with `serve_reference_labelled =
/// false` (the demo's setting) they only train the model and people get the rest (issue 17).
#[test]
fn items_that_came_labelled_are_served_only_if_the_project_says_so() {
    let serve_all = |serve: bool| -> Vec<(i64, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("margin.db")).expect("store");
        store
            .import_items("items", "text", "test", |sink| -> Result<ImportEnd, margin::store::StoreError> {
                for i in 0..30 {
                    let labels = (i % 3 == 0).then(|| vec!["a".to_string()]);
                    sink.add(&NewItem::new(
                        None,
                        format!("item {i} about {}", ["cats", "dogs"][i % 2]),
                        None,
                        labels,
                        i as u64 + 1,
                    ))?;
                }
                Ok(ImportEnd::Commit { rejected: 0 })
            })
            .expect("import");
        let mut config = config(1, 30, 7);
        config.sampling.serve_reference_labelled = serve;
        let batch = next_batch(&mut store, &config, "ann").expect("a batch");
        batch.items.iter().map(|s| (s.item.id, s.item.reference_labels.is_some())).collect()
    };
    let everything = serve_all(true);
    assert_eq!(everything.len(), 30, "by default every item is served");
    let rest = serve_all(false);
    assert_eq!(rest.len(), 20, "the ten labelled items are not served");
    assert!(rest.iter().all(|(_, labelled)| !labelled), "{rest:?}");
}

#[test]
fn what_is_left_is_one_count_that_skips_and_resumes_do_not_change() {
    use margin::app::serve::left_now;
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), 20);
    let config = config(1, 5, 1);
    let decide = |store: &mut Store, item: i64, who: &str, action: DecisionAction| {
        let labels = (action != DecisionAction::Skip).then(|| vec!["a".to_string()]);
        store.record_decision(&NewDecision { labels, ..NewDecision::new(item, who, action) }).unwrap();
    };
    let first = next_batch(&mut store, &config, "ann").unwrap();
    assert_eq!((first.size, first.left), (5, 20), "nothing decided yet: all 20 are ann's to label");
    // bob holds 5 of them: ann cannot be served those.
    let bob = next_batch(&mut store, &config, "bob").unwrap();
    assert_eq!(bob.left, 15, "bob cannot be served ann's 5");
    assert_eq!(left_now(&mut store, &config, "ann").unwrap(), 15);
    decide(&mut store, first.items[0].item.id, "ann", DecisionAction::Accept);
    decide(&mut store, first.items[1].item.id, "ann", DecisionAction::Accept);
    decide(&mut store, first.items[2].item.id, "ann", DecisionAction::Skip);
    assert_eq!(left_now(&mut store, &config, "ann").unwrap(), 13, "two decided; the skipped one is still left");

    let resumed = next_batch(&mut store, &config, "ann").unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.items.len(), 2, "the two not reached (a skip gives the item back to the pool)");
    assert_eq!(resumed.size, 5, "a resumed batch knows how big it was");
    assert_eq!(resumed.left, 13, "resuming counts what is left as the status does, not 0");
    // bob's decision takes an item from the pool for everyone (overlap 1).
    decide(&mut store, bob.items[0].item.id, "bob", DecisionAction::Correct);
    assert_eq!(left_now(&mut store, &config, "ann").unwrap(), 13, "bob's items were never ann's to count");
    assert_eq!(left_now(&mut store, &config, "bob").unwrap(), 15, "20, less 3 decided and the 2 ann still holds");
}

#[test]
fn gold_checks_are_served_at_their_share_never_twice_to_a_person_and_only_as_checks() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_items(dir.path(), 3_000);
    for id in (1..=3_000).step_by(5) {
        store.mark_gold(id, &["a".to_string()], "expert", None).unwrap();
    }
    let mut config = config(1, 20, 7);
    config.quality.gold_share = 0.05;
    let people = ["ann", "bob", "cy", "dee"];
    let mut served = 0usize;
    'serving: loop {
        for who in people {
            let batch = next_batch(&mut store, &config, who).unwrap();
            assert!(!batch.items.is_empty());
            for s in &batch.items {
                let labels = Some(vec!["a".to_string()]);
                store
                    .record_decision(&NewDecision {
                        labels,
                        ..NewDecision::new(s.item.id, who, DecisionAction::Accept)
                    })
                    .unwrap();
            }
            served += batch.items.len();
            if served >= 2_000 {
                break 'serving;
            }
        }
    }
    let db = rusqlite::Connection::open(dir.path().join("margin.db")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    let gold = count("SELECT count(*) FROM served WHERE reason = 'gold'");
    let all = count("SELECT count(*) FROM served");
    eprintln!("{gold} gold checks of {all} served");
    // 5% of about 2,000 places: 100, binomial sd about 9.7; 4 sd either side.
    assert!((all - 2_000).abs() < 20, "{all} served");
    assert!((61..=139).contains(&gold), "{gold} gold checks of {all} served");
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT 1 FROM served WHERE reason = 'gold' GROUP BY annotator, item_id HAVING count(*) > 1)"
        ),
        0,
        "never the same gold item twice to a person"
    );
    assert_eq!(
        count("SELECT count(*) FROM served s JOIN items i ON i.id = s.item_id WHERE i.gold = 1 AND s.reason <> 'gold'"),
        0,
        "gold items come only as checks"
    );
    assert!(
        count(
            "SELECT count(*) FROM (SELECT item_id FROM served WHERE reason = 'gold' GROUP BY item_id HAVING count(*) > 1)"
        ) > 0
            || gold < 10,
        "a gold item already labelled goes on being served to others"
    );
    // Unannounced: the batch says 'random' wherever a person can see it.
    let batch = next_batch(&mut store, &config, "eve").unwrap();
    assert!(batch.items.iter().all(|s| s.why.shown().as_str() != "gold"));
}
