//! libFuzzer target: the terminal sanitisers (domain::text::visible, tui::text::wrap, one_line). The properties are in ../targets.rs.
#![no_main]

#[allow(dead_code)]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = targets::run("sanitiser", data) {
        panic!("property broken: {broken}");
    }
});
