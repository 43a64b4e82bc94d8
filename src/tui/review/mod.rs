//! `margin review`'s screen: everything decided, newest first, a page at a time, narrowed by filter words,
//! a full-text search or a search by meaning; an item's whole history; re-labelling one item, or every
//! item the filter finds after a count and a confirmation (experts). Pure state and `update` here and in
//! `update.rs`, drawing in `view.rs`; a worker the CLI wires carries out the effects.

pub(crate) mod update;
mod view;

use super::Screen;
use super::keymap::{Key, Keymap};
use super::widgets::{LabelView, Message};
use crate::domain::review::{ReviewFilter, ReviewRow};

pub use update::update;

/// Rows asked of the worker at a time.
pub const PAGE: usize = 200;

/// Settings of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewConfig {
    pub project: String,
    pub reviewer: String,
    pub labels: Vec<LabelView>,
    /// Experts and admins may re-label.
    pub can_relabel: bool,
    /// The project has a sentence encoder to search by meaning with.
    pub can_search_meaning: bool,
    pub color: bool,
    /// An annotator sees only their own decisions: the filter keeps `person=` them.
    pub only_person: Option<String>,
}

/// What a re-label applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    One {
        item_id: i64,
        id: String,
    },
    /// Every item the filter finds (`count` of them when asked).
    Filtered {
        filter: ReviewFilter,
        count: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReviewMode {
    Browse,
    /// Typing filter words (the current ones to edit).
    Filter(String),
    /// Typing words the texts must hold.
    Search(String),
    /// Typing words to rank the items by closeness in meaning.
    Meaning(String),
    /// An item's whole history, scrolled.
    History {
        item_id: i64,
        lines: Option<Vec<String>>,
        scroll: usize,
    },
    /// Counting what a re-label of the whole filter would touch.
    Counting,
    ChooseLabel(Scope),
    Reason {
        scope: Scope,
        label: usize,
        text: String,
    },
    Help,
}

/// The workers' answers and the terminal's events.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewMsg {
    Key(Key),
    Resize(u16, u16),
    Tick(i64),
    /// A page for query `query`; `more`: another page may follow.
    Page {
        query: u64,
        rows: Vec<ReviewRow>,
        more: bool,
    },
    Count {
        query: u64,
        count: u64,
    },
    History {
        item_id: i64,
        lines: Vec<String>,
    },
    Relabelled {
        said: String,
        changed: u64,
    },
    Failed(String),
    Terminate,
}

/// What the screen asks the worker to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewEffect {
    /// The next page of rows (after `before`), or a ranking by meaning of `like`.
    Load {
        query: u64,
        filter: ReviewFilter,
        like: Option<String>,
        before: Option<(i64, i64)>,
    },
    Count {
        query: u64,
        filter: ReviewFilter,
    },
    History(i64),
    Relabel {
        scope: Scope,
        label: String,
        reason: String,
    },
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewApp {
    pub config: ReviewConfig,
    pub keymap: Keymap,
    pub size: (u16, u16),
    pub rows: Vec<ReviewRow>,
    pub position: usize,
    /// The first row on screen.
    pub top: usize,
    pub filter: ReviewFilter,
    /// Ranking by meaning of these words instead of newest first.
    pub like: Option<String>,
    /// How many items the filter finds, once counted.
    pub total: Option<u64>,
    /// The query the rows belong to: answers to an older one are dropped.
    pub query: u64,
    /// A page is on its way.
    pub loading: bool,
    /// Another page may follow the rows.
    pub more: bool,
    pub mode: ReviewMode,
    pub message: Option<Message>,
    /// A re-label in flight: no other until it is saved.
    pub busy: bool,
    /// Items re-labelled this session.
    pub relabelled: usize,
    pub quitting: bool,
}

impl ReviewApp {
    pub fn new(config: ReviewConfig, keymap: Keymap, filter: ReviewFilter) -> ReviewApp {
        ReviewApp {
            config,
            keymap,
            size: (80, 24),
            rows: Vec::new(),
            position: 0,
            top: 0,
            filter,
            like: None,
            total: None,
            query: 0,
            loading: false,
            more: false,
            mode: ReviewMode::Browse,
            message: None,
            busy: false,
            relabelled: 0,
            quitting: false,
        }
    }

    pub fn row(&self) -> Option<&ReviewRow> {
        self.rows.get(self.position)
    }

    /// Rows of the list that fit on the screen (the header, the table's heading, the preview of the
    /// current item, the message and the footer take the rest).
    pub fn visible_rows(&self) -> usize {
        usize::from(self.size.1).saturating_sub(10).max(1)
    }
}

impl Screen for ReviewApp {
    type Msg = ReviewMsg;
    type Effect = ReviewEffect;

    fn start(&mut self, size: (u16, u16), _now_ms: i64) -> Vec<ReviewEffect> {
        self.size = size;
        update::reload(self)
    }

    fn update(&mut self, msg: ReviewMsg) -> Vec<ReviewEffect> {
        update(self, msg)
    }

    fn render(&self, frame: &mut ratatui::Frame) {
        view::render(self, frame);
    }

    fn quitting(&self) -> bool {
        self.quitting
    }

    crate::tui::terminal_messages!(ReviewMsg);
}
