//! What a model said about an item, and an item seen together with everything about it.

use super::uncertainty::Uncertainty;
use super::{Decision, ItemOutcome, StoredItem};

/// One item's scores from one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub item_id: i64,
    /// In the project's label order.
    pub probabilities: Vec<f32>,
    pub uncertainty: Uncertainty,
    pub vote_entropy: Option<f32>,
    pub kl_divergence: Option<f32>,
}

/// One item with its decisions, outcome and (if any) the current model's prediction.
#[derive(Debug)]
pub struct ItemView<'a> {
    pub item: &'a StoredItem,
    pub decisions: &'a [Decision],
    pub outcome: &'a ItemOutcome,
    pub prediction: Option<&'a Prediction>,
}

/// What a model predicts, by the one rule margin uses everywhere (screen, queue, CLI, export, triage): for a
/// single-label task the top label, with its probability as the confidence; for a multi-label task every
/// label at or above one half (possibly none), with the confidence of the least sure of all the yes/no calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicted {
    /// Label indices, in the project's order.
    pub labels: Vec<usize>,
    pub confidence: f32,
}

/// The prediction `probabilities` make (see [`Predicted`]); `None` when there are none.
pub fn predicted(probabilities: &[f32], multi_label: bool) -> Option<Predicted> {
    if probabilities.is_empty() {
        return None;
    }
    if multi_label {
        let labels = (0..probabilities.len()).filter(|&k| probabilities[k] >= 0.5).collect();
        let confidence = probabilities.iter().map(|q| q.max(1.0 - q)).fold(1.0, f32::min);
        Some(Predicted { labels, confidence })
    } else {
        let (k, q) = top_label(probabilities)?;
        Some(Predicted { labels: vec![k], confidence: q })
    }
}

/// The most probable label and its probability (the last of equals, in total order).
pub fn top_label(probabilities: &[f32]) -> Option<(usize, f32)> {
    probabilities.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_label_is_the_top_one() {
        assert_eq!(predicted(&[0.2, 0.5, 0.3], false), Some(Predicted { labels: vec![1], confidence: 0.5 }));
        assert_eq!(top_label(&[0.4, 0.4, 0.2]), Some((1, 0.4)), "the last of equals");
        assert_eq!(predicted(&[], false), None);
    }

    #[test]
    fn multi_label_is_every_label_at_half_or_above_with_the_least_sure_call() {
        let p = predicted(&[0.9, 0.5, 0.45, 0.05], true).unwrap();
        assert_eq!(p.labels, vec![0, 1]);
        assert_eq!(p.confidence, 0.5);
        let none = predicted(&[0.1, 0.2], true).unwrap();
        assert!(none.labels.is_empty());
        assert!((none.confidence - 0.8).abs() < 1e-6);
    }
}
