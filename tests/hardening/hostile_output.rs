//! Every command that prints data, run in a real terminal (a pseudo-terminal as its standard input, output
//! and error) on a project whose texts, metadata, ids, notes, reasons, rationale, file names, project name
//! and label names hold escape sequences (OSC titles and clipboard writes, screen clears, colours, C1
//! controls), BEL, DEL, bidi overrides and zero-width characters: none of them may reach the terminal.

use crate::common::Sandbox;
use crate::common::pty::run_raw;

/// Sets the title, writes the clipboard, clears the screen, colours, a C1 CSI, DEL, a bidi override, a
/// zero-width space and a paragraph separator.
const HOSTILE: &str =
    "\u{1b}]0;PWNED\u{7}\u{1b}]52;c;cGF3bmVk\u{7}\u{1b}[2J\u{1b}[31m\u{9b}31m\u{7f}\u{202e}evil\u{200b}\u{2029}";

/// What must never appear in a terminal's bytes, whatever a command prints.
fn reached(out: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for needle in [&b"\x1b]"[..], b"\x07", b"\x1b[2J", b"\x1b[31m", b"\x7f"] {
        if out.windows(needle.len()).any(|w| w == needle) {
            found.push(format!("{needle:?}"));
        }
    }
    if out.windows(2).any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])) {
        found.push("a C1 control".into());
    }
    let text = String::from_utf8_lossy(out);
    for c in ['\u{202e}', '\u{200b}', '\u{2029}'] {
        if text.contains(c) {
            found.push(format!("{c:?}"));
        }
    }
    found
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A project full of hostile data; returns its directory and the hostile item's id.
fn hostile_project(sandbox: &Sandbox) -> (String, String) {
    let name = format!("p{HOSTILE}");
    sandbox.ok(&["init", "p", "--labels", "spam,ham", "--name", &name]);
    let project = sandbox.join("p").display().to_string();
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let display = format!("name = \"spam\"\ndisplay = {}", toml::Value::String(format!("Spam{HOSTILE}")));
    std::fs::write(&path, text.replacen("name = \"spam\"", &display, 1)).unwrap();
    // Ids may not hold control characters (the importer refuses them), but bidi and zero-width ones pass.
    let id = "a\u{202e}evil\u{200b}\u{2029}".to_string();
    let mut lines = format!(
        "{{\"id\":{},\"text\":{},\"meta\":{{{}:{}}},\"label\":\"spam\"}}\n",
        json_str(&id),
        json_str(&format!("win money {HOSTILE} now")),
        json_str(&format!("from{HOSTILE}")),
        json_str(HOSTILE)
    );
    for i in 0..12 {
        let (t, l) = if i % 2 == 0 { ("cheap pills offer", "spam") } else { ("lunch at noon", "ham") };
        lines.push_str(&format!("{{\"id\":\"i{i}\",\"text\":\"{t} {i}\",\"label\":\"{l}\"}}\n"));
    }
    lines.push_str(&format!("{{\"id\":\"b\",\"text\":{}}}\n", json_str(&format!("see you {HOSTILE}"))));
    let file = sandbox.write(&format!("items{HOSTILE}.jsonl"), lines);
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["train", "--reference", "--project", &project]);
    sandbox.ok(&["score", "--project", &project]);
    sandbox.ok(&["decide", &id, "--label", "ham", "--note", HOSTILE, "--project", &project]);
    sandbox.ok(&["decide", "b", "--escalate", &format!("why {HOSTILE}"), "--project", &project]);
    (project, id)
}

#[test]
fn no_escape_sequence_from_data_reaches_the_terminal() {
    let sandbox = Sandbox::new();
    let (project, id) = hostile_project(&sandbox);
    let bad = sandbox.write("bad.jsonl", format!("{{\"text\":\"x\",\"label\":{}}}\n", json_str(HOSTILE)));
    let backup = sandbox.join("copy.db").display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["status", "--json"],
        vec!["people"],
        vec!["people", "--json"],
        vec!["export"],
        vec!["export", "--format", "csv"],
        vec!["export", "--format", "prodigy"],
        vec!["explain", &id],
        vec!["explain", &id, "--json"],
        vec!["queue", "next"],
        vec!["queue", "release"],
        vec!["queue", "next", "--json"],
        vec!["queue", "release"],
        vec!["triage", "list"],
        vec!["triage", "list", "--json"],
        vec!["triage", "example", &id, "--label", "spam", "--rationale", HOSTILE],
        vec!["triage", "reveal", &id],
        vec!["audit", "log"],
        vec!["audit", "verify"],
        vec!["model", "list"],
        vec!["model", "list", "--json"],
        vec!["doctor"],
        vec!["doctor", "--json"],
        vec!["keys"],
        vec!["decide", &id, "--skip"],
        vec!["decide", HOSTILE, "--skip"],
        vec!["import", &bad],
        vec!["score", "--all"],
        vec!["train", "--reference"],
        vec!["retrain"],
        vec!["backup", &backup],
        vec!["labels", "add", "eggs"],
        vec!["labels", "rename", "eggs", "bacon"],
        vec!["triage", "resolve", "b", "--label", "spam", "--rationale", HOSTILE],
    ];
    let mut failures = Vec::new();
    for args in &commands {
        let mut all = args.clone();
        all.extend(["--project", project.as_str()]);
        let (_, out) = run_raw(sandbox.command(&all), 200, 50);
        let found = reached(&out);
        if !found.is_empty() {
            failures.push(format!("margin {}: {}", args[0..args.len().min(2)].join(" "), found.join(", ")));
        }
    }
    // A new project's name is the user's own text, and init repeats it.
    let other = sandbox.join("q").display().to_string();
    let (_, out) = run_raw(sandbox.command(&["init", &other, "--labels", "a,b", "--name", HOSTILE]), 200, 50);
    let found = reached(&out);
    if !found.is_empty() {
        failures.push(format!("margin init: {}", found.join(", ")));
    }
    // Guideline files are read with cat: what an example quotes from data is escaped there too.
    let guidelines = [format!("{project}/guidelines"), format!("{other}/guidelines")];
    for file in guidelines.iter().flat_map(|dir| std::fs::read_dir(dir).unwrap().flatten()) {
        let found = reached(&std::fs::read(file.path()).unwrap());
        if !found.is_empty() {
            failures.push(format!("{}: {}", file.path().display(), found.join(", ")));
        }
    }
    assert!(failures.is_empty(), "data reached the terminal:\n{}", failures.join("\n"));
}

#[test]
fn simulate_prints_its_file_and_labels_safely() {
    let sandbox = Sandbox::new();
    let lines: String = (0..60)
        .map(|i| {
            let (t, l) = if i % 2 == 0 {
                ("cheap pills offer", format!("sp{HOSTILE}am"))
            } else {
                ("lunch at noon", "ham".into())
            };
            format!("{{\"text\":\"{t} {i}\",\"label\":{}}}\n", json_str(&l))
        })
        .collect();
    let data = sandbox.write(&format!("data{HOSTILE}.jsonl"), lines);
    let args = ["simulate", "--data", data.as_str(), "--seeds", "1", "--budget", "20", "--batch", "10"];
    let (_, out) = run_raw(sandbox.command(&args), 200, 50);
    let found = reached(&out);
    assert!(found.is_empty(), "margin simulate let through {}:\n{}", found.join(", "), String::from_utf8_lossy(&out));
}
