//! Plain text input: one item per line; blank lines are passed over.

use std::io::BufRead;

use super::{BadRecord, ItemReader, Lines, ReadOptions, ReadProblem, utf8_or_message};
use crate::domain::NewItem;
use crate::domain::item::check_text;

pub struct TextReader<R> {
    lines: Lines<R>,
    options: ReadOptions,
}

impl<R: BufRead> TextReader<R> {
    pub fn new(input: R, options: ReadOptions) -> Self {
        TextReader { lines: Lines::new(input), options }
    }
}

impl<R: BufRead> ItemReader for TextReader<R> {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        let line = match self.lines.next_line()? {
            Ok(line) => line,
            Err(e) => return Some(Err(ReadProblem::Io(e))),
        };
        let bad = |message: String| Some(Err(ReadProblem::Bad(BadRecord::new(line, &message))));
        let text = match utf8_or_message(&self.lines.buf) {
            Ok(text) => text,
            Err(message) => return bad(message),
        };
        if let Err(problem) = check_text(text, self.options.max_text_bytes) {
            return bad(problem.to_string());
        }
        Some(Ok(NewItem::new(None, text.to_string(), None, None, line)))
    }

    fn blank_lines(&self) -> u64 {
        self.lines.blank
    }
}
