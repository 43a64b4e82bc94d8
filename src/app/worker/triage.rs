//! The triage screen's worker: the thread that owns the store for it (loading the cases, carrying out
//! rulings, send-backs, gold marks and guideline examples through `app::triage`, revealing masked text,
//! explaining a case with the current model), answering the screen with `TriageMsg`s so it never waits on
//! the disk or the model.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use super::StartRuntime;
use crate::app::explain::ExplainModel;
use crate::app::project::Project;
use crate::app::reveal::{RevealedOn, reveal};
use crate::app::triage::{self, TriageError};
use crate::app::worker::explain::counterfactual_line;
use crate::domain::guidelines::{reflow, section};
use crate::domain::pii::Masker;
use crate::domain::text::visible;
use crate::domain::triage::GoldAlert;
use crate::domain::{Decision, DecisionAction};
use crate::store::{Store, StoreError, TriageCase};
use crate::tui::inbox::Outbox;
use crate::tui::triage::{TriageCard, TriageEffect, TriageMsg};

pub struct TriageWorker {
    project: Project,
    store: Store,
    user: String,
    masker: Option<Masker>,
    /// Starts ONNX Runtime the first time a case is explained (not before the cases show).
    start_runtime: Option<StartRuntime>,
    /// The current model, loaded to explain; `Some(None)`: there is none, or it would not load.
    explainer: Option<Option<ExplainModel>>,
}

