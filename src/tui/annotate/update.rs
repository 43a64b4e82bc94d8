//! `update`: the screen's logic as a pure function from the state and one message to a new state and the
//! I/O to do (`Effect`s). A decision is not shown as made until the store says it is written; keys that
//! would decide again meanwhile are refused with a word.

use super::msg::{BatchLoaded, Card, Effect, ModelActivity, Msg, RetrainOutcome};
use super::state::{App, DashboardFigures, Done, Message, Mode};
use crate::domain::DecisionAction;
use crate::tui::action::Action;
use crate::tui::keymap::{Key, KeyMode};
use crate::tui::widgets::prompt;

mod deciding;
mod guidelines;
mod prompts;
use deciding::{accept, can_decide, choose_label, decide, reject, send, undo};
use guidelines::{guidelines_action, guidelines_row_at, guidelines_row_of, guidelines_top, search_prompt};
use prompts::{escalate_prompt, note_prompt, override_prompt};

/// How many cards ahead explanations are asked for.
const EXPLAIN_AHEAD: usize = 3;

/// Applies one message.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => key_pressed(app, key),
        Msg::Resize(w, h) => resized(app, (w, h)),
        Msg::Tick(now) => {
            app.now_ms = now;
            Vec::new()
        }
        Msg::Batch(batch) => batch_loaded(app, batch),
        Msg::BatchFailed(error) => {
            app.message = Some(Message { text: format!("Cannot load the next batch: {error}"), error: true });
            app.batch_error = Some(error);
            if app.mode == Mode::Loading {
                app.mode = Mode::Done;
            }
            Vec::new()
        }
        Msg::Left(left) => {
            app.batch.left = left;
            Vec::new()
        }
        Msg::Recorded { item_id, decision_id } => recorded(app, item_id, decision_id),
        Msg::RecordFailed { item_id, error } => {
            if app.work.saving == Some(item_id) {
                app.work.saving = None;
            }
            app.message =
                Some(Message { text: format!("Not saved: {error}. The item stays; try again."), error: true });
            Vec::new()
        }
        Msg::Undone { undone, card } => undone_msg(app, undone, *card),
        Msg::UndoFailed(error) => {
            app.work.undoing = false;
            app.message = Some(Message { text: format!("Undo failed: {error}"), error: true });
            Vec::new()
        }
        Msg::Revealed { item_id, text } => {
            if let Some(card) = app.batch.cards.iter_mut().find(|c| c.item_id == item_id) {
                card.text = text;
                card.revealed = true;
            }
            Vec::new()
        }
        Msg::RevealFailed(error) => {
            app.message = Some(Message { text: format!("Cannot reveal: {error}"), error: true });
            Vec::new()
        }
        Msg::Explained(e) => {
            app.model.no_explanations = None;
            app.model.explanations.insert(e.item_id, *e);
            Vec::new()
        }
        Msg::NoExplanations(why) => {
            app.model.no_explanations = Some(why);
            Vec::new()
        }
        Msg::Model(info) => {
            app.model.info = info;
            Vec::new()
        }
        Msg::Predictions(predictions) => {
            let mut changed = false;
            for (item_id, prediction) in predictions {
                if let Some(card) = app.batch.cards.iter_mut().find(|c| c.item_id == item_id) {
                    card.prediction = Some(prediction);
                    app.model.explanations.remove(&item_id);
                    changed = true;
                }
            }
            if changed { explanations_ahead(app) } else { Vec::new() }
        }
        Msg::Vectors { done, items } => {
            app.model.vectors = Some((done, items));
            Vec::new()
        }
        Msg::AllTime(record) => {
            app.session.all_time = Some(record);
            Vec::new()
        }
        Msg::Quality(quality) => {
            app.session.quality = Some(quality);
            Vec::new()
        }
        Msg::Dashboard(figures) => {
            app.session.dashboard = match figures {
                Ok(d) => DashboardFigures::Read(d),
                Err(e) => DashboardFigures::Failed(e),
            };
            Vec::new()
        }
        Msg::Retrained(outcome) => retrained(app, outcome),
        Msg::NotRetrained { after_batch, why } => {
            if after_batch == app.batch.id {
                app.model.not_retrained = Some(why);
            }
            Vec::new()
        }
        Msg::Terminate => quit(app),
    }
}

