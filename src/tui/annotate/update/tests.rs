//! Every action through `update`, with the effects it asks for.

use super::*;
use crate::tui::annotate::fixtures::{self, T0, app, app_with, card, cards, config};
use crate::tui::annotate::msg::{CardPrediction, DecisionRequest, ModelInfo, RetrainOutcome};
use crate::tui::annotate::state::{Mode, ScreenConfig};

fn press(app: &mut App, key: &str) -> Vec<Effect> {
    update(app, Msg::Key(Key::parse(key).unwrap_or_else(|| panic!("{key}"))))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Msg::Key(Key::Char(c)));
    }
}

fn recorded(effects: &[Effect]) -> &DecisionRequest {
    match effects {
        [Effect::Record(r)] => r,
        other => panic!("expected one Record, got {other:?}"),
    }
}

/// Confirms the decision in flight, as the store worker would.
fn saved(app: &mut App, decision_id: i64) -> Vec<Effect> {
    let item_id = app.work.saving.expect("a decision in flight");
    update(app, Msg::Recorded { item_id, decision_id })
}

#[test]
fn a_batch_shows_its_first_card_and_asks_for_explanations_ahead() {
    let mut a = App::new(config(&["sport", "tech"], false), app().keymap, fixtures::guidelines(), (80, 24), T0);
    let effects = update(&mut a, Msg::Batch(BatchLoaded { cards: cards(), batch_id: 3, ..BatchLoaded::default() }));
    assert_eq!(a.mode, Mode::Item);
    assert_eq!(a.card().unwrap().item_id, 1);
    // Cards with predictions only (the third has none).
    assert_eq!(effects, vec![Effect::Explain(vec![1, 2])]);
}

#[test]
fn accept_records_the_prediction_and_the_next_card_shows_only_once_it_is_saved() {
    let mut a = app();
    update(&mut a, Msg::Tick(T0 + 4_000));
    let effects = press(&mut a, "Enter");
    let r = recorded(&effects);
    assert_eq!((r.item_id, r.action, r.labels.clone()), (1, DecisionAction::Accept, Some(vec!["tech".into()])));
    assert_eq!(r.time_spent_ms, 4_000);
    assert_eq!(r.model, Some((4, vec!["tech".into()], f64::from(0.95f32))));
    assert_eq!(a.card().unwrap().item_id, 1, "still on screen until the store says it is written");
    assert!(press(&mut a, "a").is_empty(), "no second decision while one is being written");
    saved(&mut a, 41);
    assert_eq!(a.card().unwrap().item_id, 2);
    assert_eq!(a.session.history.len(), 1);
    assert_eq!(a.session.history[0].decision_id, 41);
    assert_eq!(a.session.history[0].agreed, Some(true));
}

#[test]
fn a_failed_write_keeps_the_item_and_says_so() {
    let mut a = app();
    press(&mut a, "a");
    update(&mut a, Msg::RecordFailed { item_id: 1, error: "database is locked".into() });
    assert_eq!(a.card().unwrap().item_id, 1);
    assert!(a.work.saving.is_none() && a.session.history.is_empty());
    let m = a.message.clone().unwrap();
    assert!(m.error && m.text.contains("database is locked"), "{m:?}");
    assert_eq!(recorded(&press(&mut a, "a")).item_id, 1, "the person can try again");
}

#[test]
fn a_digit_chooses_a_label_and_overriding_a_confident_prediction_asks_why() {
    let mut a = app();
    // Card 1 is tech at 95%: choosing sport overrides a confident prediction.
    assert!(press(&mut a, "1").is_empty());
    assert!(matches!(a.mode, Mode::OverrideReason(_)));
    let r = recorded(&press(&mut a, "2")).clone();
    assert_eq!(r.action, DecisionAction::Correct);
    assert_eq!(r.labels, Some(vec!["sport".into()]));
    assert_eq!(r.reason.as_deref(), Some("guideline edge case"));
    saved(&mut a, 1);
    assert!(a.session.history[0].confident_override);
    // Card 2 is sport at 60%: a correction without a question.
    let r = recorded(&press(&mut a, "3")).clone();
    assert_eq!((r.action, r.reason.clone()), (DecisionAction::Correct, None));
    saved(&mut a, 2);
    // Choosing the predicted label is an accept.
    let mut b = app();
    assert_eq!(recorded(&press(&mut b, "2")).action, DecisionAction::Accept);
}

