//! The review screen's logic: a pure function from the state and one message to a new state and the
//! effects to carry out. Answers to an older query are dropped; a re-label is not shown as made until
//! the worker says it is saved, and then the list is loaded again.

use super::{ReviewApp, ReviewEffect, ReviewMode, ReviewMsg, Scope};
use crate::domain::review::{ReviewFilter, ReviewRow};
use crate::tui::action::Action;
use crate::tui::keymap::{Key, KeyMode};
use crate::tui::widgets::Message;
use crate::tui::widgets::prompt::edit;

pub fn update(app: &mut ReviewApp, msg: ReviewMsg) -> Vec<ReviewEffect> {
    match msg {
        ReviewMsg::Key(key) => key_pressed(app, key),
        ReviewMsg::Resize(w, h) => {
            app.size = (w, h);
            keep_in_view(app);
            Vec::new()
        }
        ReviewMsg::Tick(_) => Vec::new(),
        ReviewMsg::Page { query, rows, more } => {
            if query != app.query {
                return Vec::new();
            }
            app.loading = false;
            app.more = more;
            app.rows.extend(rows);
            Vec::new()
        }
        ReviewMsg::Count { query, count } => counted(app, query, count),
        ReviewMsg::History { item_id, lines } => {
            if let ReviewMode::History { item_id: shown, lines: slot, .. } = &mut app.mode {
                if *shown == item_id {
                    *slot = Some(lines);
                }
            }
            Vec::new()
        }
        ReviewMsg::Relabelled { said, changed } => {
            app.busy = false;
            app.relabelled += changed as usize;
            say(app, said, false);
            reload(app)
        }
        ReviewMsg::Failed(error) => {
            app.busy = false;
            app.loading = false;
            if app.mode == ReviewMode::Counting {
                app.mode = ReviewMode::Browse;
            }
            say(app, error, true);
            Vec::new()
        }
        ReviewMsg::Terminate => quit(app),
    }
}

/// Starts the list afresh for the current filter: the first page and the count.
pub fn reload(app: &mut ReviewApp) -> Vec<ReviewEffect> {
    app.query += 1;
    app.rows.clear();
    app.position = 0;
    app.top = 0;
    app.total = None;
    app.loading = true;
    app.more = false;
    let load =
        ReviewEffect::Load { query: app.query, filter: app.filter.clone(), like: app.like.clone(), before: None };
    vec![load, ReviewEffect::Count { query: app.query, filter: app.filter.clone() }]
}

fn counted(app: &mut ReviewApp, query: u64, count: u64) -> Vec<ReviewEffect> {
    if query != app.query {
        return Vec::new();
    }
    app.total = Some(count);
    if app.mode == ReviewMode::Counting {
        app.mode = if count == 0 {
            say(app, "The filter finds nothing to re-label.".into(), true);
            ReviewMode::Browse
        } else {
            ReviewMode::ChooseLabel(Scope::Filtered { filter: app.filter.clone(), count })
        };
    }
    Vec::new()
}

fn say(app: &mut ReviewApp, text: String, error: bool) {
    app.message = Some(Message { text, error });
}

fn quit(app: &mut ReviewApp) -> Vec<ReviewEffect> {
    crate::tui::quit_once(&mut app.quitting, ReviewEffect::Quit)
}

