//! The review screen's worker: the thread that owns the store for it (pages of decided items, counts, an
//! item's history, re-labelling) and, on the first search by meaning, ONNX Runtime and the sentence
//! encoder, answering the screen with `ReviewMsg`s so it never waits on the disk or the model. Texts are
//! masked here for people who see them masked.

use std::sync::mpsc::Receiver;

use super::{ModelHost, StartRuntime};
use crate::app::project::Project;
use crate::app::review::{ModelNow, model_now, rank_by_meaning};
use crate::domain::pii::Masker;
use crate::domain::review::{ReviewFilter, ReviewRow, history_lines};
use crate::domain::text::visible;
use crate::store::{Store, StoreError};
use crate::tui::inbox::Outbox;
use crate::tui::review::{PAGE, ReviewEffect, ReviewMsg, Scope};

pub struct ReviewWorker {
    project: Project,
    store: Store,
    user: String,
    masker: Option<Masker>,
    start_runtime: Option<StartRuntime>,
    /// ONNX Runtime and the encoder, once a search by meaning started them; `Err`: why there are none.
    model: Option<Result<ModelHost, String>>,
}

impl ReviewWorker {
    /// A worker for `project` on its own store connection, acting as `user`.
    pub fn new(
        project: Project,
        store: Store,
        user: String,
        masker: Option<Masker>,
        start_runtime: StartRuntime,
    ) -> Self {
        ReviewWorker { project, store, user, masker, start_runtime: Some(start_runtime), model: None }
    }

    /// Carries out the screen's effects until it quits or goes.
    pub fn run(mut self, jobs: Receiver<ReviewEffect>, replies: Outbox<ReviewMsg>) {
        while let Ok(effect) = jobs.recv() {
            let reply = match effect {
                ReviewEffect::Quit => return,
                ReviewEffect::Load { query, filter, like, before } => {
                    self.load(query, &filter, like.as_deref(), before)
                }
                ReviewEffect::Count { query, filter } => match self.store.review_count(&filter) {
                    Ok(count) => ReviewMsg::Count { query, count },
                    Err(e) => ReviewMsg::Failed(format!("Cannot count: {e}")),
                },
                ReviewEffect::History(item_id) => self.history(item_id),
                ReviewEffect::Relabel { scope, label, reason } => self.relabel(&scope, &label, &reason),
            };
            if !replies.send(reply) {
                return;
            }
        }
    }

    fn load(&mut self, query: u64, filter: &ReviewFilter, like: Option<&str>, before: Option<(i64, i64)>) -> ReviewMsg {
        let rows = match like {
            None => self.store.review_page(filter, before, PAGE).map(|rows| {
                // A full page: another may follow.
                let more = rows.len() == PAGE;
                (rows, more)
            }),
            Some(text) => match self.closest(filter, text) {
                Ok(rows) => Ok((rows, false)),
                Err(message) => return ReviewMsg::Failed(message),
            },
        };
        match rows {
            Ok((mut rows, more)) => {
                if let Some(masker) = &self.masker {
                    for row in &mut rows {
                        row.text = masker.mask(&row.text);
                    }
                }
                ReviewMsg::Page { query, rows, more }
            }
            Err(e) => ReviewMsg::Failed(format!("Cannot load the items: {e}")),
        }
    }

    /// The PAGE items the filter finds that are closest in meaning to `text`.
    fn closest(&mut self, filter: &ReviewFilter, text: &str) -> Result<Vec<ReviewRow>, String> {
        if self.model.is_none() {
            let start = self.start_runtime.take().ok_or("ONNX Runtime did not start")?;
            self.model = Some(start());
        }
        let host = self
            .model
            .as_ref()
            .and_then(|m| m.as_ref().ok())
            .ok_or_else(|| self.model.as_ref().and_then(|m| m.as_ref().err().cloned()).unwrap_or_default())?;
        let encoder = host.encoder.clone().ok_or("the sentence encoder did not load; `margin doctor` says why")?;
        let mut encoder = encoder.lock().map_err(|_| "the sentence encoder failed earlier".to_string())?;
        let candidates = self.store.review_ids(filter).map_err(|e| e.to_string())?;
        let ranked =
            rank_by_meaning(&mut self.store, &mut encoder, text, &candidates, PAGE).map_err(|e| e.to_string())?;
        let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
        self.store.review_rows(&ids).map_err(|e| e.to_string())
    }

    fn history(&mut self, item_id: i64) -> ReviewMsg {
        let decisions = match self.store.decisions_for(item_id) {
            Ok(d) => d,
            Err(e) => return ReviewMsg::Failed(format!("Cannot read the history: {e}")),
        };
        let mut lines = history_lines(&decisions);
        if let Ok(Some(item)) = self.store.item(item_id) {
            let text = self.masker.as_ref().map_or_else(|| item.text.clone(), |m| m.mask(&item.text));
            let mut head = vec![text, String::new()];
            if let Some(reference) = &item.reference_labels {
                head.push(format!("reference labels: {}", reference.join("+")));
            }
            if item.gold {
                head.push("a gold item".to_string());
            }
            lines.splice(0..0, head);
        }
        if let Ok(now) = self.model_now(item_id) {
            lines.push(now);
        }
        ReviewMsg::History { item_id, lines }
    }

    /// What the current model says about the item now, as a line of its history.
    fn model_now(&self, item_id: i64) -> Result<String, StoreError> {
        Ok(match model_now(&self.store, &self.project.config, item_id)? {
            None => "model now: none".to_string(),
            Some(ModelNow { version, said: None }) => format!("model now (version {version}): not scored"),
            Some(ModelNow { version, said: Some((labels, confidence)) }) => {
                format!("model now (version {version}): {} {:.0}%", labels.join("+"), confidence * 100.0)
            }
        })
    }

    fn relabel(&mut self, scope: &Scope, label: &str, reason: &str) -> ReviewMsg {
        if self.project.config.task == crate::domain::TaskKind::Spans {
            // A span item's labels are its spans: one label name would replace them with nonsense.
            return ReviewMsg::Failed(
                "Not re-labelled: a span item's labels are its spans; rule on it with `margin triage resolve ITEM \
                 --label START:END:LABEL ...`"
                    .into(),
            );
        }
        let ids = match scope {
            Scope::One { item_id, .. } => Ok(vec![*item_id]),
            Scope::Filtered { filter, .. } => self.store.review_ids(filter),
        };
        let done = ids.and_then(|ids| self.store.relabel(&ids, &[label.to_string()], &self.user, reason, None));
        match done {
            Ok(done) => ReviewMsg::Relabelled {
                said: format!(
                    "Re-labelled {} as {} ({} already were), each a ruling by {} in the audit trail.",
                    plural(done.changed),
                    visible(label),
                    done.unchanged,
                    visible(&self.user)
                ),
                changed: done.changed,
            },
            Err(e) => ReviewMsg::Failed(format!("Not re-labelled: {e}")),
        }
    }
}

fn plural(n: u64) -> String {
    if n == 1 { "1 item".to_string() } else { format!("{n} items") }
}
