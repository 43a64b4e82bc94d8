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
