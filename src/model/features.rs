//! The featurizer: text to a sparse, L2-normalised vector of hashed word unigrams and bigrams and
//! character n-grams inside word boundaries.
//!
//! The exact recipe is part of every exported model (its metadata carries [`FeaturizerSpec`]) and is
//! written out in the README so other tools can score with margin's models:
//!
//! 1. Words are the maximal runs of Unicode letters and digits (`char::is_alphanumeric`); each is
//!    lowercased (`str::to_lowercase`).
//! 2. Features are UTF-8 strings: `w:` + word for each word; `b:` + word + space + next word for each
//!    adjacent pair; and for each word padded with one space on both sides, `c:` + every run of 3 to 5
//!    characters.
//! 3. Each feature's bucket is its 64-bit FNV-1a hash, masked to the low `bits` bits.
//! 4. A bucket's value is `1 + ln(count)` over the features that fell into it; the vector is then
//!    divided by its L2 norm.

use serde::{Deserialize, Serialize};

/// The parameters of the featurizer, stored in every model so the model describes itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturizerSpec {
    /// Bumped when the recipe changes.
    pub version: u32,
    /// log2 of the number of buckets.
    pub bits: u32,
    pub word_ngrams: [u32; 2],
    pub char_ngrams: [u32; 2],
    pub hash: String,
    pub tf: String,
    pub norm: String,
}

impl FeaturizerSpec {
    pub fn new(bits: u32) -> Self {
        FeaturizerSpec {
            version: 1,
            bits,
            word_ngrams: [1, 2],
            char_ngrams: [3, 5],
            hash: "fnv1a64".into(),
            tf: "1+ln".into(),
            norm: "l2".into(),
        }
    }

    pub fn buckets(&self) -> usize {
        1usize << self.bits
    }
}

pub use crate::domain::vector::SparseVector;

/// Many sparse vectors in one set of buffers (compressed sparse rows): what a batch of texts becomes on
/// its way to ONNX Runtime, without an allocation per text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    /// Row `r` is `idx[offsets[r]..offsets[r + 1]]`; starts with 0.
    pub offsets: Vec<usize>,
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl SparseRows {
    pub fn new() -> Self {
        SparseRows { offsets: vec![0], idx: Vec::new(), val: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Featurizes `text` as the next row.
    pub fn push_text(&mut self, featurizer: &Featurizer, text: &str, scratch: &mut Scratch) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        featurizer.append(text, scratch, &mut self.idx, &mut self.val);
        self.offsets.push(self.idx.len());
    }

    pub fn push(&mut self, row: &SparseVector) {
        self.push_row((&row.idx, &row.val));
    }

    /// Appends a row given as its indices and values (as [`SparseRows::row`] gives them).
    pub fn push_row(&mut self, (idx, val): (&[u32], &[f32])) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.idx.extend_from_slice(idx);
        self.val.extend_from_slice(val);
        self.offsets.push(self.idx.len());
    }

    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (from, to) = (self.offsets[r], self.offsets[r + 1]);
        (&self.idx[from..to], &self.val[from..to])
    }

    /// The most entries any row has.
    pub fn widest(&self) -> usize {
        self.offsets.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }
}

/// A word of the original text: its byte range there, and its lowercased form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub lower: String,
}

/// Which words a feature came from: one word, or (bigrams) two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub bucket: u32,
    pub first: usize,
    pub second: Option<usize>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = fnv_byte(hash, b);
    }
    hash
}

