//! Labels that data uses cannot be renamed or removed by editing margin.toml (that orphaned every item
//! using them); `margin labels rename` rewrites references, decisions and the models' label lists in one
//! audited transaction, and `add` / `remove` change the label list (remove only when no data uses it).

use crate::common::{CAROL, Sandbox};

/// Labels spam, ham and eggs; 40 items, half spam, half ham, all with reference labels; a model trained
/// on them; three decisions.
fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham,eggs");
    let lines: String = (0..40)
        .map(|i| {
            let (text, label) = if i % 2 == 0 { ("win cash prize now", "spam") } else { ("lunch at noon", "ham") };
            format!("{{\"id\":\"i{i}\",\"text\":\"{text} {i}\",\"label\":\"{label}\"}}\n")
        })
        .collect();
    let file = sandbox.write("items.jsonl", lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["decide", "i0", "--label", "spam", "--project", &project]);
    sandbox.ok(&["decide", "i1", "--label", "ham", "--project", &project]);
    sandbox.ok(&["decide", "i2", "--label", "ham", "--project", &project]);
    project
}

#[test]
fn editing_a_used_label_in_margin_toml_is_refused_with_the_count() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("name = \"spam\"", "name = \"junk\"")).unwrap();
    let err = sandbox.fails(&["status", "--project", &project]);
    assert!(err.contains("`spam`") && err.contains("20 items"), "{err}");
    assert!(err.contains("margin labels rename spam junk"), "{err}");
    // Removing it is refused the same way; putting the file back makes the project work again.
    std::fs::write(&path, text.replace("[[labels]]\nname = \"spam\"\nkey = \"1\"\ncolor = \"cyan\"\n", "")).unwrap();
    assert!(sandbox.fails(&["status", "--project", &project]).contains("`spam`"));
    std::fs::write(&path, &text).unwrap();
    assert!(sandbox.ok(&["status", "--project", &project]).contains("spam"));
}

#[test]
fn labels_rename_rewrites_every_use_in_one_audited_step() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let out = sandbox.ok(&["labels", "rename", "spam", "junk", "--project", &project]);
    assert!(out.contains("20 items") && out.contains("decisions"), "{out}");
    let settings = std::fs::read_to_string(format!("{project}/margin.toml")).unwrap();
    assert!(settings.contains("name = \"junk\"\nkey = \"1\"\ncolor = \"cyan\""), "{settings}");
    assert!(!settings.contains("\"spam\""), "{settings}");

    let export = sandbox.ok(&["export", "--project", &project]);
    assert!(!export.contains("\"spam\""), "{export}");
    let i0: serde_json::Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert_eq!(i0["reference_labels"], serde_json::json!(["junk"]));
    assert_eq!(i0["labels"], serde_json::json!(["junk"]));
    let status = sandbox.ok(&["status", "--project", &project]);
    assert!(status.contains("junk") && !status.contains("spam"), "{status}");

    // The current model still scores, under the new name, and a retrain learns both labels.
    let explained = sandbox.ok(&["explain", "i4", "--project", &project]);
    assert!(explained.contains("junk"), "{explained}");
    sandbox.ok(&["score", "--all", "--project", &project]);
    sandbox.ok(&["retrain", "--project", &project]);
    let queue = sandbox.ok(&["explain", "i5", "--project", &project]);
    assert!(queue.contains("ham"), "{queue}");

    let log = sandbox.ok(&["audit", "log", "--action", "labels_renamed", "--project", &project]);
    assert!(log.contains("\"from\":\"spam\"") && log.contains("\"to\":\"junk\""), "{log}");
    assert!(sandbox.ok(&["audit", "verify", "--project", &project]).contains("holds"));
    // Decisions are still append-only after the rewrite.
    let db = rusqlite::Connection::open(format!("{project}/margin.db")).unwrap();
    assert!(db.execute("UPDATE decisions SET labels = '[\"x\"]'", []).is_err());
    assert!(db.execute("DELETE FROM decisions", []).is_err());
}

#[test]
fn labels_add_and_remove_and_who_may() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    sandbox.ok(&["labels", "add", "maybe", "--project", &project]);
    let settings = std::fs::read_to_string(format!("{project}/margin.toml")).unwrap();
    assert!(settings.contains("name = \"maybe\""), "{settings}");
    assert!(sandbox.ok(&["status", "--project", &project]).contains("maybe"));
    let err = sandbox.fails(&["labels", "add", "maybe", "--project", &project]);
    assert!(err.contains("already"), "{err}");

    let err = sandbox.fails(&["labels", "remove", "spam", "--project", &project]);
    assert!(err.contains("20 items"), "{err}");
    sandbox.ok(&["labels", "remove", "maybe", "--project", &project]);
    let settings = std::fs::read_to_string(format!("{project}/margin.toml")).unwrap();
    assert!(!settings.contains("maybe"), "{settings}");
    sandbox.ok(&["status", "--project", &project]);
    let err = sandbox.fails(&["labels", "rename", "nope", "x", "--project", &project]);
    assert!(err.contains("nope"), "{err}");
    let err = sandbox.fails(&["labels", "rename", "spam", "ham", "--project", &project]);
    assert!(err.contains("already"), "{err}");

    // Only an admin changes labels.
    let path = format!("{project}/margin.toml");
    let roles = format!("\n[roles]\nadmin = [\"{}\"]\nannotator = [\"{CAROL}\"]\n", crate::common::me());
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &roles).unwrap();
    sandbox.ok(&["status", "--project", &project]);
    let out = sandbox.run_as(CAROL, &["labels", "add", "x", "--project", &project]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the admin role"));
}
