//! What a person can ask of the screen: the actions keys are bound to, each declared once with the words
//! the help screen and the README use for it. Names are the snake_case ones the keymap files use.

use serde::Deserialize;

/// A user intent a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    Skip,
    Escalate,
    Note,
    Undo,
    Reveal,
    Guidelines,
    Help,
    Stats,
    ToggleExplanation,
    ToggleSimilar,
    ScrollDown,
    ScrollUp,
    PageDown,
    PageUp,
    Search,
    NextMatch,
    Close,
    Continue,
    Cancel,
    Quit,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::Accept,
        Action::Reject,
        Action::Skip,
        Action::Escalate,
        Action::Note,
        Action::Undo,
        Action::Reveal,
        Action::Guidelines,
        Action::Help,
        Action::Stats,
        Action::ToggleExplanation,
        Action::ToggleSimilar,
        Action::ScrollDown,
        Action::ScrollUp,
        Action::PageDown,
        Action::PageUp,
        Action::Search,
        Action::NextMatch,
        Action::Close,
        Action::Continue,
        Action::Cancel,
        Action::Quit,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Skip => "skip",
            Action::Escalate => "escalate",
            Action::Note => "note",
            Action::Undo => "undo",
            Action::Guidelines => "guidelines",
            Action::Help => "help",
            Action::Stats => "stats",
            Action::ToggleExplanation => "toggle_explanation",
            Action::ToggleSimilar => "toggle_similar",
            Action::Reveal => "reveal",
            Action::ScrollDown => "scroll_down",
            Action::ScrollUp => "scroll_up",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Search => "search",
            Action::NextMatch => "next_match",
            Action::Close => "close",
            Action::Continue => "continue",
            Action::Cancel => "cancel",
            Action::Quit => "quit",
        }
    }

    /// What it does, for the help screen and the README.
    pub fn description(self) -> &'static str {
        match self {
            Action::Accept => "accept the prediction (multi-label: confirm the labels chosen)",
            Action::Reject => "reject the prediction (binary projects: the other label)",
            Action::Skip => "skip the item for now (it comes back later)",
            Action::Escalate => "escalate to an expert, with a reason",
            Action::Note => "add a note to the next decision",
            Action::Undo => "undo the last decision (repeatable through the session)",
            Action::Guidelines => "open the guidelines at the predicted label's section",
            Action::Help => "show every key",
            Action::Stats => "show session and project statistics",
            Action::ToggleExplanation => "colour the words that pushed the prediction (on/off)",
            Action::ToggleSimilar => "show similar labelled items (on/off)",
            Action::Reveal => "reveal masked personal data (experts; audited)",
            Action::ScrollDown => "scroll down",
            Action::ScrollUp => "scroll up",
            Action::PageDown => "scroll down a page",
            Action::PageUp => "scroll up a page",
            Action::Search => "search the guidelines",
            Action::NextMatch => "go to the next match",
            Action::Close => "close",
            Action::Continue => "start the next batch",
            Action::Cancel => "cancel",
            Action::Quit => "quit (your decisions are already saved)",
        }
    }

    /// A short word for the footer.
    pub fn short(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Skip => "skip",
            Action::Escalate => "escalate",
            Action::Note => "note",
            Action::Undo => "undo",
            Action::Guidelines => "guide",
            Action::Help => "help",
            Action::Stats => "stats",
            Action::ToggleExplanation => "why",
            Action::ToggleSimilar => "similar",
            Action::Reveal => "reveal",
            Action::ScrollDown => "down",
            Action::ScrollUp => "up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Search => "search",
            Action::NextMatch => "next",
            Action::Close => "close",
            Action::Continue => "continue",
            Action::Cancel => "cancel",
            Action::Quit => "quit",
        }
    }
}
