//! The model in the loop through the real binary and the real ONNX Runtime: train, score, committees,
//! refusing broken models, and Python's onnxruntime agreeing with margin's stored probabilities.

mod common;

use std::path::Path;
use std::process::Command;

use common::Sandbox;
use margin::domain::DecisionAction;
use margin::model::explain::Explainer;
use margin::store::{NewDecision, Store};

/// Labelled texts in three topics, each with its own words plus shared filler.
fn topics_jsonl(per_topic: usize, with_labels: bool) -> String {
    let vocab = [
        ("sport", ["match", "goal", "team", "coach", "league", "score"]),
        ("tech", ["software", "chip", "network", "code", "server", "phone"]),
        ("food", ["recipe", "bread", "cheese", "oven", "taste", "soup"]),
    ];
    let filler = ["the", "a", "today", "new", "big", "report", "people", "said"];
    let mut out = String::new();
    for i in 0..per_topic {
        for (t, (topic, words)) in vocab.iter().enumerate() {
            let text = format!(
                "{} {} {} {} {} item {i}",
                filler[(i + t) % 8],
                words[i % 6],
                filler[(i * 3 + 1) % 8],
                words[(i * 5 + t) % 6],
                filler[(i * 7) % 8]
            );
            if with_labels {
                out.push_str(&format!("{{\"text\": \"{text}\", \"label\": \"{topic}\"}}\n"));
            } else {
                out.push_str(&format!("{{\"text\": \"{text} unlabelled\"}}\n"));
            }
        }
    }
    out
}

fn project_with_topics(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "sport,tech,food");
    let file = sandbox.write("labelled.jsonl", topics_jsonl(30, true));
    sandbox.ok(&["import", &file, "--project", &project]);
    let file = sandbox.write("pool.jsonl", topics_jsonl(20, false));
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).expect("JSON output")
}

fn store(project: &str) -> Store {
    Store::open(Path::new(&format!("{project}/margin.db"))).expect("open store")
}

#[test]
fn train_reports_cross_validated_metrics_and_score_stores_calibrated_probabilities() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let trained = json(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    assert_eq!(trained["examples"], 90);
    assert_eq!(trained["metrics"]["folds"], 5);
    assert!(trained["metrics"]["accuracy"].as_f64().unwrap() > 0.9, "{trained}");
    assert!(trained["metrics"]["macro_f1"].as_f64().unwrap() > 0.9, "{trained}");
    assert!(trained["metrics"]["ece"].as_f64().unwrap() < 0.2, "{trained}");
    let path = trained["path"].as_str().unwrap();
    assert!(Path::new(&project).join(path).is_file());

    let scored = json(&sandbox.ok(&["score", "--json", "--project", &project]));
    // The 90 reference-labelled items have no decisions, so they are pending too.
    assert_eq!(scored["scored"], 150);
    let again = json(&sandbox.ok(&["score", "--json", "--project", &project]));
    assert_eq!(again["scored"], 0, "nothing is scored twice by one model");

    let store = store(&project);
    let model = store.current_model().unwrap().unwrap();
    assert_eq!(model.id, trained["model_version"].as_i64().unwrap());
    assert_eq!(store.prediction_count(model.id).unwrap(), 150);
    let p = store.prediction(model.id, 1).unwrap().unwrap();
    assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    let max = p.probabilities.iter().copied().fold(0.0, f32::max);
    assert!((p.uncertainty.least_confident - (1.0 - max)).abs() < 1e-6);
    assert_eq!(p.vote_entropy, None);
}

#[test]
fn the_same_labels_and_seed_give_the_same_model() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let weights = |out: &str| {
        let path = Path::new(&project).join(json(out)["path"].as_str().unwrap());
        let explainer = Explainer::from_onnx(&std::fs::read(path).unwrap()).unwrap();
        ["match goal today", "soup and bread", "server code network"].map(|t| explainer.probabilities(t))
    };
    let first = weights(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    let second = weights(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    assert_eq!(first, second, "same labels and seed, same weights");
    sandbox.set(&project, &[("model.seed", toml::Value::Integer(8))]);
    let third = weights(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    assert_ne!(first, third, "another seed, other weights");
}

#[test]
fn training_on_decisions_uses_settled_labels_only() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let empty = sandbox.fails(&["train", "--project", &project]);
    assert!(empty.contains("nothing to learn from yet"), "{empty}");
    {
        let mut store = store(&project);
        let labels = ["sport", "tech", "food"];
        for item in 1..=30i64 {
            let label = labels[((item - 1) % 3) as usize];
            let d = NewDecision {
                labels: Some(vec![label.into()]),
                ..NewDecision::new(item, "ann", DecisionAction::Correct)
            };
            store.record_decision(&d).unwrap();
        }
        // Skipped and escalated items are left out.
        store.record_decision(&NewDecision::new(31, "ann", DecisionAction::Skip)).unwrap();
        let escalate =
            NewDecision { reason: Some("unclear".into()), ..NewDecision::new(32, "ann", DecisionAction::Escalate) };
        store.record_decision(&escalate).unwrap();
    }
    let trained = json(&sandbox.ok(&["train", "--json", "--project", &project]));
    assert_eq!(trained["examples"], 30);
    assert_eq!(trained["source"], "decisions");
}

#[test]
fn a_committee_adds_vote_entropy_and_kl_divergence() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let trained = json(&sandbox.ok(&["train", "--reference", "--committee", "3", "--json", "--project", &project]));
    assert_eq!(trained["committee"], 3);
    sandbox.ok(&["score", "--project", &project]);
    let store = store(&project);
    let model = store.current_model().unwrap().unwrap();
    assert_eq!(store.committee(model.id).unwrap().len(), 3);
    let p = store.prediction(model.id, 100).unwrap().unwrap();
    let vote_entropy = p.vote_entropy.expect("vote entropy stored");
    assert!((0.0..=3f32.ln() + 1e-6).contains(&vote_entropy));
    assert!(p.kl_divergence.expect("KL stored") >= 0.0);
}

