//! The fuzz targets and the properties they check, shared by the libFuzzer targets (fuzz/fuzz_targets/) and
//! the corpus replay test (tests/fuzz_corpus.rs). Each target takes raw bytes, runs one of margin's readers,
//! parsers or sanitisers on them and returns `Err(what broke)` when a property fails; a panic is left to
//! propagate, so the fuzzer (or the test) reports it with its input.
//!
//! The properties:
//! - nothing panics, and every reader comes to an end;
//! - every error is one line that can be printed as it is: no line break, no control character, nothing
//!   that `is_unsafe_for_terminal` flags (data quoted in a message is escaped);
//! - every error says where: an importer's bad record names a line inside the input, a settings file's
//!   message starts `FILE:LINE:`;
//! - what an importer accepts keeps its rules (a line inside the input, text neither blank nor too long);
//! - a sanitiser's output holds nothing that `is_unsafe_for_terminal` flags, and a wrapped line is no
//!   wider than asked unless it is one piece that cannot be cut.
//!
//! Importer inputs are plain files of their format: the project they are read into (single- or multi-label,
//! a small or a large text limit) follows from the input's length. A sanitiser input's first byte is the
//! width to wrap to; the rest is the text.

use std::io::Cursor;
use std::path::Path;

use margin::config::{self, ProjectConfig};
use margin::domain::text::{is_unsafe_for_terminal, visible};
use margin::domain::{LabelSet, TaskKind};
use margin::formats::{self, InputFormat, ReadOptions, ReadProblem};
use margin::model::ModelError;
use margin::model::external::Manifest;
use margin::tui::keymap::{Key, KeyMode, Keymap, KeymapError};
use margin::tui::text::{columns, one_line, wrap};

/// Every target, by the name its corpus folder and libFuzzer binary have.
pub const TARGETS: [&str; 8] = ["jsonl", "csv", "tsv", "text", "margin_toml", "keys_toml", "manifest", "sanitiser"];

/// Runs `target` on `data`: `Err` says which property broke.
pub fn run(target: &str, data: &[u8]) -> Result<(), String> {
    match target {
        "jsonl" => importer(InputFormat::Jsonl, data),
        "csv" => importer(InputFormat::Csv, data),
        "tsv" => importer(InputFormat::Tsv, data),
        "text" => importer(InputFormat::Text, data),
        "margin_toml" => margin_toml(data),
        "keys_toml" => keys_toml(data),
        "manifest" => manifest(data),
        "sanitiser" => sanitiser(data),
        _ => Err(format!("no fuzz target `{target}`; the targets are {}", TARGETS.join(", "))),
    }
}

/// An error message that is one line and safe to print as it is.
pub fn check_one_line(message: &str) -> Result<(), String> {
    if message.trim().is_empty() {
        return Err("an empty error message".into());
    }
    match message.chars().find(|c| is_unsafe_for_terminal(*c)) {
        Some(c) => Err(format!("error message holds {c:?}, so it is not one printable line: {message:?}")),
        None => Ok(()),
    }
}

/// A settings file's message: one line, starting `FILE:LINE:`.
fn check_located(message: &str, file: &str) -> Result<(), String> {
    check_one_line(message)?;
    let located = message
        .strip_prefix(file)
        .and_then(|rest| rest.strip_prefix(':'))
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(line, _)| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) && line != "0");
    if located { Ok(()) } else { Err(format!("error message does not start `{file}:LINE:`: {message:?}")) }
}

fn importer(format: InputFormat, data: &[u8]) -> Result<(), String> {
    let kind = match data.len() % 3 {
        0 => TaskKind::SingleLabel,
        1 => TaskKind::MultiLabel,
        _ => TaskKind::Spans,
    };
    let max_text_bytes = if data.len() % 5 == 0 { 16 } else { 1_000_000 };
    let options = ReadOptions {
        text_key: "text".into(),
        id_key: "id".into(),
        label_key: "label".into(),
        meta_key: "meta".into(),
        max_text_bytes,
        labels: LabelSet::new(vec!["pos".into(), "neg".into(), "other".into()], kind),
        span_overlap: data.len() % 4 == 0,
    };
    let lines = data.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let mut last_line = 0;
    let mut at_line = |line: u64, what: &str| -> Result<(), String> {
        if line == 0 || line > lines {
            return Err(format!("{what} names line {line}, outside the input's {lines} lines"));
        }
        if line < last_line {
            return Err(format!("{what} names line {line}, before the previous record's line {last_line}"));
        }
        last_line = line;
        Ok(())
    };
    let mut reader = match formats::reader(format, Cursor::new(data), options) {
        Ok(reader) => reader,
        Err(ReadProblem::Fatal(bad) | ReadProblem::Bad(bad)) => {
            at_line(bad.line, "a refused header")?;
            return check_one_line(&bad.message);
        }
        Err(ReadProblem::Io(e)) => return Err(format!("an I/O error reading from memory: {e}")),
    };
    // CSV and TSV also end a record at a lone carriage return (on the line it started on).
    let records = lines + data.iter().filter(|b| **b == b'\r').count() as u64;
    let mut results = 0u64;
    while let Some(result) = reader.next_item() {
        results += 1;
        if results > records + 1 {
            return Err(format!("{results} results from {records} records: the reader does not come to an end"));
        }
        match result {
            Ok(item) => {
                at_line(item.line, "an item")?;
                if item.text.trim().is_empty() || item.text.len() > max_text_bytes {
                    return Err(format!("an item's text breaks the rules: {:?}", item.text));
                }
            }
            Err(ReadProblem::Bad(bad)) => {
                at_line(bad.line, "a bad record")?;
                check_one_line(&bad.message)?;
            }
            Err(ReadProblem::Fatal(bad)) => {
                at_line(bad.line, "a fatal record")?;
                return check_one_line(&bad.message);
            }
            Err(ReadProblem::Io(e)) => return Err(format!("an I/O error reading from memory: {e}")),
        }
    }
    if reader.blank_lines() > lines {
        return Err(format!("{} blank lines counted in {lines} lines", reader.blank_lines()));
    }
    Ok(())
}