#[test]
fn skipping_the_override_question_is_recorded_too() {
    let mut a = app();
    press(&mut a, "3");
    let r = recorded(&press(&mut a, "Esc")).clone();
    assert_eq!(r.labels, Some(vec!["politics".into()]));
    assert_eq!(r.reason.as_deref(), Some("(no reason given)"));
}

#[test]
fn reject_gives_the_other_label_in_binary_projects_and_is_refused_otherwise() {
    let mut a = app_with(config(&["ham", "spam"], false), vec![card(1, "win a prize", Some(vec![0.7, 0.3]))]);
    let r = recorded(&press(&mut a, "x")).clone();
    assert_eq!((r.action, r.labels), (DecisionAction::Reject, Some(vec!["spam".into()])));
    let mut b = app();
    assert!(press(&mut b, "x").is_empty());
    assert!(b.message.as_ref().unwrap().error);
}

#[test]
fn accept_without_a_prediction_asks_for_a_label() {
    let mut a = app_with(config(&["sport", "tech"], false), vec![card(3, "no model yet", None)]);
    assert!(press(&mut a, "Enter").is_empty());
    assert!(a.message.as_ref().unwrap().text.contains("choose a label"));
    assert_eq!(recorded(&press(&mut a, "2")).action, DecisionAction::Correct);
}

#[test]
fn skip_escalate_with_a_listed_or_typed_reason_and_notes() {
    let mut a = app();
    assert_eq!(recorded(&press(&mut a, "s")).action, DecisionAction::Skip);
    saved(&mut a, 1);
    assert_eq!(recorded(&press(&mut a, "Space")).action, DecisionAction::Skip);
    saved(&mut a, 2);

    let mut b = app();
    press(&mut b, "n");
    typed(&mut b, "check the date");
    press(&mut b, "Enter");
    assert_eq!(b.note.as_deref(), Some("check the date"));
    press(&mut b, "e");
    assert!(matches!(b.mode, Mode::Escalate { typed: None }));
    let r = recorded(&press(&mut b, "2")).clone();
    assert_eq!((r.action, r.reason.as_deref()), (DecisionAction::Escalate, Some("needs domain knowledge")));
    assert_eq!(r.note.as_deref(), Some("check the date"));
    saved(&mut b, 1);
    assert_eq!(b.note, None, "a note goes with one decision");
    press(&mut b, "e");
    press(&mut b, "t");
    typed(&mut b, "is this satire?");
    let r = recorded(&press(&mut b, "Enter")).clone();
    assert_eq!(r.reason.as_deref(), Some("is this satire?"));
    // Esc cancels an escalation without deciding.
    let mut c = app();
    press(&mut c, "e");
    assert!(press(&mut c, "Esc").is_empty());
    assert_eq!(c.mode, Mode::Item);
}

#[test]
fn undo_goes_back_through_the_session_one_decision_at_a_time() {
    let mut a = app();
    press(&mut a, "a");
    saved(&mut a, 10);
    press(&mut a, "s");
    saved(&mut a, 11);
    assert_eq!(a.card().unwrap().item_id, 3);
    let effects = press(&mut a, "u");
    assert!(matches!(&effects[..], [Effect::Undo { decision_id: 11, card }] if card.item_id == 2), "{effects:?}");
    assert!(press(&mut a, "Backspace").is_empty(), "one undo at a time");
    update(&mut a, Msg::Undone { undone: 11, card: Box::new(cards()[1].clone()) });
    assert_eq!(a.card().unwrap().item_id, 2);
    let said = &a.message.as_ref().unwrap().text;
    assert!(said.contains("Undone: your skip of this item"), "the message says what was undone: {said}");
    let effects = press(&mut a, "Backspace");
    assert!(matches!(&effects[..], [Effect::Undo { decision_id: 10, .. }]));
    update(&mut a, Msg::Undone { undone: 10, card: Box::new(cards()[0].clone()) });
    assert_eq!(a.card().unwrap().item_id, 1);
    assert!(a.session.history.is_empty());
    assert_eq!(a.session.undos, 2);
    assert!(press(&mut a, "u").is_empty());
    assert!(a.message.as_ref().unwrap().text.contains("Nothing to undo"));
}

