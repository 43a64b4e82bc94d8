//! The review screen's moves through `update`, with the effects they ask for.

use super::*;
use crate::domain::review::{ReviewRow, ReviewStatus};
use crate::tui::annotate::state::LabelView;
use crate::tui::keymap::Keymap;
use crate::tui::review::{PAGE, ReviewConfig};

pub(crate) fn row(n: i64) -> ReviewRow {
    ReviewRow {
        item_id: n,
        id: format!("item-{n}"),
        text: format!("text of item {n}"),
        status: ReviewStatus::Decided,
        labels: Some(vec!["spam".into()]),
        last_by: "ann".into(),
        last_at_ms: 1_790_000_000_000,
        predicted: Some(vec!["ham".into()]),
        confidence: Some(0.8),
        disagrees: true,
        gold: false,
        escalated: false,
        last_id: 1000 - n,
    }
}

pub(crate) fn app(can_relabel: bool) -> ReviewApp {
    let labels =
        ["spam", "ham"].iter().map(|l| LabelView { name: (*l).into(), display: (*l).into(), color: None }).collect();
    let config = ReviewConfig {
        project: "p".into(),
        reviewer: "eve".into(),
        labels,
        can_relabel,
        can_search_meaning: true,
        color: false,
        only_person: None,
    };
    let mut app = ReviewApp::new(config, Keymap::build(&[], &[None, None]).expect("keymap"), ReviewFilter::default());
    app.size = (100, 30);
    reload(&mut app);
    let q = app.query;
    update(&mut app, ReviewMsg::Page { query: q, rows: (1..=PAGE as i64).map(row).collect(), more: true });
    let q = app.query;
    update(&mut app, ReviewMsg::Count { query: q, count: 450 });
    app
}

fn press(app: &mut ReviewApp, keys: &str) -> Vec<ReviewEffect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        let key = match c {
            '\r' => Key::Enter,
            '\x1b' => Key::Esc,
            '\x7f' => Key::Backspace,
            c => Key::Char(c),
        };
        effects.extend(update(app, ReviewMsg::Key(key)));
    }
    effects
}

#[test]
fn a_filter_typed_reloads_from_the_first_page_and_old_answers_are_dropped() {
    let mut a = app(true);
    let old = a.query;
    let effects = press(&mut a, "flabel=ham disagrees\r");
    let filter = ReviewFilter::parse("label=ham disagrees").unwrap();
    assert_eq!(
        effects,
        vec![
            ReviewEffect::Load { query: old + 1, filter: filter.clone(), like: None, before: None },
            ReviewEffect::Count { query: old + 1, filter },
        ]
    );
    assert!(a.rows.is_empty() && a.loading);
    update(&mut a, ReviewMsg::Page { query: old, rows: vec![row(1)], more: false });
    assert!(a.rows.is_empty(), "a page for the old filter is dropped");
    update(&mut a, ReviewMsg::Page { query: old + 1, rows: vec![row(2)], more: false });
    assert_eq!(a.rows.len(), 1);
}

#[test]
fn a_bad_filter_says_why_and_keeps_what_was_typed() {
    let mut a = app(true);
    assert!(press(&mut a, "fcolour=red\r").is_empty());
    assert_eq!(a.mode, ReviewMode::Filter("colour=red".into()));
    assert!(a.message.as_ref().is_some_and(|m| m.error && m.text.contains("unknown filter")));
    press(&mut a, "\x1b");
    assert_eq!(a.mode, ReviewMode::Browse);
}

