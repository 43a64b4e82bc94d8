//! `margin score`: scores the items the current model has not scored yet through ONNX Runtime, storing
//! each item's probabilities and uncertainty (and, with a committee, vote entropy and KL divergence).

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};

use super::model::load_current;
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::score::{ScoreJob, score_items};
use crate::domain::access::Role;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Score every item not yet scored by the current model, decided ones too (default: pending only).
    #[arg(long)]
    pub all: bool,

    /// Items per batch through ONNX Runtime.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub batch: usize,

    /// Print one JSON object instead of a line.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Annotator, "score")?.project;
    let mut store = open_store(&project)?;
    if project.config.task == crate::domain::TaskKind::Spans {
        return score_spans(context, &project, &mut store, &args);
    }
    let (model, engine, members) = load_current(context, &project, &store)?;
    let total = store.count_items_to_score(model.id, args.all)?;

    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !args.json && !args.quiet {
        ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items scored ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    } else {
        ProgressBar::hidden()
    };
    let db_path = project.db_path();
    let job = ScoreJob {
        db_path: &db_path,
        model_id: model.id,
        engine,
        members,
        classes: project.config.labels.len(),
        multi_label: project.config.task == crate::domain::TaskKind::MultiLabel,
        all: args.all,
        batch: args.batch,
    };
    let report = score_items(job, &mut store, |n| bar.set_position(n));
    bar.finish_and_clear();
    let report = report?;
    let accepted =
        crate::app::serve::build_shortlist(&mut store, &project.config, model.id, crate::app::serve::SHORTLIST_FROM)?;
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { report.scored as f64 / seconds } else { 0.0 };
    if args.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let json = serde_json::json!({
            "model_version": model.id,
            "scored": report.scored,
            "seconds": seconds,
            "items_per_second": rate,
            "machine_accepted": accepted,
            "busy_seconds": {
                "featurize": report.featurize.as_secs_f64(),
                "onnx_runtime": report.infer.as_secs_f64(),
                "store": report.write.as_secs_f64(),
            },
        });
        print_json(&json);
    } else {
        say!("Scored {} items with model version {} in {seconds:.1} s ({rate:.0} items/s).", report.scored, model.id);
        if accepted > 0 {
            say!("The machine accepted {accepted} items at or above the auto-accept threshold.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `margin score` in a span project: the current span model's spans and uncertainty for every pool item
/// it has not scored.
fn score_spans(
    context: &Context,
    project: &crate::app::project::Project,
    store: &mut crate::store::Store,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let runtime = crate::model::Runtime::start(&crate::model::runtime::SearchPlaces::from_environment(
        context.ort_lib.as_deref(),
    ))?;
    let encoder = super::model::project_encoder(context, project, runtime)?;
    let Some(model) = store.current_model()? else {
        anyhow::bail!("no span model yet: label some items (or import labelled ones) and run margin train");
    };
    let report = crate::app::span_train::score_spans(
        &project.dir,
        &project.config,
        store,
        runtime,
        encoder.as_ref(),
        &model,
        |_| {},
    )?;
    if !args.quiet {
        say!(
            "Scored {} with span model version {} in {:.1} s.",
            crate::domain::text::count(report.scored, "item", "items"),
            model.id,
            report.elapsed.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
