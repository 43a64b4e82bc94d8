//! Snapshots of the screen at fixed sizes (ratatui's TestBackend; committed under snapshots/), and the
//! guarantees no snapshot shows by itself: nothing from data reaches the terminal raw.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::tui::annotate::fixtures::{self, app, app_with, card, config};
use crate::tui::annotate::msg::{BatchLoaded, Msg, RetrainOutcome};
use crate::tui::annotate::update::update;
use crate::tui::keymap::Key;

/// The screen as text, one line per row.
fn screen(app: &App, width: u16, height: u16) -> String {
    fixtures::drawn(width, height, |f| render(app, f))
}

fn press(app: &mut App, key: &str) {
    update(app, Msg::Key(Key::parse(key).unwrap()));
}

fn explained() -> App {
    let mut a = app();
    update(&mut a, Msg::Explained(Box::new(fixtures::explanation(1))));
    a
}

#[test]
fn main_screen_80x24() {
    insta::assert_snapshot!(screen(&explained(), 80, 24));
}

#[test]
fn main_screen_120x40_with_similar_items() {
    let mut a = explained();
    press(&mut a, "m");
    insta::assert_snapshot!(screen(&a, 120, 40));
}

#[test]
fn narrow_layout_60x16() {
    insta::assert_snapshot!(screen(&explained(), 60, 16));
}

#[test]
fn too_small_says_so() {
    let s = screen(&explained(), 50, 12);
    assert!(s.contains("too small (50x12)") && s.contains("60x16"), "{s}");
}

#[test]
fn help_is_generated_from_the_keymap() {
    let mut a = app();
    press(&mut a, "?");
    let s = screen(&a, 100, 40);
    for (action, _) in a.keymap.bindings(crate::tui::keymap::KeyMode::Item) {
        assert!(s.contains(action.description()), "{} missing:\n{s}", action.name());
    }
    insta::assert_snapshot!(s);
}

#[test]
fn guidelines_at_the_predicted_label() {
    let mut a = app();
    press(&mut a, "g");
    insta::assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn batch_summary_with_what_the_retrain_changed() {
    let mut a = app();
    for (i, key) in ["a", "3", "s"].into_iter().enumerate() {
        press(&mut a, key);
        let item_id = a.work.saving.unwrap();
        update(&mut a, Msg::Recorded { item_id, decision_id: i as i64 + 1 });
    }
    let after_batch = a.batch.id;
    update(
        &mut a,
        Msg::Retrained(RetrainOutcome {
            after_batch,
            before: Some(0.871),
            after: Some(0.894),
            version: 5,
            changed_predictions: 12,
        }),
    );
    insta::assert_snapshot!(screen(&a, 80, 24));
}

#[test]
fn batch_summary_says_why_no_retrain_follows() {
    let mut a = app();
    for (i, key) in ["a", "3", "s"].into_iter().enumerate() {
        press(&mut a, key);
        let item_id = a.work.saving.unwrap();
        update(&mut a, Msg::Recorded { item_id, decision_id: i as i64 + 1 });
    }
    assert!(screen(&a, 80, 24).contains("not due yet"), "{}", screen(&a, 80, 24));
    let why = "3 of 20 decisions since the current model learned".to_string();
    let after_batch = a.batch.id;
    update(&mut a, Msg::NotRetrained { after_batch, why });
    let s = screen(&a, 80, 24);
    assert!(s.contains("No retrain after this batch: 3 of 20 decisions since"), "{s}");
    update(
        &mut a,
        Msg::Batch(crate::tui::annotate::msg::BatchLoaded {
            cards: fixtures::cards(),
            batch_id: 2,
            ..Default::default()
        }),
    );
    assert_eq!(a.model.not_retrained, None, "a new batch forgets the last one's reason");
}

#[test]
fn prompts_for_escalation_and_override_reasons() {
    let mut a = app();
    press(&mut a, "e");
    let s = screen(&a, 80, 24);
    assert!(s.contains("1 unclear guideline") && s.contains("2 needs domain knowledge"), "{s}");
    assert!(s.contains("1-2 reason") && !s.contains("1-9 reason"), "the key line offers the digits there are:\n{s}");
    press(&mut a, "Esc");
    press(&mut a, "1");
    let s = screen(&a, 80, 24);
    assert!(s.contains("1-2 reason"), "{s}");
    // The question names the label chosen and the one the model was sure of (card 1: tech at 95%).
    assert!(s.contains("You chose sport; the model said tech (95%).") && s.contains("What did it miss?"), "{s}");
    assert!(s.contains("1 model missed context"), "{s}");
    // The note prompt fits its box at any size: nothing of it is cut.
    press(&mut a, "Esc");
    press(&mut a, "n");
    for (w, h) in [(80, 24), (120, 40)] {
        let s = screen(&a, w, h);
        assert!(s.contains("A note kept with your decision on this item.") && s.contains("Esc cancels:"), "{s}");
    }
}

#[test]
fn hostile_text_is_drawn_as_placeholders() {
    let text = "click\u{1b}]8;;http://x\u{7}here\u{1b}]8;;\u{7} \u{1b}[2J\u{1b}[31mred \u{202e}desrever\u{200b} 漢字 e\u{301}\tend";
    let a = app_with(config(&["sport", "tech"], false), vec![card(1, text, Some(vec![0.4, 0.6]))]);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| render(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(!cell.symbol().chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)), "{cell:?}");
    }
    let s = screen(&a, 80, 24);
    assert!(s.contains("click⟨ESC]⟩here⟨ESC]⟩ ⟨ESC[⟩⟨ESC[⟩red ⟨U+202E⟩desrever⟨U+200B⟩"), "{s}");
}

