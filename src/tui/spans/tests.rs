//! The span screen's update and view: a card's life from batch to durable decision, undo span by span
//! then item by item, and what is drawn (snapshots at 80x24 with and without colour, hostile text).

use super::msg::{Effect, Msg, Proposer, SpanCard};
use super::state::{Mode, SpanApp, SpanScreenConfig};
use crate::domain::DecisionAction;
use crate::domain::spans::{Proposed, Span, tokens};
use crate::tui::annotate::fixtures::drawn;
use crate::tui::keymap::{Key, Keymap};
use crate::tui::widgets::LabelView;

fn span(start: usize, end: usize, label: &str) -> Span {
    Span { start, end, label: label.into() }
}

fn card(item_id: i64, text: &str, proposed: Vec<Proposed>) -> SpanCard {
    let proposer = if proposed.is_empty() { Proposer::Nobody } else { Proposer::Model { version: 3 } };
    SpanCard {
        item_id,
        served_id: item_id * 10,
        ext_id: format!("s{item_id}"),
        text: text.into(),
        tokens: tokens(text),
        proposed,
        proposer,
        why: "uncertain".into(),
        masked: 0,
    }
}

pub(crate) fn app(color: bool) -> SpanApp {
    let labels = ["PER", "ORG", "LOC"]
        .iter()
        .zip(["cyan", "magenta", "yellow"])
        .map(|(n, c)| LabelView { name: n.to_string(), display: n.to_string(), color: Some(c.to_string()) })
        .collect();
    let config = SpanScreenConfig {
        project: "news".into(),
        annotator: "ann".into(),
        labels,
        overlap: false,
        escalate_reasons: vec!["unclear guideline".into(), "other".into()],
        color,
    };
    let keymap = Keymap::build(&[], &[None, None, None]).expect("keymap");
    let mut a = SpanApp::new(config, keymap, (80, 24), 1_000);
    let proposed = vec![
        Proposed { span: span(0, 3, "PER"), confidence: Some(0.93) },
        Proposed { span: span(22, 27, "PER"), confidence: Some(0.41) },
    ];
    let cards = vec![card(1, "Tim Cook flew in from Paris.", proposed), card(2, "Apple hired Ann.", vec![])];
    // Two cards in hand are fewer than PREFETCH_AT: the next batch is asked for at once, without them.
    assert_eq!(a.update(Msg::Batch { cards, left: 5 }), [Effect::Serve { in_hand: vec![2, 1] }]);
    assert!(a.update(Msg::Batch { cards: vec![], left: 5 }).is_empty(), "nothing beyond them");
    a
}

fn keys(a: &mut SpanApp, keys: &str) -> Vec<Effect> {
    let key = |c: char| match c {
        '\n' => Key::Enter,
        '\t' => Key::Tab,
        c => Key::Char(c),
    };
    keys.chars().flat_map(|c| a.update(Msg::Key(key(c)))).collect()
}

fn recorded(effects: &[Effect]) -> &super::msg::SpanDecision {
    match effects {
        [Effect::Record(d)] => d,
        other => panic!("expected one decision, got {other:?}"),
    }
}

#[test]
fn enter_keeps_the_proposed_spans_as_an_accept_in_one_key() {
    let mut a = app(true);
    let effects = keys(&mut a, "\n");
    let d = recorded(&effects);
    assert_eq!((d.item_id, d.action), (1, DecisionAction::Accept));
    assert_eq!(d.spans, Some(vec![span(0, 3, "PER"), span(22, 27, "PER")]));
    assert!(a.editing.is_none(), "the next card waits until the decision is durable");
    assert!(keys(&mut a, "1").is_empty(), "keys wait for the save");
    assert!(a.update(Msg::Recorded { item_id: 1, decision_id: 11, left: Some(4) }).is_empty());
    assert_eq!(a.editing.as_ref().map(|e| e.card.item_id), Some(2));
    assert!(a.editing.as_ref().unwrap().draft.spans.is_empty(), "the key pressed while saving did nothing");
    assert_eq!((a.decided, a.left), (1, 4));
}

#[test]
fn a_typical_correction_widens_one_span_and_relabels_another() {
    let mut a = app(true);
    // Tab selects "Tim", L widens it over "Cook", 1 keeps PER; Tab selects "Paris", 3 makes it LOC.
    let effects = keys(&mut a, "\tL1\t3\n");
    assert_eq!(effects.len(), 1);
    let d = recorded(&effects);
    assert_eq!(d.action, DecisionAction::Correct);
    assert_eq!(d.spans, Some(vec![span(0, 8, "PER"), span(22, 27, "LOC")]));
    assert_eq!(d.proposed.len(), 2, "what the model proposed goes with the decision");
}

