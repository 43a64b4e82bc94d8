//! Issue 14's smaller defects: the demo reset, keys.toml clashes, read-only projects, a garbage model,
//! no ONNX Runtime on the screen, what the log keeps, re-imports with changed labels, doubled messages.

use std::os::unix::fs::PermissionsExt;

use crate::common::pty::Pty;
use crate::common::{CAROL, Sandbox};

fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file = sandbox.write(
        "items.jsonl",
        "{\"id\":\"a\",\"text\":\"win money now\",\"label\":\"spam\"}\n{\"id\":\"b\",\"text\":\"lunch at noon\",\"label\":\"ham\"}\n\
         {\"id\":\"c\",\"text\":\"cheap pills\",\"label\":\"spam\"}\n{\"id\":\"d\",\"text\":\"see you at five\",\"label\":\"ham\"}\n",
    );
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

#[test]
fn demo_reset_asks_on_a_terminal_and_keeps_a_backup() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["demo"]);
    let demo = sandbox.join("xdg-data/margin/demo");
    let db = demo.join("margin.db").display().to_string();
    let first: String = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row("SELECT coalesce(ext_id, hex(content_key)) FROM items LIMIT 1", [], |r| r.get(0)).unwrap()
    };
    let id = sandbox.ok(&["export", "--project", demo.to_str().unwrap()]);
    let id: serde_json::Value = serde_json::from_str(id.lines().next().unwrap()).unwrap();
    let _ = first;
    sandbox.ok(&["decide", id["id"].as_str().unwrap(), "--skip", "--project", demo.to_str().unwrap()]);
    let decisions = |db: &str| -> i64 {
        rusqlite::Connection::open(db).unwrap().query_row("SELECT count(*) FROM decisions", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(decisions(&db), 1);

    // Without a terminal it will not delete anything unasked.
    let err = sandbox.fails(&["demo", "--reset"]);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(decisions(&db), 1);

    // On a terminal it asks; no keeps everything.
    let mut pty = Pty::spawn(sandbox.command(&["demo", "--reset"]), 100, 30);
    pty.wait_for("the question", |s| s.contains("[y/N]"));
    pty.send("n\r");
    pty.wait_exit();
    assert_eq!(decisions(&db), 1);

    // --yes resets, and the old demo is kept beside it.
    let out = sandbox.ok(&["demo", "--reset", "--yes"]);
    assert_eq!(decisions(&db), 0, "{out}");
    let kept: Vec<_> = std::fs::read_dir(sandbox.join("xdg-data/margin"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("demo-before-reset-"))
        .collect();
    assert_eq!(kept.len(), 1, "{out}");
    assert_eq!(decisions(&kept[0].path().join("margin.db").display().to_string()), 1);
    assert!(out.contains(&kept[0].file_name().to_string_lossy().to_string()), "{out}");
}

#[test]
fn a_clash_in_the_users_keys_file_is_reported_there() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    std::fs::create_dir_all(sandbox.join("xdg-config/margin")).unwrap();
    let keys = sandbox.join("xdg-config/margin/keys.toml");
    std::fs::write(&keys, "# my keys\n[item]\naccept = [\"s\"]\n").unwrap();
    let err = sandbox.fails(&["keys", "--project", &project]);
    assert!(err.contains(&format!("{}:3:", keys.display())), "{err}");
    assert!(!err.contains("margin.toml"), "{err}");
}

#[test]
fn a_read_only_project_can_be_read_and_says_so_when_written() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok(&["decide", "a", "--label", "spam", "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    // Read-only for the account that reads it (in its user namespace the files are its own: no root
    // privilege overrides the permission bits).
    for entry in std::fs::read_dir(&project).unwrap().flatten() {
        let mode = if entry.path().is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o555)).unwrap();
    for args in [vec!["status"], vec!["export"], vec!["audit", "verify"], vec!["people"], vec!["model", "list"]] {
        let mut all = args.clone();
        all.extend(["--project", &project]);
        let out = sandbox.run_as(CAROL, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} on a read-only project: {err}");
        assert!(err.contains("read-only"), "{args:?} does not say the project is read-only: {err}");
    }
    let out = sandbox.run_as(CAROL, &["decide", "b", "--label", "ham", "--project", &project]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("read-only") && !err.contains("unable to open"), "{err}");
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn doctor_loads_the_current_model() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["doctor", "--project", &project]);
    let model = std::fs::read_dir(format!("{project}/models"))
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "onnx"))
        .unwrap()
        .path();
    std::fs::write(&model, b"garbage, not a model").unwrap();
    let out = sandbox.run(&["doctor", "--project", &project]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "doctor passed with a garbage model:\n{stdout}");
    assert!(stdout.contains("BAD current model"), "{stdout}");
}

