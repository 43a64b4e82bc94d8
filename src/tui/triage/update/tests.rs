//! The triage screen's moves through `update`, with the effects they ask for.

use super::*;
use crate::tui::annotate::state::LabelView;
use crate::tui::keymap::Keymap;
use crate::tui::triage::{TriageCard, TriageConfig};

fn labels() -> Vec<LabelView> {
    ["spam", "ham"].iter().map(|l| LabelView { name: (*l).into(), display: (*l).into(), color: None }).collect()
}

fn app(can_reveal: bool) -> TriageApp {
    let config = TriageConfig { project: "p".into(), expert: "bob".into(), labels: labels(), can_reveal, color: false };
    let keymap = Keymap::build(&[], &[None, None]).expect("keymap");
    let mut app = TriageApp::new(config, keymap);
    let escalated = TriageCard {
        item_id: 1,
        ext_id: "c".into(),
        text: "cheap pills".into(),
        why: vec!["escalated".into()],
        escalated: true,
        ..TriageCard::default()
    };
    let disputed =
        TriageCard { item_id: 2, ext_id: "a".into(), text: "win <email>".into(), masked: 1, ..TriageCard::default() };
    update(&mut app, TriageMsg::Loaded(vec![escalated, disputed]));
    app
}

fn press(app: &mut TriageApp, keys: &str) -> Vec<TriageEffect> {
    let mut effects = Vec::new();
    for c in keys.chars() {
        let key = match c {
            '\r' => Key::Enter,
            '\x1b' => Key::Esc,
            '\x7f' => Key::Backspace,
            c => Key::Char(c),
        };
        effects.extend(update(app, TriageMsg::Key(key)));
    }
    effects
}

#[test]
fn resolving_takes_a_label_and_a_rationale_and_the_case_leaves_once_saved() {
    let mut a = app(true);
    assert!(press(&mut a, "\r2not spam").is_empty());
    assert_eq!(
        press(&mut a, "\r"),
        vec![TriageEffect::Resolve { item_id: 1, label: "ham".into(), rationale: "not spam".into() }]
    );
    assert!(press(&mut a, "\r").is_empty(), "no second move while one is saved");
    assert_eq!(a.cases.len(), 2, "shown as made only once saved");
    update(&mut a, TriageMsg::Done { item_id: 1, said: "c resolved as ham.".into(), leaves: true });
    assert_eq!((a.cases.len(), a.settled, a.card().unwrap().item_id), (1, 1, 2));
    assert_eq!(a.message.as_ref().unwrap().text, "c resolved as ham.");
}

#[test]
fn an_example_needs_a_rationale_and_stays_in_the_queue() {
    let mut a = app(true);
    press(&mut a, "j");
    assert!(press(&mut a, "x1\r").is_empty());
    assert!(a.message.as_ref().unwrap().error, "an empty rationale is refused");
    let effects = press(&mut a, "offers money\x7f\x7fey\r");
    assert_eq!(
        effects,
        vec![TriageEffect::AddExample { item_id: 2, label: "spam".into(), rationale: "offers money".into() }]
    );
    update(&mut a, TriageMsg::Done { item_id: 2, said: "Added.".into(), leaves: false });
    assert_eq!(a.cases.len(), 2);
}

#[test]
fn gold_send_back_reveal_and_escape() {
    let mut a = app(true);
    assert!(press(&mut a, "o1").is_empty(), "a gold item asks why first");
    assert_eq!(
        press(&mut a, "pills\r"),
        vec![TriageEffect::MarkGold { item_id: 1, label: "spam".into(), rationale: "pills".into() }]
    );
    update(&mut a, TriageMsg::Failed { item_id: 1, error: "disk full".into() });
    assert!(a.message.as_ref().unwrap().text.contains("disk full"));
    assert_eq!(
        press(&mut a, "bback to you\r"),
        vec![TriageEffect::SendBack { item_id: 1, note: "back to you".into() }]
    );
    update(&mut a, TriageMsg::Done { item_id: 1, said: "sent".into(), leaves: true });
    // The disagreement left: no escalation to send back; its masked text can be revealed.
    assert!(press(&mut a, "b").is_empty());
    assert!(a.message.as_ref().unwrap().text.contains("Only an escalation"));
    assert_eq!(press(&mut a, "r"), vec![TriageEffect::Reveal { item_id: 2 }]);
    update(&mut a, TriageMsg::Revealed { item_id: 2, text: "win jo@example.com".into() });
    assert!(a.card().unwrap().revealed);
    assert!(press(&mut a, "\r1why\x1b").is_empty(), "Esc leaves the rationale");
    assert_eq!(a.mode, TriageMode::Browse);
    assert_eq!(press(&mut a, "?"), Vec::new());
    assert_eq!(a.mode, TriageMode::Help);
    assert!(press(&mut a, "?").is_empty(), "? closes the help");
    press(&mut a, "?");
    let ctrl_c = update(&mut a, TriageMsg::Key(Key::Ctrl('c')));
    assert_eq!(ctrl_c, vec![TriageEffect::Quit], "Ctrl-c quits from the help too");
    assert!(a.quitting);

    let mut annotator = app(false);
    press(&mut annotator, "j");
    assert!(press(&mut annotator, "r").is_empty());
    assert!(annotator.message.as_ref().unwrap().text.contains("Only an expert"));
}

