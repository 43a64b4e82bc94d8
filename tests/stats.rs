//! `margin stats` on a real project, model and ONNX Runtime: the figures add up to the decisions made, a
//! metadata slice the model does badly on is flagged, and the screen opens, pages and quits in a real
//! terminal.

mod common;

use common::Sandbox;
use common::pty::Pty;

/// A project with a model trained on reference labels and 40 pool items, half from `web`, half from `sms`;
/// ann accepts the model on web and rejects it on sms (the model is wrong there), bob accepts 10 web items.
fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "sport,tech");
    sandbox.set(&project, &[("model.encoder", toml::Value::String("none".into()))]);
    sandbox.share_account(&project);
    let words = [["match", "goal", "team", "coach"], ["chip", "code", "server", "phone"]];
    let mut training = String::new();
    for i in 0..30 {
        for (t, topic) in ["sport", "tech"].iter().enumerate() {
            let text = format!("{} {} news {i}", words[t][i % 4], words[t][(i + 1) % 4]);
            training += &format!("{}\n", serde_json::json!({ "text": text, "label": topic }));
        }
    }
    sandbox.ok(&["--project", &project, "import", &sandbox.write("train.jsonl", training)]);
    let mut pool = String::new();
    for i in 0..40 {
        let source = if i < 20 { "web" } else { "sms" };
        let text = format!("{} {} pool {i}", words[i % 2][i % 4], words[i % 2][(i + 2) % 4]);
        pool += &format!("{}\n", serde_json::json!({ "id": format!("p{i:02}"), "text": text, "source": source }));
    }
    sandbox.ok(&["--project", &project, "import", &sandbox.write("pool.jsonl", pool)]);
    sandbox.ok(&["--project", &project, "train", "--reference"]);
    sandbox.ok(&["--project", &project, "score"]);
    for i in 0..40 {
        let id = format!("p{i:02}");
        let verdict = if i < 20 { "--accept" } else { "--reject" };
        sandbox.ok(&["--project", &project, "decide", &id, verdict, "--annotator", "ann"]);
        if i < 10 {
            sandbox.ok(&["--project", &project, "decide", &id, "--accept", "--annotator", "bob"]);
        }
    }
    project
}

#[test]
fn the_figures_add_up_and_a_slice_the_model_does_badly_on_is_flagged() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let out = sandbox.ok(&["--project", &project, "stats", "--slice", "source", "--json"]);
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    let models = d["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{out}");
    assert!(models[0]["accuracy"].as_f64().unwrap() > 0.9, "{out}");
    // 50 labels in all: 40 by ann, 10 by bob, all at some hour of the day.
    let hourly: u64 = d["hourly"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p[1].as_array().unwrap().clone())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(hourly, 50);
    let pairs = d["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!((pairs[0]["items"].as_u64(), pairs[0]["agreed"].as_u64()), (Some(10), Some(10)));
    let confusion: u64 = d["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().clone())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(confusion, 50, "every label had the model's prediction beside it");
    let calibrated: u64 = d["calibration"].as_array().unwrap().iter().map(|b| b["decisions"].as_u64().unwrap()).sum();
    assert_eq!(calibrated, 40, "one per settled item");
    let slices = d["slices"][1].as_array().unwrap();
    let slice = |v: &str| slices.iter().find(|s| s["value"] == v).unwrap().clone();
    assert_eq!((slice("web")["items"].as_u64(), slice("web")["right"].as_u64()), (Some(20), Some(20)));
    assert_eq!((slice("sms")["items"].as_u64(), slice("sms")["right"].as_u64()), (Some(20), Some(0)));
    assert_eq!((slice("sms")["flagged"].as_bool(), slice("web")["flagged"].as_bool()), (Some(true), Some(false)));
    // People's agreement per slice: ann and bob both labelled 10 web items, alike; no sms item twice.
    assert_eq!((slice("web")["pairs"].as_u64(), slice("web")["pairs_agreed"].as_u64()), (Some(10), Some(10)));
    assert_eq!(slice("sms")["pairs"].as_u64(), Some(0));
    let text = sandbox.ok(&["--project", &project, "stats", "--slice", "source"]);
    assert!(text.contains("sms") && text.contains("! well below the rest"), "{text}");
}

#[test]
fn the_dashboard_opens_pages_and_quits_in_a_real_terminal() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let mut pty = Pty::spawn(sandbox.command(&["--project", &project, "stats", "--slice", "source"]), 80, 24);
    pty.wait_for("the model page", |s| s.contains("[model]") && s.contains("calibration error"));
    for (key, page) in
        [("l", "[activity]"), ("l", "[people]"), ("l", "[calibration]"), ("l", "[labels]"), ("l", "[slices]")]
    {
        pty.send(key);
        pty.wait_for(page, |s| s.contains(page));
    }
    let slices = pty.contents();
    assert!(slices.contains("! below the rest"), "{slices}");
    pty.send("h");
    pty.wait_for("back a page", |s| s.contains("[labels]"));
    pty.send("q");
    assert!(pty.wait_exit().success());
    assert!(pty.restored(), "the terminal is given back");
}

