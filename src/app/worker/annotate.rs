//! The screen's workers: one thread owns the store (serving batches, recording decisions and undos,
//! starting background retrains and watching for the new model), one owns the model (explanations,
//! newest request first). Both answer with `Msg`s on the loop's channel; the screen never waits on them.
//! Wires `store`, `model`, `queue` and `explanation` to the screen's `Effect`s and `Msg`s.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};

use super::embed::EmbedThread;
use super::explain::ModelThread;
use crate::tui::inbox::Outbox;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::app::retrain;
use crate::app::serve::next_batch;
use crate::config::ProjectConfig;
use crate::domain::DecisionAction;
use crate::domain::ModelSnapshot;
use crate::domain::people::PersonStats;
use crate::domain::pii::Masker;
use crate::store::{ModelVersion, NewDecision, ServedItem, Store, StoreError};
use crate::tui::annotate::msg::{
    BatchLoaded, Card, CardPrediction, Effect, ModelActivity, ModelInfo, Msg, Quality, RetrainOutcome,
};

/// How often the store thread looks at a running retrain.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// How long quitting waits for the model thread to put the model down.
const MODEL_THREAD_GRACE: Duration = Duration::from_secs(5);

/// The scheduling priority of the model thread (explaining ahead): below the screen's and the saves'.
const EXPLAIN_NICE: i32 = 10;

/// How to start a retrain in the background: margin's own executable and its arguments.
#[derive(Debug, Clone)]
pub struct RetrainCommand {
    pub exe: PathBuf,
    pub args: Vec<OsString>,
}

/// What the workers need.
pub struct Setup {
    pub dir: PathBuf,
    pub config: ProjectConfig,
    pub annotator: String,
    /// The person at the screen (the annotator): who reveals masked data, in the audit trail.
    pub user: String,
    /// Masks personal data before a text reaches the screen; `None`: the project shows texts as they are.
    pub masker: Option<Masker>,
    /// Starts ONNX Runtime for the explanation thread (on that thread, so loading the library never
    /// delays the first item); `None` from it: no explanations.
    /// Starts ONNX Runtime for the explanations, or says why it cannot (shown on the screen).
    pub runtime: super::StartRuntime,
    /// `None`: never retrain from the screen.
    pub retrain: Option<RetrainCommand>,
}

/// The running workers.
pub struct Workers {
    store_jobs: Sender<Effect>,
    explain_jobs: Sender<Vec<i64>>,
    store_thread: Option<JoinHandle<()>>,
    explain_thread: Option<JoinHandle<()>>,
}

impl Workers {
    /// Starts the workers; `store` is the screen's connection, `explain_store` a second one for the model
    /// thread.
    pub fn start(mut setup: Setup, store: Store, explain_store: Store, replies: Outbox) -> Workers {
        let (store_jobs, store_rx) = channel();
        let (explain_jobs, explain_rx) = channel();
        let explain_replies = replies.clone();
        let dir = setup.dir.clone();
        let config = setup.config.clone();
        let masker = setup.masker.clone();
        let start_runtime = std::mem::replace(&mut setup.runtime, Box::new(|| Err(String::new())));
        let user = setup.user.clone();
        let explain_thread = std::thread::Builder::new()
            .name("margin-explain".into())
            .spawn(move || {
                let host = start_runtime();
                match host {
                    Ok(host) => {
                        // The embedding thread lives as long as this one: it stops when this one drops `stop`.
                        let (stop, stopped) = channel::<()>();
                        let embedding = Store::open(&dir.join(crate::app::project::DB_FILE)).ok().and_then(|store| {
                            let thread = EmbedThread {
                                dir: dir.clone(),
                                config: config.clone(),
                                store,
                                host: host.clone(),
                                user,
                            };
                            let replies = explain_replies.clone();
                            std::thread::Builder::new()
                                .name("margin-embed".into())
                                .spawn(move || thread.run(stopped, replies))
                                .ok()
                        });
                        // Lowered after the embedding thread is started, which keeps the normal priority.
                        super::run_in_background(EXPLAIN_NICE);
                        let model = ModelThread { dir, config, masker, store: explain_store, host };
                        model.run(explain_rx, explain_replies);
                        drop(stop);
                        if let Some(thread) = embedding {
                            let _ = thread.join();
                        }
                    }
                    Err(why) => {
                        explain_replies.send(Msg::NoExplanations(why));
                    }
                }
            })
            .ok();
        let store_thread = std::thread::Builder::new()
            .name("margin-store".into())
            .spawn(move || StoreWorker::new(setup, store, replies).run(store_rx))
            .ok();
        Workers { store_jobs, explain_jobs, store_thread, explain_thread }
    }

