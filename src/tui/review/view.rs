//! Drawing the review screen: what the list shows (filter, search, count), the decided items as a table
//! with the current one marked, its text below, and the overlays (history, label choice, help). Pure:
//! state in, frame out. Every text from the data goes through the screen's sanitising helpers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{ReviewApp, ReviewMode, Scope};
use crate::domain::review::{ReviewRow, day_of};
use crate::tui::action::Action;
use crate::tui::keymap::KeyMode;
use crate::tui::text::{columns, one_line, wrap};
use crate::tui::widgets::footer::KeyHints;
use crate::tui::widgets::layout::popup;
use crate::tui::widgets::{help, style};

/// Smaller than this, only a message fits.
const MIN_SIZE: (u16, u16) = (60, 16);

/// Lines of the current item's text under the list (inside its border).
const PREVIEW_LINES: u16 = 3;

pub fn render(app: &ReviewApp, frame: &mut Frame) {
    let area = frame.area();
    if crate::tui::widgets::layout::too_small(frame, MIN_SIZE, "review needs") {
        return;
    }
    let [header, filter, list, preview, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(PREVIEW_LINES + 2),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_line(app, header.width)), header);
    frame.render_widget(Paragraph::new(filter_line(app, usize::from(filter.width))), filter);
    render_list(app, frame, list);
    render_preview(app, frame, preview);
    frame.render_widget(Paragraph::new(message_line(app, usize::from(message.width))), message);
    frame.render_widget(Paragraph::new(footer_line(app, footer.width)), footer);
    match &app.mode {
        ReviewMode::History { lines, scroll, .. } => render_history(app, frame, area, lines.as_deref(), *scroll),
        ReviewMode::ChooseLabel(scope) | ReviewMode::Reason { scope, .. } => render_relabel(app, frame, area, scope),
        ReviewMode::Help => render_help(app, frame, list.union(preview)),
        _ => {}
    }
}

fn fg(app: &ReviewApp, color: Color) -> Style {
    style::fg(app.config.color, color)
}

fn header_line(app: &ReviewApp, width: u16) -> Line<'static> {
    let count = match (app.total, app.loading) {
        (Some(n), _) if app.like.is_some() => format!("{} closest of {n}", app.rows.len()),
        (Some(n), _) => format!("{} of {n} items", if n == 0 { 0 } else { app.position + 1 }),
        (None, _) => "counting...".to_string(),
    };
    let left = format!(" margin review  {} · {count}", one_line(&app.config.project, 30));
    let right = format!("{} ", one_line(&app.config.reviewer, 20));
    let gap = usize::from(width).saturating_sub(columns(&left) + columns(&right));
    Line::from(vec![
        Span::styled(left, Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(" ".repeat(gap)),
        Span::raw(right),
    ])
}

/// What narrows the list: the filter words, the search, the ranking by meaning.
fn filter_line(app: &ReviewApp, width: usize) -> Line<'static> {
    let mut shown = app.filter.clone();
    let search = shown.search.take();
    let mut parts = Vec::new();
    if !shown.is_empty() {
        parts.push(format!("filter: {}", shown.describe()));
    }
    if let Some(words) = search {
        parts.push(format!("text: {words}"));
    }
    if let Some(like) = &app.like {
        parts.push(format!("closest in meaning to: {like}"));
    }
    let text = if parts.is_empty() { "everything decided, newest first".to_string() } else { parts.join(" · ") };
    Line::styled(one_line(&format!(" {text}"), width), fg(app, Color::Cyan))
}

/// Whether the table has room for who decided and when (otherwise the preview's title says it).
fn wide(width: usize) -> bool {
    width >= 110
}

