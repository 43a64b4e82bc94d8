//! `margin import` through the real binary on real SQLite files: every format, every kind of bad input
//! (non-zero exit, `FILE:LINE:` message, database byte-for-byte unchanged), --skip-bad, duplicates,
//! round trips, and a reader while a writer imports.

mod common;

use common::Sandbox;
use margin::store::Store;

/// A project with two good items already in it, so "unchanged" is tested on a database with data.
fn project_with_items(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "ham,spam");
    let good = sandbox.write("good.jsonl", "{\"id\": \"g1\", \"text\": \"good one\"}\n{\"text\": \"good two\"}\n");
    sandbox.ok(&["import", &good, "--project", &project]);
    project
}

fn db_bytes(project: &str) -> Vec<u8> {
    std::fs::read(format!("{project}/margin.db")).expect("read margin.db")
}

#[test]
fn each_bad_input_names_file_and_line_exits_nonzero_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let project = project_with_items(&sandbox);
    let before = db_bytes(&project);
    let cases: &[(&str, &[u8], &[&str], &str)] = &[
        ("malformed.jsonl", b"{\"text\": \"ok\"}\n{\"text\": \"oops\"\n", &[], ":2: malformed JSON"),
        ("utf8.jsonl", b"{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\"}\n", &[], ":2: invalid UTF-8"),
        ("missing.jsonl", b"{\"body\": \"no text key\"}\n", &[], ":1: no `text` field"),
        ("number.jsonl", b"{\"text\": 42}\n", &[], ":1: field `text` must be a string, not a number"),
        ("empty.jsonl", b"{\"text\": \"fine\"}\n{\"text\": \"\"}\n", &[], ":2: the text is empty"),
        (
            "long.jsonl",
            b"{\"text\": \"this text is too long\"}\n",
            &["--max-text-bytes", "10"],
            ":1: the text is 21 bytes",
        ),
        ("dup-id.jsonl", b"{\"id\": \"g1\", \"text\": \"not the same\"}\n", &[], ":1: id `g1` is already used"),
        ("label.jsonl", b"{\"text\": \"x\", \"label\": \"eggs\"}\n", &[], ":1: label `eggs` is not one of"),
        ("fields.csv", b"text,source\nok,web\nno source\n", &[], ":3: 1 fields, but the header has 2"),
        ("column.csv", b"body\nhello\n", &[], ":1: no column `text` in the header"),
        ("utf8.txt", b"fine\n\xff\xfe\n", &[], ":2: invalid UTF-8"),
    ];
    for (name, contents, flags, expected) in cases {
        let file = sandbox.write(name, contents);
        let mut args = vec!["import", file.as_str(), "--project", project.as_str()];
        args.extend_from_slice(flags);
        let stderr = sandbox.fails(&args);
        assert!(stderr.contains(&format!("{file}{expected}")), "{name}: stderr was:\n{stderr}");
        assert!(stderr.contains("nothing was imported"), "{name}: stderr was:\n{stderr}");
        assert!(db_bytes(&project) == before, "{name}: the database changed");
        assert!(!std::path::Path::new(&format!("{project}/margin.db-wal")).exists(), "{name}: a WAL file was left");
    }
    let store = Store::open(std::path::Path::new(&format!("{project}/margin.db"))).unwrap();
    assert_eq!(store.item_count().unwrap(), 2);
}

#[test]
fn skip_bad_imports_the_rest_and_reports_each_bad_line() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let file = sandbox.write(
        "mixed.jsonl",
        "{\"text\": \"one\"}\nnot json\n{\"text\": \"two\", \"label\": \"spam\"}\n{\"text\": \"\"}\n{\"text\": \"three\"}\n",
    );
    let out = sandbox.run(&["import", &file, "--project", &project, "--skip-bad"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{file}:2: malformed JSON")), "{stderr}");
    assert!(stderr.contains(&format!("{file}:4: the text is empty")), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Imported 3 items") && stdout.contains("2 bad records skipped"), "{stdout}");
    let status: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["status", "--json", "--project", &project])).unwrap();
    assert_eq!(status["status"]["items"], 3);
    assert_eq!(status["status"]["reference_labels"][0]["label"], "spam");
}

#[test]
fn every_format_imports_and_duplicates_are_counted() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let jsonl = sandbox.write("a.jsonl", "{\"text\": \"alpha\"}\n{\"text\": \"beta\"}\n{\"text\": \"alpha\"}\n");
    let csv = sandbox.write("b.csv", "text,label,lang\n\"gamma, quoted\",ham,en\nbeta,,en\n");
    let tsv = sandbox.write("c.tsv", "id\ttext\nd1\tdelta \"raw\"\n");
    let txt = sandbox.write("d.txt", "epsilon\n\nzeta\n");
    let out = sandbox.ok(&["import", &jsonl, "--project", &project]);
    assert!(out.contains("Imported 2 items") && out.contains("1 duplicate text skipped"), "{out}");
    let out = sandbox.ok(&["import", &csv, "--project", &project]);
    assert!(out.contains("Imported 1 item ") && out.contains("1 duplicate text skipped"), "{out}");
    assert!(sandbox.ok(&["import", &tsv, "--project", &project]).contains("Imported 1 item "));
    let out = sandbox.ok(&["import", &txt, "--project", &project]);
    assert!(out.contains("Imported 2 items") && out.contains("1 blank line passed over"), "{out}");

    let stdin = sandbox.run_with_stdin(&["import", "-", "--project", &project], b"{\"text\": \"eta\"}\n");
    assert!(stdin.status.success(), "{}", String::from_utf8_lossy(&stdin.stderr));
    let stdin = sandbox.run_with_stdin(&["import", "-", "--format", "csv", "--project", &project], b"text\ntheta\n");
    assert!(stdin.status.success(), "{}", String::from_utf8_lossy(&stdin.stderr));
    let unknown = sandbox.run_with_stdin(&["import", "-", "--project", &project], b"iota\n");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("<stdin>: cannot tell the format; pass --format"));

    let exported = sandbox.ok(&["export", "--project", &project]);
    let texts: Vec<String> = exported
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, ["alpha", "beta", "gamma, quoted", "delta \"raw\"", "epsilon", "zeta", "eta", "theta"]);
    let gamma: serde_json::Value = serde_json::from_str(exported.lines().nth(2).unwrap()).unwrap();
    assert_eq!(gamma["meta"], serde_json::json!({ "lang": "en" }));
    assert_eq!(gamma["reference_labels"], serde_json::json!(["ham"]));
    assert_eq!(gamma["source"]["line"], 2);
}