#[test]
fn the_end_of_a_batch_shows_its_summary_and_asks_for_a_retrain_then_enter_serves_the_next() {
    let mut a = app();
    for (i, key) in ["a", "3", "1"].into_iter().enumerate() {
        press(&mut a, key);
        let effects = saved(&mut a, i as i64 + 1);
        if i == 2 {
            assert_eq!(effects, vec![Effect::BatchDone { batch_id: a.batch.id }]);
        }
    }
    assert_eq!(a.mode, Mode::Summary);
    let t = a.batch_tally();
    assert_eq!((t.decided, t.with_prediction, t.agreed), (3, 2, 1));
    let outcome = |after_batch| RetrainOutcome {
        after_batch,
        before: Some(0.87),
        after: Some(0.9),
        version: 5,
        changed_predictions: 12,
    };
    // A retrain started by an earlier batch is news, not this batch's result.
    let batch = a.batch.id;
    update(&mut a, Msg::Retrained(outcome(batch - 1)));
    assert_eq!((a.model.info.version, a.model.retrain.is_none()), (Some(5), true));
    assert!(
        a.message.as_ref().is_some_and(|m| m.text == "Model v5 is ready (cross-validated accuracy 87.0% -> 90.0%).")
    );
    update(&mut a, Msg::NotRetrained { after_batch: batch - 1, why: "old".into() });
    assert_eq!(a.model.not_retrained, None);
    update(&mut a, Msg::Retrained(outcome(batch)));
    assert_eq!(a.model.retrain.as_ref().map(|r| r.version), Some(5));
    assert_eq!(press(&mut a, "Enter"), vec![Effect::NextBatch]);
    assert_eq!(a.mode, Mode::Loading);
    update(&mut a, Msg::Batch(BatchLoaded::default()));
    assert_eq!(a.mode, Mode::Done, "an empty batch: nothing left");
}

#[test]
fn a_break_is_suggested_after_the_configured_stretch_and_enter_carries_on() {
    let mut a = app();
    update(&mut a, Msg::Tick(T0 + 51 * 60_000));
    press(&mut a, "a");
    saved(&mut a, 1);
    assert_eq!(a.mode, Mode::Break);
    assert!(press(&mut a, "Enter").is_empty());
    assert_eq!(a.mode, Mode::Item);
    assert_eq!(a.card().unwrap().item_id, 2);
    press(&mut a, "a");
    saved(&mut a, 2);
    assert_eq!(a.mode, Mode::Item, "the break clock started again");
}

#[test]
fn multi_label_digits_toggle_and_enter_confirms() {
    let mut a = app_with(config(&["sport", "tech", "politics"], true), vec![card(1, "x", Some(vec![0.8, 0.2, 0.7]))]);
    press(&mut a, "2");
    press(&mut a, "3");
    press(&mut a, "3");
    assert_eq!(a.selected, vec![false, true, false]);
    let r = recorded(&press(&mut a, "Enter")).clone();
    assert_eq!(r.labels, Some(vec!["tech".into()]));
    let mut b = app_with(config(&["sport", "tech", "politics"], true), vec![card(1, "x", Some(vec![0.8, 0.2, 0.7]))]);
    let r = recorded(&press(&mut b, "Enter")).clone();
    assert_eq!((r.action, r.labels), (DecisionAction::Accept, Some(vec!["sport".into(), "politics".into()])));
}

