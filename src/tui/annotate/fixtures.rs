//! Test fixtures for the screen: a project's screen settings, cards and an app in a known state, with a
//! fixed clock, so updates and snapshots are reproducible.

use super::msg::{BatchLoaded, Card, CardPrediction, Explanation, ModelInfo, Msg, SimilarItem};
use super::state::{App, Guidelines, LabelView, ScreenConfig};
use super::update::update;
use crate::tui::keymap::Keymap;

pub const T0: i64 = 1_700_000_000_000;

pub fn config(labels: &[&str], multi_label: bool) -> ScreenConfig {
    ScreenConfig {
        project: "news".into(),
        annotator: "ann".into(),
        labels: labels
            .iter()
            .enumerate()
            .map(|(i, l)| LabelView {
                name: (*l).to_string(),
                display: (*l).to_string(),
                color: Some(["cyan", "magenta", "yellow", "green"][i % 4].into()),
            })
            .collect(),
        multi_label,
        escalate_reasons: vec!["unclear guideline".into(), "needs domain knowledge".into()],
        override_reasons: vec!["model missed context".into(), "guideline edge case".into()],
        override_threshold: 0.9,
        break_after_ms: 50 * 60_000,
        color: true,
        can_reveal: false,
        sees_everyone: false,
    }
}

pub fn guidelines() -> Guidelines {
    Guidelines::from_markdown(&[(
        "news.md".into(),
        "# News guidelines\n\nLabel the topic.\n\n## sport\n\nGames and players.\n\n## tech\n\nComputers, phones.\n\n## politics\n\nGovernment and *policy*, **not** `law`:\n\n- elections\n- parliaments\n"
            .into(),
    )])
}

pub fn card(item_id: i64, text: &str, probabilities: Option<Vec<f32>>) -> Card {
    Card {
        item_id,
        served_id: 100 + item_id,
        ext_id: format!("item-{item_id}"),
        text: text.into(),
        meta: vec![("source".into(), "wire".into())],
        why: "margin".into(),
        score: 0.96,
        audit: false,
        gold: None,
        gold_rationale: None,
        prediction: probabilities.map(|p| CardPrediction { model_version: 4, probabilities: p }),
        masked: 0,
        revealed: false,
    }
}

/// Three cards: tech 95% confident, sport 60%, and one with no prediction.
pub fn cards() -> Vec<Card> {
    vec![
        card(1, "The new phone ships with a faster chip and a bigger battery.", Some(vec![0.03, 0.95, 0.02])),
        card(2, "The minister watched the match from the stands.", Some(vec![0.6, 0.1, 0.3])),
        card(3, "Nothing much happened today.", None),
    ]
}

/// An app with labels sport/tech/politics showing the first of `cards()` (batch 7).
pub fn app() -> App {
    app_with(config(&["sport", "tech", "politics"], false), cards())
}

pub fn app_with(config: ScreenConfig, cards: Vec<Card>) -> App {
    let keymap = Keymap::build(&[], &vec![None; config.labels.len()]).expect("keymap");
    let mut app = App::new(config, keymap, guidelines(), (80, 24), T0);
    app.start_session(T0);
    update(&mut app, Msg::Model(ModelInfo { version: Some(4), cv_accuracy: Some(0.871), ..ModelInfo::default() }));
    let (size, left) = (cards.len(), 120);
    update(&mut app, Msg::Batch(BatchLoaded { cards, batch_id: 7, size, left, ..BatchLoaded::default() }));
    app
}

pub fn explanation(item_id: i64) -> Explanation {
    Explanation {
        item_id,
        // "phone" and "chip" toward, "bigger" against.
        words: vec![(8, 13, 1.2), (34, 38, 0.8), (45, 51, -0.5)],
        counterfactual: Some("without \"phone\", \"chip\" it would say sport (48%)".into()),
        similar: vec![SimilarItem {
            ext_id: "old-9".into(),
            labels: vec!["tech".into()],
            text: "A phone with a new chip.".into(),
            similarity: 0.61,
        }],
    }
}

/// What `draw` puts on a terminal of `width` x `height`, as text: one line per row, trailing spaces cut.
pub fn drawn(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).expect("terminal");
    terminal.draw(draw).expect("draw");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