fn key_pressed(app: &mut ReviewApp, key: Key) -> Vec<ReviewEffect> {
    match app.mode.clone() {
        ReviewMode::Browse => browse(app, key),
        ReviewMode::Help => {
            if app.keymap.action(KeyMode::Help, key) == Some(Action::Close) || key == Key::Esc {
                app.mode = ReviewMode::Browse;
            }
            Vec::new()
        }
        ReviewMode::Filter(text) => typed(app, key, text, |app, text| match ReviewFilter::parse(&text) {
            Ok(mut filter) => {
                filter.search = filter.search.take().or_else(|| app.filter.search.clone());
                app.filter = pin_person(app, filter);
                app.like = None;
                reload(app)
            }
            Err(e) => {
                say(app, e.to_string(), true);
                app.mode = ReviewMode::Filter(text);
                Vec::new()
            }
        }),
        ReviewMode::Search(text) => typed(app, key, text, |app, text| {
            app.filter.search = (!text.trim().is_empty()).then(|| text.trim().to_string());
            app.like = None;
            reload(app)
        }),
        ReviewMode::Meaning(text) => typed(app, key, text, |app, text| {
            app.like = (!text.trim().is_empty()).then(|| text.trim().to_string());
            reload(app)
        }),
        ReviewMode::History { item_id, lines, scroll } => history_key(app, key, item_id, lines, scroll),
        ReviewMode::Counting => {
            if key == Key::Esc {
                app.mode = ReviewMode::Browse;
            }
            Vec::new()
        }
        ReviewMode::ChooseLabel(scope) => {
            if key == Key::Esc {
                app.mode = ReviewMode::Browse;
            } else if let Some(label) = app.keymap.label(key).filter(|&l| l < app.config.labels.len()) {
                app.mode = ReviewMode::Reason { scope, label, text: String::new() };
            }
            Vec::new()
        }
        ReviewMode::Reason { scope, label, text } => reason_key(app, key, scope, label, text),
    }
}

/// Keeps an annotator's review to their own decisions, whatever they type.
fn pin_person(app: &ReviewApp, mut filter: ReviewFilter) -> ReviewFilter {
    if let Some(me) = &app.config.only_person {
        filter.person = Some(me.clone());
    }
    filter
}

/// A one-line prompt: Enter hands the text to `done`, Esc cancels, other keys edit.
fn typed(
    app: &mut ReviewApp,
    key: Key,
    mut text: String,
    done: impl FnOnce(&mut ReviewApp, String) -> Vec<ReviewEffect>,
) -> Vec<ReviewEffect> {
    match key {
        Key::Esc => {
            app.mode = ReviewMode::Browse;
            Vec::new()
        }
        Key::Enter => {
            app.mode = ReviewMode::Browse;
            app.message = None;
            done(app, text)
        }
        _ => {
            edit(&mut text, key);
            app.mode = match &app.mode {
                ReviewMode::Filter(_) => ReviewMode::Filter(text),
                ReviewMode::Search(_) => ReviewMode::Search(text),
                _ => ReviewMode::Meaning(text),
            };
            Vec::new()
        }
    }
}

fn browse(app: &mut ReviewApp, key: Key) -> Vec<ReviewEffect> {
    let page = app.visible_rows();
    match app.keymap.action(KeyMode::Review, key) {
        Some(Action::NextCase) => move_by(app, 1),
        Some(Action::PreviousCase) => move_by(app, -1),
        Some(Action::PageDown) => move_by(app, page as isize),
        Some(Action::PageUp) => move_by(app, -(page as isize)),
        Some(Action::Filter) => {
            let mut shown = app.filter.clone();
            shown.search = None;
            if app.config.only_person.is_some() {
                shown.person = None;
            }
            app.mode = ReviewMode::Filter(shown.describe());
            Vec::new()
        }
        Some(Action::SearchText) => {
            app.mode = ReviewMode::Search(app.filter.search.clone().unwrap_or_default());
            Vec::new()
        }
        Some(Action::SearchMeaning) if app.config.can_search_meaning => {
            app.mode = ReviewMode::Meaning(app.like.clone().unwrap_or_default());
            Vec::new()
        }
        Some(Action::SearchMeaning) => {
            say(app, "This project has no sentence encoder to search by meaning with.".into(), true);
            Vec::new()
        }
        Some(Action::Open) => match app.row() {
            Some(row) => {
                let item_id = row.item_id;
                app.mode = ReviewMode::History { item_id, lines: None, scroll: 0 };
                vec![ReviewEffect::History(item_id)]
            }
            None => Vec::new(),
        },
        Some(Action::Relabel) => start_relabel(app, false),
        Some(Action::RelabelAll) => start_relabel(app, true),
        Some(Action::Help) => {
            app.mode = ReviewMode::Help;
            Vec::new()
        }
        Some(Action::Quit) => quit(app),
        _ => Vec::new(),
    }
}

