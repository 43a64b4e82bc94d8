//! The key-hint line at the bottom of a screen: keys in bold, each with what it does, cut to the width at
//! a whole entry so that no hint is ever shown half. Pinned entries (help, quit) are always shown, at the
//! end: the others give way to them.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The entries of a key-hint line, in the order they are added.
#[derive(Debug, Default)]
pub struct KeyHints {
    /// Each entry's spans: a key and what it does, or a piece of text.
    entries: Vec<Vec<Span<'static>>>,
    /// Entries shown whatever the width, after the others.
    pinned: Vec<Vec<Span<'static>>>,
}

impl KeyHints {
    pub fn new() -> Self {
        Self::default()
    }

    /// `keys` (bold) followed by what they do.
    pub fn key(&mut self, keys: impl Into<String>, what: impl Into<String>) -> &mut Self {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        self.entries.push(vec![Span::styled(keys.into(), bold), Span::raw(format!(" {}  ", what.into()))]);
        self
    }

    /// As [`KeyHints::key`], but always shown (the other entries give way): how to get help and how to leave.
    pub fn pinned_key(&mut self, keys: impl Into<String>, what: impl Into<String>) -> &mut Self {
        self.key(keys, what);
        if let Some(entry) = self.entries.pop() {
            self.pinned.push(entry);
        }
        self
    }

    /// Plain text as an entry of its own (a prompt, a typed value).
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.entries.push(vec![Span::raw(text.into())]);
        self
    }

    /// The line: as many whole entries from the first as fit in `width` columns beside the pinned ones,
    /// then the pinned ones (as many of them as fit, on a terminal too narrow for all).
    pub fn line(&self, width: u16) -> Line<'static> {
        let width_of = |entry: &Vec<Span<'static>>| -> usize { entry.iter().map(Span::width).sum() };
        let pinned: usize = self.pinned.iter().map(width_of).sum();
        let room = usize::from(width).saturating_sub(pinned);
        let mut used = 0;
        let mut kept = Vec::new();
        for entry in &self.entries {
            let w = width_of(entry);
            if used + w > room {
                break;
            }
            used += w;
            kept.extend(entry.iter().cloned());
        }
        for entry in &self.pinned {
            let w = width_of(entry);
            if used + w > usize::from(width) {
                break;
            }
            used += w;
            kept.extend(entry.iter().cloned());
        }
        Line::from(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn cuts_at_a_whole_entry() {
        let mut hints = KeyHints::new();
        hints.key("a", "accept").key("e", "escalate").text("typed ");
        assert_eq!(text(&hints.line(80)), "a accept  e escalate  typed ");
        assert_eq!(text(&hints.line(20)), "a accept  ", "the second entry does not fit whole");
        assert_eq!(text(&hints.line(3)), "");
    }

    #[test]
    fn pinned_entries_stay_and_the_others_give_way() {
        let mut hints = KeyHints::new();
        hints.key("a", "accept").pinned_key("?", "help").key("e", "escalate").pinned_key("q", "quit");
        assert_eq!(text(&hints.line(80)), "a accept  e escalate  ? help  q quit  ");
        assert_eq!(text(&hints.line(30)), "a accept  ? help  q quit  ", "escalate gives way");
        assert_eq!(text(&hints.line(18)), "? help  q quit  ");
        assert_eq!(text(&hints.line(9)), "? help  ", "too narrow for both: the first pinned");
    }
}
