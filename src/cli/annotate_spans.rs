//! `margin annotate` in a span project: opens the span screen with its worker, and prints a one-line
//! account when it closes.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use super::open_store;
use crate::app::project::Project;
use crate::app::worker::annotate::RetrainCommand;
use crate::app::worker::spans::{SpanSetup, SpanWorker};
use crate::domain::text::{count, visible};
use crate::tui::keymap::Keymap;
use crate::tui::spans::state::{SpanApp, SpanScreenConfig};
use crate::tui::widgets::LabelView;

/// What the span screen is set up with, from the annotation screen's setup.
pub(super) struct SpanScreenSetup {
    pub keymap: Keymap,
    pub labels: Vec<LabelView>,
    pub color: bool,
    pub retrain: Option<RetrainCommand>,
}

/// Runs the span screen on `project` for `annotator`.
pub(super) fn open_span_screen(project: &Project, annotator: &str, with: SpanScreenSetup) -> anyhow::Result<ExitCode> {
    let SpanScreenSetup { keymap, labels, color, retrain } = with;
    let store = open_store(project)?;
    let c = &project.config;
    let config = SpanScreenConfig {
        project: c.name.clone(),
        annotator: annotator.to_string(),
        labels,
        overlap: c.spans.overlap,
        escalate_reasons: c.reasons.escalate.clone(),
        color,
    };
    let masker = if c.pii.mask { Some(c.pii.masker()?) } else { None };
    let app = SpanApp::new(config, keymap, (80, 24), 0);
    let (replies_tx, replies) = crate::tui::inbox::inbox().context("cannot set up the screen's inbox")?;
    let setup =
        SpanSetup { dir: project.dir.clone(), config: c.clone(), annotator: annotator.to_string(), masker, retrain };
    let worker = SpanWorker::start(setup, store, open_store(project)?, replies_tx);
    let result = crate::tui::run(app, &mut |effect| worker.send(effect), &replies);
    worker.finish();
    let app = result?;
    // The terminal may be gone (a dropped connection): a failed write here is no error.
    let _ = writeln!(
        std::io::stdout(),
        "{} by {} this session, all saved in {}.",
        count(app.decided, "decision", "decisions"),
        visible(annotator),
        visible(&project.db_path().display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