#[test]
fn guidelines_open_at_the_predicted_labels_section_scroll_and_search() {
    let mut a = app();
    // Four rows of guidelines, so they scroll. The view draws nothing below 60x16 ("too small"), but the
    // overlay's arithmetic is the same at any size.
    update(&mut a, Msg::Resize(80, 10));
    press(&mut a, "g");
    let tech = a.guidelines.lines.iter().position(|l| l.text == "tech").unwrap();
    let width = 78; // 80 columns less the overlay's borders
    let tech_row = a.guidelines.row_of(tech, width);
    assert!(tech_row > 0);
    assert!(matches!(a.mode, Mode::Guidelines { scroll, .. } if scroll == tech_row), "{:?}", a.mode);
    press(&mut a, "j");
    assert!(matches!(a.mode, Mode::Guidelines { scroll, .. } if scroll == tech_row + 1));
    press(&mut a, "/");
    typed(&mut a, "GOVERN");
    press(&mut a, "Enter");
    let line = a.guidelines.lines.iter().position(|l| l.text.contains("Government")).unwrap();
    let row = a.guidelines.row_of(line, width);
    assert!(
        matches!(&a.mode, Mode::Guidelines { scroll, query, typing: false } if *scroll == row && query == "GOVERN")
    );
    press(&mut a, "Esc");
    assert_eq!(a.mode, Mode::Item);
}

#[test]
fn help_stats_and_toggles_open_and_close_over_the_item() {
    let mut a = app();
    press(&mut a, "?");
    assert!(matches!(a.mode, Mode::Help { .. }));
    assert!(press(&mut a, "a").is_empty(), "keys of the item mode do nothing under help");
    press(&mut a, "Esc");
    assert_eq!(a.mode, Mode::Item);
    assert_eq!(press(&mut a, "Tab"), vec![Effect::LoadAllTime], "the statistics read the person's record");
    assert_eq!(a.mode, Mode::Stats);
    update(&mut a, Msg::AllTime(Ok(None)));
    assert_eq!(a.session.all_time, Some(Ok(None)));
    press(&mut a, "Tab");
    assert_eq!(a.mode, Mode::Item);
    let (e, s) = (a.show_explanation, a.show_similar);
    press(&mut a, "w");
    press(&mut a, "m");
    assert_eq!((a.show_explanation, a.show_similar), (!e, !s));
    press(&mut a, "j");
    press(&mut a, "j");
    press(&mut a, "k");
    assert_eq!(a.scroll, 1);
}

#[test]
fn quit_and_signals_end_the_screen_once() {
    let mut a = app();
    assert_eq!(press(&mut a, "q"), vec![Effect::Quit]);
    assert!(a.quitting);
    assert!(update(&mut a, Msg::Terminate).is_empty());
    let mut b = app();
    assert_eq!(update(&mut b, Msg::Terminate), vec![Effect::Quit]);
}

#[test]
fn gold_items_count_toward_accuracy() {
    let mut gold = card(1, "gold", Some(vec![0.1, 0.8, 0.1]));
    gold.gold = Some(vec!["sport".into()]);
    let mut a = app_with(config(&["sport", "tech", "politics"], false), vec![gold, card(2, "x", None)]);
    press(&mut a, "a");
    saved(&mut a, 1);
    assert_eq!(a.session_tally().gold, 1);
    assert_eq!(a.session_tally().gold_right, 0);
}

#[test]
fn worker_news_updates_the_model_line_and_explanations() {
    let mut a = app();
    let info = ModelInfo { activity: crate::tui::annotate::msg::ModelActivity::Retraining, ..a.model.info.clone() };
    update(&mut a, Msg::Model(info));
    assert_eq!(a.model.info.activity, crate::tui::annotate::msg::ModelActivity::Retraining);
    update(&mut a, Msg::Explained(Box::new(fixtures::explanation(1))));
    assert!(a.model.explanations.contains_key(&1));
    update(&mut a, Msg::Resize(100, 40));
    assert_eq!(a.size, (100, 40));
}

/// The guidelines line at the top of the screen.
fn guidelines_at(a: &App) -> usize {
    match a.mode {
        Mode::Guidelines { scroll, .. } => scroll,
        ref m => panic!("not in the guidelines: {m:?}"),
    }
}

