//! The span model: a token classifier over BIO tags (see `domain::spans::bio`), the linear model of
//! [`super::linear`] trained with [`super::train`] on hashed features of each token and its neighbours
//! (the word, its shape, prefixes and suffixes, case, and the words around it), decoded with constrained
//! Viterbi so that every span it proposes is well formed. A span's confidence is the lowest probability
//! of its tokens' tags. Exported as the text classifier's linear ONNX graph whose outputs are the tags
//! (their names are the card's labels), and scored through ONNX Runtime by [`SpanScorer`].

use super::ModelError;
use super::card::{LINEAR_FORMAT, ModelCard, Training};
use super::combined::EncoderRef;
use super::encoder::SharedEncoder;
use super::export::linear_to_onnx;
use super::features::{FeaturizerSpec, SparseVector};
use super::linear::LinearModel;
use super::onnx::proto::ModelProto;
use super::runtime::Runtime;
use super::scorer::Scorer;
use super::train::{Targets, TrainSettings, train};
use crate::domain::TaskKind;
use crate::domain::spans::bio::{spans_of, tag_count, tag_names, tags_of, viterbi};
use crate::domain::spans::{Span, Token, tokens, words};

/// Feature buckets: 2^18, plenty for the few hundred thousand token features of a labelling project.
pub const SPAN_BITS: u32 = 18;

/// A trained span model.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanModel {
    pub labels: Vec<String>,
    pub bits: u32,
    /// The dimensions of the sentence encoder's word vectors it takes beside the hashed features (0: none);
    /// they sit in the buckets after the hashed ones.
    pub dims: usize,
    pub linear: LinearModel,
}

/// A span the model proposes, with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedSpan {
    pub span: Span,
    pub confidence: f32,
}

/// The span model's training settings: weak regularisation (C = 100) and 30 epochs, chosen on CoNLL-2003's
/// development set (see BENCHMARKS.md); the classes unbalanced (see [`train_spans`]).
pub fn span_settings() -> TrainSettings {
    TrainSettings { c: 100.0, epochs: 30, seed: 7, balanced: false }
}

/// Trains on `(text, spans)` examples (spans on token edges, not overlapping) for `labels`.
pub fn train_spans(examples: &[(String, Vec<Span>)], labels: &[String], settings: &TrainSettings) -> SpanModel {
    train_spans_with(examples, None, labels, settings)
}

/// As [`train_spans`], with each example's word vectors (one per token, from the sentence encoder) beside
/// the hashed features.
pub fn train_spans_with(
    examples: &[(String, Vec<Span>)],
    vectors: Option<&[Vec<Vec<f32>>]>,
    labels: &[String],
    settings: &TrainSettings,
) -> SpanModel {
    let dims = vectors.and_then(|v| v.iter().flatten().next()).map_or(0, Vec::len);
    let mut rows: Vec<SparseVector> = Vec::new();
    let mut targets: Vec<usize> = Vec::new();
    for (e, (text, spans)) in examples.iter().enumerate() {
        let toks = tokens(text);
        let words = words(text, &toks);
        for (i, tag) in tags_of(&toks, spans, labels).into_iter().enumerate() {
            let dense = vectors.and_then(|v| v.get(e)).and_then(|v| v.get(i));
            rows.push(with_dense(token_vector(&words, i, SPAN_BITS), dense, SPAN_BITS));
            targets.push(tag.index());
        }
    }
    let subset: Vec<usize> = (0..rows.len()).collect();
    let classes = tag_count(labels.len());
    // Unbalanced: the tags' probabilities keep their shares (O is most tokens), which Viterbi needs.
    let settings = TrainSettings { balanced: false, ..*settings };
    let buckets = (1 << SPAN_BITS) + dims;
    let linear = train(&rows, &Targets::Single(targets), &subset, classes, buckets, &settings);
    SpanModel { labels: labels.to_vec(), bits: SPAN_BITS, dims, linear }
}

