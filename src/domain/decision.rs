//! Decisions people (and, when allowed, the machine) make about items, and the outcome they add up to.
//!
//! Decisions are never edited or deleted: an undo is a decision of its own that points at the one it takes
//! back, so the record of what happened stays whole.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAction {
    /// Took the model's prediction.
    Accept,
    /// Chose labels other than the prediction.
    Correct,
    /// Said the prediction is wrong (binary tasks: the other label).
    Reject,
    /// Passed on the item for now.
    Skip,
    /// Sent the item to an expert, with a reason.
    Escalate,
    /// An expert's ruling on an escalated or disputed item.
    Resolve,
    /// The machine accepted a confident prediction, as the project allows.
    MachineAccept,
    /// Took back an earlier decision (`undoes`).
    Undo,
}

impl DecisionAction {
    pub const ALL: [DecisionAction; 8] = [
        DecisionAction::Accept,
        DecisionAction::Correct,
        DecisionAction::Reject,
        DecisionAction::Skip,
        DecisionAction::Escalate,
        DecisionAction::Resolve,
        DecisionAction::MachineAccept,
        DecisionAction::Undo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionAction::Accept => "accept",
            DecisionAction::Correct => "correct",
            DecisionAction::Reject => "reject",
            DecisionAction::Skip => "skip",
            DecisionAction::Escalate => "escalate",
            DecisionAction::Resolve => "resolve",
            DecisionAction::MachineAccept => "machine_accept",
            DecisionAction::Undo => "undo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether this action gives the item labels (and so must carry them).
    pub fn assigns_labels(self) -> bool {
        matches!(
            self,
            DecisionAction::Accept
                | DecisionAction::Correct
                | DecisionAction::Reject
                | DecisionAction::Resolve
                | DecisionAction::MachineAccept
        )
    }
}

/// What the model said about the item when the decision was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSnapshot {
    pub version: i64,
    pub predicted: Vec<String>,
    pub confidence: f64,
}

/// One stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: i64,
    pub item_id: i64,
    pub annotator: String,
    pub action: DecisionAction,
    /// The labels this decision gives the item (for accept: the prediction; for a binary reject: the other
    /// label). `None` for skip, escalate and undo.
    pub labels: Option<Vec<String>>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub time_spent_ms: Option<i64>,
    pub model: Option<ModelSnapshot>,
    pub undoes: Option<i64>,
    pub at_ms: i64,
}

/// Where an item stands once all its decisions are taken into account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// No one has labelled it yet (skips do not count).
    Pending,
    /// An escalation is open: an expert has to rule first.
    Escalated,
    /// People gave different labels and no majority or ruling settles it.
    Disputed,
    /// Settled: by an expert's ruling, or by a strict majority of the people who labelled it.
    Decided { labels: Vec<String> },
}

impl ItemOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            ItemOutcome::Pending => "pending",
            ItemOutcome::Escalated => "escalated",
            ItemOutcome::Disputed => "disputed",
            ItemOutcome::Decided { .. } => "decided",
        }
    }

    pub fn labels(&self) -> Option<&[String]> {
        match self {
            ItemOutcome::Decided { labels } => Some(labels),
            _ => None,
        }
    }
}

