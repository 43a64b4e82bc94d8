//! The review screen as drawn: snapshots at 80x24 and 120x40, and what each overlay shows.

use super::*;
use crate::tui::action::Action;
use crate::tui::keymap::Key;
use crate::tui::review::update::tests::app;
use crate::tui::review::{ReviewMsg, update};

fn screen(app: &ReviewApp, width: u16, height: u16) -> String {
    crate::tui::annotate::fixtures::drawn(width, height, |f| render(app, f))
}

fn sized(width: u16, height: u16) -> ReviewApp {
    let mut a = app(true);
    update(&mut a, ReviewMsg::Resize(width, height));
    a.rows[1].text = "a hostile \u{1b}[2J text\nover two lines".into();
    a.rows[2].gold = true;
    a
}

#[test]
fn the_list_at_80x24() {
    insta::assert_snapshot!(screen(&sized(80, 24), 80, 24));
}

#[test]
fn the_list_at_120x40() {
    let shown = screen(&sized(120, 40), 120, 40);
    assert!(shown.contains("by") && shown.contains("2026-09-21"), "wide enough for who and when:\n{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn nothing_from_the_data_reaches_the_terminal_raw() {
    let mut a = sized(80, 24);
    update(&mut a, ReviewMsg::Key(Key::Char('j')));
    let shown = screen(&a, 80, 24);
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn overlays_show_the_history_the_labels_and_every_key() {
    let mut a = sized(80, 24);
    update(&mut a, ReviewMsg::Key(Key::Enter));
    assert!(screen(&a, 80, 24).contains("Loading the history"));
    update(&mut a, ReviewMsg::History { item_id: 1, lines: vec!["#3 2026-12-01 ann correct spam".into()] });
    assert!(screen(&a, 80, 24).contains("#3 2026-12-01 ann correct spam"));
    update(&mut a, ReviewMsg::Key(Key::Esc));
    update(&mut a, ReviewMsg::Key(Key::Char('l')));
    let shown = screen(&a, 80, 24);
    assert!(shown.contains("re-label item item-1") && shown.contains("2 ham"), "{shown}");
    update(&mut a, ReviewMsg::Key(Key::Esc));
    update(&mut a, ReviewMsg::Key(Key::Char('?')));
    let shown = screen(&a, 80, 24);
    for (action, _) in a.keymap.bindings(KeyMode::Review) {
        let start: String = action.description().chars().take(15).collect();
        let what = start;
        assert!(
            shown.contains(&what) || action == Action::NextCase || action == Action::PreviousCase,
            "{} missing:\n{shown}",
            action.name()
        );
    }
}

#[test]
fn a_prompt_shows_what_is_typed_and_small_terminals_say_so() {
    let mut a = sized(80, 24);
    for c in "flabel=sp".chars() {
        update(&mut a, ReviewMsg::Key(Key::Char(c)));
    }
    assert!(screen(&a, 80, 24).contains("filter: label=sp_"));
    assert!(screen(&a, 50, 10).contains("terminal too small"));
}
