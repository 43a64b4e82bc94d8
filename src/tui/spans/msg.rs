//! Everything the span screen's loop receives (`Msg`), everything its `update` asks the worker to do
//! (`Effect`), and the plain data between them. No I/O here.

use crate::domain::DecisionAction;
use crate::domain::spans::{Proposed, Span, Token};
use crate::tui::keymap::Key;

/// Who proposed a card's spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposer {
    /// Nothing: no model and no pattern matched.
    Nobody,
    /// The project's patterns file.
    Patterns,
    /// The spans the item was imported with (pre-annotations to correct; never a gold item's).
    Imported,
    /// The span model of this version.
    Model { version: i64 },
}

/// One item to label, as the span screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanCard {
    pub item_id: i64,
    /// The `served` row that reserved it for this person (an undo reserves it again with it).
    pub served_id: i64,
    pub ext_id: String,
    /// The text as shown: personal data, where masked, is a run of `▒` as long as what it hides, so every
    /// offset is the stored text's.
    pub text: String,
    pub tokens: Vec<Token>,
    /// What the model or the patterns propose, in span order.
    pub proposed: Vec<Proposed>,
    pub proposer: Proposer,
    /// Why the queue chose it.
    pub why: String,
    /// Pieces of personal data masked in `text`.
    pub masked: usize,
}

/// A decision about one card for the worker to check and record.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanDecision {
    pub item_id: i64,
    pub served_id: i64,
    pub action: DecisionAction,
    /// The spans given (accept and correct); `None` for skip and escalate.
    pub spans: Option<Vec<Span>>,
    /// What was proposed, and by whom: recorded with the decision.
    pub proposed: Vec<Proposed>,
    pub proposer: Proposer,
    pub reason: Option<String>,
    pub time_spent_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(Key),
    Resize(u16, u16),
    Tick(i64),
    Terminate,
    /// The next batch; empty: nothing is left for this person.
    Batch {
        cards: Vec<SpanCard>,
        left: u64,
    },
    /// The decision about `item_id` is durable; `left`: what is left for this person now.
    Recorded {
        item_id: i64,
        decision_id: i64,
        left: Option<u64>,
    },
    /// The decision about `item_id` was taken back; the card comes back to be labelled again.
    Undone {
        item_id: i64,
        left: Option<u64>,
    },
    /// Something the worker could not do, in words for the person.
    Failed(String),
    /// The next batch could not be served (in words for the person); asking again is allowed.
    ServeFailed(String),
    /// Something the person should know (the patterns file is bad, ...).
    Notice(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Serve the next batch, leaving out the items the screen still holds (`in_hand`): asked for while
    /// the last few cards of a batch are still to do, so the next one is there when they are.
    Serve {
        in_hand: Vec<i64>,
    },
    Record(SpanDecision),
    /// Take back the decision `decision_id` about `item_id` and reserve the item again.
    Undo {
        item_id: i64,
        decision_id: i64,
        served_id: i64,
    },
    /// Give back what is reserved and stop.
    Quit,
}
