//! The prompts that ask for a word before a decision is sent: why an item goes to an expert, why a
//! confident prediction was overridden, and a note to keep with the decision. Pure, like the rest of
//! `update`.

use super::{decide, edit, send};
use crate::domain::DecisionAction;
use crate::tui::annotate::msg::{DecisionRequest, Effect};
use crate::tui::annotate::state::{App, Mode};
use crate::tui::keymap::Key;

pub(super) fn escalate_prompt(app: &mut App, key: Key, typed: Option<String>) -> Vec<Effect> {
    match (typed, key) {
        (_, Key::Esc) => app.mode = Mode::Item,
        (None, Key::Char(c)) if c.is_ascii_digit() && c != '0' => {
            let i = usize::from(c as u8 - b'1');
            if let Some(reason) = app.config.escalate_reasons.get(i).cloned() {
                app.mode = Mode::Item;
                return decide(app, DecisionAction::Escalate, None, Some(reason));
            }
        }
        (None, Key::Char('t')) => app.mode = Mode::Escalate { typed: Some(String::new()) },
        (Some(text), Key::Enter) if !text.trim().is_empty() => {
            app.mode = Mode::Item;
            return decide(app, DecisionAction::Escalate, None, Some(text.trim().to_string()));
        }
        (Some(text), k) => app.mode = Mode::Escalate { typed: Some(edit(text, k)) },
        (None, _) => {}
    }
    Vec::new()
}

pub(super) fn override_prompt(app: &mut App, key: Key, mut request: DecisionRequest) -> Vec<Effect> {
    match key {
        Key::Esc => {
            // Skipping the question is recorded too.
            request.reason = Some("(no reason given)".into());
            send(app, request)
        }
        Key::Char(c) if c.is_ascii_digit() && c != '0' => {
            match app.config.override_reasons.get(usize::from(c as u8 - b'1')).cloned() {
                Some(reason) => {
                    request.reason = Some(reason);
                    send(app, request)
                }
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

pub(super) fn note_prompt(app: &mut App, key: Key, text: String) -> Vec<Effect> {
    match key {
        Key::Esc => app.mode = Mode::Item,
        Key::Enter => {
            let text = text.trim().to_string();
            app.note = (!text.is_empty()).then_some(text);
            app.mode = Mode::Item;
        }
        k => app.mode = Mode::Note { text: edit(text, k) },
    }
    Vec::new()
}
