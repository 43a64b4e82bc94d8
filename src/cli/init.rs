//! `margin init`: creates a project directory with margin.toml, margin.db and a guidelines template.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::Context;
use crate::app::files::write_atomically;
use crate::app::project::{self, Project};
use crate::config::{self, ProjectConfig};
use crate::domain::TaskKind;
use crate::domain::audit::event::{AuditEvent, EventKind, ProjectCreated, SettingsRestored};
use crate::domain::text::visible;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the project. Default: --project, else the default project directory.
    pub dir: Option<PathBuf>,

    /// The labels, comma-separated, in the order the digit keys and the model use.
    #[arg(long, value_delimiter = ',', required_unless_present = "restore_settings", value_name = "A,B,...")]
    pub labels: Vec<String>,

    /// Write a lost margin.toml back from the settings an admin last confirmed, as the project's database
    /// records them (the directory must hold margin.db and no margin.toml).
    #[arg(long, conflicts_with_all = ["labels", "name", "multi_label", "task"])]
    pub restore_settings: bool,

    /// The project's name. Default: the directory's name.
    #[arg(long)]
    pub name: Option<String>,

    /// Items may take any number of the labels (default: exactly one); the same as `--task multi-label`.
    #[arg(long, conflicts_with = "task")]
    pub multi_label: bool,

    /// What people label: `single-label` (one label per item), `multi-label` (any subset) or `spans`
    /// (labelled spans of the text: names, places, phrases).
    #[arg(long, value_enum)]
    pub task: Option<TaskArg>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TaskArg {
    SingleLabel,
    MultiLabel,
    Spans,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let dir = match args.dir.or_else(|| context.project_flag.clone()) {
        Some(dir) => dir,
        None => project::default_project_dir()?,
    };
    if args.restore_settings {
        return restore_settings(&dir, &context.user);
    }
    let task = match (args.task, args.multi_label) {
        (Some(TaskArg::Spans), _) => TaskKind::Spans,
        (Some(TaskArg::MultiLabel), _) | (None, true) => TaskKind::MultiLabel,
        (Some(TaskArg::SingleLabel), _) | (None, false) => TaskKind::SingleLabel,
    };
    let project = create(&dir, args.name.as_deref(), &args.labels, task, &context.user)?;
    say!(
        "Created project {:?} in {} with labels {}.",
        project.config.name,
        dir.display(),
        project.config.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    // As the README's tour: go into the project, then import (a file outside it by its path from there).
    let shown = visible(&dir.display().to_string()).into_owned();
    say!("Next: cd {shown} && margin import FILE (or, from here, margin import FILE --project {shown})");
    Ok(ExitCode::SUCCESS)
}

/// Creates the project files in `dir` (which may exist, but must not hold a project yet).
pub(super) fn create(
    dir: &std::path::Path,
    name: Option<&str>,
    labels: &[String],
    task: TaskKind,
    user: &str,
) -> anyhow::Result<Project> {
    let labels: Vec<String> = labels.iter().map(|l| l.trim().to_string()).collect();
    for (i, label) in labels.iter().enumerate() {
        config::check_label_name(label).map_err(|m| anyhow::anyhow!("--labels: {m}"))?;
        if labels[..i].contains(label) {
            bail!("--labels: `{label}` is listed twice");
        }
    }
    if task == TaskKind::SingleLabel && labels.len() < 2 {
        bail!("--labels: a single-label project needs at least 2 labels; list two or more, or pass --multi-label");
    }
    let config_path = dir.join(config::FILE_NAME);
    if config_path.exists() {
        bail!("{}: a project already exists there", dir.display());
    }
    let db_path = dir.join(project::DB_FILE);
    if db_path.exists() {
        // The settings file of a project was lost or removed: starting afresh on its data would throw away
        // the roles and settings its admins confirmed.
        bail!(
            "{}: this directory holds a project's database but no margin.toml; margin will not make a new \
             project over it. Put margin.toml back (from a backup or version control), or run `margin init {} \
             --restore-settings` to write it from the settings an admin last confirmed",
            db_path.display(),
            dir.display()
        );
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => dir_name(dir),
    };
    let text = ProjectConfig::render_new(&name, task, &labels);
    // Check the settings before anything is written, so a bad label leaves no half-made project.
    let config = ProjectConfig::parse(&text, &config_path)?;

    std::fs::create_dir_all(dir.join(project::GUIDELINES_DIR))
        .with_context(|| format!("{}: cannot create the project directory", dir.display()))?;
    let guidelines = dir.join(project::GUIDELINES_DIR).join("guidelines.md");
    if !guidelines.exists() {
        write_atomically(&guidelines, guidelines_template(&name, &labels).as_bytes())?;
    }
    let project = Project { dir: dir.to_path_buf(), config };
    create_shared(&project.db_path())?;
    let mut store = Store::create(&project.db_path())?;
    store.log_event(user, &AuditEvent::ProjectCreated(ProjectCreated { name, task, labels }))?;
    super::access::record_settings(&mut store, user, &project, &[])?;
    // margin.toml last: until it exists the directory is not a project, so a failure above can be retried.
    write_atomically(&config_path, text.as_bytes())?;
    Ok(project)
}

/// Writes margin.toml for the project database in `dir` from the newest settings its audit trail records
/// (the tables only an admin may change; the rest at their defaults), and records that it did.
fn restore_settings(dir: &Path, user: &str) -> anyhow::Result<ExitCode> {
    let config_path = dir.join(config::FILE_NAME);
    if config_path.exists() {
        bail!("{}: already there; --restore-settings only writes a missing margin.toml", config_path.display());
    }
    let mut store = Store::open(&dir.join(project::DB_FILE))?;
    let (seq, settings) = store.newest_event(EventKind::Settings)?.with_context(|| {
        format!("{}: the database records no settings to restore from", dir.join(project::DB_FILE).display())
    })?;
    let mut table = serde_json::from_str::<serde_json::Value>(&settings)
        .ok()
        .and_then(|p| p.get("settings").and_then(|s| s.as_object().cloned()))
        .with_context(|| format!("audit event {seq}: the recorded settings cannot be read"))?;
    let name = store
        .newest_event(EventKind::ProjectCreated)?
        .and_then(|(_, p)| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .unwrap_or_else(|| dir_name(dir));
    table.insert("name".into(), name.into());
    table.retain(|_, value| !value.is_null());
    let config: ProjectConfig = serde_json::from_value(serde_json::Value::Object(table))
        .with_context(|| format!("audit event {seq}: the recorded settings do not make a margin.toml"))?;
    let text = format!(
        "# Written by `margin init --restore-settings` from the settings an admin last confirmed (audit event\n\
         # {seq}). The tables only an admin may change are as recorded; the others are at their defaults.\n\n{}",
        toml::to_string(&config).context("cannot write the restored settings as TOML")?
    );
    // What is written must read back as the same settings.
    let reread = ProjectConfig::parse(&text, &config_path)?;
    if reread.governed() != config.governed() {
        bail!("the restored settings do not read back as recorded; margin.toml was not written");
    }
    store.log_event(user, &AuditEvent::SettingsRestored(SettingsRestored { from_event: seq }))?;
    write_atomically(&config_path, text.as_bytes())?;
    say!("Restored {} from audit event {seq}.", config_path.display());
    Ok(ExitCode::SUCCESS)
}

fn dir_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .or_else(|| std::path::absolute(dir).ok())
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "margin".to_string())
}

/// Creates the empty database file with the permissions the umask gives new files (SQLite alone would make
/// it 0644 at most), so a team's `umask 007` makes it group-writable; SQLite gives its WAL and shared-memory
/// files the database file's permissions.
fn create_shared(db_path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o666).open(db_path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("{}: cannot create the database", db_path.display())),
    }
}

/// The first guidelines file. People `cat` it: the project's name is written with anything that could steer
/// a terminal escaped (label names cannot hold such characters).
fn guidelines_template(name: &str, labels: &[String]) -> String {
    let name = crate::domain::text::visible(name);
    let mut text = format!(
        "# Annotation guidelines: {name}\n\nWhat this project labels, and why. Keep one section per label: margin shows the\nsection of the label in question first.\n"
    );
    for label in labels {
        text.push_str(&format!("\n## {label}\n\nWhen to choose `{label}`. Give a clear example and a near miss.\n"));
    }
    text
}
