//! Everything the screen's loop receives (`Msg`), everything `update` asks the workers to do (`Effect`),
//! and the plain data that travels between them. No I/O here: workers fill these in from the store and
//! the model.

use crate::domain::DecisionAction;
use crate::domain::people::{BeyondChance, GoldOverTime, PersonStats};
use crate::tui::keymap::Key;

/// The project's agreement beyond chance (Krippendorff's alpha and Fleiss' kappa, overall and per label, all
/// time, this week and the week before) and this person's gold checks over the same times.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    pub agreement: BeyondChance,
    pub gold: Option<GoldOverTime>,
}

/// One item to decide, as the screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub item_id: i64,
    /// The `served` row that reserved it for this person (an undo reserves it again with it).
    pub served_id: i64,
    pub ext_id: String,
    pub text: String,
    /// Metadata as key and value, flattened from the imported JSON object.
    pub meta: Vec<(String, String)>,
    pub why: String,
    pub score: f32,
    /// The machine could have accepted it; a person checks.
    pub audit: bool,
    /// A gold item's right labels (never shown before the decision; they measure accuracy).
    pub gold: Option<Vec<String>>,
    /// Why the gold item has those labels, in the expert's words (shown with them after a miss).
    pub gold_rationale: Option<String>,
    pub prediction: Option<CardPrediction>,
    /// How many pieces of personal data `text` has masked (`<email>`, ...).
    pub masked: usize,
    /// `text` is the original, revealed by an expert.
    pub revealed: bool,
}

/// The current model's view of a card.
#[derive(Debug, Clone, PartialEq)]
pub struct CardPrediction {
    pub model_version: i64,
    /// One per label, in the project's label order.
    pub probabilities: Vec<f32>,
}

/// Why the model says what it says about one card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Explanation {
    pub item_id: i64,
    /// Byte range in the text and the contribution toward (+) or against (-) the predicted label.
    pub words: Vec<(usize, usize, f32)>,
    /// "without "foo", "bar" it would say tech (61%)".
    pub counterfactual: Option<String>,
    pub similar: Vec<SimilarItem>,
}

/// A labelled item close to the one on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarItem {
    pub ext_id: String,
    pub labels: Vec<String>,
    pub text: String,
    pub similarity: f32,
}

/// What the model is doing, as far as the screen needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelActivity {
    #[default]
    Idle,
    /// A retrain (training, then scoring the pool) runs in the background.
    Retraining,
}

/// The current model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelInfo {
    pub version: Option<i64>,
    pub cv_accuracy: Option<f64>,
    pub activity: ModelActivity,
    /// The model guesses from the label descriptions alone (no labels yet; not calibrated).
    pub zero_shot: bool,
}

/// A batch the store served.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchLoaded {
    pub cards: Vec<Card>,
    pub batch_id: i64,
    pub resumed: bool,
    pub cold_start: bool,
    /// How many items the batch served in all (a resumed batch shows fewer cards: some were decided).
    pub size: usize,
    /// Items this person has left, this batch's included (`app::serve::left_for`).
    pub left: u64,
    /// Items the machine accepted while routing, and items held for experts.
    pub machine_accepted: u64,
    pub for_experts: usize,
}

/// What a retrain changed, for the batch summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrainOutcome {
    /// The batch whose end started it.
    pub after_batch: i64,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub version: i64,
    /// Undecided items whose predicted label changed with the new model.
    pub changed_predictions: u64,
}

/// A decision as the screen makes it; the worker records it and answers `Recorded` or `RecordFailed`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRequest {
    pub item_id: i64,
    pub action: DecisionAction,
    pub labels: Option<Vec<String>>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub time_spent_ms: i64,
    /// The prediction on screen when the decision was made.
    pub model: Option<(i64, Vec<String>, f64)>,
    pub undoes: Option<i64>,
}

/// Anything the loop receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(Key),
    Resize(u16, u16),
    /// The clock, in milliseconds since the epoch (sent on every turn of the loop).
    Tick(i64),
    Batch(BatchLoaded),
    BatchFailed(String),
    /// What this person has left to label, counted again after a decision or an undo.
    Left(u64),
    /// The decision for `item_id` is committed, with this id.
    Recorded {
        item_id: i64,
        decision_id: i64,
    },
    RecordFailed {
        item_id: i64,
        error: String,
    },
    /// The undo of `undone` is committed and the item is reserved again.
    Undone {
        undone: i64,
        card: Box<Card>,
    },
    UndoFailed(String),
    /// The original text of a masked item; the reveal is in the audit trail.
    Revealed {
        item_id: i64,
        text: String,
    },
    RevealFailed(String),
    Explained(Box<Explanation>),
    /// The model thread cannot explain anything (no ONNX Runtime, a model that does not load), and why.
    NoExplanations(String),
    /// This person's record over the whole project (`None`: nothing labelled yet), or why it is missing.
    AllTime(Result<Option<Box<PersonStats>>, String>),
    /// The project's agreement beyond chance and this person's gold checks, over time (sent with `AllTime`).
    Quality(Box<Quality>),
    /// The dashboard's figures, or why they could not be read.
    Dashboard(Result<Box<crate::domain::dashboard::Dashboard>, String>),
    Model(ModelInfo),
    /// New predictions for some items (they just got their sentence vectors): cards on the screen show them.
    Predictions(Vec<(i64, CardPrediction)>),
    /// How many of the project's items have a sentence vector, and of how many (the embedding thread's
    /// progress).
    Vectors {
        done: u64,
        items: u64,
    },
    Retrained(RetrainOutcome),
    /// Batch `after_batch` is done but no retrain follows it, and why ("12 of 20 decisions since ...").
    NotRetrained {
        after_batch: i64,
        why: String,
    },
    /// SIGTERM or SIGHUP: finish up and leave.
    Terminate,
}

/// I/O that `update` asks for; workers carry it out and answer with a `Msg`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    NextBatch,
    Record(DecisionRequest),
    /// Record an undo of `decision_id` and reserve the card again.
    Undo {
        decision_id: i64,
        card: Box<Card>,
    },
    /// Batch `batch_id` is decided: retrain in the background if it is due.
    BatchDone {
        batch_id: i64,
    },
    /// Read this person's record over the whole project, for the statistics.
    LoadAllTime,
    /// Read the dashboard's figures, for the statistics' further pages.
    LoadDashboard,
    /// Explain these cards (the current one first), for the model in use. The worker reads their texts:
    /// the model sees the original, the screen only the masked one.
    Explain(Vec<i64>),
    /// Show the original text of this masked item (recorded in the audit trail first).
    Reveal {
        item_id: i64,
    },
    /// Give back the reserved items and end.
    Quit,
}
