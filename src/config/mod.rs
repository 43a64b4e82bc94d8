//! margin.toml: a project's labels, thresholds, sampling strategy, reasons lists and import defaults.
//!
//! Owns parsing and validating the file (the checks, one per settings table, are in `validate`) and writing
//! a new one from the compiled-in template. Every problem is reported as `FILE:LINE: key: what is wrong`.
//! Imports only `domain`.

pub mod edit;
mod keys;
mod locate;
mod validate;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::access::Roles;
use crate::domain::pii::{Masker, PiiError};
use crate::domain::text::visible;
use crate::domain::{LabelSet, Strategy, TaskKind};
pub use keys::{KEYS_FILE_NAME, parse_keys};
use locate::{PathSeg, line_of_key, line_of_offset};

/// The file name of a project's settings inside its directory.
pub const FILE_NAME: &str = "margin.toml";

/// The commented template `margin init` fills in; its values are the defaults below.
pub const TEMPLATE: &str = include_str!("../../assets/margin.default.toml");

/// The colour names a label may use (the 16 colours every terminal has), besides `#rrggbb`.
pub const COLOR_NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "dark-gray",
    "light-red",
    "light-green",
    "light-yellow",
    "light-blue",
    "light-magenta",
    "light-cyan",
    "white",
];

/// The tables of margin.toml only an admin may change.
pub const GOVERNED: [&str; 7] = ["task", "labels", "thresholds", "sampling", "model", "roles", "pii"];

/// Colours handed out to new labels in turn: ones that read well on dark and light backgrounds.
pub const LABEL_PALETTE: [&str; 6] = ["cyan", "magenta", "yellow", "green", "blue", "red"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    pub name: String,
    #[serde(default)]
    pub task: TaskKind,
    pub labels: Vec<LabelConfig>,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub sampling: Sampling,
    #[serde(default)]
    pub quality: Quality,
    #[serde(default)]
    pub reasons: Reasons,
    #[serde(default)]
    pub import: ImportSettings,
    #[serde(default)]
    pub model: ModelSettings,
    #[serde(default)]
    pub screen: ScreenSettings,
    #[serde(default)]
    pub spans: SpanSettings,
    /// Key overrides, `[keys.MODE] action = ["key", ...]`; checked when the screen builds its keymap.
    #[serde(default, skip_serializing_if = "KeyOverrides::is_empty")]
    pub keys: KeyOverrides,
    /// Who may do what; `None` (no `[roles]` table): everyone may do everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Roles>,
    #[serde(default)]
    pub pii: PiiSettings,
}

/// Masking personal data before text reaches an annotator's screen or a masked export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiSettings {
    /// Mask e-mail addresses, phone numbers, card numbers, IBANs, IP addresses and `patterns` on screen.
    pub mask: bool,
    /// The project's own kinds: name = regex; a match shows as `<name>`.
    pub patterns: std::collections::BTreeMap<String, String>,
}

impl Default for PiiSettings {
    fn default() -> Self {
        PiiSettings { mask: true, patterns: Default::default() }
    }
}

impl PiiSettings {
    /// The masker these settings describe (validated when the file was read).
    pub fn masker(&self) -> Result<Masker, PiiError> {
        let custom: Vec<(String, String)> = self.patterns.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        Masker::new(&custom)
    }
}

/// Keys per mode and action, as written in a keymap file or under `[keys]`.
pub type KeyOverrides = std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>;

/// How the annotation screen paces work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenSettings {
    /// Suggest a break after this many minutes of work without one (0: never).
    pub break_after_minutes: u32,
}

impl Default for ScreenSettings {
    fn default() -> Self {
        ScreenSettings { break_after_minutes: 50 }
    }
}