#[test]
fn a_search_keeps_the_filter_and_the_next_page_is_asked_for_near_the_end() {
    let mut a = app(true);
    press(&mut a, "flabel=spam\r");
    let q = a.query;
    update(&mut a, ReviewMsg::Page { query: q, rows: (1..=PAGE as i64).map(row).collect(), more: true });
    let effects = press(&mut a, "/free prize\r");
    let ReviewEffect::Load { filter, .. } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!((filter.labels.clone(), filter.search.as_deref()), (vec!["spam".to_string()], Some("free prize")));
    let q = a.query;
    update(&mut a, ReviewMsg::Page { query: q, rows: (1..=PAGE as i64).map(row).collect(), more: true });
    let mut asked = Vec::new();
    for _ in 0..PAGE {
        asked.extend(press(&mut a, "j"));
    }
    let last = a.rows.last().unwrap().cursor();
    assert_eq!(asked.len(), 1, "one page asked for, not one per key: {asked:?}");
    assert!(matches!(&asked[0], ReviewEffect::Load { before: Some(b), .. } if *b == last));
    assert_eq!(a.position, PAGE - 1, "the cursor stops at the last row it has");
}

#[test]
fn relabelling_one_item_takes_a_label_and_a_reason_and_reloads_once_saved() {
    let mut a = app(true);
    press(&mut a, "j");
    assert!(press(&mut a, "l2").is_empty());
    assert!(press(&mut a, "\r").is_empty(), "a reason is required");
    assert!(a.message.as_ref().unwrap().text.contains("Say why"));
    let effects = press(&mut a, "policy\r");
    assert_eq!(
        effects,
        vec![ReviewEffect::Relabel {
            scope: Scope::One { item_id: 2, id: "item-2".into() },
            label: "ham".into(),
            reason: "policy".into()
        }]
    );
    assert!(press(&mut a, "l").is_empty() && a.message.as_ref().unwrap().text.contains("still being saved"));
    let effects = update(&mut a, ReviewMsg::Relabelled { said: "Re-labelled 1 item".into(), changed: 1 });
    assert!(matches!(effects[0], ReviewEffect::Load { before: None, .. }), "the list is loaded again");
    assert_eq!(a.relabelled, 1);
}

#[test]
fn relabelling_all_counts_first_and_names_the_count() {
    let mut a = app(true);
    press(&mut a, "flabel=spam\r");
    let effects = press(&mut a, "L");
    assert_eq!(effects, vec![ReviewEffect::Count { query: a.query, filter: a.filter.clone() }]);
    assert_eq!(a.mode, ReviewMode::Counting);
    let q = a.query;
    update(&mut a, ReviewMsg::Count { query: q, count: 1234 });
    assert_eq!(a.mode, ReviewMode::ChooseLabel(Scope::Filtered { filter: a.filter.clone(), count: 1234 }));
    let effects = press(&mut a, "2merged into ham\r");
    assert!(
        matches!(&effects[0], ReviewEffect::Relabel { scope: Scope::Filtered { count: 1234, .. }, label, .. } if label == "ham")
    );
}

#[test]
fn annotators_cannot_relabel_and_stay_on_their_own_decisions() {
    let mut a = app(false);
    assert!(press(&mut a, "l").is_empty());
    assert!(a.message.as_ref().unwrap().text.contains("experts"));
    a.config.only_person = Some("ann".into());
    let effects = press(&mut a, "fperson=bob\r");
    let ReviewEffect::Load { filter, .. } = &effects[0] else { panic!("{effects:?}") };
    assert_eq!(filter.person.as_deref(), Some("ann"));
}

#[test]
fn history_opens_scrolls_and_closes() {
    let mut a = app(true);
    assert_eq!(press(&mut a, "\r"), vec![ReviewEffect::History(1)]);
    update(&mut a, ReviewMsg::History { item_id: 1, lines: vec!["a".into(), "b".into()] });
    press(&mut a, "j");
    assert_eq!(a.mode, ReviewMode::History { item_id: 1, lines: Some(vec!["a".into(), "b".into()]), scroll: 1 });
    press(&mut a, "\x1b");
    assert_eq!(a.mode, ReviewMode::Browse);
    assert_eq!(press(&mut a, "q"), vec![ReviewEffect::Quit]);
}