/// A ruling the worker could not carry out.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the item is gone")]
    ItemGone,
    #[error(transparent)]
    Triage(#[from] TriageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TriageWorker {
    /// A worker for `project` on its own store connection, acting as `user`.
    pub fn new(
        project: Project,
        store: Store,
        user: String,
        masker: Option<Masker>,
        start_runtime: StartRuntime,
    ) -> Self {
        TriageWorker { project, store, user, masker, start_runtime: Some(start_runtime), explainer: None }
    }

    /// Carries out the screen's effects until it quits or goes.
    pub fn run(mut self, jobs: Receiver<TriageEffect>, replies: Outbox<TriageMsg>) {
        while let Ok(first) = jobs.recv() {
            // Everything waiting, moves first; of the explanation requests only the newest (the expert has
            // moved on from the others), last, so a ruling never waits behind the model.
            let waiting: Vec<TriageEffect> = std::iter::once(first).chain(jobs.try_iter()).collect();
            let (explains, mut effects): (Vec<_>, Vec<_>) =
                waiting.into_iter().partition(|e| matches!(e, TriageEffect::Explain(_)));
            effects.extend(explains.into_iter().last());
            for effect in effects {
                if !self.handle(effect, &replies) {
                    return;
                }
            }
        }
    }

    /// Carries out one effect and answers it; false when the screen is gone or has quit.
    fn handle(&mut self, effect: TriageEffect, replies: &Outbox<TriageMsg>) -> bool {
        let reply = match effect {
            TriageEffect::Quit => return false,
            TriageEffect::Explain(items) => {
                for item_id in items {
                    let Some(text) = self.explain(item_id) else { continue };
                    if !replies.send(TriageMsg::Explained { item_id, text }) {
                        return false;
                    }
                }
                return true;
            }
            TriageEffect::LoadDashboard => TriageMsg::Dashboard(
                crate::app::dashboard::dashboard(&mut self.store, &self.project.config, None)
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            ),
            TriageEffect::Load => match self.cards() {
                Ok(cards) => TriageMsg::Loaded(cards),
                Err(e) => TriageMsg::LoadFailed(e.to_string()),
            },
            TriageEffect::Reveal { item_id } => match self.reveal(item_id) {
                Ok(text) => TriageMsg::Revealed { item_id, text },
                Err(e) => TriageMsg::RevealFailed(e.to_string()),
            },
            other => {
                let item_id = item_of(&other);
                match self.act(other) {
                    Ok((said, leaves)) => TriageMsg::Done { item_id, said, leaves },
                    Err(e) => TriageMsg::Failed { item_id, error: e.to_string() },
                }
            }
        };
        replies.send(reply)
    }

    fn shown(&self, text: &str) -> String {
        self.masker.as_ref().map_or_else(|| text.to_string(), |m| m.mask(text))
    }

    fn cards(&mut self) -> Result<Vec<TriageCard>, StoreError> {
        let config = &self.project.config;
        let cases = self.store.triage_cases(
            &config.label_names(),
            config.thresholds.override_reason,
            config.quality.gold_alert_rule(),
        )?;
        let current = self.store.current_model()?;
        let guidelines: Vec<String> =
            self.project.guideline_files().iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect();
        let mut cards = Vec::with_capacity(cases.len());
        for case in cases {
            let prediction = match &current {
                Some(m) => {
                    self.store.prediction(m.id, case.item.id)?.map(|p| triage::model_says(config, &p.probabilities))
                }
                None => None,
            };
            cards.push(self.card(case, prediction, &guidelines));
        }
        Ok(cards)
    }

    fn card(&self, case: TriageCase, prediction: Option<(String, f32)>, guidelines: &[String]) -> TriageCard {
        let masked = self.masker.as_ref().map_or(0, |m| m.find(&case.item.text).len());
        // The escalation is among the decisions, with its reason and note.
        // A span item's labels read as their words, from the text masked with its lengths kept.
        let spans_text = (self.project.config.task == crate::domain::TaskKind::Spans).then(|| match &self.masker {
            Some(m) => crate::app::spans::mask_keeping_offsets(m, &case.item.text).0,
            None => case.item.text.clone(),
        });
        let labels_of = |labels: &[String]| match &spans_text {
            Some(text) => crate::domain::spans::describe(text, labels),
            None => labels.join(", "),
        };
        let history = decision_lines(&case.decisions, &|n| self.shown(n), &labels_of);
        // The guideline section in question: the suggested label's, else the model's, else a person's.
        let mut wanted: Vec<String> = Vec::new();
        if let Some((label, _, _)) = &case.suggestion {
            wanted.push(label.clone());
        }
        if let Some((label, _)) = &prediction {
            wanted.push(label.clone());
        }
        wanted.extend(case.decisions.iter().filter_map(|d| d.labels.clone()).flatten());
        let guideline = wanted
            .iter()
            .find_map(|label| {
                let display = self
                    .project
                    .config
                    .labels
                    .iter()
                    .find(|l| &l.name == label)
                    .map_or(label.as_str(), |l| l.display_name());
                guidelines.iter().find_map(|text| section(text, &[label, display]))
            })
            .map(|(heading, text)| (heading, reflow(&text)));
        TriageCard {
            item_id: case.item.id,
            ext_id: case.item.ext_id.clone(),
            text: self.shown(&case.item.text),
            masked,
            revealed: false,
            why: case.kinds.iter().map(|k| k.as_str().to_string()).collect(),
            escalated: case.escalation.is_some(),
            history,
            prediction: prediction.map(|(label, p)| format!("{label} {:.0}%", p * 100.0)),
            explanation: None,
            suggestion: case
                .suggestion
                .map(|(label, given, p)| format!("{label} ({:.0}%; the label has {:.0}%)", p * 100.0, given * 100.0)),
            gold_alert: case.gold_alert.as_ref().map(GoldAlert::describe),
            guideline,
        }
    }

    /// "for ham: "meeting", "question"; against: "prize". without "meeting" it would say spam (61%)", with
    /// no word that is personal data (the screen shows masked text).
    fn explain(&mut self, item_id: i64) -> Option<String> {
        if self.explainer.is_none() {
            let host = self.start_runtime.take().and_then(|start| start().ok());
            let project = &self.project;
            self.explainer = Some(host.and_then(|host| {
                ExplainModel::load(&project.dir, &project.config, &mut self.store, host.runtime, host.encoder.as_ref())
                    .map_err(|e| tracing::warn!("cannot load the model to explain: {e}"))
                    .ok()
                    .flatten()
            }));
        }
        let model = self.explainer.as_mut()?.as_mut()?;
        let text = self.store.item(item_id).ok()??.text;
        let explained = model.explain(&text, Some(item_id), 0).map_err(|e| tracing::warn!("{e}")).ok()?;
        let masked = self.masker.as_ref().map(|m| m.mask_mapped(&text));
        let visible_words = |toward: bool| -> Vec<String> {
            let mut words: Vec<_> = explained
                .words
                .iter()
                .filter(|w| (w.contribution > 0.0) == toward && w.contribution != 0.0)
                .filter(|w| masked.as_ref().is_none_or(|m| m.map_range(w.start, w.end).is_some()))
                .collect();
            words.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            words.into_iter().take(4).map(|w| format!("\"{}\"", w.word)).collect()
        };
        let label = self.project.config.labels.get(explained.predicted).map_or("?", |l| l.display_name());
        let (toward, against) = (visible_words(true), visible_words(false));
        let mut line = format!("for {label}: {}", if toward.is_empty() { "-".into() } else { toward.join(", ") });
        if !against.is_empty() {
            line.push_str(&format!("; against: {}", against.join(", ")));
        }
        if let Some(counterfactual) = counterfactual_line(&text, &explained, masked.as_ref(), &self.project.config) {
            line.push_str(&format!(". {counterfactual}"));
        }
        Some(line)
    }

    fn reveal(&mut self, item_id: i64) -> Result<String, StoreError> {
        reveal(&mut self.store, &self.user, None, item_id, RevealedOn::Triage)
    }

    /// Carries out a move; says what was done and whether the case leaves the queue.
    fn act(&mut self, effect: TriageEffect) -> Result<(String, bool), WorkerError> {
        let item = |store: &Store, item_id| store.item(item_id)?.ok_or(WorkerError::ItemGone);
        Ok(match effect {
            TriageEffect::Resolve { item_id, label, rationale } => {
                // On the screen a ruling is one label; a span item's is its spans (the command line's).
                let stored = item(&self.store, item_id)?;
                let label =
                    triage::check_ruling(&self.project.config, &stored, std::slice::from_ref(&label))?.join(", ");
                triage::resolve(&mut self.store, &self.user, item_id, vec![label.clone()], Some(rationale))?;
                (format!("{} resolved as {label}.", visible(&item(&self.store, item_id)?.ext_id)), true)
            }
            TriageEffect::SendBack { item_id, note } => {
                let stored = item(&self.store, item_id)?;
                triage::send_back(&mut self.store, &self.user, &stored, Some(&note))?;
                (format!("{} is back with the annotators.", visible(&stored.ext_id)), true)
            }
            TriageEffect::AddExample { item_id, label, rationale } => {
                let stored = item(&self.store, item_id)?;
                let masker = self.masker.clone();
                let shown = move |t: &str| masker.as_ref().map_or_else(|| t.to_string(), |m| m.mask(t));
                let file = triage::add_example(
                    &self.project,
                    &mut self.store,
                    &self.user,
                    &stored,
                    &label,
                    &rationale,
                    &shown,
                )?;
                let relative: PathBuf = file.strip_prefix(&self.project.dir).map(PathBuf::from).unwrap_or(file);
                (format!("Added under {label} in {}.", relative.display()), false)
            }
            TriageEffect::MarkGold { item_id, label, rationale } => {
                let rationale = Some(rationale.as_str()).filter(|r| !r.is_empty());
                let stored = item(&self.store, item_id)?;
                let labels = triage::check_ruling(&self.project.config, &stored, std::slice::from_ref(&label))?;
                triage::mark_gold(&mut self.store, &self.user, item_id, &labels, rationale)?;
                (format!("{} is a gold item: {label}.", visible(&item(&self.store, item_id)?.ext_id)), false)
            }
            TriageEffect::Load
            | TriageEffect::Reveal { .. }
            | TriageEffect::Explain(_)
            | TriageEffect::LoadDashboard
            | TriageEffect::Quit => (String::new(), false),
        })
    }
}