/// The terminal's new size; the guidelines' rows depend on the width, so the same text stays at the top.
fn resized(app: &mut App, size: (u16, u16)) -> Vec<Effect> {
    let top = guidelines_top(app);
    app.size = size;
    if let Some(top) = top {
        let row = guidelines_row_at(app, top);
        if let Mode::Guidelines { scroll, .. } = &mut app.mode {
            *scroll = row;
        }
    }
    Vec::new()
}

/// A new model version is current: shown on this batch's summary, or said at once if the next batch began.
fn retrained(app: &mut App, outcome: RetrainOutcome) -> Vec<Effect> {
    app.model.info.cv_accuracy = outcome.after;
    app.model.info.version = Some(outcome.version);
    app.model.info.activity = ModelActivity::Idle;
    if outcome.after_batch == app.batch.id {
        app.model.retrain = Some(outcome);
    } else {
        let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.1}%", a * 100.0));
        let text = format!(
            "Model v{} is ready (cross-validated accuracy {} -> {}).",
            outcome.version,
            pct(outcome.before),
            pct(outcome.after)
        );
        app.message = Some(Message { text, error: false });
    }
    Vec::new()
}

fn quit(app: &mut App) -> Vec<Effect> {
    crate::tui::quit_once(&mut app.quitting, Effect::Quit)
}

fn batch_loaded(app: &mut App, batch: BatchLoaded) -> Vec<Effect> {
    app.batch_error = None;
    app.batch.left = batch.left;
    app.batch.decided_before = batch.size.saturating_sub(batch.cards.len());
    if batch.cards.is_empty() {
        app.mode = Mode::Done;
        app.batch.cards.clear();
        app.batch.position = 0;
        return Vec::new();
    }
    app.batch.cards = batch.cards;
    app.batch.position = 0;
    app.batch.id = batch.batch_id;
    app.batch.cold_start = batch.cold_start;
    app.model.before_batch = app.model.info.cv_accuracy;
    app.model.retrain = None;
    app.model.not_retrained = None;
    app.mode = Mode::Item;
    show_card(app)
}

/// Starts showing the card at `position`: resets per-card state and asks for explanations ahead.
fn show_card(app: &mut App) -> Vec<Effect> {
    app.batch.shown_at_ms = app.now_ms;
    app.scroll = 0;
    app.selected = vec![false; app.config.labels.len()];
    explanations_ahead(app)
}

/// Asks for the explanations of the cards from the current one on that have a prediction and none yet.
fn explanations_ahead(app: &App) -> Vec<Effect> {
    let wanted: Vec<i64> = app
        .batch
        .cards
        .iter()
        .skip(app.batch.position)
        .take(EXPLAIN_AHEAD)
        .filter(|c| c.prediction.is_some() && !app.model.explanations.contains_key(&c.item_id))
        .map(|c| c.item_id)
        .collect();
    if wanted.is_empty() { Vec::new() } else { vec![Effect::Explain(wanted)] }
}

fn recorded(app: &mut App, item_id: i64, decision_id: i64) -> Vec<Effect> {
    if app.work.saving != Some(item_id) {
        return Vec::new();
    }
    app.work.saving = None;
    let Some(card) = app.batch.cards.get(app.batch.position).cloned() else { return Vec::new() };
    let pending = app.work.pending_done.take();
    if let Some(mut done) = pending {
        done.decision_id = decision_id;
        done.card = card;
        if done.gold_right == Some(false) {
            gold_missed(app, &done);
        }
        app.session.history.push(done);
    }
    app.note = None;
    app.batch.position += 1;
    app.model.explanations.retain(|id, _| *id != item_id);
    if app.batch.position >= app.batch.cards.len() {
        app.mode = Mode::Summary;
        // The worker says afresh why no retrain follows (after an undo, the batch ends again).
        app.model.not_retrained = None;
        return vec![Effect::BatchDone { batch_id: app.batch.id }];
    }
    if app.config.break_after_ms > 0 && app.now_ms - app.session.last_break_ms >= app.config.break_after_ms {
        app.mode = Mode::Break;
        return show_card(app);
    }
    app.mode = Mode::Item;
    show_card(app)
}