    /// Hands an effect to the worker that does it.
    pub fn send(&self, effect: Effect) {
        match effect {
            Effect::Explain(wanted) => {
                let _ = self.explain_jobs.send(wanted);
            }
            other => {
                let _ = self.store_jobs.send(other);
            }
        }
    }

    /// Waits for the store thread to finish what it was given (a `Quit` ends it) and, for a few seconds,
    /// for the model thread to stop (closing its channel ends it between two items). Says whether the model
    /// thread stopped: if it did not (a large model still loading), the caller must end the process without
    /// running exit handlers, since ONNX Runtime's globals are torn down at exit under any thread still in it.
    pub fn finish(self) -> Finished {
        let Workers { store_jobs, explain_jobs, store_thread, explain_thread } = self;
        drop(explain_jobs);
        let _ = store_jobs.send(Effect::Quit);
        if let Some(thread) = store_thread {
            let _ = thread.join();
        }
        let Some(thread) = explain_thread else { return Finished::Clean };
        let deadline = std::time::Instant::now() + MODEL_THREAD_GRACE;
        while !thread.is_finished() {
            if std::time::Instant::now() >= deadline {
                tracing::warn!("the model thread is still busy at quit");
                return Finished::ModelThreadBusy;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = thread.join();
        Finished::Clean
    }
}

/// How the workers ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Finished {
    Clean,
    /// The model thread is still inside ONNX Runtime.
    ModelThreadBusy,
}

struct StoreWorker {
    setup: Setup,
    store: Store,
    replies: Outbox,
    /// A retrain this screen started, the model that was current then, and the batch whose end
    /// started it.
    retraining: Option<(Option<Child>, Option<ModelVersion>, i64)>,
    /// A batch whose due retrain waits for that one to finish; it starts as soon as it has.
    held_back: Option<i64>,
    /// Items the last batch's routing held for experts (for what is left after each decision).
    held_for_experts: u64,
}

impl StoreWorker {
    fn new(setup: Setup, store: Store, replies: Outbox) -> StoreWorker {
        StoreWorker { setup, store, replies, retraining: None, held_back: None, held_for_experts: 0 }
    }

    fn reply(&self, msg: Msg) {
        self.replies.send(msg);
    }

    /// Tells the screen what this person has left after a decision or an undo (nothing when it cannot be
    /// counted: the count is a courtesy, the decision is what matters).
    fn reply_left(&mut self) {
        let (config, annotator) = (&self.setup.config, &self.setup.annotator);
        match crate::app::serve::left_for(&mut self.store, config, annotator, self.held_for_experts) {
            Ok(left) => self.reply(Msg::Left(left)),
            Err(e) => tracing::warn!("cannot count what is left: {e}"),
        }
    }

