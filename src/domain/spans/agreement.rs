//! Agreement between two people's spans on the same texts: span F1, exact (same start, end and label) or
//! overlapping (same label, sharing at least one character; each span matched at most once), per label
//! and over all labels. F1 between two people is symmetric: 2 x matched / (their spans together). Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Span;

/// How two people's spans compare: matched pairs and each side's spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SpanCounts {
    pub matched: u64,
    pub first: u64,
    pub second: u64,
}

impl SpanCounts {
    /// F1: `None` when neither marked a span.
    pub fn f1(&self) -> Option<f64> {
        let all = self.first + self.second;
        (all > 0).then(|| 2.0 * self.matched as f64 / all as f64)
    }

    fn add(&mut self, other: SpanCounts) {
        self.matched += other.matched;
        self.first += other.first;
        self.second += other.second;
    }
}

/// Span agreement over a set of texts, per label and overall.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SpanAgreement {
    pub overall: SpanCounts,
    pub per_label: BTreeMap<String, SpanCounts>,
}

impl SpanAgreement {
    /// Adds one text: `first` and `second` are the two people's spans on it; `overlap` counts spans that
    /// share characters as matched, else only exact ones.
    pub fn add(&mut self, first: &[Span], second: &[Span], overlap: bool) {
        let mut labels: Vec<&str> = first.iter().chain(second).map(|s| s.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels {
            let a: Vec<&Span> = first.iter().filter(|s| s.label == label).collect();
            let b: Vec<&Span> = second.iter().filter(|s| s.label == label).collect();
            let counts =
                SpanCounts { matched: matched(&a, &b, overlap), first: a.len() as u64, second: b.len() as u64 };
            self.per_label.entry(label.to_string()).or_default().add(counts);
            self.overall.add(counts);
        }
    }
}

/// Span agreement over every pair of people on each text: `texts` holds, per text, each person's spans.
pub fn between_people(texts: &[Vec<Vec<Span>>], overlap: bool) -> SpanAgreement {
    let mut agreement = SpanAgreement::default();
    for people in texts {
        for (i, first) in people.iter().enumerate() {
            for second in &people[i + 1..] {
                agreement.add(first, second, overlap);
            }
        }
    }
    agreement
}

/// How many of `a` pair with one of `b`, each used once: exactly, or (with `overlap`) by sharing characters,
/// the pairs taken in order of start so nested or chained spans pair up as far as they can.
fn matched(a: &[&Span], b: &[&Span], overlap: bool) -> u64 {
    let mut used = vec![false; b.len()];
    let mut n = 0;
    let mut order: Vec<&&Span> = a.iter().collect();
    order.sort_by_key(|s| (s.start, s.end));
    for s in order {
        let hit = b.iter().enumerate().filter(|(i, _)| !used[*i]).find(|(_, t)| {
            if overlap { s.start < t.end && t.start < s.end } else { s.start == t.start && s.end == t.end }
        });
        if let Some((i, _)) = hit {
            used[i] = true;
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, label: &str) -> Span {
        Span { start, end, label: label.into() }
    }

    #[test]
    fn exact_and_overlapping_span_f1_per_label() {
        let ann = [span(0, 13, "PER"), span(22, 27, "LOC"), span(30, 40, "ORG")];
        let bob = [span(7, 13, "PER"), span(22, 27, "LOC"), span(30, 40, "LOC")];
        let mut exact = SpanAgreement::default();
        exact.add(&ann, &bob, false);
        assert_eq!(exact.overall, SpanCounts { matched: 1, first: 3, second: 3 });
        assert_eq!(exact.per_label["PER"].f1(), Some(0.0), "Merkel is not Angela Merkel");
        assert_eq!(exact.per_label["LOC"], SpanCounts { matched: 1, first: 1, second: 2 });
        let mut loose = SpanAgreement::default();
        loose.add(&ann, &bob, true);
        assert_eq!(loose.overall.matched, 2, "the PER spans overlap; ORG against LOC never matches");
        assert!((loose.overall.f1().unwrap() - 4.0 / 6.0).abs() < 1e-12);
        // One long span against two short ones inside it: one pair only.
        let mut nested = SpanAgreement::default();
        nested.add(&[span(0, 20, "ORG")], &[span(0, 5, "ORG"), span(10, 20, "ORG")], true);
        assert_eq!(nested.overall, SpanCounts { matched: 1, first: 1, second: 2 });
        assert_eq!(SpanCounts::default().f1(), None, "nobody marked anything");
    }
}