/// Tells the person at once that they missed a gold check: the label expected, and a key to its guidelines.
fn gold_missed(app: &mut App, done: &Done) {
    let Some(expected) = done.card.gold.as_ref() else { return };
    let display = |name: &String| {
        app.config.labels.iter().find(|l| &l.name == name).map_or_else(|| name.clone(), |l| l.display.clone())
    };
    let expected_names: Vec<String> = expected.iter().map(display).collect();
    let first = expected.first().and_then(|name| app.config.labels.iter().position(|l| &l.name == name));
    // The key first and the expert's rationale last: on a narrow terminal, the rationale is what is cut.
    let guide = match (first, app.keymap.keys(KeyMode::Item, Action::Guidelines).first()) {
        (Some(_), Some(key)) => format!(" ({key}: its guidelines)"),
        _ => String::new(),
    };
    let why =
        done.card.gold_rationale.as_deref().map_or_else(String::new, |r| format!(" Why: {}.", r.trim_end_matches('.')));
    let text = format!("That was a gold check: it is {}{guide}.{why}", expected_names.join(" + "));
    app.message = Some(Message { text, error: true });
    app.gold_missed = first;
}

fn undone_msg(app: &mut App, undone: i64, card: Card) -> Vec<Effect> {
    app.work.undoing = false;
    app.session.undos += 1;
    let undone_action = app.session.history.iter().rposition(|d| d.decision_id == undone).map(|i| {
        let done = app.session.history.remove(i);
        done.action
    });
    // The card goes back on screen: in place if it belongs to the batch on screen, else in front of it.
    if app.batch.position > 0 && app.batch.cards.get(app.batch.position - 1).is_some_and(|c| c.item_id == card.item_id)
    {
        app.batch.position -= 1;
    } else {
        let at = app.batch.position.min(app.batch.cards.len());
        app.batch.cards.insert(at, card);
        app.batch.position = at;
    }
    app.mode = Mode::Item;
    let what = match undone_action {
        Some(DecisionAction::Accept) => "your accept",
        Some(DecisionAction::Correct) => "your correction",
        Some(DecisionAction::Reject) => "your rejection",
        Some(DecisionAction::Skip) => "your skip",
        Some(DecisionAction::Escalate) => "your escalation",
        _ => "your decision",
    };
    app.message = Some(Message { text: format!("Undone: {what} of this item. Decide it again."), error: false });
    show_card(app)
}

fn key_pressed(app: &mut App, key: Key) -> Vec<Effect> {
    if !matches!(app.message, Some(Message { error: false, .. })) || app.work.saving.is_none() {
        app.message = None;
    }
    // The missed gold check's label, for this key only (its message is gone with it).
    let gold_missed = app.gold_missed.take();
    let mode = app.mode.clone();
    match mode {
        Mode::Escalate { typed } => return escalate_prompt(app, key, typed),
        Mode::OverrideReason(request) => return override_prompt(app, key, *request),
        Mode::Note { text } => return note_prompt(app, key, text),
        Mode::Guidelines { scroll, query, typing: true } => return search_prompt(app, key, scroll, query),
        _ => {}
    }
    let action = app.keymap.action(app.mode.key_mode(), key);
    match (&app.mode, action) {
        (Mode::Item, None) => match app.keymap.label(key) {
            Some(label) => choose_label(app, label),
            None => Vec::new(),
        },
        (Mode::Item, Some(Action::Guidelines)) if gold_missed.is_some() => {
            let line = gold_missed.and_then(|k| app.guidelines.section_of(&app.config.labels[k])).unwrap_or(0);
            let scroll = guidelines_row_of(app, line);
            open_overlay(app, Mode::Guidelines { scroll, query: String::new(), typing: false });
            Vec::new()
        }
        (Mode::Item | Mode::Loading | Mode::Done, Some(action)) => item_action(app, action),
        (Mode::Guidelines { scroll, query, .. }, Some(action)) => {
            guidelines_action(app, action, *scroll, query.clone());
            Vec::new()
        }
        (Mode::Help { scroll }, Some(action)) => {
            let scroll = *scroll;
            match action {
                Action::Close => close_overlay(app),
                Action::ScrollDown => app.mode = Mode::Help { scroll: scroll + 1 },
                Action::ScrollUp => app.mode = Mode::Help { scroll: scroll.saturating_sub(1) },
                _ => {}
            }
            Vec::new()
        }
        (Mode::Stats, Some(Action::Close)) => {
            close_overlay(app);
            Vec::new()
        }
        (Mode::Stats, Some(action @ (Action::NextPage | Action::PreviousPage))) => stats_page(app, action),
        (Mode::Summary, Some(Action::Continue)) => {
            app.session.last_break_ms = app.now_ms.max(app.session.last_break_ms);
            if app.config.break_after_ms > 0 && app.now_ms - app.session.last_break_ms >= app.config.break_after_ms {
                app.mode = Mode::Break;
                return Vec::new();
            }
            app.mode = Mode::Loading;
            vec![Effect::NextBatch]
        }
        (Mode::Break, Some(Action::Continue)) => {
            app.session.last_break_ms = app.now_ms;
            if app.batch.position >= app.batch.cards.len() {
                app.mode = Mode::Loading;
                vec![Effect::NextBatch]
            } else {
                app.mode = Mode::Item;
                Vec::new()
            }
        }
        (Mode::Summary | Mode::Break, Some(Action::Quit)) => quit(app),
        (Mode::Summary, Some(Action::Undo)) => item_action(app, Action::Undo),
        _ => Vec::new(),
    }
}