    fn run(mut self, jobs: Receiver<Effect>) {
        self.reply(Msg::Model(self.model_info()));
        loop {
            match jobs.recv_timeout(WATCH_EVERY) {
                Ok(Effect::Quit) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(effect) => self.handle(effect),
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.watch_retrain();
        }
        if let Err(e) = self.store.release_leases(&self.setup.annotator) {
            tracing::warn!("cannot give back the reserved items: {e}");
        }
        // A retrain this screen started goes on alone; reap it if it is done.
        if let Some((Some(mut child), _, _)) = self.retraining.take() {
            let _ = child.try_wait();
        }
    }

    fn handle(&mut self, effect: Effect) {
        match effect {
            Effect::NextBatch => {
                let msg = match next_batch(&mut self.store, &self.setup.config, &self.setup.annotator) {
                    Ok(batch) => {
                        self.held_for_experts = batch.held_for_experts;
                        let cards: Vec<Card> = batch.items.iter().map(|s| self.card(s)).collect();
                        Msg::Batch(BatchLoaded {
                            batch_id: batch.items.first().map_or(0, |s| s.batch_id),
                            cards,
                            resumed: batch.resumed,
                            cold_start: batch.cold_start,
                            size: batch.size,
                            left: batch.left,
                            machine_accepted: batch.machine_accepted,
                            for_experts: batch.for_experts,
                        })
                    }
                    Err(e) => Msg::BatchFailed(e.to_string()),
                };
                self.reply(msg);
            }
            Effect::Record(request) => {
                let decision = NewDecision {
                    labels: request.labels,
                    reason: request.reason,
                    note: request.note,
                    time_spent_ms: Some(request.time_spent_ms),
                    model: request.model.map(|(version, predicted, confidence)| ModelSnapshot {
                        version,
                        predicted,
                        confidence,
                    }),
                    undoes: request.undoes,
                    ..NewDecision::new(request.item_id, &self.setup.annotator, request.action)
                };
                let msg = match self.store.record_decision(&decision) {
                    Ok(decision_id) => Msg::Recorded { item_id: request.item_id, decision_id },
                    Err(e) => Msg::RecordFailed { item_id: request.item_id, error: e.to_string() },
                };
                self.reply(msg);
                self.reply_left();
            }
            Effect::Undo { decision_id, card } => {
                let undo = NewDecision {
                    undoes: Some(decision_id),
                    ..NewDecision::new(card.item_id, &self.setup.annotator, DecisionAction::Undo)
                };
                let lease_ms = i64::from(self.setup.config.sampling.lease_minutes) * 60_000;
                let result = self
                    .store
                    .record_decision(&undo)
                    .and_then(|_| self.store.relet(card.served_id, card.item_id, &self.setup.annotator, lease_ms));
                self.reply(match result {
                    Ok(()) => Msg::Undone { undone: decision_id, card },
                    Err(e) => Msg::UndoFailed(e.to_string()),
                });
                self.reply_left();
            }
            Effect::BatchDone { batch_id } => self.retrain_if_due(batch_id),
            Effect::LoadDashboard => {
                let figures = crate::app::dashboard::dashboard(&mut self.store, &self.setup.config, None);
                self.reply(Msg::Dashboard(figures.map(Box::new).map_err(|e| e.to_string())));
            }
            Effect::LoadAllTime => match self.all_time() {
                Ok((record, quality)) => {
                    self.reply(Msg::AllTime(Ok(record)));
                    self.reply(Msg::Quality(quality));
                }
                Err(e) => self.reply(Msg::AllTime(Err(e.to_string()))),
            },
            Effect::Reveal { item_id } => {
                let msg = match self.reveal(item_id) {
                    Ok(text) => Msg::Revealed { item_id, text },
                    Err(e) => Msg::RevealFailed(e.to_string()),
                };
                self.reply(msg);
            }
            Effect::Explain(_) | Effect::Quit => {}
        }
    }

    fn card(&self, served: &ServedItem) -> Card {
        let prediction = served.model.and_then(|model| {
            let p = self.store.prediction(model, served.item.id).ok().flatten()?;
            Some(CardPrediction { model_version: model, probabilities: p.probabilities })
        });
        let mut meta = served.item.meta.as_deref().map(flatten_meta).unwrap_or_default();
        let (text, masked) = match &self.setup.masker {
            Some(masker) => {
                let masked = masker.mask_mapped(&served.item.text);
                for (_, value) in &mut meta {
                    *value = masker.mask(value);
                }
                (masked.text, masked.spans.len())
            }
            None => (served.item.text.clone(), 0),
        };
        Card {
            item_id: served.item.id,
            served_id: served.served_id,
            ext_id: served.item.ext_id.clone(),
            text,
            meta,
            masked,
            revealed: false,
            // A gold check shows as a random pick: unannounced.
            why: served.why.shown().as_str().to_string(),
            score: served.score,
            audit: served.audit,
            gold: if served.item.gold { served.item.reference_labels.clone() } else { None },
            gold_rationale: if served.item.gold { served.item.gold_rationale.clone() } else { None },
            prediction,
        }
    }

    /// Records the reveal in the audit trail, then reads the original text.
    fn reveal(&mut self, item_id: i64) -> Result<String, crate::store::StoreError> {
        let on = crate::app::reveal::RevealedOn::AnnotateScreen;
        crate::app::reveal::reveal(&mut self.store, &self.setup.user, Some(&self.setup.annotator), item_id, on)
    }

    /// This person's record over the whole project (`None` before their first label), and the project's
    /// agreement beyond chance and their gold checks over time.
    fn all_time(&mut self) -> Result<(Option<Box<PersonStats>>, Box<Quality>), StoreError> {
        let figures = crate::app::dashboard::people_figures(&mut self.store, &self.setup.config)?;
        let me = &self.setup.annotator;
        let gold = figures.gold.into_iter().find(|g| &g.annotator == me);
        let record = figures.report.people.into_iter().find(|p| &p.annotator == me).map(Box::new);
        let agreement = figures.beyond_chance;
        Ok((record, Box::new(Quality { agreement, gold })))
    }

    fn model_info(&self) -> ModelInfo {
        let current = self.store.current_model().ok().flatten();
        let activity =
            if retrain::is_running(&self.setup.dir) { ModelActivity::Retraining } else { ModelActivity::Idle };
        ModelInfo {
            version: current.as_ref().map(|m| m.id),
            cv_accuracy: current.as_ref().and_then(accuracy),
            activity,
            zero_shot: current.as_ref().is_some_and(ModelVersion::is_zero_shot),
        }
    }

    fn retrain_if_due(&mut self, batch_id: i64) {
        let Some(command) = &self.setup.retrain else { return };
        let why_not = match retrain::due(&self.store, &self.setup.config) {
            Ok(due) if due.is_due() => {
                if self.retraining.is_some() {
                    self.held_back = Some(batch_id);
                    Some(
                        "the retrain after an earlier batch is still running; this one starts when it ends".to_string(),
                    )
                } else {
                    retrain::is_running(&self.setup.dir).then(|| "someone else's retrain is running".to_string())
                }
            }
            Ok(due) => Some(due.never.map_or_else(|| due.waiting_for(), str::to_string)),
            Err(e) => Some(format!("cannot tell whether one is due ({e})")),
        };
        if let Some(why) = why_not {
            self.reply(Msg::NotRetrained { after_batch: batch_id, why });
            return;
        }
        let before = self.store.current_model().ok().flatten();
        let mut cmd = Command::new(&command.exe);
        cmd.args(&command.args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // Its own process group: a signal meant for the screen does not stop it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match cmd.spawn() {
            Ok(child) => {
                self.retraining = Some((Some(child), before, batch_id));
                self.reply(Msg::Model(ModelInfo { activity: ModelActivity::Retraining, ..self.model_info() }));
            }
            Err(e) => {
                tracing::warn!("cannot start a background retrain: {e}");
                self.reply(Msg::NotRetrained { after_batch: batch_id, why: format!("cannot start one ({e})") });
            }
        }
    }

    /// When the retrain this screen started is over, says what it changed.
    fn watch_retrain(&mut self) {
        let Some((child, _, _)) = &mut self.retraining else { return };
        let running = match child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => retrain::is_running(&self.setup.dir),
        };
        if running {
            return;
        }
        let Some((_, before, after_batch)) = self.retraining.take() else { return };
        let after = self.store.current_model().ok().flatten();
        match (&before, &after) {
            (b, Some(a)) if b.as_ref().map(|b| b.id) != Some(a.id) => {
                let changed = b.as_ref().and_then(|b| self.store.changed_predictions(b.id, a.id).ok()).unwrap_or(0);
                self.reply(Msg::Retrained(RetrainOutcome {
                    after_batch,
                    before: b.as_ref().and_then(accuracy),
                    after: accuracy(a),
                    version: a.id,
                    changed_predictions: changed,
                }));
            }
            _ => {
                let why = "the retrain ended without a new model (the log says why)".to_string();
                self.reply(Msg::NotRetrained { after_batch, why });
                self.reply(Msg::Model(self.model_info()));
            }
        }
        // The retrain held back for this one can start now, on everything decided since.
        if let Some(batch_id) = self.held_back.take() {
            self.retrain_if_due(batch_id);
        }
    }
}

/// The cross-validated accuracy recorded with a model version.
fn accuracy(model: &ModelVersion) -> Option<f64> {
    serde_json::from_str::<serde_json::Value>(&model.metrics).ok()?.get("accuracy")?.as_f64()
}

/// A metadata object as key and value pairs (nested values as compact JSON).
fn flatten_meta(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        _ => Vec::new(),
    }
}
