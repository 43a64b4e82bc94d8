//! The screen's whole state: what is on screen, what the person has done this session, and what is in
//! flight. `update` changes it; `view` draws it; neither does I/O.

use std::collections::HashMap;

use super::msg::{Card, DecisionRequest, Explanation, ModelInfo, RetrainOutcome};
use crate::domain::DecisionAction;
use crate::domain::people::PersonStats;
use crate::tui::keymap::{KeyMode, Keymap};
use crate::tui::markdown::{LineKind, Mark, MdLine, render};
use crate::tui::text::wrap;
pub use crate::tui::widgets::{LabelView, Message};

/// The project's guidelines, rendered from markdown (see `tui::markdown`), with where each section starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Guidelines {
    pub lines: Vec<MdLine>,
    /// Heading text (lower case, without #) and its line.
    pub sections: Vec<(String, usize)>,
}

impl Guidelines {
    /// Guidelines from markdown files (name, text), in the order given.
    pub fn from_markdown(files: &[(String, String)]) -> Guidelines {
        let mut g = Guidelines::default();
        for (name, text) in files {
            if !g.lines.is_empty() {
                g.lines.push(MdLine { kind: LineKind::Text, text: String::new(), marks: Vec::new() });
            }
            let title = format!("── {name} ──");
            g.lines.push(MdLine { kind: LineKind::Text, marks: vec![(0..title.len(), Mark::Strong)], text: title });
            // One line per paragraph, so the overlay wraps it to the terminal (the files are hard-wrapped).
            for line in render(text) {
                if let LineKind::Heading(_) = line.kind {
                    g.sections.push((line.text.trim().to_lowercase(), g.lines.len()));
                }
                g.lines.push(line);
            }
        }
        g
    }

    /// The guidelines as the overlay shows them at `width` columns: one row per screen line, each with the
    /// line (paragraph) it wraps from. The overlay scrolls by these rows, so a paragraph taller than the
    /// screen can be read to its end.
    pub fn rows(&self, width: usize) -> Vec<GuidelineRow> {
        let mut rows = Vec::new();
        for (line, md) in self.lines.iter().enumerate() {
            for wrapped in wrap(&md.text, width.max(1)) {
                let pieces = wrapped.into_iter().map(|p| (p.at, p.text)).collect();
                rows.push(GuidelineRow { line, pieces });
            }
        }
        rows
    }

    /// The first row of `line` at `width` columns.
    pub fn row_of(&self, line: usize, width: usize) -> usize {
        self.lines.iter().take(line).map(|md| wrap(&md.text, width.max(1)).len()).sum()
    }

    /// The line where the section about `label` starts (a heading that is the label's name or display
    /// name), if there is one.
    pub fn section_of(&self, label: &LabelView) -> Option<usize> {
        let names = [label.name.to_lowercase(), label.display.to_lowercase()];
        self.sections.iter().find(|(title, _)| names.contains(title)).map(|(_, line)| *line)
    }
}

/// One screen row of the guidelines overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct GuidelineRow {
    /// The guidelines line (a whole paragraph once rendered) this row wraps from.
    pub line: usize,
    /// The row's text, sanitised, each piece with its byte offset in the line (for the line's marks).
    pub pieces: Vec<(usize, String)>,
}

impl GuidelineRow {
    pub fn text(&self) -> String {
        self.pieces.iter().map(|(_, text)| text.as_str()).collect()
    }
}

/// What the screen is showing.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// The current item, ready for a decision.
    Item,
    /// Waiting for the first (or next) batch.
    Loading,
    /// Nothing left to label.
    Done,
    Guidelines {
        /// The screen row at the top (see `Guidelines::rows`).
        scroll: usize,
        query: String,
        typing: bool,
    },
    Help {
        scroll: usize,
    },
    Stats,
    /// Between batches: what the batch did.
    Summary,
    /// A break is due.
    Break,
    /// Which reason to escalate with (a digit), or typing one.
    Escalate {
        typed: Option<String>,
    },
    /// Why a confident prediction was overridden; the decision waits for the answer.
    OverrideReason(Box<DecisionRequest>),
    /// Typing a note for the next decision.
    Note {
        text: String,
    },
}