#[test]
fn guidelines_page_and_jump_to_the_next_match() {
    let mut a = app();
    update(&mut a, Msg::Resize(80, 8));
    press(&mut a, "g");
    let start = guidelines_at(&a);
    press(&mut a, "PageDown");
    let paged = guidelines_at(&a);
    assert!(paged > start, "{paged} > {start}");
    press(&mut a, "PageUp");
    assert!(guidelines_at(&a) < paged);
    // Search "pol", then n goes to the next line with it: the politics heading, then its paragraph.
    press(&mut a, "/");
    typed(&mut a, "pol");
    press(&mut a, "Enter");
    let first = guidelines_at(&a);
    press(&mut a, "n");
    let second = guidelines_at(&a);
    assert!(second > first, "{second} > {first}");
    let rows = a.guidelines.rows(78);
    assert!(rows[first].text().to_lowercase().contains("pol"), "{:?}", rows[first].text());
    assert!(rows[second].text().to_lowercase().contains("pol"), "n puts the next match at the top");
}

#[test]
fn a_paragraph_taller_than_the_overlay_scrolls_a_row_at_a_time_to_its_end() {
    let long: String = (1..=600).map(|i| format!("w{i} ")).collect();
    let guidelines = crate::tui::annotate::state::Guidelines::from_markdown(&[(
        "long.md".into(),
        format!("# Long\n\n{long}\n\nThe end.\n"),
    )]);
    // The smallest screen margin draws (60x16): ten rows of guidelines, 58 columns.
    let mut a = App::new(config(&["sport", "tech"], false), app().keymap, guidelines, (60, 16), T0);
    press(&mut a, "g");
    let width = 58;
    let rows = a.guidelines.rows(width);
    let paragraph = a.guidelines.lines.iter().position(|l| l.text.starts_with("w1 ")).unwrap();
    let paragraph_rows = rows.iter().filter(|r| r.line == paragraph).count();
    assert!(paragraph_rows > 16, "the paragraph is taller than the screen: {paragraph_rows} rows");
    // j moves one screen row, not one paragraph: the row now at the top is the one that was second.
    let start = guidelines_at(&a);
    press(&mut a, "j");
    assert_eq!(guidelines_at(&a), start + 1);
    let top = &a.guidelines.rows(width)[guidelines_at(&a)];
    assert_eq!((top.line, top.text().as_str()), (rows[start + 1].line, rows[start + 1].text().as_str()));
    // Scrolling on reaches the last row, and stops with it at the bottom of the overlay's 10 text rows.
    for _ in 0..rows.len() * 2 {
        press(&mut a, "j");
    }
    assert_eq!(guidelines_at(&a), rows.len() - 10);
    assert_eq!(rows.last().unwrap().text().trim(), "The end.");
    press(&mut a, "PageUp");
    assert_eq!(guidelines_at(&a), rows.len() - 20);

    // Resized, the paragraph row at the top stays in view: the same words lead the top row.
    let words_at_top = |a: &App, width: usize| -> String {
        a.guidelines.rows(width)[guidelines_at(a)].text().split_whitespace().next().unwrap_or("").to_string()
    };
    let before = words_at_top(&a, width);
    update(&mut a, Msg::Resize(120, 30));
    let wide = a.guidelines.rows(118);
    let top = &wide[guidelines_at(&a)];
    assert_eq!(top.line, paragraph, "still in the long paragraph");
    assert!(!top.text().starts_with("w1 "), "not back at the paragraph's start: {}", top.text());
    assert!(top.text().split_whitespace().any(|w| w == before), "{before} is on the top row: {}", top.text());
    // And back: the narrow row at the top holds the first word of the wide one.
    let wide_first = top.text().split_whitespace().next().unwrap().to_string();
    update(&mut a, Msg::Resize(60, 16));
    let narrow = &a.guidelines.rows(width)[guidelines_at(&a)];
    assert!(narrow.text().split_whitespace().any(|w| w == wide_first), "{wide_first} on {}", narrow.text());
}

