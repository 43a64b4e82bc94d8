//! The span screen's worker: threads that own the store, serve batches as span cards (tokens, the
//! patterns' proposals, the text masked with its offsets kept), records decisions after checking the
//! spans, and takes them back. Answers with `Msg`s; the screen never waits on it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use super::annotate::RetrainCommand;
use crate::app::serve::next_batch_beyond;
use crate::app::spans::{
    SpanDecisionRequest, load_patterns, mask_keeping_offsets, propose_from_patterns, record_spans,
};
use crate::config::ProjectConfig;
use crate::domain::pii::Masker;
use crate::domain::spans::patterns::Pattern;
use crate::domain::spans::tokens;
use crate::domain::spans::{Proposed, from_keys};
use crate::domain::{DecisionAction, ModelKind};
use crate::store::{NewDecision, ServedItem, Store};
use crate::tui::inbox::Outbox;
use crate::tui::spans::msg::{Effect, Msg, Proposer, SpanCard, SpanDecision};

/// What the worker needs.
#[derive(Clone)]
pub struct SpanSetup {
    pub dir: PathBuf,
    pub config: ProjectConfig,
    pub annotator: String,
    /// Masks personal data before a text reaches the screen; `None`: texts as they are.
    pub masker: Option<Masker>,
    /// Starts a background retrain after a batch when one is due; `None`: never from the screen.
    pub retrain: Option<RetrainCommand>,
}

/// The running worker: a thread that saves (decisions, undos) and one that serves batches, each with its
/// own connection, so a save never waits behind the next batch being chosen.
pub struct SpanWorker {
    saves: Sender<Effect>,
    serves: Sender<Effect>,
    threads: Vec<JoinHandle<()>>,
}

impl SpanWorker {
    /// Starts the threads: `store` for saving, `serve_store` for serving.
    pub fn start(setup: SpanSetup, store: Store, serve_store: Store, replies: Outbox<Msg>) -> SpanWorker {
        let (saves, save_rx) = channel();
        let (serves, serve_rx) = channel();
        let mut threads = Vec::new();
        let server = Thread::new(setup.clone(), serve_store, replies.clone(), true);
        threads
            .extend(std::thread::Builder::new().name("margin-serve".into()).spawn(move || server.run(serve_rx)).ok());
        let saver = Thread::new(setup, store, replies, false);
        threads.extend(std::thread::Builder::new().name("margin-spans".into()).spawn(move || saver.run(save_rx)).ok());
        SpanWorker { saves, serves, threads }
    }

    pub fn send(&self, effect: Effect) {
        let _ = match effect {
            Effect::Serve { .. } => self.serves.send(effect),
            other => self.saves.send(other),
        };
    }

    /// Stops the worker once it has written what it was asked to and given back the reserved items: the
    /// serving thread first, so that nothing is reserved after the saving thread gives everything back.
    pub fn finish(self) {
        let _ = self.serves.send(Effect::Quit);
        let _ = self.saves.send(Effect::Quit);
        let mut threads = self.threads;
        if let Some(server) = (!threads.is_empty()).then(|| threads.remove(0)) {
            let _ = server.join();
        }
        for thread in threads {
            let _ = thread.join();
        }
    }
}

struct Thread {
    setup: SpanSetup,
    store: Store,
    replies: Outbox<Msg>,
    patterns: Vec<Pattern>,
    /// The background retrain started from here, until it ends.
    retraining: Option<Child>,
}

impl Thread {
    /// A thread's state; the serving one reads the patterns (and says so if they are bad).
    fn new(setup: SpanSetup, store: Store, replies: Outbox<Msg>, serving: bool) -> Thread {
        let patterns = match serving.then(|| load_patterns(&setup.dir, &setup.config)) {
            Some(Ok(patterns)) => patterns,
            Some(Err(e)) => {
                replies.send(Msg::Notice(format!("no patterns: {e}")));
                Vec::new()
            }
            None => Vec::new(),
        };
        Thread { setup, store, replies, patterns, retraining: None }
    }

    fn run(mut self, jobs: Receiver<Effect>) {
        while let Ok(effect) = jobs.recv() {
            match effect {
                Effect::Quit => break,
                Effect::Serve { in_hand } => self.serve(&in_hand),
                Effect::Record(decision) => self.record(decision),
                Effect::Undo { item_id, decision_id, served_id } => self.undo(item_id, decision_id, served_id),
            }
        }
        if let Err(e) = self.store.release_leases(&self.setup.annotator) {
            tracing::warn!("cannot give back the reserved items: {e}");
        }
        // A retrain goes on after the screen closes; it is only looked at once more, so it is no zombie
        // while this process lives.
        if let Some(mut child) = self.retraining.take() {
            let _ = child.try_wait();
        }
    }

