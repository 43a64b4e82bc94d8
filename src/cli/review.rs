//! `margin review`: looks back over what was decided. Filters (`--filter "label=spam person=ann"`), a
//! full-text search (`--search`), search by meaning (`--like`), one item's whole history (`--item`), and
//! re-labelling one item or a filtered set by an expert's ruling after a count and a confirmation
//! (`--relabel`). Experts see everything; annotators review their own decisions.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::review::{model_now, rank_by_meaning};
use crate::domain::Decision;
use crate::domain::access::Role;
use crate::domain::review::{FILTER_KEYS, ReviewFilter, day_of, history_line};
use crate::domain::text::visible;
use crate::store::{ReviewRow, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Filter words, all of which must hold (repeatable): label=L, person=NAME, status=S, since=YYYY-MM-DD,
    /// until=YYYY-MM-DD, gold, escalated, disagrees (with the model), confidence=LOW-HIGH, meta.FIELD=VALUE.
    #[arg(long, value_name = "WORDS")]
    pub filter: Vec<String>,
    /// Only items whose text holds all these words (full-text search; `word*` matches a prefix).
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    /// Rank the items by closeness in meaning to this text (needs the project's sentence encoder and
    /// `margin embed`).
    #[arg(long, value_name = "TEXT")]
    pub like: Option<String>,
    /// One item: print its whole history (or, with --relabel, re-label only it).
    #[arg(long, value_name = "ID")]
    pub item: Option<String>,
    /// At most N items (0: all of them).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
    /// Print only how many items the filters find.
    #[arg(long)]
    pub count: bool,
    /// Give the items found this label (repeat for multi-label projects), as an expert's ruling each.
    #[arg(long, value_name = "LABEL")]
    pub relabel: Vec<String>,
    /// Why the items are re-labelled (required with --relabel; kept with each ruling in the audit trail).
    #[arg(long)]
    pub reason: Option<String>,
    /// A note kept with each ruling.
    #[arg(long)]
    pub note: Option<String>,
    /// Re-label without asking (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// One JSON object per line instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print the table even on a terminal (where `margin review` otherwise opens its screen).
    #[arg(long)]
    pub list: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let needed = if args.relabel.is_empty() { Role::Annotator } else { Role::Expert };
    let opened = context.open_project_as(needed, "review")?;
    let project = opened.project;
    let mut filter = ReviewFilter::default();
    for words in &args.filter {
        filter.add(words).map_err(|e| anyhow!("--filter: {e}"))?;
    }
    if let Some(words) = &args.search {
        filter.search = Some(words.clone());
    }
    let label_set = project.config.label_set();
    for label in &filter.labels {
        label_set.validate(std::slice::from_ref(label)).map_err(|e| anyhow!("--filter label={label}: {e}"))?;
    }
    // Annotators review their own decisions, with texts masked as on their screen.
    let expert = project.config.roles.is_none() || opened.role >= Role::Expert;
    if !expert {
        match &filter.person {
            Some(name) if *name != context.user => {
                bail!("only experts and admins may review another person's decisions; leave out person={name}")
            }
            _ => filter.person = Some(context.user.clone()),
        }
    }
    let masker =
        (project.config.pii.mask && opened.role < Role::Expert).then(|| project.config.pii.masker()).transpose()?;
    let mask = |text: &str| masker.as_ref().map_or_else(|| text.to_string(), |m| m.mask(text));
    let mut store = open_store(&project)?;

    if !args.relabel.is_empty() {
        return relabel(context, &project, &mut store, &filter, &args);
    }
    if let Some(id) = &args.item {
        return history(&project, &mut store, id, args.json, &mask);
    }
    let on_terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if on_terminal && !(args.list || args.json || args.count || args.like.is_some()) {
        let only_person = (!expert).then(|| context.user.clone());
        return super::review_screen::open(context, &project, opened.role, store, filter, only_person);
    }
    if args.count {
        let n = store.review_count(&filter)?;
        if args.json {
            print_json(&serde_json::json!({ "count": n, "filter": filter.describe() }));
        } else {
            say!("{n}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let limit = if args.limit == 0 { usize::MAX } else { args.limit };
    let rows = match &args.like {
        None => store.review_page(&filter, None, limit)?,
        Some(text) => {
            let runtime = super::model::start_runtime(context)?;
            let encoder = super::model::project_encoder(context, &project, runtime)?.ok_or_else(|| {
                anyhow!("--like searches by meaning with the project's sentence encoder, and this project has none")
            })?;
            let candidates = store.review_ids(&filter)?;
            let mut encoder = encoder.lock().map_err(|_| anyhow!("the sentence encoder failed earlier"))?;
            let ranked = rank_by_meaning(&mut store, &mut encoder, text, &candidates, limit)?;
            let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
            store.review_rows(&ids)?
        }
    };
    print_rows(&rows, args.json, &mask, &filter);
    Ok(ExitCode::SUCCESS)
}

fn print_rows(rows: &[ReviewRow], json: bool, mask: &dyn Fn(&str) -> String, filter: &ReviewFilter) {
    if json {
        for row in rows {
            let mut value = serde_json::to_value(row).unwrap_or_default();
            value["text"] = serde_json::Value::String(mask(&row.text));
            value["decided_on"] = serde_json::Value::String(day_of(row.last_at_ms));
            print_json(&value);
        }
        return;
    }
    if rows.is_empty() {
        let which = if filter.is_empty() { String::new() } else { format!(" for {}", filter.describe()) };
        say!("Nothing decided{which}. Filters: {FILTER_KEYS}.");
        return;
    }
    // Ids are shown whole, to be copied into --item, explain and decide.
    let id_width = rows.iter().map(|r| r.id.chars().count()).max().unwrap_or(2).clamp(2, 40);
    say!("{:<id_width$} {:<9} {:<14} {:<10} {:<10} {:<13} text", "id", "status", "labels", "by", "on", "model then");
    for row in rows {
        let labels = row.labels.as_ref().map_or_else(|| "-".to_string(), |l| l.join("+"));
        let model = match (&row.predicted, row.confidence) {
            (Some(p), Some(c)) => format!("{} {:.0}%{}", p.join("+"), c * 100.0, if row.disagrees { "!" } else { "" }),
            _ => "-".to_string(),
        };
        let flat: String = mask(&row.text).split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = flat.chars().take(40).collect();
        say!(
            "{:<id_width$} {:<9} {:<14} {:<10} {:<10} {:<13} {}{}",
            visible(&row.id),
            row.status.as_str(),
            visible(&clip(&labels, 14)),
            visible(&clip(&row.last_by, 10)),
            day_of(row.last_at_ms),
            visible(&clip(&model, 13)),
            if row.gold { "[gold] " } else { "" },
            visible(&short)
        );
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// `--item ID`: the item, every decision about it (who, what, why, what the model said then) and what the
/// current model says now.
fn history(
    project: &crate::app::project::Project,
    store: &mut Store,
    id: &str,
    json: bool,
    mask: &dyn Fn(&str) -> String,
) -> anyhow::Result<ExitCode> {
    let item = store.find_item(id)?.ok_or_else(|| anyhow!("no item with id {id:?}; `margin review` lists ids"))?;
    let decisions = store.decisions_for(item.id)?;
    let state = store.review_rows(&[item.id])?.pop();
    let now = model_now(store, &project.config, item.id)?
        .and_then(|m| m.said.map(|(labels, confidence)| (m.version, labels, confidence)));
    let undone_by = |d: &Decision| decisions.iter().find(|u| u.undoes == Some(d.id)).map(|u| u.id);
    if json {
        let steps: Vec<serde_json::Value> = decisions
            .iter()
            .map(|d| {
                serde_json::json!({
                    "decision": d.id, "at": day_of(d.at_ms), "at_ms": d.at_ms, "by": d.annotator,
                    "action": d.action.as_str(), "labels": d.labels, "reason": d.reason, "note": d.note,
                    "undoes": d.undoes, "undone_by": undone_by(d), "model_then": d.model,
                })
            })
            .collect();
        print_json(&serde_json::json!({
            "id": item.ext_id, "text": mask(&item.text), "status": state.as_ref().map(|s| s.status),
            "labels": state.as_ref().and_then(|s| s.labels.clone()), "gold": item.gold,
            "reference_labels": item.reference_labels, "decisions": steps,
            "model_now": now.as_ref().map(|(v, l, c)| serde_json::json!({"version": v, "labels": l, "confidence": c})),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    say!("Item {}{}", visible(&item.ext_id), if item.gold { " (gold)" } else { "" });
    say!("{}", mask(&item.text));
    if let Some(s) = &state {
        let labels = s.labels.as_ref().map_or_else(|| "-".to_string(), |l| l.join("+"));
        say!("Now: {} {}", s.status.as_str(), visible(&labels));
    }
    if let Some(reference) = &item.reference_labels {
        say!("Reference labels: {}", visible(&reference.join("+")));
    }
    say!("");
    if decisions.is_empty() {
        say!("No decisions yet.");
    }
    for d in &decisions {
        say!("{}", visible(&history_line(d, undone_by(d))));
    }
    match now {
        Some((version, labels, confidence)) => {
            say!("Model now (version {version}): {} {:.0}%", visible(&labels.join("+")), confidence * 100.0)
        }
        None => say!("Model now: no prediction (no current model, or it has not scored this item)."),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--relabel`: counts what the filter (or `--item`) finds, asks, then records one ruling per item in one
/// transaction.
fn relabel(
    context: &Context,
    project: &crate::app::project::Project,
    store: &mut Store,
    filter: &ReviewFilter,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    if args.like.is_some() {
        bail!("--relabel works on what the filters find, not on a ranking; drop --like (use --filter or --search)");
    }
    let reason = args.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let Some(reason) = reason else {
        bail!("--relabel needs --reason \"why\": it is kept with each ruling in the audit trail");
    };
    let labels = project.config.label_set().validate(&args.relabel).map_err(|e| anyhow!("--relabel: {e}"))?;
    let ids = match &args.item {
        Some(id) => {
            vec![store.find_item(id)?.ok_or_else(|| anyhow!("no item with id {id:?}; `margin review` lists ids"))?.id]
        }
        None => store.review_ids(filter)?,
    };
    if ids.is_empty() {
        say!("Nothing to re-label: the filters find no decided item.");
        return Ok(ExitCode::SUCCESS);
    }
    let what = if filter.is_empty() { "every decided item".to_string() } else { filter.describe() };
    let scope = if args.item.is_some() { "1 item".to_string() } else { format!("{} items ({what})", ids.len()) };
    if !args.yes && !confirm(&format!("Re-label {scope} as {}?", labels.join("+")))? {
        say!("Nothing re-labelled.");
        return Ok(ExitCode::SUCCESS);
    }
    let done = store.relabel(&ids, &labels, &context.user, reason, args.note.as_deref())?;
    if args.json {
        print_json(&done);
    } else {
        say!(
            "Re-labelled {} items as {} ({} already were); each is a ruling by {} in the audit trail.",
            done.changed,
            labels.join("+"),
            done.unchanged,
            context.user
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, Write};
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        bail!("{question} There is no terminal to ask on: pass --yes to re-label without asking");
    }
    tell_part!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
