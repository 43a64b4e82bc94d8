//! `margin embed`: computes the vectors of the items the project's sentence encoder has not embedded yet,
//! with a progress bar; a run that is stopped keeps what it wrote, and the next goes on from there.

use std::process::ExitCode;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};

use super::model::start_runtime;
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::embed::{embed_pending, load_sessions, project_encoder};
use crate::app::score::{Rescorer, score_with};
use crate::app::zero_shot::make_zero_shot_if_no_model;
use crate::domain::access::Role;
use crate::domain::text::visible;
use crate::model::encoder::{Encoder, SharedEncoder};
use std::sync::{Arc, Mutex};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Texts per batch through ONNX Runtime (texts of similar length are batched together).
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub batch: usize,

    /// Items embedded and written per transaction; the texts of one are sorted by length before batching.
    /// A stopped run loses at most one.
    #[arg(long, default_value_t = crate::app::embed::CHUNK, value_name = "N")]
    pub chunk: usize,

    /// ONNX Runtime threads in all (default: every core), as one encoder session per thread (up to 4,
    /// sharing the rest): sessions working side by side are faster than one session's threads.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print one JSON object instead of a line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Annotator, "embed")?.project;
    let Some(manifest) = project_encoder(&project, context.encoder.as_deref())? else {
        bail!("this project uses no sentence encoder (`[model] encoder = \"none\"` in margin.toml)");
    };
    let mut store = open_store(&project)?;
    let runtime = start_runtime(context)?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let mut sessions = load_sessions(runtime, &manifest, threads)?;
    let encoder: SharedEncoder = Arc::new(Mutex::new(sessions.remove(0)));
    // No model yet: the label descriptions make a zero-shot one, which scores each item as it gets a vector.
    let zero_shot =
        make_zero_shot_if_no_model(&project.dir, &project.config, &mut store, runtime, &encoder, &context.user)?;
    // Items the current (combined) model scored on their words alone are scored again with their vectors.
    let mut rescorer = Rescorer::for_current(&project.dir, &project.config, &store, runtime, &encoder)?;
    let rescorer_encoder = encoder.clone();
    let mut encoder = encoder.lock().unwrap_or_else(|p| p.into_inner());
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !args.json {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items embedded ({per_sec}, {eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    } else {
        ProgressBar::hidden()
    };
    let mut encoders: Vec<&mut Encoder> = std::iter::once(&mut *encoder).chain(sessions.iter_mut()).collect();
    let sizes = (args.chunk, args.batch);
    let report = embed_pending(&mut store, &mut encoders, sizes, rescorer.as_mut(), |done, items| {
        bar.set_length(items);
        bar.set_position(done);
        true
    });
    drop(encoders);
    bar.finish_and_clear();
    let report = report?;
    drop(encoder);
    if let Some(version) = zero_shot {
        // Items embedded before this run have vectors but no prediction yet.
        let model = store.model_version(version)?;
        let encoder = rescorer_encoder;
        score_with(&project.dir, &project.config, &mut store, runtime, Some(&encoder), &model, |_| {})?;
    }
    let seconds = report.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 { report.embedded as f64 / seconds } else { 0.0 };
    if args.json {
        print_json(&serde_json::json!({
            "encoder": report.encoder,
            "embedded": report.embedded,
            "done": report.done,
            "items": report.items,
            "seconds": seconds,
            "items_per_second": rate,
            "tokenize_seconds": report.tokenize.as_secs_f64(),
            "encode_seconds": report.encode.as_secs_f64(),
            "store_seconds": report.store.as_secs_f64(),
            "zero_shot_model": zero_shot,
        }));
    } else {
        say!(
            "Embedded {} items with {} in {seconds:.1} s ({rate:.0} items/s); {} of {} items have a vector.",
            report.embedded,
            visible(&report.encoder),
            report.done,
            report.items
        );
        if let Some(version) = zero_shot {
            say!(
                "No model yet: model version {version} guesses from the label descriptions (zero-shot, not \
                 calibrated) until there are labels to train one."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Embeds every item of `project` that has no vector yet, saying nothing (the demo's set-up): when the
/// project uses no encoder, or the default one is not installed (a note says how to get it), it does nothing.
pub fn embed_all_quietly(context: &Context, project: &crate::app::project::Project) -> anyhow::Result<()> {
    let runtime = start_runtime(context)?;
    let Some(encoder) = super::model::project_encoder(context, project, runtime)? else { return Ok(()) };
    let mut store = open_store(project)?;
    let mut rescorer = Rescorer::for_current(&project.dir, &project.config, &store, runtime, &encoder)?;
    let mut encoder = encoder.lock().unwrap_or_else(|p| p.into_inner());
    let sizes = (crate::app::embed::CHUNK, crate::app::embed::BATCH);
    embed_pending(&mut store, &mut [&mut *encoder], sizes, rescorer.as_mut(), |_, _| true)?;
    Ok(())
}