fn item_of(effect: &TriageEffect) -> i64 {
    match effect {
        TriageEffect::Resolve { item_id, .. }
        | TriageEffect::SendBack { item_id, .. }
        | TriageEffect::AddExample { item_id, .. }
        | TriageEffect::MarkGold { item_id, .. }
        | TriageEffect::Reveal { item_id } => *item_id,
        TriageEffect::Load | TriageEffect::Explain(_) | TriageEffect::LoadDashboard | TriageEffect::Quit => 0,
    }
}

/// One line per decision: who, what, which labels, why; undone ones marked.
fn decision_lines(
    decisions: &[Decision],
    shown: &dyn Fn(&str) -> String,
    labels_of: &dyn Fn(&[String]) -> String,
) -> Vec<String> {
    let undone: Vec<i64> = decisions.iter().filter_map(|d| d.undoes).collect();
    decisions
        .iter()
        .filter(|d| d.action != DecisionAction::Undo)
        .map(|d| {
            let labels = d.labels.as_ref().map(|l| format!(" {}", labels_of(l))).unwrap_or_default();
            let reason = d.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            let note = d.note.as_deref().map(|n| format!(" - {}", shown(n))).unwrap_or_default();
            let model = d
                .model
                .as_ref()
                .map(|m| format!(" [model said {} {:.0}%]", labels_of(&m.predicted), m.confidence * 100.0))
                .unwrap_or_default();
            let undone = if undone.contains(&d.id) { " (undone)" } else { "" };
            format!("{}: {}{labels}{reason}{note}{model}{undone}", d.annotator, d.action.as_str())
        })
        .collect()
}