#[test]
fn moving_between_cases_stays_in_bounds() {
    let mut a = app(true);
    press(&mut a, "kk");
    assert_eq!(a.position, 0);
    press(&mut a, "jjj");
    assert_eq!(a.position, 1);
    update(&mut a, TriageMsg::Done { item_id: 2, said: String::new(), leaves: true });
    assert_eq!(a.position, 0);
    update(&mut a, TriageMsg::Done { item_id: 1, said: String::new(), leaves: true });
    assert!(a.card().is_none());
    assert!(press(&mut a, "\r").is_empty());
}

#[test]
fn explanations_are_asked_for_the_case_on_screen_and_the_next_ones() {
    let config =
        TriageConfig { project: "p".into(), expert: "bob".into(), labels: labels(), can_reveal: true, color: false };
    let mut a = TriageApp::new(config, Keymap::build(&[], &[None, None]).unwrap());
    let cards: Vec<TriageCard> = (1..=5).map(|i| TriageCard { item_id: i, ..TriageCard::default() }).collect();
    assert_eq!(update(&mut a, TriageMsg::Loaded(cards)), vec![TriageEffect::Explain(vec![1, 2, 3])]);
    update(&mut a, TriageMsg::Explained { item_id: 2, text: "for spam: \"win\"".into() });
    assert_eq!(a.cases[1].explanation.as_deref(), Some("for spam: \"win\""));
    assert_eq!(press(&mut a, "j"), vec![TriageEffect::Explain(vec![3, 4])]);
}

#[test]
fn a_failed_reveal_does_not_free_a_ruling_in_flight() {
    let mut a = app(true);
    press(&mut a, "j");
    assert_eq!(press(&mut a, "\r1"), Vec::new());
    assert_eq!(press(&mut a, "\r").len(), 1);
    update(&mut a, TriageMsg::RevealFailed("disk full".into()));
    assert_eq!(a.busy, Some(2), "the ruling is still being saved");
    assert!(press(&mut a, "\r").is_empty());
}

#[test]
fn a_label_past_the_ninth_is_chosen_by_its_own_key() {
    let labels: Vec<LabelView> =
        (1..=11).map(|i| LabelView { name: format!("l{i}"), display: format!("l{i}"), color: None }).collect();
    let own: Vec<Option<String>> = (1..=11).map(|i| if i == 11 { Some("z".into()) } else { None }).collect();
    let config = TriageConfig { project: "p".into(), expert: "bob".into(), labels, can_reveal: true, color: false };
    let mut a = TriageApp::new(config, Keymap::build(&[], &own).expect("keymap"));
    update(&mut a, TriageMsg::Loaded(vec![TriageCard { item_id: 4, ..TriageCard::default() }]));
    let gold = |label: &str| vec![TriageEffect::MarkGold { item_id: 4, label: label.into(), rationale: String::new() }];
    assert_eq!(press(&mut a, "oz\r"), gold("l11"), "the rationale may be empty");
    update(&mut a, TriageMsg::Done { item_id: 4, said: String::new(), leaves: false });
    assert_eq!(press(&mut a, "o9\r"), gold("l9"));
    update(&mut a, TriageMsg::Done { item_id: 4, said: String::new(), leaves: false });
    assert!(press(&mut a, "o0").is_empty(), "label 10 has no key: nothing chosen");
}

#[test]
fn the_dashboard_opens_over_the_case_pages_and_closes_back_to_it() {
    let mut a = app(true);
    assert_eq!(press(&mut a, "s"), vec![TriageEffect::LoadDashboard]);
    assert_eq!(a.mode, TriageMode::Dashboard { page: 0 });
    update(&mut a, TriageMsg::Dashboard(Ok(Box::default())));
    press(&mut a, "ll");
    assert_eq!(a.mode, TriageMode::Dashboard { page: 2 });
    press(&mut a, "h");
    assert_eq!(a.mode, TriageMode::Dashboard { page: 1 });
    assert!(press(&mut a, "q").is_empty(), "q closes the dashboard, it does not quit triage");
    assert_eq!(a.mode, TriageMode::Browse);
    assert!(!a.quitting);
}
