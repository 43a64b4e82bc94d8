//! libFuzzer target: margin's plain-text importer. The properties are in ../targets.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = targets::run("text", data) {
        panic!("property broken: {broken}");
    }
});
