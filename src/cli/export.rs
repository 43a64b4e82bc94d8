//! `margin export`: writes items with their outcome and every decision, to a file or standard output.
//! A file is written through a temporary file and renamed into place, so it is never half-written.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::{Context, open_store, persist, temp_file_beside};
use crate::domain::{ItemOutcome, TaskKind};
use crate::formats::export::ExportError;
use crate::formats::{ExportFormat, ExportWriter};
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// margin's own: id, text, meta, status, labels, every decision.
    Jsonl,
    /// One row per item: id, text, status, labels, annotators, meta as JSON.
    Csv,
    /// Prodigy-style JSONL: text, label or accept, answer, meta.
    Prodigy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// Only items whose labels are settled.
    Decided,
    /// Every item, whatever its state.
    All,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: FormatArg,

    /// Which items to write.
    #[arg(long, value_enum, default_value = "all")]
    pub only: Only,
}

/// Errors while walking the store and writing: either side can fail.
#[derive(Debug, thiserror::Error)]
enum WalkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Export(#[from] ExportError),
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project()?;
    let mut store = open_store(&project)?;
    let format = match args.format {
        FormatArg::Jsonl => ExportFormat::Jsonl,
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Prodigy => ExportFormat::Prodigy,
    };
    let labels = project.config.labels.iter().map(|l| (l.name.clone(), l.display_name().to_string())).collect();
    let multi_label = project.config.task == TaskKind::MultiLabel;

    let (out, tmp): (Box<dyn Write>, _) = match &args.output {
        Some(path) => {
            let tmp = temp_file_beside(path)?;
            let file = tmp.reopen().with_context(|| format!("{}: cannot write", path.display()))?;
            (Box::new(BufWriter::with_capacity(1 << 20, file)), Some(tmp))
        }
        None => (Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())), None),
    };
    let model = store.current_model()?.map(|m| m.id);
    let mut writer = ExportWriter::new(format, out, multi_label, labels, model)?;
    let mut written = 0u64;
    let walked = store.for_each_item(model, |view| -> Result<(), WalkError> {
        if args.only == Only::Decided && !matches!(view.outcome, ItemOutcome::Decided { .. }) {
            return Ok(());
        }
        writer.write(view)?;
        written += 1;
        Ok(())
    });
    let what = if args.output.is_some() { "export failed; no file was written" } else { "export failed" };
    walked.map_err(anyhow::Error::from).and_then(|()| Ok(writer.finish()?)).context(what)?;
    if let (Some(path), Some(tmp)) = (&args.output, tmp) {
        persist(tmp, path)?;
        eprintln!("Wrote {written} items to {}.", path.display());
    }
    store.log_event(
        &context.user,
        "export",
        &serde_json::json!({
            "format": format.as_str(),
            "only": if args.only == Only::Decided { "decided" } else { "all" },
            "items": written,
            "to": args.output.as_ref().map_or_else(|| "-".to_string(), |p| p.display().to_string()),
        }),
    )?;
    Ok(ExitCode::SUCCESS)
}