#[test]
fn no_color_draws_no_colour_but_keeps_emphasis() {
    let mut cfg = config(&["sport", "tech", "politics"], false);
    cfg.color = false;
    let mut a = app_with(cfg, fixtures::cards());
    update(&mut a, Msg::Explained(Box::new(fixtures::explanation(1))));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| render(&a, f)).unwrap();
    let buffer = terminal.backend().buffer();
    assert!(
        buffer.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
    );
    assert!(
        buffer.content().iter().any(|c| c.modifier.contains(ratatui::style::Modifier::UNDERLINED)),
        "words toward the label are underlined"
    );
}

#[test]
fn statistics_show_the_session_and_the_persons_whole_record() {
    use crate::domain::people::PersonStats;
    let mut a = app();
    press(&mut a, "Tab");
    assert!(screen(&a, 80, 30).contains("reading..."), "before the worker answers");
    let record = PersonStats {
        annotator: "ann".into(),
        labelled: 120,
        compared: 40,
        agreed_with_others: 34,
        kappa: Some(0.78),
        with_prediction: 100,
        agreed_with_model: 81,
        gold: 10,
        gold_right: 9,
        learned: 90,
        learned_corrections: 17,
    };
    update(&mut a, Msg::AllTime(Ok(Some(Box::new(record)))));
    let shown = screen(&a, 80, 30);
    for expected in [
        "all your work on this project",
        "labels: 120",
        "agreement with others: 34 of 40 (85%); kappa 0.78",
        "agreed with the model: 81 of 100 (81%)",
        "gold items right: 9 of 10 (90%)",
        "the model learned from 90 of your labels; 17 of them corrected it",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing:\n{shown}");
    }
    assert!(!shown.contains("beyond chance"), "nothing said before the worker counts it");
    use crate::domain::agreement::{Agreement, Coefficients};
    let c = |items, alpha: f64| Coefficients { items, alpha: Some(alpha), fleiss_kappa: Some(alpha - 0.03) };
    let agreement = |items, alpha| Agreement {
        overall: c(items, alpha),
        per_label: vec![("spam".into(), c(items, alpha + 0.1)), ("ham".into(), c(items, alpha - 0.1))],
    };
    let quality = crate::tui::annotate::msg::Quality {
        agreement: crate::domain::people::BeyondChance {
            all_time: agreement(12, 0.614),
            this_week: agreement(5, 0.7),
            last_week: agreement(7, 0.5),
        },
        gold: Some(crate::domain::people::GoldOverTime {
            annotator: "ann".into(),
            all_time: (9, 10),
            this_week: (4, 5),
            last_week: (0, 0),
        }),
    };
    update(&mut a, Msg::Quality(Box::new(quality)));
    let shown = screen(&a, 80, 30);
    let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ").replace("│ │", " ");
    for expected in [
        "gold checks right, last 7 days: 4 of 5; the 7 before: none",
        "everyone, beyond chance: alpha 0.61, kappa 0.58 (12 items labelled",
        "last 7 days 0.70",
        "the 7 before 0.50",
        "alpha per label: spam 0.71 · ham 0.51",
    ] {
        assert!(flat.contains(expected), "{expected:?} missing:\n{shown}");
    }
    update(&mut a, Msg::AllTime(Err("disk I/O error".into())));
    assert!(screen(&a, 80, 30).contains("cannot read it: disk I/O error"));
}

