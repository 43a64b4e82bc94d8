//! The annotation screen: the current item, the model's prediction and why, one key to decide. `state`
//! holds what the screen knows, `update` (pure) turns messages into state changes and effects, `view`
//! (pure) draws the state; `app::worker::annotate` carries out the effects.

#[cfg(test)]
pub(crate) mod fixtures;
pub mod msg;
pub mod state;
pub mod update;
pub mod view;

use crate::tui::Screen;
use msg::{Effect, Msg};
use state::App;

impl Screen for App {
    type Msg = Msg;
    type Effect = Effect;

    fn start(&mut self, size: (u16, u16), now_ms: i64) -> Vec<Effect> {
        self.size = size;
        self.start_session(now_ms);
        vec![Effect::NextBatch]
    }

    fn update(&mut self, msg: Msg) -> Vec<Effect> {
        update::update(self, msg)
    }

    fn render(&self, frame: &mut ratatui::Frame) {
        view::render(self, frame);
    }

    fn quitting(&self) -> bool {
        self.quitting
    }

    crate::tui::terminal_messages!(Msg);
}