    /// Starts `margin retrain --if-due` in the background when a batch is done and none is running.
    fn retrain_if_due(&mut self) {
        if let Some(child) = &mut self.retraining {
            if matches!(child.try_wait(), Ok(None)) {
                return;
            }
            self.retraining = None;
        }
        let Some(command) = &self.setup.retrain else { return };
        match crate::app::retrain::due(&self.store, &self.setup.config) {
            Ok(due) if due.is_due() && !crate::app::retrain::is_running(&self.setup.dir) => {}
            _ => return,
        }
        let mut cmd = Command::new(&command.exe);
        cmd.args(&command.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match cmd.spawn() {
            Ok(child) => {
                self.retraining = Some(child);
                self.replies.send(Msg::Notice("retraining the span model in the background".into()));
            }
            Err(e) => tracing::warn!("cannot start a background retrain: {e}"),
        }
    }

    fn serve(&mut self, in_hand: &[i64]) {
        self.retrain_if_due();
        let msg = match next_batch_beyond(&mut self.store, &self.setup.config, &self.setup.annotator, in_hand) {
            Ok(batch) => {
                let from_model = self.model_spans(&batch.items);
                let cards = batch.items.iter().map(|s| self.card(s, &from_model)).collect();
                Msg::Batch { cards, left: batch.left }
            }
            Err(e) => Msg::ServeFailed(format!("cannot serve the next items: {e}")),
        };
        self.replies.send(msg);
    }

    /// The current span model's proposals for the served items it has scored, and its version.
    fn model_spans(&self, served: &[ServedItem]) -> Option<(i64, HashMap<i64, Vec<Proposed>>)> {
        let model = self
            .store
            .current_model()
            .ok()
            .flatten()
            .filter(|m| matches!(m.kind, ModelKind::Spans | ModelKind::External))?;
        let ids: Vec<i64> = served.iter().map(|s| s.item.id).collect();
        match self.store.span_predictions(model.id, &ids) {
            Ok(found) => Some((model.id, found)),
            Err(e) => {
                tracing::warn!("cannot read the span model's proposals: {e}");
                None
            }
        }
    }

    /// A served item as a card: the spans it was imported with, else the model's where it has scored the
    /// item, else the patterns'.
    fn card(&self, served: &ServedItem, from_model: &Option<(i64, HashMap<i64, Vec<Proposed>>)>) -> SpanCard {
        let original = &served.item.text;
        let toks = tokens(original);
        // The spans the item came with, if any (a gold item's are the answer, never shown).
        let imported = served.item.reference_labels.as_deref().filter(|_| !served.item.gold).map(from_keys);
        let from_model = from_model.as_ref().and_then(|(v, m)| Some((*v, m.get(&served.item.id)?)));
        let (proposed, proposer) = match (imported, from_model) {
            (Some(spans), _) => {
                (spans.into_iter().map(|span| Proposed { span, confidence: None }).collect(), Proposer::Imported)
            }
            (None, Some((version, spans))) => (spans.clone(), Proposer::Model { version }),
            (None, None) => {
                let found = propose_from_patterns(&self.patterns, original, &toks);
                let proposer = if found.is_empty() { Proposer::Nobody } else { Proposer::Patterns };
                (found, proposer)
            }
        };
        let (text, masked) = match &self.setup.masker {
            Some(masker) => mask_keeping_offsets(masker, original),
            None => (original.clone(), 0),
        };
        SpanCard {
            item_id: served.item.id,
            served_id: served.served_id,
            ext_id: served.item.ext_id.clone(),
            text,
            tokens: toks,
            proposed,
            proposer,
            why: served.why.shown().as_str().to_string(),
            masked,
        }
    }

    fn record(&mut self, d: SpanDecision) {
        let model = match d.proposer {
            Proposer::Model { version } => Some((version, d.proposed.clone())),
            Proposer::Nobody | Proposer::Patterns | Proposer::Imported => None,
        };
        let request = SpanDecisionRequest {
            item_id: d.item_id,
            annotator: self.setup.annotator.clone(),
            action: d.action,
            spans: d.spans,
            model,
            reason: d.reason,
            time_spent_ms: Some(d.time_spent_ms),
        };
        let msg = match record_spans(&mut self.store, &self.setup.config, &request) {
            Ok(decision_id) => Msg::Recorded { item_id: d.item_id, decision_id, left: self.left() },
            Err(e) => Msg::Failed(format!("not saved: {e}")),
        };
        self.replies.send(msg);
    }

    /// What is left for the person, if it can be counted (a failure is only logged).
    fn left(&mut self) -> Option<u64> {
        crate::app::serve::left_for(&mut self.store, &self.setup.config, &self.setup.annotator, 0)
            .map_err(|e| tracing::warn!("cannot count what is left: {e}"))
            .ok()
    }

    fn undo(&mut self, item_id: i64, decision_id: i64, served_id: i64) {
        let undo = NewDecision {
            undoes: Some(decision_id),
            ..NewDecision::new(item_id, &self.setup.annotator, DecisionAction::Undo)
        };
        let lease_ms = i64::from(self.setup.config.sampling.lease_minutes) * 60_000;
        let result = self
            .store
            .record_decision(&undo)
            .and_then(|_| self.store.relet(served_id, item_id, &self.setup.annotator, lease_ms));
        let msg = match result {
            Ok(()) => Msg::Undone { item_id, left: self.left() },
            Err(e) => Msg::Failed(format!("cannot undo: {e}")),
        };
        self.replies.send(msg);
    }
}
