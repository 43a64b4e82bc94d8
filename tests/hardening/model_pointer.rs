//! `margin retrain` and `margin train` at once: they take turns (one lock), and the current model never
//! moves back to a version trained on older data than the current one's.

use crate::common::Sandbox;

#[test]
fn a_retrain_racing_a_train_never_leaves_the_older_model_current() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    // Enough items that scoring the pool keeps the retrain busy well after the train has finished.
    let lines: String = (0..60_000)
        .map(|i| {
            let (text, label) = if i % 2 == 0 { ("win cash prize now", "spam") } else { ("lunch at noon", "ham") };
            if i < 2000 {
                format!("{{\"text\":\"{text} {i}\",\"label\":\"{label}\"}}\n")
            } else {
                format!("{{\"text\":\"{text} {i} unlabelled\"}}\n")
            }
        })
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    for round in 0..3 {
        let retrain = sandbox
            .command(&["retrain", "--project", &project])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The train starts once the retrain has begun (holds its lock), so it reads its data later.
        let lock = std::path::Path::new(&project).join("models/retrain.lock");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !lock.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert!(lock.exists(), "round {round}: the retrain never started");
        let trained = sandbox.ok(&["train", "--reference", "--json", "--project", &project]);
        let trained: serde_json::Value = serde_json::from_str(trained.lines().last().unwrap()).unwrap();
        let out = retrain.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || err.contains("another retrain"), "round {round}: {err}");
        let current: String =
            db.query_row("SELECT value FROM project_state WHERE key = 'current_model'", [], |r| r.get(0)).unwrap();
        assert_eq!(
            current,
            trained["model_version"].to_string(),
            "round {round}: the train read its data after the retrain did, so its model is the current one"
        );
    }
}
