//! `margin triage`: the expert's queue from the command line. `list` shows what needs a ruling and why;
//! `resolve` rules with a label and a rationale (it feeds training like any decision); `send-back` returns
//! an escalation to annotators; `example` adds the case under its label in the guidelines; `gold` makes
//! the item a gold item; `reveal` prints an item's unmasked text. Everything is recorded in the audit trail.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::mpsc::channel;

use anyhow::Context as _;

use super::annotate::{colour_wanted, label_views, load_keymap};
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::project::Project;
use crate::app::reveal::{RevealedOn, reveal};
use crate::app::triage;
use crate::app::worker::start_runtime_later;
use crate::app::worker::triage::TriageWorker;
use crate::domain::access::Role;
use crate::domain::pii::Masker;
use crate::domain::text::visible;
use crate::model::runtime::SearchPlaces;
use crate::store::TriageCase;
use crate::tui::inbox::inbox;
use crate::tui::triage::{TriageApp, TriageConfig, TriageEffect, TriageMsg};

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
        /// The item's id (as `margin items` lists them).
        item: String,
        /// The label it gets (repeat for several in a multi-label project).
        #[arg(long, required = true)]
        label: Vec<String>,
        /// Why, for the annotators and the audit trail.
        #[arg(long)]
        rationale: Option<String>,
    },
    /// Return an escalated item to annotators without a ruling.
    SendBack {
        /// The item's id (as `margin items` lists them).
        item: String,
        /// A note for the annotators who get it back.
        #[arg(long)]
        note: Option<String>,
    },
    /// Add the item to the guidelines as an example under its label, with the rationale.
    Example {
        /// The item's id (as `margin items` lists them).
        item: String,
        /// The label whose guidelines section gets the example.
        #[arg(long)]
        label: String,
        /// Why the item belongs there, written beside it.
        #[arg(long)]
        rationale: String,
    },
    /// Make the item a gold item with this label (it then measures annotators' accuracy).
    Gold {
        /// The item's id (as `margin items` lists them).
        item: String,
        /// Its true label (repeat for several in a multi-label project).
        #[arg(long, required = true)]
        label: Vec<String>,
        /// Why it has that label: shown to whoever misses the gold check, with the label.
        #[arg(long)]
        rationale: Option<String>,
    },
    /// Print an item's text unmasked (recorded in the audit trail).
    Reveal {
        /// The item's id (as `margin items` lists them).
        item: String,
    },
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Expert, "triage")?;
    let Some(command) = args.command else {
        return open_screen(context, &opened.project, opened.role);
    };
    let project = opened.project;
    let mut store = open_store(&project)?;
    let config = &project.config;
    let masker = config.pii.mask.then(|| config.pii.masker()).transpose()?;
    let shown = |text: &str| masker.as_ref().map_or_else(|| text.to_string(), |m: &Masker| m.mask(text));
    match command {
        TriageCommand::List { json } => {
            let cases = store.triage_cases(
                &config.label_names(),
                config.thresholds.override_reason,
                config.quality.gold_alert_rule(),
            )?;
            let current = store.current_model()?;
            for case in &cases {
                let prediction = match &current {
                    Some(m) => {
                        store.prediction(m.id, case.item.id)?.map(|p| triage::model_says(config, &p.probabilities))
                    }
                    None => None,
                };
                if json {
                    print_json(&case_json(case, &shown(&case.item.text), prediction));
                } else {
                    print_case(
                        case,
                        &shown(&case.item.text),
                        prediction,
                        config.task == crate::domain::TaskKind::Spans,
                    );
                }
            }
            if !json {
                let n = cases.len() as u64;
                tell!(
                    "{} {} a ruling.",
                    crate::domain::text::count(n, "item", "items"),
                    if n == 1 { "needs" } else { "need" }
                );
            }
        }
        TriageCommand::Resolve { item, label, rationale } => {
            let item = triage::find(&store, &item)?;
            let label = triage::check_ruling(config, &item, &label)?;
            triage::resolve(&mut store, &context.user, item.id, label.clone(), rationale)?;
            say!("{} resolved as {}.", visible(&item.ext_id), visible(&label.join(", ")));
        }
        TriageCommand::SendBack { item, note } => {
            let item = triage::find(&store, &item)?;
            triage::send_back(&mut store, &context.user, &item, note.as_deref())?;
            say!("{} is back with the annotators.", visible(&item.ext_id));
        }
        TriageCommand::Example { item, label, rationale } => {
            let item = triage::find(&store, &item)?;
            triage::check_labels(config, std::slice::from_ref(&label))?;
            let file = triage::add_example(&project, &mut store, &context.user, &item, &label, &rationale, &shown)?;
            say!("{} added under {} in {}.", visible(&item.ext_id), visible(&label), file.display());
        }
        TriageCommand::Gold { item, label, rationale } => {
            let item = triage::find(&store, &item)?;
            let label = triage::check_ruling(config, &item, &label)?;
            triage::mark_gold(&mut store, &context.user, item.id, &label, rationale.as_deref())?;
            say!("{} is a gold item: {}.", visible(&item.ext_id), visible(&label.join(", ")));
        }
        TriageCommand::Reveal { item } => {
            let item = triage::find(&store, &item)?;
            let text = reveal(&mut store, &context.user, None, item.id, RevealedOn::Triage)?;
            say!("{}", visible(&text));
        }
    }
    Ok(ExitCode::SUCCESS)
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
        "gold_alert": case.gold_alert.as_ref().map(|a| serde_json::json!({
            "annotator": a.annotator, "right": a.right, "of": a.of,
        })),
    })
}

