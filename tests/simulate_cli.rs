//! `margin simulate` through the real binary: the whole loop (queue, trainer, ONNX Runtime scorer) on a
//! small labelled file, with the reference labels as the annotator. Checks what it writes (curves, splits,
//! the data it saw), that its summary agrees with its curves, that a seed gives the same run twice, that
//! the error rate reaches the decisions, and that bad input is refused with the file and line.

mod common;

use std::collections::BTreeMap;

use common::Sandbox;
use rusqlite::Connection;

const LABELS: [(&str, &[&str]); 3] = [
    ("sport", &["match", "goal", "team", "league", "coach", "score"]),
    ("tech", &["software", "chip", "phone", "server", "code", "laptop"]),
    ("food", &["recipe", "bread", "sauce", "oven", "cheese", "soup"]),
];

/// 150 short texts, 50 per label, each with three of its label's words and two shared ones; the
/// first line is repeated at the end (the simulation keeps distinct texts only).
fn data(sandbox: &Sandbox) -> String {
    let shared = ["today", "people", "new", "week", "said", "again", "city", "after"];
    let mut lines = Vec::new();
    for i in 0..150usize {
        let (label, words) = LABELS[i % 3];
        let text = format!(
            "{} {} {} {} {} number {i}",
            words[i % 6],
            shared[i % 8],
            words[(i / 3 + 1) % 6],
            shared[(i / 8) % 8],
            words[(i / 7 + 2) % 6]
        );
        lines.push(serde_json::json!({"text": text, "topic": label}).to_string());
    }
    lines.push(lines[0].clone());
    sandbox.write("labelled.jsonl", lines.join("\n") + "\n")
}

/// `margin simulate` on `file` with the topic as the gold label: `strategy`, `seeds`, `budget` labels in
/// batches of `batch`, writing to `out`; then `extra`.
fn simulate_args<'a>(
    file: &'a str,
    out: &'a str,
    strategy: &'a str,
    sizes: [&'a str; 3],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let [seeds, budget, batch] = sizes;
    let mut args = vec!["simulate", "--data", file, "--gold-key", "topic", "--strategy", strategy, "--seeds", seeds];
    args.extend(["--budget", budget, "--batch", batch, "--out", out]);
    args.extend_from_slice(extra);
    args
}

/// Default against random, two seeds, 30 labels in batches of 10, with the JSON summary.
fn simulate(sandbox: &Sandbox, file: &str, out: &str) -> serde_json::Value {
    let args = simulate_args(file, out, "default,random", ["2", "30", "10"], &["--json"]);
    serde_json::from_str(&sandbox.ok(&args)).expect("one JSON summary")
}

/// curves.csv as (strategy, seed) -> [(labels, accuracy)].
fn curves(out: &str) -> BTreeMap<(String, u64), Vec<(usize, f64)>> {
    let text = std::fs::read_to_string(format!("{out}/curves.csv")).expect("curves.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("strategy,seed,labels,accuracy,macro_f1"));
    let mut curves: BTreeMap<(String, u64), Vec<(usize, f64)>> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "{line}");
        let key = (f[0].to_string(), f[1].parse().unwrap());
        curves.entry(key).or_default().push((f[2].parse().unwrap(), f[3].parse().unwrap()));
    }
    curves
}

