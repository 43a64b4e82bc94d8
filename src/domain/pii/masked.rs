//! A masked text that remembers where its placeholders are, so ranges found in the original text (the
//! words an explanation colours) can be moved onto the masked one.

use super::{Masker, PiiSpan};

/// A text with its PII replaced by placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    /// What was masked, as byte ranges of the original text.
    pub spans: Vec<PiiSpan>,
}

impl Masker {
    /// Masks `text` and keeps the spans, for [`Masked::map_range`].
    pub fn mask_mapped(&self, text: &str) -> Masked {
        let spans = self.find(text);
        let mut masked = String::with_capacity(text.len());
        let mut copied = 0;
        for span in &spans {
            masked.push_str(&text[copied..span.start]);
            masked.push_str(&span.kind.placeholder());
            copied = span.end;
        }
        masked.push_str(&text[copied..]);
        Masked { text: masked, spans }
    }
}

impl Masked {
    /// The byte range `start..end` of the original text in the masked text; `None` when it touches masked
    /// data (the range would point into a placeholder, or tell what was hidden).
    pub fn map_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let mut shift: isize = 0;
        for span in &self.spans {
            if span.start >= end {
                break;
            }
            if span.end > start {
                return None;
            }
            shift += span.kind.placeholder().len() as isize - (span.end - span.start) as isize;
        }
        Some(((start as isize + shift) as usize, (end as isize + shift) as usize))
    }

    /// The placeholder standing for the masked data that `start..end` of the original text touches.
    pub fn placeholder_at(&self, start: usize, end: usize) -> Option<String> {
        self.spans.iter().find(|s| s.start < end && s.end > start).map(|s| s.kind.placeholder())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_move_past_placeholders_and_masked_ones_are_dropped() {
        let masker = Masker::new(&[]).unwrap();
        let text = "mail jo@example.com or call +44 20 7946 0958 today";
        let masked = masker.mask_mapped(text);
        assert_eq!(masked.text, "mail <email> or call <phone> today");
        let range_of = |word: &str| {
            let start = text.find(word).unwrap();
            (start, start + word.len())
        };
        for word in ["mail", "or", "call", "today"] {
            let (start, end) = range_of(word);
            let (s, e) = masked.map_range(start, end).unwrap();
            assert_eq!(&masked.text[s..e], word);
        }
        let (start, end) = range_of("example");
        assert_eq!(masked.map_range(start, end), None);
        assert_eq!(masked.placeholder_at(start, end).as_deref(), Some("<email>"));
        assert_eq!(masked.placeholder_at(0, 4), None);
    }

    #[test]
    fn a_clean_text_maps_to_itself() {
        let masked = Masker::new(&[]).unwrap().mask_mapped("nothing here");
        assert_eq!(masked.text, "nothing here");
        assert_eq!(masked.map_range(8, 12), Some((8, 12)));
    }
}
