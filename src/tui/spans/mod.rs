//! The span screen (`margin annotate` in a span project): the item's text with its spans coloured by
//! label, a token cursor and a selection moved from the keyboard, a digit to label, Enter to keep the
//! spans as they stand. The model's (or the patterns') spans are there from the start, so an item the
//! model got right takes one key. Pure `update` ([`update`]) and `view` ([`view`]) over the state
//! ([`state`]); the edits of one item live in its [`draft`]; the worker (`app::worker::spans`) serves
//! cards and writes decisions. Imports only `domain` and the screens' shared parts.

pub mod draft;
pub mod msg;
pub mod state;
mod update;
pub mod view;

use msg::{Effect, Msg};
use state::SpanApp;

impl crate::tui::Screen for SpanApp {
    type Msg = Msg;
    type Effect = Effect;

    fn start(&mut self, size: (u16, u16), now_ms: i64) -> Vec<Effect> {
        self.size = size;
        self.now_ms = now_ms;
        self.waiting = true;
        vec![Effect::Serve { in_hand: Vec::new() }]
    }

    fn update(&mut self, msg: Msg) -> Vec<Effect> {
        SpanApp::update(self, msg)
    }

    fn render(&self, frame: &mut ratatui::Frame) {
        view::render(self, frame);
    }

    fn quitting(&self) -> bool {
        self.quitting
    }

    crate::tui::terminal_messages!(Msg);
}

#[cfg(test)]
mod tests;
