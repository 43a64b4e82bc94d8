//! The triage screen's logic: a pure function from the state and one message to a new state and the
//! effects to carry out. A move is not shown as made until the worker says it is saved.

use super::{Purpose, TriageApp, TriageEffect, TriageMode, TriageMsg};
use crate::tui::action::Action;
use crate::tui::keymap::{Key, KeyMode};
use crate::tui::widgets::Message;
use crate::tui::widgets::prompt::edit;

/// Cases explained ahead of the one on screen (itself included).
const EXPLAIN_AHEAD: usize = 3;

pub fn update(app: &mut TriageApp, msg: TriageMsg) -> Vec<TriageEffect> {
    match msg {
        TriageMsg::Key(key) => key_pressed(app, key),
        TriageMsg::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        TriageMsg::Tick(now) => {
            app.now_ms = now;
            Vec::new()
        }
        TriageMsg::Loaded(cases) => {
            app.cases = cases;
            app.position = 0;
            app.mode = TriageMode::Browse;
            explain_ahead(app)
        }
        TriageMsg::Explained { item_id, text } => {
            if let Some(card) = app.cases.iter_mut().find(|c| c.item_id == item_id) {
                card.explanation = Some(text);
            }
            Vec::new()
        }
        TriageMsg::LoadFailed(error) => {
            app.mode = TriageMode::Browse;
            say(app, format!("Cannot load the cases: {error}"), true);
            Vec::new()
        }
        TriageMsg::Done { item_id, said, leaves } => {
            if app.busy == Some(item_id) {
                app.busy = None;
            }
            if leaves {
                if let Some(at) = app.cases.iter().position(|c| c.item_id == item_id) {
                    app.cases.remove(at);
                    app.settled += 1;
                    if app.position > at || app.position >= app.cases.len() {
                        app.position = app.position.saturating_sub(1).min(app.cases.len().saturating_sub(1));
                    }
                }
            }
            say(app, said, false);
            if leaves { explain_ahead(app) } else { Vec::new() }
        }
        TriageMsg::Failed { item_id, error } => {
            if app.busy == Some(item_id) {
                app.busy = None;
            }
            say(app, format!("Not saved: {error}"), true);
            Vec::new()
        }
        TriageMsg::RevealFailed(error) => {
            say(app, format!("Cannot reveal: {error}"), true);
            Vec::new()
        }
        TriageMsg::Revealed { item_id, text } => {
            if let Some(card) = app.cases.iter_mut().find(|c| c.item_id == item_id) {
                card.text = text;
                card.revealed = true;
            }
            Vec::new()
        }
        TriageMsg::Dashboard(figures) => {
            app.dashboard = Some(figures);
            Vec::new()
        }
        TriageMsg::Terminate => quit(app),
    }
}

fn say(app: &mut TriageApp, text: String, error: bool) {
    app.message = Some(Message { text, error });
}

fn quit(app: &mut TriageApp) -> Vec<TriageEffect> {
    crate::tui::quit_once(&mut app.quitting, TriageEffect::Quit)
}

fn key_pressed(app: &mut TriageApp, key: Key) -> Vec<TriageEffect> {
    match app.mode.clone() {
        TriageMode::Loading => match app.keymap.action(KeyMode::Triage, key) {
            Some(Action::Quit) => quit(app),
            _ => Vec::new(),
        },
        TriageMode::Browse => browse(app, key),
        TriageMode::Dashboard { page } => {
            let pages = crate::tui::widgets::dashboard::PAGES.len();
            match app.keymap.action(KeyMode::Dashboard, key) {
                Some(Action::NextPage) => app.mode = TriageMode::Dashboard { page: (page + 1) % pages },
                Some(Action::PreviousPage) => app.mode = TriageMode::Dashboard { page: (page + pages - 1) % pages },
                // The dashboard's quit keys close it here: the expert is back at the case.
                Some(Action::Quit) => app.mode = TriageMode::Browse,
                _ => {}
            }
            Vec::new()
        }
        TriageMode::Help => {
            if app.keymap.action(KeyMode::Help, key) == Some(Action::Close) {
                app.mode = TriageMode::Browse;
            } else if app.keymap.action(KeyMode::Triage, key) == Some(Action::Quit) {
                return quit(app);
            }
            Vec::new()
        }
        TriageMode::ChooseLabel(purpose) => {
            if key == Key::Esc {
                app.mode = TriageMode::Browse;
                return Vec::new();
            }
            // The labels' keys as on the main screen: 1-9, and a label's own key from margin.toml.
            if let Some(label) = app.keymap.label(key).filter(|&l| l < app.config.labels.len()) {
                // A gold item's rationale may be left empty; it is shown to whoever misses the check.
                app.mode = TriageMode::Rationale { purpose, label, text: String::new() };
            }
            Vec::new()
        }
        TriageMode::Rationale { purpose, label, mut text } => match key {
            Key::Esc => {
                app.mode = TriageMode::Browse;
                Vec::new()
            }
            Key::Enter => {
                if purpose == Purpose::Example && text.trim().is_empty() {
                    say(app, "An example for the guidelines needs a rationale: say why.".into(), true);
                    return Vec::new();
                }
                finish(app, purpose, label, text.trim().to_string())
            }
            other => {
                edit(&mut text, other);
                app.mode = TriageMode::Rationale { purpose, label, text };
                Vec::new()
            }
        },
        TriageMode::SendBackNote(mut text) => match key {
            Key::Esc => {
                app.mode = TriageMode::Browse;
                Vec::new()
            }
            Key::Enter => {
                app.mode = TriageMode::Browse;
                let Some(card) = app.card() else { return Vec::new() };
                let item_id = card.item_id;
                app.busy = Some(item_id);
                vec![TriageEffect::SendBack { item_id, note: text.trim().to_string() }]
            }
            other => {
                edit(&mut text, other);
                app.mode = TriageMode::SendBackNote(text);
                Vec::new()
            }
        },
    }
}

