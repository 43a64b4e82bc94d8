//! `margin audit verify` walks the audit trail's hash chain and names the first event that does not hold;
//! `margin audit log` prints events as JSONL, filtered by item, user, action and time.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail};

use super::{Context, open_store};
use crate::domain::access::Role;
use crate::domain::audit::to_hex;
use crate::domain::text::{json_for_terminal as visible_json, visible};
use crate::store::{EventFilter, StoredEvent};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check every link of the hash chain; names the first event that was changed, removed or put in.
    Verify,
    /// Print events as JSON lines, oldest first.
    Log(LogArgs),
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only events about this item (its id).
    #[arg(long)]
    pub item: Option<String>,
    /// Only events by this user.
    #[arg(long)]
    pub user: Option<String>,
    /// Only this kind of event (decision, export, import, model_version, ...) or decision action (accept,
    /// correct, escalate, resolve, undo, ...).
    #[arg(long)]
    pub action: Option<String>,
    /// From this time on: an RFC 3339 time or date (2026-11-29, 2026-11-29T10:00:00Z) or a span back from
    /// now (2h, 3days).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (needed, command) = match args.command {
        AuditCommand::Verify => (Role::Annotator, "audit verify"),
        AuditCommand::Log(_) => (Role::Expert, "audit log"),
    };
    let project = context.open_project_as(needed, command)?.project;
    let store = open_store(&project)?;
    match args.command {
        AuditCommand::Verify => {
            let report = store.verify_events()?;
            let Some(broken) = report.broken else {
                let head = report.head.map_or("no events yet".to_string(), |(seq, hash)| {
                    format!("up to event {seq}, head {}", to_hex(&hash))
                });
                say!("audit trail holds: {} events checked, {head}", report.held);
                return Ok(ExitCode::SUCCESS);
            };
            let mut found = format!("audit trail broken at event {}: {}", broken.problem.seq(), broken.problem);
            if let (Some(at_ms), Some(actor), Some(kind)) = (broken.at_ms, &broken.actor, &broken.kind) {
                found.push_str(&format!(
                    " [the row there: {} by {} at {}]",
                    visible(kind),
                    visible(actor),
                    format_time(at_ms)
                ));
            }
            tell!("margin: {}: {found}; {} events before it hold", project.db_path().display(), report.held);
            Ok(ExitCode::FAILURE)
        }
        AuditCommand::Log(log) => {
            let item_id = match &log.item {
                Some(id) => Some(store.find_item(id)?.ok_or_else(|| anyhow!("no item with id {:?}", visible(id)))?.id),
                None => None,
            };
            let filter = EventFilter {
                item_id,
                actor: log.user,
                action: log.action,
                since_ms: log.since.as_deref().map(|t| parse_time(t, "--since")).transpose()?,
                until_ms: log.until.as_deref().map(|t| parse_time(t, "--until")).transpose()?,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written = store
                .visit_events(&filter, |event| writeln!(out, "{}", visible_json(&event_json(&event).to_string())))?;
            written.and_then(|()| out.flush()).context("cannot write the log")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One event as a JSON line: the stored payload as JSON, the time as RFC 3339 as well as milliseconds.
fn event_json(event: &StoredEvent) -> serde_json::Value {
    let payload: serde_json::Value =
        serde_json::from_str(&event.payload).unwrap_or_else(|_| serde_json::Value::String(event.payload.clone()));
    serde_json::json!({
        "seq": event.seq,
        "at": format_time(event.at_ms),
        "at_ms": event.at_ms,
        "actor": event.actor,
        "kind": event.kind,
        "item": event.item,
        "payload": payload,
        "hash": to_hex(&event.hash),
    })
}

fn format_time(at_ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(at_ms).unwrap_or(0));
    humantime::format_rfc3339_millis(at).to_string()
}

/// An RFC 3339 time, a date (midnight UTC), or a span back from now, in milliseconds since the epoch.
fn parse_time(text: &str, flag: &str) -> anyhow::Result<i64> {
    let text = text.trim();
    let at = if let Ok(at) = humantime::parse_rfc3339_weak(text) {
        at
    } else if let Ok(at) = humantime::parse_rfc3339_weak(&format!("{text} 00:00:00")) {
        at
    } else if let Ok(span) = humantime::parse_duration(text) {
        SystemTime::now().checked_sub(span).unwrap_or(UNIX_EPOCH)
    } else {
        bail!(
            "{flag} {:?}: not a time; give 2026-11-29, 2026-11-29T10:00:00Z or a span back from now such as 2h",
            visible(text)
        )
    };
    Ok(at.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_documented_form() {
        assert_eq!(parse_time("1970-01-02", "--since").unwrap(), 86_400_000);
        assert_eq!(parse_time("1970-01-01T00:00:01Z", "--since").unwrap(), 1000);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
        let two_hours_ago = parse_time("2h", "--since").unwrap();
        assert!((now - 7_200_000 - two_hours_ago).abs() < 5_000);
        let err = parse_time("yesterday-ish", "--until").unwrap_err().to_string();
        assert!(err.contains("--until") && err.contains("2026-11-29"), "{err}");
    }
}