fn start_relabel(app: &mut ReviewApp, all: bool) -> Vec<ReviewEffect> {
    if !app.config.can_relabel {
        say(app, "Re-labelling is for experts and admins.".into(), true);
        return Vec::new();
    }
    if app.busy {
        say(app, "The last re-label is still being saved.".into(), true);
        return Vec::new();
    }
    if all && app.like.is_some() {
        say(app, "A ranking by meaning cannot be re-labelled whole; filter or search by words first.".into(), true);
        return Vec::new();
    }
    if all {
        app.mode = ReviewMode::Counting;
        // Count afresh: what the worker re-labels is what the person agreed to.
        return vec![ReviewEffect::Count { query: app.query, filter: app.filter.clone() }];
    }
    if let Some(row) = app.row() {
        app.mode = ReviewMode::ChooseLabel(Scope::One { item_id: row.item_id, id: row.id.clone() });
    }
    Vec::new()
}

fn history_key(
    app: &mut ReviewApp,
    key: Key,
    item_id: i64,
    lines: Option<Vec<String>>,
    scroll: usize,
) -> Vec<ReviewEffect> {
    let close = app.keymap.action(KeyMode::Help, key) == Some(Action::Close);
    match app.keymap.action(KeyMode::Review, key) {
        _ if close || key == Key::Esc || key == Key::Enter => app.mode = ReviewMode::Browse,
        Some(Action::NextCase) => app.mode = ReviewMode::History { item_id, lines, scroll: scroll + 1 },
        Some(Action::PreviousCase) => {
            app.mode = ReviewMode::History { item_id, lines, scroll: scroll.saturating_sub(1) };
        }
        Some(Action::Relabel) => {
            app.mode = ReviewMode::Browse;
            return start_relabel(app, false);
        }
        Some(Action::Quit) => return quit(app),
        _ => {}
    }
    Vec::new()
}

fn reason_key(app: &mut ReviewApp, key: Key, scope: Scope, label: usize, mut text: String) -> Vec<ReviewEffect> {
    match key {
        Key::Esc => app.mode = ReviewMode::Browse,
        Key::Enter if text.trim().is_empty() => {
            say(app, "Say why: the reason is kept with each ruling in the audit trail.".into(), true);
            app.mode = ReviewMode::Reason { scope, label, text };
        }
        Key::Enter => {
            app.mode = ReviewMode::Browse;
            app.busy = true;
            let name = app.config.labels[label].name.clone();
            say(app, "Saving...".into(), false);
            return vec![ReviewEffect::Relabel { scope, label: name, reason: text.trim().to_string() }];
        }
        _ => {
            edit(&mut text, key);
            app.mode = ReviewMode::Reason { scope, label, text };
        }
    }
    Vec::new()
}

/// Moves the cursor, asking for the next page when it nears the end of the rows.
fn move_by(app: &mut ReviewApp, delta: isize) -> Vec<ReviewEffect> {
    if app.rows.is_empty() {
        return Vec::new();
    }
    let last = app.rows.len() - 1;
    app.position = app.position.saturating_add_signed(delta).min(last);
    keep_in_view(app);
    let near_end = app.position + app.visible_rows() >= app.rows.len();
    if near_end && app.more && !app.loading && app.like.is_none() {
        app.loading = true;
        let before = app.rows.last().map(ReviewRow::cursor);
        return vec![ReviewEffect::Load { query: app.query, filter: app.filter.clone(), like: None, before }];
    }
    Vec::new()
}

fn keep_in_view(app: &mut ReviewApp) {
    let height = app.visible_rows();
    if app.position < app.top {
        app.top = app.position;
    } else if app.position >= app.top + height {
        app.top = app.position + 1 - height;
    }
}

#[cfg(test)]
pub(crate) mod tests;
