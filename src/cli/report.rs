//! `margin report -o FILE`: the report to hand on, one self-contained HTML file (see `domain::report`):
//! the dashboard's figures, the project's settings, the model versions and the audit trail's state.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::output::{OutputTarget, check_target};
use super::{Context, open_store};
use crate::app::dashboard::dashboard;
use crate::app::files::{persist, temp_file_beside};
use crate::domain::access::Role;
use crate::domain::audit::to_hex;
use crate::domain::report::{AuditState, ReportInput, html};

/// How a report begins: a file that begins so (and names itself a margin report) may be replaced.
const REPORT_START: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The HTML file to write (an earlier report there is replaced; another file only with --force).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Compare the model's accuracy across the values of this metadata field, as `margin stats --slice`.
    #[arg(long, value_name = "FIELD")]
    pub slice: Option<String>,
    /// Replace FILE even when it is not an earlier report.
    #[arg(long)]
    pub force: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Expert, "report")?.project;
    let target = check_target(&project, &args.output, "a report", args.force, |resolved| {
        let start = std::fs::read(resolved).map(|b| b.into_iter().take(4096).collect::<Vec<u8>>()).unwrap_or_default();
        let start = String::from_utf8_lossy(&start);
        Ok(start.starts_with(REPORT_START) && start.contains("margin report:"))
    })?;
    let mut store = open_store(&project)?;
    let figures = dashboard(&mut store, &project.config, args.slice.as_deref())?;
    let status = store.status(&project.config.label_names())?;
    let chain = store.verify_events()?;
    let settings = std::fs::read_to_string(project.config_path())
        .with_context(|| format!("{}: cannot read it", project.config_path().display()))?;
    let made_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let count = |name: &str, n: u64| (name.to_string(), n.to_string());
    let counts = vec![
        count("items", status.items),
        count("pending", status.pending),
        count("decided", status.decided),
        count("disputed", status.disputed),
        count("escalated", status.escalated),
        count("gold items", status.gold),
        count("decisions", status.decisions),
        count("annotators", status.annotators),
        ("current model".to_string(), status.current_model.map_or("none".to_string(), |v| format!("version {v}"))),
    ];
    let audit = AuditState {
        events: chain.held,
        head: chain.head.map(|(seq, hash)| format!("event {seq}, {}", to_hex(&hash))),
        broken: chain.broken.map(|b| format!("at event {}: {}", b.problem.seq(), b.problem)),
    };
    let input = ReportInput {
        project: &project.config.name,
        made_at: &made_at,
        counts,
        dashboard: &figures,
        settings: &settings,
        audit,
    };
    let page = html(&input);
    let path = match &target {
        OutputTarget::File(path) | OutputTarget::Stream(path) => path.clone(),
    };
    match target {
        OutputTarget::File(path) => {
            let mut tmp = temp_file_beside(&path)?;
            tmp.write_all(page.as_bytes()).with_context(|| format!("{}: cannot write", path.display()))?;
            persist(tmp, &path)?;
        }
        OutputTarget::Stream(path) => {
            std::fs::write(&path, page.as_bytes()).with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    say!("Wrote the report to {} ({} KB).", path.display(), page.len().div_ceil(1024));
    Ok(ExitCode::SUCCESS)
}