#[test]
fn undo_takes_back_span_changes_one_at_a_time_then_the_last_item() {
    let mut a = app(true);
    keys(&mut a, "\t\t2");
    keys(&mut a, "x");
    assert!(a.editing.as_ref().unwrap().draft.spans.len() == 1);
    keys(&mut a, "u");
    assert_eq!(a.editing.as_ref().unwrap().draft.spans[1], span(22, 27, "ORG"), "the delete is taken back");
    keys(&mut a, "u");
    assert_eq!(a.editing.as_ref().unwrap().draft.spans[1], span(22, 27, "PER"), "then the relabel");
    keys(&mut a, "u");
    assert_eq!(a.message.as_deref(), Some("nothing to undo"));
    // The cursor is still on Paris: Tab selects it.
    keys(&mut a, "\t2\n");
    a.update(Msg::Recorded { item_id: 1, decision_id: 11, left: None });
    // On the next card, with no change of its own, undo takes back the last decision.
    let effects = keys(&mut a, "u");
    assert_eq!(effects, [Effect::Undo { item_id: 1, decision_id: 11, served_id: 10 }]);
    a.update(Msg::Undone { item_id: 1, left: Some(5) });
    let editing = a.editing.as_ref().unwrap();
    assert_eq!(editing.card.item_id, 1);
    assert_eq!(editing.draft.spans[1], span(22, 27, "ORG"), "the item comes back as it was given");
    assert_eq!(a.queue.front().map(|c| c.item_id), Some(2), "the card that was showing waits its turn");
    keys(&mut a, "u");
    assert_eq!(a.editing.as_ref().unwrap().draft.spans[1], span(22, 27, "PER"), "and on, span by span");
    assert_eq!(a.decided, 0);
}

#[test]
fn a_refused_decision_leaves_the_card_as_it_was() {
    let mut a = app(true);
    keys(&mut a, "\t\t2\n");
    a.update(Msg::Failed("not saved: the database is locked".into()));
    let editing = a.editing.as_ref().expect("the card is back");
    assert_eq!(editing.draft.spans[1].label, "ORG");
    assert!(a.message.as_deref().unwrap().contains("locked"));
}

#[test]
fn skip_and_escalate_carry_no_spans_and_escalate_asks_why() {
    let mut a = app(true);
    let d = keys(&mut a, "s");
    assert_eq!((recorded(&d).action, recorded(&d).spans.clone()), (DecisionAction::Skip, None));
    a.update(Msg::Recorded { item_id: 1, decision_id: 11, left: None });
    assert!(keys(&mut a, "e").is_empty());
    assert_eq!(a.mode, Mode::Escalating);
    let d = keys(&mut a, "1");
    assert_eq!(recorded(&d).action, DecisionAction::Escalate);
    assert_eq!(recorded(&d).reason.as_deref(), Some("unclear guideline"));
}

#[test]
fn an_empty_batch_with_nothing_in_hand_is_the_end_and_quitting_stops_the_worker() {
    let mut a = app(true);
    keys(&mut a, "\n");
    a.update(Msg::Recorded { item_id: 1, decision_id: 11, left: None });
    assert!(!a.finished, "a card is still to do");
    let effects = keys(&mut a, "\n");
    assert_eq!(effects.len(), 1);
    assert!(a.update(Msg::Recorded { item_id: 2, decision_id: 12, left: None }).is_empty());
    assert!(a.finished);
    assert!(drawn(80, 24, |f| super::view::render(&a, f)).contains("Nothing left to label"));
    assert_eq!(keys(&mut a, "q"), [Effect::Quit]);
    assert!(a.quitting);
    assert!(a.update(Msg::Terminate).is_empty(), "the worker is told once");
}

#[test]
fn the_screen_at_80x24_with_colours() {
    let mut a = app(true);
    keys(&mut a, "w");
    insta::assert_snapshot!(drawn(80, 24, |f| super::view::render(&a, f)));
}

