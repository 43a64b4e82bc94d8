//! What the span screen holds: the project's labels and keys, the cards in hand, the one being edited
//! (its [`Draft`]), the one being saved, and the ones decided this session (for undo, item by item).

use std::collections::VecDeque;

use super::draft::Draft;
use super::msg::SpanCard;
use crate::domain::spans::Span;
use crate::tui::keymap::Keymap;
use crate::tui::widgets::LabelView;

/// What the screen needs to know about the project and the person.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanScreenConfig {
    pub project: String,
    pub annotator: String,
    pub labels: Vec<LabelView>,
    /// Spans may overlap (`spans.overlap`).
    pub overlap: bool,
    pub escalate_reasons: Vec<String>,
    /// Colours on (false under NO_COLOR: spans are bracketed and named instead).
    pub color: bool,
}

/// What the keys do just now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Labelling,
    Help,
    /// Choosing the reason to escalate the card (a digit; Esc cancels).
    Escalating,
}

/// The card being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Editing {
    pub card: SpanCard,
    pub draft: Draft,
    /// When it was shown (for the time spent on it).
    pub shown_at_ms: i64,
}

impl Editing {
    pub fn new(card: SpanCard, spans: Vec<Span>, overlap: bool, now_ms: i64) -> Editing {
        let draft = Draft::new(&card.text, &card.tokens, spans, overlap);
        Editing { card, draft, shown_at_ms: now_ms }
    }

    /// The proposed spans, as the draft starts from.
    pub fn proposed_spans(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = self.card.proposed.iter().map(|p| p.span.clone()).collect();
        spans.sort();
        spans
    }
}

/// A card decided this session: what undo takes back, with its draft (so undo goes on span by span).
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub editing: Editing,
    pub decision_id: i64,
}

/// Cards left in hand at which the next batch is asked for.
pub const PREFETCH_AT: usize = 5;

/// The span screen's state.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanApp {
    pub config: SpanScreenConfig,
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub now_ms: i64,
    pub mode: Mode,
    /// How far the help is scrolled.
    pub help_scroll: usize,
    pub queue: VecDeque<SpanCard>,
    pub editing: Option<Editing>,
    /// The card whose decision is being written, with the spans it was given; the next card shows once
    /// it is durable.
    pub saving: Option<Editing>,
    pub done: Vec<Done>,
    /// A batch was asked for and has not come.
    pub waiting: bool,
    /// The last batch asked for was empty: nothing is left beyond the cards in hand.
    pub exhausted: bool,
    /// An undo was asked for and has not been answered.
    pub undoing: bool,
    /// Nothing is left to label.
    pub finished: bool,
    /// Items left for this person after the batch in hand.
    pub left: u64,
    pub message: Option<String>,
    pub quitting: bool,
    /// Decisions this session (undone ones taken off).
    pub decided: u64,
}

impl SpanApp {
    pub fn new(config: SpanScreenConfig, keymap: Keymap, size: (u16, u16), now_ms: i64) -> SpanApp {
        SpanApp {
            config,
            keymap,
            size,
            now_ms,
            mode: Mode::Labelling,
            help_scroll: 0,
            queue: VecDeque::new(),
            editing: None,
            saving: None,
            done: Vec::new(),
            waiting: false,
            exhausted: false,
            undoing: false,
            finished: false,
            left: 0,
            message: None,
            quitting: false,
            decided: 0,
        }
    }

    /// The items the screen holds: queued, on screen, being saved.
    pub fn in_hand(&self) -> Vec<i64> {
        let shown = self.editing.iter().chain(&self.saving).map(|e| e.card.item_id);
        self.queue.iter().map(|c| c.item_id).chain(shown).collect()
    }
}
