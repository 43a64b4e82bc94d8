//! `margin decide ITEM`: records one decision from the command line (for scripts, and for labelling
//! without the screen): a label, the model's prediction, a binary reject, a skip or an escalation.

use std::process::ExitCode;

use anyhow::{anyhow, bail};

use super::{Context, open_store};
use crate::domain::access::Role;
use crate::domain::text::visible;
use crate::domain::{DecisionAction, ModelSnapshot};
use crate::store::{NewDecision, StoreError};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["label", "spans", "accept", "reject", "skip", "escalate"])))]
pub struct Args {
    /// The item's id.
    pub item: String,
    /// The label(s) the item gets (repeat for multi-label projects).
    #[arg(long)]
    pub label: Vec<String>,
    /// Span projects: the item's spans, as START:END:LABEL keys separated by commas (offsets in characters,
    /// end exclusive; "" for none).
    #[arg(long, value_name = "KEYS")]
    pub spans: Option<String>,
    /// Take the current model's prediction.
    #[arg(long)]
    pub accept: bool,
    /// Say the prediction is wrong (binary projects: the item gets the other label).
    #[arg(long)]
    pub reject: bool,
    /// Pass on the item for now.
    #[arg(long)]
    pub skip: bool,
    /// Send the item to an expert, with this reason.
    #[arg(long, value_name = "REASON")]
    pub escalate: Option<String>,
    /// A note for whoever reads the decision later.
    #[arg(long)]
    pub note: Option<String>,
    /// The reason for overriding a confident prediction.
    #[arg(long)]
    pub reason: Option<String>,
    /// Who decides, on an account margin.toml lists under `[roles] shared_accounts` (recorded as
    /// ACCOUNT:NAME). Default: the account running margin.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// How long the decision took, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub time_ms: Option<i64>,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Annotator, "decide")?;
    let project = opened.project;
    let mut store = open_store(&project)?;
    let item = store.find_item(&args.item)?.ok_or_else(|| anyhow!("no item with id {:?}", args.item))?;
    let labels = project.config.label_set();
    let names = labels.names().to_vec();
    let spans = project.config.task == crate::domain::TaskKind::Spans;
    let snapshot = match store.current_model()? {
        Some(model) if spans => span_snapshot(&store, &model, item.id)?,
        Some(model) if model.labels == names => store.prediction(model.id, item.id)?.and_then(|p| {
            let multi = project.config.task == crate::domain::TaskKind::MultiLabel;
            let p = crate::domain::predicted(&p.probabilities, multi)?;
            let predicted = p.labels.iter().filter_map(|&k| names.get(k).cloned()).collect();
            Some(ModelSnapshot { version: model.id, predicted, confidence: f64::from(p.confidence) })
        }),
        _ => None,
    };
    if spans && !args.label.is_empty() {
        bail!("--label: this project labels spans; give them with --spans START:END:LABEL,...");
    }
    let (action, chosen) = if let Some(given) = &args.spans {
        if !spans {
            bail!("--spans: this project labels whole texts; give the label with --label");
        }
        let chosen = checked_spans(given, &item.text, &project.config)?;
        let agrees = snapshot.as_ref().is_some_and(|s| s.predicted == chosen);
        (if agrees { DecisionAction::Accept } else { DecisionAction::Correct }, Some(chosen))
    } else if !args.label.is_empty() {
        let chosen = labels.validate(&args.label).map_err(|e| anyhow!("--label: {e}"))?;
        let agrees = snapshot.as_ref().is_some_and(|s| s.predicted == chosen);
        (if agrees { DecisionAction::Accept } else { DecisionAction::Correct }, Some(chosen))
    } else if args.accept {
        let s =
            snapshot.as_ref().ok_or_else(|| anyhow!("--accept: the current model has no prediction for this item"))?;
        // A span model that finds no span says the text has none; a text classifier must name a label.
        if s.predicted.is_empty() && !spans {
            bail!("--accept: the model predicts no label for this item; choose the labels with --label");
        }
        (DecisionAction::Accept, Some(s.predicted.clone()))
    } else if args.reject {
        let s =
            snapshot.as_ref().ok_or_else(|| anyhow!("--reject: the current model has no prediction for this item"))?;
        let other = s
            .predicted
            .first()
            .and_then(|predicted| labels.other_than(predicted))
            .ok_or_else(|| anyhow!("--reject works in binary projects; choose the right label with --label"))?;
        (DecisionAction::Reject, Some(vec![other.to_string()]))
    } else if args.skip {
        (DecisionAction::Skip, None)
    } else if args.escalate.is_some() {
        (DecisionAction::Escalate, None)
    } else {
        bail!("say what the decision is: --label, --accept, --reject, --skip or --escalate");
    };
    let annotator = context.person(&project, args.annotator.as_deref())?;
    let what = said_back(&project.config, action, chosen.as_deref(), snapshot.is_some(), &item.ext_id);
    let decision = NewDecision {
        labels: chosen,
        reason: args.escalate.or(args.reason),
        note: args.note,
        time_spent_ms: args.time_ms,
        model: snapshot,
        ..NewDecision::new(item.id, &annotator, action)
    };
    // The queue reserved the item for someone else: an expert may decide it anyway, and that is recorded.
    let reserved = store.reserved_for_another(item.id, &annotator)?;
    let decision = NewDecision { override_lease: opened.role >= Role::Expert, ..decision };
    let id = match store.record_decision(&decision) {
        Err(e @ StoreError::Reserved { .. }) => bail!(
            "item {}: {}; they were served it in a batch. Let them decide it, or wait until the reservation ends \
             (an expert may decide it anyway)",
            visible(&item.ext_id),
            visible(&e.to_string())
        ),
        other => other?,
    };
    let overridden = match &reserved {
        Some(r) => {
            format!(" It was reserved for {}: overridden as {}, and recorded.", visible(&r.annotator), opened.role)
        }
        None => String::new(),
    };
    say!("Recorded decision {id}: {} {what}.{overridden}", visible(&annotator));
    Ok(ExitCode::SUCCESS)
}

