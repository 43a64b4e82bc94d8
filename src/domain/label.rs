//! Labels and the kind of task: which labels a project has and how many an item may carry.

use serde::{Deserialize, Serialize};

/// Whether an item takes exactly one label, any subset of them, or labelled spans of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    #[default]
    SingleLabel,
    MultiLabel,
    /// Labelled spans of the text (entities, phrases): a decision's labels are its spans' keys
    /// (see [`crate::domain::spans::Span::key`]).
    Spans,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::SingleLabel => "single-label",
            TaskKind::MultiLabel => "multi-label",
            TaskKind::Spans => "spans",
        }
    }
}

/// The ordered label names of a project. Order matters: it is the model's output order and the digit keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSet {
    names: Vec<String>,
    kind: TaskKind,
}

/// Why a set of labels given for an item does not fit the project.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("label `{label}` is not one of the project's labels ({known})")]
    Unknown { label: String, known: String },
    #[error("{count} labels given, but this is a single-label project")]
    TooMany { count: usize },
    #[error("no label given")]
    Empty,
    #[error("this project labels spans of the text (START:END:LABEL), not whole texts")]
    Spans,
}

impl LabelSet {
    pub fn new(names: Vec<String>, kind: TaskKind) -> Self {
        LabelSet { names, kind }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// A single-label task with exactly two labels, where "reject" means "the other one".
    pub fn is_binary(&self) -> bool {
        self.kind == TaskKind::SingleLabel && self.names.len() == 2
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Checks labels given for one item: known names, and one label only in a single-label project.
    /// Duplicates are dropped; the result keeps the project's label order.
    pub fn validate(&self, given: &[String]) -> Result<Vec<String>, LabelError> {
        if self.kind == TaskKind::Spans {
            return Err(LabelError::Spans);
        }
        if given.is_empty() {
            return Err(LabelError::Empty);
        }
        let mut seen = vec![false; self.names.len()];
        for label in given {
            match self.index_of(label) {
                Some(i) => seen[i] = true,
                None => {
                    return Err(LabelError::Unknown { label: label.clone(), known: self.names.join(", ") });
                }
            }
        }
        let chosen: Vec<String> = self.names.iter().zip(&seen).filter(|(_, s)| **s).map(|(n, _)| n.clone()).collect();
        if self.kind == TaskKind::SingleLabel && chosen.len() > 1 {
            return Err(LabelError::TooMany { count: chosen.len() });
        }
        Ok(chosen)
    }

    /// In a binary task, the label that is not `label`.
    pub fn other_than(&self, label: &str) -> Option<&str> {
        if !self.is_binary() {
            return None;
        }
        self.names.iter().find(|n| *n != label).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(kind: TaskKind) -> LabelSet {
        LabelSet::new(vec!["ham".into(), "spam".into()], kind)
    }

    #[test]
    fn validate_keeps_project_order_and_drops_duplicates() {
        let labels = set(TaskKind::MultiLabel);
        let got = labels.validate(&["spam".into(), "ham".into(), "spam".into()]).unwrap();
        assert_eq!(got, vec!["ham".to_string(), "spam".to_string()]);
    }

    #[test]
    fn a_span_project_takes_no_whole_text_labels() {
        let spans = LabelSet::new(vec!["PER".into()], TaskKind::Spans);
        assert_eq!(spans.validate(&["PER".into()]), Err(LabelError::Spans));
    }

    #[test]
    fn validate_rejects_unknown_and_too_many() {
        let labels = set(TaskKind::SingleLabel);
        assert!(matches!(labels.validate(&["eggs".into()]), Err(LabelError::Unknown { .. })));
        assert_eq!(labels.validate(&["ham".into(), "spam".into()]), Err(LabelError::TooMany { count: 2 }));
        assert_eq!(labels.validate(&[]), Err(LabelError::Empty));
    }

    #[test]
    fn binary_other_label() {
        assert_eq!(set(TaskKind::SingleLabel).other_than("ham"), Some("spam"));
        assert_eq!(set(TaskKind::MultiLabel).other_than("ham"), None);
    }
}
