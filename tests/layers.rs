//! Keeps the architecture's dependency rules true (see src/lib.rs): the pure core stays pure, and each
//! outside resource has exactly one owner.

use std::path::Path;

fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push((path.display().to_string(), std::fs::read_to_string(&path).expect("read")));
        }
    }
    files
}

fn src(sub: &str) -> Vec<(String, String)> {
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub))
}

/// Whether `line` uses `word` as a whole path segment (`ort::` but not `import::`).
fn mentions(line: &str, word: &str) -> bool {
    line.match_indices(word)
        .any(|(at, _)| !line[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
}

/// Code lines (not comments, not the files of test modules) of `files` that use any of `words`.
fn offenders(files: &[(String, String)], words: &[&str]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, _)| !path.ends_with("/tests.rs"))
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| words.iter().any(|w| mentions(line, w)))
                .map(move |(n, line)| format!("{path}:{}: {}", n + 1, line.trim()))
        })
        .collect()
}

#[test]
fn domain_is_pure() {
    let found = offenders(
        &src("domain"),
        &["rusqlite", "ort::", "ratatui", "crossterm", "std::fs", "std::net", "std::process", "crate::"],
    );
    assert!(found.is_empty(), "src/domain must not do I/O or import the rest of margin:\n{}", found.join("\n"));
}

#[test]
fn only_the_store_touches_rusqlite() {
    let mut all = Vec::new();
    for sub in ["cli", "config", "domain", "formats", "model"] {
        all.extend(src(sub));
    }
    let found = offenders(&all, &["rusqlite"]);
    assert!(found.is_empty(), "only src/store may use rusqlite:\n{}", found.join("\n"));
}

#[test]
fn only_the_model_touches_onnx_runtime() {
    let mut all = Vec::new();
    for sub in ["cli", "config", "domain", "formats", "store"] {
        all.extend(src(sub));
    }
    let found = offenders(&all, &["ort::", "use ort"]);
    assert!(found.is_empty(), "only src/model may use ort:\n{}", found.join("\n"));
}

#[test]
fn store_model_and_formats_import_only_the_domain() {
    for sub in ["store", "model", "formats"] {
        let found: Vec<String> =
            offenders(&src(sub), &["crate::"]).into_iter().filter(|line| !line.contains("crate::domain")).collect();
        assert!(found.is_empty(), "src/{sub} may import only crate::domain:\n{}", found.join("\n"));
    }
}

#[test]
fn every_module_says_what_it_owns() {
    let files = rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let missing: Vec<&str> = files
        .iter()
        .filter(|(path, text)| !path.ends_with("/tests.rs") && !text.trim_start().starts_with("//!"))
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(missing.is_empty(), "modules without a //! header:\n{}", missing.join("\n"));
}

#[test]
fn no_file_grows_past_six_hundred_lines() {
    let files = rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let long: Vec<String> = files
        .iter()
        .filter(|(_, text)| text.lines().count() > 600)
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these along a seam:\n{}", long.join("\n"));
}

#[test]
fn the_screen_never_touches_the_store_or_the_model() {
    let found = offenders(
        &src("tui"),
        &[
            "rusqlite",
            "ort::",
            "crate::store",
            "crate::model",
            "crate::app::serve",
            "crate::app::score",
            "crate::app::worker",
            "std::fs",
        ],
    );
    assert!(found.is_empty(), "src/tui must do its I/O through effects the workers carry out:\n{}", found.join("\n"));
}
