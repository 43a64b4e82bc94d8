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
        &["rusqlite", "ort::", "crate::store", "crate::model", "crate::app", "crate::cli", "std::fs"],
    );
    assert!(found.is_empty(), "src/tui must do its I/O through effects the workers carry out:\n{}", found.join("\n"));
}

#[test]
fn the_use_cases_print_nothing_and_know_no_screen() {
    let files: Vec<(String, String)> =
        src("app").into_iter().filter(|(path, _)| !path.contains("/app/worker/")).collect();
    let found = offenders(&files, &["crate::cli", "crate::tui", "println!", "eprintln!", "anyhow"]);
    assert!(found.is_empty(), "src/app returns typed results; the CLI and screens show them:\n{}", found.join("\n"));
}

/// A file's module path under src (`app/worker/annotate` for src/app/worker/annotate.rs, `tui` for
/// src/tui/mod.rs, empty for lib.rs).
fn module_of(path: &Path, src: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its `mod tests` block.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map_or("", |l| l.trim_start());
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod tests") {
            break;
        }
        // Comment lines are kept empty, so that line numbers stay those of the file.
        kept.push(if line.trim_start().starts_with("//") { "" } else { *line });
    }
    kept.join("\n")
}

/// The modules (files) each file uses through `crate::`, `super::` or `self::` paths, braces included. A
/// parent's own `mod` and `pub use child::...` lines are its structure, not imports: they are not edges
/// (a child may use its parent through `super::`).
fn module_graph() -> std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<(Vec<String>, String)> = rust_files(&src)
        .into_iter()
        .filter(|(path, _)| !path.ends_with("/tests.rs") && !path.ends_with("/main.rs"))
        .map(|(path, text)| (module_of(Path::new(&path), &src), code_of(&text)))
        .collect();
    let modules: std::collections::BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    // The longest prefix of a path that is a module file.
    let resolve = |path: &[String]| (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p));
    let mut graph = std::collections::BTreeMap::new();
    for (module, code) in &files {
        let mut uses = std::collections::BTreeSet::new();
        // `use a::{b, c}` over one line or several: a brace list without its spaces is one word.
        let mut joined = String::with_capacity(code.len());
        for c in code.chars() {
            if c.is_whitespace() && joined.ends_with(['{', ',']) {
                continue;
            }
            joined.push(c);
        }
        let words: Vec<&str> =
            joined.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == ',')).collect();
        for word in words {
            let word = word.trim_start_matches([':', '{', ',']);
            if !word.split("::").next().is_some_and(|f| ["crate", "super", "self"].contains(&f)) {
                continue;
            }
            // `a::b::{c, d}` names a::b::c and a::b::d.
            let (stem, list) = word.split_once("::{").map_or((word, ""), |(s, l)| (s, l));
            let mut base: Vec<String> = Vec::new();
            let mut segments = stem.split("::").filter(|s| !s.is_empty()).peekable();
            if segments.peek() == Some(&"crate") {
                segments.next();
            } else {
                base = module.clone();
                while let Some(&s) = segments.peek().filter(|s| **s == "super" || **s == "self") {
                    if s == "super" {
                        base.pop();
                    }
                    segments.next();
                }
            }
            base.extend(segments.map(String::from));
            let mut targets = vec![base.clone()];
            for item in list.split(',').map(|i| i.trim_matches(|c: char| c == '}' || c.is_whitespace())) {
                if !item.is_empty() && item != "self" {
                    let mut path = base.clone();
                    path.extend(item.split("::").map(String::from));
                    targets.push(path);
                }
            }
            for target in targets {
                if let Some(found) = resolve(&target).filter(|found| found != module) {
                    uses.insert(found);
                }
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

#[test]
fn no_two_files_import_each_other_even_through_others() {
    let graph = module_graph();
    assert!(graph.len() > 100, "the graph holds the files: {}", graph.len());
    assert!(
        graph[&vec!["app".to_string(), "serve".to_string()]].contains(&vec!["store".to_string()]),
        "the graph sees `use crate::store::...`"
    );
    // Depth-first search; a file met again while still on the path closes a cycle.
    fn visit(
        module: &Vec<String>,
        graph: &std::collections::BTreeMap<Vec<String>, std::collections::BTreeSet<Vec<String>>>,
        path: &mut Vec<Vec<String>>,
        done: &mut std::collections::BTreeSet<Vec<String>>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|m| m == module) {
            let names: Vec<String> = path[at..].iter().chain([module]).map(|m| m.join("/")).collect();
            cycles.push(names.join(" -> "));
            return;
        }
        if !done.insert(module.clone()) {
            return;
        }
        path.push(module.clone());
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let (mut done, mut cycles) = (std::collections::BTreeSet::new(), Vec::new());
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles between files:\n{}", cycles.join("\n"));
}

#[test]
fn no_function_runs_past_a_hundred_lines() {
    let files = rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut long = Vec::new();
    for (path, text) in files.iter().filter(|(path, _)| !path.ends_with("/tests.rs")) {
        let code = code_of(text);
        let lines: Vec<&str> = code.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let signature =
                ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "].iter().any(|p| trimmed.starts_with(p));
            if !signature || trimmed.ends_with(';') {
                continue;
            }
            // The body ends at the first `}` at the signature's indent.
            let close = format!("{}}}", &line[..line.len() - trimmed.len()]);
            if let Some(end) = lines[at + 1..].iter().position(|l| *l == close) {
                if end + 2 > 100 {
                    long.push(format!("{path}:{}: {} lines", at + 1, end + 2));
                }
            }
        }
    }
    assert!(long.is_empty(), "split these into named stages:\n{}", long.join("\n"));
}