/// A token's hashed features with its word vector (if any) in the buckets after the hashed ones.
fn with_dense(mut row: SparseVector, dense: Option<&Vec<f32>>, bits: u32) -> SparseVector {
    for (d, &x) in dense.into_iter().flatten().enumerate() {
        row.idx.push((1u32 << bits) + d as u32);
        row.val.push(x);
    }
    row
}

impl SpanModel {
    /// The spans the model finds in `text`, in order.
    pub fn predict(&self, text: &str) -> Vec<ProposedSpan> {
        self.predict_with(text, None)
    }

    /// As [`SpanModel::predict`], with the text's word vectors (one per token) for a model that takes them.
    pub fn predict_with(&self, text: &str, vectors: Option<&[Vec<f32>]>) -> Vec<ProposedSpan> {
        let toks = tokens(text);
        let words = words(text, &toks);
        let probabilities: Vec<Vec<f32>> = (0..toks.len())
            .map(|i| {
                let row = with_dense(token_vector(&words, i, self.bits), vectors.and_then(|v| v.get(i)), self.bits);
                self.linear.probabilities(&row)
            })
            .collect();
        decode(&toks, &probabilities, &self.labels)
    }
}

/// Spans from each token's tag probabilities (in the order of
/// [`Tag::index`](crate::domain::spans::bio::Tag::index)): the best well-formed tags, each span's confidence
/// the lowest probability among its tokens' chosen tags.
pub fn decode(toks: &[Token], probabilities: &[Vec<f32>], labels: &[String]) -> Vec<ProposedSpan> {
    let scores: Vec<Vec<f64>> =
        probabilities.iter().map(|p| p.iter().map(|&x| f64::from(x.max(1e-12)).ln()).collect()).collect();
    let tags = viterbi(&scores);
    spans_of(toks, &tags, labels)
        .into_iter()
        .map(|span| {
            let confidence = toks
                .iter()
                .zip(&tags)
                .zip(probabilities)
                .filter(|((t, _), _)| t.start >= span.start && t.end <= span.end)
                .map(|((_, tag), p)| p.get(tag.index()).copied().unwrap_or(0.0))
                .fold(1.0f32, f32::min);
            ProposedSpan { span, confidence }
        })
        .collect()
}

pub use super::card::SPAN_SOURCE;

impl SpanModel {
    /// The model as an ONNX file's contents: the linear graph, one output per tag.
    /// A model trained with word vectors names their `encoder` on its card (`margin.encoder`), so it is
    /// scored only with that encoder.
    pub fn to_onnx(&self, settings: &TrainSettings, trained_at: &str, encoder: Option<EncoderRef>) -> ModelProto {
        let card = ModelCard {
            format: LINEAR_FORMAT.to_string(),
            labels: tag_names(&self.labels),
            task: TaskKind::Spans,
            featurizer: FeaturizerSpec::new(self.bits),
            training: Training {
                source: SPAN_SOURCE.to_string(),
                examples: 0,
                c: settings.c,
                epochs: settings.epochs,
                seed: settings.seed,
                committee_member: None,
            },
            metrics: None,
            temperature: 1.0,
            margin_version: env!("CARGO_PKG_VERSION").to_string(),
            trained_at: trained_at.to_string(),
            encoder,
        };
        linear_to_onnx(&self.linear, &card)
    }
}

/// A span model loaded into ONNX Runtime, with the sentence encoder its card names (if any) for the
/// word vectors.
#[derive(Debug)]
pub struct SpanScorer {
    scorer: Scorer,
    labels: Vec<String>,
    bits: u32,
}

impl SpanScorer {
    /// Loads the span model at `path` for the project's `labels` (its outputs must be their tags). A model
    /// trained with word vectors needs the same `encoder`.
    pub fn load(
        runtime: &Runtime,
        path: &std::path::Path,
        labels: &[String],
        threads: usize,
        encoder: Option<&SharedEncoder>,
    ) -> Result<Self, ModelError> {
        let scorer = Scorer::load(runtime, path, &tag_names(labels), threads, encoder)?;
        if scorer.card().training.source != SPAN_SOURCE {
            return Err(ModelError::Invalid(format!("{}: a text classifier, not a span model", path.display())));
        }
        let bits = scorer.card().featurizer.bits;
        Ok(SpanScorer { scorer, labels: labels.to_vec(), bits })
    }

