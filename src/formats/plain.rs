//! Plain text input: one item per line; blank lines are passed over.

use std::io::BufRead;

use super::{BadRecord, ItemReader, ReadOptions, ReadProblem, read_line, strip_bom, utf8_or_message};
use crate::domain::NewItem;
use crate::domain::item::check_text;

pub struct TextReader<R> {
    input: R,
    options: ReadOptions,
    line: u64,
    buf: Vec<u8>,
    blank: u64,
}

impl<R: BufRead> TextReader<R> {
    pub fn new(input: R, options: ReadOptions) -> Self {
        TextReader { input, options, line: 0, buf: Vec::new(), blank: 0 }
    }
}

impl<R: BufRead> ItemReader for TextReader<R> {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        loop {
            match read_line(&mut self.input, &mut self.buf) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(ReadProblem::Io(e))),
            }
            self.line += 1;
            if self.line == 1 {
                strip_bom(&mut self.buf);
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                self.blank += 1;
                continue;
            }
            let line = self.line;
            let bad = |message: String| Some(Err(ReadProblem::Bad(BadRecord::new(line, &message))));
            let text = match utf8_or_message(&self.buf) {
                Ok(text) => text,
                Err(message) => return bad(message),
            };
            if let Err(problem) = check_text(text, self.options.max_text_bytes) {
                return bad(problem.to_string());
            }
            return Some(Ok(NewItem::new(None, text.to_string(), None, None, line)));
        }
    }

    fn blank_lines(&self) -> u64 {
        self.blank
    }
}
