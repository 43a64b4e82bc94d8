//! What opens over the item: help (generated from the keymap), the guidelines, statistics, the batch
//! summary and break reminder, and the prompts for an escalation reason, an override reason and a note.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::fg;
use crate::tui::annotate::msg::{DecisionRequest, Quality};
use crate::tui::annotate::state::{App, DashboardFigures, Mode, Tally};
use crate::tui::keymap::KeyMode;
use crate::tui::markdown::{LineKind, Mark};
use crate::tui::text::one_line;
use crate::tui::widgets::dashboard::PAGES;
use crate::tui::widgets::help;
use crate::tui::widgets::layout::popup;

pub fn help(app: &App, frame: &mut Frame, area: Rect, scroll: usize) {
    let inner = popup(frame, area, 90, area.height, "keys");
    let mut lines: Vec<Line> = Vec::new();
    // The triage screen's keys are for experts, on their own screen (its footer lists them).
    for mode in KeyMode::ALL.into_iter().filter(|m| *m != KeyMode::Triage) {
        let bindings = app.keymap.bindings(mode);
        if bindings.is_empty() {
            continue;
        }
        lines.push(help::heading(&format!("{} mode", mode.name())));
        if mode == KeyMode::Item {
            let what = if app.config.multi_label { "toggle that label (Enter confirms)" } else { "choose that label" };
            lines.push(help::row("1-9, label keys", what));
        }
        for (action, keys) in bindings {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            lines.push(help::row(&keys.join(", "), action.description()));
        }
        lines.push(Line::default());
    }
    lines.push(Line::from("Prompts: digits choose a reason, Esc cancels (an override question's Esc is recorded)."));
    lines.push(Line::from("Keys can be changed in ~/.config/margin/keys.toml or under [keys] in margin.toml."));
    help::render(frame, inner, lines, scroll);
}

pub fn guidelines(app: &App, frame: &mut Frame, area: Rect, scroll: usize, query: &str, typing: bool) {
    let inner = popup(frame, area, area.width, area.height, "guidelines");
    let [text, bottom] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let width = usize::from(text.width);
    let q = query.to_lowercase();
    let rows = app.guidelines.rows(width);
    let mut lines: Vec<Line> = Vec::new();
    // Never past the last row, whatever the width did to the count.
    let scroll = scroll.min(rows.len().saturating_sub(1));
    for row in rows.iter().skip(scroll).take(usize::from(text.height)) {
        let md = &app.guidelines.lines[row.line];
        let mut base = match md.kind {
            LineKind::Heading(level) => {
                let heading = Style::default().add_modifier(Modifier::BOLD).patch(fg(app, Color::Cyan));
                if level == 1 { heading.add_modifier(Modifier::UNDERLINED) } else { heading }
            }
            LineKind::Code => fg(app, Color::Yellow),
            LineKind::Quote => Style::default().add_modifier(Modifier::ITALIC),
            LineKind::Text => Style::default(),
        };
        if !q.is_empty() && md.text.to_lowercase().contains(&q) {
            base = base.add_modifier(Modifier::REVERSED);
        }
        let spans: Vec<Span> = row
            .pieces
            .iter()
            .map(|(at, piece)| {
                let style = md.marks_at(*at).fold(base, |style, mark| match mark {
                    Mark::Strong => style.add_modifier(Modifier::BOLD),
                    Mark::Emphasis => style.add_modifier(Modifier::ITALIC),
                    Mark::Link => style.add_modifier(Modifier::UNDERLINED),
                    Mark::Code => style.patch(fg(app, Color::Yellow)),
                });
                Span::styled(piece.clone(), style)
            })
            .collect();
        lines.push(Line::from(spans));
    }
    if app.guidelines.lines.is_empty() {
        lines.push(Line::from("This project has no guidelines yet: add markdown files to its guidelines/ directory."));
    }
    frame.render_widget(Paragraph::new(lines), text);
    let status = if typing {
        format!("/{query}_")
    } else if rows.is_empty() {
        String::new()
    } else {
        let shown_to = (scroll + usize::from(text.height)).min(rows.len());
        format!("lines {}-{} of {}", (scroll + 1).min(shown_to), shown_to, rows.len())
    };
    frame.render_widget(Paragraph::new(one_line(&status, usize::from(bottom.width))), bottom);
}