/// Settings files are read with `read_to_string`, which refuses a file that is not UTF-8 before any parsing.
fn utf8(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

fn margin_toml(data: &[u8]) -> Result<(), String> {
    let Some(text) = utf8(data) else { return Ok(()) };
    match ProjectConfig::parse(text, Path::new("margin.toml")) {
        Err(e) => check_located(&e.to_string(), "margin.toml"),
        Ok(config) => {
            config.pii.masker().map_err(|e| format!("an accepted file's PII patterns do not build: {e}"))?;
            let _ = config.governed();
            let label_keys: Vec<Option<String>> = config.labels.iter().map(|l| l.key.clone()).collect();
            let built = Keymap::build(&[(&config.keys, &["keys"])], &label_keys);
            if let Ok(keymap) = &built {
                // A label key the file was accepted with must be bound, not dropped on the way.
                for (i, key) in label_keys.iter().enumerate() {
                    let bound = keymap.label_keys().get(i).is_some_and(|keys| {
                        key.as_deref().is_none_or(|k| keys.iter().any(|b| Key::parse(k) == Some(*b)))
                    });
                    if !bound {
                        return Err(format!("label {} was accepted with key {key:?}, which is not bound", i + 1));
                    }
                }
            }
            check_keymap(built, text)
        }
    }
}

fn keys_toml(data: &[u8]) -> Result<(), String> {
    let Some(text) = utf8(data) else { return Ok(()) };
    match config::parse_keys(text, Path::new("keys.toml")) {
        Err(e) => check_located(&e.to_string(), "keys.toml"),
        Ok(user) => {
            let label_keys = [Some("1".to_string()), Some("p".to_string()), None];
            check_keymap(Keymap::build(&[(&user, &[])], &label_keys), text)
        }
    }
}

/// A keymap built from a file: a mistake is one line and can be located in `text` (as `margin annotate`
/// does); a built keymap's keys, its help table included, print safely.
fn check_keymap(built: Result<Keymap, KeymapError>, text: &str) -> Result<(), String> {
    let keymap = match built {
        Err(e) => {
            let path: Vec<&str> = e.path.iter().map(String::as_str).collect();
            let _ = config::line_of(text, &path);
            return check_one_line(&e.message);
        }
        Ok(keymap) => keymap,
    };
    let safe = |key: &Key| {
        let name = key.to_string();
        match name.chars().any(is_unsafe_for_terminal) {
            true => Err(format!("key {name:?} cannot be printed as it is")),
            false => Ok(()),
        }
    };
    for mode in KeyMode::ALL {
        for (_, keys) in keymap.bindings(mode) {
            keys.iter().try_for_each(safe)?;
        }
    }
    keymap.label_keys().iter().flatten().try_for_each(safe)?;
    if let Some(c) = keymap.markdown().chars().find(|c| *c != '\n' && is_unsafe_for_terminal(*c)) {
        return Err(format!("the key table holds {c:?}"));
    }
    Ok(())
}

fn manifest(data: &[u8]) -> Result<(), String> {
    let Some(text) = utf8(data) else { return Ok(()) };
    match Manifest::parse(text, Path::new("model.toml")) {
        Ok(_) => Ok(()),
        Err(ModelError::Invalid(message)) => check_located(&message, "model.toml"),
        Err(other) => Err(format!("a manifest problem that is not ModelError::Invalid: {other}")),
    }
}

fn sanitiser(data: &[u8]) -> Result<(), String> {
    let (width, rest) = data.split_first().map_or((0, &[][..]), |(w, rest)| (usize::from(*w), rest));
    let text = String::from_utf8_lossy(rest);
    let safe = |what: &str, out: &str| match out.chars().find(|c| is_unsafe_for_terminal(*c)) {
        Some(c) => Err(format!("{what} lets {c:?} through: {out:?}")),
        None => Ok(()),
    };

    let shown = visible(&text);
    safe("visible", &shown)?;
    if !text.chars().any(is_unsafe_for_terminal) && shown != text {
        return Err(format!("visible changed text that was safe: {text:?} became {shown:?}"));
    }

    let mut last_at = 0;
    for line in wrap(&text, width) {
        let cols: usize = line.iter().map(|p| columns(&p.text)).sum();
        if cols > width.max(1) && line.len() > 1 {
            let pieces: Vec<&str> = line.iter().map(|p| p.text.as_str()).collect();
            return Err(format!("wrap to {width} columns gave a line of {cols}: {pieces:?}"));
        }
        for piece in &line {
            safe("wrap", &piece.text)?;
            if piece.at < last_at || !text.is_char_boundary(piece.at) {
                return Err(format!("wrap's piece {:?} says it came from byte {}", piece.text, piece.at));
            }
            last_at = piece.at;
            if !piece.placeholder {
                let from = text[piece.at..].chars().next();
                let first = piece.text.chars().next();
                // A tab is drawn as spaces, which combining marks after it join.
                let tab = from == Some('\t') && piece.text.starts_with(' ');
                if first.is_none() || (first != from && !tab) {
                    return Err(format!("wrap's piece {:?} is not the text at byte {}", piece.text, piece.at));
                }
            }
        }
    }

    let shown = one_line(&text, width);
    safe("one_line", &shown)?;
    if shown.contains('\n') || columns(&shown) > width {
        return Err(format!("one_line to {width} columns gave {} columns: {shown:?}", columns(&shown)));
    }
    Ok(())
}
