//! What both screens draw, written once: the key-hint footer ([`footer`]), the help table ([`help`]), the
//! one-line text prompt ([`prompt`]), the statistics dashboard's pages ([`dashboard`]), centring and pop-ups ([`layout`]), colours that honour NO_COLOR
//! ([`style`]), and the types both screens' states hold (a label's look, a status-line message).

pub mod dashboard;
pub mod footer;
pub mod help;
pub mod layout;
pub mod prompt;
pub mod style;

/// A label as the screens show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelView {
    pub name: String,
    pub display: String,
    pub color: Option<String>,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}
