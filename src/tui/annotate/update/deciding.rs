//! Making a decision from the screen: accept, reject, a label chosen (with the confident-override
//! prompt when one is due), undo; the request is sent to the worker and the card waits until it is saved.
//! Pure, like the rest of `update`.

use crate::domain::DecisionAction;
use crate::tui::annotate::msg::{Card, DecisionRequest, Effect};
use crate::tui::annotate::state::{App, Done, Message, Mode};

pub(super) fn can_decide(app: &mut App) -> bool {
    if app.work.saving.is_some() || app.work.undoing {
        app.message = Some(Message { text: "Saving the last decision...".into(), error: false });
        return false;
    }
    app.card().is_some()
}

pub(super) fn accept(app: &mut App) -> Vec<Effect> {
    let Some(card) = app.card().cloned() else { return Vec::new() };
    if app.config.multi_label && app.selected.iter().any(|s| *s) {
        let chosen: Vec<usize> = (0..app.selected.len()).filter(|&k| app.selected[k]).collect();
        return with_labels(app, &card, chosen);
    }
    match app.predicted(&card) {
        Some((labels, _)) if !labels.is_empty() => {
            let names = label_names(app, &labels);
            decide(app, DecisionAction::Accept, Some(names), None)
        }
        _ => {
            app.message = Some(Message {
                text: "No prediction to accept: choose a label with its key (1-9).".into(),
                error: true,
            });
            Vec::new()
        }
    }
}

pub(super) fn reject(app: &mut App) -> Vec<Effect> {
    let Some(card) = app.card().cloned() else { return Vec::new() };
    if app.config.labels.len() != 2 || app.config.multi_label {
        app.message = Some(Message {
            text: "Reject is for two-label projects: choose the right label instead.".into(),
            error: true,
        });
        return Vec::new();
    }
    let Some((predicted, _)) = app.predicted(&card) else {
        app.message = Some(Message { text: "No prediction to reject: choose a label.".into(), error: true });
        return Vec::new();
    };
    let other = 1 - predicted[0];
    let names = label_names(app, &[other]);
    confident_override(app, &card, DecisionAction::Reject, names)
}

pub(super) fn choose_label(app: &mut App, label: usize) -> Vec<Effect> {
    let Some(card) = app.card().cloned() else { return Vec::new() };
    if app.config.multi_label {
        if let Some(s) = app.selected.get_mut(label) {
            *s = !*s;
        }
        return Vec::new();
    }
    with_labels(app, &card, vec![label])
}

/// A decision giving `chosen`: an accept if it is what the model predicted, else a correction (which
/// asks why when the prediction was confident).
pub(super) fn with_labels(app: &mut App, card: &Card, chosen: Vec<usize>) -> Vec<Effect> {
    let names = label_names(app, &chosen);
    let agrees = app.predicted(card).is_some_and(|(p, _)| p == chosen);
    if agrees {
        return decide(app, DecisionAction::Accept, Some(names), None);
    }
    confident_override(app, card, DecisionAction::Correct, names)
}

pub(super) fn confident_override(
    app: &mut App,
    card: &Card,
    action: DecisionAction,
    names: Vec<String>,
) -> Vec<Effect> {
    let confident = app.predicted(card).is_some_and(|(_, c)| f64::from(c) >= app.config.override_threshold);
    if confident && can_decide(app) && !app.config.override_reasons.is_empty() {
        if let Some(request) = request(app, action, Some(names), None) {
            app.mode = Mode::OverrideReason(Box::new(request));
        }
        return Vec::new();
    }
    decide(app, action, Some(names), None)
}

pub(super) fn label_names(app: &App, indices: &[usize]) -> Vec<String> {
    indices.iter().map(|&k| app.config.labels[k].name.clone()).collect()
}

/// The decision about the card on screen, as the worker will record it.
pub(super) fn request(
    app: &App,
    action: DecisionAction,
    labels: Option<Vec<String>>,
    reason: Option<String>,
) -> Option<DecisionRequest> {
    let card = app.card()?;
    let model = card
        .prediction
        .as_ref()
        .and_then(|p| app.predicted(card).map(|(l, c)| (p.model_version, label_names(app, &l), f64::from(c))));
    Some(DecisionRequest {
        item_id: card.item_id,
        action,
        labels,
        reason,
        note: app.note.clone(),
        time_spent_ms: (app.now_ms - app.batch.shown_at_ms).max(0),
        model,
        undoes: None,
    })
}

pub(super) fn decide(
    app: &mut App,
    action: DecisionAction,
    labels: Option<Vec<String>>,
    reason: Option<String>,
) -> Vec<Effect> {
    if !can_decide(app) {
        return Vec::new();
    }
    let Some(request) = request(app, action, labels, reason) else { return Vec::new() };
    send(app, request)
}

/// Hands a decision to the worker and remembers what it will mean once written.
pub(super) fn send(app: &mut App, request: DecisionRequest) -> Vec<Effect> {
    let Some(card) = app.batch.cards.get(app.batch.position).cloned() else { return Vec::new() };
    let agreed = match (&request.model, &request.labels) {
        (Some((_, predicted, _)), Some(chosen)) => Some(predicted == chosen),
        _ => None,
    };
    let confident_override =
        agreed == Some(false) && request.model.as_ref().is_some_and(|(_, _, c)| *c >= app.config.override_threshold);
    let gold_right = match (&card.gold, &request.labels) {
        (Some(gold), Some(chosen)) => {
            let mut a = gold.clone();
            let mut b = chosen.clone();
            a.sort();
            b.sort();
            Some(a == b)
        }
        _ => None,
    };
    app.work.pending_done = Some(Done {
        decision_id: 0,
        card,
        batch_id: app.batch.id,
        action: request.action,
        agreed,
        confident_override,
        gold_right,
        time_spent_ms: request.time_spent_ms,
    });
    app.work.saving = Some(request.item_id);
    app.mode = Mode::Item;
    vec![Effect::Record(request)]
}

pub(super) fn undo(app: &mut App) -> Vec<Effect> {
    if app.work.saving.is_some() || app.work.undoing {
        app.message = Some(Message { text: "Saving the last decision...".into(), error: false });
        return Vec::new();
    }
    let Some(last) = app.session.history.last() else {
        app.message = Some(Message { text: "Nothing to undo in this session.".into(), error: false });
        return Vec::new();
    };
    app.work.undoing = true;
    vec![Effect::Undo { decision_id: last.decision_id, card: Box::new(last.card.clone()) }]
}