#[test]
fn a_file_name_without_a_known_extension_asks_for_format() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let file = sandbox.write("data.json", "[{\"text\": \"a\"}]");
    assert!(sandbox.fails(&["import", &file, "--project", &project]).contains("convert it to JSONL"));
    let file = sandbox.write("data.dat", "a\n");
    assert!(sandbox.fails(&["import", &file, "--project", &project]).contains("pass --format"));
    assert!(sandbox.ok(&["import", &file, "--format", "text", "--project", &project]).contains("Imported 1 item "));
    let missing = sandbox.fails(&["import", "nowhere.jsonl", "--project", &project]);
    assert!(missing.contains("nowhere.jsonl: cannot open"), "{missing}");
}

#[test]
fn import_then_export_returns_texts_and_metadata_unchanged() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let lines = [
        r#"{"id": "n1", "text": "Plain ASCII.", "meta": {"z": 1, "a": {"nested": [1, 2.50, -0.0, 1e3]}, "s": "q\"uote"}}"#,
        r#"{"id": 17, "text": "Ünïcödé — 漢字 🎉\ttab\nnewline", "meta": {"empty": {}, "null": null, "bool": true}}"#,
        r#"{"text": "  leading and trailing spaces  ", "meta": {"k": "\u0007 control"}}"#,
        r#"{"text": "no meta at all"}"#,
    ];
    let file = sandbox.write("in.jsonl", lines.join("\n") + "\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    let exported = sandbox.ok(&["export", "--project", &project]);
    let out: Vec<serde_json::Value> = exported.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(out.len(), lines.len());
    for (line, got) in lines.iter().zip(&out) {
        let want: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(got["text"], want["text"]);
        assert_eq!(got["meta"], want.get("meta").cloned().unwrap_or(serde_json::json!({})));
    }
    // Metadata comes back byte for byte, number formatting and key order included.
    assert!(
        exported
            .lines()
            .next()
            .unwrap()
            .contains(r#""meta":{"z": 1, "a": {"nested": [1, 2.50, -0.0, 1e3]}, "s": "q\"uote"}"#)
    );
    assert_eq!(out[1]["id"], "17");

    // And the export imports again as the same items: all duplicates.
    let again = sandbox.write("again.jsonl", &exported);
    let fresh = sandbox.project("q", "ham,spam");
    sandbox.ok(&["import", &again, "--project", &fresh]);
    let second = sandbox.ok(&["export", "--project", &fresh]);
    let ids_texts = |s: &str| -> Vec<(String, String)> {
        s.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["id"].as_str().unwrap().to_string(), v["text"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(ids_texts(&exported), ids_texts(&second));
}

#[test]
fn a_reader_sees_the_project_while_a_writer_imports() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let items = 150_000;
    let mut big = String::with_capacity(items * 40);
    for i in 0..items {
        big.push_str(&format!("{{\"text\": \"item number {i} with some words\"}}\n"));
    }
    let file = sandbox.write("big.jsonl", big);
    let mut writer = sandbox
        .command(&["import", &file, "--project", &project])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn import");
    let mut reads_during_import = 0;
    loop {
        let running_before = writer.try_wait().expect("try_wait").is_none();
        let out = sandbox.run(&["status", "--json", "--project", &project]);
        assert!(out.status.success(), "status failed while importing: {}", String::from_utf8_lossy(&out.stderr));
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let seen = status["status"]["items"].as_u64().unwrap();
        assert!(seen == 0 || seen == items as u64, "a reader saw a half-done import: {seen} items");
        let running_after = writer.try_wait().expect("try_wait").is_none();
        if running_before && running_after {
            reads_during_import += 1;
        }
        if !running_after {
            break;
        }
    }
    assert!(writer.wait().unwrap().success());
    assert!(reads_during_import > 0, "no read overlapped the import; make the file bigger");
    let status: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["status", "--json", "--project", &project])).unwrap();
    assert_eq!(status["status"]["items"], items as u64);
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let file = sandbox.write("a.txt", "one\ntwo\n");
    let out = sandbox.run(&["import", &file, "--project", &project]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "stderr: {:?}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn data_quoted_in_messages_cannot_steer_the_terminal() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "ham,spam");
    let file = sandbox.write("evil.csv", "text,label\nhello,\"\x1b[2Jspam\u{202e}\"\n");
    let stderr = sandbox.fails(&["import", &file, "--project", &project]);
    assert!(!stderr.contains('\x1b') && !stderr.contains('\u{202e}'), "{stderr:?}");
    assert!(stderr.contains("label `\\u{1b}[2Jspam\\u{202e}` is not one of"), "{stderr}");
}
