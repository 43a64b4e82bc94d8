//! The spans of the item on the screen while a person edits them: a token cursor, a selection, and every
//! change kept so it can be taken back one span at a time. Nothing is stored until the item is accepted.
//! Pure.

use crate::domain::spans::{Span, Token};

/// An item's spans being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub spans: Vec<Span>,
    /// The spans before each change, newest last: undo pops one.
    history: Vec<Vec<Span>>,
    /// The token under the cursor.
    pub cursor: usize,
    /// Where the selection started, if one is open: it runs from here to the cursor.
    pub anchor: Option<usize>,
    /// Whether each token starts with a letter or digit (a word, not punctuation).
    words: Vec<bool>,
    tokens: Vec<Token>,
    overlap: bool,
}

/// What a label key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labelled {
    Added,
    Relabelled,
    /// The text has no tokens.
    Nothing,
}

impl Draft {
    /// A draft over `text`'s `tokens`, starting from `spans` (what was proposed, or given before an undo).
    pub fn new(text: &str, tokens: &[Token], spans: Vec<Span>, overlap: bool) -> Draft {
        let starts: Vec<bool> = {
            let chars: Vec<char> = text.chars().collect();
            tokens.iter().map(|t| chars.get(t.start).is_some_and(|c| c.is_alphanumeric())).collect()
        };
        let mut spans = spans;
        spans.sort();
        Draft { spans, history: Vec::new(), cursor: 0, anchor: None, words: starts, tokens: tokens.to_vec(), overlap }
    }

    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The selected tokens, first and last (the cursor alone when no selection is open).
    pub fn selection(&self) -> (usize, usize) {
        let anchor = self.anchor.unwrap_or(self.cursor);
        (anchor.min(self.cursor), anchor.max(self.cursor))
    }

    /// Moves the cursor by `by` tokens, closing any selection.
    pub fn step(&mut self, by: isize) {
        self.anchor = None;
        self.cursor = self.moved(by);
    }

    /// Moves the cursor to the next (or previous) word, past punctuation.
    pub fn word(&mut self, forward: bool) {
        self.anchor = None;
        let found = if forward {
            (self.cursor + 1..self.tokens.len()).find(|&i| self.words[i])
        } else {
            (0..self.cursor).rev().find(|&i| self.words[i])
        };
        if let Some(i) = found {
            self.cursor = i;
        }
    }

    /// Extends the selection by `by` tokens (opening one at the cursor if none is open).
    pub fn extend(&mut self, by: isize) {
        self.anchor.get_or_insert(self.cursor);
        self.cursor = self.moved(by);
    }

    /// Opens a selection at the cursor, or drops the open one.
    pub fn toggle_selection(&mut self) {
        self.anchor = match self.anchor {
            Some(_) => None,
            None => Some(self.cursor),
        };
    }

    /// Gives the selection `label`: with no selection open, the span under the cursor is relabelled, or
    /// else the token under the cursor becomes a span. Spans it overlaps are replaced unless the project
    /// allows overlap (then only one over the very same tokens is).
    pub fn label(&mut self, label: &str) -> Labelled {
        if self.tokens.is_empty() {
            return Labelled::Nothing;
        }
        if self.anchor.is_none() {
            if let Some(i) = self.innermost_at(self.cursor) {
                self.remember();
                self.spans[i].label = label.to_string();
                return Labelled::Relabelled;
            }
        }
        let (first, last) = self.selection();
        let span = Span { start: self.tokens[first].start, end: self.tokens[last].end, label: label.to_string() };
        self.remember();
        let overlap = self.overlap;
        self.spans.retain(|s| {
            let same = s.start == span.start && s.end == span.end;
            let overlaps = s.start < span.end && span.start < s.end;
            !(same || (overlaps && !overlap))
        });
        self.spans.push(span);
        self.spans.sort();
        self.anchor = None;
        self.cursor = last;
        Labelled::Added
    }

    /// Deletes the span under the cursor (the shortest, where spans overlap); false if there is none.
    pub fn delete(&mut self) -> bool {
        let Some(i) = self.innermost_at(self.cursor) else { return false };
        self.remember();
        self.spans.remove(i);
        self.anchor = None;
        true
    }

