//! File formats: reading items from JSONL, CSV/TSV and plain text, writing exports, and span files
//! (Prodigy's and spaCy's JSONL, CoNLL / IOB2) in [`spans`].
//!
//! Readers check every record and report problems with the line they are on, so the caller can print
//! `FILE:LINE: what is wrong` and decide whether to go on. Imports only `domain`.

mod delimited;
pub mod export;
mod jsonl;
mod plain;
mod span_export;
mod span_items;
pub mod spans;

use std::io::BufRead;

use crate::domain::{LabelSet, NewItem};

pub use export::{ExportFormat, ExportWriter};

/// The formats `margin import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Jsonl,
    Csv,
    Tsv,
    Text,
    /// CoNLL / IOB2 (span projects only).
    Conll,
}

impl InputFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Jsonl => "jsonl",
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Text => "text",
            InputFormat::Conll => "conll",
        }
    }

    /// The format a file name's extension implies, if any.
    pub fn from_extension(name: &str) -> Option<InputFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Some(InputFormat::Jsonl),
            "csv" => Some(InputFormat::Csv),
            "tsv" | "tab" => Some(InputFormat::Tsv),
            "txt" | "text" => Some(InputFormat::Text),
            "conll" | "iob" | "iob2" | "bio" => Some(InputFormat::Conll),
            _ => None,
        }
    }
}

/// What to read from each record, and the rules it must meet.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub text_key: String,
    pub id_key: String,
    pub label_key: String,
    pub meta_key: String,
    pub max_text_bytes: usize,
    /// Reference labels must be among these. In a span project, JSONL and CoNLL are read as span files.
    pub labels: LabelSet,
    /// Span projects: whether spans may overlap (`spans.overlap`).
    pub span_overlap: bool,
}

/// A record that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// 1-based line where the record starts.
    pub line: u64,
    pub message: String,
}

impl BadRecord {
    /// A bad record at `line`. Data quoted in `message` (a field or column name, a label) is escaped as
    /// `\u{..}`, so the message stays one line that is safe to print as it is.
    pub fn new(line: u64, message: &str) -> BadRecord {
        BadRecord { line, message: crate::domain::text::visible(message).into_owned() }
    }
}

/// Why reading stopped or skipped a record.
#[derive(Debug)]
pub enum ReadProblem {
    /// This record is bad; the ones after it can still be read.
    Bad(BadRecord),
    /// The input cannot be read any further.
    Fatal(BadRecord),
    Io(std::io::Error),
}

/// A stream of items from an input file.
pub trait ItemReader {
    /// The next item, a problem with the next record, or `None` at the end.
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>>;
    /// Blank lines passed over so far.
    fn blank_lines(&self) -> u64;
}

/// A reader for `format` over `input`.
pub fn reader<'a, R: BufRead + Send + 'a>(
    format: InputFormat,
    input: R,
    options: ReadOptions,
) -> Result<Box<dyn ItemReader + Send + 'a>, ReadProblem> {
    let spans = options.labels.kind() == crate::domain::TaskKind::Spans;
    Ok(match format {
        InputFormat::Jsonl if spans => Box::new(span_items::SpanJsonlReader::new(input, options)),
        InputFormat::Conll if spans => Box::new(span_items::ConllReader::new(input, &options)?),
        InputFormat::Conll => {
            return Err(ReadProblem::Fatal(BadRecord::new(
                1,
                "a CoNLL file holds labelled spans, and this project labels whole texts; import it into a project \
                 made with `margin init --task spans`",
            )));
        }
        InputFormat::Jsonl => Box::new(jsonl::JsonlReader::new(input, options)),
        InputFormat::Text => Box::new(plain::TextReader::new(input, options)),
        InputFormat::Csv => Box::new(delimited::DelimitedReader::new(input, b',', options)?),
        InputFormat::Tsv => Box::new(delimited::DelimitedReader::new(input, b'\t', options)?),
    })
}

/// The non-blank lines of an input, one at a time, numbered from 1: blank lines are counted and passed
/// over, and a UTF-8 byte order mark is dropped from the first line. What the line-per-record readers share.
struct Lines<R> {
    input: R,
    /// The current line's bytes, without its line ending.
    buf: Vec<u8>,
    line: u64,
    blank: u64,
}

impl<R: BufRead> Lines<R> {
    fn new(input: R) -> Self {
        Lines { input, buf: Vec::new(), line: 0, blank: 0 }
    }

    /// The next non-blank line's number (its bytes are in `buf`), or `None` at the end of input.
    fn next_line(&mut self) -> Option<std::io::Result<u64>> {
        loop {
            match read_line(&mut self.input, &mut self.buf) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(e)),
            }
            self.line += 1;
            if self.line == 1 {
                strip_bom(&mut self.buf);
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                self.blank += 1;
                continue;
            }
            return Some(Ok(self.line));
        }
    }
}

/// Reads one line into `buf` without its line ending; false at the end of input.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    if input.read_until(b'\n', buf)? == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(true)
}

/// Drops a UTF-8 byte order mark from the start of the first line.
fn strip_bom(buf: &mut Vec<u8>) {
    if buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
}

fn utf8_or_message(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 at byte {}; save the file as UTF-8 (for example with iconv -t UTF-8)",
            e.valid_up_to() + 1
        )
    })
}

/// Checks reference labels against the project. An empty list means "none apply", which only a
/// multi-label project can say.
fn check_labels(given: Vec<String>, options: &ReadOptions) -> Result<Vec<String>, String> {
    if given.is_empty() && options.labels.kind() == crate::domain::TaskKind::MultiLabel {
        return Ok(given);
    }
    options.labels.validate(&given).map_err(|e| match e {
        crate::domain::label::LabelError::Unknown { .. } => {
            format!("{e}; add it to margin.toml or pick another field with --label-key")
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests;