impl Mode {
    /// Which keymap mode applies.
    pub fn key_mode(&self) -> KeyMode {
        match self {
            Mode::Item | Mode::Loading | Mode::Done => KeyMode::Item,
            Mode::Guidelines { .. } => KeyMode::Guidelines,
            Mode::Help { .. } => KeyMode::Help,
            Mode::Stats => KeyMode::Stats,
            Mode::Summary | Mode::Break => KeyMode::Summary,
            Mode::Escalate { .. } | Mode::OverrideReason(_) | Mode::Note { .. } => KeyMode::Prompt,
        }
    }
}

/// A decision made this session (and not undone).
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub decision_id: i64,
    pub card: Card,
    pub batch_id: i64,
    pub action: DecisionAction,
    /// The person agreed with the model's prediction (None: no prediction, or no labels given).
    pub agreed: Option<bool>,
    /// Overrode a prediction at least `override_threshold` confident.
    pub confident_override: bool,
    /// Gold items: whether the labels were right.
    pub gold_right: Option<bool>,
    pub time_spent_ms: i64,
}

/// Settings the screen needs from the project.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenConfig {
    pub project: String,
    pub annotator: String,
    pub labels: Vec<LabelView>,
    pub multi_label: bool,
    pub escalate_reasons: Vec<String>,
    pub override_reasons: Vec<String>,
    pub override_threshold: f64,
    pub break_after_ms: i64,
    /// Colours on (off under NO_COLOR).
    pub color: bool,
    /// This person may reveal masked personal data (an expert or admin).
    pub can_reveal: bool,
    /// This person may see everyone's figures (an expert or admin, or anyone without a `[roles]` table):
    /// the statistics go on to the dashboard's pages.
    pub sees_everyone: bool,
}

impl ScreenConfig {
    /// How the label called `name` is shown (its display name); `name` itself if unknown.
    pub fn display_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.labels.iter().find(|l| l.name == name).map_or(name, |l| l.display.as_str())
    }
}

/// The screen's state.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub config: ScreenConfig,
    pub keymap: Keymap,
    pub guidelines: Guidelines,
    pub size: (u16, u16),
    pub now_ms: i64,
    pub mode: Mode,
    /// The mode to go back to when an overlay (help, guidelines, stats) closes.
    pub under: Option<Box<Mode>>,
    /// The batch on the screen and where the person is in it.
    pub batch: BatchOnScreen,
    /// Multi-label: the labels toggled on for the current card.
    pub selected: Vec<bool>,
    pub note: Option<String>,
    pub scroll: usize,
    pub show_explanation: bool,
    pub show_similar: bool,
    /// What the model says: its version, explanations, the retrain after the batch.
    pub model: ModelPane,
    /// Writes the worker has not confirmed yet.
    pub work: WorkInFlight,
    pub message: Option<Message>,
    /// The expected label of a gold check the person just missed, while the message about it shows: the
    /// guidelines key opens that label's section.
    pub gold_missed: Option<usize>,
    /// Why the last batch could not be loaded, until one is: the screen says it instead of "nothing left".
    pub batch_error: Option<String>,
    /// This session so far.
    pub session: Session,
    pub quitting: bool,
}

/// The batch on the screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchOnScreen {
    pub cards: Vec<Card>,
    pub position: usize,
    pub id: i64,
    pub cold_start: bool,
    /// Items this person has left, this batch's undecided ones included (the worker counts them).
    pub left: u64,
    /// Cards of this batch decided before it was shown (a resumed batch), for "item N of M".
    pub decided_before: usize,
    pub shown_at_ms: i64,
}

/// What the model says, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelPane {
    pub info: ModelInfo,
    pub explanations: HashMap<i64, Explanation>,
    /// Why no explanation will come (shown instead of "explaining..."), if none will.
    pub no_explanations: Option<String>,
    /// The model's accuracy when the batch started, and what the retrain after it changed.
    pub before_batch: Option<f64>,
    pub retrain: Option<RetrainOutcome>,
    /// Why no retrain follows this batch, when the worker says none does.
    pub not_retrained: Option<String>,
    /// Items with a sentence vector, and all items, while the embedding thread is at work.
    pub vectors: Option<(u64, u64)>,
}

/// Writes the worker has been asked for and has not confirmed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkInFlight {
    /// The item whose decision is being written; nothing else is decided until it is.
    pub saving: Option<i64>,
    /// What that decision will add to the history once written.
    pub pending_done: Option<Done>,
    /// An undo is being written.
    pub undoing: bool,
}

