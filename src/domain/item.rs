//! Items: the texts people label, as they arrive from an import, and how they are identified.

use sha2::{Digest, Sha256};

/// The first 8 bytes of the SHA-256 of an item's text, as a signed integer: how duplicates are found, and
/// (in hex) the id of an item whose file gave none. Eight bytes keep the database index small; two
/// different texts share a key with odds of about one in 10^19 per pair, and the store refuses such a
/// pair rather than confuse them.
pub type ContentKey = i64;

/// One item read from an import file, checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// The id the file gave, if any; otherwise one is derived from the text (see [`derived_item_id`]).
    pub ext_id: Option<String>,
    pub text: String,
    /// [`content_key`] of `text`, computed once where the item is read (see [`NewItem::new`]).
    pub content_key: ContentKey,
    /// A JSON object, kept verbatim as the file had it.
    pub meta: Option<String>,
    /// Labels the file already carried (a reference set, e.g. an earlier labelling or a gold standard).
    pub reference_labels: Option<Vec<String>>,
    /// 1-based line in the source where this item starts.
    pub line: u64,
}

impl NewItem {
    /// An item with its content key computed from `text`.
    pub fn new(
        ext_id: Option<String>,
        text: String,
        meta: Option<String>,
        reference_labels: Option<Vec<String>>,
        line: u64,
    ) -> Self {
        let content_key = content_key(&text);
        NewItem { ext_id, text, content_key, meta, reference_labels, line }
    }
}

/// An item as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub id: i64,
    pub ext_id: String,
    pub text: String,
    /// A JSON object, verbatim as imported.
    pub meta: Option<String>,
    pub reference_labels: Option<Vec<String>>,
    pub gold: bool,
    /// The file (or `-`) it was imported from, and the line there.
    pub source: String,
    pub line: i64,
    /// For a gold item: why it has its labels, in the expert's words (shown to whoever misses it).
    pub gold_rationale: Option<String>,
}

/// What is wrong with a text, whatever file format it came in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("the text is empty")]
    Empty,
    #[error("the text is {bytes} bytes, over the limit of {limit} bytes (raise it with --max-text-bytes)")]
    TooLong { bytes: usize, limit: usize },
}

/// Checks a text against the rules every format shares: not blank, and not over `max_bytes`.
pub fn check_text(text: &str, max_bytes: usize) -> Result<(), TextProblem> {
    if text.len() > max_bytes {
        return Err(TextProblem::TooLong { bytes: text.len(), limit: max_bytes });
    }
    if text.trim().is_empty() {
        return Err(TextProblem::Empty);
    }
    Ok(())
}

/// The key that decides whether two texts are duplicates: of the exact bytes, nothing normalised.
pub fn content_key(text: &str) -> ContentKey {
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The id of an item whose file gave none: its content key in hex (the first 16 hex digits of the text's
/// SHA-256), so the same text gets the same id in every project and every re-import.
pub fn derived_item_id(key: ContentKey) -> String {
    format!("{:016x}", key as u64)
}

/// The content key a derived id stands for, if `id` has that form.
pub fn key_of_derived_id(id: &str) -> Option<ContentKey> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    u64::from_str_radix(id, 16).ok().map(|k| k as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_id_is_hex_prefix_of_sha256_and_parses_back() {
        // sha256("abc") = ba7816bf8f01cfea...
        let key = content_key("abc");
        assert_eq!(derived_item_id(key), "ba7816bf8f01cfea");
        assert_eq!(key_of_derived_id("ba7816bf8f01cfea"), Some(key));
        assert_eq!(key_of_derived_id("BA7816BF8F01CFEA"), None);
        assert_eq!(key_of_derived_id("a1"), None);
    }

    #[test]
    fn check_text_rules() {
        assert_eq!(check_text(" \t\n", 10), Err(TextProblem::Empty));
        assert_eq!(check_text("hello", 4), Err(TextProblem::TooLong { bytes: 5, limit: 4 }));
        assert_eq!(check_text("hello", 5), Ok(()));
    }
}
