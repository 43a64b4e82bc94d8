//! `margin export`: writes items with their outcome and every decision, to a file or standard output.
//! A file is written through a temporary file and renamed into place, so it is never half-written.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::output::{OutputTarget, check_target};
use super::terminal::TerminalSafe;
use super::{Context, open_store};
use crate::app::files::{persist, temp_file_beside};
use crate::domain::access::Role;
use crate::domain::audit::event::{AuditEvent, EventKind, Export};
use crate::domain::pii::Masker;
use crate::domain::text::visible;
use crate::domain::{Decision, ItemOutcome, ItemView, StoredItem, TaskKind};
use crate::formats::export::ExportError;
use crate::formats::{ExportFormat, ExportWriter};
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// margin's own: id, text, meta, status, labels, every decision.
    Jsonl,
    /// One row per item: id, text, status, labels, annotators, meta as JSON.
    Csv,
    /// Prodigy-style JSONL: text, label or accept, answer, meta (span projects: text, tokens, spans).
    Prodigy,
    /// Span projects: spaCy's JSONL (text, entities as [start, end, label]).
    Spacy,
    /// Span projects: CoNLL / IOB2, a token and its tag per line.
    Conll,
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

    /// jsonl (every field and decision), csv (one row per item) or prodigy (Prodigy-style JSONL); span
    /// projects also spacy and conll. The span formats write only items whose spans are settled.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: FormatArg,

    /// Which items to write.
    #[arg(long, value_enum, default_value = "all")]
    pub only: Only,

    /// Mask personal data (e-mail addresses, phone and card numbers, IBANs, IP addresses and the project's
    /// `[pii]` patterns) in texts, metadata and notes. Without it, a project that masks on screen needs an
    /// expert to export.
    #[arg(long)]
    pub mask: bool,

    /// Replace the output file even if it is not an earlier export of this project (never one of the
    /// project's own files).
    #[arg(long)]
    pub force: bool,
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
    // Unmasked text is for experts when the project masks it on annotators' screens.
    let project = context.open_project()?;
    let needed = if args.mask || !project.config.pii.mask { Role::Annotator } else { Role::Expert };
    context.authorize(&project, needed, if args.mask { "export --mask" } else { "export" })?;
    let masker = if args.mask { Some(project.config.pii.masker()?) } else { None };
    let mut store = open_store(&project)?;
    let spans = project.config.task == TaskKind::Spans;
    let format = match (args.format, spans) {
        (FormatArg::Jsonl, _) => ExportFormat::Jsonl,
        (FormatArg::Csv, _) => ExportFormat::Csv,
        (FormatArg::Prodigy, false) => ExportFormat::Prodigy,
        (FormatArg::Prodigy, true) => ExportFormat::ProdigySpans,
        (FormatArg::Spacy, true) => ExportFormat::Spacy,
        (FormatArg::Conll, true) => ExportFormat::Conll,
        (FormatArg::Spacy | FormatArg::Conll, false) => anyhow::bail!(
            "--format spacy and conll write spans, and this project labels whole texts; use jsonl, csv or prodigy"
        ),
    };
    let labels = project.config.labels.iter().map(|l| (l.name.clone(), l.display_name().to_string())).collect();
    let multi_label = project.config.task == TaskKind::MultiLabel;

    let target = match &args.output {
        Some(path) => Some(check_target(&project, path, "an export", args.force, |resolved| {
            // An export's event records the resolved path as its `to`, so the next export may replace it.
            Ok(store.wrote_to(EventKind::Export, &resolved.display().to_string())?)
        })?),
        None => None,
    };
    let (out, tmp): (Box<dyn Write>, _) = match &target {
        Some(OutputTarget::File(path)) => {
            let tmp = temp_file_beside(path)?;
            let file = tmp.reopen().with_context(|| format!("{}: cannot write", path.display()))?;
            (Box::new(BufWriter::with_capacity(1 << 20, file)), Some(tmp))
        }
        Some(OutputTarget::Stream(path)) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("{}: cannot write", path.display()))?;
            let terminal = file.is_terminal();
            (for_terminal(BufWriter::with_capacity(1 << 20, file), terminal, format), None)
        }
        None => {
            let terminal = std::io::stdout().is_terminal();
            (for_terminal(BufWriter::with_capacity(1 << 20, std::io::stdout().lock()), terminal, format), None)
        }
    };
    let model = store.current_model()?.map(|m| m.id);
    let mut writer = ExportWriter::new(format, out, multi_label, labels, model)?;
    let mut written = 0u64;
    let walked = store.for_each_item(model, |view| -> Result<(), WalkError> {
        let settled_only = args.only == Only::Decided || format.is_spans();
        if settled_only && !matches!(view.outcome, ItemOutcome::Decided { .. }) {
            return Ok(());
        }
        match &masker {
            Some(masker) => {
                // A span's offsets must still point at its words: masked data keeps its length there.
                let text = if spans {
                    crate::app::spans::mask_keeping_offsets(masker, &view.item.text).0
                } else {
                    masker.mask(&view.item.text)
                };
                let item = StoredItem {
                    text,
                    meta: view.item.meta.as_deref().map(|m| mask_json_strings(masker, m)),
                    ..view.item.clone()
                };
                let decisions: Vec<Decision> = view
                    .decisions
                    .iter()
                    .map(|d| Decision { note: d.note.as_deref().map(|n| masker.mask(n)), ..d.clone() })
                    .collect();
                writer.write(&ItemView { item: &item, decisions: &decisions, ..*view })?;
            }
            None => writer.write(view)?,
        }
        written += 1;
        Ok(())
    });
    let what = if args.output.is_some() { "export failed; no file was written" } else { "export failed" };
    walked.map_err(anyhow::Error::from).and_then(|()| Ok(writer.finish()?)).context(what)?;
    if let (Some(path), Some(tmp)) = (&args.output, tmp) {
        persist(tmp, target.as_ref().map_or(path.as_path(), OutputTarget::path))?;
        tell!("Wrote {written} items to {}.", visible(&path.display().to_string()));
    }
    if store.is_read_only() {
        return Ok(ExitCode::SUCCESS);
    }
    let event = AuditEvent::Export(Export {
        format: format.as_str().to_string(),
        only: if args.only == Only::Decided { "decided" } else { "all" }.to_string(),
        items: written,
        masked: args.mask,
        to: target.as_ref().map_or_else(|| "-".to_string(), |t| t.path().display().to_string()),
    });
    store.log_event(&context.user, &event)?;
    Ok(ExitCode::SUCCESS)
}

/// `out` as is, or, when it is a terminal, escaping what could steer it (files keep the data as it is).
fn for_terminal<'a>(out: impl Write + 'a, terminal: bool, format: ExportFormat) -> Box<dyn Write + 'a> {
    if terminal { Box::new(TerminalSafe::new(out, format != ExportFormat::Csv)) } else { Box::new(out) }
}

/// A metadata object with every string value in it masked (keys and other values as they were).
fn mask_json_strings(masker: &Masker, json: &str) -> String {
    fn walk(masker: &Masker, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = masker.mask(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(masker, v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| walk(masker, v)),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut value) => {
            walk(masker, &mut value);
            value.to_string()
        }
        Err(_) => masker.mask(json),
    }
}
