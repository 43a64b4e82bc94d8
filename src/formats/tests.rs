use std::io::Cursor;

use super::*;
use crate::domain::TaskKind;

fn options(kind: TaskKind) -> ReadOptions {
    ReadOptions {
        text_key: "text".into(),
        id_key: "id".into(),
        label_key: "label".into(),
        meta_key: "meta".into(),
        max_text_bytes: 50,
        labels: LabelSet::new(vec!["ham".into(), "spam".into()], kind),
        span_overlap: false,
    }
}

/// Reads everything: items, and (line, message) of each bad record.
fn read_all(format: InputFormat, input: &[u8], kind: TaskKind) -> (Vec<NewItem>, Vec<(u64, String)>) {
    let mut reader = reader(format, Cursor::new(input.to_vec()), options(kind)).expect("reader");
    let mut items = Vec::new();
    let mut bad = Vec::new();
    while let Some(next) = reader.next_item() {
        match next {
            Ok(item) => items.push(item),
            Err(ReadProblem::Bad(r)) => bad.push((r.line, r.message)),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    (items, bad)
}

fn only_error(format: InputFormat, input: &[u8]) -> (u64, String) {
    let (items, bad) = read_all(format, input, TaskKind::SingleLabel);
    assert!(items.is_empty(), "expected no items, got {items:?}");
    assert_eq!(bad.len(), 1, "{bad:?}");
    bad[0].clone()
}

#[test]
fn jsonl_reads_all_fields_and_keeps_meta_verbatim() {
    let input = b"\xEF\xBB\xBF{\"id\": 7, \"text\": \"caf\\u00e9\", \"meta\": {\"b\": 1.50, \"a\": [1]}, \"label\": \"spam\"}\r\n";
    let (items, bad) = read_all(InputFormat::Jsonl, input, TaskKind::SingleLabel);
    assert!(bad.is_empty(), "{bad:?}");
    let item = &items[0];
    assert_eq!(item.ext_id.as_deref(), Some("7"));
    assert_eq!(item.text, "caf\u{e9}");
    assert_eq!(item.meta.as_deref(), Some("{\"b\": 1.50, \"a\": [1]}"));
    assert_eq!(item.reference_labels, Some(vec!["spam".to_string()]));
    assert_eq!(item.line, 1);
    assert_eq!(item.content_key, crate::domain::content_key("caf\u{e9}"));
}

#[test]
fn jsonl_keeps_other_fields_in_meta_and_passes_blank_lines() {
    let input = b"\n{\"text\": \"hi\", \"source\": \"web\", \"meta\": {\"a\": 1}}\n  \n{\"text\": \"yo\", \"n\": 2}\n";
    let mut reader = reader(InputFormat::Jsonl, Cursor::new(input.to_vec()), options(TaskKind::SingleLabel)).unwrap();
    let first = reader.next_item().unwrap().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(first.meta.as_deref(), Some("{\"a\":1,\"source\":\"web\"}"));
    let second = reader.next_item().unwrap().unwrap();
    assert_eq!(second.line, 4);
    assert_eq!(second.meta.as_deref(), Some("{\"n\":2}"));
    assert!(reader.next_item().is_none());
    assert_eq!(reader.blank_lines(), 2);
}

#[test]
fn jsonl_bad_records_say_what_is_wrong() {
    let cases: &[(&[u8], &str)] = &[
        (b"{\"text\": 5}", "field `text` must be a string, not a number"),
        (b"{\"body\": \"x\"}", "no `text` field; name the field that holds the text with --text-key"),
        (b"{\"text\": \"   \"}", "the text is empty"),
        (b"{\"text\": \"a\"", "malformed JSON"),
        (b"[1, 2]", "malformed JSON: invalid type: sequence, expected a JSON object"),
        (b"{\"text\": \"a\", \"text\": \"b\"}", "field `text` appears twice"),
        (b"{\"text\": \"a\", \"label\": \"eggs\"}", "label `eggs` is not one of the project's labels (ham, spam)"),
        (b"{\"text\": \"a\", \"label\": [\"ham\", \"spam\"]}", "2 labels given, but this is a single-label project"),
        (b"{\"text\": \"a\", \"label\": 3}", "field `label` must be a string or an array of strings, not a number"),
        (b"{\"text\": \"a\", \"meta\": [1]}", "field `meta` must be an object, not an array"),
        (b"{\"text\": \"a\", \"id\": 1.5}", "field `id` must be a string or an integer, not a number"),
        (b"{\"text\": \"a\", \"id\": \"\"}", "field `id` is empty"),
        (b"{\"text\": \"a\", \"x\": 1, \"meta\": {\"x\": 2}}", "field `x` is both a top-level field and inside `meta`"),
        (b"{\"text\": \"\xff\"}", "invalid UTF-8 at byte 11"),
    ];
    for (input, expected) in cases {
        let (line, message) = only_error(InputFormat::Jsonl, input);
        assert_eq!(line, 1);
        assert!(
            message.contains(expected),
            "{:?}: got {message:?}, expected {expected:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn texts_over_the_limit_are_refused_in_every_format() {
    let long = "x".repeat(51);
    let (_, message) = only_error(InputFormat::Jsonl, format!("{{\"text\": \"{long}\"}}").as_bytes());
    assert!(message.contains("51 bytes, over the limit of 50 bytes"), "{message}");
    let (_, message) = only_error(InputFormat::Text, long.as_bytes());
    assert!(message.contains("over the limit"), "{message}");
    let (_, message) = only_error(InputFormat::Csv, format!("text\n{long}\n").as_bytes());
    assert!(message.contains("over the limit"), "{message}");
}

#[test]
fn multi_label_projects_take_lists_and_empty_lists() {
    let input = b"{\"text\": \"a\", \"label\": [\"spam\", \"ham\"]}\n{\"text\": \"b\", \"label\": []}\n{\"text\": \"c\", \"label\": null}\n";
    let (items, bad) = read_all(InputFormat::Jsonl, input, TaskKind::MultiLabel);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(items[0].reference_labels, Some(vec!["ham".to_string(), "spam".to_string()]));
    assert_eq!(items[1].reference_labels, Some(vec![]));
    assert_eq!(items[2].reference_labels, None);
}

#[test]
fn csv_maps_columns_and_reports_lines_of_multiline_records() {
    let input =
        b"id,text,label,source\n1,\"first, with comma\",ham,web\n2,\"two\nlines\",spam|ham,mail\n3,bad\n4,fine,,x\n";
    let (items, bad) = read_all(InputFormat::Csv, input, TaskKind::MultiLabel);
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].ext_id.as_deref(), Some("1"));
    assert_eq!(items[0].text, "first, with comma");
    assert_eq!(items[0].meta.as_deref(), Some("{\"source\":\"web\"}"));
    assert_eq!(items[1].text, "two\nlines");
    assert_eq!(items[1].line, 3);
    assert_eq!(items[1].reference_labels, Some(vec!["ham".to_string(), "spam".to_string()]));
    assert_eq!(items[2].reference_labels, None);
    assert_eq!(bad, vec![(5, "2 fields, but the header has 4".to_string())]);
}

#[test]
fn tsv_has_no_quoting() {
    let input = b"text\tlabel\nhe said \"hi\"\tham\n";
    let (items, bad) = read_all(InputFormat::Tsv, input, TaskKind::SingleLabel);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(items[0].text, "he said \"hi\"");
}

#[test]
fn csv_header_problems_are_fatal() {
    let missing =
        reader(InputFormat::Csv, Cursor::new(b"body,label\nx,ham\n".to_vec()), options(TaskKind::SingleLabel));
    match missing {
        Err(ReadProblem::Fatal(r)) => {
            assert_eq!(r.line, 1);
            assert!(r.message.contains("no column `text` in the header (columns: body, label)"), "{}", r.message);
        }
        _ => panic!("expected a fatal header problem"),
    }
    let twice = reader(InputFormat::Csv, Cursor::new(b"text,text\nx,y\n".to_vec()), options(TaskKind::SingleLabel));
    assert!(matches!(twice, Err(ReadProblem::Fatal(r)) if r.message.contains("appears twice")));
}

#[test]
fn csv_invalid_utf8_is_a_bad_record() {
    let (line, message) = only_error(InputFormat::Csv, b"text\nok\xff\n");
    assert_eq!(line, 2);
    assert!(message.starts_with("invalid UTF-8"), "{message}");
}

#[test]
fn plain_text_is_one_item_per_line() {
    let (items, bad) = read_all(InputFormat::Text, b"one\r\n\ntwo\n\xfe\n", TaskKind::SingleLabel);
    assert_eq!(items.iter().map(|i| (i.line, i.text.as_str())).collect::<Vec<_>>(), vec![(1, "one"), (3, "two")]);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, 4);
}

#[test]
fn formats_follow_extensions() {
    assert_eq!(InputFormat::from_extension("a.JSONL"), Some(InputFormat::Jsonl));
    assert_eq!(InputFormat::from_extension("a.ndjson"), Some(InputFormat::Jsonl));
    assert_eq!(InputFormat::from_extension("dir.v2/a.tsv"), Some(InputFormat::Tsv));
    assert_eq!(InputFormat::from_extension("a.txt"), Some(InputFormat::Text));
    assert_eq!(InputFormat::from_extension("a.json"), None);
    assert_eq!(InputFormat::from_extension("README"), None);
}
