//! The item and the model's view of it: the text (wrapped, scrollable, words coloured by how they pushed
//! the prediction), why it was picked, its metadata; the predicted label with a confidence bar, the next
//! three, the counterfactual hint, similar labelled items, and the model's version and accuracy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{fg, label_color};
use crate::domain::queue::Why;
use crate::tui::annotate::msg::{Card, Explanation};
use crate::tui::annotate::state::App;
use crate::tui::text::{one_line, wrap};

/// Draws the card on screen (or nothing if there is none).
pub fn render(app: &App, frame: &mut Frame, area: Rect, full: bool) {
    let Some(card) = app.card() else { return };
    let explanation = app.model.explanations.get(&card.item_id);
    let borders = if full { 2 } else { 1 };
    let room = usize::from((area.height / 2).saturating_sub(borders));
    let model_lines = model_lines(app, card, explanation, (usize::from(area.width.saturating_sub(2)), room));
    let model_height = (model_lines.len() as u16 + borders).min(area.height / 2);
    let [item_area, model_area] = Layout::vertical([Constraint::Min(3), Constraint::Length(model_height)]).areas(area);
    let block = |title: String| {
        if full {
            Block::default().borders(Borders::ALL).title(title)
        } else {
            Block::default().borders(Borders::TOP).title(title)
        }
    };
    let privacy = match (card.revealed, card.masked) {
        (true, _) => " · revealed".to_string(),
        (false, 0) => String::new(),
        (false, 1) => " · 1 masked".to_string(),
        (false, n) => format!(" · {n} masked"),
    };
    let title = format!(" item {}{privacy} ", one_line(&card.ext_id, 30));
    let item_block = block(title);
    let inner = item_block.inner(item_area);
    frame.render_widget(item_block, item_area);
    render_text(app, frame, inner, card, explanation);
    let model_block = block(" model ".into());
    let inner = model_block.inner(model_area);
    frame.render_widget(model_block, model_area);
    frame.render_widget(Paragraph::new(model_lines), inner);
}

/// The text, scrolled, with the why-picked line and metadata at the bottom.
fn render_text(app: &App, frame: &mut Frame, area: Rect, card: &Card, explanation: Option<&Explanation>) {
    let width = usize::from(area.width);
    let mut footer: Vec<Line> = Vec::new();
    let audit = if card.audit { " · audit of the machine" } else { "" };
    let chosen =
        Why::parse(&card.why).map_or_else(|| card.why.clone(), |w| w.describe(card.score, app.config.multi_label));
    let why = format!("chosen: {chosen}{audit}");
    footer.push(Line::from(Span::styled(one_line(&why, width), fg(app, Color::DarkGray))));
    if !card.meta.is_empty() {
        let meta: Vec<String> = card.meta.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        footer.push(Line::from(Span::styled(one_line(&meta.join(" · "), width), fg(app, Color::DarkGray))));
    }
    let footer_height = (footer.len() as u16).min(area.height.saturating_sub(1));
    let [text_area, footer_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(footer_height)]).areas(area);

    let words: &[(usize, usize, f32)] = match explanation {
        // Ranges in the masked text: not for the revealed original.
        Some(e) if app.show_explanation && !card.revealed => &e.words,
        _ => &[],
    };
    let strongest = words.iter().map(|w| w.2.abs()).fold(0.0f32, f32::max);
    let lines = wrap(&card.text, width);
    let total = lines.len();
    let height = usize::from(text_area.height);
    let scroll = app.scroll.min(total.saturating_sub(height));
    let mut drawn: Vec<Line> = Vec::with_capacity(height);
    for line in lines.into_iter().skip(scroll).take(height) {
        let spans: Vec<Span> = line
            .into_iter()
            .map(|piece| {
                let mut style = Style::default();
                if piece.placeholder {
                    style = fg(app, Color::Magenta).add_modifier(Modifier::DIM | Modifier::ITALIC);
                } else if let Some(w) = words.iter().find(|w| w.0 <= piece.at && piece.at < w.1) {
                    style = word_style(app, w.2, strongest);
                }
                Span::styled(piece.text, style)
            })
            .collect();
        drawn.push(Line::from(spans));
    }
    if total > height {
        let more = format!(" {}-{} of {} lines ", scroll + 1, (scroll + height).min(total), total);
        let last = drawn.len().saturating_sub(1);
        if let Some(line) = drawn.get_mut(last) {
            let used: usize = line.width();
            if used + more.len() <= width {
                line.spans.push(Span::raw(" ".repeat(width - used - more.len())));
                line.spans.push(Span::styled(more, Style::default().add_modifier(Modifier::REVERSED)));
            }
        }
    }
    frame.render_widget(Paragraph::new(drawn), text_area);
    frame.render_widget(Paragraph::new(footer), footer_area);
}

/// Toward the prediction in green, against in red, by strength; without colour, underlined and italic.
fn word_style(app: &App, contribution: f32, strongest: f32) -> Style {
    if strongest <= 0.0 || contribution.abs() < strongest * 0.15 {
        return Style::default();
    }
    let strong = contribution.abs() >= strongest * 0.5;
    if !app.config.color {
        let base = if contribution > 0.0 { Modifier::UNDERLINED } else { Modifier::ITALIC };
        return Style::default().add_modifier(if strong { base | Modifier::BOLD } else { base });
    }
    let color = match (contribution > 0.0, strong) {
        (true, true) => Color::LightGreen,
        (true, false) => Color::Green,
        (false, true) => Color::LightRed,
        (false, false) => Color::Red,
    };
    let style = Style::default().fg(color);
    if strong { style.add_modifier(Modifier::BOLD) } else { style }
}