#[test]
fn old_model_files_are_pruned_but_their_records_stay() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    sandbox.set(&project, &[("model.keep_versions", toml::Value::Integer(1))]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    // A different seed makes a different file, so pruning has something to delete.
    sandbox.set(&project, &[("model.seed", toml::Value::Integer(8))]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    let files = std::fs::read_dir(format!("{project}/models")).unwrap().count();
    assert_eq!(files, 1);
    let store = store(&project);
    assert!(store.model_version(1).unwrap().pruned);
    assert!(!store.model_version(2).unwrap().pruned);
}

#[test]
fn a_broken_current_model_is_refused_in_one_line() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let trained = json(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    let file = Path::new(&project).join(trained["path"].as_str().unwrap());
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let out = sandbox.run(&["score", "--project", &project]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot be used; train a new one") && stderr.contains("cannot load the model"), "{stderr}");
}

#[test]
fn python_onnxruntime_agrees_with_the_stored_probabilities() {
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    let trained = json(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    // Scored before the pool has vectors (on words alone), then embedded: `margin embed` scores each item
    // again with its vector, so every stored prediction is the whole model's.
    sandbox.ok(&["score", "--all", "--project", &project]);
    sandbox.ok(&["embed", "--project", &project]);
    let model_path = Path::new(&project).join(trained["path"].as_str().unwrap());

    let repo = env!("CARGO_MANIFEST_DIR");
    let python = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut child = Command::new("python3")
            .arg(format!("{repo}/scripts/margin_onnx.py"))
            .args(args)
            .env("PYTHONPATH", format!("{repo}/vendor/python"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "python failed (run scripts/setup --tests): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(python(&["--check", model_path.to_str().unwrap()], "").trim(), "ok");

    let exported = sandbox.ok(&["export", "--project", &project]);
    let items: Vec<serde_json::Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let texts: String = items.iter().map(|i| format!("{}\n", serde_json::json!({ "text": i["text"] }))).collect();
    let from_text: Vec<serde_json::Value> =
        python(&[model_path.to_str().unwrap()], &texts).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(from_text.len(), items.len());
    let mut store = store(&project);
    let model = store.current_model().unwrap().unwrap();
    let (identity, _) = store.embedding_counts().unwrap().into_iter().next().expect("the items were embedded");
    let encoder = store.encoder_id(&identity, 384).unwrap();
    let compare = |from_python: &[serde_json::Value]| {
        let (mut worst, mut same_top) = (0.0f64, 0);
        for (id, python_row) in (1..).zip(from_python) {
            let stored = store.prediction(model.id, id).unwrap().expect("scored");
            let python: Vec<f64> =
                python_row["probabilities"].as_array().unwrap().iter().map(|p| p.as_f64().unwrap()).collect();
            for (a, b) in stored.probabilities.iter().zip(&python) {
                worst = worst.max((f64::from(*a) - b).abs());
            }
            same_top += usize::from(
                top(&stored.probabilities.iter().map(|&p| f64::from(p)).collect::<Vec<_>>()) == top(&python),
            );
        }
        (worst, same_top)
    };
    // The project has the sentence encoder, so the model is a combined one: given the vectors margin
    // scored with (as stored), Python's onnxruntime gives the same probabilities.
    let vectors = store.vectors_of(encoder, &(1..=items.len() as i64).collect::<Vec<_>>()).unwrap();
    let with_vectors: String = items
        .iter()
        .zip(1..)
        .map(|(i, id)| format!("{}\n", serde_json::json!({ "text": i["text"], "embedding": vectors[&id] })))
        .collect();
    let from_python: Vec<serde_json::Value> = python(&[model_path.to_str().unwrap()], &with_vectors)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (worst, _) = compare(&from_python);
    assert!(worst < 1e-5, "largest difference {worst}");
    // From the texts alone, Python embeds them itself (float vectors where margin stores int8 ones): the
    // same labels on top, and probabilities close.
    let (worst, same_top) = compare(&from_text);
    assert_eq!(same_top, items.len(), "largest difference {worst}");
    assert!(worst < 0.02, "largest difference {worst}");
}

fn top(p: &[f64]) -> usize {
    (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap()
}

#[test]
fn multi_label_projects_train_one_sigmoid_per_label() {
    let sandbox = Sandbox::new();
    let project = sandbox.project_with(&["init", "m", "--labels", "red,round", "--multi-label"], "m");
    let mut lines = String::new();
    for i in 0..40 {
        let (text, labels) = match i % 4 {
            0 => ("a red ball", "[\"red\", \"round\"]"),
            1 => ("a red box", "[\"red\"]"),
            2 => ("a blue ball", "[\"round\"]"),
            _ => ("a blue box", "[]"),
        };
        lines.push_str(&format!("{{\"text\": \"{text} {i}\", \"label\": {labels}}}\n"));
    }
    lines.push_str("{\"id\": \"q\", \"text\": \"a red ball again\"}\n");
    let file = sandbox.write("m.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    let trained = json(&sandbox.ok(&["train", "--reference", "--json", "--project", &project]));
    assert!(trained["metrics"]["macro_f1"].as_f64().unwrap() > 0.9, "{trained}");
    sandbox.ok(&["score", "--project", &project]);
    let store = store(&project);
    let model = store.current_model().unwrap().unwrap();
    let item = store.find_item("q").unwrap().unwrap();
    let p = store.prediction(model.id, item.id).unwrap().unwrap();
    assert!(p.probabilities[0] > 0.5 && p.probabilities[1] > 0.5, "both labels apply: {:?}", p.probabilities);
    assert!(p.probabilities.iter().sum::<f32>() > 1.2, "independent sigmoids, not a softmax");
}

/// A multi-label prediction can hold no label at all: `decide --accept` and `--reject` on such an item
/// say what to do instead of failing (`--reject` once panicked on the empty list).
#[test]
fn deciding_on_a_multi_label_prediction_of_no_label_is_refused_in_words() {
    let sandbox = Sandbox::new();
    let project = sandbox.project_with(&["init", "m", "--labels", "red,round", "--multi-label"], "m");
    let mut lines = String::new();
    for i in 0..40 {
        let (text, labels) = if i % 2 == 0 { ("a red ball", "[\"red\", \"round\"]") } else { ("a blue box", "[]") };
        lines.push_str(&format!("{{\"text\": \"{text} {i}\", \"label\": {labels}}}\n"));
    }
    lines.push_str("{\"id\": \"q\", \"text\": \"a blue box again\"}\n");
    let file = sandbox.write("m.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["score", "--project", &project]);
    let rejected = sandbox.command(&["decide", "q", "--reject", "--project", &project]).output().unwrap();
    let said = String::from_utf8_lossy(&rejected.stderr);
    assert_eq!(rejected.status.code(), Some(1), "refused, not a panic: {said}");
    assert!(said.contains("--reject works in binary projects"), "{said}");
    let accepted = sandbox.fails(&["decide", "q", "--accept", "--project", &project]);
    assert!(accepted.contains("predicts no label"), "{accepted}");
}

#[test]
fn an_explanation_toward_the_label_on_screen_never_hints_at_that_label() {
    use margin::app::explain::ExplainModel;
    use margin::model::runtime::{Runtime, SearchPlaces};
    let sandbox = Sandbox::new();
    let project = project_with_topics(&sandbox);
    sandbox.set(&project, &[("model.encoder", toml::Value::String("none".into()))]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    let location = margin::app::project::locate(Some(Path::new(&project))).unwrap();
    let opened = margin::app::project::Project::open(&location).unwrap();
    let mut store = store(&project);
    let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime (run scripts/setup)");
    let mut model =
        ExplainModel::load(&opened.dir, &opened.config, &mut store, runtime, None).unwrap().expect("a model");
    let text = "the match today goal big";
    let own = model.explain(text, None, 0).unwrap();
    assert_eq!(own.predicted, 0, "sport: {:?}", own.probabilities);
    // The screen shows food (a stored prediction can differ from a fresh one in a near tie): the words and
    // the hint are about food, and the hint names another label.
    let shown = model.explain_as(text, None, 0, Some(2)).unwrap();
    assert_eq!(shown.predicted, 2);
    let hint = shown.counterfactual.expect("without some word it would say something else");
    assert_ne!(hint.label, "food", "{hint:?}");
}
