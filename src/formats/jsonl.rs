//! JSONL input: one JSON object per line with a text field, and optionally an id, reference label(s) and
//! a metadata object. Any other fields are kept in the metadata.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{BadRecord, ItemReader, Lines, ReadOptions, ReadProblem, check_labels, utf8_or_message};
use crate::domain::NewItem;
use crate::domain::item::check_text;

/// Ids longer than this are refused: an id is a handle, not content.
const MAX_ID_BYTES: usize = 512;

pub struct JsonlReader<R> {
    lines: Lines<R>,
    options: ReadOptions,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(input: R, options: ReadOptions) -> Self {
        JsonlReader { lines: Lines::new(input), options }
    }
}

impl<R: BufRead> ItemReader for JsonlReader<R> {
    fn next_item(&mut self) -> Option<Result<NewItem, ReadProblem>> {
        let line = match self.lines.next_line()? {
            Ok(line) => line,
            Err(e) => return Some(Err(ReadProblem::Io(e))),
        };
        let parsed = utf8_or_message(&self.lines.buf).and_then(|text| parse_object(text, line, &self.options));
        Some(parsed.map_err(|message| ReadProblem::Bad(BadRecord::new(line, &message))))
    }

    fn blank_lines(&self) -> u64 {
        self.lines.blank
    }
}

/// Turns one line's JSON object into an item.
fn parse_object(line_text: &str, line: u64, options: &ReadOptions) -> Result<NewItem, String> {
    let Fields(fields) = serde_json::from_str(line_text).map_err(|e| json_message(&e))?;
    let mut text = None;
    let mut id = None;
    let mut labels = None;
    let mut meta: Option<&RawValue> = None;
    let mut extras: Vec<(Cow<'_, str>, &RawValue)> = Vec::new();
    for (key, value) in fields {
        let slot = if key == options.text_key.as_str() {
            &mut text
        } else if key == options.id_key.as_str() {
            &mut id
        } else if key == options.label_key.as_str() {
            &mut labels
        } else if key == options.meta_key.as_str() {
            &mut meta
        } else {
            if extras.iter().any(|(k, _)| *k == key) {
                return Err(format!("field `{key}` appears twice"));
            }
            extras.push((key, value));
            continue;
        };
        if slot.replace(value).is_some() {
            return Err(format!("field `{key}` appears twice"));
        }
    }

    let text_key = &options.text_key;
    let Some(text) = text else {
        return Err(format!("no `{text_key}` field; name the field that holds the text with --text-key"));
    };
    let text: String = match kind_of(text) {
        "a string" => serde_json::from_str(text.get()).map_err(|e| json_message(&e))?,
        other => return Err(format!("field `{text_key}` must be a string, not {other}")),
    };
    check_text(&text, options.max_text_bytes).map_err(|e| e.to_string())?;

    let ext_id = match id {
        None => None,
        Some(raw) => Some(parse_id(raw, &options.id_key)?),
    };
    let reference_labels = match labels {
        None => None,
        Some(raw) => parse_labels(raw, options)?,
    };
    let meta = merge_meta(meta, &extras, &options.meta_key)?;
    Ok(NewItem::new(ext_id, text, meta, reference_labels, line))
}

fn parse_id(raw: &RawValue, key: &str) -> Result<String, String> {
    let id = match kind_of(raw) {
        "a string" => serde_json::from_str::<String>(raw.get()).map_err(|e| json_message(&e))?,
        "a number" if raw.get().bytes().all(|b| b.is_ascii_digit() || b == b'-') => raw.get().to_string(),
        other => return Err(format!("field `{key}` must be a string or an integer, not {other}")),
    };
    if id.is_empty() {
        return Err(format!("field `{key}` is empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(format!("field `{key}` is {} bytes long; ids may be at most {MAX_ID_BYTES}", id.len()));
    }
    if id.chars().any(char::is_control) {
        return Err(format!("field `{key}` contains control characters"));
    }
    Ok(id)
}

fn parse_labels(raw: &RawValue, options: &ReadOptions) -> Result<Option<Vec<String>>, String> {
    let key = &options.label_key;
    let given: Vec<String> = match kind_of(raw) {
        "null" => return Ok(None),
        "a string" => vec![serde_json::from_str(raw.get()).map_err(|e| json_message(&e))?],
        "an array" => serde_json::from_str(raw.get())
            .map_err(|_| format!("field `{key}` must be a string or an array of strings"))?,
        other => return Err(format!("field `{key}` must be a string or an array of strings, not {other}")),
    };
    check_labels(given, options).map(Some)
}

/// The stored metadata: the meta object verbatim, with any other top-level fields added to it.
fn merge_meta(
    meta: Option<&RawValue>,
    extras: &[(Cow<'_, str>, &RawValue)],
    key: &str,
) -> Result<Option<String>, String> {
    if let Some(raw) = meta {
        match kind_of(raw) {
            "an object" | "null" => {}
            other => return Err(format!("field `{key}` must be an object, not {other}")),
        }
    }
    let meta = meta.filter(|raw| kind_of(raw) != "null");
    if extras.is_empty() {
        return Ok(meta.map(|raw| raw.get().to_string()));
    }
    let mut object: serde_json::Map<String, serde_json::Value> = match meta {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|e| json_message(&e))?,
        None => serde_json::Map::new(),
    };
    for (name, value) in extras {
        if object.contains_key(name.as_ref()) {
            return Err(format!("field `{name}` is both a top-level field and inside `{key}`; rename one"));
        }
        let value = serde_json::from_str(value.get()).map_err(|e| json_message(&e))?;
        object.insert(name.to_string(), value);
    }
    Ok(Some(serde_json::Value::Object(object).to_string()))
}

/// "a string", "a number", ... for messages, from the first character of the raw JSON.
fn kind_of(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// serde_json's message without its "at line 1 column N" (the line is ours to give), keeping the column.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    format!("malformed JSON: {message} (column {})", e.column())
}

/// The fields of one object in file order, values left as raw JSON.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some(FieldName(key)) = map.next_key()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key, value));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A field name, borrowed from the line unless it had escapes.
struct FieldName<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for FieldName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = FieldName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}