/// Pages through the statistics: this person's figures, then (for those who see everyone's) the
/// dashboard's pages, whose figures are read when the first of them opens.
fn stats_page(app: &mut App, action: Action) -> Vec<Effect> {
    if !app.config.sees_everyone {
        return Vec::new();
    }
    let pages = 1 + crate::tui::widgets::dashboard::PAGES.len();
    let page = &mut app.session.stats_page;
    *page = if action == Action::NextPage { (*page + 1) % pages } else { (*page + pages - 1) % pages };
    if *page > 0 && app.session.dashboard == DashboardFigures::NotRead {
        app.session.dashboard = DashboardFigures::Reading;
        return vec![Effect::LoadDashboard];
    }
    Vec::new()
}

fn open_overlay(app: &mut App, mode: Mode) {
    let under = std::mem::replace(&mut app.mode, mode);
    app.under = Some(Box::new(under));
}

fn close_overlay(app: &mut App) {
    app.mode = app.under.take().map_or(Mode::Item, |m| *m);
}

fn item_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => return quit(app),
        Action::Help => open_overlay(app, Mode::Help { scroll: 0 }),
        Action::Stats => {
            open_overlay(app, Mode::Stats);
            // Read afresh each time: the numbers move with every decision, this person's and others'.
            app.session.all_time = None;
            app.session.dashboard = DashboardFigures::NotRead;
            app.session.stats_page = 0;
            return vec![Effect::LoadAllTime];
        }
        Action::Guidelines => {
            let label = app.card().and_then(|c| app.predicted(c)).and_then(|(l, _)| l.first().copied());
            let line = label.and_then(|k| app.guidelines.section_of(&app.config.labels[k])).unwrap_or(0);
            let scroll = guidelines_row_of(app, line);
            open_overlay(app, Mode::Guidelines { scroll, query: String::new(), typing: false });
        }
        Action::Undo => return undo(app),
        _ => {}
    }
    if app.mode != Mode::Item {
        return Vec::new();
    }
    match action {
        Action::Accept => accept(app),
        Action::Reject => reject(app),
        Action::Skip => decide(app, DecisionAction::Skip, None, None),
        Action::Escalate => {
            if can_decide(app) {
                app.mode = Mode::Escalate { typed: None };
            }
            Vec::new()
        }
        Action::Note => {
            app.mode = Mode::Note { text: app.note.clone().unwrap_or_default() };
            Vec::new()
        }
        Action::ToggleExplanation => {
            app.show_explanation = !app.show_explanation;
            Vec::new()
        }
        Action::ToggleSimilar => {
            app.show_similar = !app.show_similar;
            Vec::new()
        }
        Action::Reveal => reveal(app),
        Action::ScrollDown | Action::PageDown => {
            app.scroll += if action == Action::PageDown { 10 } else { 1 };
            Vec::new()
        }
        Action::ScrollUp | Action::PageUp => {
            app.scroll = app.scroll.saturating_sub(if action == Action::PageUp { 10 } else { 1 });
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Asks for the current card's original text, if this person may see it and something is masked.
fn reveal(app: &mut App) -> Vec<Effect> {
    let Some(card) = app.card() else { return Vec::new() };
    let (item_id, masked, revealed) = (card.item_id, card.masked, card.revealed);
    let refusal = if !app.config.can_reveal {
        "Only an expert can reveal masked data."
    } else if masked == 0 || revealed {
        "Nothing is masked in this item."
    } else {
        return vec![Effect::Reveal { item_id }];
    };
    app.message = Some(Message { text: refusal.into(), error: true });
    Vec::new()
}

/// Typing into a one-line field (the shared prompt's rules), by value.
fn edit(mut text: String, key: Key) -> String {
    prompt::edit(&mut text, key);
    text
}

#[cfg(test)]
mod tests;
