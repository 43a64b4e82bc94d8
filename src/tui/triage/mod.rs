//! `margin triage`'s screen: the expert's queue, one case at a time, with everything needed to rule on it
//! (the text, every human decision with its reason, the model's prediction, a suggested label for a likely
//! label error, the matching guideline section). Resolve with a label and a rationale, send an escalation
//! back, add the case to the guidelines, mark it gold, reveal masked data. Pure state and `update` here
//! and in `update.rs`, drawing in `view.rs`; a worker the CLI wires carries out the effects.

mod update;
mod view;

use super::Screen;
use super::keymap::{Key, Keymap};
use super::widgets::{LabelView, Message};

pub use update::update;

/// One case as the screen shows it (texts already masked where the project masks them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriageCard {
    pub item_id: i64,
    pub ext_id: String,
    pub text: String,
    /// Pieces of personal data masked in `text`.
    pub masked: usize,
    pub revealed: bool,
    /// Why it is here: "escalated", "disagreement", "confident override", "likely label error".
    pub why: Vec<String>,
    /// Is there an open escalation (it can be sent back)?
    pub escalated: bool,
    /// One line per human decision (and the escalation), oldest first.
    pub history: Vec<String>,
    /// "spam 81%" from the current model.
    pub prediction: Option<String>,
    /// Why the model says so: the words for and against, and what it would say without the strongest.
    pub explanation: Option<String>,
    /// For a likely label error: "spam (81%; the label has 12%)".
    pub suggestion: Option<String>,
    /// For a gold accuracy alert: whose label and their gold checks (`GoldAlert::describe`).
    pub gold_alert: Option<String>,
    /// The guideline section for the label in question, and its heading.
    pub guideline: Option<(String, String)>,
}

/// Settings of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageConfig {
    pub project: String,
    pub expert: String,
    pub labels: Vec<LabelView>,
    pub can_reveal: bool,
    pub color: bool,
}

/// What a label is being chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Resolve,
    Example,
    Gold,
}

impl Purpose {
    fn verb(self) -> &'static str {
        match self {
            Purpose::Resolve => "resolve as",
            Purpose::Example => "add as an example of",
            Purpose::Gold => "make gold as",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TriageMode {
    Loading,
    Browse,
    ChooseLabel(Purpose),
    /// Typing why (empty is allowed for a ruling, not for a guideline example).
    Rationale {
        purpose: Purpose,
        label: usize,
        text: String,
    },
    /// Typing a note for the annotators when sending back.
    SendBackNote(String),
    /// Every key of the screen, over the case.
    Help,
    /// The statistics dashboard's page `page`, over the case.
    Dashboard {
        page: usize,
    },
}

/// The workers' answers and the terminal's events.
#[derive(Debug, Clone, PartialEq)]
pub enum TriageMsg {
    Key(Key),
    Resize(u16, u16),
    Tick(i64),
    Loaded(Vec<TriageCard>),
    LoadFailed(String),
    /// An expert's move is saved; `leaves`: the case is settled and leaves the queue.
    Done {
        item_id: i64,
        said: String,
        leaves: bool,
    },
    Failed {
        item_id: i64,
        error: String,
    },
    Revealed {
        item_id: i64,
        text: String,
    },
    RevealFailed(String),
    Explained {
        item_id: i64,
        text: String,
    },
    /// The dashboard's figures, or why they could not be read.
    Dashboard(Result<Box<crate::domain::dashboard::Dashboard>, String>),
    Terminate,
}

/// What the screen asks the worker to do.
#[derive(Debug, Clone, PartialEq)]
pub enum TriageEffect {
    Load,
    Resolve {
        item_id: i64,
        label: String,
        rationale: String,
    },
    SendBack {
        item_id: i64,
        note: String,
    },
    AddExample {
        item_id: i64,
        label: String,
        rationale: String,
    },
    MarkGold {
        item_id: i64,
        label: String,
        /// Why it has that label (may be empty), shown to whoever misses the check.
        rationale: String,
    },
    Reveal {
        item_id: i64,
    },
    /// Explain these cases with the current model (the one on screen first).
    Explain(Vec<i64>),
    /// Read the statistics dashboard's figures.
    LoadDashboard,
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TriageApp {
    pub config: TriageConfig,
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub now_ms: i64,
    pub cases: Vec<TriageCard>,
    pub position: usize,
    pub mode: TriageMode,
    pub message: Option<Message>,
    /// A move in flight for this item: no other until it is saved.
    pub busy: Option<i64>,
    /// Cases settled this session.
    pub settled: usize,
    /// The dashboard's figures once read (`None`: being read, or not asked for yet).
    pub dashboard: Option<Result<Box<crate::domain::dashboard::Dashboard>, String>>,
    pub quitting: bool,
}

impl TriageApp {
    pub fn new(config: TriageConfig, keymap: Keymap) -> TriageApp {
        TriageApp {
            config,
            keymap,
            size: (80, 24),
            now_ms: 0,
            cases: Vec::new(),
            position: 0,
            mode: TriageMode::Loading,
            message: None,
            busy: None,
            settled: 0,
            dashboard: None,
            quitting: false,
        }
    }

    pub fn card(&self) -> Option<&TriageCard> {
        self.cases.get(self.position)
    }
}

impl Screen for TriageApp {
    type Msg = TriageMsg;
    type Effect = TriageEffect;

    fn start(&mut self, size: (u16, u16), now_ms: i64) -> Vec<TriageEffect> {
        self.size = size;
        self.now_ms = now_ms;
        vec![TriageEffect::Load]
    }

    fn update(&mut self, msg: TriageMsg) -> Vec<TriageEffect> {
        update(self, msg)
    }

    fn render(&self, frame: &mut ratatui::Frame) {
        view::render(self, frame);
    }

    fn quitting(&self) -> bool {
        self.quitting
    }

    crate::tui::terminal_messages!(TriageMsg);
}
