//! `margin backup FILE`: a consistent copy of the project's database, made with SQLite's online backup API
//! while others go on working, checked with `PRAGMA integrity_check`, and written to FILE only when whole
//! and sound. Restoring is copying it back over margin.db (see the README).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::output::{OutputTarget, check_target};
use super::{Context, open_store};
use crate::app::files::{persist, temp_file_beside};
use crate::domain::access::Role;
use crate::domain::audit::event::{AuditEvent, Backup, EventKind};
use crate::domain::text::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the copy (not one of the project's own files).
    pub file: PathBuf,

    /// Replace FILE even if it is not an earlier backup of this project.
    #[arg(long)]
    pub force: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    // A backup holds every text unmasked: the same role as an unmasked export.
    let project = context.open_project()?;
    let needed = if project.config.pii.mask { Role::Expert } else { Role::Annotator };
    context.authorize(&project, needed, "backup")?;
    let mut store = open_store(&project)?;
    let target = check_target(&project, &args.file, "a backup", args.force, |resolved| {
        // A backup's event records the resolved path as its `to`, so the next backup may replace it.
        Ok(store.wrote_to(EventKind::Backup, &resolved.display().to_string())?)
    })?;
    let OutputTarget::File(path) = target else {
        bail!("{}: a backup goes to a file, not a terminal, pipe or device", args.file.display());
    };
    let tmp = temp_file_beside(&path)?;
    let check = store.backup_to(tmp.path()).with_context(|| format!("{}: the backup failed", args.file.display()))?;
    if check != ["ok"] {
        bail!(
            "{}: the copy failed its integrity check ({}); nothing was written. Run `margin doctor` on the project",
            args.file.display(),
            visible(&check.join("; "))
        );
    }
    let bytes = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    persist(tmp, &path)?;
    store.log_event(&context.user, &AuditEvent::Backup(Backup { to: path.display().to_string(), bytes }))?;
    say!(
        "Backed up {} to {} ({:.1} MB); integrity check: ok.",
        visible(&project.db_path().display().to_string()),
        visible(&args.file.display().to_string()),
        bytes as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