/// The table: a heading, then one line per item, the current one marked with `>` and reversed.
fn render_list(app: &ReviewApp, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let id_width = app.rows.iter().map(|r| columns(&r.id)).max().unwrap_or(2).clamp(2, 20);
    let mut heading = format!("  {} {} {} ", cell("id", id_width), cell("status", 9), cell("labels", 12));
    if wide(width) {
        heading.push_str(&format!("{} {} ", cell("by", 10), cell("on", 10)));
    }
    heading.push_str(&format!("{} text", cell("model then", 16)));
    let mut lines = vec![Line::styled(one_line(&heading, width), Style::default().add_modifier(Modifier::BOLD))];
    if app.rows.is_empty() {
        let text =
            if app.loading { "Loading..." } else { "Nothing decided matches. f changes the filter, / the search." };
        lines.push(Line::raw(text));
    }
    let end = (app.top + app.visible_rows()).min(app.rows.len());
    for (i, row) in app.rows.iter().enumerate().take(end).skip(app.top) {
        let current = i == app.position;
        let text = row_line(row, id_width, width.saturating_sub(2));
        let marker = if current { "> " } else { "  " };
        let style = if current { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
        lines.push(Line::from(vec![Span::raw(marker), Span::styled(text, style)]));
    }
    if app.loading && !app.rows.is_empty() {
        lines.push(Line::styled("  loading more...", fg(app, Color::DarkGray)));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// `text` made safe and fitted to exactly `width` columns: padded, or cut with an ellipsis.
fn cell(text: &str, width: usize) -> String {
    let safe = one_line(text, usize::MAX / 4);
    let mut out = String::new();
    let mut used = 0;
    if columns(&safe) > width {
        for c in safe.chars() {
            let w = columns(c.encode_utf8(&mut [0; 4]));
            if used + w + 1 > width {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    } else {
        out = safe;
        used = columns(&out);
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

fn row_line(row: &ReviewRow, id_width: usize, width: usize) -> String {
    let labels = row.labels.as_ref().map_or_else(|| "-".to_string(), |l| l.join("+"));
    let model = match (&row.predicted, row.confidence) {
        (Some(p), Some(c)) => format!("{} {:.0}%{}", p.join("+"), c * 100.0, if row.disagrees { " !" } else { "" }),
        _ => "-".to_string(),
    };
    let mut line = format!("{} {} {} ", cell(&row.id, id_width), cell(row.status.as_str(), 9), cell(&labels, 12));
    if wide(width + 2) {
        line.push_str(&format!("{} {} ", cell(&row.last_by, 10), day_of(row.last_at_ms)));
    }
    let gold = if row.gold { "[gold] " } else { "" };
    line.push_str(&format!("{} {gold}{}", cell(&model, 16), row.text.split_whitespace().collect::<Vec<_>>().join(" ")));
    one_line(&line, width)
}

fn render_preview(app: &ReviewApp, frame: &mut Frame, area: Rect) {
    let title = app.row().map_or_else(
        || " item ".to_string(),
        |r| format!(" item {} · by {} on {} ", one_line(&r.id, 30), one_line(&r.last_by, 20), day_of(r.last_at_ms)),
    );
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(row) = app.row() else { return };
    let lines: Vec<Line> = wrap(&row.text, usize::from(inner.width))
        .into_iter()
        .take(usize::from(PREVIEW_LINES))
        .map(|l| Line::raw(l.into_iter().map(|p| p.text).collect::<String>()))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The message, or the prompt being typed.
fn message_line(app: &ReviewApp, width: usize) -> Line<'static> {
    let prompt = |label: &str, text: &str| {
        let shown = format!("{label}: {text}_");
        // The end of what is typed stays in view.
        let skip = columns(&shown).saturating_sub(width);
        Line::styled(shown.chars().skip(skip).collect::<String>(), Style::default().add_modifier(Modifier::BOLD))
    };
    match &app.mode {
        ReviewMode::Filter(text) => return prompt("filter", text),
        ReviewMode::Search(text) => return prompt("search the texts for", text),
        ReviewMode::Meaning(text) => return prompt("closest in meaning to", text),
        ReviewMode::Reason { text, scope, label } => {
            let what = match scope {
                Scope::One { id, .. } => one_line(id, 30),
                Scope::Filtered { count, .. } => format!("{count} items"),
            };
            let name = app.config.labels.get(*label).map_or("?", |l| l.display.as_str());
            return prompt(&format!("why re-label {what} as {}", one_line(name, 30)), text);
        }
        ReviewMode::Counting => return Line::raw("Counting what the filter finds..."),
        _ => {}
    }
    match &app.message {
        Some(m) => {
            let color = if m.error { Color::Red } else { Color::Green };
            Line::styled(one_line(&m.text, width), fg(app, color))
        }
        None => Line::default(),
    }
}

fn footer_line(app: &ReviewApp, width: u16) -> Line<'static> {
    let keys = |action: Action| -> String {
        app.keymap.keys(KeyMode::Review, action).iter().map(ToString::to_string).collect::<Vec<_>>().join("/")
    };
    let mut hints = KeyHints::new();
    match app.mode {
        ReviewMode::Filter(_) | ReviewMode::Search(_) | ReviewMode::Meaning(_) | ReviewMode::Reason { .. } => {
            hints.key("Enter", "done").key("Esc", "cancel");
        }
        ReviewMode::ChooseLabel(_) => {
            hints.key("1-9", "label").key("Esc", "cancel");
        }
        ReviewMode::History { .. } => {
            hints
                .key("Esc/Enter", "close")
                .key(format!("{}/{}", keys(Action::NextCase), keys(Action::PreviousCase)), "scroll");
            if app.config.can_relabel {
                hints.key(keys(Action::Relabel), "relabel");
            }
        }
        _ => {
            for action in [Action::Open, Action::Filter, Action::SearchText, Action::SearchMeaning] {
                hints.key(keys(action), action.short());
            }
            if app.config.can_relabel {
                hints.key(keys(Action::Relabel), "relabel").key(keys(Action::RelabelAll), "relabel all");
            }
            hints.pinned_key(keys(Action::Help), "help").pinned_key(keys(Action::Quit), "quit");
        }
    }
    hints.line(width)
}

fn render_history(app: &ReviewApp, frame: &mut Frame, area: Rect, lines: Option<&[String]>, scroll: usize) {
    let width = area.width.saturating_sub(4);
    let height = area.height.saturating_sub(4);
    let title = app.row().map_or_else(|| " history ".to_string(), |r| format!(" history of {} ", one_line(&r.id, 30)));
    let inner = popup(frame, area, width, height, &title);
    let Some(lines) = lines else {
        frame.render_widget(Paragraph::new("Loading the history..."), inner);
        return;
    };
    let wrapped: Vec<Line> = lines
        .iter()
        .flat_map(|l| wrap(l, usize::from(inner.width)))
        .map(|l| Line::raw(l.into_iter().map(|p| p.text).collect::<String>()))
        .skip(scroll)
        .collect();
    frame.render_widget(Paragraph::new(wrapped), inner);
}

fn render_relabel(app: &ReviewApp, frame: &mut Frame, area: Rect, scope: &Scope) {
    let what = match scope {
        Scope::One { id, .. } => format!("item {}", one_line(id, 30)),
        Scope::Filtered { count, .. } => format!("all {count} items the filter finds"),
    };
    let height = (app.config.labels.len() as u16 + 4).min(area.height.saturating_sub(2));
    let inner = popup(frame, area, area.width.saturating_sub(8).min(70), height, &format!(" re-label {what} "));
    let keys = app.keymap.label_keys();
    let mut lines: Vec<Line> = app
        .config
        .labels
        .iter()
        .zip(keys)
        .map(|(label, keys)| {
            let key = keys.first().map_or_else(|| "-".to_string(), ToString::to_string);
            Line::from(vec![
                Span::styled(format!("{key:>3} "), Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(one_line(&label.display, usize::from(inner.width).saturating_sub(4))),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::raw("One ruling per item, with your reason, in the audit trail."));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Every key of the screen, from the keymap, over the list.
fn render_help(app: &ReviewApp, frame: &mut Frame, area: Rect) {
    let inner = help::keys_box(frame, area);
    let mut lines = help::keymap_rows(&app.keymap, KeyMode::Review, |action| match action {
        Action::NextCase => "next item",
        Action::PreviousCase => "previous item",
        other => other.description(),
    });
    lines.push(help::row("Esc", "close or cancel"));
    help::render(frame, inner, lines, 0);
}

#[cfg(test)]
mod tests;