/// Span projects (`task = "spans"`): whether spans may overlap, and the patterns that pre-highlight spans
/// before there is a model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpanSettings {
    /// Allow a span to overlap another (nested entities); false refuses overlapping spans.
    pub overlap: bool,
    /// A patterns file (Prodigy's and spaCy's entity-ruler JSONL), relative to the project folder; empty:
    /// none.
    pub patterns: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelConfig {
    pub name: String,
    pub display: Option<String>,
    pub key: Option<String>,
    pub color: Option<String>,
    /// What the label means, in words the sentence encoder compares texts with (zero-shot predictions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl LabelConfig {
    pub fn display_name(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.name)
    }

    /// The text the encoder embeds for this label: its description, or `This text is about {display
    /// name}.` (lower-cased: the encoder reads "about food" better than "about Food").
    pub fn prompt(&self) -> String {
        match &self.description {
            Some(description) => description.clone(),
            None => format!("This text is about {}.", self.display_name().to_lowercase()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    pub auto_accept: f64,
    pub auto_accept_enabled: bool,
    pub audit_share: f64,
    pub expert: f64,
    pub override_reason: f64,
    pub high_stakes: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            auto_accept: 0.97,
            auto_accept_enabled: false,
            audit_share: 0.05,
            expert: 0.0,
            override_reason: 0.9,
            high_stakes: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sampling {
    pub strategy: Strategy,
    pub batch_size: u32,
    /// Retrain in the background after this many decisions by people; 0 leaves retraining to `margin train`.
    pub retrain_every: u32,
    pub uncertainty_share: f64,
    pub diversity_share: f64,
    pub random_share: f64,
    pub seed: u64,
    /// How many people label each item (2 or more for agreement statistics).
    pub overlap: u32,
    /// How long an item served to someone stays reserved for them without a decision.
    pub lease_minutes: u32,
    /// Until each label has this many examples, batches are diverse and random picks only.
    pub cold_start_per_label: u32,
    /// Whether items that came with reference labels are served to people too (false: they only train
    /// the model, as in the demo).
    pub serve_reference_labelled: bool,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            strategy: Strategy::Hybrid,
            batch_size: 20,
            retrain_every: 20,
            uncertainty_share: 0.7,
            diversity_share: 0.2,
            random_share: 0.1,
            seed: 42,
            overlap: 1,
            lease_minutes: 30,
            cold_start_per_label: 3,
            serve_reference_labelled: true,
        }
    }
}

/// Checking people: gold items (their labels known, marked with `margin triage gold`) mixed into batches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quality {
    /// The share of each batch's places that go to gold items, unannounced, never the same one twice to a
    /// person; 0 serves none on purpose (gold items are then kept out of batches altogether).
    pub gold_share: f64,
    /// When a person's accuracy over their last `gold_window` gold checks falls below this, their labels
    /// since the first of those go to the experts' triage (0 turns the alert off).
    pub gold_alert: f64,
    pub gold_window: u32,
}

impl Default for Quality {
    fn default() -> Self {
        Quality { gold_share: 0.05, gold_alert: 0.7, gold_window: 10 }
    }
}

impl Quality {
    /// The gold-accuracy alert as triage takes it: `(threshold, window)`.
    pub fn gold_alert_rule(&self) -> (f64, usize) {
        (self.gold_alert, self.gold_window as usize)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reasons {
    pub escalate: Vec<String>,
    #[serde(rename = "override")]
    pub override_: Vec<String>,
}

impl Default for Reasons {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Reasons {
            escalate: list(&["unclear guideline", "needs domain knowledge", "offensive or sensitive", "other"]),
            override_: list(&["model missed context", "guideline edge case", "ambiguous text", "other"]),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    pub text_key: String,
    pub id_key: String,
    pub label_key: String,
    pub meta_key: String,
    pub max_text_bytes: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            text_key: "text".into(),
            id_key: "id".into(),
            label_key: "label".into(),
            meta_key: "meta".into(),
            max_text_bytes: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSettings {
    pub hash_bits: u32,
    pub c: f64,
    pub epochs: u32,
    pub folds: u32,
    pub committee: u32,
    pub seed: u64,
    pub keep_versions: u32,
    /// The sentence encoder: "default" (the one scripts/setup fetches, found as ONNX Runtime is), "none",
    /// or the path of an encoder's manifest or folder (relative to the project).
    pub encoder: String,
    /// Whether the label descriptions guess before there are labels (the zero-shot model) and are a
    /// feature of the trained model (turn off where label names say nothing, as "ham"/"spam").
    pub zero_shot: bool,
}

/// `[model] encoder`'s value for the encoder scripts/setup fetches.
pub const DEFAULT_ENCODER: &str = "default";
/// `[model] encoder`'s value for no encoder.
pub const NO_ENCODER: &str = "none";

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            hash_bits: 18,
            c: 10.0,
            epochs: 10,
            folds: 5,
            committee: 0,
            seed: 7,
            keep_versions: 3,
            encoder: DEFAULT_ENCODER.into(),
            zero_shot: true,
        }
    }
}

/// A problem with a settings file, located at a line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the project settings: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}:{line}: {}{message}", path.display(), key_prefix(key))]
    Invalid { path: PathBuf, line: usize, key: String, message: String },
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() { String::new() } else { format!("key `{key}`: ") }
}

