//! Changing the label list in margin.toml's text, keeping everything else as the person wrote it
//! (comments, order, spacing): a value is replaced at the place the TOML parser found it.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::toml_string;

/// Why margin.toml's text cannot be changed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EditError(String);

/// `text` with label `from` renamed to `to`: its `[[labels]]` entry's name and any `thresholds.high_stakes`
/// entry naming it.
pub fn rename_label(text: &str, from: &str, to: &str) -> Result<String, EditError> {
    let doc = DeTable::parse(text).map_err(|e| EditError(e.message().to_string()))?;
    let mut spans = Vec::new();
    for entry in array(doc.get_ref(), &["labels"]) {
        if let DeValue::Table(table) = entry.get_ref() {
            if let Some(name) = value(table, "name").filter(|v| as_str(v) == Some(from)) {
                spans.push(name.span());
            }
        }
    }
    if spans.is_empty() {
        return Err(EditError(format!("no [[labels]] entry is named `{from}`")));
    }
    for entry in array(doc.get_ref(), &["thresholds", "high_stakes"]) {
        if as_str(entry) == Some(from) {
            spans.push(entry.span());
        }
    }
    Ok(replace(text, spans, &toml_string(to)))
}

/// `text` with a new `[[labels]]` entry after the last one.
pub fn add_label(text: &str, name: &str, key: Option<&str>, color: &str) -> Result<String, EditError> {
    let doc = DeTable::parse(text).map_err(|e| EditError(e.message().to_string()))?;
    let entries = array(doc.get_ref(), &["labels"]);
    let Some(last) = entries.last() else {
        return Err(EditError("there is no [[labels]] entry to add after".into()));
    };
    if !matches!(last.get_ref(), DeValue::Table(_)) || !text[..last.span().start].contains("[[labels]]") {
        return Err(EditError("labels are written as one array; add the label to it by hand".into()));
    }
    let mut block = format!("\n[[labels]]\nname = {}\n", toml_string(name));
    if let Some(key) = key {
        block.push_str(&format!("key = {}\n", toml_string(key)));
    }
    block.push_str(&format!("color = {}\n", toml_string(color)));
    // After the last entry's last line: the end of its last value (its own span is only its header).
    let last_end = match last.get_ref() {
        DeValue::Table(t) => t.iter().map(|(_, v)| v.span().end).max().unwrap_or(last.span().end),
        _ => last.span().end,
    };
    let end = text[last_end..].find('\n').map_or(text.len(), |i| last_end + i + 1);
    let mut out = String::with_capacity(text.len() + block.len());
    out.push_str(&text[..end]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&block);
    out.push_str(&text[end..]);
    Ok(out)
}

/// `text` without the `[[labels]]` entry named `name`: from its header to the line before the next header.
pub fn remove_label(text: &str, name: &str) -> Result<String, EditError> {
    let doc = DeTable::parse(text).map_err(|e| EditError(e.message().to_string()))?;
    let name_value = array(doc.get_ref(), &["labels"])
        .into_iter()
        .find_map(|e| match e.get_ref() {
            DeValue::Table(t) => value(t, "name").filter(|v| as_str(v) == Some(name)),
            _ => None,
        })
        .ok_or_else(|| EditError(format!("no [[labels]] entry is named `{name}`")))?;
    let at = name_value.span().start;
    let start = text[..at].rfind("[[labels]]").ok_or_else(|| EditError("labels are written as one array".into()))?;
    let start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    // The next table header after this entry's first line, or the end.
    let after = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    let end = header_at_or_after(text, after).unwrap_or(text.len());
    let mut out = text[..start].to_string();
    out.push_str(&text[end..]);
    Ok(out)
}

/// The start of the first line at or after `from` that opens a table (`[...]` or `[[...]]`).
fn header_at_or_after(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    for line in text[from..].split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            return Some(at);
        }
        at += line.len();
    }
    None
}

fn value<'a>(table: &'a DeTable<'_>, key: &str) -> Option<&'a Spanned<DeValue<'a>>> {
    table.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
}

fn as_str<'a>(value: &'a Spanned<DeValue<'_>>) -> Option<&'a str> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

/// The elements of the array at `path`, none when it is not there.
fn array<'a>(table: &'a DeTable<'a>, path: &[&str]) -> Vec<&'a Spanned<DeValue<'a>>> {
    let mut current = table;
    for (i, key) in path.iter().enumerate() {
        let Some(found) = value(current, key) else { return Vec::new() };
        match found.get_ref() {
            DeValue::Table(t) if i + 1 < path.len() => current = t,
            DeValue::Array(a) if i + 1 == path.len() => return a.iter().collect(),
            _ => return Vec::new(),
        }
    }
    Vec::new()
}

/// `text` with every span replaced by `with`.
fn replace(text: &str, mut spans: Vec<Range<usize>>, with: &str) -> String {
    spans.sort_by_key(|s| std::cmp::Reverse(s.start));
    let mut out = text.to_string();
    for span in spans {
        out.replace_range(span, with);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"p\"\n\n[[labels]]\nname = \"spam\" # junk mail\nkey = \"1\"\ncolor = \"cyan\"\n\n\
                        [[labels]]\nname = 'ham'\nkey = \"2\"\n\n[thresholds]\nhigh_stakes = [\"ham\", \"spam\"]\n";

    #[test]
    fn a_rename_changes_the_name_and_high_stakes_and_nothing_else() {
        let renamed = rename_label(TEXT, "spam", "junk").unwrap();
        assert_eq!(renamed, TEXT.replace("\"spam\"", "\"junk\""));
        let renamed = rename_label(TEXT, "ham", "not spam").unwrap();
        assert!(renamed.contains("name = \"not spam\"\nkey = \"2\"") && renamed.contains("[\"not spam\", \"spam\"]"));
        assert!(rename_label(TEXT, "nope", "x").is_err());
    }

    #[test]
    fn add_goes_after_the_last_label_and_remove_takes_the_whole_entry() {
        let added = add_label(TEXT, "maybe", Some("3"), "green").unwrap();
        let maybe = "[[labels]]\nname = \"maybe\"\nkey = \"3\"\ncolor = \"green\"\n";
        assert!(added.contains(&format!("key = \"2\"\n\n{maybe}\n[thresholds]")), "{added}");
        assert_eq!(remove_label(&added, "maybe").unwrap(), TEXT);
        let without_spam = remove_label(TEXT, "spam").unwrap();
        assert!(without_spam.starts_with("name = \"p\"\n\n[[labels]]\nname = 'ham'"), "{without_spam}");
        assert!(remove_label(TEXT, "nope").is_err());
        assert!(add_label("name = \"p\"\nlabels = [{ name = \"a\" }]\n", "b", None, "red").is_err());
    }
}
