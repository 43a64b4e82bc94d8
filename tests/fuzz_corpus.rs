//! Replays every committed fuzz input (fuzz/corpus/TARGET/*) through its target's properties, so the seeds
//! and every input that once found a bug stay fixed. The fuzzers themselves run from scripts/fuzz; the
//! targets and their properties are fuzz/targets.rs, shared with them.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_committed_fuzz_input_keeps_its_properties() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut broken = Vec::new();
    for target in targets::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("a corpus entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no inputs", dir.display());
        for file in files {
            let data = std::fs::read(&file).expect("a corpus file");
            let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            match std::panic::catch_unwind(|| targets::run(target, &data)) {
                Ok(Ok(())) => {}
                Ok(Err(why)) => broken.push(format!("{name}: {why}")),
                Err(_) => broken.push(format!("{name}: panicked (the message is above)")),
            }
        }
    }
    assert!(broken.is_empty(), "fuzz inputs that break a property:\n{}", broken.join("\n"));
}

#[test]
fn the_properties_catch_what_they_are_for() {
    assert!(targets::check_one_line("line 3: label `a` is unknown").is_ok());
    assert!(targets::check_one_line("label `a\nb` is unknown").is_err());
    assert!(targets::check_one_line("label `\u{1b}[2J` is unknown").is_err());
    assert!(targets::check_one_line("  ").is_err());
    assert!(targets::run("no-such-target", b"").is_err());
    // A text input the importer must refuse with a located, one-line message.
    assert!(targets::run("text", b"ok\n\xff\xfe\n").is_ok());
}
