//! Checking margin.toml's values once the file has parsed: one check per settings table, run in the
//! order the file's problems are reported in.
//!
//! Owns the rules for each table and [`Problem`], a rule broken at a path that `parse` then locates at a
//! line. Imports only `domain` and its parent module's types.

use crate::domain::TaskKind;
use crate::domain::access::Roles;
use crate::domain::pii::Masker;
use crate::domain::text::is_unsafe_for_terminal;

use super::locate::PathSeg;
use super::{
    COLOR_NAMES, ImportSettings, LabelConfig, ModelSettings, PiiSettings, ProjectConfig, Reasons, Sampling,
    ScreenSettings, Thresholds, check_label_name,
};

/// A validation problem before it is located in the file.
pub(super) struct Problem {
    pub(super) at: Vec<PathSeg>,
    pub(super) message: String,
}

impl Problem {
    fn new(at: Vec<PathSeg>, message: impl Into<String>) -> Self {
        Problem { at, message: message.into() }
    }
}

impl ProjectConfig {
    /// The first problem in the settings, checking table by table: name, labels, thresholds, sampling,
    /// reasons, model, screen, roles, PII patterns, import.
    pub(super) fn validate(&self) -> Result<(), Problem> {
        validate_name(&self.name)?;
        validate_labels(&self.labels, self.task)?;
        self.thresholds.validate(&self.labels)?;
        self.sampling.validate()?;
        if !(0.0..=0.5).contains(&self.quality.gold_share) {
            return Err(Problem::new(
                sub("quality", "gold_share"),
                format!("must be between 0 and 0.5, not {}", self.quality.gold_share),
            ));
        }
        if !(0.0..=1.0).contains(&self.quality.gold_alert) {
            return Err(Problem::new(
                sub("quality", "gold_alert"),
                format!("must be between 0 and 1, not {}", self.quality.gold_alert),
            ));
        }
        if !(1..=1000).contains(&self.quality.gold_window) {
            return Err(Problem::new(sub("quality", "gold_window"), "must be between 1 and 1000"));
        }
        self.reasons.validate()?;
        self.model.validate()?;
        self.screen.validate()?;
        if let Some(roles) = &self.roles {
            validate_roles(roles)?;
        }
        self.pii.validate()?;
        self.import.validate()
    }
}

/// The project's name must say something.
fn validate_name(name: &str) -> Result<(), Problem> {
    if name.trim().is_empty() {
        return Err(Problem::new(key("name"), "must not be empty"));
    }
    Ok(())
}

/// Enough labels for the task, each with a valid name, key and colour, and no name or key used twice.
fn validate_labels(labels: &[LabelConfig], task: TaskKind) -> Result<(), Problem> {
    let minimum = if task == TaskKind::SingleLabel { 2 } else { 1 };
    if labels.len() < minimum {
        return Err(Problem::new(
            key("labels"),
            format!("a {} project needs at least {minimum} labels", task.as_str()),
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        let at = |field: &str| vec![PathSeg::Key("labels".into()), PathSeg::Index(i), PathSeg::Key(field.into())];
        check_label_name(&label.name).map_err(|m| Problem::new(at("name"), m))?;
        if labels[..i].iter().any(|l| l.name == label.name) {
            return Err(Problem::new(at("name"), format!("label `{}` is listed twice", label.name)));
        }
        if let Some(k) = &label.key {
            if k.chars().count() != 1 || k.chars().any(is_unsafe_for_terminal) || k == " " {
                return Err(Problem::new(at("key"), format!("must be a single key, not {k:?}")));
            }
            if let Some(other) = labels[..i].iter().find(|l| l.key.as_ref() == Some(k)) {
                return Err(Problem::new(at("key"), format!("key {k:?} is already used by label `{}`", other.name)));
            }
        }
        if let Some(c) = &label.color {
            if !is_color(c) {
                return Err(Problem::new(
                    at("color"),
                    format!("unknown colour {c:?}; use one of {} or #rrggbb", COLOR_NAMES.join(", ")),
                ));
            }
        }
    }
    Ok(())
}

impl Thresholds {
    /// Every threshold is a share between 0 and 1, `expert` is not above `auto_accept`, and every
    /// high-stakes label is one of `labels`.
    fn validate(&self, labels: &[LabelConfig]) -> Result<(), Problem> {
        for (name, value) in [
            ("auto_accept", self.auto_accept),
            ("audit_share", self.audit_share),
            ("expert", self.expert),
            ("override_reason", self.override_reason),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Problem::new(sub("thresholds", name), format!("must be between 0 and 1, not {value}")));
            }
        }
        if self.expert > self.auto_accept {
            return Err(Problem::new(
                sub("thresholds", "expert"),
                format!("must not be above auto_accept ({})", self.auto_accept),
            ));
        }
        for (i, label) in self.high_stakes.iter().enumerate() {
            if !labels.iter().any(|l| &l.name == label) {
                return Err(Problem::new(
                    vec![PathSeg::Key("thresholds".into()), PathSeg::Key("high_stakes".into()), PathSeg::Index(i)],
                    format!("`{label}` is not one of the labels"),
                ));
            }
        }
        Ok(())
    }
}

