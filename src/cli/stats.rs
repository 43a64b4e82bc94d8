//! `margin stats`: the statistics dashboard. On a terminal, a screen of charts paged with the keys of the
//! `dashboard` mode; elsewhere (or with `--json`) the same figures as text or one JSON object.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::mpsc::channel;

use anyhow::Context as _;

use super::annotate::{colour_wanted, load_keymap};
use super::terminal::print_json;
use super::{Context, open_store};
use crate::app::dashboard::dashboard;
use crate::domain::access::Role;
use crate::domain::dashboard::{Dashboard, percent};
use crate::domain::text::visible;
use crate::tui::inbox::inbox;
use crate::tui::stats::{StatsApp, StatsEffect, StatsMsg};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Compare the model's accuracy across the values of this metadata field (such as source or language),
    /// flagging values well below the rest.
    #[arg(long, value_name = "FIELD")]
    pub slice: Option<String>,
    /// Print one JSON object instead of the screen or the text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    // Everyone's figures: the experts' view (people's agreement, pairs, activity).
    let opened = context.open_project_as(Role::Expert, "stats")?;
    let project = opened.project;
    let mut store = open_store(&project)?;
    let on_terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if on_terminal && !args.json {
        let keymap = load_keymap(Some(&project))?;
        let app = StatsApp::new(project.config.name.clone(), keymap, colour_wanted());
        let (replies_tx, replies) = inbox::<StatsMsg>().context("cannot set up the screen's inbox")?;
        let (jobs, jobs_rx) = channel::<StatsEffect>();
        let slice = args.slice.clone();
        let worker = std::thread::Builder::new()
            .name("margin-stats".into())
            .spawn(move || {
                while let Ok(StatsEffect::Load) = jobs_rx.recv() {
                    let msg = match dashboard(&mut store, &project.config, slice.as_deref()) {
                        Ok(d) => StatsMsg::Loaded(Box::new(d)),
                        Err(e) => StatsMsg::Failed(e.to_string()),
                    };
                    if !replies_tx.send(msg) {
                        return;
                    }
                }
            })
            .context("cannot start the statistics worker")?;
        let result = crate::tui::run(
            app,
            &mut |effect| {
                let _ = jobs.send(effect);
            },
            &replies,
        );
        let _ = jobs.send(StatsEffect::Quit);
        let _ = worker.join();
        result?;
        return Ok(ExitCode::SUCCESS);
    }
    let d = dashboard(&mut store, &project.config, args.slice.as_deref())?;
    if args.json {
        print_json(&d);
    } else {
        print_text(&d);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(d: &Dashboard) {
    say!("Model versions (labels learned from, cross-validated accuracy, calibration error):");
    for m in &d.models {
        let value = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        say!("  v{:<5} {:>7} {:>8} {:>8}", m.version, m.train_size, value(m.accuracy), value(m.ece));
    }
    say!("Labels per hour of the day (UTC), 00 to 23:");
    for (person, hours) in &d.hourly {
        let counts: Vec<String> = hours.iter().map(u64::to_string).collect();
        say!("  {:<14} {}", visible(person), counts.join(" "));
    }
    say!("Agreement per pair of people (items both labelled, agreed):");
    for p in &d.pairs {
        say!("  {:<14} {:<14} {:>6} {:>5}", visible(&p.a), visible(&p.b), p.items, percent(p.agreed, p.items));
    }
    say!("People's labels (rows) against the model's prediction then (columns: {}):", d.confusion_labels.join(", "));
    for (label, row) in d.confusion_labels.iter().zip(&d.confusion) {
        let counts: Vec<String> = row.iter().map(u64::to_string).collect();
        say!("  {:<14} {}", visible(label), counts.join(" "));
    }
    say!("Calibration (confidence from, decisions, people agreed):");
    for b in d.calibration.iter().filter(|b| b.decisions > 0) {
        say!("  {:.1}  {:>7} {:>5}", b.low, b.decisions, percent(b.agreed, b.decisions));
    }
    say!("Labels (settled items, reference labels):");
    for l in &d.labels {
        say!("  {:<14} {:>7} {:>7}", visible(&l.label), l.decided, l.reference);
    }
    if let Some((field, slices)) = &d.slices {
        say!("Per {}: items, the model right, pairs of people, agreeing:", visible(field));
        for s in slices {
            let flag = if s.flagged { "  ! well below the rest" } else { "" };
            let (items, right, pairs) = (s.items, percent(s.right, s.items), s.pairs);
            say!(
                "  {:<16} {items:>7} {right:>5} {pairs:>6} {:>5}{flag}",
                visible(&s.value),
                percent(s.pairs_agreed, pairs)
            );
        }
    }
}
