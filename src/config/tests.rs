use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<ProjectConfig, ConfigError> {
    ProjectConfig::parse(text, Path::new("margin.toml"))
}

fn error_text(text: &str) -> String {
    parse(text).expect_err("should be refused").to_string()
}

const MINIMAL: &str = "name = \"t\"\n[[labels]]\nname = \"a\"\n[[labels]]\nname = \"b\"\n";

#[test]
fn the_template_renders_to_the_defaults() {
    let text = ProjectConfig::render_new("news", TaskKind::SingleLabel, &["sport".into(), "tech \"x\"".into()]);
    let config = parse(&text).expect("template parses");
    assert_eq!(config.name, "news");
    assert_eq!(config.labels[1].name, "tech \"x\"");
    assert_eq!(config.labels[0].key.as_deref(), Some("1"));
    assert_eq!(config.labels[1].color.as_deref(), Some("magenta"));
    assert_eq!(config.thresholds, Thresholds::default());
    assert_eq!(config.sampling, Sampling::default());
    assert_eq!(config.reasons, Reasons::default());
    assert_eq!(config.import, ImportSettings::default());
    assert_eq!(config.model, ModelSettings::default());
}

#[test]
fn the_demo_settings_parse() {
    let config = ProjectConfig::parse(include_str!("../../assets/demo/margin.toml"), Path::new("demo.toml"))
        .expect("demo settings parse");
    assert_eq!(config.labels.len(), 10);
}

#[test]
fn a_minimal_file_takes_defaults() {
    let config = parse(MINIMAL).expect("minimal parses");
    assert_eq!(config.task, TaskKind::SingleLabel);
    assert_eq!(config.sampling.batch_size, 20);
    assert!(config.label_set().is_binary());
}

#[test]
fn syntax_errors_name_the_line() {
    let text = format!("{MINIMAL}\n[sampling]\nbatch_size = = 3\n");
    let message = error_text(&text);
    assert!(message.starts_with("margin.toml:8: "), "{message}");
}

#[test]
fn unknown_keys_name_line_and_key() {
    let text = format!("{MINIMAL}\n[sampling]\nbatch_sise = 3\n");
    let message = error_text(&text);
    assert!(message.starts_with("margin.toml:8: key `sampling.batch_sise`: "), "{message}");
    assert!(message.contains("unknown field `batch_sise`"), "{message}");
}

#[test]
fn wrong_types_name_line_and_key() {
    let text = format!("{MINIMAL}\n[sampling]\nseed = 1\nbatch_size = \"big\"\n");
    let message = error_text(&text);
    assert!(message.starts_with("margin.toml:9: key `sampling.batch_size`: "), "{message}");
    let text = format!("{MINIMAL}\n[sampling]\nstrategy = \"clever\"\n");
    let message = error_text(&text);
    assert!(message.starts_with("margin.toml:8: key `sampling.strategy`: "), "{message}");
}

#[test]
fn invalid_values_name_line_and_key() {
    let text = format!("{MINIMAL}\n[sampling]\nseed = 1\nbatch_size = 0\n");
    assert_eq!(error_text(&text), "margin.toml:9: key `sampling.batch_size`: must be between 1 and 10000");

    let text = format!("{MINIMAL}\n[thresholds]\nexpert = 1.5\n");
    assert!(error_text(&text).starts_with("margin.toml:8: key `thresholds.expert`: must be between 0 and 1"));

    let text = "name = \"t\"\n[[labels]]\nname = \"a\"\nkey = \"x\"\n[[labels]]\nname = \"b\"\nkey = \"x\"\n";
    assert_eq!(error_text(text), "margin.toml:7: key `labels[1].key`: key \"x\" is already used by label `a`");

    let text = "name = \"t\"\n[[labels]]\nname = \"a\"\n[[labels]]\nname = \"a\"\n";
    assert_eq!(error_text(text), "margin.toml:5: key `labels[1].name`: label `a` is listed twice");

    let text = format!("{MINIMAL}color = \"octarine\"\n");
    assert!(error_text(&text).starts_with("margin.toml:6: key `labels[1].color`: unknown colour"));

    let text = format!("{MINIMAL}\n[thresholds]\nhigh_stakes = [\"a\", \"zzz\"]\n");
    assert_eq!(error_text(&text), "margin.toml:8: key `thresholds.high_stakes[1]`: `zzz` is not one of the labels");
}

#[test]
fn too_few_labels_and_bad_shares_are_refused() {
    let text = "name = \"t\"\n[[labels]]\nname = \"only\"\n";
    assert!(error_text(text).contains("needs at least 2 labels"));
    let text = "name = \"t\"\ntask = \"multi-label\"\n[[labels]]\nname = \"only\"\n";
    assert!(parse(text).is_ok());
    let text = format!("{MINIMAL}\n[sampling]\nrandom_share = 0.5\n");
    assert!(error_text(&text).contains("add up to 1.4"), "{}", error_text(&text));
}

#[test]
fn label_names_are_checked() {
    assert!(check_label_name("spam").is_ok());
    assert!(check_label_name(" spam").is_err());
    assert!(check_label_name("a,b").is_err());
    assert!(check_label_name("a|b").is_err());
    assert!(check_label_name("").is_err());
    assert!(check_label_name("a\u{7}").is_err());
}
