//! Typing into a one-line field (a reason, a rationale, a note, a search): characters add up to one limit
//! for every prompt, Backspace removes.

use crate::tui::keymap::Key;

/// The most characters a prompt takes.
pub const MAX_TYPED: usize = 2000;

/// Applies `key` to `text`; other keys do nothing here.
pub fn edit(text: &mut String, key: Key) {
    match key {
        Key::Backspace => {
            text.pop();
        }
        Key::Char(c) if text.chars().count() < MAX_TYPED => text.push(c),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_up_to_the_limit_and_erases() {
        let mut text = String::new();
        for _ in 0..MAX_TYPED + 5 {
            edit(&mut text, Key::Char('x'));
        }
        assert_eq!(text.chars().count(), MAX_TYPED);
        edit(&mut text, Key::Backspace);
        assert_eq!(text.chars().count(), MAX_TYPED - 1);
    }
}
