//! The guidelines overlay's keys: scrolling by screen rows, paging, and searching (`/`, `n`). Pure, like
//! the rest of `update`.

use super::{close_overlay, edit};
use crate::tui::action::Action;
use crate::tui::annotate::msg::Effect;
use crate::tui::annotate::state::{App, Message, Mode};
use crate::tui::keymap::Key;

pub(super) fn search_prompt(app: &mut App, key: Key, scroll: usize, query: String) -> Vec<Effect> {
    match key {
        Key::Esc => app.mode = Mode::Guidelines { scroll, query: String::new(), typing: false },
        Key::Enter => {
            let scroll = find_from_row(app, &query, scroll, 0).unwrap_or(scroll);
            app.mode = Mode::Guidelines { scroll, query, typing: false };
        }
        k => app.mode = Mode::Guidelines { scroll, query: edit(query, k), typing: true },
    }
    Vec::new()
}

/// The first guidelines line at or after `from` that contains `query` (case-insensitive), wrapping round.
fn find(app: &App, query: &str, from: usize) -> Option<usize> {
    let q = query.to_lowercase();
    if q.is_empty() {
        return None;
    }
    let n = app.guidelines.lines.len();
    (0..n).map(|i| (from + i) % n).find(|&i| app.guidelines.lines[i].text.to_lowercase().contains(&q))
}

/// The guidelines overlay's text area, rows by columns: the body less its borders and status line (see
/// view::overlay::guidelines).
fn guidelines_area(app: &App) -> (usize, usize) {
    (usize::from(app.size.1.saturating_sub(6)).max(1), usize::from(app.size.0.saturating_sub(2)).max(1))
}

/// The guidelines row at the top of the overlay when it shows `line` first.
pub(super) fn guidelines_row_of(app: &App, line: usize) -> usize {
    app.guidelines.row_of(line, guidelines_area(app).1)
}

/// Where the overlay's top row is, independent of the width: its line (paragraph) and how many
/// characters of that line come before it. `None` when the overlay is not open.
pub(super) fn guidelines_top(app: &App) -> Option<(usize, usize)> {
    let Mode::Guidelines { scroll, .. } = app.mode else { return None };
    let rows = app.guidelines.rows(guidelines_area(app).1);
    let top = scroll.min(rows.len().checked_sub(1)?);
    let line = rows[top].line;
    let before = rows[..top].iter().rev().take_while(|r| r.line == line).map(|r| r.text().chars().count()).sum();
    Some((line, before))
}

/// The row at the current width that holds character `before` of `line` (as [`guidelines_top`] gave it).
pub(super) fn guidelines_row_at(app: &App, (line, before): (usize, usize)) -> usize {
    let rows = app.guidelines.rows(guidelines_area(app).1);
    let first = rows.iter().position(|r| r.line == line).unwrap_or(0);
    let mut seen = 0;
    for (i, row) in rows.iter().enumerate().skip(first).take_while(|(_, r)| r.line == line) {
        seen += row.text().chars().count();
        if seen > before {
            return i;
        }
    }
    first
}

/// The search from the screen row `scroll`: the row of the first matching line at or after the line
/// `skip` lines past the one at the top.
fn find_from_row(app: &App, query: &str, scroll: usize, skip: usize) -> Option<usize> {
    let (_, width) = guidelines_area(app);
    let top = app.guidelines.rows(width).get(scroll).map_or(0, |r| r.line);
    find(app, query, top + skip).map(|line| app.guidelines.row_of(line, width))
}

pub(super) fn guidelines_action(app: &mut App, action: Action, scroll: usize, query: String) {
    let (page, width) = guidelines_area(app);
    let total = app.guidelines.rows(width).len();
    let top = scroll;
    let scroll = match action {
        Action::Close => return close_overlay(app),
        Action::Search => {
            app.mode = Mode::Guidelines { scroll, query: String::new(), typing: true };
            return;
        }
        Action::NextMatch => match find_from_row(app, &query, scroll, 1) {
            Some(row) => row,
            None => {
                app.message = Some(Message { text: "No match.".into(), error: false });
                scroll
            }
        },
        Action::ScrollDown => scroll + 1,
        Action::ScrollUp => scroll.saturating_sub(1),
        Action::PageDown => scroll + page,
        Action::PageUp => scroll.saturating_sub(page),
        _ => scroll,
    };
    // Scrolling down stops once the last row is on screen (a jump to a heading near the end may have
    // gone further; scrolling does not pull it back).
    let scroll =
        if matches!(action, Action::NextMatch) { scroll } else { scroll.min(total.saturating_sub(page).max(top)) };
    app.mode = Mode::Guidelines { scroll, query, typing: false };
}
