//! The help table both screens show over themselves: a column of keys in bold beside what they do
//! (wrapped under itself where the screen is narrow, never cut), scrolled as far as the person asked but
//! never past its end.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::action::Action;
use crate::tui::keymap::{KeyMode, Keymap};
use crate::tui::text::one_line;

/// The width of the keys column.
const KEYS: usize = 19;

/// One row: the keys (cut to the column) and what they do.
pub fn row(keys: &str, what: &str) -> Line<'static> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    Line::from(vec![Span::styled(format!("{:<KEYS$} ", one_line(keys, KEYS)), bold), Span::raw(what.to_string())])
}

/// A row per action bound in `mode`: its keys and what `describe` says it does on this screen.
pub fn keymap_rows(keymap: &Keymap, mode: KeyMode, describe: impl Fn(Action) -> &'static str) -> Vec<Line<'static>> {
    keymap
        .bindings(mode)
        .into_iter()
        .map(|(action, keys)| {
            row(&keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "), describe(action))
        })
        .collect()
}

/// Clears `area` and draws the help's bordered "keys" box over it; returns its inside.
pub fn keys_box(frame: &mut Frame, area: Rect) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default().borders(Borders::ALL).title(" keys ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A section's heading.
pub fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)))
}

/// Draws `lines` into `area` from row `scroll` (held so that the last row stays at the bottom), each line
/// fitted to the width first (see [`fit`]).
pub fn render(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: usize) {
    let rows = fit(lines, usize::from(area.width));
    let scroll = scroll.min(rows.len().saturating_sub(usize::from(area.height)));
    frame.render_widget(Paragraph::new(rows).scroll((scroll as u16, 0)), area);
}

/// `lines` as rows of at most `width` columns: a row too long has what it does wrapped under itself,
/// beside an empty keys column; any other line too long is wrapped as plain text.
pub fn fit(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    for line in lines {
        if line.width() <= width {
            rows.push(line);
            continue;
        }
        let is_row = line.spans.len() == 2 && line.spans[0].width() == KEYS + 1 && width > KEYS + 8;
        let (lead, text, style) = if is_row {
            (Some(line.spans[0].clone()), line.spans[1].content.to_string(), line.spans[1].style)
        } else {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            (None, text, line.spans.first().map(|s| s.style).unwrap_or_default())
        };
        let room = if lead.is_some() { width - KEYS - 1 } else { width.max(1) };
        for (n, piece) in crate::tui::text::wrap(&text, room).into_iter().enumerate() {
            let part: String = piece.iter().map(|p| p.text.as_str()).collect();
            let mut spans = Vec::new();
            match (&lead, n) {
                (Some(keys), 0) => spans.push(keys.clone()),
                (Some(_), _) => spans.push(Span::raw(" ".repeat(KEYS + 1))),
                (None, _) => {}
            }
            spans.push(Span::styled(part.trim_start().to_string(), style));
            rows.push(Line::from(spans));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_row_wraps_under_itself_and_nothing_is_cut() {
        let long = "accept the prediction (multi-label: confirm the labels chosen so far)";
        let rows = fit(vec![heading("item mode"), row("Enter, a", long)], 60);
        let text: Vec<String> =
            rows.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect::<String>()).collect();
        assert!(rows.iter().all(|l| l.width() <= 60), "{text:?}");
        assert_eq!(text[0], "item mode");
        assert!(text[1].starts_with("Enter, a") && text[2].starts_with(&" ".repeat(KEYS + 1)), "{text:?}");
        let joined: String = text[1..].iter().map(|t| t.trim()).collect::<Vec<_>>().join(" ");
        assert!(joined.ends_with("confirm the labels chosen so far)"), "every word is there: {joined}");
    }
}