    /// Each token's tag probabilities (in [`Tag::index`](crate::domain::spans::bio::Tag::index) order).
    pub fn token_probabilities(&mut self, text: &str) -> Result<(Vec<Token>, Vec<Vec<f32>>), ModelError> {
        let toks = tokens(text);
        if toks.is_empty() {
            return Ok((toks, Vec::new()));
        }
        let words = words(text, &toks);
        let vectors = match self.scorer.encoder() {
            Some(encoder) => {
                let ranges: Vec<(usize, usize)> = toks.iter().map(|t| (t.start, t.end)).collect();
                Some(encoder.lock().unwrap_or_else(|p| p.into_inner()).word_vectors(text, &ranges)?)
            }
            None => None,
        };
        let rows: Vec<SparseVector> = (0..toks.len())
            .map(|i| {
                let dense = vectors.as_ref().and_then(|v| v.get(i));
                with_dense(token_vector(&words, i, self.bits), dense, self.bits)
            })
            .collect();
        let probabilities = self.scorer.score(&rows, None)?;
        Ok((toks, probabilities))
    }

    /// The spans, as [`SpanModel::predict`] finds them.
    pub fn predict(&mut self, text: &str) -> Result<Vec<ProposedSpan>, ModelError> {
        let (toks, probabilities) = self.token_probabilities(text)?;
        Ok(decode(&toks, &probabilities, &self.labels))
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }
}

/// The hashed features of token `i` among `words`, each weighted 1 / sqrt(count) so the vector has unit
/// length.
pub fn token_vector(words: &[&str], i: usize, bits: u32) -> SparseVector {
    let mut idx: Vec<u32> = token_features(words, i).iter().map(|f| bucket(f, bits)).collect();
    idx.sort_unstable();
    idx.dedup();
    let value = 1.0 / (idx.len() as f32).sqrt();
    SparseVector { val: vec![value; idx.len()], idx }
}

/// The named features of token `i`: its word (lower-cased), shape, prefixes and suffixes of 2 and 3, case
/// and digits, and the words and shapes of the two tokens either side (or the text's edges).
pub fn token_features(words: &[&str], i: usize) -> Vec<String> {
    let word = words[i];
    let lower = word.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let end = |n: usize| chars[chars.len().saturating_sub(n)..].iter().collect::<String>();
    let start = |n: usize| chars[..n.min(chars.len())].iter().collect::<String>();
    let mut f = vec![
        "bias".to_string(),
        format!("w={lower}"),
        format!("shape={}", shape(word)),
        format!("suf3={}", end(3)),
        format!("suf2={}", end(2)),
        format!("pre2={}", start(2)),
        format!("pre3={}", start(3)),
    ];
    let first = word.chars().next();
    if first.is_some_and(char::is_uppercase) {
        f.push("title".into());
    }
    if word.chars().all(char::is_uppercase) {
        f.push("upper".into());
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        f.push("digits".into());
    }
    for offset in [-2i64, -1, 1, 2] {
        let at = i as i64 + offset;
        match usize::try_from(at).ok().and_then(|j| words.get(j)) {
            Some(w) => {
                f.push(format!("{offset}:w={}", w.to_lowercase()));
                f.push(format!("{offset}:shape={}", shape(w)));
                if offset.abs() == 1 {
                    f.push(format!("{offset}:w={}|w={lower}", w.to_lowercase()));
                }
            }
            None => f.push(format!("{offset}:edge")),
        }
    }
    f
}

/// A word's shape: capitals X, small letters x, digits d, other characters kept, runs of the same class
/// cut to two ("Merkel" is Xxx, "1996-08-22" is dd-dd-dd).
fn shape(word: &str) -> String {
    let mut out = String::new();
    let mut run = (' ', 0);
    for c in word.chars() {
        let class = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        run = if run.0 == class { (class, run.1 + 1) } else { (class, 1) };
        if run.1 <= 2 {
            out.push(class);
        }
    }
    out
}