#[inline(always)]
fn fnv_byte(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// `1 + ln(count)` for small counts, looked up instead of computed.
const TF_TABLE_LEN: usize = 64;

/// Turns texts into feature vectors according to a [`FeaturizerSpec`].
#[derive(Debug, Clone)]
pub struct Featurizer {
    spec: FeaturizerSpec,
    mask: u64,
    tf: [f32; TF_TABLE_LEN],
}

/// Reusable buffers, so featurizing many texts allocates almost nothing per text.
#[derive(Debug, Default)]
pub struct Scratch {
    /// All words of the text, lowercased and concatenated.
    lower: String,
    /// Each word's byte range in `lower`.
    spans: Vec<(usize, usize)>,
    /// Open-addressing table from bucket to its position in `used` (`u32::MAX`: empty).
    slots: Vec<u32>,
    /// Distinct buckets in first-seen order, with their counts and table slots.
    used: Vec<(u32, u32, u32)>,
    /// For words with non-ASCII letters: the padded word and its character ends.
    padded: Vec<u8>,
    char_ends: Vec<usize>,
}

const EMPTY: u32 = u32::MAX;

impl Featurizer {
    /// A featurizer for `spec`; refuses specs this margin does not implement.
    pub fn new(spec: FeaturizerSpec) -> Result<Self, String> {
        let ours = FeaturizerSpec::new(spec.bits);
        if spec != ours || !(8..=26).contains(&spec.bits) {
            return Err(format!(
                "featurizer {} is not one this margin implements ({}, with bits from 8 to 26)",
                serde_json::to_string(&spec).unwrap_or_default(),
                serde_json::to_string(&ours).unwrap_or_default()
            ));
        }
        let mut tf = [0.0f32; TF_TABLE_LEN];
        for (count, v) in tf.iter_mut().enumerate().skip(1) {
            *v = 1.0 + (count as f32).ln();
        }
        Ok(Featurizer { mask: (1u64 << spec.bits) - 1, spec, tf })
    }

    pub fn spec(&self) -> &FeaturizerSpec {
        &self.spec
    }

    /// The feature vector of `text`.
    pub fn featurize(&self, text: &str) -> SparseVector {
        let mut out = SparseVector::default();
        self.featurize_into(text, &mut Scratch::default(), &mut out);
        out
    }

    /// The feature vector of `text` into `out`, reusing `scratch`.
    pub fn featurize_into(&self, text: &str, scratch: &mut Scratch, out: &mut SparseVector) {
        out.idx.clear();
        out.val.clear();
        self.append(text, scratch, &mut out.idx, &mut out.val);
    }

    /// Appends the feature vector of `text` to `idx` and `val` (as one more row of a batch).
    pub fn append(&self, text: &str, scratch: &mut Scratch, idx: &mut Vec<u32>, val: &mut Vec<f32>) {
        let Scratch { lower, spans, slots, used, padded, char_ends } = scratch;
        split_words(text, lower, spans);
        // Room for every distinct bucket at most half full: never more than the features, nor the buckets.
        let features = 6 * lower.len() + 2 * spans.len() + 8;
        let wanted = (2 * features.min(1 << self.spec.bits)).next_power_of_two().max(1024);
        if slots.len() < wanted {
            slots.clear();
            slots.resize(wanted, EMPTY);
        }
        // Only the first `wanted` slots are used, so a short text stays in a small, cache-warm table even
        // after a long one grew it.
        let table_mask = wanted - 1;
        used.clear();
        self.emit(lower, spans, padded, char_ends, |bucket, _, _| {
            let mut slot = bucket as usize & table_mask;
            loop {
                let at = slots[slot];
                if at == EMPTY {
                    slots[slot] = used.len() as u32;
                    used.push((bucket, 1, slot as u32));
                    return;
                }
                if used[at as usize].0 == bucket {
                    used[at as usize].1 += 1;
                    return;
                }
                slot = (slot + 1) & table_mask;
            }
        });
        let first = val.len();
        idx.reserve(used.len());
        val.reserve(used.len());
        for &(bucket, count, slot) in used.iter() {
            idx.push(bucket);
            val.push(self.tf.get(count as usize).copied().unwrap_or_else(|| 1.0 + (count as f32).ln()));
            // Empty the table for the next text: only the slots this text used.
            slots[slot as usize] = EMPTY;
        }
        // The norm is summed in f64 (long texts have tens of thousands of features), in four independent
        // sums so the additions need not wait for each other.
        let mut sums = [0.0f64; 4];
        let chunks = val[first..].chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            for (s, &v) in sums.iter_mut().zip(c) {
                *s += f64::from(v) * f64::from(v);
            }
        }
        let norm = sums.iter().sum::<f64>() + rest.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
        if norm > 0.0 {
            let inverse = 1.0 / norm.sqrt();
            for v in &mut val[first..] {
                *v = (f64::from(*v) * inverse) as f32;
            }
        }
    }

    /// The words of `text`, its vector (sorted), and the origin of every feature (for explanations).
    pub fn featurize_traced(&self, text: &str) -> (Vec<Word>, SparseVector, Vec<Origin>) {
        let words = words(text);
        let (mut lower, mut spans) = (String::new(), Vec::new());
        for word in &words {
            let from = lower.len();
            lower.push_str(&word.lower);
            spans.push((from, lower.len()));
        }
        let mut origins = Vec::new();
        self.emit(&lower, &spans, &mut Vec::new(), &mut Vec::new(), |bucket, first, second| {
            origins.push(Origin { bucket, first, second })
        });
        let mut vector = self.featurize(text);
        vector.sort();
        (words, vector, origins)
    }

    /// Calls `emit(bucket, word, second word of a bigram)` for every feature of the words `spans` of
    /// `lower`.
    fn emit(
        &self,
        lower: &str,
        spans: &[(usize, usize)],
        padded: &mut Vec<u8>,
        char_ends: &mut Vec<usize>,
        mut emit: impl FnMut(u32, usize, Option<usize>),
    ) {
        let mask = self.mask;
        let word_prefix = fnv(FNV_OFFSET, b"w:");
        let bigram_prefix = fnv(FNV_OFFSET, b"b:");
        let char_prefix = fnv(FNV_OFFSET, b"c:");
        let bytes = lower.as_bytes();
        for (i, &(from, to)) in spans.iter().enumerate() {
            let word = &bytes[from..to];
            emit((fnv(word_prefix, word) & mask) as u32, i, None);
            if let Some(&(next_from, next_to)) = spans.get(i + 1) {
                let h = fnv(fnv_byte(fnv(bigram_prefix, word), b' '), &bytes[next_from..next_to]);
                emit((h & mask) as u32, i, Some(i + 1));
            }
            // Character n-grams of " word ": from each start, extend one character at a time and emit
            // every length from 3 to 5; FNV-1a is incremental, so each step costs one character.
            if word.is_ascii() {
                let len = word.len() + 2;
                let at = |p: usize| if p == 0 || p == len - 1 { b' ' } else { word[p - 1] };
                for start in 0..len.saturating_sub(2) {
                    let mut h = fnv_byte(fnv_byte(char_prefix, at(start)), at(start + 1));
                    for p in start + 2..(start + 5).min(len) {
                        h = fnv_byte(h, at(p));
                        emit((h & mask) as u32, i, None);
                    }
                }
            } else {
                padded.clear();
                padded.push(b' ');
                padded.extend_from_slice(word);
                padded.push(b' ');
                char_ends.clear();
                char_ends.extend((1..=padded.len()).filter(|&e| e == padded.len() || !is_continuation(padded[e])));
                let mut start = 0;
                for (s, &first_end) in char_ends.iter().enumerate() {
                    let mut h = char_prefix;
                    let mut from = start;
                    for (n, &end) in char_ends[s..].iter().take(5).enumerate() {
                        h = fnv(h, &padded[from..end]);
                        from = end;
                        if n >= 2 {
                            emit((h & mask) as u32, i, None);
                        }
                    }
                    start = first_end;
                }
            }
        }
    }
}

