//! Installing like a real command-line tool: completions and manual pages generated from the clap
//! definitions, `--help` that keeps global options apart, and `margin setup --from DIR` putting ONNX
//! Runtime and the encoder where an installed binary finds them without its source tree.

mod common;

use common::Sandbox;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn completions_for_each_shell_name_the_commands_and_their_options() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = sandbox.ok(&["completions", shell]);
        for word in ["margin", "import", "explain", "project", "label-key"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    assert!(sandbox.fails(&["completions", "tcsh"]).contains("invalid value 'tcsh'"));
}

#[test]
fn man_pages_are_written_one_per_command() {
    let sandbox = Sandbox::new();
    let out = sandbox.ok(&["man", "--out", "man1"]);
    assert!(out.contains("manual pages"), "{out}");
    let main = std::fs::read_to_string(sandbox.join("man1/margin.1")).expect("margin.1");
    assert!(main.starts_with(".ie") && main.contains(".TH margin 1"), "{main}");
    let import = std::fs::read_to_string(sandbox.join("man1/margin-import.1")).expect("margin-import.1");
    assert!(import.contains(".TH margin-import 1") && import.contains("margin import"), "{import}");
    assert!(import.contains("\\-\\-label\\-key"), "the command's own options: {import}");
    assert!(sandbox.ok(&["man"]).contains(".SH SUBCOMMANDS"), "to standard output without --out");
}

#[test]
fn help_keeps_global_options_apart_and_shows_no_empty_environment_value() {
    let sandbox = Sandbox::new();
    for args in [vec!["--help"], vec!["status", "--help"], vec!["import", "--help"]] {
        let help = sandbox.ok(&args);
        let global = help.find("Global options:").unwrap_or_else(|| panic!("{args:?}: no global heading:\n{help}"));
        assert!(help[global..].contains("--project <DIR>"), "{args:?}:\n{help}");
        assert!(!help[..global].contains("--ort-lib"), "{args:?}: a global option among the command's own:\n{help}");
        assert!(!help.contains("MARGIN_PROJECT="), "{args:?}: an empty environment value:\n{help}");
    }
}

#[test]
fn setup_copies_the_runtime_and_encoder_where_an_installed_binary_finds_them() {
    let sandbox = Sandbox::new();
    let vendor = format!("{REPO}/vendor");
    let out = sandbox.ok(&["setup", "--from", &vendor]);
    assert!(out.contains("ONNX Runtime: ") && out.contains("sentence encoder: "), "{out}");
    let data = sandbox.join("xdg-data/margin");
    assert!(data.join("onnxruntime/libonnxruntime.so.1.31.1").is_file());
    assert!(data.join("encoders/all-minilm-l6-v2/encoder.toml").is_file());
    // The data directory comes before the clone's vendor folder: found there, and it works.
    let doctor: serde_json::Value = serde_json::from_str(&sandbox.ok(&["doctor", "--json"])).unwrap();
    let check =
        |name: &str| doctor["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned().expect(name);
    let runtime = check("onnx runtime");
    assert!(runtime["detail"].as_str().unwrap().contains("margin's data directory"), "{runtime}");
    let encoder = check("sentence encoder");
    assert!(encoder["ok"].as_bool().unwrap(), "{encoder}");
    assert!(encoder["detail"].as_str().unwrap().contains(&data.display().to_string()), "{encoder}");
    // Again: the copies are replaced whole.
    sandbox.ok(&["setup", "--from", &vendor]);
    assert!(!data.join("encoders/all-minilm-l6-v2.partial").exists());
}

#[test]
fn setup_from_a_folder_without_them_says_what_it_looked_for() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.join("empty")).unwrap();
    let err = sandbox.fails(&["setup", "--from", "empty"]);
    assert!(err.contains("--from empty: found neither libonnxruntime.so.1.31.1"), "{err}");
    assert!(sandbox.fails(&["setup", "--from", "missing"]).contains("no such directory"));
}
