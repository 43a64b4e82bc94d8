//! Span precision and recall of a detector, counted per type, and the table the PII tests print.

/// What one type's detector got right and wrong over a set of examples.
#[derive(Default)]
pub struct Tally {
    pub positives: usize,
    pub negatives: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_positives).max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.true_positives as f64 / (self.true_positives + self.false_negatives).max(1) as f64
    }
}

/// Prints one markdown row per type (as BENCHMARKS.md shows them), under its header.
pub fn print_table<'a, K: std::fmt::Display + 'a>(tallies: impl IntoIterator<Item = (K, &'a Tally)>) {
    println!("| type | positives | negatives | TP | FP | FN | precision | recall |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (kind, t) in tallies {
        println!(
            "| {kind} | {} | {} | {} | {} | {} | {:.3} | {:.3} |",
            t.positives,
            t.negatives,
            t.true_positives,
            t.false_positives,
            t.false_negatives,
            t.precision(),
            t.recall()
        );
    }
}
