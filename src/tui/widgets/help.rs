//! The help table both screens show over themselves: a column of keys in bold beside what they do,
//! scrolled as far as the person asked but never past its end.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::text::one_line;

/// The width of the keys column.
const KEYS: usize = 19;

/// One row: the keys (cut to the column) and what they do.
pub fn row(keys: &str, what: &str) -> Line<'static> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    Line::from(vec![Span::styled(format!("{:<KEYS$} ", one_line(keys, KEYS)), bold), Span::raw(what.to_string())])
}

/// A section's heading.
pub fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)))
}

/// Draws `lines` into `area` from line `scroll` (held so that the last line stays at the bottom).
pub fn render(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: usize) {
    let scroll = scroll.min(lines.len().saturating_sub(usize::from(area.height)));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), area);
}
