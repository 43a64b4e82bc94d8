//! Making text from data safe to print in a terminal: characters that could move the cursor, recolour or
//! clear the screen, reorder what is shown (bidi controls), hide text (zero-width characters) or break a
//! line where a reader does not expect it (the Unicode line and paragraph separators) are written as
//! visible escapes such as `\u{1b}`. Ordinary text, tabs included, passes through unchanged.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
pub fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every unsafe character (see [`is_unsafe_for_terminal`]) written as `\u{..}`; borrowed when
/// nothing needed changing.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_for_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`visible`], but line breaks stay: for text of many lines (a table, a file people `cat`).
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe_for_terminal(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&visible(line));
    }
    Cow::Owned(out)
}

/// Compact JSON (one line, as serde_json writes it) with every character that could steer a terminal
/// written as a JSON escape (`\u009b`), so the line means the same to a JSON reader and nothing to a
/// terminal. Such characters can only be inside strings: JSON allows none of them between tokens.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe_for_terminal(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `n` and the noun for it: `count(1, "import", "imports")` is "1 import", `count(2, ...)` "2 imports".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_bidi_and_zero_width_but_not_text() {
        assert!(matches!(visible("plain text, ünïcode, 漢字\ttab"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(visible("x\u{9b}y\u{7f}"), "x\\u{9b}y\\u{7f}");
        assert_eq!(visible("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(visible("zero\u{200b}width\u{feff}"), "zero\\u{200b}width\\u{feff}");
        assert_eq!(visible("line\nbreak"), "line\\u{a}break");
        assert_eq!(visible("line\u{2028}para\u{2029}"), "line\\u{2028}para\\u{2029}");
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_their_escapes() {
        assert!(matches!(visible_lines("a\nb\tc"), Cow::Borrowed(_)));
        assert_eq!(visible_lines("a\u{1b}]0;t\u{7}\nb\r"), "a\\u{1b}]0;t\\u{7}\nb\\u{d}");
    }

    #[test]
    fn json_for_a_terminal_is_the_same_json() {
        let value = serde_json::json!({ "t": "x\u{9b}31m\u{202e}\u{7f}\u{1b}]52;c;\u{7}", "k\u{85}": 1 });
        let raw = value.to_string();
        let safe = json_for_terminal(&raw);
        assert!(!safe.chars().any(is_unsafe_for_terminal), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), value);
        assert!(matches!(json_for_terminal("{\"a\":\"b\"}"), Cow::Borrowed(_)));
    }
}