/// FNV-1a of the feature's name, folded to `bits` bits.
fn bucket(feature: &str, bits: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in feature.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ((h ^ (h >> 32)) as u32) & ((1u32 << bits) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_features_say_what_the_word_looks_like() {
        assert_eq!(shape("Merkel"), "Xxx");
        assert_eq!(shape("1996-08-22"), "dd-dd-dd");
        assert_eq!(shape("U.S."), "X.X.");
        let f = token_features(&["in", "Paris", "."], 1);
        for wanted in ["w=paris", "title", "-1:w=in", "1:w=.", "2:edge", "-2:edge", "-1:w=in|w=paris"] {
            assert!(f.iter().any(|x| x == wanted), "{wanted} in {f:?}");
        }
        let v = token_vector(&["in", "Paris", "."], 1, 10);
        assert!(v.idx.windows(2).all(|w| w[0] < w[1]) && v.idx.iter().all(|&i| i < 1024));
    }

    #[test]
    fn a_model_trained_on_a_few_sentences_finds_the_spans_it_was_shown_and_new_ones_like_them() {
        let labels = vec!["PER".to_string(), "LOC".to_string()];
        let span = |text: &str, word: &str, label: &str| {
            let start = text.find(word).unwrap();
            Span { start, end: start + word.len(), label: label.into() }
        };
        let mut examples = Vec::new();
        for (who, place) in [("Anna", "Paris"), ("Boris", "Berlin"), ("Clara", "Madrid"), ("David", "Rome")] {
            for pattern in ["{p} flew to {l} today .", "Yesterday {p} visited {l} .", "{p} lives in {l} ."] {
                let text = pattern.replace("{p}", who).replace("{l}", place);
                let spans = vec![span(&text, who, "PER"), span(&text, place, "LOC")];
                examples.push((text, spans));
            }
        }
        let model = train_spans(&examples, &labels, &span_settings());
        let found = model.predict("Yesterday Elena visited Lisbon .");
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (&"Yesterday Elena visited Lisbon ."[p.span.start..p.span.end], p.span.label.as_str()))
            .collect();
        assert_eq!(got, [("Elena", "PER"), ("Lisbon", "LOC")]);
        assert!(found.iter().all(|p| p.confidence > 0.0 && p.confidence <= 1.0));
        assert_eq!(model.predict("nothing here at all"), [], "no capitalised word, no span");
    }

    #[test]
    fn word_vectors_beside_the_features_carry_what_the_words_alone_cannot() {
        let labels = vec!["PER".to_string(), "LOC".to_string()];
        // Same context for people and places: only the word vector tells them apart.
        let vector = |label: Option<&str>| match label {
            Some("PER") => vec![1.0, 0.0],
            Some(_) => vec![0.0, 1.0],
            None => vec![0.0, 0.0],
        };
        let (mut examples, mut vectors) = (Vec::new(), Vec::new());
        for (word, label) in
            [("Ann", "PER"), ("Bob", "PER"), ("Cy", "PER"), ("Rome", "LOC"), ("Oslo", "LOC"), ("Lima", "LOC")]
        {
            for _ in 0..3 {
                let text = format!("we saw {word} there .");
                vectors.push(tokens(&text).iter().map(|t| vector((t.start == 7).then_some(label))).collect::<Vec<_>>());
                examples.push((text, vec![Span { start: 7, end: 7 + word.len(), label: label.into() }]));
            }
        }
        let model = train_spans_with(&examples, Some(&vectors), &labels, &span_settings());
        assert_eq!(model.dims, 2);
        let text = "we saw Zed there .";
        let with = |label| -> Vec<String> {
            let v: Vec<Vec<f32>> = tokens(text).iter().map(|t| vector((t.start == 7).then_some(label))).collect();
            model.predict_with(text, Some(&v)).into_iter().map(|p| p.span.label).collect()
        };
        assert_eq!(with("PER"), ["PER"]);
        assert_eq!(with("LOC"), ["LOC"]);
    }
}
