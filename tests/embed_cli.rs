//! `margin embed` with the real encoder and ONNX Runtime on real SQLite files: every item gets one vector,
//! a killed run keeps what it wrote and the next one does only the rest, and a project without an encoder
//! or with a missing one is told so.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Sandbox;

/// A project of `n` short, different texts.
fn project(sandbox: &Sandbox, n: usize) -> String {
    let project = sandbox.project("p", "pets,money");
    let lines: String = (0..n)
        .map(|i| {
            let text = if i % 2 == 0 {
                format!("my dog number {i} chased a cat")
            } else {
                format!("the bank raised rate {i}")
            };
            format!("{}\n", serde_json::json!({ "text": text }))
        })
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

fn vectors(project: &str) -> i64 {
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    db.query_row("SELECT count(*) FROM embeddings", [], |r| r.get(0)).unwrap()
}

#[test]
fn every_item_gets_one_vector_and_a_second_run_has_nothing_to_do() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, 40);
    assert!(sandbox.ok(&["status", "--project", &project]).contains("vectors: none yet (margin embed)"));
    let out: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["embed", "--json", "--project", &project])).unwrap();
    assert_eq!(out["embedded"], 40, "{out}");
    assert_eq!(out["done"], 40);
    assert!(out["encoder"].as_str().unwrap().starts_with("all-MiniLM-L6-v2@sha256:"), "{out}");
    // No model yet: the label names made a zero-shot one, which scored every item as it got its vector,
    // and the names say enough here to get every item right.
    assert_eq!(out["zero_shot_model"], 1, "{out}");
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT i.text, p.probabilities FROM items i JOIN predictions p ON p.item_id = i.id AND p.model_version_id = 1")
        .unwrap();
    let rows: Vec<(String, Vec<u8>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 40);
    for (text, blob) in rows {
        let pets = f32::from_le_bytes(blob[0..4].try_into().unwrap());
        assert_eq!(pets > 0.5, text.contains("dog"), "{text}: pets {pets}");
    }
    assert!(sandbox.ok(&["status", "--project", &project]).contains("(zero-shot from the label descriptions)"));
    assert_eq!(vectors(&project), 40);
    let again: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["embed", "--json", "--project", &project])).unwrap();
    assert_eq!(again["embedded"], 0);
    assert_eq!(again["zero_shot_model"], serde_json::Value::Null, "a model exists now");
    let said = sandbox.ok(&["embed", "--project", &project]);
    assert!(said.contains("40 of 40 items have a vector"), "{said}");
    let status = sandbox.ok(&["status", "--project", &project]);
    assert!(status.contains("vectors: 40 of 40 items from all-MiniLM-L6-v2@sha256:"), "{status}");
}

#[test]
fn a_killed_run_keeps_its_vectors_and_the_next_does_the_rest() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, 2000);
    let mut run = sandbox
        .command(&["embed", "--threads", "1", "--chunk", "100", "--project", &project])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while vectors(&project) == 0 {
        assert!(Instant::now() < deadline && run.try_wait().unwrap().is_none(), "no vector was written");
        std::thread::sleep(Duration::from_millis(20));
    }
    run.kill().unwrap();
    run.wait().unwrap();
    let kept = vectors(&project);
    assert!(kept > 0 && kept < 2000, "the kill landed mid-run: {kept} vectors");
    let out: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["embed", "--json", "--project", &project])).unwrap();
    assert_eq!(out["embedded"].as_i64().unwrap(), 2000 - kept, "only what the killed run had not written: {out}");
    assert_eq!(vectors(&project), 2000);
}

#[test]
fn no_encoder_or_a_missing_one_is_said_plainly() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, 3);
    let missing = sandbox.join("nowhere").display().to_string();
    let error = sandbox.fails(&["embed", "--encoder", &missing, "--project", &project]);
    assert!(error.contains("--encoder names") && error.contains("nowhere"), "{error}");
    sandbox.set(&project, &[("model.encoder", "encoders/mine".into())]);
    let error = sandbox.fails(&["embed", "--project", &project]);
    assert!(error.contains("[model] encoder names") && error.contains("encoders/mine"), "{error}");
    sandbox.set(&project, &[("model.encoder", "none".into())]);
    let error = sandbox.fails(&["embed", "--project", &project]);
    assert!(error.contains("uses no sentence encoder"), "{error}");
    assert_eq!(vectors(&project), 0);
}

#[test]
fn doctor_reports_the_encoder_it_found_and_one_it_was_told_of_that_is_missing() {
    let sandbox = Sandbox::new();
    let report: serde_json::Value = serde_json::from_str(&sandbox.ok(&["doctor", "--json"])).unwrap();
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "sentence encoder").cloned();
    let check = check.expect("a sentence encoder check");
    assert_eq!(check["ok"], true, "{check}");
    assert!(check["detail"].as_str().unwrap().contains("384 dimensions, embeds"), "{check}");
    let missing = sandbox.join("nowhere").display().to_string();
    let out = sandbox.command(&["doctor", "--encoder", &missing]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("BAD sentence encoder"));
}

/// The air-gapped archive's layout (scripts/package): margin finds the runtime and the encoder next to its
/// executable with no flag and no variable, and they work.
#[test]
fn the_packaged_layout_finds_the_runtime_and_the_encoder_next_to_the_executable() {
    let sandbox = Sandbox::new();
    let stage = sandbox.join("margin-packaged");
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/package"))
        .args(["--stage", stage.to_str().unwrap()])
        .env("MARGIN_BINARY", env!("CARGO_BIN_EXE_margin"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let project = sandbox.project("p", "pets,money");
    let doctor = std::process::Command::new(stage.join("margin"))
        .args(["doctor", "--json", "--project", &project])
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("MARGIN_ENCODER")
        .env("XDG_CONFIG_HOME", sandbox.join("xdg-config"))
        .env("XDG_DATA_HOME", sandbox.join("xdg-data"))
        .env("XDG_STATE_HOME", sandbox.join("xdg-state"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.status.success(), "{report}\n{}", String::from_utf8_lossy(&doctor.stderr));
    let staged = stage.display().to_string();
    let report_json: serde_json::Value = serde_json::from_str(report.trim()).expect("one JSON object");
    let checks = report_json["checks"].as_array().expect("checks").clone();
    let detail = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["detail"].as_str())
            .unwrap_or_else(|| panic!("no {name} check in {report}"))
            .to_string()
    };
    assert!(detail("onnx runtime").contains(&format!("{staged}/libonnxruntime.so")), "{report}");
    assert!(detail("sentence encoder").contains(&format!("{staged}/encoders/all-minilm-l6-v2")), "{report}");
}
