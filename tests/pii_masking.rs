//! Measures PII masking on the labelled test set (tests/data/pii/labelled.jsonl, made by
//! scripts/make-pii-testset): span-level precision and recall per type, each at least 0.98, on at least 200
//! positive and 200 negative examples per type. Also checks custom patterns from config and one masked text.

mod common;

use std::collections::BTreeMap;

use common::tally::{Tally, print_table};

use margin::domain::pii::{Masker, PiiKind};

const TYPES: [&str; 6] = ["email", "phone", "card", "iban", "ipv4", "ipv6"];

struct Example {
    kind: String,
    text: String,
    pii: Vec<String>,
}

fn labelled_examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pii/labelled.jsonl");
    let data = std::fs::read_to_string(path).expect("read the labelled PII test set");
    data.lines()
        .enumerate()
        .map(|(i, line)| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
            let text = |v: &serde_json::Value| {
                v.as_str().unwrap_or_else(|| panic!("{path}:{}: not a string", i + 1)).to_string()
            };
            Example {
                kind: text(&value["type"]),
                text: text(&value["text"]),
                pii: value["pii"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{path}:{}: no pii list", i + 1))
                    .iter()
                    .map(text)
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn masking_meets_precision_and_recall_on_the_labelled_set() {
    let masker = Masker::new(&[]).unwrap();
    let mut tallies: BTreeMap<&str, Tally> = TYPES.iter().map(|t| (*t, Tally::default())).collect();
    let mut mistakes = Vec::new();
    for example in labelled_examples() {
        let kind = TYPES.iter().copied().find(|t| *t == example.kind).expect("a known type");
        let found: Vec<(String, String)> = masker
            .find(&example.text)
            .into_iter()
            .map(|span| (span.kind.name().to_string(), example.text[span.start..span.end].to_string()))
            .collect();
        assert_eq!(
            masker.is_clean(&example.text),
            found.is_empty(),
            "is_clean disagrees with find on {:?}",
            example.text
        );
        if example.pii.is_empty() {
            tallies.get_mut(kind).unwrap().negatives += 1;
        } else {
            tallies.get_mut(kind).unwrap().positives += 1;
        }
        let mut expected = example.pii.clone();
        for (found_kind, found_text) in &found {
            if let Some(i) = expected.iter().position(|e| found_kind == kind && e == found_text) {
                expected.remove(i);
                tallies.get_mut(kind).unwrap().true_positives += 1;
            } else {
                // In a negative any find counts against the example's type; in a positive, against its own kind.
                let blamed = if example.pii.is_empty() { kind } else { found_kind.as_str() };
                let blamed = TYPES.iter().copied().find(|t| *t == blamed).unwrap_or(kind);
                tallies.get_mut(blamed).unwrap().false_positives += 1;
                mistakes.push(format!("FP {blamed}: {found_text:?} ({found_kind}) in {:?}", example.text));
            }
        }
        for missed in expected {
            tallies.get_mut(kind).unwrap().false_negatives += 1;
            mistakes.push(format!("FN {kind}: {missed:?} in {:?}", example.text));
        }
    }
    println!();
    print_table(&tallies);
    for mistake in &mistakes {
        println!("{mistake}");
    }
    for (kind, t) in &tallies {
        assert!(
            t.positives >= 200 && t.negatives >= 200,
            "{kind}: {} positives, {} negatives",
            t.positives,
            t.negatives
        );
        assert!(t.precision() >= 0.98, "{kind}: precision {:.3}", t.precision());
        assert!(t.recall() >= 0.98, "{kind}: recall {:.3}", t.recall());
    }
}

#[test]
fn custom_patterns_from_config_mask_with_their_name() {
    let masker = Masker::new(&[("employee".to_string(), r"EMP-\d{6}".to_string())]).unwrap();
    assert_eq!(masker.mask("Badge EMP-004211 was used."), "Badge <employee> was used.");
    assert_eq!(masker.find("EMP-004211")[0].kind, PiiKind::Custom("employee".to_string()));
    assert_eq!(PiiKind::Custom("employee".to_string()).placeholder(), "<employee>");
}

#[test]
fn a_bad_custom_regex_is_an_error_naming_the_pattern() {
    let err = Masker::new(&[("ticket".to_string(), r"TCK-(\d+".to_string())]).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("\"ticket\"") && message.contains("unclosed group"), "{message}");
}

#[test]
fn a_mixed_text_masks_exactly() {
    let masker = Masker::new(&[]).unwrap();
    let text = "Ticket from jane.doe@example.com (+44 20 7946 0958): card 4111 1111 1111 1111 declined, refund to \
                DE89 3704 0044 0532 0130 00; seen from 203.0.113.7 and [2001:db8::1]:443 on 2024-03-15 with v2.3.1.";
    assert_eq!(
        masker.mask(text),
        "Ticket from <email> (<phone>): card <card> declined, refund to <iban>; seen from <ipv4> and [<ipv6>]:443 \
         on 2024-03-15 with v2.3.1."
    );
    assert!(!masker.is_clean(text));
    assert!(masker.is_clean("Released v2.3.1 on 2024-03-15 at 14:30 for $1,234.56"));
}