/// The model pane's lines, at most `room` of them where it can: similar items give way first, so that the
/// label keys at the bottom are never cut.
fn model_lines(
    app: &App,
    card: &Card,
    explanation: Option<&Explanation>,
    (width, room): (usize, usize),
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let bold = Style::default().add_modifier(Modifier::BOLD);
    match (app.predicted(card), &card.prediction) {
        (Some((predicted, confidence)), Some(p)) => {
            let names: Vec<String> = predicted.iter().map(|&k| app.config.labels[k].display.clone()).collect();
            let first = predicted.first().copied().unwrap_or(0);
            let shown = if names.is_empty() { "no label".to_string() } else { names.join(" + ") };
            let bar_width = 20usize;
            let filled = ((confidence.clamp(0.0, 1.0) * bar_width as f32).round() as usize).min(bar_width);
            lines.push(Line::from(vec![
                Span::raw(if app.model.info.zero_shot { "zero-shot guess " } else { "predicted " }),
                Span::styled(one_line(&shown, 30), fg(app, label_color(app, first)).add_modifier(Modifier::BOLD)),
                Span::raw("  "),
                Span::styled("█".repeat(filled), fg(app, label_color(app, first))),
                Span::styled("░".repeat(bar_width - filled), fg(app, Color::DarkGray)),
                Span::styled(format!(" {:.0}%", confidence * 100.0), bold),
            ]));
            let mut ranked: Vec<(usize, f32)> = p.probabilities.iter().copied().enumerate().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            let others: Vec<String> = ranked
                .iter()
                .filter(|(k, _)| !predicted.contains(k))
                .take(3)
                .map(|(k, q)| format!("{} {:.0}%", app.config.labels[*k].display, q * 100.0))
                .collect();
            if !others.is_empty() {
                lines.push(Line::from(one_line(&format!("then {}", others.join(" · ")), width)));
            }
            if let Some(hint) = explanation.and_then(|e| e.counterfactual.as_ref()) {
                lines.push(Line::from(Span::styled(one_line(hint, width), fg(app, Color::Yellow))));
            } else if let (None, Some(why)) = (explanation, &app.model.no_explanations) {
                lines.push(Line::from(Span::styled(one_line(why, width), fg(app, Color::Yellow))));
            } else if explanation.is_none() {
                lines.push(Line::from(Span::styled("explaining...", fg(app, Color::DarkGray))));
            }
        }
        _ => lines.push(Line::from("no prediction yet: choose the label yourself")),
    }
    let legend = legend(app, width);
    let mut similar_lines = Vec::new();
    if app.show_similar {
        match explanation.map(|e| e.similar.as_slice()) {
            Some([]) | None => {
                similar_lines.push(Line::from(Span::styled("no similar labelled items yet", fg(app, Color::DarkGray))))
            }
            Some(similar) => {
                for s in similar.iter().take(3) {
                    let labels: Vec<&str> = s.labels.iter().map(|name| app.config.display_of(name)).collect();
                    let text = format!("≈{:.2} [{}] {}", s.similarity, labels.join(", "), s.text);
                    similar_lines.push(Line::from(Span::styled(one_line(&text, width), fg(app, Color::Gray))));
                }
            }
        }
    }
    // The version line and the legend always; similar items in what is left.
    similar_lines.truncate(room.saturating_sub(lines.len() + 1 + legend.len()));
    lines.extend(similar_lines);
    let mut about = match app.model.info.version {
        Some(v) if app.model.info.zero_shot => {
            format!("model v{v}: from the label descriptions alone, not calibrated until labels train a model")
        }
        Some(v) => format!("model v{v}"),
        None => "no model".into(),
    };
    if let Some(a) = app.model.info.cv_accuracy {
        about.push_str(&format!(" · cross-validated accuracy {:.1}%", a * 100.0));
    }
    lines.push(Line::from(Span::styled(one_line(&about, width), fg(app, Color::DarkGray))));
    lines.extend(legend);
    lines
}

/// The labels and their keys, with the multi-label selection marked, on as many lines as they need.
fn legend(app: &App, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, label) in app.config.labels.iter().enumerate() {
        let key =
            app.keymap.label_keys().get(k).and_then(|keys| keys.first()).map(|k| k.to_string()).unwrap_or_default();
        let on = app.selected.get(k).copied().unwrap_or(false);
        let mark = if app.config.multi_label { if on { "[x]" } else { "[ ]" } } else { "" };
        let entry = format!("{key}{mark} {}", one_line(&label.display, 16));
        if used + entry.chars().count() + 2 > width && !spans.is_empty() {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        used += entry.chars().count() + 2;
        let mut style = fg(app, label_color(app, k));
        if on {
            style = style.add_modifier(Modifier::REVERSED);
        }
        spans.push(Span::styled(entry, style));
        spans.push(Span::raw("  "));
    }
    lines.push(Line::from(spans));
    lines
}
