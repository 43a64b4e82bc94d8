//! Items for a span project: span JSONL (Prodigy's, spaCy's or doccano's shape) and CoNLL / IOB2 read as
//! items whose reference labels are their spans' keys ([`crate::domain::spans::keys`]), each span checked
//! against the text's tokens, the project's labels and its overlap rule. A JSONL line with only a text is
//! an item still to be labelled.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use serde_json::Value;

use super::spans::{SpanRecord, has_spans, read_conll_numbered, read_jsonl_value};
use super::{BadRecord, ItemReader, Lines, ReadOptions, ReadProblem, strip_bom, utf8_or_message};
use crate::domain::NewItem;
use crate::domain::item::check_text;
use crate::domain::spans::{check_spans, keys, tokens};

/// Span JSONL, one item per line.
pub struct SpanJsonlReader<R> {
    lines: Lines<R>,
    options: ReadOptions,
}

impl<R: BufRead> SpanJsonlReader<R> {
    pub fn new(input: R, options: ReadOptions) -> Self {
        SpanJsonlReader { lines: Lines::new(input), options }
    }
}

impl<R: BufRead> ItemReader for SpanJsonlReader<R> {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        let line = match self.lines.next_line()? {
            Ok(line) => line,
            Err(e) => return Some(Err(ReadProblem::Io(e))),
        };
        let parsed = utf8_or_message(&self.lines.buf).and_then(|text| {
            let (record, value) = read_jsonl_value(text, line).map_err(|e| e.message)?;
            let labelled = has_spans(&value);
            let mut item = item_of(record, labelled, line, &self.options)?;
            item.ext_id = id_of(&value, &self.options.id_key)?;
            item.meta = value.get(&self.options.meta_key).filter(|m| m.is_object()).map(Value::to_string);
            Ok(item)
        });
        Some(parsed.map_err(|message| ReadProblem::Bad(BadRecord::new(line, &message))))
    }

    fn blank_lines(&self) -> u64 {
        self.lines.blank
    }
}

/// CoNLL / IOB2: the whole file is read first (a text spans many lines), then handed out item by item.
pub struct ConllReader {
    items: VecDeque<Result<NewItem, ReadProblem>>,
}

impl ConllReader {
    pub fn new(mut input: impl Read, options: &ReadOptions) -> Result<ConllReader, ReadProblem> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(ReadProblem::Io)?;
        strip_bom(&mut bytes);
        let text = utf8_or_message(&bytes).map_err(|m| ReadProblem::Fatal(BadRecord::new(1, &m)))?;
        let records = read_conll_numbered(text, options.labels.names())
            .map_err(|e| ReadProblem::Fatal(BadRecord::new(e.line, &e.message)))?;
        let items = records
            .into_iter()
            .map(|(line, record)| {
                item_of(record, true, line, options).map_err(|m| ReadProblem::Bad(BadRecord::new(line, &m)))
            })
            .collect();
        Ok(ConllReader { items })
    }
}

impl ItemReader for ConllReader {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        self.items.pop_front()
    }

    /// Blank lines end a text in CoNLL: none is passed over.
    fn blank_lines(&self) -> u64 {
        0
    }
}

/// A record as an item: its text checked, and its spans (when it carries any) checked and kept as keys.
fn item_of(record: SpanRecord, labelled: bool, line: u64, options: &ReadOptions) -> Result<NewItem, String> {
    check_text(&record.text, options.max_text_bytes).map_err(|e| e.to_string())?;
    let reference = if labelled {
        let toks = tokens(&record.text);
        let spans = check_spans(&record.text, &toks, &record.spans, options.labels.names(), options.span_overlap)
            .map_err(|e| e.to_string())?;
        Some(keys(&spans))
    } else {
        None
    };
    Ok(NewItem::new(None, record.text, None, reference, line))
}

