//! Placing things on the screen: a message centred in an area, a bordered pop-up over it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// `text` in the middle of `area`, wrapped to at most three lines.
pub fn centred(frame: &mut Frame, area: Rect, text: &str) {
    let [_, middle, _] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(3), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(text.to_string()).centered().wrap(Wrap { trim: true }), middle);
}

/// A bordered box over `area`, `width` and `height` at most, centred; returns its inside.
pub fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16, title: &str) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    let rect = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(format!(" {title} "));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// Whether the frame is smaller than `min` (columns, rows); if so, says so in one line (`what` needs it)
/// and nothing else should be drawn.
pub fn too_small(frame: &mut Frame, min: (u16, u16), what: &str) -> bool {
    let area = frame.area();
    if area.width >= min.0 && area.height >= min.1 {
        return false;
    }
    let text = format!("terminal too small: {}x{}, {what} {}x{}", area.width, area.height, min.0, min.1);
    frame.render_widget(Paragraph::new(crate::tui::text::one_line(&text, usize::from(area.width))), area);
    true
}