#[test]
fn simulate_writes_curves_that_agree_with_its_summary_and_a_seed_repeats_exactly() {
    let sandbox = Sandbox::new();
    let file = data(&sandbox);
    let out = sandbox.join("run").to_str().unwrap().to_string();
    let summary = simulate(&sandbox, &file, &out);
    assert_eq!(summary["items"], 150, "the repeated line counts once");
    assert_eq!(summary["labels"], serde_json::json!(["food", "sport", "tech"]));

    // The data as the simulation saw it, and each seed's split: stratified, disjoint, covering it all.
    let seen: Vec<serde_json::Value> = std::fs::read_to_string(format!("{out}/data.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(seen.len(), 150);
    for seed in 1..=2 {
        let split: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{out}/splits/seed-{seed}.json")).unwrap()).unwrap();
        let indices = |key: &str| -> Vec<usize> {
            split[key].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
        };
        let (test, pool) = (indices("test"), indices("pool"));
        assert_eq!(test.len(), 30);
        let mut all: Vec<usize> = test.iter().chain(&pool).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..150).collect::<Vec<_>>());
        for (label, _) in LABELS {
            assert_eq!(test.iter().filter(|&&i| seen[i]["label"] == label).count(), 10, "{label} in seed {seed}");
        }
    }

    // Every run's curve: a point after each batch of 10, up to the budget; labels to target is its first
    // point at or above 95% of that seed's full-data accuracy, and the means are what the seeds say.
    let curves = curves(&out);
    let full: Vec<f64> =
        summary["full_data_accuracy"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(full.len(), 2);
    assert!(full.iter().all(|&a| a > 0.9), "the model learns this data with every label: {full:?}");
    for s in summary["strategies"].as_array().unwrap() {
        let name = s["strategy"].as_str().unwrap();
        let hits = s["labels_to_target"].as_array().unwrap();
        assert_eq!(hits.len(), 2);
        let mut total = 0.0;
        for (seed, hit) in (1..=2u64).zip(hits) {
            let curve = &curves[&(name.to_string(), seed)];
            let labels: Vec<usize> = curve.iter().map(|p| p.0).collect();
            assert!(labels.iter().all(|&n| n % 10 == 0 && n <= 30) && labels.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(labels.last(), Some(&30), "{name} seed {seed} spent the budget");
            let first = curve.iter().find(|p| p.1 >= 0.95 * full[seed as usize - 1]).map(|p| p.0);
            assert_eq!(hit.as_u64().map(|n| n as usize), first, "{name} seed {seed}");
            total += first.unwrap_or(30) as f64;
        }
        assert!((s["mean_labels_to_target"].as_f64().unwrap() - total / 2.0).abs() < 1e-9);
        assert_eq!(s["all_seeds_reached_target"], hits.iter().all(|h| !h.is_null()));
        let finals: f64 = (1..=2u64).map(|seed| curves[&(name.to_string(), seed)].last().unwrap().1).sum();
        assert!((s["mean_final_accuracy"].as_f64().unwrap() - finals / 2.0).abs() < 1e-6);
    }
    let default_final = curves[&("default".to_string(), 1)].last().unwrap().1;
    assert!(default_final > 0.8, "30 labels teach the model these three topics: {default_final}");

    // The same seeds give the same picks, so the same curves, to the last digit.
    let again = sandbox.join("again").to_str().unwrap().to_string();
    simulate(&sandbox, &file, &again);
    assert_eq!(
        std::fs::read_to_string(format!("{out}/curves.csv")).unwrap(),
        std::fs::read_to_string(format!("{again}/curves.csv")).unwrap()
    );

    // Each run is a real project: its decisions are the simulator's, one per item, from the gold labels.
    let db = Connection::open(format!("{out}/work/default-1/margin.db")).unwrap();
    let wrong = |db: &Connection| -> (usize, usize) {
        let mut stmt = db
            .prepare("SELECT i.ext_id, d.labels FROM decisions d JOIN items i ON i.id = d.item_id WHERE d.annotator = 'simulator'")
            .unwrap();
        let rows: Vec<(String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        let differ = rows
            .iter()
            .filter(|(ext, labels)| {
                let gold = &seen[ext[1..].parse::<usize>().unwrap()]["label"];
                serde_json::from_str::<Vec<String>>(labels).unwrap() != vec![gold.as_str().unwrap().to_string()]
            })
            .count();
        (differ, rows.len())
    };
    assert_eq!(wrong(&db), (0, 30), "a perfect annotator");

    // With an error rate, about that share of the simulated labels are wrong.
    let noisy = sandbox.join("noisy").to_str().unwrap().to_string();
    sandbox.ok(&simulate_args(&file, &noisy, "random", ["1", "30", "10"], &["--json", "--error-rate", "0.3"]));
    let (differ, total) = wrong(&Connection::open(format!("{noisy}/work/random-1/margin.db")).unwrap());
    assert_eq!(total, 30);
    assert!((3..=15).contains(&differ), "{differ} of 30 wrong at an error rate of 0.3");
}

#[test]
fn simulate_prints_a_table_and_a_plot() {
    let sandbox = Sandbox::new();
    let file = data(&sandbox);
    let out = sandbox.join("run").to_str().unwrap().to_string();
    let run = sandbox.run(&simulate_args(&file, &out, "margin,random", ["1", "10", "5"], &[]));
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8(run.stdout).unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(stderr.contains("150 items, 3 labels; 1 seed; budget 10 in batches of 5"), "{stderr}");
    assert!(stderr.contains("seed 1 margin: full-data accuracy"), "{stderr}");
    assert!(stdout.contains("labels to target (mean)"), "{stdout}");
    for name in ["margin ", "random "] {
        assert!(stdout.lines().any(|l| l.starts_with(name)), "a row for {name}: {stdout}");
    }
    assert!(stdout.contains("        0 labels"), "the plot's axis: {stdout}");
    assert!(stdout.contains("mean accuracy: * margin   o random"), "{stdout}");
    assert!(stdout.contains(&format!("curves: {out}/curves.csv")), "{stdout}");
}

#[test]
fn simulate_refuses_bad_input_naming_the_file_and_line() {
    let sandbox = Sandbox::new();
    let bad_json = sandbox
        .write("bad.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\nnot json\n");
    let err = sandbox.fails(&["simulate", "--data", &bad_json]);
    assert!(err.contains("bad.jsonl:3: malformed JSON"), "{err}");

    let no_gold = sandbox.write("nogold.jsonl", "{\"text\": \"a\", \"topic\": \"x\"}\n");
    let err = sandbox.fails(&["simulate", "--data", &no_gold]);
    assert!(err.contains("nogold.jsonl: no line has a string field `label`") && err.contains("--gold-key"), "{err}");

    let one_label =
        sandbox.write("one.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"x\"}\n");
    let err = sandbox.fails(&["simulate", "--data", &one_label]);
    assert!(err.contains("one.jsonl: the data needs at least two labels"), "{err}");

    let err = sandbox.fails(&["simulate", "--data", &bad_json, "--strategy", "default,psychic"]);
    assert!(err.contains("unknown strategy \"psychic\"; use default or one of hybrid, least-confident"), "{err}");
    let err = sandbox.fails(&["simulate", "--data", &bad_json, "--error-rate", "1.5"]);
    assert!(err.contains("--error-rate must be in [0, 1)"), "{err}");
    let err = sandbox.fails(&["simulate", "--data", &sandbox.join("missing.jsonl").to_string_lossy()]);
    assert!(err.contains("missing.jsonl: cannot open"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Without --out the results stay where the person can find them (a new simulate-DATE-TIME directory here,
/// without the runs' projects); lines without the gold label are skipped and counted, not an error; the
/// plot's axis ends where the runs ended when the pool is smaller than the budget (issue 17).
#[test]
fn simulate_keeps_its_results_and_skips_unlabelled_lines() {
    let sandbox = Sandbox::new();
    let file = data(&sandbox);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"text\": \"an item nobody labelled\"}\n{\"text\": \"another one\"}\n");
    std::fs::write(&file, text).unwrap();
    let args = ["simulate", "--data", &file, "--gold-key", "topic", "--strategy", "random", "--seeds", "1"];
    let run = sandbox.run(&[&args[..], &["--budget", "1000", "--batch", "40"]].concat());
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("2 lines without a string field `topic` skipped"), "{stderr}");
    assert!(stderr.contains("150 items, 3 labels; 1 seed;"), "{stderr}");
    let shown = stdout.lines().find_map(|l| l.strip_prefix("curves: ")).expect("where the curves are");
    assert!(shown.starts_with("simulate-") && shown.ends_with("/curves.csv"), "{stdout}");
    let kept = sandbox.join(shown);
    assert!(kept.is_file(), "{} was kept", kept.display());
    let dir = kept.parent().unwrap();
    assert!(dir.join("splits/seed-1.json").is_file() && !dir.join("work").exists(), "{}", dir.display());
    // 120 items in the pool, a budget of 1,000: the axis ends at the labels the run reached.
    let axis = stdout.lines().find(|l| l.contains("0 labels")).expect("the plot's axis");
    assert!(axis.trim_end().ends_with("120"), "{axis}");
}