fn print_case(case: &TriageCase, text: &str, prediction: Option<(String, f32)>, span_project: bool) {
    let why: Vec<&str> = case.kinds.iter().map(|k| k.as_str()).collect();
    say!("{}  [{}]", visible(&case.item.ext_id), why.join(", "));
    say!("  {}", visible(text));
    if let Some((reason, by, note)) = &case.escalation {
        let note = note.as_deref().map(|n| format!(" - {}", visible(n))).unwrap_or_default();
        say!("  escalated by {}: {}{note}", visible(by), visible(reason));
    }
    // A span item's labels read as their words where the text is shown with its lengths (not masked).
    let spans = span_project && case.item.text.chars().count() == text.chars().count();
    for d in &case.decisions {
        let described = |l: &[String]| if spans { crate::domain::spans::describe(text, l) } else { l.join(", ") };
        let labels = d.labels.as_ref().map(|l| format!(" {}", described(l))).unwrap_or_default();
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
    if let Some(alert) = &case.gold_alert {
        say!("  gold accuracy alert: {}", visible(&alert.describe()));
    }
}

/// The triage screen, with its worker on its own thread.
fn open_screen(context: &Context, project: &Project, role: Role) -> anyhow::Result<ExitCode> {
    let keymap = load_keymap(Some(project))?;
    let config = &project.config;
    let screen = TriageConfig {
        project: config.name.clone(),
        expert: context.user.clone(),
        labels: label_views(config),
        can_reveal: role >= Role::Expert,
        color: colour_wanted(),
    };
    let masker = if config.pii.mask { Some(config.pii.masker()?) } else { None };
    let start = start_runtime_later(
        SearchPlaces::from_environment(context.ort_lib.as_deref()),
        super::model::encoder_manifest(context, project)?,
    );
    let worker = TriageWorker::new(project.clone(), open_store(project)?, context.user.clone(), masker, start);
    let (replies_tx, replies) = inbox::<TriageMsg>().context("cannot set up the screen's inbox")?;
    let (jobs, jobs_rx) = channel();
    let thread = std::thread::Builder::new()
        .name("margin-triage".into())
        .spawn(move || worker.run(jobs_rx, replies_tx))
        .context("cannot start the triage worker")?;
    let result = crate::tui::run(
        TriageApp::new(screen, keymap),
        &mut |effect| {
            let _ = jobs.send(effect);
        },
        &replies,
    );
    let _ = jobs.send(TriageEffect::Quit);
    let _ = thread.join();
    let app = result?;
    let _ = writeln!(std::io::stdout(), "{} cases settled by {} this session.", app.settled, visible(&context.user));
    Ok(ExitCode::SUCCESS)
}