#[test]
fn under_no_color_spans_are_bracketed_and_named() {
    let mut a = app(false);
    keys(&mut a, "\tL");
    // The space between a span and its label never breaks a line (U+00A0).
    let shown = drawn(80, 24, |f| super::view::render(&a, f)).replace('\u{a0}', " ");
    assert!(shown.contains("[Tim]PER 93% Cook flew in from [Paris]PER 41%."), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn hostile_and_wide_text_is_shown_safely_with_its_spans() {
    let mut a = app(false);
    let text = "東京 \u{1b}[2J\u{202e}Ann\u{202c} met Bo";
    let toks = tokens(text);
    let ann = toks.iter().find(|t| crate::domain::spans::slice(text, t.start, t.end) == "Ann").copied().unwrap();
    let proposed = vec![Proposed { span: span(ann.start, ann.end, "PER"), confidence: None }];
    a.queue.clear();
    a.editing = None;
    a.update(Msg::Batch { cards: vec![card(9, text, proposed)], left: 0 });
    assert_eq!(a.editing.as_ref().map(|e| e.card.item_id), Some(9));
    let shown = drawn(80, 24, |f| super::view::render(&a, f));
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'), "{shown}");
    // A wide character takes two cells (the test terminal draws the second as a blank).
    assert!(shown.contains("東 京") && shown.contains("⟨ESC[⟩⟨U+202E⟩[Ann]PER⟨U+202C⟩"), "{shown}");
}

#[test]
fn after_the_last_item_undo_brings_it_back_and_goes_on_span_by_span() {
    let mut a = app(true);
    keys(&mut a, "\n");
    a.update(Msg::Recorded { item_id: 1, decision_id: 11, left: None });
    keys(&mut a, "3ww1\n");
    assert!(a.update(Msg::Recorded { item_id: 2, decision_id: 12, left: None }).is_empty());
    assert!(a.finished);
    assert_eq!(keys(&mut a, "u"), [Effect::Undo { item_id: 2, decision_id: 12, served_id: 20 }]);
    a.update(Msg::Undone { item_id: 2, left: Some(1) });
    assert!(keys(&mut a, "u").is_empty(), "the span change is taken back, not another item");
    assert_eq!(a.editing.as_ref().unwrap().draft.spans, [span(0, 5, "LOC")]);
}

#[test]
fn a_label_key_that_moves_the_cursor_on_the_span_screen_is_refused_there() {
    let keymap = Keymap::build(&[], &[Some("b".into()), None]).expect("no clash on the item screen");
    let err = keymap.check_labels_in(crate::tui::keymap::KeyMode::Spans).unwrap_err();
    assert!(err.message.contains("label 1") && err.message.contains("word_previous"), "{}", err.message);
    assert_eq!(err.path, ["labels", "0", "key"]);
    assert!(Keymap::build(&[], &[None, None]).unwrap().check_labels_in(crate::tui::keymap::KeyMode::Spans).is_ok());
}

#[test]
fn the_next_batch_is_asked_for_while_a_few_cards_are_left_and_arrives_before_they_are_done() {
    let mut a = app(true);
    a.queue.clear();
    a.editing = None;
    a.exhausted = false;
    let cards: Vec<SpanCard> = (10..17).map(|i| card(i, "Ann met Bo.", vec![])).collect();
    assert!(a.update(Msg::Batch { cards, left: 50 }).is_empty(), "six cards in hand: not yet");
    keys(&mut a, "\n");
    assert!(a.update(Msg::Recorded { item_id: 10, decision_id: 1, left: None }).is_empty(), "five queued");
    keys(&mut a, "\n");
    let effects = a.update(Msg::Recorded { item_id: 11, decision_id: 2, left: None });
    assert_eq!(effects, [Effect::Serve { in_hand: vec![13, 14, 15, 16, 12] }], "four queued");
    keys(&mut a, "\n");
    assert!(a.update(Msg::Recorded { item_id: 12, decision_id: 3, left: None }).is_empty(), "asked once");
    a.update(Msg::Batch { cards: vec![card(20, "Cy left.", vec![])], left: 49 });
    assert_eq!(a.queue.back().map(|c| c.item_id), Some(20), "queued behind the cards in hand");
    a.update(Msg::ServeFailed("cannot serve the next items: locked".into()));
    assert!(!a.waiting, "a failed serve may be asked for again");
}

#[test]
fn the_help_lists_every_key_and_scrolls_at_80x24() {
    let mut a = app(true);
    keys(&mut a, "?");
    let mut seen = String::new();
    for _ in 0..30 {
        seen.push_str(&drawn(80, 24, |f| super::view::render(&a, f)));
        keys(&mut a, "j");
    }
    for (action, _) in a.keymap.bindings(crate::tui::keymap::KeyMode::Spans) {
        let what = crate::tui::keymap::describe(crate::tui::keymap::KeyMode::Spans, action);
        let start: String = what.chars().take(20).collect();
        assert!(seen.contains(&start), "{} missing from the help", action.name());
    }
    keys(&mut a, "q");
    assert_eq!(a.mode, super::state::Mode::Labelling, "q closes the help, and does not quit");
    assert!(!a.quitting);
}
