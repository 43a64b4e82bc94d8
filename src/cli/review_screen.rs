//! `margin review` on a terminal: the review screen, with its worker on its own thread.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::mpsc::channel;

use anyhow::Context as _;

use super::Context;
use super::annotate::{colour_wanted, label_views, load_keymap};
use crate::app::project::Project;
use crate::app::worker::review::ReviewWorker;
use crate::app::worker::start_runtime_later;
use crate::domain::access::Role;
use crate::domain::review::ReviewFilter;
use crate::domain::text::visible;
use crate::model::runtime::SearchPlaces;
use crate::store::Store;
use crate::tui::inbox::inbox;
use crate::tui::review::{ReviewApp, ReviewConfig, ReviewEffect, ReviewMsg};

/// Opens the screen on `filter`; `only_person`: an annotator, who reviews only their own decisions.
pub fn open(
    context: &Context,
    project: &Project,
    role: Role,
    store: Store,
    filter: ReviewFilter,
    only_person: Option<String>,
) -> anyhow::Result<ExitCode> {
    let keymap = load_keymap(Some(project))?;
    let config = &project.config;
    let encoder = super::model::encoder_manifest(context, project)?;
    let screen = ReviewConfig {
        project: config.name.clone(),
        reviewer: context.user.clone(),
        labels: label_views(config),
        can_relabel: config.roles.is_none() || role >= Role::Expert,
        can_search_meaning: encoder.is_some(),
        color: colour_wanted(),
        only_person,
    };
    // Texts masked as on the annotation screen, for those who see them masked.
    let masker = (config.pii.mask && role < Role::Expert).then(|| config.pii.masker()).transpose()?;
    let start = start_runtime_later(SearchPlaces::from_environment(context.ort_lib.as_deref()), encoder);
    let worker = ReviewWorker::new(project.clone(), store, context.user.clone(), masker, start);
    let (replies_tx, replies) = inbox::<ReviewMsg>().context("cannot set up the screen's inbox")?;
    let (jobs, jobs_rx) = channel();
    let thread = std::thread::Builder::new()
        .name("margin-review".into())
        .spawn(move || worker.run(jobs_rx, replies_tx))
        .context("cannot start the review worker")?;
    let result = crate::tui::run(
        ReviewApp::new(screen, keymap, filter),
        &mut |effect| {
            let _ = jobs.send(effect);
        },
        &replies,
    );
    let _ = jobs.send(ReviewEffect::Quit);
    let _ = thread.join();
    let app = result?;
    if app.relabelled > 0 {
        let _ = writeln!(std::io::stdout(), "{} re-labels by {} this session.", app.relabelled, visible(&context.user));
    }
    Ok(ExitCode::SUCCESS)
}