/// Works out an item's outcome from its decisions (in the order they were made) and whether it has an
/// open escalation. Undone decisions are ignored; the latest ruling wins; otherwise each annotator's latest
/// labelling decision is one vote and a strict majority decides.
pub fn outcome(decisions: &[Decision], escalation_open: bool) -> ItemOutcome {
    if escalation_open {
        return ItemOutcome::Escalated;
    }
    let undone: HashSet<i64> =
        decisions.iter().filter(|d| d.action == DecisionAction::Undo).filter_map(|d| d.undoes).collect();
    let effective = || decisions.iter().filter(|d| d.action != DecisionAction::Undo && !undone.contains(&d.id));

    if let Some(ruling) = effective().rev().find(|d| d.action == DecisionAction::Resolve) {
        return ItemOutcome::Decided { labels: ruling.labels.clone().unwrap_or_default() };
    }

    let mut latest_vote: BTreeMap<&str, &[String]> = BTreeMap::new();
    for d in effective().filter(|d| d.action.assigns_labels()) {
        latest_vote.insert(d.annotator.as_str(), d.labels.as_deref().unwrap_or(&[]));
    }
    if latest_vote.is_empty() {
        return ItemOutcome::Pending;
    }
    let mut tally: BTreeMap<&[String], usize> = BTreeMap::new();
    for labels in latest_vote.values() {
        *tally.entry(labels).or_default() += 1;
    }
    let (labels, votes) =
        tally.into_iter().max_by_key(|(_, votes)| *votes).expect("tally has at least one entry when there are votes");
    if votes * 2 > latest_vote.len() { ItemOutcome::Decided { labels: labels.to_vec() } } else { ItemOutcome::Disputed }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn decision(id: i64, who: &str, action: DecisionAction, labels: Option<&[&str]>) -> Decision {
        Decision {
            id,
            item_id: 1,
            annotator: who.into(),
            action,
            labels: labels.map(|l| l.iter().map(|s| s.to_string()).collect()),
            reason: None,
            note: None,
            time_spent_ms: None,
            model: None,
            undoes: None,
            at_ms: id,
        }
    }

    fn undo(id: i64, who: &str, of: i64) -> Decision {
        Decision { undoes: Some(of), ..decision(id, who, DecisionAction::Undo, None) }
    }

    fn decided(labels: &[&str]) -> ItemOutcome {
        ItemOutcome::Decided { labels: labels.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn nothing_or_only_skips_is_pending() {
        assert_eq!(outcome(&[], false), ItemOutcome::Pending);
        let skips = [decision(1, "ann", DecisionAction::Skip, None)];
        assert_eq!(outcome(&skips, false), ItemOutcome::Pending);
    }

    #[test]
    fn one_annotator_decides_and_latest_counts() {
        let d = [
            decision(1, "ann", DecisionAction::Accept, Some(&["spam"])),
            decision(2, "ann", DecisionAction::Correct, Some(&["ham"])),
        ];
        assert_eq!(outcome(&d, false), decided(&["ham"]));
    }

    #[test]
    fn undo_takes_a_decision_back() {
        let d = [decision(1, "ann", DecisionAction::Accept, Some(&["spam"])), undo(2, "ann", 1)];
        assert_eq!(outcome(&d, false), ItemOutcome::Pending);
        let d = [
            decision(1, "ann", DecisionAction::Accept, Some(&["spam"])),
            decision(2, "ann", DecisionAction::Correct, Some(&["ham"])),
            undo(3, "ann", 2),
        ];
        assert_eq!(outcome(&d, false), decided(&["spam"]));
    }

    #[test]
    fn disagreement_without_majority_is_disputed_and_majority_decides() {
        let two = [
            decision(1, "ann", DecisionAction::Accept, Some(&["spam"])),
            decision(2, "bob", DecisionAction::Correct, Some(&["ham"])),
        ];
        assert_eq!(outcome(&two, false), ItemOutcome::Disputed);
        let mut three = two.to_vec();
        three.push(decision(3, "cy", DecisionAction::Correct, Some(&["ham"])));
        assert_eq!(outcome(&three, false), decided(&["ham"]));
    }

    #[test]
    fn ruling_beats_votes_and_open_escalation_beats_all() {
        let d = [
            decision(1, "ann", DecisionAction::Accept, Some(&["spam"])),
            decision(2, "bob", DecisionAction::Correct, Some(&["ham"])),
            decision(3, "expert", DecisionAction::Resolve, Some(&["spam"])),
        ];
        assert_eq!(outcome(&d, false), decided(&["spam"]));
        assert_eq!(outcome(&d, true), ItemOutcome::Escalated);
    }

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in DecisionAction::ALL {
            assert_eq!(DecisionAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
    }
}
