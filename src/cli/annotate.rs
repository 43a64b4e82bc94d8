//! `margin annotate`: opens the annotation screen on a project. Builds the screen's state from the
//! project (labels, keys, reasons, guidelines), opens the store twice (the store worker's connection and
//! the explanation worker's), starts ONNX Runtime if it can, and runs the screen with the workers.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;

use super::{Context, open_store};
use crate::app::project::{self, Project};
use crate::app::worker::annotate::{Finished, RetrainCommand, Setup, Workers};
use crate::app::worker::start_runtime_later;
use crate::config::{self, KeyOverrides};
use crate::domain::access::Role;
use crate::model::runtime::SearchPlaces;
use crate::tui::annotate::state::{App, Guidelines, LabelView, ScreenConfig, Tally};
use crate::tui::keymap::{KeyMode, KeySource, Keymap, KeymapError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Who is labelling, on an account margin.toml lists under `[roles] shared_accounts` (recorded as
    /// ACCOUNT:NAME). Default: the account running margin.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Annotator, "annotate")?;
    let annotator = context.person(&opened.project, args.annotator.as_deref())?;
    open_screen(context, &opened.project, &annotator, opened.role)
}

/// Runs the screen on `project` for `annotator` and prints a one-line account when it closes.
pub(super) fn open_screen(
    context: &Context,
    project: &Project,
    annotator: &str,
    role: Role,
) -> anyhow::Result<ExitCode> {
    if project.config.task == crate::domain::TaskKind::Spans {
        let with = super::annotate_spans::SpanScreenSetup {
            keymap: load_keymap_with(Some(project), Some(KeyMode::Spans))?,
            labels: label_views(&project.config),
            color: colour_wanted(),
            retrain: retrain_command(context, project),
        };
        return super::annotate_spans::open_span_screen(project, annotator, with);
    }
    let keymap = load_keymap(Some(project))?;
    let store = open_store(project)?;
    let explain_store = open_store(project)?;
    let runtime = start_runtime_later(
        SearchPlaces::from_environment(context.ort_lib.as_deref()),
        super::model::encoder_manifest(context, project)?,
    );
    let mut screen = screen_config(project, annotator);
    screen.can_reveal = role >= Role::Expert;
    screen.sees_everyone = project.config.roles.is_none() || role >= Role::Expert;
    let masker = if project.config.pii.mask { Some(project.config.pii.masker()?) } else { None };
    let guidelines = read_guidelines(project);
    let app = App::new(screen, keymap, guidelines, (80, 24), 0);
    let (replies_tx, replies) = crate::tui::inbox::inbox().context("cannot set up the screen's inbox")?;
    let workers = Workers::start(
        Setup {
            dir: project.dir.clone(),
            config: project.config.clone(),
            annotator: annotator.to_string(),
            user: annotator.to_string(),
            masker,
            runtime,
            retrain: retrain_command(context, project),
        },
        store,
        explain_store,
        replies_tx,
    );
    let result = crate::tui::run(app, &mut |effect| workers.send(effect), &replies);
    let finished = workers.finish();
    let app = match result {
        Ok(app) => app,
        Err(e) if finished == Finished::ModelThreadBusy => {
            // As below: no exit handlers under a thread inside ONNX Runtime.
            tell!("margin: {}", crate::domain::text::visible(&e.to_string()));
            // SAFETY: ends the process; nothing after this runs.
            unsafe { libc::_exit(1) };
        }
        Err(e) => return Err(e.into()),
    };
    let Tally { decided, .. } = app.session_tally();
    // The terminal may be gone (a dropped connection): a failed write here is no error.
    let _ = writeln!(
        std::io::stdout(),
        "{} by {} this session, all saved in {}.",
        crate::domain::text::count(decided as u64, "decision", "decisions"),
        crate::domain::text::visible(annotator),
        crate::domain::text::visible(&project.db_path().display().to_string())
    );
    if finished == Finished::ModelThreadBusy {
        // Every decision is committed and the leases are given back; only the model thread is left, inside
        // ONNX Runtime, whose exit handlers would tear its globals down under it. End without them.
        let _ = std::io::stdout().flush();
        // SAFETY: ends the process; nothing after this runs.
        unsafe { libc::_exit(0) };
    }
    Ok(ExitCode::SUCCESS)
}

fn screen_config(project: &Project, annotator: &str) -> ScreenConfig {
    let c = &project.config;
    ScreenConfig {
        project: c.name.clone(),
        annotator: annotator.to_string(),
        labels: label_views(c),
        multi_label: c.task == crate::domain::TaskKind::MultiLabel,
        escalate_reasons: c.reasons.escalate.clone(),
        override_reasons: c.reasons.override_.clone(),
        override_threshold: c.thresholds.override_reason,
        break_after_ms: i64::from(c.screen.break_after_minutes) * 60_000,
        color: colour_wanted(),
        can_reveal: false,
        sees_everyone: false,
    }
}

/// The project's labels as the screens show them.
pub(super) fn label_views(config: &config::ProjectConfig) -> Vec<LabelView> {
    config
        .labels
        .iter()
        .map(|l| LabelView { name: l.name.clone(), display: l.display_name().to_string(), color: l.color.clone() })
        .collect()
}

/// Colours on, unless NO_COLOR is set (to anything but the empty string).
pub(super) fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The project's guidelines/*.md, by file name.
fn read_guidelines(project: &Project) -> Guidelines {
    let files: Vec<(String, String)> = project
        .guideline_files()
        .into_iter()
        .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    Guidelines::from_markdown(&files)
}

/// `margin --project DIR [--ort-lib LIB] retrain --if-due --quiet`, run by the store worker after a batch.
fn retrain_command(context: &Context, project: &Project) -> Option<RetrainCommand> {
    let exe = std::env::current_exe().ok()?;
    let mut args: Vec<std::ffi::OsString> = vec!["--project".into(), project.dir.clone().into_os_string()];
    if let Some(lib) = &context.ort_lib {
        args.push("--ort-lib".into());
        args.push(lib.clone().into_os_string());
    }
    if let Some(encoder) = &context.encoder {
        args.push("--encoder".into());
        args.push(encoder.clone().into_os_string());
    }
    args.extend(["retrain", "--if-due", "--quiet"].map(Into::into));
    Some(RetrainCommand { exe, args })
}

/// The keymap: built in, then the user's keys.toml, then the project's `[keys]`. A mistake names the file
/// and line.
pub(super) fn load_keymap(project: Option<&Project>) -> anyhow::Result<Keymap> {
    load_keymap_with(project, None)
}

/// [`load_keymap`], also checking that no label key does something else in `labels_also_in`.
fn load_keymap_with(project: Option<&Project>, labels_also_in: Option<KeyMode>) -> anyhow::Result<Keymap> {
    let user_path = project::config_dir().ok().map(|d| d.join(config::KEYS_FILE_NAME));
    let user_text = user_path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    let user: KeyOverrides = match (&user_path, &user_text) {
        (Some(path), Some(text)) => config::parse_keys(text, path)?,
        _ => KeyOverrides::new(),
    };
    let empty = KeyOverrides::new();
    let project_keys = project.map_or(&empty, |p| &p.config.keys);
    let label_keys: Vec<Option<String>> =
        project.map(|p| p.config.labels.iter().map(|l| l.key.clone()).collect()).unwrap_or_default();
    let built =
        Keymap::build(&[(&user, &[]), (project_keys, &["keys"])], &label_keys).and_then(
            |keymap| match labels_also_in {
                Some(mode) => keymap.check_labels_in(mode).map(|()| keymap),
                None => Ok(keymap),
            },
        );
    built.map_err(|e: KeymapError| {
        // The user's keys.toml is override 0; the project's [keys] (override 1) and labels are margin.toml.
        let (path, text) = match (e.origin, project) {
            (KeySource::Override(1) | KeySource::Label(_), Some(p)) => {
                (p.dir.join(config::FILE_NAME), std::fs::read_to_string(p.dir.join(config::FILE_NAME)).ok())
            }
            (KeySource::BuiltIn, _) => ("the built-in keymap (assets/keymap.toml)".into(), None),
            _ => (user_path.clone().unwrap_or_default(), user_text.clone()),
        };
        let line = text.as_deref().and_then(|t| config::line_of_path(t, &e.path)).unwrap_or(1);
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message)
    })
}