#[test]
fn the_report_is_one_self_contained_page_and_replaces_only_an_earlier_report() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let path = sandbox.join("report.html");
    let path = path.to_str().unwrap();
    let out = sandbox.ok(&["--project", &project, "report", "-o", path, "--slice", "source"]);
    assert!(out.contains("Wrote the report"), "{out}");
    let page = std::fs::read_to_string(path).unwrap();
    for part in [
        "The model by version",
        "Labels per hour",
        "Agreement per pair",
        "Calibration",
        "The audit trail",
        "Holds: ",
        "Settings (margin.toml)",
        "well below the rest",
        "<svg",
    ] {
        assert!(page.contains(part), "{part:?} missing");
    }
    assert!(page.contains("default-src 'none'") && !page.contains("<script") && !page.contains("src="));
    // Made again over itself: fine. Over another file: refused without --force.
    sandbox.ok(&["--project", &project, "report", "-o", path]);
    let other = sandbox.write("notes.html", "my notes");
    let err = sandbox.fails(&["--project", &project, "report", "-o", &other]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "my notes");
}

#[test]
fn the_dashboard_opens_from_the_annotation_and_triage_screens_and_closes_back() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let more: String =
        (0..10).map(|i| format!("{}\n", serde_json::json!({ "text": format!("goal match extra {i}") }))).collect();
    sandbox.ok(&["--project", &project, "import", &sandbox.write("more.jsonl", more)]);
    let mut pty = Pty::spawn(sandbox.command(&["--project", &project, "annotate", "--annotator", "eve"]), 80, 24);
    pty.wait_for("an item", |s| s.contains("item 1/"));
    pty.send("\t");
    pty.wait_for("the statistics", |s| s.contains("statistics · 1/7"));
    pty.send("l");
    pty.wait_for("the model page", |s| s.contains("statistics · 2/7 · model") && s.contains("calibration error"));
    pty.send("l");
    pty.wait_for("the activity page", |s| s.contains("statistics · 3/7 · activity") && s.contains("root:ann"));
    pty.send("\x1b");
    pty.wait_for("the item again", |s| !s.contains("statistics ·") && s.contains("item 1/"));
    pty.send("q");
    assert!(pty.wait_exit().success());

    let mut pty = Pty::spawn(sandbox.command(&["--project", &project, "triage"]), 80, 24);
    pty.wait_for("the triage screen", |s| s.contains("margin triage"));
    pty.send("s");
    pty.wait_for("the dashboard", |s| s.contains("statistics · 1/6 · model") && s.contains("calibration error"));
    pty.send("l");
    pty.wait_for("the next page", |s| s.contains("statistics · 2/6 · activity"));
    pty.send("q");
    pty.wait_for("the triage screen again", |s| !s.contains("statistics ·") && s.contains("margin triage"));
    pty.send("q");
    assert!(pty.wait_exit().success());
}
