//! `margin triage`: the expert's queue from the command line. `list` shows what needs a ruling and why;
//! `resolve` rules with a label and a rationale (it feeds training like any decision); `send-back` returns
//! an escalation to annotators; `example` adds the case under its label in the guidelines; `gold` makes
//! the item a gold item; `reveal` prints an item's unmasked text. Everything is recorded in the audit trail.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use super::terminal::print_json;
use super::{Context, open_store, write_atomically};
use crate::config::ProjectConfig;
use crate::domain::access::Role;
use crate::domain::guidelines::{Example, insert_under};
use crate::domain::pii::Masker;
use crate::domain::text::visible;
use crate::domain::{DecisionAction, StoredItem};
use crate::project::Project;
use crate::store::{NewDecision, Store, TriageCase};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Without a subcommand: the triage screen.
    #[command(subcommand)]
    pub command: Option<TriageCommand>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TriageCommand {
    /// What needs a ruling: escalations, disagreements, overrides of confident predictions, likely label
    /// errors; with every decision, the model's prediction and (for label errors) its suggestion.
    List {
        /// One JSON object per case.
        #[arg(long)]
        json: bool,
    },
    /// Rule on an item: its label(s), with the reasoning.
    Resolve {
        item: String,
        #[arg(long, required = true)]
        label: Vec<String>,
        #[arg(long)]
        rationale: Option<String>,
    },
    /// Return an escalated item to annotators without a ruling.
    SendBack {
        item: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Add the item to the guidelines as an example under its label, with the rationale.
    Example {
        item: String,
        #[arg(long)]
        label: String,
        #[arg(long)]
        rationale: String,
    },
    /// Make the item a gold item with this label (it then measures annotators' accuracy).
    Gold {
        item: String,
        #[arg(long, required = true)]
        label: Vec<String>,
    },
    /// Print an item's text unmasked (recorded in the audit trail).
    Reveal { item: String },
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Expert, "triage")?;
    let Some(command) = args.command else {
        return super::triage_screen::open(context, &opened.project, opened.role);
    };
    let project = opened.project;
    let mut store = open_store(&project)?;
    let config = &project.config;
    let masker = config.pii.mask.then(|| config.pii.masker()).transpose()?;
    let shown = |text: &str| masker.as_ref().map_or_else(|| text.to_string(), |m: &Masker| m.mask(text));
    match command {
        TriageCommand::List { json } => {
            let cases = store.triage_cases(&config.label_names(), config.thresholds.override_reason)?;
            let current = store.current_model()?;
            for case in &cases {
                let prediction = match &current {
                    Some(m) => store.prediction(m.id, case.item.id)?.map(|p| predicted(config, &p.probabilities)),
                    None => None,
                };
                if json {
                    print_json(&case_json(case, &shown(&case.item.text), prediction));
                } else {
                    print_case(case, &shown(&case.item.text), prediction);
                }
            }
            if !json {
                tell!("{} items need a ruling.", cases.len());
            }
        }
        TriageCommand::Resolve { item, label, rationale } => {
            let item = find(&store, &item)?;
            check_labels(config, &label)?;
            let decision = NewDecision {
                labels: Some(label.clone()),
                note: rationale,
                // An expert's ruling stands whoever the queue reserved the item for.
                override_lease: true,
                ..NewDecision::new(item.id, &context.user, DecisionAction::Resolve)
            };
            store.record_decision(&decision)?;
            say!("{} resolved as {}.", visible(&item.ext_id), visible(&label.join(", ")));
        }
        TriageCommand::SendBack { item, note } => {
            let item = find(&store, &item)?;
            if !store.send_back(item.id, &context.user, note.as_deref())? {
                bail!("{} has no open escalation to send back", visible(&item.ext_id));
            }
            say!("{} is back with the annotators.", visible(&item.ext_id));
        }
        TriageCommand::Example { item, label, rationale } => {
            let item = find(&store, &item)?;
            check_labels(config, std::slice::from_ref(&label))?;
            let file = add_example(&project, &mut store, &context.user, &item, &label, &rationale, &shown)?;
            say!("{} added under {} in {}.", visible(&item.ext_id), visible(&label), file.display());
        }
        TriageCommand::Gold { item, label } => {
            let item = find(&store, &item)?;
            check_labels(config, &label)?;
            store.mark_gold(item.id, &label, &context.user)?;
            say!("{} is a gold item: {}.", visible(&item.ext_id), visible(&label.join(", ")));
        }
        TriageCommand::Reveal { item } => {
            let item = find(&store, &item)?;
            let payload = serde_json::json!({ "from": "triage" });
            store.log_item_event(&context.user, "pii_reveal", item.id, &payload)?;
            say!("{}", visible(&item.text));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn find(store: &Store, id: &str) -> anyhow::Result<StoredItem> {
    store.find_item(id)?.ok_or_else(|| anyhow!("no item with id {:?}", visible(id)))
}

pub(super) fn check_labels(config: &ProjectConfig, labels: &[String]) -> anyhow::Result<()> {
    let names = config.label_names();
    if let Some(unknown) = labels.iter().find(|l| !names.contains(l)) {
        bail!("{:?} is not one of the project's labels ({})", visible(unknown), visible(&names.join(", ")));
    }
    if config.task == crate::domain::TaskKind::SingleLabel && labels.len() != 1 {
        bail!("a single-label project takes one --label");
    }
    Ok(())
}

/// The predicted label and its probability.
pub(super) fn predicted(config: &ProjectConfig, probabilities: &[f32]) -> (String, f32) {
    let (k, p) = probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or((0, 0.0), |(k, p)| (k, *p));
    (config.labels.get(k).map_or_else(String::new, |l| l.name.clone()), p)
}

fn case_json(case: &TriageCase, text: &str, prediction: Option<(String, f32)>) -> serde_json::Value {
    serde_json::json!({
        "id": case.item.ext_id,
        "why": case.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "text": text,
        "escalation": case.escalation.as_ref().map(|(reason, by, note)| serde_json::json!({
            "reason": reason, "by": by, "note": note,
        })),
        "decisions": case.decisions.iter().map(|d| serde_json::json!({
            "annotator": d.annotator, "action": d.action.as_str(), "labels": d.labels, "reason": d.reason,
            "note": d.note, "undoes": d.undoes,
        })).collect::<Vec<_>>(),
        "prediction": prediction.map(|(label, p)| serde_json::json!({ "label": label, "probability": p })),
        "suggestion": case.suggestion.as_ref().map(|(label, given, p)| serde_json::json!({
            "label": label, "probability": p, "probability_of_given": given,
        })),
    })
}

fn print_case(case: &TriageCase, text: &str, prediction: Option<(String, f32)>) {
    let why: Vec<&str> = case.kinds.iter().map(|k| k.as_str()).collect();
    say!("{}  [{}]", visible(&case.item.ext_id), why.join(", "));
    say!("  {}", visible(text));
    if let Some((reason, by, note)) = &case.escalation {
        let note = note.as_deref().map(|n| format!(" - {}", visible(n))).unwrap_or_default();
        say!("  escalated by {}: {}{note}", visible(by), visible(reason));
    }
    for d in &case.decisions {
        let labels = d.labels.as_ref().map(|l| format!(" {}", l.join(", "))).unwrap_or_default();
        let reason = d.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        say!("  {} {}{}{}", visible(&d.annotator), d.action.as_str(), visible(&labels), visible(&reason));
    }
    if let Some((label, p)) = prediction {
        say!("  model: {} {:.0}%", visible(&label), p * 100.0);
    }
    if let Some((label, given, p)) = &case.suggestion {
        say!(
            "  likely label error: trained without this label, the model gives it {:.0}% and {} {:.0}%",
            given * 100.0,
            visible(label),
            p * 100.0
        );
    }
}

/// Appends the example under its label's section (the first guidelines file that has one; else a new
/// section in guidelines.md), records the change in the audit trail, and returns the file.
pub(super) fn add_example(
    project: &Project,
    store: &mut Store,
    user: &str,
    item: &StoredItem,
    label: &str,
    rationale: &str,
    shown: &dyn Fn(&str) -> String,
) -> anyhow::Result<PathBuf> {
    let display = project.config.labels.iter().find(|l| l.name == label).map_or(label, |l| l.display_name());
    let date = humantime::format_rfc3339(std::time::SystemTime::now()).to_string();
    let example =
        Example { item: &item.ext_id, text: &shown(&item.text), label, rationale, by: user, date: &date[..10] };
    let block = example.markdown();
    let dir = project.guidelines_dir();
    let files = project.guideline_files();
    let mut target: Option<(PathBuf, String, String)> = None;
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("{}: cannot read", file.display()))?;
        if let Some(updated) = insert_under(&text, &[label, display], &block) {
            target = Some((file.clone(), text, updated));
            break;
        }
    }
    let (file, before, after) = match target {
        Some(found) => found,
        None => {
            let file = dir.join("guidelines.md");
            let before = std::fs::read_to_string(&file).unwrap_or_default();
            // A display name may hold anything margin.toml allows; the file is read with cat.
            let heading = crate::domain::text::visible(display);
            let after = format!("{}\n\n## {heading}\n\n{block}", before.trim_end()).trim_start().to_string();
            (file, before, after)
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    write_atomically(&file, after.as_bytes())?;
    let relative = file.strip_prefix(&project.dir).unwrap_or(Path::new(&file)).display().to_string();
    let payload = serde_json::json!({
        "file": relative,
        "label": label,
        "rationale": rationale,
        "sha256_before": sha256_hex(before.as_bytes()),
        "sha256_after": sha256_hex(after.as_bytes()),
    });
    store.log_item_event(user, "guideline_change", item.id, &payload)?;
    Ok(file)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    crate::domain::audit::to_hex(&sha2::Sha256::digest(bytes))
}
