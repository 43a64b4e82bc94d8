//! CSV and TSV input with a header row. One column holds the text; optional columns hold the id and the
//! reference label(s) (several separated by `|`); every other column becomes a metadata field. TSV has no
//! quoting: a tab ends a field and a newline ends a record.

use std::io::Read;

use csv::{ByteRecord, ErrorKind, ReaderBuilder};

use super::{BadRecord, ItemReader, ReadOptions, ReadProblem, check_labels, utf8_or_message};
use crate::domain::NewItem;
use crate::domain::item::check_text;

/// Separates several labels in one cell.
pub const LABEL_SEPARATOR: char = '|';

pub struct DelimitedReader<R> {
    reader: csv::Reader<R>,
    record: ByteRecord,
    options: ReadOptions,
    text_column: usize,
    id_column: Option<usize>,
    label_column: Option<usize>,
    meta_columns: Vec<(usize, String)>,
}

impl<R: Read> DelimitedReader<R> {
    pub fn new(input: R, delimiter: u8, options: ReadOptions) -> Result<Self, ReadProblem> {
        let mut reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(delimiter == b',')
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let fatal = |message: String| ReadProblem::Fatal(BadRecord::new(1, &message));
        let header = match reader.byte_headers() {
            Ok(header) => header.clone(),
            Err(e) => {
                return Err(match e.into_kind() {
                    ErrorKind::Io(io) => ReadProblem::Io(io),
                    other => fatal(format!("cannot read the header: {other:?}")),
                });
            }
        };
        let mut names = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
            let name = utf8_or_message(raw).map_err(|m| fatal(format!("header: {m}")))?;
            if names.contains(&name.to_string()) {
                return Err(fatal(format!("column `{name}` appears twice in the header")));
            }
            names.push(name.to_string());
        }
        let find = |key: &str| names.iter().position(|n| n == key);
        let Some(text_column) = find(&options.text_key) else {
            return Err(fatal(format!(
                "no column `{}` in the header (columns: {}); name the text column with --text-key",
                options.text_key,
                names.join(", ")
            )));
        };
        let id_column = find(&options.id_key);
        let label_column = find(&options.label_key);
        let meta_columns = names
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != text_column && Some(*i) != id_column && Some(*i) != label_column)
            .map(|(i, n)| (i, n.clone()))
            .collect();
        Ok(DelimitedReader {
            reader,
            record: ByteRecord::new(),
            options,
            text_column,
            id_column,
            label_column,
            meta_columns,
        })
    }

    fn item_from_record(&self, line: u64) -> Result<NewItem, String> {
        let field = |i: usize| -> Result<&str, String> { utf8_or_message(self.record.get(i).unwrap_or_default()) };
        let text = field(self.text_column)?;
        check_text(text, self.options.max_text_bytes).map_err(|e| e.to_string())?;
        let ext_id = match self.id_column {
            Some(i) => Some(field(i)?.trim()).filter(|id| !id.is_empty()).map(str::to_string),
            None => None,
        };
        let reference_labels = match self.label_column {
            Some(i) => {
                let cell = field(i)?.trim();
                if cell.is_empty() {
                    None
                } else {
                    let given = cell.split(LABEL_SEPARATOR).map(|l| l.trim().to_string()).collect();
                    Some(check_labels(given, &self.options)?)
                }
            }
            None => None,
        };
        let meta = if self.meta_columns.is_empty() {
            None
        } else {
            let mut object = serde_json::Map::new();
            for (i, name) in &self.meta_columns {
                object.insert(name.clone(), serde_json::Value::String(field(*i)?.to_string()));
            }
            Some(serde_json::Value::Object(object).to_string())
        };
        Ok(NewItem::new(ext_id, text.to_string(), meta, reference_labels, line))
    }
}

impl<R: Read> ItemReader for DelimitedReader<R> {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(self.item_from_record(line).map_err(|message| ReadProblem::Bad(BadRecord::new(line, &message))))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                Some(Err(match e.into_kind() {
                    ErrorKind::Io(io) => ReadProblem::Io(io),
                    ErrorKind::UnequalLengths { expected_len, len, .. } => ReadProblem::Bad(BadRecord::new(
                        line,
                        &format!("{len} fields, but the header has {expected_len}"),
                    )),
                    other => ReadProblem::Bad(BadRecord::new(line, &format!("{other:?}"))),
                }))
            }
        }
    }

    fn blank_lines(&self) -> u64 {
        0
    }
}
