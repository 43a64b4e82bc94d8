//! `margin train`: learns a model from people's settled decisions (or, with `--reference`, from imported
//! labels), reports its cross-validated accuracy, macro-F1 and calibration, writes it as an ONNX file,
//! checks that ONNX Runtime loads it, and makes it the current model.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};

use super::{Context, open_store};
use crate::domain::TaskKind;
use crate::model::Runtime;
use crate::model::export::linear_to_onnx;
use crate::model::files::write_model;
use crate::model::fit::{FitRequest, fit};
use crate::model::onnx::encode;
use crate::model::runtime::SearchPlaces;
use crate::model::scorer::Scorer;
use crate::model::train::TrainSettings;
use crate::store::{LabelSource, NewModelVersion};

/// Where model files live inside a project.
pub const MODELS_DIR: &str = "models";

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
    let started = Instant::now();
    let project = context.open_project()?;
    let mut store = open_store(&project)?;
    let source = if args.reference { LabelSource::Reference } else { LabelSource::Decisions };
    let examples = store.training_examples(source)?;
    if examples.is_empty() {
        bail!(match source {
            LabelSource::Decisions =>
                "nothing to learn from yet: no item has settled labels; label some items, \
                                       or train on imported labels with --reference",
            LabelSource::Reference =>
                "nothing to learn from: no item has reference labels; import a file with a \
                                       label field (see --label-key), or train on decisions without --reference",
        });
    }
    let settings = &project.config.model;
    let committee = args.committee.unwrap_or(settings.committee) as usize;
    if committee == 1 {
        bail!("--committee: a committee needs at least 2 members (or 0 for none)");
    }
    let label_names: Vec<String> = project.config.labels.iter().map(|l| l.name.clone()).collect();
    let trained_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let request = FitRequest {
        texts: examples.iter().map(|e| e.text.as_str()).collect(),
        labels: examples.iter().map(|e| e.labels.as_slice()).collect(),
        label_names: &label_names,
        task: project.config.task,
        bits: settings.hash_bits,
        settings: TrainSettings { c: settings.c, epochs: settings.epochs, seed: settings.seed },
        folds: settings.folds as usize,
        committee,
        source: source.as_str(),
        trained_at: trained_at.clone(),
    };
    let fitted = fit(&request)?;

    // Write the files, and load each through ONNX Runtime before anything points at it.
    let runtime = Runtime::start(&SearchPlaces::from_environment(context.ort_lib.as_deref()))?;
    let dir = project.dir.join(MODELS_DIR);
    let stem: String = trained_at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let write = |model: &crate::model::linear::LinearModel, card, suffix: &str| -> anyhow::Result<NewModelVersion> {
        let written = write_model(&dir, &format!("{stem}{suffix}"), &encode(&linear_to_onnx(model, card)))?;
        Scorer::load(runtime, &written.path, &label_names, 1)
            .with_context(|| format!("{}: the model just written does not load", written.path.display()))?;
        let relative = Path::new(MODELS_DIR).join(written.path.file_name().unwrap_or_default());
        Ok(NewModelVersion {
            kind: if suffix.is_empty() { "linear".into() } else { "committee-member".into() },
            path: relative.display().to_string(),
            sha256: written.sha256,
            labels: label_names.clone(),
            train_size: card.training.examples,
            metrics: serde_json::to_string(&card.metrics).unwrap_or_else(|_| "null".into()),
            trained_by: context.user.clone(),
            trained_on: source.as_str().into(),
        })
    };
    let main = write(&fitted.model, &fitted.card, "")?;
    let members = fitted
        .members
        .iter()
        .enumerate()
        .map(|(i, (model, card))| write(model, card, &format!("-c{}", i + 1)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let version = store.add_model(&main, &members)?;

    for pruned in store.prune_models(settings.keep_versions as usize)? {
        let file = project.dir.join(&pruned.path);
        if let Err(e) = std::fs::remove_file(&file) {
            tracing::warn!("could not remove pruned model {}: {e}", file.display());
        }
    }

    let seconds = started.elapsed().as_secs_f64();
    let metrics = &fitted.card.metrics;
    if args.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        let json = serde_json::json!({
            "model_version": version,
            "path": main.path,
            "source": source.as_str(),
            "examples": fitted.card.training.examples,
            "skipped": fitted.skipped,
            "committee": members.len(),
            "metrics": metrics,
            "seconds": seconds,
        });
        println!("{json}");
        return Ok(ExitCode::SUCCESS);
    }
    let what = match source {
        LabelSource::Decisions => "decided items",
        LabelSource::Reference => "items with reference labels",
    };
    println!(
        "Trained model version {version} on {} {what} ({} labels{}) in {seconds:.1} s.",
        fitted.card.training.examples,
        label_names.len(),
        if project.config.task == TaskKind::MultiLabel { ", multi-label" } else { "" }
    );
    match metrics {
        Some(m) => println!(
            "  cross-validated ({} folds): accuracy {:.1}%, macro-F1 {:.3}, calibration error {:.3} ({:.3} before; temperature {:.2})",
            m.folds,
            m.accuracy * 100.0,
            m.macro_f1,
            m.ece,
            m.ece_uncalibrated,
            m.temperature
        ),
        None => println!("  too few examples per label to cross-validate; confidence is not calibrated yet"),
    }
    if fitted.skipped > 0 {
        println!("  {} items were left out: their labels are no longer in margin.toml", fitted.skipped);
    }
    if !members.is_empty() {
        println!("  committee: {} members trained on bootstrap resamples", members.len());
    }
    println!("  file: {}", main.path);
    Ok(ExitCode::SUCCESS)
}
