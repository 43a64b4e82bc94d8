//! `margin stats`'s screen: the statistics dashboard, one page of charts at a time (the model, activity,
//! people, calibration, labels, slices), paged with the keys of the `dashboard` mode. Pure state, update
//! and render; the CLI computes the figures on a thread and sends them in.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Screen;
use super::action::Action;
use super::keymap::{Key, KeyMode, Keymap};
use super::text::one_line;
use super::widgets::dashboard::{PAGES, render as render_page};
use super::widgets::footer::KeyHints;
use super::widgets::layout::centred;
use crate::domain::dashboard::Dashboard;

/// Smaller than this, only a message fits.
const MIN_SIZE: (u16, u16) = (60, 16);

#[derive(Debug, Clone, PartialEq)]
pub enum StatsMsg {
    Key(Key),
    Resize(u16, u16),
    Tick(i64),
    Loaded(Box<Dashboard>),
    Failed(String),
    Terminate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsEffect {
    Load,
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsApp {
    pub project: String,
    pub keymap: Keymap,
    pub color: bool,
    pub size: (u16, u16),
    pub dashboard: Option<Result<Box<Dashboard>, String>>,
    pub page: usize,
    pub quitting: bool,
}

impl StatsApp {
    pub fn new(project: String, keymap: Keymap, color: bool) -> StatsApp {
        StatsApp { project, keymap, color, size: (80, 24), dashboard: None, page: 0, quitting: false }
    }
}

pub fn update(app: &mut StatsApp, msg: StatsMsg) -> Vec<StatsEffect> {
    match msg {
        StatsMsg::Key(key) => match app.keymap.action(KeyMode::Dashboard, key) {
            Some(Action::NextPage) => app.page = (app.page + 1) % PAGES.len(),
            Some(Action::PreviousPage) => app.page = (app.page + PAGES.len() - 1) % PAGES.len(),
            Some(Action::Quit) => return super::quit_once(&mut app.quitting, StatsEffect::Quit),
            _ => {}
        },
        StatsMsg::Resize(w, h) => app.size = (w, h),
        StatsMsg::Tick(_) => {}
        StatsMsg::Loaded(d) => app.dashboard = Some(Ok(d)),
        StatsMsg::Failed(e) => app.dashboard = Some(Err(e)),
        StatsMsg::Terminate => return super::quit_once(&mut app.quitting, StatsEffect::Quit),
    }
    Vec::new()
}

pub fn render(app: &StatsApp, frame: &mut Frame) {
    let area = frame.area();
    if crate::tui::widgets::layout::too_small(frame, MIN_SIZE, "stats need") {
        return;
    }
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(5), Constraint::Length(1)]).areas(area);
    let tabs: Vec<Span> = PAGES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // The page shown is marked with brackets as well as reversed: readable without colour.
            if i == app.page {
                Span::styled(format!("[{name}]"), Style::default().add_modifier(Modifier::REVERSED))
            } else {
                Span::raw(format!(" {name} "))
            }
        })
        .collect();
    let title = format!(" margin stats  {} · ", one_line(&app.project, 24));
    let tabs_width: usize = tabs.iter().map(|s| s.width()).sum();
    let mut spans = vec![Span::styled(title.clone(), Style::default().add_modifier(Modifier::BOLD))];
    if title.chars().count() + tabs_width <= usize::from(area.width) {
        spans.extend(tabs);
    } else {
        // Too narrow for every page's name: the one shown, and where it is.
        spans.push(Span::styled(
            format!("[{}] {}/{}", PAGES[app.page], app.page + 1, PAGES.len()),
            Style::default().add_modifier(Modifier::REVERSED),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), header);
    match &app.dashboard {
        None => centred(frame, body, "Counting..."),
        Some(Err(e)) => centred(frame, body, &format!("Cannot read the figures: {e}")),
        Some(Ok(d)) => render_page(frame, body, d, app.page, app.color),
    }
    let keys = |action: Action| -> String {
        app.keymap.keys(KeyMode::Dashboard, action).iter().map(ToString::to_string).collect::<Vec<_>>().join("/")
    };
    let mut hints = KeyHints::new();
    hints.key(keys(Action::NextPage), "next page").key(keys(Action::PreviousPage), "previous page");
    hints.pinned_key(keys(Action::Quit), "quit");
    frame.render_widget(Paragraph::new(hints.line(footer.width)), footer);
}

impl Screen for StatsApp {
    type Msg = StatsMsg;
    type Effect = StatsEffect;

    fn start(&mut self, size: (u16, u16), _now_ms: i64) -> Vec<StatsEffect> {
        self.size = size;
        vec![StatsEffect::Load]
    }

    fn update(&mut self, msg: StatsMsg) -> Vec<StatsEffect> {
        update(self, msg)
    }

    fn render(&self, frame: &mut Frame) {
        render(self, frame);
    }

    fn quitting(&self) -> bool {
        self.quitting
    }

    crate::tui::terminal_messages!(StatsMsg);
}

#[cfg(test)]
mod tests;
