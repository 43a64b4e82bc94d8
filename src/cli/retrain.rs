//! `margin retrain`: the retrain that keeps the model fresh while people label. It trains a new version on
//! people's decisions plus the reference labels of items nobody has decided, scores the pending items with
//! it, and only then makes it current. With `--if-due` it does nothing until `sampling.retrain_every`
//! decisions have come in since the current model learned; `margin queue next` starts it that way in the
//! background, so nobody waits for it.

use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, bail};

use super::model::start_runtime;
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::project::Project;
use crate::app::retrain::{RetrainError, due, is_running, retrain};
use crate::domain::access::Role;
use crate::store::StoreError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only if it is due: `sampling.retrain_every` decisions since the current model learned.
    #[arg(long)]
    pub if_due: bool,
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    // The screen's own retrain after a batch (--if-due) follows the admin's settings; asking for one needs admin.
    let needed = if args.if_due { Role::Annotator } else { Role::Admin };
    let project = context.open_project_as(needed, "retrain")?.project;
    let mut store = open_store(&project)?;
    let status = due(&store, &project.config)?;
    let say = |json: serde_json::Value, line: String| {
        if args.json {
            print_json(&json);
        } else if !args.quiet {
            say!("{line}");
        }
    };
    if let Some(never) = status.never {
        if !args.if_due {
            bail!("not retraining: {never}");
        }
        say(serde_json::json!({"retrained": false, "why": never}), format!("Not retraining: {never}."));
        return Ok(ExitCode::SUCCESS);
    }
    if args.if_due && !status.is_due() {
        let why = status.waiting_for();
        say(serde_json::json!({"retrained": false, "why": why}), format!("Not due yet: {why}."));
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = start_runtime(context)?;
    let encoder = super::model::project_encoder(context, &project, runtime)?;
    let done = match retrain(&project.dir, &project.config, &mut store, runtime, encoder.as_ref(), &context.user) {
        Ok(done) => done,
        Err(RetrainError::Busy(_)) if args.if_due => {
            let why = "another retrain is running";
            say(serde_json::json!({"retrained": false, "why": why}), format!("Not retraining: {why}."));
            return Ok(ExitCode::SUCCESS);
        }
        Err(RetrainError::Store(e @ StoreError::Superseded { .. })) if args.if_due => {
            let why = e.to_string();
            say(serde_json::json!({"retrained": false, "why": why}), format!("Not made current: {why}."));
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e.into()),
    };
    let (trained, scored) = (&done.trained, &done.scored);
    say(
        serde_json::json!({
            "retrained": true,
            "model_version": trained.version,
            "examples": trained.examples,
            "metrics": trained.metrics,
            "scored": scored.scored,
            "machine_accepted": scored.machine_accepted,
            "seconds": trained.seconds + scored.elapsed.as_secs_f64(),
        }),
        format!(
            "Retrained: model version {} learned from {} items in {:.1} s, scored {} pending items in {:.1} s, and \
             is now current.{}",
            trained.version,
            trained.examples,
            trained.seconds,
            scored.scored,
            scored.elapsed.as_secs_f64(),
            match scored.machine_accepted {
                0 => String::new(),
                n => format!(" The machine accepted {n} items at or above the auto-accept threshold."),
            }
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// Starts `margin retrain --if-due` for the project as a detached background process, unless one is
/// running. Returns whether it started one. Its outcome goes to margin's log.
pub(super) fn start_in_background(context: &Context, project: &Project) -> anyhow::Result<bool> {
    if is_running(&project.dir) {
        return Ok(false);
    }
    let exe = std::env::current_exe().context("cannot find margin's own executable to retrain in the background")?;
    let mut command = Command::new(exe);
    command.arg("--project").arg(&project.dir);
    if let Some(lib) = &context.ort_lib {
        command.arg("--ort-lib").arg(lib);
    }
    command.args(["retrain", "--if-due", "--quiet"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // Its own process group: a Ctrl-C at the terminal, meant for the foreground command, does not stop it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().context("cannot start the background retrain")?;
    Ok(true)
}
