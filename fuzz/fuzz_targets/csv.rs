//! libFuzzer target: margin's CSV importer. The properties are in ../targets.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = targets::run("csv", data) {
        panic!("property broken: {broken}");
    }
});
