//! Draws the span screen. Pure: the same state always draws the same frame.
//!
//! The text is wrapped with each span's label written after it (`Angela Merkel PER`, with the model's
//! confidence while the span is as it proposed); with colours the span and its label sit on the label's
//! colour, under NO_COLOR the span is bracketed (`[Angela Merkel]PER`). The cursor's token is reversed and
//! the selection underlined in both. Text from data goes through `tui::text`, which makes control, bidi
//! and zero-width characters visible and measures wide ones.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span as Styled};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::msg::Proposer;
use super::state::{Editing, Mode, SpanApp};
use crate::domain::spans::Span;
use crate::tui::action::Action;
use crate::tui::keymap::{KeyMode, describe};
use crate::tui::text::{one_line, wrap};
use crate::tui::widgets::footer::KeyHints;
use crate::tui::widgets::{help, layout, style};

/// The smallest terminal the screen draws on.
const MIN_SIZE: (u16, u16) = (40, 10);
/// Between a span and its label: a space that never breaks a line.
const TIGHT: char = '\u{a0}';

pub fn render(app: &SpanApp, frame: &mut Frame) {
    if layout::too_small(frame, MIN_SIZE, "the span screen needs") {
        return;
    }
    let area = frame.area();
    let [header, legend, body, spans, message, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header_line(app, usize::from(header.width))), header);
    frame.render_widget(Paragraph::new(legend_line(app)), legend);
    match &app.editing {
        Some(editing) => {
            render_text(app, editing, frame, body);
            frame.render_widget(Paragraph::new(span_list(app, editing, usize::from(spans.width))), spans);
        }
        None => layout::centred(frame, body, &waiting_text(app)),
    }
    let text = app.message.as_deref().unwrap_or("");
    frame.render_widget(Paragraph::new(one_line(text, usize::from(message.width))), message);
    frame.render_widget(Paragraph::new(footer_line(app, footer.width)), footer);
    match app.mode {
        Mode::Help => render_help(app, frame, body.union(spans)),
        Mode::Escalating => render_reasons(app, frame, body),
        Mode::Labelling => {}
    }
}

fn waiting_text(app: &SpanApp) -> String {
    if app.finished {
        "Nothing left to label. q quits; your decisions are saved.".into()
    } else if app.saving.is_some() {
        "Saving...".into()
    } else {
        "Loading the next items...".into()
    }
}

fn header_line(app: &SpanApp, width: usize) -> Line<'static> {
    let card = app.editing.as_ref().map(|e| &e.card);
    let item = card.map_or(String::new(), |c| format!(" · item {}", c.ext_id));
    let text = format!(
        "margin · {} · spans · {}{item} · {} done this session · {} left",
        app.config.project, app.config.annotator, app.decided, app.left
    );
    Line::styled(one_line(&text, width), Style::default().add_modifier(Modifier::BOLD))
}

fn legend_line(app: &SpanApp) -> Line<'static> {
    let mut parts: Vec<Styled<'static>> = Vec::new();
    for (i, label) in app.config.labels.iter().enumerate() {
        let keys = app.keymap.label_keys().get(i).and_then(|k| k.first()).map_or(String::new(), |k| k.to_string());
        parts.push(Styled::styled(keys, Style::default().add_modifier(Modifier::BOLD)));
        parts.push(Styled::raw(" "));
        parts.push(Styled::styled(one_line(&label.display, 24), label_style(app, &label.name, false)));
        parts.push(Styled::raw("  "));
    }
    if let Some(proposer) = app.proposer() {
        let who = match proposer {
            Proposer::Nobody => "nothing proposed".to_string(),
            Proposer::Patterns => "proposed by the patterns".to_string(),
            Proposer::Imported => "as imported".to_string(),
            Proposer::Model { version } => format!("proposed by model v{version}"),
        };
        parts.push(Styled::styled(who, Style::default().add_modifier(Modifier::DIM)));
    }
    Line::from(parts)
}

