//! `margin people`: how each person labels over the whole project (agreement with the others and Cohen's
//! kappa, agreement with the model, gold items, what the current model learned from them) and the
//! project's agreement (Fleiss' kappa). Annotators see their own row; experts and admins see everyone's.

use std::process::ExitCode;

use anyhow::bail;

use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::dashboard::{PeopleFigures, people_figures};
use crate::domain::access::Role;
use crate::domain::people::{BeyondChance, PersonStats};
use crate::domain::text::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this person (annotators may name only themselves).
    #[arg(long)]
    pub annotator: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let opened = context.open_project_as(Role::Annotator, "people")?;
    let project = opened.project;
    // Without a [roles] table everyone may see everything; with one, an annotator sees only their own row.
    let sees_everyone = project.config.roles.is_none() || opened.role >= Role::Expert;
    let wanted = match args.annotator {
        Some(name) if !sees_everyone && name != context.user => bail!(
            "only experts and admins may see another person's record; `margin people` shows yours ({})",
            visible(&context.user)
        ),
        Some(name) => Some(name),
        None if sees_everyone => None,
        None => Some(context.user.clone()),
    };
    let mut store = open_store(&project)?;
    let model = store.current_model()?;
    let PeopleFigures { report: mut people, mut gold, beyond_chance } = people_figures(&mut store, &project.config)?;
    if let Some(name) = &wanted {
        gold.retain(|g| &g.annotator == name);
        people.people.retain(|p| &p.annotator == name);
    }
    let spans = project.config.task == crate::domain::TaskKind::Spans;
    let span_agreement = if spans { Some(crate::app::spans::span_agreement(&store)?) } else { None };
    if args.json {
        let json = serde_json::json!({
            "project": project.config.name,
            "model": model.as_ref().map(|m| m.id),
            "people": people.people,
            "agreement": people.agreement,
            "beyond_chance": beyond_chance,
            "gold_over_time": gold,
            "span_agreement": span_agreement,
        });
        print_json(&json);
        return Ok(ExitCode::SUCCESS);
    }
    let model_name = model.as_ref().map_or("no model yet".to_string(), |m| format!("model v{}", m.id));
    say!("{}: how people label ({model_name})", visible(&project.config.name));
    if people.people.is_empty() {
        match &wanted {
            Some(name) => say!("{} has labelled nothing yet.", visible(name)),
            None => say!("Nobody has labelled anything yet."),
        }
    } else {
        let width = people.people.iter().map(|p| visible(&p.annotator).chars().count()).max().unwrap_or(6).max(6);
        say!(
            "{:width$}  {:>6}  {:>16}  {:>5}  {:>16}  {:>12}  {:>22}",
            "person",
            "labels",
            "agree w/ others",
            "kappa",
            "agree w/ model",
            "gold right",
            "learned (corrections)"
        );
        for p in &people.people {
            say!("{}", row(p, width));
        }
    }
    if !gold.is_empty() {
        let of = |(right, all): (u64, u64)| if all == 0 { "-".to_string() } else { format!("{right} of {all}") };
        let width = gold.iter().map(|g| visible(&g.annotator).chars().count()).max().unwrap_or(0).max(17);
        say!("{:width$}  {:>12}  {:>12}  {:>12}", "gold checks right", "all time", "last 7 days", "prior 7");
        for g in &gold {
            say!(
                "{:width$}  {:>12}  {:>12}  {:>12}",
                visible(&g.annotator),
                of(g.all_time),
                of(g.this_week),
                of(g.last_week)
            );
        }
    }
    let a = &people.agreement;
    if a.items == 0 && project.config.sampling.overlap < 2 {
        say!(
            "No item has been labelled by two people yet: set sampling.overlap = 2 in margin.toml to measure agreement."
        );
    } else if a.items == 0 {
        say!("No item has been labelled by two people yet.");
    } else {
        say!(
            "{} items labelled by two or more people: {} of {} pairs agree ({}), Fleiss' kappa {}.",
            a.items,
            a.agreed_pairs,
            a.pairs,
            share(a.agreed_pairs, a.pairs),
            a.fleiss_kappa.map_or("-".to_string(), |k| format!("{k:.2}"))
        );
        match &span_agreement {
            // A span item's labels are whole sets of spans: agreement per span says more.
            Some(report) => print_span_agreement(report, &project.config.label_names()),
            None => print_beyond_chance(&beyond_chance),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Span F1 between people, per label and over all labels, exact and overlapping.
fn print_span_agreement(report: &crate::app::spans::SpanAgreementReport, labels: &[String]) {
    let f1 = |c: Option<&crate::domain::spans::agreement::SpanCounts>| {
        c.and_then(|c| c.f1()).map_or("-".to_string(), |v| format!("{v:.2}"))
    };
    let width = labels.iter().map(|l| visible(l).chars().count()).max().unwrap_or(0).max(10);
    say!("Span agreement between people on {} texts (F1 over every pair):", report.texts);
    say!("  {:width$}  {:>8}  {:>10}  {:>7}", "", "exact", "overlap", "spans");
    let spans_of = |c: Option<&crate::domain::spans::agreement::SpanCounts>| c.map_or(0, |c| c.first + c.second);
    say!(
        "  {:width$}  {:>8}  {:>10}  {:>7}",
        "all labels",
        f1(Some(&report.exact.overall)),
        f1(Some(&report.overlap.overall)),
        spans_of(Some(&report.exact.overall))
    );
    for label in labels {
        let (exact, overlap) = (report.exact.per_label.get(label), report.overlap.per_label.get(label));
        say!("  {:width$}  {:>8}  {:>10}  {:>7}", visible(label), f1(exact), f1(overlap), spans_of(exact));
    }
}

/// The table of agreement beyond chance: all time, the last 7 days and the 7 before.
fn print_beyond_chance(b: &BeyondChance) {
    let value = |c: Option<f64>| c.map_or("-".to_string(), |v| format!("{v:.2}"));
    let width = b.all_time.per_label.iter().map(|(l, _)| visible(l).chars().count()).max().unwrap_or(0).max(10);
    say!("Agreement beyond chance (Krippendorff's alpha; Fleiss' kappa beside it):");
    say!("  {:width$}  {:>6}  {:>6}  {:>6}  {:>10}  {:>10}", "", "items", "alpha", "kappa", "alpha, 7d", "prior 7d");
    let mut rows = vec![("all labels".to_string(), &b.all_time.overall, &b.this_week.overall, &b.last_week.overall)];
    for (i, (label, all)) in b.all_time.per_label.iter().enumerate() {
        rows.push((visible(label).into_owned(), all, &b.this_week.per_label[i].1, &b.last_week.per_label[i].1));
    }
    for (name, all, this, last) in rows {
        say!(
            "  {name:width$}  {:>6}  {:>6}  {:>6}  {:>10}  {:>10}",
            all.items,
            value(all.alpha),
            value(all.fleiss_kappa),
            value(this.alpha),
            value(last.alpha)
        );
    }
}

fn row(p: &PersonStats, width: usize) -> String {
    let of = |part: u64, whole: u64| {
        if whole == 0 { "-".to_string() } else { format!("{} of {whole}", share(part, whole)) }
    };
    format!(
        "{:width$}  {:>6}  {:>16}  {:>5}  {:>16}  {:>12}  {:>22}",
        visible(&p.annotator),
        p.labelled,
        of(p.agreed_with_others, p.compared),
        p.kappa.map_or("-".to_string(), |k| format!("{k:.2}")),
        of(p.agreed_with_model, p.with_prediction),
        of(p.gold_right, p.gold),
        format!("{} ({})", p.learned, p.learned_corrections),
    )
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 { "-".to_string() } else { format!("{:.0}%", 100.0 * part as f64 / whole as f64) }
}