fn tally_lines(app: &App, t: &Tally) -> Vec<String> {
    let mut out = vec![format!("decisions: {}", t.decided)];
    if t.with_prediction > 0 {
        out.push(format!(
            "agreed with the model: {} of {} ({:.0}%)",
            t.agreed,
            t.with_prediction,
            100.0 * t.agreed as f64 / t.with_prediction as f64
        ));
    }
    out.push(format!("confident predictions overridden: {}", t.overrides));
    out.push(format!("escalated: {} · skipped: {}", t.escalated, t.skipped));
    if t.gold > 0 {
        out.push(format!(
            "gold items right: {} of {} ({:.0}%)",
            t.gold_right,
            t.gold,
            100.0 * t.gold_right as f64 / t.gold as f64
        ));
    }
    if t.decided > 0 {
        out.push(format!(
            "time: {} ({:.1} s per item)",
            minutes(t.time_ms),
            t.time_ms as f64 / 1000.0 / t.decided as f64
        ));
    }
    let _ = app;
    out
}

fn minutes(ms: i64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

pub fn stats(app: &App, frame: &mut Frame, area: Rect) {
    if app.session.stats_page > 0 {
        return dashboard_page(app, frame, area);
    }
    let pages = 1 + PAGES.len();
    let title =
        if app.config.sees_everyone { format!("statistics · 1/{pages} · → more") } else { "statistics".into() };
    let inner = popup(frame, area, 70, 22, &title);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled("this session", bold))];
    lines.extend(tally_lines(app, &app.session_tally()).into_iter().map(Line::from));
    if let Some(p) = app.pace_per_hour() {
        lines.push(Line::from(format!("pace: {p:.0} items per hour; undos: {}", app.session.undos)));
    }
    lines.push(Line::from(format!("items left to label: {}", app.batch.left)));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("all your work on this project", bold)));
    lines.extend(all_time_lines(app).into_iter().map(Line::from));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// One of the dashboard's pages over the whole body, once its figures are read.
fn dashboard_page(app: &App, frame: &mut Frame, area: Rect) {
    let page = app.session.stats_page - 1;
    let title = format!("statistics · {}/{} · {} · ←/→", page + 2, 1 + PAGES.len(), PAGES[page % PAGES.len()]);
    let inner = popup(frame, area, area.width, area.height, &title);
    match &app.session.dashboard {
        DashboardFigures::Read(d) => crate::tui::widgets::dashboard::render(frame, inner, d, page, app.config.color),
        DashboardFigures::Failed(e) => frame
            .render_widget(Paragraph::new(format!("cannot read the figures: {e}")).wrap(Wrap { trim: true }), inner),
        DashboardFigures::NotRead | DashboardFigures::Reading => {
            frame.render_widget(Paragraph::new("reading the figures..."), inner)
        }
    }
}

/// This person's record over the whole project: agreement with others and the model, gold items, and what
/// the current model learned from them.
fn all_time_lines(app: &App) -> Vec<String> {
    let share = |part: u64, whole: u64| format!("{part} of {whole} ({:.0}%)", 100.0 * part as f64 / whole as f64);
    let p = match &app.session.all_time {
        None => return vec!["reading...".into()],
        Some(Err(e)) => return vec![format!("cannot read it: {e}")],
        Some(Ok(None)) => return vec!["nothing labelled yet".into()],
        Some(Ok(Some(p))) => p,
    };
    let mut out = vec![format!("labels: {}", p.labelled)];
    if p.compared == 0 {
        out.push("agreement with others: no item labelled by someone else too".into());
    } else {
        let kappa = p.kappa.map_or(String::new(), |k| format!("; kappa {k:.2}"));
        out.push(format!("agreement with others: {}{kappa}", share(p.agreed_with_others, p.compared)));
    }
    if p.with_prediction > 0 {
        out.push(format!("agreed with the model: {}", share(p.agreed_with_model, p.with_prediction)));
    }
    if p.gold > 0 {
        out.push(format!("gold items right: {}", share(p.gold_right, p.gold)));
    }
    out.push(if p.learned == 0 {
        "the current model has not learned from your labels yet".to_string()
    } else {
        format!("the model learned from {} of your labels; {} of them corrected it", p.learned, p.learned_corrections)
    });
    if let Some(q) = &app.session.quality {
        out.extend(quality_lines(q));
    }
    out
}

/// Gold checks this week and the week before; the project's agreement beyond chance, overall and per label,
/// all time against this week and the week before.
fn quality_lines(q: &Quality) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(g) = q.gold.as_ref().filter(|g| g.this_week.1 + g.last_week.1 > 0) {
        let of = |(right, all): (u64, u64)| if all == 0 { "none".to_string() } else { format!("{right} of {all}") };
        out.push(format!("gold checks right, last 7 days: {}; the 7 before: {}", of(g.this_week), of(g.last_week)));
    }
    let a = &q.agreement;
    if a.all_time.overall.items == 0 {
        return out;
    }
    let value = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    out.push(format!(
        "everyone, beyond chance: alpha {}, kappa {} ({} items labelled twice or more); alpha, last 7 days {}, \
         the 7 before {}",
        value(a.all_time.overall.alpha),
        value(a.all_time.overall.fleiss_kappa),
        a.all_time.overall.items,
        value(a.this_week.overall.alpha),
        value(a.last_week.overall.alpha),
    ));
    let per_label: Vec<String> = a
        .all_time
        .per_label
        .iter()
        .filter(|(_, c)| c.items > 0)
        .map(|(label, c)| format!("{label} {}", value(c.alpha)))
        .collect();
    if !per_label.is_empty() {
        out.push(format!("alpha per label: {}", per_label.join(" · ")));
    }
    out
}