/// The item's id from the `id_key` field: a string or a number.
fn id_of(value: &Value, id_key: &str) -> Result<Option<String>, String> {
    match value.get(id_key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("field `{id_key}` must be a non-empty string or a number (the item's id)")),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::super::{InputFormat, reader};
    use super::*;
    use crate::domain::{LabelSet, TaskKind};

    fn options(overlap: bool) -> ReadOptions {
        ReadOptions {
            text_key: "text".into(),
            id_key: "id".into(),
            label_key: "label".into(),
            meta_key: "meta".into(),
            max_text_bytes: 1000,
            labels: LabelSet::new(vec!["PER".into(), "LOC".into()], TaskKind::Spans),
            span_overlap: overlap,
        }
    }

    fn read(format: InputFormat, input: &str, overlap: bool) -> Vec<Result<NewItem, (u64, String)>> {
        let problem = |p: ReadProblem| match p {
            ReadProblem::Bad(b) | ReadProblem::Fatal(b) => (b.line, b.message),
            ReadProblem::Io(e) => (0, e.to_string()),
        };
        let mut r = match reader(format, Cursor::new(input.as_bytes().to_vec()), options(overlap)) {
            Ok(r) => r,
            Err(p) => return vec![Err(problem(p))],
        };
        let mut out = Vec::new();
        while let Some(next) = r.next_item() {
            out.push(next.map_err(problem));
        }
        out
    }

    #[test]
    fn every_jsonl_shape_reads_as_span_keys_and_a_bare_text_is_unlabelled() {
        let input = concat!(
            r#"{"id": 7, "text": "Ann met Bo in Rome", "spans": [{"start": 14, "end": 18, "label": "LOC"}, {"start": 0, "end": 3, "label": "PER"}], "meta": {"src": "a"}}"#,
            "\n",
            r#"{"text": "Bo left Rome", "entities": [[8, 12, "LOC"]]}"#,
            "\n\n",
            r#"{"text": "Cy is here", "label": []}"#,
            "\n",
            r#"{"text": "nothing said yet"}"#,
            "\n",
        );
        let items: Vec<NewItem> = read(InputFormat::Jsonl, input, false).into_iter().map(Result::unwrap).collect();
        let refs: Vec<Option<Vec<String>>> = items.iter().map(|i| i.reference_labels.clone()).collect();
        assert_eq!(
            refs,
            [
                Some(vec!["0:3:PER".to_string(), "14:18:LOC".to_string()]),
                Some(vec!["8:12:LOC".to_string()]),
                Some(vec![]),
                None,
            ]
        );
        assert_eq!(items[0].ext_id.as_deref(), Some("7"));
        assert_eq!(items[0].meta.as_deref(), Some(r#"{"src":"a"}"#));
        assert_eq!(items.iter().map(|i| i.line).collect::<Vec<_>>(), [1, 2, 4, 5]);
    }

    #[test]
    fn a_bad_span_names_its_line_and_the_fix() {
        let input = concat!(
            r#"{"text": "Ann met Bo", "spans": [{"start": 1, "end": 3, "label": "PER"}]}"#,
            "\n",
            r#"{"text": "Ann met Bo", "spans": [{"start": 0, "end": 3, "label": "ORG"}]}"#,
            "\n",
            r#"{"text": "Ann met Bo", "entities": [[0, 7, "PER"], [4, 10, "PER"]]}"#,
            "\n",
        );
        let read = read(InputFormat::Jsonl, input, false);
        let errors: Vec<(u64, String)> = read.into_iter().map(|r| r.unwrap_err()).collect();
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].1.contains("cuts a word"), "{}", errors[0].1);
        assert!(errors[1].1.contains("`ORG`") && errors[1].1.contains("PER, LOC"), "{}", errors[1].1);
        assert_eq!(errors[2].0, 3);
        assert!(errors[2].1.contains("spans.overlap = true"), "{}", errors[2].1);
        let allowed = super::super::spans::read_jsonl_line(
            r#"{"text": "Ann met Bo", "entities": [[0, 7, "PER"], [4, 10, "PER"]]}"#,
            1,
        );
        assert!(allowed.is_ok());
        assert!(
            self::read(
                InputFormat::Jsonl,
                r#"{"text": "Ann met Bo", "entities": [[0, 7, "PER"], [4, 10, "PER"]]}"#,
                true
            )[0]
            .is_ok(),
            "allowed when the project allows overlap"
        );
    }

    #[test]
    fn conll_reads_each_sentence_as_an_item_from_its_first_line() {
        let input = "-DOCSTART- O\n\nAnn B-PER\nmet O\nRome B-LOC\n\nBo B-PER\nleft O\n";
        let items: Vec<NewItem> = read(InputFormat::Conll, input, false).into_iter().map(Result::unwrap).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text, "Ann met Rome");
        assert_eq!(items[0].reference_labels, Some(vec!["0:3:PER".to_string(), "8:12:LOC".to_string()]));
        assert_eq!((items[0].line, items[1].line), (3, 7));
        let bad = read(InputFormat::Conll, "Ann B-PER\nmet B-ORG\n", false);
        assert_eq!(bad.len(), 1);
        let (line, message) = bad.into_iter().next().unwrap().unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("B-ORG"), "{message}");
    }

    #[test]
    fn a_project_that_labels_whole_texts_refuses_conll() {
        let mut o = options(false);
        o.labels = LabelSet::new(vec!["a".into(), "b".into()], TaskKind::SingleLabel);
        let refused = reader(InputFormat::Conll, Cursor::new(b"Ann B-PER\n".to_vec()), o);
        assert!(matches!(refused, Err(ReadProblem::Fatal(b)) if b.message.contains("--task spans")));
    }
}
