//! libFuzzer target: a project's margin.toml, and the keymap its [keys] build. The properties are in ../targets.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = targets::run("margin_toml", data) {
        panic!("property broken: {broken}");
    }
});
