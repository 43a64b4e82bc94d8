//! The command line: clap definitions, one file per subcommand, and the wiring between project, store,
//! formats and model. Raw flags become validated arguments here; anyhow is used from here outwards.

#[macro_use]
mod terminal;

mod access;
mod annotate;
mod annotate_spans;
mod audit;
mod backup;
mod decide;
mod demo;
mod doctor;
mod embed;
mod explain;
mod export;
mod identity;
mod import;
mod init;
mod install;
mod items;
mod keys;
mod labels;
mod model;
mod output;
mod people;
mod queue;
mod report;
mod retrain;
mod review;
mod review_screen;
mod score;
mod simulate;
mod stats;
mod status;
mod train;
mod triage;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::project::{self, Project};
use crate::store::Store;

/// The heading of the options every command takes, apart from each command's own.
const GLOBAL: &str = "Global options";

/// margin: label text with a model in the loop, in your terminal.
#[derive(Debug, Parser)]
#[command(name = "margin", version, about, max_term_width = 100)]
pub struct Cli {
    /// The project directory. Default: the current directory if it holds margin.toml, else the default
    /// project under the XDG data directory.
    #[arg(long, global = true, env = "MARGIN_PROJECT", hide_env_values = true, value_name = "DIR", help_heading = GLOBAL)]
    pub project: Option<PathBuf>,

    /// The ONNX Runtime library to load. Default: $ORT_DYLIB_PATH, then next to the executable, then
    /// margin's data directory (margin setup), then vendor/onnxruntime/ of the clone it was built from.
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub ort_lib: Option<PathBuf>,

    /// The sentence encoder (its encoder.toml or folder), for a project whose `[model] encoder` is
    /// "default". Default: $MARGIN_ENCODER, then encoders/ next to the executable, then margin's data
    /// directory (margin setup), then vendor/encoders/ of the clone it was built from.
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub encoder: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Label items on the screen: the current item, the model's prediction and why; one key decides.
    Annotate(annotate::Args),
    /// Print the keys of the screen (after your keys.toml and the project's `[keys]`) as a markdown table.
    Keys,
    /// Create a project: a directory with margin.toml, margin.db and guidelines/.
    Init(init::Args),
    /// Rename, add or remove labels without orphaning the data that uses them.
    Labels(labels::Args),
    /// Add items from a JSONL, CSV, TSV or plain-text file (or - for standard input).
    Import(import::Args),
    /// Write items, their labels and every decision as JSONL, CSV or Prodigy-style JSONL.
    Export(export::Args),
    /// Learn a model from people's decisions (or --reference labels), cross-validate and calibrate it.
    Train(train::Args),
    /// Retrain on the decisions so far, score the pending items, then make the new model current.
    Retrain(retrain::Args),
    /// Score items through ONNX Runtime with the current model, storing probabilities and uncertainty.
    Score(score::Args),
    /// Compute the items' vectors with the project's sentence encoder (resumable; only what is missing).
    Embed(embed::Args),
    /// Serve the next batch of items to label (reserved for you), or give reserved items back.
    Queue(queue::Args),
    /// Record one decision about an item: a label, accept, reject, skip or escalate.
    Decide(decide::Args),
    /// List model versions, or adopt a bring-your-own ONNX model with its manifest.
    Model(model::Args),
    /// Explain the current model's prediction for one item: word contributions, a counterfactual, neighbours.
    Explain(explain::Args),
    /// Run the labelling loop with reference labels as the annotator and compare strategies' learning curves.
    Simulate(simulate::Args),
    /// List items with their ids, status and the model's prediction (ids for explain and decide).
    Items(items::Args),
    /// Look back over what was decided: filter, search by words or meaning, see an item's history, re-label.
    Review(review::Args),
    /// Show how many items are pending, decided, disputed and escalated, and the counts per label.
    Status(status::Args),
    /// The statistics dashboard: the model by version, activity, agreement, confusion, calibration, labels and
    /// slices (experts).
    Stats(stats::Args),
    /// Write the report to hand on: one self-contained HTML file with the dashboard's figures, the settings,
    /// the model versions and the audit trail's state (experts).
    Report(report::Args),
    /// How each person labels: agreement with the others (kappa), with the model and gold items, and what
    /// the current model learned from them.
    People(people::Args),
    /// Check the installation: ONNX Runtime, the project's settings and database.
    Doctor(doctor::Args),
    /// Set up the bundled demo project (first run) and open it.
    Demo(demo::Args),
    /// Verify the audit trail's hash chain, or print its events.
    Audit(audit::Args),
    /// Copy the project's database to FILE, safely while others work, and check the copy.
    Backup(backup::Args),
    /// Copy ONNX Runtime and the sentence encoder into margin's data directory (for an installed binary).
    Setup(install::SetupArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(install::CompletionsArgs),
    /// Print the manual page, or write one per command into a directory.
    Man(install::ManArgs),
    /// The expert's queue: escalations, disagreements, overridden confident predictions, likely label errors.
    Triage(triage::Args),
}

impl Command {
    /// The subcommand's name as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Annotate(_) => "annotate",
            Command::Keys => "keys",
            Command::Init(_) => "init",
            Command::Labels(_) => "labels",
            Command::Import(_) => "import",
            Command::Export(_) => "export",
            Command::Train(_) => "train",
            Command::Retrain(_) => "retrain",
            Command::Score(_) => "score",
            Command::Embed(_) => "embed",
            Command::Queue(_) => "queue",
            Command::Decide(_) => "decide",
            Command::Model(_) => "model",
            Command::Explain(_) => "explain",
            Command::Simulate(_) => "simulate",
            Command::Items(_) => "items",
            Command::Review(_) => "review",
            Command::Status(_) => "status",
            Command::Stats(_) => "stats",
            Command::Report(_) => "report",
            Command::People(_) => "people",
            Command::Doctor(_) => "doctor",
            Command::Demo(_) => "demo",
            Command::Audit(_) => "audit",
            Command::Backup(_) => "backup",
            Command::Setup(_) => "setup",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Triage(_) => "triage",
        }
    }
}

