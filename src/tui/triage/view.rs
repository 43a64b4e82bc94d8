//! Drawing the triage screen: the case (text, why it is here, every decision, the model's view), the
//! guideline section in question below it, and the keys of the current mode. Pure: state in, frame out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{TriageApp, TriageCard, TriageMode};
use crate::tui::action::Action;
use crate::tui::keymap::KeyMode;
use crate::tui::text::{columns, one_line, wrap};
use crate::tui::widgets::footer::KeyHints;
use crate::tui::widgets::layout::centred;
use crate::tui::widgets::{help, style};

/// Smaller than this, only a message fits.
const MIN_SIZE: (u16, u16) = (60, 16);

pub fn render(app: &TriageApp, frame: &mut Frame) {
    let area = frame.area();
    if crate::tui::widgets::layout::too_small(frame, MIN_SIZE, "triage needs") {
        return;
    }
    let [header, body, message, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(5), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(header_line(app, header.width)), header);
    // While a label is chosen, the labels take the bottom of the body and the case and guidelines shrink
    // above them: nothing the expert is reading is covered.
    let choices = match app.mode {
        TriageMode::ChooseLabel(_) => label_choice_lines(app, usize::from(body.width.saturating_sub(2))),
        _ => Vec::new(),
    };
    let choices_height = if choices.is_empty() { 0 } else { (choices.len() as u16 + 2).min(body.height / 2) };
    let [body, choice_area] = Layout::vertical([Constraint::Min(1), Constraint::Length(choices_height)]).areas(body);
    match (&app.mode, app.card()) {
        (TriageMode::Loading, _) => centred(frame, body, "Loading the cases..."),
        (_, None) => centred(frame, body, "Nothing needs a ruling. q quits."),
        (_, Some(card)) => render_case(app, frame, body, card),
    }
    if let TriageMode::ChooseLabel(purpose) = app.mode {
        let block = Block::default().borders(Borders::ALL).title(format!(" {} ", purpose.prompt()));
        let inner = block.inner(choice_area);
        frame.render_widget(block, choice_area);
        frame.render_widget(Paragraph::new(choices), inner);
    }
    if let Some(m) = &app.message {
        let style = if m.error { fg(app, Color::Red) } else { fg(app, Color::Green) };
        frame
            .render_widget(Paragraph::new(Span::styled(one_line(&m.text, usize::from(message.width)), style)), message);
    }
    frame.render_widget(Paragraph::new(footer_line(app, footer.width)), footer);
    if app.mode == TriageMode::Help {
        render_help(app, frame, body);
    }
    if let TriageMode::Dashboard { page } = app.mode {
        let pages = crate::tui::widgets::dashboard::PAGES;
        let title = format!("statistics · {}/{} · {}", page + 1, pages.len(), pages[page % pages.len()]);
        let inner = crate::tui::widgets::layout::popup(frame, body, body.width, body.height, &title);
        match &app.dashboard {
            Some(Ok(d)) => crate::tui::widgets::dashboard::render(frame, inner, d, page, app.config.color),
            Some(Err(e)) => frame.render_widget(Paragraph::new(format!("cannot read the figures: {e}")), inner),
            None => frame.render_widget(Paragraph::new("reading the figures..."), inner),
        }
    }
}

/// The labels and their keys, `width` columns wide, on as many lines as they need.
fn label_choice_lines(app: &TriageApp, width: usize) -> Vec<Line<'static>> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = vec![Line::default()];
    let mut used = 0;
    for (label, keys) in app.config.labels.iter().zip(app.keymap.label_keys()) {
        // A label past the ninth without a key of its own in margin.toml cannot be chosen: say so.
        let key = keys.first().map_or_else(|| "(no key)".to_string(), ToString::to_string);
        let name = one_line(&label.display, width.saturating_sub(10));
        let cells = columns(&key) + 1 + columns(&name) + 2;
        if used > 0 && used + cells > width {
            lines.push(Line::default());
            used = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.spans.push(Span::styled(key, bold));
            line.spans.push(Span::raw(format!(" {name}  ")));
        }
        used += cells;
    }
    lines
}

/// Every key of the screen, from the keymap, over the case.
fn render_help(app: &TriageApp, frame: &mut Frame, area: Rect) {
    let inner = help::keys_box(frame, area);
    let mut lines = help::keymap_rows(&app.keymap, KeyMode::Triage, Action::description);
    lines.push(help::row("1-9, label keys", "choose the label, once a move asks for one"));
    lines.push(help::row("Esc", "cancel a move before it is made"));
    lines.push(Line::default());
    let close: Vec<String> = app.keymap.keys(KeyMode::Help, Action::Close).iter().map(ToString::to_string).collect();
    lines.push(Line::from(format!(
        "{} closes this. Keys can be changed in keys.toml or margin.toml.",
        close.join(", ")
    )));
    help::render(frame, inner, lines, 0);
}

fn fg(app: &TriageApp, color: Color) -> Style {
    style::fg(app.config.color, color)
}

