//! Drawing the screen from the state, and nothing else: `render` is a pure function of `App` (sizes are
//! fixed by the frame, the clock by the state). Layouts: the full one from 80x24, a narrow one down to
//! 60x16, and below that a message that the terminal is too small.

mod item;
mod overlay;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::tui::annotate::msg::ModelActivity;
use crate::tui::annotate::state::{App, Mode};
use crate::tui::keymap::KeyMode;
use crate::tui::text::one_line;
use crate::tui::widgets::footer::KeyHints;
use crate::tui::widgets::layout::centred;
use crate::tui::widgets::style;

/// The smallest screen margin draws on.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// From here up, the full layout (borders, the model pane on its own).
pub const FULL_SIZE: (u16, u16) = (80, 24);

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Clear, area);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "The terminal is too small ({}x{}): margin needs at least {}x{}. Enlarge it, or press q to quit.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }), area);
        return;
    }
    let full = area.width >= FULL_SIZE.0 && area.height >= FULL_SIZE.1;
    let [header, body, progress, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(header_line(app, header.width)), header);
    match &app.mode {
        Mode::Loading => centred(frame, body, "Choosing the next batch..."),
        Mode::Done => centred(frame, body, &done_text(app)),
        Mode::Summary | Mode::Break => overlay::summary(app, frame, body),
        _ => item::render(app, frame, body, full),
    }
    match &app.mode {
        Mode::Help { scroll } => overlay::help(app, frame, body, *scroll),
        Mode::Guidelines { scroll, query, typing } => overlay::guidelines(app, frame, body, *scroll, query, *typing),
        Mode::Stats => overlay::stats(app, frame, body),
        Mode::Escalate { typed } => overlay::escalate(app, frame, body, typed.as_deref()),
        Mode::OverrideReason(request) => overlay::override_reason(app, frame, body, request),
        Mode::Note { text } => overlay::note(app, frame, body, text),
        _ => {}
    }
    frame.render_widget(Paragraph::new(progress_line(app, progress.width)), progress);
    frame.render_widget(Paragraph::new(footer_line(app, footer.width)), footer);
}

fn done_text(app: &App) -> String {
    if let Some(error) = &app.batch_error {
        return format!("Cannot load the next batch: {error}. margin's log has more; q quits.");
    }
    let t = app.session_tally();
    format!(
        "Nothing left to label for you right now: {} this session. Items held for experts or by other people \
         may come back later. Press q to quit.",
        crate::domain::text::count(t.decided as u64, "decision", "decisions")
    )
}

/// Style helpers that honour NO_COLOR (no colour at all, only bold, reverse and underline).
pub(super) fn fg(app: &App, color: Color) -> Style {
    style::fg(app.config.color, color)
}

pub(super) fn label_color(app: &App, k: usize) -> Color {
    style::label_color(app.config.labels.get(k).and_then(|l| l.color.as_deref()))
}

fn header_line(app: &App, width: u16) -> Line<'static> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(" margin ", bold.add_modifier(Modifier::REVERSED))];
    spans.push(Span::raw(format!(" {} ", one_line(&app.config.project, 30))));
    if !app.batch.cards.is_empty() && !matches!(app.mode, Mode::Loading | Mode::Done) {
        let before = app.batch.decided_before;
        let of = before + app.batch.cards.len();
        let at = (before + app.batch.position + 1).min(of);
        let cold = if app.batch.cold_start { " (cold start)" } else { "" };
        spans.push(Span::raw(format!("· batch {} · item {at}/{of}{cold} ", app.batch.id)));
    }
    let who = format!(" {} ", one_line(&app.config.annotator, 20));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = usize::from(width).saturating_sub(used + who.chars().count());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(who, fg(app, Color::Cyan)));
    Line::from(spans)
}