fn browse(app: &mut TriageApp, key: Key) -> Vec<TriageEffect> {
    let Some(action) = app.keymap.action(KeyMode::Triage, key) else { return Vec::new() };
    app.message = None;
    match action {
        Action::Quit => return quit(app),
        Action::NextCase => {
            app.position = (app.position + 1).min(app.cases.len().saturating_sub(1));
            return explain_ahead(app);
        }
        Action::PreviousCase => {
            app.position = app.position.saturating_sub(1);
            return explain_ahead(app);
        }
        Action::Help => {
            app.mode = TriageMode::Help;
            return Vec::new();
        }
        Action::Stats => {
            app.mode = TriageMode::Dashboard { page: 0 };
            // Read afresh each time: other experts and annotators are at work too.
            app.dashboard = None;
            return vec![TriageEffect::LoadDashboard];
        }
        _ => {}
    }
    let Some(card) = app.card() else { return Vec::new() };
    let (item_id, escalated, masked, revealed) = (card.item_id, card.escalated, card.masked, card.revealed);
    let moving = matches!(action, Action::Resolve | Action::SendBack | Action::AddExample | Action::MarkGold);
    if moving && app.busy.is_some() {
        say(app, "Saving...".into(), false);
        return Vec::new();
    }
    match action {
        Action::Resolve => app.mode = TriageMode::ChooseLabel(Purpose::Resolve),
        Action::AddExample => app.mode = TriageMode::ChooseLabel(Purpose::Example),
        Action::MarkGold => app.mode = TriageMode::ChooseLabel(Purpose::Gold),
        Action::SendBack if escalated => app.mode = TriageMode::SendBackNote(String::new()),
        Action::SendBack => say(app, "Only an escalation can be sent back.".into(), true),
        Action::Reveal if !app.config.can_reveal => say(app, "Only an expert can reveal masked data.".into(), true),
        Action::Reveal if masked == 0 || revealed => say(app, "Nothing is masked in this item.".into(), true),
        Action::Reveal => return vec![TriageEffect::Reveal { item_id }],
        _ => {}
    }
    Vec::new()
}

/// Asks for explanations of the case on screen and the next ones, where there are none yet.
fn explain_ahead(app: &TriageApp) -> Vec<TriageEffect> {
    let wanted: Vec<i64> = app
        .cases
        .iter()
        .skip(app.position)
        .take(EXPLAIN_AHEAD)
        .filter(|c| c.explanation.is_none())
        .map(|c| c.item_id)
        .collect();
    if wanted.is_empty() { Vec::new() } else { vec![TriageEffect::Explain(wanted)] }
}

/// The chosen label and rationale become the effect for `purpose`.
fn finish(app: &mut TriageApp, purpose: Purpose, label: usize, rationale: String) -> Vec<TriageEffect> {
    app.mode = TriageMode::Browse;
    let Some(card) = app.card() else { return Vec::new() };
    let item_id = card.item_id;
    let label = app.config.labels[label].name.clone();
    app.busy = Some(item_id);
    vec![match purpose {
        Purpose::Resolve => TriageEffect::Resolve { item_id, label, rationale },
        Purpose::Example => TriageEffect::AddExample { item_id, label, rationale },
        Purpose::Gold => TriageEffect::MarkGold { item_id, label, rationale },
    }]
}

impl Purpose {
    /// The prompt while a label is chosen.
    pub fn prompt(self) -> String {
        format!("{}:", self.verb())
    }
}

#[cfg(test)]
mod tests;