/// Between batches: what the batch did and what the retrain changed; or the break reminder.
pub fn summary(app: &App, frame: &mut Frame, area: Rect) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    if app.mode == Mode::Break {
        let inner = popup(frame, area, 64, 8, "time for a break");
        let worked = (app.now_ms - app.session.last_break_ms) / 60_000;
        let lines = vec![
            Line::from(format!("You have been labelling for {worked} minutes.")),
            Line::from("A few minutes away from the screen keep your judgement sharp."),
            Line::default(),
            Line::from(Span::styled("Enter: carry on · q: quit (everything is saved)", bold)),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let inner = popup(frame, area, 72, 16, &format!("batch {} done", app.batch.id));
    let mut lines: Vec<Line> = tally_lines(app, &app.batch_tally()).into_iter().map(Line::from).collect();
    lines.push(Line::default());
    match &app.model.retrain {
        Some(r) => {
            let pct = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.1}%", a * 100.0));
            lines.push(Line::from(format!(
                "model v{}: cross-validated accuracy {} -> {}",
                r.version,
                pct(r.before),
                pct(r.after)
            )));
            lines.push(Line::from(format!(
                "{} undecided items changed their predicted label with these labels",
                r.changed_predictions
            )));
        }
        None if app.model.info.activity == crate::tui::annotate::msg::ModelActivity::Retraining => {
            lines.push(Line::from("The model is retraining on your labels in the background..."));
        }
        None => lines.push(Line::from(match &app.model.not_retrained {
            Some(why) => format!("No retrain after this batch: {why}."),
            None => "No retrain after this batch (not due yet).".to_string(),
        })),
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("Enter: next batch · u: undo the last decision · q: quit", bold)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A numbered list of reasons under `intro` (one line per line of it, each cut to the popup's width).
fn reasons_prompt(frame: &mut Frame, area: Rect, title: &str, intro: &str, reasons: &[String], extra: &[&str]) {
    let height = (reasons.len() + extra.len() + 3 + intro.lines().count()) as u16;
    let inner = popup(frame, area, 64, height, title);
    let mut lines: Vec<Line> = intro.lines().map(|l| Line::from(one_line(l, 62))).collect();
    lines.push(Line::default());
    for (i, r) in reasons.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", i + 1), Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(one_line(r, 58)),
        ]));
    }
    lines.extend(extra.iter().map(|e| Line::from((*e).to_string())));
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn escalate(app: &App, frame: &mut Frame, area: Rect, typed: Option<&str>) {
    match typed {
        None => reasons_prompt(
            frame,
            area,
            "escalate to an expert",
            "Why does this item need an expert?",
            &app.config.escalate_reasons,
            &["t type a reason · Esc cancel"],
        ),
        Some(text) => {
            let inner = popup(frame, area, 64, 5, "escalate to an expert");
            let lines = vec![
                Line::from("Your reason (Enter to send, Esc to cancel):"),
                Line::from(format!("{}_", one_line(text, 58))),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }
}

pub fn override_reason(app: &App, frame: &mut Frame, area: Rect, request: &DecisionRequest) {
    let shown = |names: &[String]| names.iter().map(|n| app.config.display_of(n)).collect::<Vec<_>>().join(", ");
    let intro = match (&request.labels, &request.model) {
        (Some(chosen), Some((_, predicted, confidence))) => format!(
            "You chose {}; the model said {} ({:.0}%).\nWhat did it miss?",
            shown(chosen),
            shown(predicted),
            confidence * 100.0
        ),
        _ => "The model was confident. What did it miss?".to_string(),
    };
    reasons_prompt(
        frame,
        area,
        "overriding a confident prediction",
        &intro,
        &app.config.override_reasons,
        &["Esc: skip the question (recorded as skipped)"],
    );
}

pub fn note(_app: &App, frame: &mut Frame, area: Rect, text: &str) {
    let inner = popup(frame, area, 64, 6, "note");
    let lines = vec![
        Line::from("A note kept with your decision on this item."),
        Line::from("Enter keeps it, Esc cancels:"),
        Line::from(format!("{}_", one_line(text, 58))),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