#[test]
fn an_expert_reveals_masked_data_and_others_are_told_they_cannot() {
    let masked = Card { masked: 2, text: "mail <email> or call <phone>".into(), ..card(1, "", Some(vec![0.2, 0.8])) };
    let batch = || Msg::Batch(BatchLoaded { cards: vec![masked.clone()], batch_id: 1, ..BatchLoaded::default() });

    let mut annotator = app();
    update(&mut annotator, batch());
    assert!(press(&mut annotator, "r").is_empty());
    assert!(annotator.message.as_ref().is_some_and(|m| m.error && m.text.contains("Only an expert")));

    let mut expert = App::new(
        ScreenConfig { can_reveal: true, ..config(&["sport", "tech"], false) },
        app().keymap,
        fixtures::guidelines(),
        (80, 24),
        T0,
    );
    update(&mut expert, batch());
    assert_eq!(press(&mut expert, "r"), vec![Effect::Reveal { item_id: 1 }]);
    let original = "mail jo@example.com or call +44 20 7946 0958";
    update(&mut expert, Msg::Revealed { item_id: 1, text: original.into() });
    let shown = expert.card().unwrap();
    assert_eq!((shown.text.as_str(), shown.revealed), (original, true));
    assert!(press(&mut expert, "r").is_empty(), "nothing left to reveal");

    let mut clean = App::new(
        ScreenConfig { can_reveal: true, ..config(&["sport", "tech"], false) },
        app().keymap,
        fixtures::guidelines(),
        (80, 24),
        T0,
    );
    update(&mut clean, Msg::Batch(BatchLoaded { cards: cards(), batch_id: 1, ..BatchLoaded::default() }));
    assert!(press(&mut clean, "r").is_empty());
    assert!(clean.message.as_ref().is_some_and(|m| m.text.contains("Nothing is masked")));
    update(&mut clean, Msg::RevealFailed("disk full".into()));
    assert!(clean.message.as_ref().is_some_and(|m| m.text.contains("disk full")));
}

#[test]
fn paging_through_reflowed_guidelines_skips_no_paragraph() {
    use crate::tui::annotate::state::Guidelines;
    // Ten hard-wrapped paragraphs of about three rows each at 40 columns.
    let text: String = (1..=10)
        .map(|i| format!("Paragraph {i} starts here and goes on\nfor a while, wrapped by an editor at\nforty columns or so, then ends {i}.\n\n"))
        .collect();
    let mut a = app();
    a.guidelines = Guidelines::from_markdown(&[("guide.md".into(), text)]);
    assert!(
        a.guidelines.lines.iter().any(|l| l.text.starts_with("Paragraph 3 ") && l.text.ends_with("ends 3.")),
        "reflowed"
    );
    update(&mut a, Msg::Resize(42, 16));
    press(&mut a, "g");
    let rows = 16 - 6;
    let mut tops = vec![guidelines_at(&a)];
    loop {
        press(&mut a, "PageDown");
        let at = guidelines_at(&a);
        if at == *tops.last().unwrap() {
            break;
        }
        tops.push(at);
    }
    // Each page starts on the row after the page before (no row is skipped), and the last page ends at
    // the last row.
    let total = a.guidelines.rows(40).len();
    assert!(total > 3 * rows, "{total} rows");
    assert_eq!(tops[0], 0);
    assert_eq!(*tops.last().unwrap(), total - rows, "the last row is reached");
    for pair in tops.windows(2) {
        assert!(pair[1] - pair[0] <= rows, "page {pair:?} skips rows");
    }
    assert!(tops.windows(2).rev().skip(1).all(|p| p[1] - p[0] == rows), "whole pages: {tops:?}");
    press(&mut a, "PageUp");
    assert_eq!(guidelines_at(&a), total - 2 * rows);
}