/// A label's style: its colour as the background (colours on), bold otherwise.
fn label_style(app: &SpanApp, label: &str, background: bool) -> Style {
    let color = style::label_color(app.config.labels.iter().find(|l| l.name == label).and_then(|l| l.color.as_deref()));
    match (app.config.color, background) {
        (true, true) => Style::default().bg(color).fg(Color::Black),
        (true, false) => Style::default().fg(color).add_modifier(Modifier::BOLD),
        (false, _) => Style::default().add_modifier(Modifier::BOLD),
    }
}

/// What each byte of the drawn text stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The character at this offset of the item's text.
    Text(usize),
    /// The bracket or label of span `i`.
    Mark(usize),
}

/// The text with each span's marks put in, and what each byte of it stands for.
fn marked(app: &SpanApp, editing: &Editing) -> (String, Vec<Part>) {
    let spans = &editing.draft.spans;
    let mut out = String::with_capacity(editing.card.text.len() + spans.len() * 8);
    let mut parts: Vec<Part> = Vec::with_capacity(out.capacity());
    let push = |out: &mut String, parts: &mut Vec<Part>, s: &str, part: Part| {
        out.push_str(s);
        parts.resize(out.len(), part);
    };
    let chars: Vec<char> = editing.card.text.chars().collect();
    let mut buf = [0u8; 4];
    for (i, c) in chars.iter().enumerate() {
        if !app.config.color {
            for (k, _) in spans.iter().enumerate().filter(|(_, s)| s.start == i) {
                push(&mut out, &mut parts, "[", Part::Mark(k));
            }
        }
        push(&mut out, &mut parts, c.encode_utf8(&mut buf), Part::Text(i));
        // Innermost (shortest) span closes first.
        let mut closing: Vec<(usize, &Span)> = spans.iter().enumerate().filter(|(_, s)| s.end == i + 1).collect();
        closing.sort_by_key(|(_, s)| s.end - s.start);
        for (k, span) in closing {
            let open = if app.config.color { TIGHT.to_string() } else { "]".to_string() };
            let tag = format!("{open}{}{}", display_of(app, &span.label), confidence_of(editing, span));
            push(&mut out, &mut parts, &tag, Part::Mark(k));
        }
    }
    (out, parts)
}

fn display_of<'a>(app: &'a SpanApp, label: &'a str) -> &'a str {
    app.config.labels.iter().find(|l| l.name == label).map_or(label, |l| l.display.as_str())
}

/// ` 92%` while a span is as the model proposed it.
fn confidence_of(editing: &Editing, span: &Span) -> String {
    editing
        .card
        .proposed
        .iter()
        .find(|p| p.span == *span)
        .and_then(|p| p.confidence)
        .map_or(String::new(), |c| format!("{TIGHT}{:.0}%", f64::from(c) * 100.0))
}

fn render_text(app: &SpanApp, editing: &Editing, frame: &mut Frame, area: Rect) {
    let card = &editing.card;
    let title = format!(" {} · {} ", one_line(&card.ext_id, 30), one_line(&card.why, 40));
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (text, parts) = marked(app, editing);
    let draft = &editing.draft;
    let tokens = draft.tokens();
    let (first, last) = draft.selection();
    let cursor = tokens.get(draft.cursor).copied();
    let selected = (draft.anchor.is_some(), tokens.get(first).map(|t| t.start), tokens.get(last).map(|t| t.end));
    let mut cursor_line = 0;
    let lines: Vec<Line<'static>> = wrap(&text, usize::from(inner.width))
        .into_iter()
        .enumerate()
        .map(|(row, pieces)| {
            let styled: Vec<Styled<'static>> = pieces
                .into_iter()
                .map(|piece| {
                    let part = parts.get(piece.at).copied().unwrap_or(Part::Text(usize::MAX));
                    let mut st = match part {
                        Part::Mark(k) => label_style(app, &draft.spans[k].label, app.config.color),
                        Part::Text(at) => match draft
                            .spans
                            .iter()
                            .filter(|s| s.start <= at && at < s.end)
                            .min_by_key(|s| s.end - s.start)
                        {
                            Some(span) => label_style(app, &span.label, true),
                            None => Style::default(),
                        },
                    };
                    if let Part::Text(at) = part {
                        if cursor.is_some_and(|t| t.start <= at && at < t.end) {
                            st = st.add_modifier(Modifier::REVERSED);
                            cursor_line = row;
                        } else if let (true, Some(start), Some(end)) = selected {
                            if start <= at && at < end {
                                st = st.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
                            }
                        }
                    }
                    if piece.placeholder {
                        st = st.add_modifier(Modifier::DIM);
                    }
                    Styled::styled(piece.text, st)
                })
                .collect();
            Line::from(styled)
        })
        .collect();
    let height = usize::from(inner.height);
    let top = if cursor_line >= height { cursor_line + 1 - height } else { 0 };
    frame.render_widget(Paragraph::new(lines).scroll((top as u16, 0)), inner);
}

