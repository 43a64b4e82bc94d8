//! `margin demo`: sets up the bundled demo project under the XDG data directory on first run (fortunes
//! from Debian's `fortunes` package, ten topics, 30% of them labelled), embeds the items with the sentence
//! encoder (when it is installed), trains the demo model on the labelled part and scores the rest, then
//! opens the annotation screen on it.
//!
//! The project is built in a temporary directory beside its final place and renamed into place when
//! complete, so an interrupted first run leaves nothing half-made.

use std::io::{Cursor, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::import::Progress;
use super::{Context, annotate, embed, score, status, train};
use crate::app::files::write_atomically;
use crate::app::import::{Choices, ImportRequest, import, project_read_options};
use crate::app::project::{self, GUIDELINES_DIR, Location, Project};
use crate::config::{self, ProjectConfig};
use crate::domain::access::Role;
use crate::formats::InputFormat;
use crate::store::Store;

const DEMO_CONFIG: &str = include_str!("../../assets/demo/margin.toml");
const DEMO_ITEMS: &str = include_str!("../../assets/demo/fortunes.jsonl");
const DEMO_GUIDELINES: &[(&str, &str)] = &[("fortunes.md", include_str!("../../guidelines/fortunes.md"))];
const DEMO_LICENSE: &str = include_str!("../../assets/demo/LICENSE-fortunes");

/// The demo always lives in margin's data directory; `--project` does not move it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Set the demo project up afresh; the old one is kept beside it (asks first on a terminal).
    #[arg(long)]
    pub reset: bool,

    /// With --reset: do not ask.
    #[arg(long, requires = "reset")]
    pub yes: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let dir = project::demo_project_dir()?;
    if args.reset && dir.exists() {
        if !args.yes && !confirm_reset(&dir)? {
            say!("Nothing changed.");
            return Ok(ExitCode::SUCCESS);
        }
        let kept = set_aside(&dir)?;
        say!("The old demo, with its decisions and guidelines, is kept in {}.", kept.display());
    }
    let demo = Context { project_flag: Some(dir.clone()), ..context.clone() };
    if !dir.join(config::FILE_NAME).is_file() {
        tell!("Setting up the demo project in {} ...", dir.display());
        set_up(&dir, &context.user)?;
        // The demo model: trained on the 30% of items that come labelled, then scoring the rest. Without
        // ONNX Runtime the demo still opens, without predictions, and says how to get them.
        let quiet = |what: &str, result: anyhow::Result<ExitCode>| {
            if let Err(e) = result {
                tell!("The demo has no {what} yet: {e:#}");
            }
        };
        // Vectors first, so the model learns on them and the first screen shows what it makes of them.
        let project = Project::open(&Location::Given(dir.clone()))?;
        quiet("sentence vectors", embed::embed_all_quietly(&demo, &project).map(|()| ExitCode::SUCCESS));
        let trained = train::run(&demo, train::Args { reference: true, committee: None, json: false, quiet: true });
        let ok = trained.is_ok();
        quiet("model", trained);
        if ok {
            quiet("predictions", score::run(&demo, score::Args { all: false, batch: 512, json: false, quiet: true }));
        }
    }
    // The demo is for people: open the screen. Without a terminal (a script, a pipe), say where it stands.
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let project = Project::open(&Location::Given(dir))?;
        let role = demo.authorize(&project, Role::Annotator, "demo")?;
        return annotate::open_screen(&demo, &project, &context.user, role);
    }
    status::run(&demo, status::Args { json: false })?;
    say!("Run `margin demo` in a terminal to label the demo's items.");
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal whether to reset the demo; without a terminal, refuses (a script says --yes).
fn confirm_reset(dir: &Path) -> anyhow::Result<bool> {
    use std::io::{BufRead, Write};
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        bail!(
            "--reset starts the demo afresh, setting its decisions and guideline edits aside; there is no terminal to \
             ask on, so pass --yes as well to do it"
        );
    }
    tell_part!(
        "Start the demo afresh? Its decisions and guideline edits will be set aside (kept beside {}). [y/N] ",
        dir.display()
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Moves the demo project aside to `demo-before-reset-TIME` beside it; returns where it went.
fn set_aside(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let stamp: String = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let name = format!("demo-before-reset-{stamp}");
    let kept = dir.with_file_name(name);
    std::fs::rename(dir, &kept).with_context(|| format!("{}: cannot set the old demo aside", dir.display()))?;
    Ok(kept)
}

/// Builds the demo project in a sibling temporary directory and renames it to `dir`.
fn set_up(dir: &Path, user: &str) -> anyhow::Result<()> {
    let parent = dir.parent().context("the demo directory has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".demo-setup-")
        .tempdir_in(parent)
        .with_context(|| format!("{}: cannot create a directory", parent.display()))?;
    let root = staging.path();

    let config_path = root.join(config::FILE_NAME);
    let config = ProjectConfig::parse(DEMO_CONFIG, &config_path)?;
    std::fs::create_dir_all(root.join(GUIDELINES_DIR))?;
    for (name, text) in DEMO_GUIDELINES {
        write_atomically(&root.join(GUIDELINES_DIR).join(name), text.as_bytes())?;
    }
    write_atomically(&root.join("LICENSE-fortunes"), DEMO_LICENSE.as_bytes())?;
    write_atomically(&config_path, DEMO_CONFIG.as_bytes())?;

    let project = Project { dir: root.to_path_buf(), config };
    {
        let mut store = Store::create(&project.db_path())?;
        let options = project_read_options(&project);
        let input = Cursor::new(DEMO_ITEMS.as_bytes());
        let name = "assets/demo/fortunes.jsonl";
        let request = ImportRequest { name, format: InputFormat::Jsonl, options, choices: Choices::default(), user };
        import(&mut store, input, request, &Progress::hidden(name))?;
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, dir) {
        let _ = std::fs::remove_dir_all(&staged);
        // Another `margin demo` may have finished first; its project is as good as ours.
        if !dir.join(config::FILE_NAME).is_file() {
            return Err(e).with_context(|| format!("{}: cannot move the demo project into place", dir.display()));
        }
    }
    // The project is complete; make sure it opens as a user would open it.
    Project::open(&Location::Given(dir.to_path_buf()))?;
    Ok(())
}