impl ProjectConfig {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<ProjectConfig, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses and validates settings text; `path` only names the file in messages.
    pub fn parse(text: &str, path: &Path) -> Result<ProjectConfig, ConfigError> {
        // What the file says (a key, a label) is escaped: the message stays one line, safe to print.
        let invalid = |line: usize, key: String, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key: visible(&key).into_owned(),
            message: visible(&message).into_owned(),
        };
        let deserializer = toml::de::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of_offset(text, s.start));
            invalid(line, String::new(), e.message().trim().to_string())
        })?;
        let config: ProjectConfig = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            let inner = e.into_inner();
            let line = inner.span().map_or(1, |s| line_of_offset(text, s.start));
            invalid(line, key, inner.message().trim().to_string())
        })?;
        config.validate().map_err(|problem| {
            let line = line_of_key(text, &problem.at).unwrap_or(1);
            invalid(line, locate::render_path(&problem.at), problem.message)
        })?;
        Ok(config)
    }

    /// A new project's settings text: the template with its name, task and labels filled in.
    pub fn render_new(name: &str, task: TaskKind, labels: &[String]) -> String {
        let mut blocks = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let mut block = format!("[[labels]]\nname = {}\n", toml_string(label));
            if i < 9 {
                block.push_str(&format!("key = \"{}\"\n", i + 1));
            }
            block.push_str(&format!("color = \"{}\"\n", LABEL_PALETTE[i % LABEL_PALETTE.len()]));
            blocks.push(block);
        }
        TEMPLATE
            .replace("\"{{name}}\"", &toml_string(name))
            .replace("{{task}}", task.as_str())
            .replace("{{labels}}", blocks.join("\n").trim_end())
    }

    /// The label names, in order.
    /// How the label called `name` is shown to people (its display name); `name` itself if unknown.
    pub fn display_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.labels.iter().find(|l| l.name == name).map_or(name, |l| l.display_name())
    }

    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    pub fn label_set(&self) -> LabelSet {
        LabelSet::new(self.labels.iter().map(|l| l.name.clone()).collect(), self.task)
    }

    /// The settings only an admin may change (task, labels, thresholds, sampling, model, roles, PII), by
    /// table, as JSON: what the audit trail records when they change.
    pub fn governed(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut all = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        all.retain(|table, _| GOVERNED.contains(&table.as_str()));
        all.entry("roles").or_insert(serde_json::Value::Null);
        all
    }

    /// The admin-only tables at their defaults, as [`ProjectConfig::governed`] writes them: a setting a
    /// newer margin adds is no change of settings while it has its default value.
    pub fn governed_defaults() -> serde_json::Map<String, serde_json::Value> {
        let value = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
        [
            ("task", value(serde_json::to_value(TaskKind::default()))),
            ("thresholds", value(serde_json::to_value(Thresholds::default()))),
            ("sampling", value(serde_json::to_value(Sampling::default()))),
            ("model", value(serde_json::to_value(ModelSettings::default()))),
            ("roles", value(serde_json::to_value(Roles::default()))),
            ("pii", value(serde_json::to_value(PiiSettings::default()))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// The 1-based line of a key (`["keys", "item", "accept"]`) in a TOML document, for messages about
/// values checked after parsing.
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let path: Vec<PathSeg> = path.iter().map(|k| PathSeg::Key((*k).to_string())).collect();
    line_of_key(text, &path)
}

/// The 1-based line of a value at a path whose numeric steps are array indices (`["labels", "2", "key"]`).
pub fn line_of_path(text: &str, path: &[String]) -> Option<usize> {
    let path: Vec<PathSeg> =
        path.iter().map(|k| k.parse::<usize>().map_or_else(|_| PathSeg::Key(k.clone()), PathSeg::Index)).collect();
    line_of_key(text, &path)
}

/// Checks a label name as given in margin.toml or `--labels`.
pub fn check_label_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a label name must not be empty".into());
    }
    if name.trim() != name {
        return Err(format!("label {name:?} starts or ends with a space"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || *c == ',' || *c == '|') {
        return Err(format!("label {name:?} contains {c:?}; commas, bars and control characters are not allowed"));
    }
    Ok(())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests;