impl Sampling {
    /// Batch size, overlap and lease within their ranges, and the three shares between 0 and 1 adding
    /// up to 1.
    fn validate(&self) -> Result<(), Problem> {
        if !(1..=10_000).contains(&self.batch_size) {
            return Err(Problem::new(sub("sampling", "batch_size"), "must be between 1 and 10000"));
        }
        if !(1..=20).contains(&self.overlap) {
            return Err(Problem::new(sub("sampling", "overlap"), "must be between 1 and 20"));
        }
        if !(1..=24 * 60).contains(&self.lease_minutes) {
            return Err(Problem::new(sub("sampling", "lease_minutes"), "must be between 1 and 1440"));
        }
        for (name, value) in [
            ("uncertainty_share", self.uncertainty_share),
            ("diversity_share", self.diversity_share),
            ("random_share", self.random_share),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(Problem::new(sub("sampling", name), format!("must be between 0 and 1, not {value}")));
            }
        }
        let total = self.uncertainty_share + self.diversity_share + self.random_share;
        if (total - 1.0).abs() > 1e-6 {
            return Err(Problem::new(
                sub("sampling", "random_share"),
                format!("uncertainty_share, diversity_share and random_share add up to {total}, not 1"),
            ));
        }
        Ok(())
    }
}

impl Reasons {
    /// Each list has between 1 and 9 reasons (one per digit key), none of them empty.
    fn validate(&self) -> Result<(), Problem> {
        for (name, list) in [("escalate", &self.escalate), ("override", &self.override_)] {
            if list.is_empty() || list.len() > 9 {
                return Err(Problem::new(sub("reasons", name), "needs between 1 and 9 reasons"));
            }
            if let Some(i) = list.iter().position(|r| r.trim().is_empty()) {
                return Err(Problem::new(
                    vec![PathSeg::Key("reasons".into()), PathSeg::Key(name.into()), PathSeg::Index(i)],
                    "a reason must not be empty",
                ));
            }
        }
        Ok(())
    }
}

impl ModelSettings {
    /// Feature bits, regularisation, epochs, folds, committee size and versions kept within their ranges.
    fn validate(&self) -> Result<(), Problem> {
        if !(10..=24).contains(&self.hash_bits) {
            return Err(Problem::new(sub("model", "hash_bits"), "must be between 10 and 24"));
        }
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(Problem::new(sub("model", "c"), format!("must be a positive number, not {}", self.c)));
        }
        if !(1..=1000).contains(&self.epochs) {
            return Err(Problem::new(sub("model", "epochs"), "must be between 1 and 1000"));
        }
        if !(2..=20).contains(&self.folds) {
            return Err(Problem::new(sub("model", "folds"), "must be between 2 and 20"));
        }
        if self.committee == 1 || self.committee > 20 {
            return Err(Problem::new(sub("model", "committee"), "must be 0 (no committee) or between 2 and 20"));
        }
        if self.keep_versions == 0 {
            return Err(Problem::new(sub("model", "keep_versions"), "must be at least 1"));
        }
        if self.encoder.trim().is_empty() {
            return Err(Problem::new(sub("model", "encoder"), "must be \"default\", \"none\" or an encoder's path"));
        }
        Ok(())
    }
}

impl ScreenSettings {
    /// A break is suggested at most a day apart.
    fn validate(&self) -> Result<(), Problem> {
        if self.break_after_minutes > 24 * 60 {
            return Err(Problem::new(sub("screen", "break_after_minutes"), "must be between 0 and 1440"));
        }
        Ok(())
    }
}

/// Every entry of `[roles]` is an account, group or `*` as its list allows, and someone is an admin.
fn validate_roles(roles: &Roles) -> Result<(), Problem> {
    roles.check().map_err(|(role, i, message)| {
        let list = role.map_or("shared_accounts", |r| r.as_str());
        Problem::new(vec![PathSeg::Key("roles".into()), PathSeg::Key(list.into()), PathSeg::Index(i)], message)
    })?;
    if roles.admin.is_empty() {
        return Err(Problem::new(
            key("roles"),
            "names no admin: list at least one under admin, or nobody could change the settings",
        ));
    }
    Ok(())
}

impl PiiSettings {
    /// Every pattern of the project's own is a regex the masker accepts.
    fn validate(&self) -> Result<(), Problem> {
        for (name, pattern) in &self.patterns {
            Masker::new(&[(name.clone(), pattern.clone())]).map_err(|e| {
                Problem::new(
                    vec![PathSeg::Key("pii".into()), PathSeg::Key("patterns".into()), PathSeg::Key(name.clone())],
                    e.to_string(),
                )
            })?;
        }
        Ok(())
    }
}

impl ImportSettings {
    /// Every field name is given, and a text may have at least one byte.
    fn validate(&self) -> Result<(), Problem> {
        for (name, value) in [
            ("text_key", &self.text_key),
            ("id_key", &self.id_key),
            ("label_key", &self.label_key),
            ("meta_key", &self.meta_key),
        ] {
            if value.is_empty() {
                return Err(Problem::new(sub("import", name), "must not be empty"));
            }
        }
        if self.max_text_bytes == 0 {
            return Err(Problem::new(sub("import", "max_text_bytes"), "must be at least 1"));
        }
        Ok(())
    }
}

/// The path of a top-level key.
fn key(k: &str) -> Vec<PathSeg> {
    vec![PathSeg::Key(k.to_string())]
}

/// The path of a key in a table.
fn sub(table: &str, k: &str) -> Vec<PathSeg> {
    vec![PathSeg::Key(table.to_string()), PathSeg::Key(k.to_string())]
}

fn is_color(c: &str) -> bool {
    COLOR_NAMES.contains(&c) || (c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()))
}
