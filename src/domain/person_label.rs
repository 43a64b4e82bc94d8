//! A person's current label on an item: their latest accept, correction or reject that is not undone,
//! with the model's prediction they saw and the item's gold labels. Worked out from the item's decisions;
//! what the people's figures and the running tallies count. Pure.

use std::collections::{BTreeMap, HashSet};

use super::{Decision, DecisionAction};

/// A person's current label for an item (their latest labelling decision that is not undone).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonLabel {
    pub item_id: i64,
    pub annotator: String,
    pub decision_id: i64,
    /// The labels, as one key (sorted and joined for multi-label items).
    pub labels: String,
    /// The model's prediction when they decided, as the same kind of key.
    pub predicted: Option<String>,
    /// The item's gold labels, when it is a gold item.
    pub gold: Option<String>,
    /// When they decided (milliseconds since the epoch).
    pub at_ms: i64,
}

impl PersonLabel {
    /// The labels one by one (the key splits back).
    pub fn label_list(&self) -> Vec<String> {
        if self.labels.is_empty() { Vec::new() } else { self.labels.split(", ").map(String::from).collect() }
    }
}

/// Each person's current label on an item from its decisions (oldest first): their latest accept,
/// correction or reject with labels that is not undone. `machine` is the name the machine's accepts are
/// made under (not a person); `gold`: the item's gold labels, when it is a gold item.
pub fn person_labels_of(decisions: &[Decision], gold: Option<&[String]>, machine: &str) -> Vec<PersonLabel> {
    let undone: HashSet<i64> = decisions.iter().filter_map(|d| d.undoes).collect();
    let mut latest: BTreeMap<&str, &Decision> = BTreeMap::new();
    for d in decisions {
        let labelling = matches!(d.action, DecisionAction::Accept | DecisionAction::Correct | DecisionAction::Reject);
        if labelling && d.annotator != machine && d.labels.is_some() && !undone.contains(&d.id) {
            latest.insert(&d.annotator, d);
        }
    }
    latest
        .into_values()
        .map(|d| PersonLabel {
            item_id: d.item_id,
            annotator: d.annotator.clone(),
            decision_id: d.id,
            labels: label_key(d.labels.as_deref().unwrap_or_default()),
            predicted: d.model.as_ref().map(|m| label_key(&m.predicted)),
            gold: gold.map(label_key),
            at_ms: d.at_ms,
        })
        .collect()
}

/// Labels as one key: sorted and joined (see [`PersonLabel::labels`]).
pub fn label_key(labels: &[String]) -> String {
    let mut sorted = labels.to_vec();
    sorted.sort();
    sorted.join(", ")
}
