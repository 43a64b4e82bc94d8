//! `margin people`: how each person labels over the whole project (agreement with the others and Cohen's
//! kappa, agreement with the model, gold items, what the current model learned from them) and the
//! project's agreement (Fleiss' kappa). Annotators see their own row; experts and admins see everyone's.

use std::process::ExitCode;

use anyhow::bail;

use super::terminal::print_json;
use super::{Context, open_store};
use crate::domain::access::Role;
use crate::domain::people::{PersonStats, report};
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
    let learned = store.model_learned()?;
    let mut people = report(&store.people_labels()?, learned.as_ref());
    if let Some(name) = &wanted {
        people.people.retain(|p| &p.annotator == name);
    }
    if args.json {
        let json = serde_json::json!({
            "project": project.config.name,
            "model": model.as_ref().map(|m| m.id),
            "people": people.people,
            "agreement": people.agreement,
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
    }
    Ok(ExitCode::SUCCESS)
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
