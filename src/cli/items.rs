//! `margin items`: lists items with their ids, status and the current model's prediction, so that the ids
//! `margin explain` and `margin decide` take can be found (and, with `--json`, read by scripts).

use std::process::ExitCode;

use super::terminal::print_json;
use super::{Context, open_store};
use crate::domain::access::Role;
use crate::domain::text::visible;
use crate::domain::{ItemOutcome, predicted};
use crate::store::StoreError;
use clap::ValueEnum;

/// Which items to list, by their status as `margin status` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFilter {
    All,
    Pending,
    Decided,
    Disputed,
    Escalated,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only items with this status.
    #[arg(long, value_enum, default_value_t = StatusFilter::All)]
    pub status: StatusFilter,
    /// At most N items, oldest first (0: all of them).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// One JSON object per line instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Ends the walk over the items once enough are listed.
enum Walk {
    Enough,
    Store(StoreError),
}

impl From<StoreError> for Walk {
    fn from(e: StoreError) -> Self {
        Walk::Store(e)
    }
}

fn wanted(filter: StatusFilter, outcome: &ItemOutcome) -> bool {
    match filter {
        StatusFilter::All => true,
        StatusFilter::Pending => matches!(outcome, ItemOutcome::Pending),
        StatusFilter::Decided => matches!(outcome, ItemOutcome::Decided { .. }),
        StatusFilter::Disputed => matches!(outcome, ItemOutcome::Disputed),
        StatusFilter::Escalated => matches!(outcome, ItemOutcome::Escalated),
    }
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Annotator, "items")?;
    let project = opened.project;
    // Annotators get texts masked as on the screen; experts get them whole.
    let masker =
        (project.config.pii.mask && opened.role < Role::Expert).then(|| project.config.pii.masker()).transpose()?;
    let mut store = open_store(&project)?;
    let labels = project.config.label_names();
    let model = store.current_model()?.filter(|m| m.labels == labels).map(|m| m.id);
    let multi = project.config.task == crate::domain::TaskKind::MultiLabel;
    let limit = if args.limit == 0 { usize::MAX } else { args.limit };
    let mut listed = 0usize;
    if !args.json {
        say!("{:<18} {:<9} {:<24} text", "id", "status", "model says");
    }
    let walked = store.for_each_item(model, |view| {
        if !wanted(args.status, view.outcome) {
            return Ok(());
        }
        let text = masker.as_ref().map_or_else(|| view.item.text.clone(), |m| m.mask(&view.item.text));
        let says = view.prediction.and_then(|p| predicted(&p.probabilities, multi)).map(|p| {
            let names: Vec<&str> =
                p.labels.iter().filter_map(|&k| project.config.labels.get(k)).map(|l| l.display_name()).collect();
            (names.join("+"), p.confidence)
        });
        if args.json {
            print_json(&serde_json::json!({
                "id": view.item.ext_id,
                "status": view.outcome.as_str(),
                "labels": view.outcome.labels(),
                "predicted": says.as_ref().map(|(label, _)| label),
                "confidence": says.as_ref().map(|(_, c)| c),
                "text": text,
            }));
        } else {
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = flat.chars().take(60).collect();
            let says = says.map_or_else(|| "-".to_string(), |(label, c)| format!("{label} ({:.0}%)", c * 100.0));
            say!(
                "{:<18} {:<9} {:<24} {}",
                visible(&view.item.ext_id),
                view.outcome.as_str(),
                visible(&says),
                visible(&short)
            );
        }
        listed += 1;
        if listed >= limit { Err(Walk::Enough) } else { Ok(()) }
    });
    match walked {
        Ok(()) | Err(Walk::Enough) => {}
        Err(Walk::Store(e)) => return Err(e.into()),
    }
    if !args.json && listed == 0 {
        // The filter's name as typed (clap's value for it): "No items pending."
        let status = match args.status {
            StatusFilter::All => String::new(),
            other => other.to_possible_value().map_or(String::new(), |v| format!(" {}", v.get_name())),
        };
        say!("No items{status}.");
    }
    Ok(ExitCode::SUCCESS)
}
