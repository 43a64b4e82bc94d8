//! `margin queue`: the annotation queue from the command line, for scripts and headless labelling:
//! `next` serves (or resumes) a batch and reserves its items, and starts a background retrain when one is
//! due; `release` gives reserved items back.

use std::process::ExitCode;

use super::retrain::start_in_background;
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::retrain::due;
use crate::app::serve::next_batch;
use crate::domain::access::Role;
use crate::domain::text::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: QueueCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum QueueCommand {
    /// Serve the next batch (or the unfinished one) and reserve its items for the annotator.
    Next {
        /// Who the items are for, on a shared account (see `margin decide --annotator`). Default: the
        /// account running margin.
        #[arg(long, value_name = "NAME")]
        annotator: Option<String>,
        /// Print one JSON object per item.
        #[arg(long)]
        json: bool,
    },
    /// Give back every item reserved for the annotator.
    Release {
        /// Whose items to give back, on a shared account. Default: the account running margin.
        #[arg(long, value_name = "NAME")]
        annotator: Option<String>,
    },
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Annotator, "queue")?;
    let project = opened.project;
    // Annotators get texts masked as on the screen; experts get them whole.
    let masker =
        (project.config.pii.mask && opened.role < Role::Expert).then(|| project.config.pii.masker()).transpose()?;
    let shown = |text: &str| masker.as_ref().map_or_else(|| text.to_string(), |m| m.mask(text));
    let mut store = open_store(&project)?;
    match args.command {
        QueueCommand::Next { annotator, json } => {
            let annotator = context.person(&project, annotator.as_deref())?;
            let batch = next_batch(&mut store, &project.config, &annotator)?;
            // Retrain in the background when enough decisions have come in; this batch is already served.
            let retraining = due(&store, &project.config)?.is_due() && start_in_background(context, &project)?;
            let multi_label = project.config.task == crate::domain::TaskKind::MultiLabel;
            if json {
                for s in &batch.items {
                    let line = serde_json::json!({
                        "id": s.item.ext_id, "text": shown(&s.item.text), "batch": s.batch_id, "rank": s.rank,
                        "why": s.why.shown(), "score": s.score, "chosen": s.why.describe(s.score, multi_label),
                        "audit": s.audit, "model_version": s.model,
                        "expires": crate::formats::export::rfc3339(s.expires_at_ms),
                    });
                    print_json(&line);
                }
                return Ok(ExitCode::SUCCESS);
            }
            if batch.items.is_empty() {
                say!("Nothing left to label for {}.", visible(&annotator));
                return Ok(ExitCode::SUCCESS);
            }
            let how = if batch.resumed {
                "resumed"
            } else if batch.cold_start {
                "new, cold start"
            } else {
                "new"
            };
            say!("Batch {} for {} ({how}):", batch.items[0].batch_id, visible(&annotator));
            for s in &batch.items {
                let flat: String = shown(&s.item.text).split_whitespace().collect::<Vec<_>>().join(" ");
                let short: String = flat.chars().take(70).collect();
                // The score as people read it: for margin, the gap between the top two labels.
                let score =
                    s.why.shown_score(s.score, multi_label).map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
                say!(
                    "{:>3}. {:<18} {:<15} {:>6}{}  {}",
                    s.rank,
                    visible(&s.item.ext_id),
                    s.why.shown().as_str(),
                    score,
                    if s.audit { " audit" } else { "" },
                    visible(&short)
                );
            }
            say!("{} left for {}, this batch included.", batch.left, visible(&annotator));
            if batch.machine_accepted > 0 {
                say!("The machine accepted {} confident items while routing.", batch.machine_accepted);
            }
            if batch.for_experts > 0 {
                let n = batch.for_experts as u64;
                say!(
                    "{} {} for an expert (confidence below the expert threshold).",
                    crate::domain::text::count(n, "item", "items"),
                    if n == 1 { "waits" } else { "wait" }
                );
            }
            if retraining {
                say!("The model is retraining in the background; the next batch will use it once it is ready.");
            }
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Release { annotator } => {
            let annotator = context.person(&project, annotator.as_deref())?;
            let n = store.release_leases(&annotator)?;
            say!("Released {n} items reserved for {}.", visible(&annotator));
            Ok(ExitCode::SUCCESS)
        }
    }
}
