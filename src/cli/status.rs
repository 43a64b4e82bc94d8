//! `margin status`: where the project stands, for people or (`--json`) for scripts.

use std::process::ExitCode;

use super::terminal::print_json;
use super::{Context, open_store};
use crate::domain::access::Role;
use crate::domain::text::{count, visible};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Annotator, "status")?.project;
    let mut store = open_store(&project)?;
    let label_names: Vec<String> = project.config.label_names();
    let mut report = store.status(&label_names)?;
    if project.config.task == crate::domain::TaskKind::Spans {
        // A span item's labels are its spans' keys: count spans per label instead.
        report.labels = spans_per_label(&report.labels, &label_names, true);
        report.reference_labels = spans_per_label(&report.reference_labels, &label_names, false);
    }
    let vectors = store.embedding_counts()?;
    let person = context.person(&project, None)?;
    let left = crate::app::serve::left_now(&mut store, &project.config, &person)?;
    if args.json {
        let json = serde_json::json!({
            "project": project.config.name,
            "dir": project.dir,
            "task": project.config.task.as_str(),
            "status": report,
            "left": { "annotator": person, "items": left },
            "vectors": vectors.iter().map(|(encoder, n)| serde_json::json!({ "encoder": encoder, "items": n })).collect::<Vec<_>>(),
        });
        print_json(&json);
        return Ok(ExitCode::SUCCESS);
    }
    let config = &project.config;
    say!("{}  ({}, {})", visible(&config.name), visible(&project.dir.display().to_string()), config.task.as_str());
    say!(
        "items {}   pending {}   decided {}   disputed {}   escalated {}   gold {}",
        report.items,
        report.pending,
        report.decided,
        report.disputed,
        report.escalated,
        report.gold
    );
    say!("left for {}: {left} of the {} pending", visible(&person), report.pending);
    if left < report.pending {
        let trained = if config.sampling.serve_reference_labelled { "" } else { ", or for training" };
        let yours = if config.sampling.overlap > 1 { "decided by you, " } else { "" };
        say!("  (the rest: {yours}for experts, reserved by others{trained})");
    }
    let width = label_names.iter().map(|l| l.chars().count()).max().unwrap_or(5).max(5);
    let decided = if config.task == crate::domain::TaskKind::Spans { "spans" } else { "decided" };
    say!("{:width$}  {:>8}  {:>9}", "label", decided, "reference");
    for count in &report.labels {
        let reference = report.reference_labels.iter().find(|r| r.label == count.label).map_or(0, |r| r.count);
        say!("{:width$}  {:>8}  {:>9}", visible(&count.label), count.count, reference);
    }
    for extra in report.reference_labels.iter().filter(|r| !label_names.contains(&r.label)) {
        say!("{:width$}  {:>8}  {:>9}", visible(&extra.label), "-", extra.count);
    }
    let zero_shot = store.current_model()?.is_some_and(|m| m.is_zero_shot());
    let model = match report.current_model {
        None => "none yet (margin train)".to_string(),
        Some(m) if zero_shot => {
            format!("version {m} (zero-shot from the label descriptions), {} items scored", report.scored)
        }
        Some(m) => {
            let accuracy = report
                .model_accuracy
                .map_or(String::new(), |a| format!(", cross-validated accuracy {:.1}%", a * 100.0));
            format!("version {m}{accuracy}, {} items scored", report.scored)
        }
    };
    say!(
        "{} by {} · {} · model: {model}",
        count(report.decisions, "decision", "decisions"),
        count(report.annotators, "annotator", "annotators"),
        count(report.imports, "import", "imports")
    );
    for (encoder, n) in &vectors {
        let rest = if *n < report.items { " (`margin embed` computes the rest)" } else { "" };
        say!("vectors: {n} of {} items from {}{rest}", report.items, visible(encoder));
    }
    if vectors.is_empty() && project.config.model.encoder != crate::config::NO_ENCODER {
        say!("vectors: none yet (margin embed)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts of span keys (`start:end:label`, per item) as counts of spans per label, in the project's label
/// order (every label listed when `all`, else only those found).
fn spans_per_label(keys: &[crate::store::LabelCount], labels: &[String], all: bool) -> Vec<crate::store::LabelCount> {
    let mut per_label: Vec<u64> = vec![0; labels.len()];
    for k in keys {
        if let Some(i) =
            crate::domain::spans::Span::from_key(&k.label).and_then(|s| labels.iter().position(|l| *l == s.label))
        {
            per_label[i] += k.count;
        }
    }
    labels
        .iter()
        .zip(per_label)
        .filter(|(_, n)| all || *n > 0)
        .map(|(label, count)| crate::store::LabelCount { label: label.clone(), count })
        .collect()
}