#[test]
fn the_key_line_names_every_label_key() {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let config = config(&names, false);
    let mut own = vec![None; 9];
    own.push(Some("0".to_string()));
    let keymap = crate::tui::keymap::Keymap::build(&[], &own).expect("keymap");
    let mut a = app_with(config, fixtures::cards());
    a.keymap = keymap;
    let s = screen(&a, 120, 40);
    assert!(s.contains("1-9,0 label"), "the tenth label's key 0 is on the key line:\n{s}");
}

#[test]
fn the_key_line_always_shows_help_and_quit() {
    let a = app();
    for (w, h) in [(80, 24), (60, 16), (120, 40)] {
        let s = screen(&a, w, h);
        let keys = s.lines().last().unwrap_or_default();
        assert!(keys.contains("? help") && keys.contains("q quit"), "{w}x{h}: {keys}");
    }
}

/// The help fits 80x24: long descriptions wrap instead of being cut, and it scrolls to its last line.
#[test]
fn help_fits_and_scrolls_to_its_end_at_80x24() {
    let mut a = app();
    press(&mut a, "?");
    let top = screen(&a, 80, 24);
    assert!(top.contains("item mode") && !top.contains("Keys can be changed in"), "{top}");
    for _ in 0..80 {
        press(&mut a, "j");
    }
    let end = screen(&a, 80, 24);
    assert!(end.contains("Keys can be changed in") && end.contains("\n│margin.toml."), "scrolled to the end:\n{end}");
    press(&mut a, "Esc");
    press(&mut a, "?");
    let whole: String = (0..12)
        .map(|_| {
            let s = screen(&a, 80, 24);
            press(&mut a, "j");
            s
        })
        .collect();
    assert!(whole.contains("confirm the labels"), "the long description's end is shown, not cut:\n{whole}");
}

/// With similar items on and ten labels on two rows, the label keys are never cut: similar items give way.
#[test]
fn label_keys_stay_when_similar_items_are_on() {
    let names = ["computers", "science", "politics", "work", "food", "love", "kids", "education", "sports", "tech"];
    let mut cards = fixtures::cards();
    for card in &mut cards {
        if let Some(p) = &mut card.prediction {
            p.probabilities = vec![0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02];
        }
    }
    let mut a = app_with(config(&names, false), cards);
    let mut explained = fixtures::explanation(1);
    explained.similar = vec![explained.similar[0].clone(); 3];
    update(&mut a, Msg::Explained(Box::new(explained)));
    press(&mut a, "m");
    let s = screen(&a, 80, 24);
    assert!(s.contains("predicted") && s.contains("≈0.61"), "a prediction and a similar item are shown:\n{s}");
    for key in ["1 computers", "9 sports"] {
        assert!(s.contains(key), "{key} missing:\n{s}");
    }
}

