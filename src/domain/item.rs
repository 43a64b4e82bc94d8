//! Items: the texts people label, as they arrive from an import, and how they are identified.

use sha2::{Digest, Sha256};

/// SHA-256 of an item's text: two items with the same hash are the same text and the second is skipped.
pub type ContentHash = [u8; 32];

/// One item read from an import file, checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    /// The id the file gave, if any; otherwise one is derived from the text (see [`derived_item_id`]).
    pub ext_id: Option<String>,
    pub text: String,
    /// A JSON object, kept verbatim as the file had it.
    pub meta: Option<String>,
    /// Labels the file already carried (a reference set, e.g. an earlier labelling or a gold standard).
    pub reference_labels: Option<Vec<String>>,
    /// 1-based line in the source where this item starts.
    pub line: u64,
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

/// The hash that decides whether two texts are duplicates: exact bytes, nothing normalised.
pub fn content_hash(text: &str) -> ContentHash {
    Sha256::digest(text.as_bytes()).into()
}

/// The id given to an item whose file had none: the first 8 bytes of its content hash in hex, so the same
/// text gets the same id in every project and every re-import.
pub fn derived_item_id(hash: &ContentHash) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(16);
    for byte in &hash[..8] {
        id.push(HEX[usize::from(byte >> 4)] as char);
        id.push(HEX[usize::from(byte & 0xf)] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_id_is_hex_prefix_of_sha256() {
        // sha256("abc") = ba7816bf8f01cfea...
        assert_eq!(derived_item_id(&content_hash("abc")), "ba7816bf8f01cfea");
    }

    #[test]
    fn check_text_rules() {
        assert_eq!(check_text(" \t\n", 10), Err(TextProblem::Empty));
        assert_eq!(check_text("hello", 4), Err(TextProblem::TooLong { bytes: 5, limit: 4 }));
        assert_eq!(check_text("hello", 5), Ok(()));
    }
}
