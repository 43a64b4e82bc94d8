//! Printing from the command line: nothing that comes from data may steer the terminal. `say!` and
//! `tell!` are `println!` and `eprintln!` with every character that could (escape sequences, other control
//! characters, bidi overrides, zero-width characters) written as a visible escape; line breaks stay.
//! `print_json` writes one JSON line with such characters as JSON escapes, so it stays the same JSON.
//! Every line a command prints goes through one of them.

/// `println!` with [`crate::domain::text::visible_lines`] applied to the whole line.
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::domain::text::visible_lines(&format!($($arg)*))) };
}

/// `eprintln!` with [`crate::domain::text::visible_lines`] applied to the whole line.
macro_rules! tell {
    ($($arg:tt)*) => { eprintln!("{}", $crate::domain::text::visible_lines(&format!($($arg)*))) };
}

/// `print!` (no line break added) with [`crate::domain::text::visible_lines`] applied.
macro_rules! say_part {
    ($($arg:tt)*) => { print!("{}", $crate::domain::text::visible_lines(&format!($($arg)*))) };
}

/// `eprint!` (no line break added) with [`crate::domain::text::visible_lines`] applied.
macro_rules! tell_part {
    ($($arg:tt)*) => { eprint!("{}", $crate::domain::text::visible_lines(&format!($($arg)*))) };
}

/// Prints `value` as one compact JSON line that a terminal cannot be steered by.
pub(super) fn print_json(value: &impl serde::Serialize) {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    println!("{}", crate::domain::text::json_for_terminal(&json));
}

/// A writer that escapes, on the way to a terminal, whatever could steer it: as JSON escapes in JSON
/// output (the lines stay the same JSON), as visible escapes in other text. Line breaks pass.
pub(super) struct TerminalSafe<W: std::io::Write> {
    inner: W,
    json: bool,
    /// The start of a character split between two writes.
    carry: Vec<u8>,
}

impl<W: std::io::Write> TerminalSafe<W> {
    pub(super) fn new(inner: W, json: bool) -> Self {
        TerminalSafe { inner, json, carry: Vec::new() }
    }
}

impl<W: std::io::Write> std::io::Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.carry.extend_from_slice(buf);
        let complete = match std::str::from_utf8(&self.carry) {
            Ok(_) => self.carry.len(),
            // An incomplete character at the end waits for the next write; bytes that are no UTF-8 at all
            // (data is UTF-8, so this is not expected) pass as they are.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                self.inner.write_all(&self.carry)?;
                self.carry.clear();
                return Ok(buf.len());
            }
        };
        let text = String::from_utf8_lossy(&self.carry[..complete]).into_owned();
        let safe = if self.json {
            // One JSON record per line: the line breaks between records stay.
            let lines: Vec<_> = text.split('\n').map(crate::domain::text::json_for_terminal).collect();
            lines.join("\n")
        } else {
            crate::domain::text::visible_lines(&text).into_owned()
        };
        self.inner.write_all(safe.as_bytes())?;
        self.carry.drain(..complete);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.carry.is_empty() {
            self.inner.write_all(&self.carry)?;
            self.carry.clear();
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::TerminalSafe;

    #[test]
    fn escapes_split_characters_and_keeps_lines() {
        let mut out = TerminalSafe::new(Vec::new(), false);
        let text = "a\u{1b}]0;x\u{7}\nb\u{9b}2J\u{202e}c\n".as_bytes();
        // Byte by byte, so every multi-byte character is split between writes.
        for b in text {
            out.write_all(&[*b]).unwrap();
        }
        out.flush().unwrap();
        let shown = String::from_utf8(out.inner).unwrap();
        assert_eq!(shown, "a\\u{1b}]0;x\\u{7}\nb\\u{9b}2J\\u{202e}c\n");

        let mut json = TerminalSafe::new(Vec::new(), true);
        json.write_all("{\"t\":\"\u{9b}x\"}\n".as_bytes()).unwrap();
        json.flush().unwrap();
        assert_eq!(String::from_utf8(json.inner).unwrap(), "{\"t\":\"\\u009bx\"}\n");
    }
}