/// The words of `text` as the featurizer sees them: runs of letters and digits, with their byte ranges
/// and lowercased forms.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_alphanumeric() && at < text.len(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                words.push(Word { start: s, end: at, lower: lowercase(&text[s..at]) });
                start = None;
            }
            _ => {}
        }
    }
    words
}

#[inline]
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Finds the words of `text` (runs of letters and digits), lowercased into `lower`, with their ranges
/// there in `spans`.
fn split_words(text: &str, lower: &mut String, spans: &mut Vec<(usize, usize)>) {
    lower.clear();
    spans.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fast path: ASCII words.
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if i < bytes.len() && !bytes[i].is_ascii() {
                    // The word goes on with a non-ASCII character: take the slow path for all of it.
                    i = slow_word(text, start, lower, spans);
                    continue;
                }
                let from = lower.len();
                lower.extend(bytes[start..i].iter().map(|b| b.to_ascii_lowercase() as char));
                spans.push((from, lower.len()));
            } else {
                i += 1;
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        if c.is_alphanumeric() {
            i = slow_word(text, i, lower, spans);
        } else {
            i += c.len_utf8();
        }
    }
}

/// Reads the word starting at `start` character by character; returns where it ends.
fn slow_word(text: &str, start: usize, lower: &mut String, spans: &mut Vec<(usize, usize)>) -> usize {
    let end = text[start..].char_indices().find(|(_, c)| !c.is_alphanumeric()).map_or(text.len(), |(at, _)| start + at);
    let from = lower.len();
    lower.push_str(&lowercase(&text[start..end]));
    spans.push((from, lower.len()));
    end
}

fn lowercase(word: &str) -> String {
    if word.is_ascii() { word.to_ascii_lowercase() } else { word.to_lowercase() }
}

#[cfg(test)]
mod tests;