fn progress_line(app: &App, width: u16) -> Line<'static> {
    if let Some(m) = &app.message {
        let style = if m.error { fg(app, Color::Red).add_modifier(Modifier::BOLD) } else { fg(app, Color::Yellow) };
        return Line::from(Span::styled(one_line(&m.text, usize::from(width)), style));
    }
    let t = app.session_tally();
    let mut parts = vec![format!("session {}", t.decided)];
    if let Some(pace) = app.pace_per_hour() {
        parts.push(format!("{pace:.0}/h"));
    }
    parts.push(format!("{} left", app.batch.left));
    if t.gold > 0 {
        parts.push(format!("gold {}/{} right", t.gold_right, t.gold));
    }
    let model = match (app.model.info.activity, app.model.info.version) {
        (ModelActivity::Retraining, _) => "model: retraining".to_string(),
        (_, Some(v)) => format!("model v{v}"),
        (_, None) => "no model yet".to_string(),
    };
    parts.push(model);
    if let Some((done, items)) = app.model.vectors.filter(|(done, items)| done < items) {
        parts.push(format!("vectors {done}/{items}"));
    }
    if app.work.saving.is_some() {
        parts.push("saving...".into());
    }
    if let Some(note) = &app.note {
        parts.push(format!("note: {}", one_line(note, 20)));
    }
    Line::from(Span::styled(one_line(&parts.join(" · "), usize::from(width)), fg(app, Color::Gray)))
}

/// The label keys for the key line: the digits' range, then the own keys of labels past the ninth
/// ("1-9,0" for the demo's ten topics).
fn label_keys_hint(app: &App) -> String {
    let n = app.config.labels.len().min(9);
    let own: Vec<String> =
        app.keymap.label_keys().iter().skip(9).filter_map(|keys| keys.first().map(ToString::to_string)).collect();
    if own.is_empty() { format!("1-{n}") } else { format!("1-{n},{}", own.join(",")) }
}

/// The digits that choose one of `reasons` ("1-4" for four; the prompt numbers at most nine).
fn reason_keys(reasons: &[String]) -> String {
    match reasons.len().min(9) {
        0 | 1 => "1".to_string(),
        n => format!("1-{n}"),
    }
}

fn footer_line(app: &App, width: u16) -> Line<'static> {
    use crate::tui::action::Action;
    let mut hints = KeyHints::new();
    match &app.mode {
        Mode::Escalate { typed: None } => {
            hints.key(reason_keys(&app.config.escalate_reasons), "reason").key("t", "type one").key("Esc", "cancel");
        }
        Mode::Escalate { typed: Some(_) } | Mode::Note { .. } => {
            hints.key("Enter", "done").key("Esc", "cancel");
        }
        Mode::OverrideReason(_) => {
            hints.key(reason_keys(&app.config.override_reasons), "reason").key("Esc", "skip the question");
        }
        Mode::Guidelines { typing: true, .. } => {
            hints.key("Enter", "find").key("Esc", "cancel");
        }
        mode => {
            let key_mode = mode.key_mode();
            if key_mode == KeyMode::Item && app.card().is_some() {
                hints.key(label_keys_hint(app), if app.config.multi_label { "toggle label" } else { "label" });
            }
            for (action, keys) in app.keymap.bindings(key_mode) {
                let Some(first) = keys.first() else { continue };
                if matches!(action, Action::ScrollUp | Action::PageUp | Action::PageDown | Action::ToggleSimilar) {
                    continue;
                }
                if action == Action::Reject && (app.config.labels.len() != 2 || app.config.multi_label) {
                    continue;
                }
                // Reveal only where there is something this person may reveal.
                if action == Action::Reveal
                    && !(app.config.can_reveal && app.card().is_some_and(|c| c.masked > 0 && !c.revealed))
                {
                    continue;
                }
                if matches!(action, Action::Help | Action::Quit) {
                    hints.pinned_key(first.to_string(), action.short());
                } else {
                    hints.key(first.to_string(), action.short());
                }
            }
        }
    }
    hints.line(width)
}

#[cfg(test)]
mod tests;