/// An error and its causes as one line, each said once: a cause whose message the line already holds (a
/// wrapped error that quotes its source), or that only restates the cause before it (SQLite's "Error code
/// 11: database disk image is malformed" after "database disk image is malformed"), is left out.
pub fn describe(err: &anyhow::Error) -> String {
    let mut line = String::new();
    let mut previous = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        let restates = !previous.is_empty() && message.contains(&previous);
        previous.clone_from(&message);
        if message.is_empty() || line.contains(&message) || restates {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&message);
    }
    line
}

/// What every subcommand may need besides its own arguments.
#[derive(Debug, Clone)]
pub struct Context {
    pub project_flag: Option<PathBuf>,
    pub ort_lib: Option<PathBuf>,
    pub encoder: Option<PathBuf>,
    /// The account running margin (see `identity`): whose role counts, and who is recorded unless a shared
    /// account names the person at the keyboard.
    pub user: String,
}

impl Context {
    fn open_project(&self) -> anyhow::Result<Project> {
        let location = project::locate(self.project_flag.as_deref())?;
        Ok(Project::open(&location)?)
    }
}

/// Opens a project's database. A project this user cannot write is opened for reading, and said once.
fn open_store(project: &Project) -> anyhow::Result<Store> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let store = Store::open(&project.db_path())?;
    if store.is_read_only() {
        SAID.call_once(|| {
            tell!(
                "margin: {} is read-only for you: reading it as it is; nothing this command does is recorded.",
                crate::domain::text::visible(&project.dir.display().to_string())
            );
        });
    }
    Ok(store)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let context = Context {
        project_flag: cli.project,
        ort_lib: cli.ort_lib,
        encoder: cli.encoder,
        user: identity::current_account(),
    };
    // The command's name only: its arguments can hold notes, reasons and texts with personal data.
    tracing::info!(command = cli.command.name(), user = %context.user, "start");
    match cli.command {
        Command::Annotate(args) => annotate::run(&context, args),
        Command::Keys => keys::run(&context),
        Command::Init(args) => init::run(&context, args),
        Command::Import(args) => import::run(&context, args),
        Command::Labels(args) => labels::run(&context, args),
        Command::Export(args) => export::run(&context, args),
        Command::Train(args) => train::run(&context, args),
        Command::Retrain(args) => retrain::run(&context, args),
        Command::Score(args) => score::run(&context, args),
        Command::Embed(args) => embed::run(&context, args),
        Command::Explain(args) => explain::run(&context, args),
        Command::Model(args) => model::run(&context, args),
        Command::Queue(args) => queue::run(&context, args),
        Command::Decide(args) => decide::run(&context, args),
        Command::Simulate(args) => simulate::run_command(&context, args),
        Command::Items(args) => items::run(&context, args),
        Command::Review(args) => review::run(&context, args),
        Command::Status(args) => status::run(&context, args),
        Command::Stats(args) => stats::run(&context, args),
        Command::Report(args) => report::run(&context, args),
        Command::People(args) => people::run(&context, args),
        Command::Doctor(args) => doctor::run(&context, args),
        Command::Demo(args) => demo::run(&context, args),
        Command::Audit(args) => audit::run(&context, args),
        Command::Backup(args) => backup::run(&context, args),
        Command::Setup(args) => install::setup(args),
        Command::Completions(args) => install::completions(args),
        Command::Man(args) => install::man(args),
        Command::Triage(args) => triage::run(&context, args),
    }
}

/// Gives the terminal back to the shell if a screen had taken it (raw mode on): leaves raw mode and the
/// alternate screen and shows the cursor. Does nothing otherwise, so plain commands print no escapes.
pub fn restore_terminal() {
    if crossterm::terminal::is_raw_mode_enabled().unwrap_or(false) {
        crate::tui::restore();
    }
}