/// A decision on `item` said back in words ("corrected a009 to Sports"), labels by their display names.
fn said_back(
    config: &crate::config::ProjectConfig,
    action: DecisionAction,
    chosen: Option<&[String]>,
    predicted: bool,
    item: &str,
) -> String {
    let labels = chosen
        .unwrap_or_default()
        .iter()
        .map(|name| config.labels.iter().find(|l| &l.name == name).map_or(name.as_str(), |l| l.display_name()))
        .collect::<Vec<_>>()
        .join(", ");
    let (item, labels) = (visible(item), visible(&labels));
    match action {
        DecisionAction::Accept => format!("accepted the model's {labels} for {item}"),
        DecisionAction::Correct if predicted => format!("corrected {item} to {labels}"),
        DecisionAction::Correct => format!("labelled {item} {labels}"),
        DecisionAction::Reject => format!("rejected the model's label for {item}: {labels}"),
        DecisionAction::Skip => format!("skipped {item}"),
        DecisionAction::Escalate => format!("escalated {item} to an expert"),
        other => format!("recorded {} on {item}", other.as_str()),
    }
}

/// The current span model's spans for the item, as the snapshot a decision records.
fn span_snapshot(
    store: &crate::store::Store,
    model: &crate::store::ModelVersion,
    item_id: i64,
) -> anyhow::Result<Option<ModelSnapshot>> {
    let Some(proposed) = store.span_predictions(model.id, &[item_id])?.remove(&item_id) else { return Ok(None) };
    let spans: Vec<crate::domain::spans::Span> = proposed.iter().map(|p| p.span.clone()).collect();
    let confidence = proposed.iter().filter_map(|p| p.confidence).fold(1.0f32, f32::min);
    Ok(Some(ModelSnapshot {
        version: model.id,
        predicted: crate::domain::spans::keys(&spans),
        confidence: f64::from(confidence),
    }))
}

/// `--spans` read and checked against the item's text and the project: their keys, in span order.
fn checked_spans(given: &str, text: &str, config: &crate::config::ProjectConfig) -> anyhow::Result<Vec<String>> {
    use crate::domain::spans::{Span, check_spans, keys, tokens};
    let spans = given
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            Span::from_key(k).ok_or_else(|| anyhow!("--spans: {:?} is not START:END:LABEL (e.g. 0:5:PER)", visible(k)))
        })
        .collect::<anyhow::Result<Vec<Span>>>()?;
    let checked = check_spans(text, &tokens(text), &spans, &config.label_names(), config.spans.overlap)
        .map_err(|e| anyhow!("--spans: {e}"))?;
    Ok(keys(&checked))
}
