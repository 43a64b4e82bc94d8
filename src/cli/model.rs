//! `margin model`: the project's model versions (list them; adopt a bring-your-own model with its
//! manifest), and loading the current model for the commands that score.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail};

use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::embed::load_project_encoder;
use crate::app::project::Project;
use crate::app::score::load_engines;
use crate::config::DEFAULT_ENCODER;
use crate::domain::access::Role;
use crate::domain::{ModelKind, TaskKind};
use crate::model::ModelError;
use crate::model::Runtime;
use crate::model::encoder::SharedEncoder;
use crate::model::engine::Engine;
use crate::model::external::{EXTERNAL, ExternalModel};
use crate::model::files::sha256_of;
use crate::model::runtime::SearchPlaces;
use crate::store::{ModelVersion, NewModelVersion, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ModelCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// List the model versions, newest first, with their metrics; the current one is marked.
    List {
        /// Print one JSON object per version.
        #[arg(long)]
        json: bool,
    },
    /// Make a bring-your-own ONNX model (described by a TOML manifest) the current model.
    Use {
        /// The manifest: file, labels, input kind, input and output names (see the README).
        manifest: PathBuf,
    },
}

/// The project's sentence encoder for a command that trains, scores or explains: `None` when the project
/// uses none, or (with a note on stderr saying how to get it) when it uses the default one and it is not
/// installed; an error when margin.toml names one that cannot be loaded.
pub fn project_encoder(
    context: &Context,
    project: &Project,
    runtime: &Runtime,
) -> anyhow::Result<Option<SharedEncoder>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    match load_project_encoder(project, context.encoder.as_deref(), runtime, threads) {
        Ok(encoder) => Ok(encoder),
        Err(ModelError::EncoderNotFound { .. }) if project.config.model.encoder == DEFAULT_ENCODER => {
            tell!("{NO_ENCODER_NOTE}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The manifest of the project's sentence encoder, for a screen to load in the background: `None` when the
/// project uses none, or (with the same note as [`project_encoder`]) when the default one is not installed.
pub fn encoder_manifest(context: &Context, project: &Project) -> anyhow::Result<Option<PathBuf>> {
    match crate::app::embed::project_encoder(project, context.encoder.as_deref()) {
        Ok(manifest) => Ok(manifest),
        Err(ModelError::EncoderNotFound { .. }) if project.config.model.encoder == DEFAULT_ENCODER => {
            tell!("{NO_ENCODER_NOTE}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Said once by a command that would use the default encoder and finds none.
const NO_ENCODER_NOTE: &str = "note: no sentence encoder is installed, so the model learns from words alone; \
                               scripts/setup fetches one (or set [model] encoder = \"none\" in margin.toml)";

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (needed, command) = match &args.command {
        ModelCommand::List { .. } => (Role::Annotator, "model list"),
        ModelCommand::Use { .. } => (Role::Admin, "model use"),
    };
    let project = context.open_project_as(needed, command)?.project;
    let mut store = open_store(&project)?;
    match args.command {
        ModelCommand::List { json } => list(&store, json),
        ModelCommand::Use { manifest } => {
            let runtime = start_runtime(context)?;
            let manifest = std::path::absolute(&manifest).unwrap_or(manifest);
            let labels = label_names(&project);
            let multi = project.config.task == TaskKind::MultiLabel;
            // A span project takes a token classifier with its tokenizer; the others a text classifier.
            let model_file = if project.config.task == TaskKind::Spans {
                let model = crate::model::token_classifier::TokenClassifier::load(runtime, &manifest, &labels)?;
                model.model_file().to_path_buf()
            } else {
                ExternalModel::load(runtime, &manifest, &labels, multi)?.model_file().to_path_buf()
            };
            let model_file = manifest.parent().unwrap_or(Path::new(".")).join(model_file);
            let path = manifest.strip_prefix(&project.dir).map(Path::to_path_buf).unwrap_or(manifest.clone());
            let version = store.add_model(
                &NewModelVersion {
                    kind: ModelKind::External,
                    path: path.display().to_string(),
                    sha256: sha256_of(&model_file)?,
                    labels,
                    train_size: 0,
                    metrics: "null".into(),
                    trained_by: context.user.clone(),
                    trained_on: EXTERNAL.into(),
                    decisions_upto: None,
                    data_as_of: None,
                },
                &[],
            )?;
            say!("Model version {version} is now {} (from {}).", model_file.display(), manifest.display());
            say!("Next: margin score --project {}", project.dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let current = store.current_model()?.map(|m| m.id);
    let versions = store.model_versions()?;
    if versions.is_empty() {
        bail!("no model versions yet; train one with `margin train`");
    }
    for v in versions.iter().rev() {
        let metrics: serde_json::Value = serde_json::from_str(&v.metrics).unwrap_or(serde_json::Value::Null);
        if json {
            let line = serde_json::json!({
                "version": v.id, "current": current == Some(v.id), "kind": v.kind, "path": v.path,
                "trained_on": v.trained_on, "examples": v.train_size, "metrics": metrics,
                "committee_of": v.parent_id, "pruned": v.pruned,
                "created": crate::formats::export::rfc3339(v.created_at_ms),
            });
            print_json(&line);
            continue;
        }
        let accuracy = metrics.get("accuracy").and_then(serde_json::Value::as_f64);
        say!(
            "{} {:>4}  {:<17} {}  {}{}{}",
            if current == Some(v.id) { "*" } else { " " },
            v.id,
            v.kind,
            crate::formats::export::rfc3339(v.created_at_ms),
            match accuracy {
                _ if v.is_zero_shot() => "zero-shot: from the label descriptions, not calibrated".to_string(),
                Some(a) => format!("accuracy {:.1}% on {} examples", a * 100.0, v.train_size),
                None => format!("{} examples", v.train_size),
            },
            v.parent_id.map_or(String::new(), |p| format!(", committee of {p}")),
            if v.pruned { ", file pruned" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn start_runtime(context: &Context) -> anyhow::Result<&'static Runtime> {
    Ok(Runtime::start(&SearchPlaces::from_environment(context.ort_lib.as_deref()))?)
}

pub(super) fn label_names(project: &Project) -> Vec<String> {
    project.config.label_names()
}

/// The current model ready to score, with its committee members; an error says how to get one.
pub(super) fn load_current(
    context: &Context,
    project: &Project,
    store: &Store,
) -> anyhow::Result<(ModelVersion, Engine, Vec<Engine>)> {
    let model = store
        .current_model()?
        .ok_or_else(|| anyhow!("no model yet; train one with `margin train` (or `margin train --reference`)"))?;
    let runtime = start_runtime(context)?;
    let encoder = project_encoder(context, project, runtime)?;
    let (engine, members) = load_engines(&project.dir, &project.config, store, runtime, encoder.as_ref(), &model)?;
    Ok((model, engine, members))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model module names bring-your-own models by the string `EXTERNAL`; the store by the kind.
    #[test]
    fn external_models_are_stored_under_the_external_kind() {
        assert_eq!(ModelKind::parse(EXTERNAL), Ok(ModelKind::External));
    }
}
