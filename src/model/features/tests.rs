use super::*;

fn featurizer(bits: u32) -> Featurizer {
    Featurizer::new(FeaturizerSpec::new(bits)).unwrap()
}

#[test]
fn fnv1a_matches_the_reference_values() {
    assert_eq!(fnv(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
}

#[test]
fn matches_the_python_reference_implementation() {
    // Computed with the Python recipe in the README (scripts/margin_onnx.py), 10 bits.
    let mut v = featurizer(10).featurize("Hi hi, Zoë!");
    v.sort();
    assert_eq!(v.idx, vec![107, 113, 317, 443, 539, 585, 625, 761, 823, 875, 919, 961, 1017]);
    let expected = [
        0.221041, 0.374255, 0.221041, 0.221041, 0.221041, 0.221041, 0.221041, 0.221041, 0.374255, 0.374255, 0.221041,
        0.374255, 0.221041,
    ];
    assert_eq!(v.val.len(), expected.len());
    for (got, want) in v.val.iter().zip(expected) {
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
}

#[test]
fn vectors_are_unit_length_sorted_and_unique() {
    let mut v = featurizer(18).featurize("The quick brown fox jumps over the lazy dog. The end, 2026!");
    let norm: f32 = v.val.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-5);
    let mut unique = v.idx.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), v.nnz());
    v.sort();
    assert!(v.idx.windows(2).all(|w| w[0] < w[1]));
    assert!(v.idx.iter().all(|&i| i < 1 << 18));
}

#[test]
fn text_without_words_is_the_zero_vector() {
    assert_eq!(featurizer(18).featurize("  ... !!! ").nnz(), 0);
    assert_eq!(featurizer(18).featurize("").nnz(), 0);
}

#[test]
fn case_and_punctuation_do_not_matter_but_words_do() {
    let f = featurizer(18);
    assert_eq!(f.featurize("Hello, World"), f.featurize("hello world!"));
    assert_ne!(f.featurize("hello world"), f.featurize("world hello"));
}

#[test]
fn traced_features_point_back_at_their_words() {
    let f = featurizer(18);
    let text = "Café au lait";
    let (words, vector, origins) = f.featurize_traced(text);
    assert_eq!(words.iter().map(|w| &text[w.start..w.end]).collect::<Vec<_>>(), ["Café", "au", "lait"]);
    let mut plain = f.featurize(text);
    plain.sort();
    assert_eq!(vector, plain);
    // Per word: 1 unigram, 1 bigram (but the last), and the padded word's 3- to 5-grams.
    let grams = |chars: usize| (3..=5).map(|n| (chars + 2).saturating_sub(n - 1)).sum::<usize>();
    assert_eq!(origins.len(), 3 + 2 + grams(4) + grams(2) + grams(4));
    assert!(origins.iter().any(|o| o.first == 0 && o.second == Some(1)));
}

#[test]
fn dot_of_a_vector_with_itself_is_one() {
    let mut v = featurizer(18).featurize("a short text about margins");
    v.sort();
    assert!((v.dot(&v) - 1.0).abs() < 1e-5);
    assert_eq!(v.dot(&SparseVector::default()), 0.0);
}

#[test]
fn unknown_specs_are_refused() {
    let mut spec = FeaturizerSpec::new(18);
    spec.hash = "md5".into();
    assert!(Featurizer::new(spec).is_err());
    assert!(Featurizer::new(FeaturizerSpec::new(40)).is_err());
}

#[test]
fn reused_scratch_gives_the_same_vectors_as_fresh_ones() {
    let f = featurizer(12);
    let texts = ["naïve café ΣΊΣΥΦΟΣ", "plain ascii words words words", "", "x", "mixed Straße and ascii"];
    let mut scratch = Scratch::default();
    for text in texts.iter().chain(texts.iter()) {
        let mut reused = SparseVector::default();
        f.featurize_into(text, &mut scratch, &mut reused);
        assert_eq!(reused, f.featurize(text), "{text}");
    }
}

#[test]
fn non_ascii_words_are_lowercased_as_whole_words() {
    let (words, _, _) = featurizer(18).featurize_traced("ΟΔΟΣ odos");
    assert_eq!(words[0].lower, "οδος", "a final capital sigma lowercases to ς, as Python's str.lower() does");
    assert_eq!(words[1].lower, "odos");
}

#[test]
fn long_texts_with_many_distinct_features_are_counted_right() {
    let f = featurizer(18);
    let text: String = (0..5000).map(|i| format!("w{i} ")).collect();
    let v = f.featurize(&text);
    let norm: f64 = v.val.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    assert!(v.nnz() > 10_000, "{}", v.nnz());
}