fn header_line(app: &TriageApp, width: u16) -> Line<'static> {
    let count = if app.cases.is_empty() {
        "no cases".to_string()
    } else {
        format!("case {}/{}", app.position + 1, app.cases.len())
    };
    let left = format!(" margin triage  {} · {count} · {} settled", one_line(&app.config.project, 30), app.settled);
    let right = format!("{} ", one_line(&app.config.expert, 20));
    let gap = usize::from(width).saturating_sub(left.chars().count() + right.chars().count());
    Line::from(vec![
        Span::styled(left, Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(" ".repeat(gap)),
        Span::raw(right),
    ])
}

fn render_case(app: &TriageApp, frame: &mut Frame, area: Rect, card: &TriageCard) {
    let guideline_height = match &card.guideline {
        Some(_) => (area.height / 3).max(4),
        None => 0,
    };
    let [case_area, guide_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(guideline_height)]).areas(area);
    let privacy = match (card.revealed, card.masked) {
        (true, _) => " · revealed".to_string(),
        (false, 0) => String::new(),
        (false, n) => format!(" · {n} masked"),
    };
    let title = format!(" item {} · {}{privacy} ", one_line(&card.ext_id, 24), card.why.join(", "));
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(case_area);
    frame.render_widget(block, case_area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    for line in wrap(&card.text, width) {
        let spans: Vec<Span> = line
            .into_iter()
            .map(|p| {
                let style = if p.placeholder {
                    fg(app, Color::Magenta).add_modifier(Modifier::ITALIC)
                } else {
                    Style::default()
                };
                Span::styled(p.text, style)
            })
            .collect();
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    let dim = fg(app, Color::DarkGray);
    for entry in &card.history {
        lines.push(Line::styled(one_line(entry, width), Style::default()));
    }
    if let Some(p) = &card.prediction {
        lines.push(Line::styled(one_line(&format!("model: {p}"), width), fg(app, Color::Cyan)));
    }
    if let Some(why) = &card.explanation {
        for line in wrap(why, width) {
            lines.push(Line::styled(line.into_iter().map(|p| p.text).collect::<String>(), fg(app, Color::Cyan)));
        }
    }
    if let Some(s) = &card.suggestion {
        // Not the prediction above: that model learned this item's label; this one was trained without it.
        let text = format!("likely label error: trained without this label, the model says {s}");
        for line in wrap(&text, width) {
            lines.push(Line::styled(line.into_iter().map(|p| p.text).collect::<String>(), fg(app, Color::Yellow)));
        }
    }
    if let Some(alert) = &card.gold_alert {
        for line in wrap(&format!("gold accuracy alert: {alert}"), width) {
            lines.push(Line::styled(line.into_iter().map(|p| p.text).collect::<String>(), fg(app, Color::Yellow)));
        }
    }
    if card.history.is_empty() {
        lines.push(Line::styled("no decisions", dim));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    if let Some((heading, text)) = &card.guideline {
        let block = Block::default().borders(Borders::ALL).title(format!(" guidelines: {} ", one_line(heading, 40)));
        let inner = block.inner(guide_area);
        frame.render_widget(block, guide_area);
        let lines: Vec<Line> = wrap(text, usize::from(inner.width))
            .into_iter()
            .map(|l| Line::raw(l.into_iter().map(|p| p.text).collect::<String>()))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn footer_line(app: &TriageApp, width: u16) -> Line<'static> {
    let mut hints = KeyHints::new();
    match &app.mode {
        TriageMode::ChooseLabel(purpose) => {
            hints.text(format!("{} a label's key (listed above)  ", purpose.prompt())).key("Esc", "cancel");
        }
        TriageMode::Rationale { label, text, .. } => {
            let name = app.config.labels.get(*label).map_or("", |l| l.display.as_str());
            hints.text(format!("{name}, because: {}▏ ", one_line(text, 60))).key("Enter", "done").key("Esc", "cancel");
        }
        TriageMode::SendBackNote(text) => {
            hints.text(format!("note for the annotators: {}▏ ", one_line(text, 50)));
            hints.key("Enter", "send back").key("Esc", "cancel");
        }
        TriageMode::Dashboard { .. } => {
            let keys = |action: Action| -> String {
                app.keymap
                    .keys(KeyMode::Dashboard, action)
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            };
            hints.key(keys(Action::NextPage), "next page").key(keys(Action::PreviousPage), "previous page");
            hints.key(keys(Action::Quit), "back to the case");
        }
        TriageMode::Loading | TriageMode::Browse | TriageMode::Help => {
            let revealable = app.config.can_reveal && app.card().is_some_and(|c| c.masked > 0 && !c.revealed);
            for (action, keys) in app.keymap.bindings(KeyMode::Triage) {
                if action == Action::Reveal && !revealable {
                    continue;
                }
                if action == Action::SendBack && !app.card().is_some_and(|c| c.escalated) {
                    continue;
                }
                match keys.first() {
                    Some(first) if matches!(action, Action::Help | Action::Quit) => {
                        hints.pinned_key(first.to_string(), action.short());
                    }
                    Some(first) => {
                        hints.key(first.to_string(), action.short());
                    }
                    None => {}
                }
            }
        }
    }
    hints.line(width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::annotate::state::LabelView;
    use crate::tui::keymap::{Key, Keymap};
    use crate::tui::triage::{TriageConfig, TriageMsg, update};

    fn screen(app: &TriageApp, width: u16, height: u16) -> String {
        crate::tui::annotate::fixtures::drawn(width, height, |f| render(app, f))
    }

    fn app() -> TriageApp {
        let labels = ["spam", "ham"]
            .iter()
            .map(|l| LabelView { name: (*l).into(), display: (*l).into(), color: None })
            .collect();
        let config =
            TriageConfig { project: "claims".into(), expert: "erin".into(), labels, can_reveal: true, color: true };
        let mut app = TriageApp::new(config, Keymap::build(&[], &[None, None]).unwrap());
        let card = TriageCard {
            item_id: 7,
            ext_id: "prize".into(),
            text: "is the prize draw at the meeting? mail <email>\u{1b}[2J".into(),
            masked: 1,
            why: vec!["disagreement".into(), "likely label error".into()],
            history: vec!["ann: correct spam".into(), "bob: correct ham - looks like a question".into()],
            prediction: Some("ham 71%".into()),
            explanation: Some(
                "for ham: \"meeting\", \"draw\"; against: \"prize\". without \"meeting\" it would say spam (58%)"
                    .into(),
            ),
            suggestion: Some("ham (71%; the label has 22%)".into()),
            guideline: Some(("ham".into(), "Everyday messages.\n\nQuestions about events are ham.".into())),
            ..TriageCard::default()
        };
        update(&mut app, TriageMsg::Loaded(vec![card]));
        app
    }

    #[test]
    fn a_case_at_80x24() {
        insta::assert_snapshot!(screen(&app(), 80, 24));
    }

    #[test]
    fn a_gold_accuracy_alert_says_whose_label_and_why() {
        let mut a = app();
        let card = TriageCard {
            item_id: 8,
            ext_id: "lunch".into(),
            text: "lunch at noon".into(),
            why: vec!["gold accuracy alert".into()],
            history: vec!["ann: correct spam".into()],
            gold_alert: Some(
                "ann got 4 of 10 gold checks right; their labels from the first of those on are under review".into(),
            ),
            ..TriageCard::default()
        };
        update(&mut a, TriageMsg::Loaded(vec![card]));
        let shown = screen(&a, 80, 24);
        assert!(shown.contains("gold accuracy alert: ann got 4 of 10 gold checks right"), "{shown}");
    }

    #[test]
    fn choosing_a_label_and_typing_why() {
        let mut a = app();
        update(&mut a, TriageMsg::Key(Key::Enter));
        let shown = screen(&a, 80, 24);
        assert!(shown.lines().last().unwrap().starts_with("resolve as: a label's key (listed above)  Esc cancel"));
        assert!(shown.contains("│1 spam  2 ham"), "{shown}");
        assert!(
            shown.contains("is the prize draw") && shown.contains("guidelines: ham"),
            "the case and its guidelines stay in view while a label is chosen:\n{shown}"
        );
        update(&mut a, TriageMsg::Key(Key::Char('2')));
        update(&mut a, TriageMsg::Key(Key::Char('q')));
        assert!(screen(&a, 80, 24).lines().last().unwrap().starts_with("ham, because: q▏"));
    }

    #[test]
    fn help_lists_every_triage_key_from_the_keymap() {
        let mut a = app();
        update(&mut a, TriageMsg::Key(Key::Char('?')));
        let shown = screen(&a, 80, 24);
        for (action, _) in a.keymap.bindings(KeyMode::Triage) {
            assert!(shown.contains(action.description()), "{} missing:\n{shown}", action.name());
        }
        assert!(shown.contains("1-9, label keys"));
        update(&mut a, TriageMsg::Key(Key::Esc));
        assert!(!screen(&a, 80, 24).contains("label keys"), "Esc closes the help");
    }

    #[test]
    fn many_labels_wrap_onto_more_lines_when_one_is_chosen() {
        let mut a = app();
        a.config.labels = (1..=14)
            .map(|i| LabelView { name: format!("l{i}"), display: format!("label number {i}"), color: None })
            .collect();
        let own: Vec<Option<String>> =
            (1..=14).map(|i| (i > 9 && i < 14).then(|| char::from(b'A' + i as u8).to_string())).collect();
        a.keymap = Keymap::build(&[], &own).unwrap();
        update(&mut a, TriageMsg::Key(Key::Char('o')));
        let shown = screen(&a, 60, 20);
        for i in 1..=14 {
            assert!(shown.contains(&format!("label number {i} ")), "label {i} missing:\n{shown}");
        }
        assert!(shown.contains("│K label number 10"), "{shown}");
        assert!(shown.contains("(no key) label number 14"), "a label that cannot be chosen says so:\n{shown}");
    }

    #[test]
    fn too_small_and_empty() {
        assert!(screen(&app(), 50, 10).contains("terminal too small"));
        let mut a = app();
        update(&mut a, TriageMsg::Loaded(Vec::new()));
        assert!(screen(&a, 80, 24).contains("Nothing needs a ruling"));
    }
}