/// `PER Angela Merkel 92% · LOC Paris`, cut to the width.
fn span_list(app: &SpanApp, editing: &Editing, width: usize) -> Line<'static> {
    if editing.draft.spans.is_empty() {
        return Line::raw(one_line("No spans. Move with h/l or w/b, extend with L, label with a digit.", width));
    }
    let text = &editing.card.text;
    let items: Vec<String> = editing
        .draft
        .spans
        .iter()
        .map(|s| {
            let words = crate::domain::spans::slice(text, s.start, s.end);
            format!("{} {}{}", display_of(app, &s.label), words, confidence_of(editing, s).replace(TIGHT, " "))
        })
        .collect();
    Line::raw(one_line(&format!("{} spans: {}", items.len(), items.join(" · ")), width))
}

fn footer_line(app: &SpanApp, width: u16) -> Line<'static> {
    // The first key of each: the footer has room for the hints, the help lists every key.
    let keys =
        |action: Action| app.keymap.keys(KeyMode::Spans, action).first().map_or(String::new(), ToString::to_string);
    let mut hints = KeyHints::new();
    match app.mode {
        Mode::Escalating => {
            hints.key("1-9", "choose a reason").key("Esc", "cancel");
        }
        Mode::Help => {
            hints.key("j/k", "scroll").key("Esc", "close");
        }
        Mode::Labelling => {
            hints
                .key(keys(Action::Accept), "accept")
                .key("1-9", "label")
                .key(keys(Action::ExtendNext), "extend")
                .key(keys(Action::NextSpan), "span")
                .key(keys(Action::DeleteSpan), "delete")
                .key(keys(Action::Undo), "undo")
                .key(format!("{}/{}", keys(Action::TokenPrevious), keys(Action::TokenNext)), "move")
                .key(keys(Action::Skip), "skip")
                .key(keys(Action::Escalate), "escalate");
        }
    }
    hints.pinned_key(keys(Action::Help), "help").pinned_key(keys(Action::Quit), "quit");
    hints.line(width)
}

fn render_help(app: &SpanApp, frame: &mut Frame, area: Rect) {
    let inner = help::keys_box(frame, area);
    let mut lines = vec![help::heading("Labelling spans")];
    lines.push(help::row("1-9, a label's key", "label the selection, the span under the cursor, or the token"));
    lines.extend(help::keymap_rows(&app.keymap, KeyMode::Spans, |a| describe(KeyMode::Spans, a)));
    lines.push(help::row("", "Enter keeps the spans as they stand: the model's, if you changed nothing."));
    help::render(frame, inner, lines, app.help_scroll);
}

fn render_reasons(app: &SpanApp, frame: &mut Frame, area: Rect) {
    let reasons = &app.config.escalate_reasons;
    let inner = layout::popup(frame, area, 50, reasons.len() as u16 + 2, "escalate: why?");
    let lines: Vec<Line<'static>> = reasons
        .iter()
        .enumerate()
        .map(|(i, r)| Line::raw(one_line(&format!("{} {r}", i + 1), usize::from(inner.width))))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
