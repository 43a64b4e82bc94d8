//! The span screen's update: a message in, the state changed, effects out. Pure. Keys edit the draft of
//! the card on screen; Enter asks for its decision to be written, and the next card shows only once the
//! worker says it is durable. Undo takes back the last span change, and with none left on the card, the
//! last decided card.

use super::msg::{Effect, Msg, Proposer, SpanDecision};
use super::state::{Done, Editing, Mode, PREFETCH_AT, SpanApp};
use crate::domain::DecisionAction;
use crate::tui::action::Action;
use crate::tui::keymap::{Key, KeyMode};
use crate::tui::quit_once;

impl SpanApp {
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now_ms = now;
                Vec::new()
            }
            Msg::Terminate => quit_once(&mut self.quitting, Effect::Quit),
            Msg::Batch { cards, left } => {
                self.waiting = false;
                self.left = left;
                self.exhausted = cards.is_empty();
                self.queue.extend(cards);
                self.advance()
            }
            Msg::ServeFailed(why) => {
                self.waiting = false;
                self.message = Some(why);
                Vec::new()
            }
            Msg::Recorded { item_id, decision_id, left } => {
                self.left = left.unwrap_or(self.left);
                self.recorded(item_id, decision_id)
            }
            Msg::Undone { item_id, left } => {
                self.left = left.unwrap_or(self.left);
                self.undone(item_id)
            }
            Msg::Failed(why) => {
                // A refused decision leaves its card on screen as it was.
                if let Some(editing) = self.saving.take() {
                    if let Some(current) = self.editing.replace(editing) {
                        self.queue.push_front(current.card);
                    }
                }
                self.undoing = false;
                self.message = Some(why);
                Vec::new()
            }
            Msg::Notice(text) => {
                self.message = Some(text);
                Vec::new()
            }
        }
    }

    fn key(&mut self, key: Key) -> Vec<Effect> {
        match self.mode {
            Mode::Help => {
                match self.keymap.action(KeyMode::Help, key) {
                    Some(Action::Close) => self.mode = Mode::Labelling,
                    Some(Action::ScrollDown) => self.help_scroll += 1,
                    Some(Action::ScrollUp) => self.help_scroll = self.help_scroll.saturating_sub(1),
                    _ => {}
                }
                Vec::new()
            }
            Mode::Escalating => self.escalate_key(key),
            Mode::Labelling => self.labelling_key(key),
        }
    }

    fn labelling_key(&mut self, key: Key) -> Vec<Effect> {
        let action = self.keymap.action(KeyMode::Spans, key);
        match action {
            Some(Action::Quit) => return quit_once(&mut self.quitting, Effect::Quit),
            Some(Action::Help) => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
                return Vec::new();
            }
            Some(Action::Undo) => return self.undo(),
            _ => {}
        }
        if self.saving.is_some() || self.undoing {
            // The keys wait for the card being saved: nothing is typed onto the next one unseen.
            return Vec::new();
        }
        let Some(editing) = self.editing.as_mut() else { return Vec::new() };
        self.message = None;
        if let Some(i) = self.keymap.label(key) {
            let Some(label) = self.config.labels.get(i).map(|l| l.name.clone()) else { return Vec::new() };
            editing.draft.label(&label);
            return Vec::new();
        }
        let draft = &mut editing.draft;
        // What went wrong, if anything, in words for the status line.
        let problem = match action {
            Some(Action::TokenNext | Action::TokenPrevious) => {
                draft.step(if action == Some(Action::TokenNext) { 1 } else { -1 });
                None
            }
            Some(Action::WordNext | Action::WordPrevious) => {
                draft.word(action == Some(Action::WordNext));
                None
            }
            Some(Action::ExtendNext | Action::ExtendPrevious) => {
                draft.extend(if action == Some(Action::ExtendNext) { 1 } else { -1 });
                None
            }
            Some(Action::Select) => {
                draft.toggle_selection();
                None
            }
            Some(Action::Cancel) => {
                draft.anchor = None;
                None
            }
            Some(Action::NextSpan | Action::PreviousSpan) => {
                (!draft.jump(action == Some(Action::NextSpan))).then_some("no spans on this item yet")
            }
            Some(Action::DeleteSpan) => (!draft.delete()).then_some("no span under the cursor"),
            _ => None,
        };
        if let Some(why) = problem {
            self.message = Some(why.to_string());
        }
        match action {
            Some(Action::Accept) => return self.decide(DecisionAction::Accept, None),
            Some(Action::Skip) => return self.decide(DecisionAction::Skip, None),
            Some(Action::Escalate) => {
                if self.config.escalate_reasons.is_empty() {
                    return self.decide(DecisionAction::Escalate, Some("other".into()));
                }
                self.mode = Mode::Escalating;
            }
            _ => {}
        }
        Vec::new()
    }

    fn escalate_key(&mut self, key: Key) -> Vec<Effect> {
        if key == Key::Esc {
            self.mode = Mode::Labelling;
            return Vec::new();
        }
        let chosen = match key {
            Key::Char(c) => c.to_digit(10).and_then(|d| (d as usize).checked_sub(1)),
            _ => None,
        };
        match chosen.and_then(|i| self.config.escalate_reasons.get(i)).cloned() {
            Some(reason) => {
                self.mode = Mode::Labelling;
                self.decide(DecisionAction::Escalate, Some(reason))
            }
            None => Vec::new(),
        }
    }

    /// Asks for the card's decision to be written. Accepting keeps the spans as they stand: an accept when
    /// they are what was proposed, a correction when the person changed them.
    fn decide(&mut self, action: DecisionAction, reason: Option<String>) -> Vec<Effect> {
        let Some(editing) = self.editing.take() else { return Vec::new() };
        let spans = editing.draft.spans.clone();
        let (action, given) = match action {
            DecisionAction::Accept if spans == editing.proposed_spans() => {
                (DecisionAction::Accept, Some(spans.clone()))
            }
            DecisionAction::Accept => (DecisionAction::Correct, Some(spans.clone())),
            other => (other, None),
        };
        let decision = SpanDecision {
            item_id: editing.card.item_id,
            served_id: editing.card.served_id,
            action,
            spans: given,
            proposed: editing.card.proposed.clone(),
            proposer: editing.card.proposer,
            reason,
            time_spent_ms: (self.now_ms - editing.shown_at_ms).max(0),
        };
        self.saving = Some(editing);
        vec![Effect::Record(decision)]
    }

    fn recorded(&mut self, item_id: i64, decision_id: i64) -> Vec<Effect> {
        match self.saving.take() {
            Some(editing) if editing.card.item_id == item_id => {
                self.done.push(Done { editing, decision_id });
                self.decided += 1;
            }
            other => self.saving = other,
        }
        self.advance()
    }

    /// Undo: the last change to the card's spans, else the last card decided this session.
    fn undo(&mut self) -> Vec<Effect> {
        if self.saving.is_some() || self.undoing {
            return Vec::new();
        }
        if let Some(editing) = self.editing.as_mut() {
            if editing.draft.undo() {
                self.message = Some("took back the last change to the spans".into());
                return Vec::new();
            }
        }
        match self.done.last() {
            Some(done) => {
                self.undoing = true;
                let card = &done.editing.card;
                vec![Effect::Undo { item_id: card.item_id, decision_id: done.decision_id, served_id: card.served_id }]
            }
            None => {
                self.message = Some("nothing to undo".into());
                Vec::new()
            }
        }
    }

    fn undone(&mut self, item_id: i64) -> Vec<Effect> {
        self.undoing = false;
        if self.done.last().is_none_or(|d| d.editing.card.item_id != item_id) {
            return Vec::new();
        }
        let Some(done) = self.done.pop() else { return Vec::new() };
        self.decided = self.decided.saturating_sub(1);
        if let Some(current) = self.editing.take() {
            self.queue.push_front(current.card);
        }
        self.finished = false;
        let mut editing = done.editing;
        editing.shown_at_ms = self.now_ms;
        self.editing = Some(editing);
        self.message = Some("decision taken back: label the item again".into());
        Vec::new()
    }

    /// Shows the next card when none is on screen, and asks for the next batch while a few cards are
    /// still in hand (so it is there when they are done); with nothing left anywhere, the end.
    fn advance(&mut self) -> Vec<Effect> {
        let idle = self.editing.is_none() && self.saving.is_none();
        if idle {
            if let Some(card) = self.queue.pop_front() {
                let spans = card.proposed.iter().map(|p| p.span.clone()).collect();
                self.editing = Some(Editing::new(card, spans, self.config.overlap, self.now_ms));
            }
        }
        let mut effects = Vec::new();
        if !self.waiting && !self.exhausted && self.queue.len() < PREFETCH_AT {
            self.waiting = true;
            effects.push(Effect::Serve { in_hand: self.in_hand() });
        }
        self.finished = self.exhausted && self.queue.is_empty() && self.editing.is_none() && self.saving.is_none();
        effects
    }

    /// Whether the model proposed what is on screen (else patterns, or nobody).
    pub fn proposer(&self) -> Option<Proposer> {
        self.editing.as_ref().map(|e| e.card.proposer)
    }
}
