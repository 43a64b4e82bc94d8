//! `margin train`: learns a model from people's settled decisions (or, with `--reference`, from imported
//! labels), reports its cross-validated accuracy, macro-F1 and calibration, writes it as an ONNX file,
//! checks that ONNX Runtime loads it, and makes it the current model.

use std::process::ExitCode;

use anyhow::bail;

use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::retrain::{RetrainError, RetrainLock};
use crate::app::train::{MODELS_DIR, TrainOptions, train_new_version};
use crate::domain::TaskKind;
use crate::domain::access::Role;
use crate::model::Runtime;
use crate::model::runtime::SearchPlaces;
use crate::store::LabelSource;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Learn from the labels an import brought (the reference set) instead of people's decisions.
    #[arg(long)]
    pub reference: bool,

    /// Committee members to train on bootstrap resamples (default: model.committee in margin.toml).
    #[arg(long, value_name = "K")]
    pub committee: Option<u32>,

    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Admin, "train")?.project;
    let mut store = open_store(&project)?;
    let source = if args.reference { LabelSource::Reference } else { LabelSource::Decisions };
    if args.committee == Some(1) {
        bail!("--committee: a committee needs at least 2 members (or 0 for none)");
    }
    let runtime = Runtime::start(&SearchPlaces::from_environment(context.ort_lib.as_deref()))?;
    // One training at a time: a retrain running now finishes first, then this one reads the data it left.
    let _lock = wait_for_lock(&project.dir, args.quiet || args.json)?;
    let options = TrainOptions {
        source,
        committee: args.committee.map(|k| k as usize),
        user: context.user.clone(),
        make_current: true,
    };
    let encoder = super::model::project_encoder(context, &project, runtime)?;
    let trained = if project.config.task == crate::domain::TaskKind::Spans {
        crate::app::span_train::train_span_version(
            &project.dir,
            &project.config,
            &mut store,
            runtime,
            encoder.as_ref(),
            &options,
        )?
    } else {
        train_new_version(&project.dir, &project.config, &mut store, runtime, encoder.as_ref(), &options)?
    };
    let version = trained.version;
    let seconds = trained.seconds;
    let metrics = &trained.metrics;
    let label_names: Vec<String> = project.config.label_names();
    if args.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let json = serde_json::json!({
            "model_version": version,
            "path": trained.path,
            "source": source.as_str(),
            "examples": trained.examples,
            "skipped": trained.skipped,
            "committee": trained.committee,
            "metrics": metrics,
            "seconds": seconds,
        });
        print_json(&json);
        return Ok(ExitCode::SUCCESS);
    }
    let what = match source {
        LabelSource::Decisions => "decided items",
        LabelSource::Reference => "items with reference labels",
        LabelSource::Combined => "decided items and items with reference labels",
    };
    say!(
        "Trained model version {version} on {} {what} ({} labels{}) in {seconds:.1} s.",
        trained.examples,
        label_names.len(),
        if project.config.task == TaskKind::MultiLabel { ", multi-label" } else { "" }
    );
    match metrics {
        Some(m) => say!(
            "  cross-validated ({} folds): accuracy {:.1}%, macro-F1 {:.3}, calibration error {:.3} ({:.3} before; temperature {:.2})",
            m.folds,
            m.accuracy * 100.0,
            m.macro_f1,
            m.ece,
            m.ece_uncalibrated,
            m.temperature
        ),
        None => say!("  too few examples per label to cross-validate; confidence is not calibrated yet"),
    }
    if trained.skipped > 0 {
        say!("  {} items were left out: their labels are no longer in margin.toml", trained.skipped);
    }
    if trained.committee > 0 {
        say!("  committee: {} members trained on bootstrap resamples", trained.committee);
    }
    say!("  file: {}", trained.path);
    Ok(ExitCode::SUCCESS)
}

/// Takes the lock `retrain` takes, waiting (and saying so once, unless `quiet`) while a retrain holds it.
fn wait_for_lock(dir: &std::path::Path, quiet: bool) -> anyhow::Result<RetrainLock> {
    let mut said = false;
    loop {
        match RetrainLock::acquire(&dir.join(MODELS_DIR)) {
            Ok(lock) => return Ok(lock),
            Err(RetrainError::Busy(path)) => {
                if !said && !quiet {
                    tell!("Waiting for the retrain that is running to finish ({})...", path.display());
                }
                said = true;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
}
