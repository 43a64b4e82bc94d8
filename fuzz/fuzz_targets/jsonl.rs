//! libFuzzer target: margin's JSONL importer. The properties are in ../targets.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = targets::run("jsonl", data) {
        panic!("property broken: {broken}");
    }
});