#[test]
fn a_card_that_gets_its_prediction_late_shows_it_and_is_explained() {
    let mut a = App::new(config(&["sport", "tech"], false), app().keymap, fixtures::guidelines(), (80, 24), T0);
    update(&mut a, Msg::Batch(BatchLoaded { cards: cards(), batch_id: 3, ..BatchLoaded::default() }));
    assert!(a.batch.cards[2].prediction.is_none());
    let prediction = CardPrediction { model_version: 9, probabilities: vec![0.3, 0.7] };
    // Predictions for an item not on the screen change nothing and ask for nothing.
    assert!(update(&mut a, Msg::Predictions(vec![(99, prediction.clone())])).is_empty());
    let effects = update(&mut a, Msg::Predictions(vec![(3, prediction.clone())]));
    assert_eq!(a.batch.cards[2].prediction, Some(prediction));
    assert_eq!(effects, vec![Effect::Explain(vec![1, 2, 3])]);
}

#[test]
fn a_missed_gold_check_is_said_at_once_and_g_opens_its_labels_guidelines() {
    // Card 2 is a gold item whose right label is politics; the person says sport.
    let mut gold = cards();
    gold[1].gold = Some(vec!["politics".into()]);
    let mut a = app_with(config(&["sport", "tech", "politics"], false), gold);
    press(&mut a, "2");
    saved(&mut a, 1);
    assert_eq!(a.message, None, "card 1 was no gold check");
    press(&mut a, "1");
    saved(&mut a, 2);
    let message = a.message.clone().expect("the miss is said at once");
    assert_eq!(message.text, "That was a gold check: it is politics (g: its guidelines).");
    // With the expert's rationale, it is said too.
    let mut gold = cards();
    gold[1].gold = Some(vec!["politics".into()]);
    gold[1].gold_rationale = Some("it names a minister.".into());
    let mut b = app_with(config(&["sport", "tech", "politics"], false), gold);
    press(&mut b, "2");
    saved(&mut b, 1);
    press(&mut b, "1");
    saved(&mut b, 2);
    assert_eq!(
        b.message.clone().expect("said").text,
        "That was a gold check: it is politics (g: its guidelines). Why: it names a minister."
    );
    // g opens the guidelines at politics, not at the next card's predicted label.
    update(&mut a, Msg::Resize(80, 10));
    press(&mut a, "g");
    let politics = a.guidelines.lines.iter().position(|l| l.text == "politics").unwrap();
    let row = a.guidelines.row_of(politics, 78);
    assert!(matches!(a.mode, Mode::Guidelines { scroll, .. } if scroll == row), "{:?}", a.mode);
    assert_eq!(a.gold_missed, None, "for that key only");
    // A gold check answered rightly says nothing.
    let mut right = cards();
    right[0].gold = Some(vec!["tech".into()]);
    let mut b = app_with(config(&["sport", "tech", "politics"], false), right);
    press(&mut b, "Enter");
    saved(&mut b, 1);
    assert_eq!(b.message, None);
}

#[test]
fn the_statistics_page_on_to_the_dashboard_for_those_who_see_everyone() {
    let mut a = app_with(config(&["spam", "ham"], false), cards());
    assert_eq!(press(&mut a, "Tab"), vec![Effect::LoadAllTime]);
    assert!(press(&mut a, "l").is_empty(), "an annotator's statistics are their own figures only");
    assert_eq!(a.session.stats_page, 0);
    a.config.sees_everyone = true;
    assert_eq!(press(&mut a, "l"), vec![Effect::LoadDashboard]);
    assert_eq!((a.session.stats_page, a.session.dashboard.clone()), (1, DashboardFigures::Reading));
    assert!(press(&mut a, "l").is_empty(), "read once, not on every page");
    update(&mut a, Msg::Dashboard(Ok(Box::default())));
    assert!(matches!(a.session.dashboard, DashboardFigures::Read(_)));
    press(&mut a, "h");
    press(&mut a, "h");
    assert_eq!(a.session.stats_page, 0);
    press(&mut a, "h");
    assert_eq!(a.session.stats_page, 6, "paging wraps round to the last page");
    press(&mut a, "Esc");
    assert_eq!(a.mode, Mode::Item);
}