#[test]
fn counts_agree_after_a_resume_a_skip_and_a_decision() {
    // A batch of 5 resumed with 3 cards: two were decided in an earlier session.
    let mut a = app_with(config(&["sport", "tech", "politics"], false), Vec::new());
    let batch = BatchLoaded { cards: fixtures::cards(), batch_id: 7, size: 5, left: 13, ..BatchLoaded::default() };
    update(&mut a, Msg::Batch(batch));
    let shown = screen(&a, 80, 24);
    assert!(shown.contains("item 3/5"), "the third of five, as the batch was served:\n{shown}");
    assert!(shown.contains("13 left"), "the count the worker gave:\n{shown}");
    assert!(!shown.contains(" of 5 ·") && !shown.contains("1 of 3"), "no second, different position:\n{shown}");
    // A skip moves on without deciding: nothing fewer is left.
    press(&mut a, "s");
    update(&mut a, Msg::Recorded { item_id: 1, decision_id: 41 });
    update(&mut a, Msg::Left(13));
    let shown = screen(&a, 80, 24);
    assert!(shown.contains("item 4/5") && shown.contains("13 left"), "a skip is not done:\n{shown}");
    // The worker counts again after a decision; the summary says the same.
    update(&mut a, Msg::Left(12));
    assert!(screen(&a, 80, 24).contains("12 left"));
    press(&mut a, "Tab");
    assert!(screen(&a, 80, 30).contains("items left to label: 12"));
}

#[test]
fn guidelines_are_rendered_markdown_and_sanitised() {
    use crate::tui::annotate::state::Guidelines;
    use ratatui::style::Modifier;
    let mut a = app();
    let markdown = "# Guide\n\n## sport\n\nGames, *not* **betting**; see `rules`.\n\n- one \u{1b}[2Jtwo\n";
    a.guidelines = Guidelines::from_markdown(&[("g.md".into(), markdown.into())]);
    press(&mut a, "g");
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| render(&a, f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let shown = screen(&a, 80, 24);
    assert!(!shown.contains('#') && !shown.contains("**") && !shown.contains('`'), "no markup:\n{shown}");
    assert!(shown.contains("• one ⟨ESC[⟩two"), "a list item, its escape a placeholder:\n{shown}");
    // The style of the first cell of `word` on screen.
    let style_of = |word: &str| {
        let (row, line) = shown.lines().enumerate().find(|(_, l)| l.contains(word)).expect(word);
        let col = line[..line.find(word).unwrap()].chars().count();
        buffer[(col as u16, row as u16)].modifier
    };
    assert!(style_of("Guide").contains(Modifier::BOLD | Modifier::UNDERLINED), "a top heading");
    assert!(style_of("sport").contains(Modifier::BOLD), "a heading");
    assert!(style_of("not").contains(Modifier::ITALIC), "emphasis");
    assert!(style_of("betting").contains(Modifier::BOLD), "strong");
    assert!(!style_of("Games").contains(Modifier::BOLD | Modifier::ITALIC), "plain text");
    for cell in buffer.content() {
        assert!(!cell.symbol().chars().any(char::is_control), "{cell:?}");
    }
}

#[test]
fn a_batch_that_cannot_load_says_why_instead_of_nothing_left() {
    let mut a = app_with(config(&["spam", "ham"], false), Vec::new());
    a.mode = Mode::Loading;
    update(&mut a, Msg::BatchFailed("database error: no such column".into()));
    // A key clears the status line; the screen must still say why there is nothing to label.
    update(&mut a, Msg::Key(crate::tui::keymap::Key::Tab));
    update(&mut a, Msg::Key(crate::tui::keymap::Key::Esc));
    let shown = screen(&a, 80, 24);
    assert!(shown.contains("Cannot load the next batch"), "{shown}");
    assert!(!shown.contains("Nothing left to label"), "{shown}");
}
