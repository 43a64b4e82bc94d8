//! The dashboard's pages as drawn, without colour: snapshots at 80x24 and 120x40, and paging.

use super::*;
use crate::domain::dashboard::{CalibrationBin, LabelBar, ModelPoint, PairAgreement, Slice, flag_slices};

fn dashboard() -> Dashboard {
    let mut ann = [0u64; 24];
    let mut bob = [0u64; 24];
    for h in 8..18 {
        ann[h] = (h as u64 - 7) * 3;
        bob[h] = 40 - h as u64;
    }
    Dashboard {
        models: vec![
            ModelPoint { version: 1, train_size: 0, accuracy: Some(0.55), ece: Some(0.2) },
            ModelPoint { version: 2, train_size: 120, accuracy: Some(0.71), ece: Some(0.09) },
            ModelPoint { version: 4, train_size: 400, accuracy: Some(0.83), ece: Some(0.04) },
        ],
        hourly: vec![("ann".into(), ann), ("bob".into(), bob)],
        pairs: vec![PairAgreement { a: "ann".into(), b: "bob".into(), items: 60, agreed: 51 }],
        confusion_labels: vec!["spam".into(), "ham".into()],
        confusion: vec![vec![140, 12], vec![20, 228]],
        calibration: (0..10)
            .map(|i: u32| CalibrationBin {
                low: f64::from(i) / 10.0,
                decisions: 10 * u64::from(i),
                agreed: 8 * u64::from(i),
            })
            .collect(),
        labels: vec![
            LabelBar { label: "spam".into(), decided: 160, reference: 300 },
            LabelBar { label: "ham".into(), decided: 240, reference: 700 },
        ],
        slices: Some((
            "source".into(),
            flag_slices(vec![
                Slice { value: "web".into(), items: 200, right: 180, pairs: 40, pairs_agreed: 36, flagged: false },
                Slice {
                    value: "sms \u{1b}[2J".into(),
                    items: 100,
                    right: 55,
                    pairs: 10,
                    pairs_agreed: 6,
                    flagged: false,
                },
            ]),
        )),
    }
}

fn app() -> StatsApp {
    let mut app = StatsApp::new("news".into(), Keymap::build(&[], &[None, None]).expect("keymap"), false);
    update(&mut app, StatsMsg::Loaded(Box::new(dashboard())));
    app
}

fn screen(app: &StatsApp, width: u16, height: u16) -> String {
    crate::tui::annotate::fixtures::drawn(width, height, |f| render(app, f))
}

#[test]
fn every_page_at_80x24() {
    let mut a = app();
    let mut pages = Vec::new();
    for _ in PAGES {
        pages.push(screen(&a, 80, 24));
        update(&mut a, StatsMsg::Key(Key::Char('l')));
    }
    assert_eq!(a.page, 0, "paging wraps round");
    assert!(!pages.join("\n").contains('\u{1b}'), "text from the data is sanitised");
    assert!(pages[5].contains("! below the rest"), "the sms slice is flagged:\n{}", pages[5]);
    insta::assert_snapshot!(pages.join("\n\n=====\n\n"));
}

#[test]
fn every_page_at_120x40() {
    let mut a = app();
    let mut pages = Vec::new();
    for _ in PAGES {
        pages.push(screen(&a, 120, 40));
        update(&mut a, StatsMsg::Key(Key::Char('h')));
        update(&mut a, StatsMsg::Key(Key::Char('l')));
        update(&mut a, StatsMsg::Key(Key::Char('l')));
    }
    assert!(pages[0].contains("[model]") && pages[0].contains("slices"), "every page's name fits:\n{}", pages[0]);
    insta::assert_snapshot!(pages.join("\n\n=====\n\n"));
}

#[test]
fn before_the_figures_and_on_failure_it_says_so_and_quits_once() {
    let mut a = StatsApp::new("news".into(), Keymap::build(&[], &[None, None]).expect("keymap"), false);
    assert!(screen(&a, 80, 24).contains("Counting..."));
    update(&mut a, StatsMsg::Failed("disk I/O error".into()));
    assert!(screen(&a, 80, 24).contains("Cannot read the figures: disk I/O error"));
    assert_eq!(update(&mut a, StatsMsg::Key(Key::Char('q'))), vec![StatsEffect::Quit]);
    assert!(update(&mut a, StatsMsg::Terminate).is_empty());
    assert!(screen(&a, 50, 10).contains("terminal too small"));
}