/// This session: its decisions and breaks, and the person's record over the whole project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    pub history: Vec<Done>,
    pub undos: u64,
    pub started_ms: i64,
    pub last_break_ms: i64,
    /// As last read (the statistics ask for it).
    pub all_time: Option<Result<Option<Box<PersonStats>>, String>>,
    /// The project's agreement beyond chance, as last read with `all_time`.
    pub quality: Option<Box<super::msg::Quality>>,
    /// The statistics page shown: 0 this person's figures, then the dashboard's pages.
    pub stats_page: usize,
    /// The dashboard's figures, read when its first page is opened.
    pub dashboard: DashboardFigures,
}

/// The dashboard's figures on the statistics' further pages.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum DashboardFigures {
    #[default]
    NotRead,
    Reading,
    Read(Box<crate::domain::dashboard::Dashboard>),
    Failed(String),
}

/// Figures over a set of decisions.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    pub decided: usize,
    pub with_prediction: usize,
    pub agreed: usize,
    pub overrides: usize,
    pub escalated: usize,
    pub skipped: usize,
    pub gold: usize,
    pub gold_right: usize,
    pub time_ms: i64,
}

impl Tally {
    pub fn of<'a>(done: impl Iterator<Item = &'a Done>) -> Tally {
        let mut t = Tally::default();
        for d in done {
            t.decided += 1;
            t.time_ms += d.time_spent_ms;
            if let Some(agreed) = d.agreed {
                t.with_prediction += 1;
                t.agreed += usize::from(agreed);
            }
            t.overrides += usize::from(d.confident_override);
            t.escalated += usize::from(d.action == DecisionAction::Escalate);
            t.skipped += usize::from(d.action == DecisionAction::Skip);
            if let Some(right) = d.gold_right {
                t.gold += 1;
                t.gold_right += usize::from(right);
            }
        }
        t
    }
}

impl App {
    pub fn new(config: ScreenConfig, keymap: Keymap, guidelines: Guidelines, size: (u16, u16), now_ms: i64) -> App {
        let labels = config.labels.len();
        App {
            config,
            keymap,
            guidelines,
            size,
            now_ms,
            mode: Mode::Loading,
            under: None,
            batch: BatchOnScreen { shown_at_ms: now_ms, ..BatchOnScreen::default() },
            selected: vec![false; labels],
            note: None,
            scroll: 0,
            show_explanation: true,
            show_similar: false,
            model: ModelPane::default(),
            work: WorkInFlight::default(),
            message: None,
            gold_missed: None,
            batch_error: None,
            session: Session { started_ms: now_ms, last_break_ms: now_ms, ..Session::default() },
            quitting: false,
        }
    }

    /// Sets the clock at the start of the session.
    pub fn start_session(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.session.started_ms = now_ms;
        self.session.last_break_ms = now_ms;
        self.batch.shown_at_ms = now_ms;
    }

    /// The card on screen, if any.
    pub fn card(&self) -> Option<&Card> {
        match self.mode {
            Mode::Loading | Mode::Done | Mode::Summary | Mode::Break => None,
            _ => self.batch.cards.get(self.batch.position),
        }
    }

    /// The predicted labels of a card (indices) and the confidence, by the domain's one rule.
    pub fn predicted(&self, card: &Card) -> Option<(Vec<usize>, f32)> {
        let p = card.prediction.as_ref()?;
        if p.probabilities.len() != self.config.labels.len() {
            return None;
        }
        crate::domain::predicted(&p.probabilities, self.config.multi_label).map(|p| (p.labels, p.confidence))
    }

    /// Decisions of the current batch.
    pub fn batch_tally(&self) -> Tally {
        Tally::of(self.session.history.iter().filter(|d| d.batch_id == self.batch.id))
    }

    pub fn session_tally(&self) -> Tally {
        Tally::of(self.session.history.iter())
    }

    /// Decisions per hour this session.
    pub fn pace_per_hour(&self) -> Option<f64> {
        let elapsed = (self.now_ms - self.session.started_ms) as f64 / 3_600_000.0;
        let n = self.session.history.len() + self.session.undos as usize;
        (n >= 2 && elapsed > 0.0).then(|| n as f64 / elapsed)
    }
}
