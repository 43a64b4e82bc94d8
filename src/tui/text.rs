//! Text from data, made safe and measured for the screen: escape sequences (CSI, OSC, DCS), other control
//! characters, bidi overrides and zero-width characters become visible placeholders such as `⟨ESC[⟩` or
//! `⟨U+202E⟩`; tabs expand to the next stop; wide and combining characters are measured with
//! unicode-width; lines wrap at spaces where they can. Every cell remembers the byte offset it came from,
//! so the explanation can colour the words of the original text.

use unicode_width::UnicodeWidthChar;

use crate::domain::text::is_unsafe_for_terminal;

/// Columns between tab stops.
const TAB_STOP: usize = 4;

/// One piece of a wrapped line: text to draw, where it came from in the original, and whether it stands
/// for something that was not drawn as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    /// Byte offset in the original text.
    pub at: usize,
    pub placeholder: bool,
}

/// A wrapped line.
pub type Line = Vec<Piece>;

enum Token {
    Char(char, usize),
    Placeholder(String, usize),
    Tab(usize),
    Newline,
}

/// Splits `text` into what the screen may draw.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\n' => out.push(Token::Newline),
            '\r' if chars.peek().is_some_and(|(_, n)| *n == '\n') => {}
            '\t' => out.push(Token::Tab(at)),
            '\u{1b}' => {
                // An escape sequence is one placeholder, whatever its length: CSI ends at a final byte,
                // OSC and DCS at BEL or ESC \.
                let kind = chars.peek().map(|(_, n)| *n);
                let label = match kind {
                    Some('[') => {
                        chars.next();
                        for (_, n) in chars.by_ref() {
                            if ('\u{40}'..='\u{7e}').contains(&n) {
                                break;
                            }
                        }
                        "⟨ESC[⟩"
                    }
                    Some(']') | Some('P') => {
                        chars.next();
                        while let Some((_, n)) = chars.next() {
                            if n == '\u{7}' {
                                break;
                            }
                            if n == '\u{1b}' {
                                if chars.peek().is_some_and(|(_, m)| *m == '\\') {
                                    chars.next();
                                }
                                break;
                            }
                        }
                        if kind == Some(']') { "⟨ESC]⟩" } else { "⟨ESC P⟩" }
                    }
                    _ => "⟨ESC⟩",
                };
                out.push(Token::Placeholder(label.to_string(), at));
            }
            c if is_unsafe_for_terminal(c) => {
                out.push(Token::Placeholder(format!("⟨U+{:04X}⟩", u32::from(c)), at));
            }
            c => out.push(Token::Char(c, at)),
        }
    }
    out
}

/// Lines being filled to a width.
struct Wrapper {
    width: usize,
    lines: Vec<Line>,
    line: Line,
    used: usize,
    /// Where the line may break: the index in `line` just after the last space, and the columns before it.
    last_space: Option<(usize, usize)>,
}

impl Wrapper {
    fn push(&mut self, piece: Piece, w: usize) {
        // Breaking at the last space may leave too much on the line for `piece`; then break again, before it.
        while self.used + w > self.width && !self.line.is_empty() {
            match self.last_space.take() {
                Some((cut, cols)) if cut < self.line.len() => {
                    let rest = self.line.split_off(cut);
                    self.lines.push(std::mem::replace(&mut self.line, rest));
                    self.used -= cols;
                }
                _ => {
                    self.lines.push(std::mem::take(&mut self.line));
                    self.used = 0;
                }
            }
        }
        let is_space = piece.text.trim().is_empty() && !piece.placeholder;
        self.line.push(piece);
        self.used += w;
        if is_space {
            self.last_space = Some((self.line.len(), self.used));
        }
    }

    fn newline(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.used = 0;
        self.last_space = None;
    }
}

/// `text` wrapped to `width` columns (at least 1).
pub fn wrap(text: &str, width: usize) -> Vec<Line> {
    let mut w = Wrapper { width: width.max(1), lines: Vec::new(), line: Vec::new(), used: 0, last_space: None };
    for token in tokens(text) {
        match token {
            Token::Newline => w.newline(),
            Token::Tab(at) => {
                let cols = (TAB_STOP - w.used % TAB_STOP).min(w.width.saturating_sub(w.used).max(1));
                w.push(Piece { text: " ".repeat(cols), at, placeholder: false }, cols);
            }
            Token::Placeholder(label, at) => {
                let cols = label.chars().count();
                w.push(Piece { text: label, at, placeholder: true }, cols);
            }
            Token::Char(c, at) => match c.width() {
                // Combining marks join the character before them.
                Some(0) | None if w.line.last().is_some_and(|p| !p.placeholder) => {
                    if let Some(prev) = w.line.last_mut() {
                        prev.text.push(c);
                    }
                }
                cols => w.push(Piece { text: c.to_string(), at, placeholder: false }, cols.unwrap_or(0)),
            },
        }
    }
    w.lines.push(w.line);
    w.lines
}

/// `text` on one line, made safe and cut to `width` columns with an ellipsis.
pub fn one_line(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for line in wrap(text, usize::MAX / 2) {
        for piece in line {
            let w: usize = piece.text.chars().map(|c| c.width().unwrap_or(0)).sum();
            if used + w + 1 > width {
                if width > 0 {
                    out.push('…');
                }
                return out;
            }
            out.push_str(&piece.text);
            used += w;
        }
        if used + 2 > width {
            return out;
        }
        out.push(' ');
        used += 1;
    }
    out.trim_end().to_string()
}

/// Columns `s` takes (placeholders included, as drawn).
pub fn columns(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests;