    /// Selects the next span after the cursor (or the previous one before it), wrapping round; false if
    /// there are no spans.
    pub fn jump(&mut self, forward: bool) -> bool {
        if self.spans.is_empty() || self.tokens.is_empty() {
            return false;
        }
        let here = self.tokens[self.selection().0].start;
        // With no selection open, a span starting at the cursor is the next one; else the one after it.
        let open = self.anchor.is_some();
        let target = if forward {
            self.spans.iter().find(|s| s.start > here || (!open && s.start == here)).or_else(|| self.spans.first())
        } else {
            self.spans.iter().rev().find(|s| s.start < here).or_else(|| self.spans.last())
        };
        let Some(span) = target else { return false };
        let first = self.tokens.iter().position(|t| t.start >= span.start).unwrap_or(0);
        let last = self.tokens.iter().rposition(|t| t.end <= span.end).unwrap_or(first).max(first);
        self.anchor = Some(first);
        self.cursor = last;
        true
    }

    /// Takes back the last change to the spans; false if there is none.
    pub fn undo(&mut self) -> bool {
        match self.history.pop() {
            Some(before) => {
                self.spans = before;
                self.anchor = None;
                true
            }
            None => false,
        }
    }

    /// Whether any change is left to take back.
    pub fn has_changes(&self) -> bool {
        !self.history.is_empty()
    }

    /// The index of the shortest span covering token `token`.
    pub fn innermost_at(&self, token: usize) -> Option<usize> {
        let t = self.tokens.get(token)?;
        self.spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.start <= t.start && t.end <= s.end)
            .min_by_key(|(_, s)| s.end - s.start)
            .map(|(i, _)| i)
    }

    fn moved(&self, by: isize) -> usize {
        let last = self.tokens.len().saturating_sub(1) as isize;
        (self.cursor as isize + by).clamp(0, last.max(0)) as usize
    }

    fn remember(&mut self) {
        self.history.push(self.spans.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::spans::tokens;

    const TEXT: &str = "Angela Merkel visited Paris, France.";

    fn draft(spans: Vec<Span>) -> Draft {
        Draft::new(TEXT, &tokens(TEXT), spans, false)
    }

    fn span(start: usize, end: usize, label: &str) -> Span {
        Span { start, end, label: label.into() }
    }

    #[test]
    fn a_label_key_makes_the_token_a_span_and_extending_widens_it() {
        let mut d = draft(vec![]);
        assert_eq!(d.label("PER"), Labelled::Added);
        assert_eq!(d.spans, [span(0, 6, "PER")]);
        // The span under the cursor is relabelled, then widened over the next token.
        assert_eq!(d.label("ORG"), Labelled::Relabelled);
        d.extend(1);
        assert_eq!(d.selection(), (0, 1));
        d.label("PER");
        assert_eq!(d.spans, [span(0, 13, "PER")], "the narrower span it overlaps is replaced");
        d.word(true);
        d.word(true);
        assert_eq!(d.cursor, 3, "w moves to Paris");
        d.word(true);
        assert_eq!(d.cursor, 5, "w skips the comma");
    }

    #[test]
    fn tab_selects_spans_in_turn_and_undo_goes_back_one_change_at_a_time() {
        let mut d = draft(vec![span(22, 27, "LOC"), span(0, 6, "PER")]);
        assert!(d.jump(true));
        assert_eq!(d.selection(), (0, 0), "with no selection, the span at the cursor comes first");
        assert!(d.jump(true));
        assert_eq!(d.selection(), (3, 3), "then Paris");
        assert!(d.jump(true));
        assert_eq!(d.selection(), (0, 0), "wraps round to Angela");
        d.extend(1);
        d.label("PER");
        assert!(d.jump(true));
        assert!(d.delete());
        assert_eq!(d.spans, [span(0, 13, "PER")]);
        assert!(d.undo());
        assert_eq!(d.spans, [span(0, 13, "PER"), span(22, 27, "LOC")]);
        assert!(d.undo());
        assert_eq!(d.spans, [span(0, 6, "PER"), span(22, 27, "LOC")]);
        assert!(!d.undo());
    }

    #[test]
    fn overlap_allowed_keeps_the_outer_span() {
        let mut d = Draft::new(TEXT, &tokens(TEXT), vec![span(0, 13, "PER")], true);
        d.step(1);
        d.toggle_selection();
        d.label("LOC");
        assert_eq!(d.spans, [span(0, 13, "PER"), span(7, 13, "LOC")]);
        assert!(d.delete(), "the innermost span goes first");
        assert_eq!(d.spans, [span(0, 13, "PER")]);
    }

    #[test]
    fn an_empty_text_has_nothing_to_label() {
        let mut d = Draft::new("", &[], vec![], false);
        d.step(1);
        d.extend(-1);
        assert_eq!(d.label("PER"), Labelled::Nothing);
        assert!(!d.delete() && !d.jump(true));
    }
}