#[test]
fn without_onnx_runtime_the_screen_says_so_and_how_to_get_it() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["score", "--project", &project]);
    let command = sandbox.command(&["--ort-lib", "/nonexistent/libonnxruntime.so", "annotate", "--project", &project]);
    let mut pty = Pty::spawn(command, 100, 30);
    let screen = pty.wait_for("the runtime's absence", |s| s.contains("no ONNX Runtime"));
    assert!(screen.contains("scripts/setup") || screen.contains("--ort-lib"), "{screen}");
    assert!(!screen.contains("explaining..."), "{screen}");
    pty.send("q");
    pty.wait_exit();
}

#[test]
fn the_log_is_private_and_keeps_no_personal_data() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok(&[
        "decide",
        "a",
        "--label",
        "spam",
        "--note",
        "he said call jo@example.com or +44 20 7946 0958",
        "--project",
        &project,
    ]);
    sandbox.ok(&["decide", "b", "--escalate", "mail from jo@example.com", "--project", &project]);
    let log = sandbox.join("xdg-state/margin/margin.log");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("decide"), "{text}");
    assert!(!text.contains("jo@example.com") && !text.contains("7946"), "{text}");
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // A log left readable by an older margin is made private too.
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox.ok(&["status", "--project", &project]);
    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn reimporting_changed_reference_labels_says_so_and_applies_them_on_request() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let changed = sandbox.write(
        "changed.jsonl",
        "{\"id\":\"a\",\"text\":\"win money now\",\"label\":\"ham\"}\n{\"id\":\"b\",\"text\":\"lunch at noon\",\"label\":\"ham\"}\n",
    );
    let out = sandbox.ok(&["import", &changed, "--project", &project]);
    assert!(out.contains("1 of them with different reference labels") && out.contains("--update-labels"), "{out}");
    let export = sandbox.ok(&["export", "--project", &project]);
    assert!(export.lines().next().unwrap().contains("\"reference_labels\":[\"spam\"]"), "kept until asked");

    let out = sandbox.ok(&["import", &changed, "--update-labels", "--project", &project]);
    assert!(out.contains("Updated the reference labels of 1 item "), "{out}");
    let export = sandbox.ok(&["export", "--project", &project]);
    assert!(export.lines().next().unwrap().contains("\"reference_labels\":[\"ham\"]"), "{export}");
    let log = sandbox.ok(&["audit", "log", "--item", "a", "--project", &project]);
    assert!(log.contains("reference_labels") && log.contains("\"before\":[\"spam\"]"), "{log}");
}

#[test]
fn a_damaged_database_is_named_once_not_twice() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let db = format!("{project}/margin.db");
    let mut bytes = std::fs::read(&db).unwrap();
    // Overwrite the second page (the first table's root) with noise.
    let page = 16 * 1024;
    for b in &mut bytes[page..2 * page] {
        *b = 0x5a;
    }
    std::fs::write(&db, bytes).unwrap();
    let err = sandbox.fails(&["status", "--project", &project]);
    let message = err.trim().trim_start_matches("margin: ");
    for part in message.split(": ") {
        assert_eq!(message.matches(part).count(), 1, "{part:?} repeats in {err}");
    }
}
