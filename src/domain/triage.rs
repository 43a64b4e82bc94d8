//! What an expert's triage queue holds and why: escalations, disagreements between people, people
//! overriding a confident prediction, and likely label errors found by confident learning (Northcutt et
//! al., 2021): the model trained without an item (out of fold) gives its human label a probability below
//! what items with that label usually get, and another label one at or above what items with that label
//! usually get.

use std::fmt;

/// Why an item is in triage; an item can be there for several reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseKind {
    /// Someone escalated it, with a reason.
    Escalated,
    /// People gave it different labels and no majority settles it.
    Disagreement,
    /// A person overrode a prediction made with confidence at or above the override threshold.
    ConfidentOverride,
    /// Its human label looks wrong to the model that never saw it.
    LikelyLabelError,
    /// It was labelled by someone whose gold accuracy fell below `quality.gold_alert`, at or after the
    /// start of the gold items that showed it: an expert looks again (nothing is dropped).
    GoldAlert,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Escalated => "escalated",
            CaseKind::Disagreement => "disagreement",
            CaseKind::ConfidentOverride => "confident override",
            CaseKind::LikelyLabelError => "likely label error",
            CaseKind::GoldAlert => "gold accuracy alert",
        }
    }
}

impl fmt::Display for CaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a person's gold checks first show accuracy below `threshold` over `window` consecutive gold
/// answers (`(when, right)`, oldest first; `when` any key that grows with time, such as a decision id):
/// the `when` of the first answer of that window, from which their labels are flagged for review. `None`
/// while they have fewer answers or never fall below.
/// Also gives how many of that window's answers were right.
pub fn gold_alert_since(answers: &[(i64, bool)], window: usize, threshold: f64) -> Option<(i64, usize)> {
    if window == 0 || answers.len() < window {
        return None;
    }
    answers.windows(window).find_map(|w| {
        let right = w.iter().filter(|(_, ok)| *ok).count();
        ((right as f64) < threshold * window as f64).then_some((w[0].0, right))
    })
}

/// Why a label is under a gold accuracy alert: whose it is, and how many of the gold checks that raised
/// the alert they got right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldAlert {
    pub annotator: String,
    pub right: usize,
    pub of: usize,
}

impl GoldAlert {
    /// "ann got 4 of 10 gold checks right; their labels from the first of those on are under review".
    pub fn describe(&self) -> String {
        format!(
            "{} got {} of {} gold checks right; their labels from the first of those on are under review",
            self.annotator, self.right, self.of
        )
    }
}

/// A labelled item whose label looks wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelIssue {
    /// Index into the examples given.
    pub index: usize,
    /// The label the model that never saw it prefers.
    pub suggested: usize,
    /// The probability it gave the human label, and the suggested one.
    pub given_probability: f32,
    pub suggested_probability: f32,
}

/// Confident learning over single-label examples `(human label, out-of-fold probabilities)`: each label's
/// threshold is the mean probability items with that label get for it; an item is a likely error when its
/// label's probability is below that label's threshold and another label reaches its own threshold (the
/// most probable such label is suggested). Worst first: by how far the given label falls short.
pub fn likely_label_errors(examples: &[(usize, &[f32])], classes: usize) -> Vec<LabelIssue> {
    let mut sums = vec![0.0f64; classes];
    let mut counts = vec![0usize; classes];
    for (label, probs) in examples {
        if let Some(p) = probs.get(*label) {
            sums[*label] += f64::from(*p);
            counts[*label] += 1;
        }
    }
    // A label with no examples has no threshold: it is never suggested.
    let thresholds: Vec<Option<f32>> =
        (0..classes).map(|j| (counts[j] > 0).then(|| (sums[j] / counts[j] as f64) as f32)).collect();
    let mut issues: Vec<LabelIssue> = examples
        .iter()
        .enumerate()
        .filter_map(|(index, (label, probs))| {
            let given = *probs.get(*label)?;
            if given >= thresholds[*label]? {
                return None;
            }
            let (suggested, p) = (0..classes.min(probs.len()))
                .filter(|&j| j != *label && thresholds[j].is_some_and(|t| probs[j] >= t))
                .map(|j| (j, probs[j]))
                .max_by(|a, b| a.1.total_cmp(&b.1))?;
            Some(LabelIssue { index, suggested, given_probability: given, suggested_probability: p })
        })
        .collect();
    issues.sort_by(|a, b| a.given_probability.total_cmp(&b.given_probability).then(a.index.cmp(&b.index)));
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_the_model_confidently_disagrees_with_is_flagged() {
        let sure_a: &[f32] = &[0.9, 0.1];
        let sure_b: &[f32] = &[0.1, 0.9];
        let unsure: &[f32] = &[0.55, 0.45];
        let examples = vec![(0, sure_a), (0, sure_a), (1, sure_b), (1, sure_b), (1, sure_a), (0, unsure)];
        let issues = likely_label_errors(&examples, 2);
        // Labelled b, but looks like every a: flagged, a suggested. The unsure a stays (b's 0.45 is below
        // b's threshold).
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!((issues[0].index, issues[0].suggested), (4, 0));
        assert!((issues[0].given_probability - 0.1).abs() < 1e-6);
    }

    #[test]
    fn agreeing_labels_and_unknown_labels_are_left_alone() {
        let p: &[f32] = &[0.2, 0.8];
        assert!(likely_label_errors(&[(1, p), (1, p)], 2).is_empty());
        assert!(likely_label_errors(&[], 3).is_empty());
        // Only one label ever used: nothing else has a threshold to reach.
        let q: &[f32] = &[0.1, 0.9];
        assert!(likely_label_errors(&[(0, p), (0, q)], 2).is_empty());
        // A label index past the probabilities is ignored, not a panic.
        assert!(likely_label_errors(&[(5, p)], 2).is_empty());
    }

    #[test]
    fn worst_first() {
        let a: &[f32] = &[0.9, 0.1];
        let b: &[f32] = &[0.1, 0.9];
        let wrong_b1: &[f32] = &[0.91, 0.09];
        let wrong_b2: &[f32] = &[0.95, 0.05];
        let examples = vec![(0, a), (0, a), (1, b), (1, b), (1, wrong_b1), (1, wrong_b2)];
        let order: Vec<usize> = likely_label_errors(&examples, 2).iter().map(|i| i.index).collect();
        assert_eq!(order, [5, 4]);
    }
}

#[cfg(test)]
mod gold_alert_tests {
    use super::gold_alert_since;

    #[test]
    fn the_alert_starts_at_the_first_window_below_the_threshold() {
        let answers: Vec<(i64, bool)> = [true, true, true, false, false, true, false]
            .iter()
            .enumerate()
            .map(|(i, &ok)| (i as i64 * 10, ok))
            .collect();
        assert_eq!(gold_alert_since(&answers, 4, 0.7), Some((10, 2)), "answers 2-5: 2 of 4 right");
        assert_eq!(gold_alert_since(&answers, 4, 0.5), Some((30, 1)), "answers 4-7: 1 of 4 right");
        assert_eq!(gold_alert_since(&answers, 8, 0.7), None, "too few answers for the window");
        assert_eq!(gold_alert_since(&answers[..3], 3, 0.7), None, "all right");
    }
}
