//! The README's tour ("Using it"), run as written: every command of its shell block, read from README.md
//! itself, in order, on a small file, with the real binary, the real ONNX Runtime and the sentence encoder.
//! What the README says of the exports' columns and fields is checked against what the exports hold, so
//! the README cannot drift from the program again.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::Sandbox;

const README: &str = include_str!("../README.md");

/// The lines of the first `sh` block after `heading` that holds `holding`, comments cut.
fn shell_block(heading: &str, holding: &str) -> Vec<String> {
    let mut rest = &README[README.find(heading).unwrap_or_else(|| panic!("README has no {heading:?}"))..];
    loop {
        let start = rest.find("```sh\n").unwrap_or_else(|| panic!("no shell block with {holding:?}")) + "```sh\n".len();
        let end = start + rest[start..].find("```").expect("the block's end");
        let block = &rest[start..end];
        if block.contains(holding) {
            return block
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
        }
        rest = &rest[end + 3..];
    }
}

/// Articles for the tour: a few labelled per label (for `train --reference`), the rest to label.
fn articles() -> String {
    let labelled = [
        ("The striker scored twice in the cup final", "sport"),
        ("The goalkeeper saved a late penalty", "sport"),
        ("The team won the league after a long season", "sport"),
        ("A new chip doubles the phone's battery life", "tech"),
        ("The software update fixes a security flaw", "tech"),
        ("Engineers built a faster processor for laptops", "tech"),
        ("Parliament passed the budget bill last night", "politics"),
        ("The minister resigned after the election", "politics"),
        ("Voters chose a new government in the poll", "politics"),
    ];
    let pending = [
        "The coach praised the players after the match",
        "The app now runs on every tablet",
        "The senate debated the new tax law",
        "Fans cheered as the runner broke the record",
    ];
    let mut out = String::new();
    for (text, label) in labelled {
        out += &serde_json::json!({ "text": text, "label": label }).to_string();
        out.push('\n');
    }
    for text in pending {
        out += &serde_json::json!({ "text": text, "source": "tour" }).to_string();
        out.push('\n');
    }
    out
}

/// The backticked names in the README's description of an export format, from `- **format**` to the next
/// list item.
fn documented_fields(format: &str) -> BTreeSet<String> {
    let marker = format!("- **{format}**");
    let start = README.find(&marker).unwrap_or_else(|| panic!("README does not describe {format}"));
    let rest = &README[start + marker.len()..];
    let text = &rest[..rest.find("\n- **").or_else(|| rest.find("\n\n")).unwrap_or(rest.len())];
    let mut fields = BTreeSet::new();
    let mut parts = text.split('`');
    parts.next();
    while let Some(name) = parts.next() {
        if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            fields.insert(name.to_string());
        }
        parts.next();
    }
    fields
}

#[test]
fn the_readme_tour_runs_as_written() {
    let sandbox = Sandbox::new();
    // The tour imports ../articles.jsonl from inside the project: the file sits beside it.
    sandbox.write("articles.jsonl", articles());
    let mut cwd: PathBuf = sandbox.path().to_path_buf();
    let mut listed_ids: Vec<String> = Vec::new();
    let lines = shell_block("## Using it", "margin init");
    assert!(lines.len() >= 8, "the tour has its commands: {lines:?}");
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["cd", dir] => {
                cwd = cwd.join(dir);
                assert!(cwd.is_dir(), "`{line}`: no such directory");
                continue;
            }
            ["margin", ..] => {}
            _ => panic!("the tour holds a line this test cannot run: {line:?}"),
        }
        // ITEM stands for an id the tour listed just before.
        let args: Vec<String> =
            words[1..]
                .iter()
                .map(|w| {
                    if *w == "ITEM" { listed_ids.first().cloned().expect("an id listed before") } else { w.to_string() }
                })
                .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sandbox.command(&args).current_dir(&cwd).output().expect("run margin");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "`{line}` failed in {}:\n{stdout}\n{}",
            cwd.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        if args.first() == Some(&"items") {
            listed_ids = stdout.lines().skip(1).filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
            assert_eq!(listed_ids.len(), 5, "the tour asks for five of the 13 pending items:\n{stdout}");
        }
    }
    // The tour's export went to labels.csv; its columns are those the README lists.
    let csv = std::fs::read_to_string(cwd.join("labels.csv")).expect("the tour's export");
    let header: BTreeSet<String> = csv.lines().next().unwrap().split(',').map(String::from).collect();
    assert_eq!(header, documented_fields("csv"), "the CSV's columns against the README");
    // Every JSONL line has the fields the README lists, the empty ones included.
    let jsonl = sandbox.command(&["export"]).current_dir(&cwd).output().unwrap();
    for line in String::from_utf8(jsonl.stdout).unwrap().lines() {
        let object: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: BTreeSet<String> = object.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, documented_fields("jsonl"), "a JSONL line's fields against the README: {line}");
    }
}
