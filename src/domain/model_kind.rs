//! What kind of model a registered model version is, and the name each kind is stored under.
//!
//! Pure: no I/O and nothing else of margin; the store reads and writes [`ModelKind::as_str`].

use serde::Serialize;

/// What kind of model a registered version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// margin's own linear model, trained on the project's labels.
    Linear,
    /// One member of a linear model's committee (its parent is the model it votes with).
    CommitteeMember,
    /// A bring-your-own ONNX classifier, described by a manifest.
    External,
    /// margin's span model (a token classifier over BIO tags), for span projects.
    Spans,
}

/// A stored model kind this margin does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown model kind {0:?} (this margin knows linear, committee-member, external and spans)")]
pub struct UnknownModelKind(pub String);

impl ModelKind {
    pub const ALL: [ModelKind; 4] =
        [ModelKind::Linear, ModelKind::CommitteeMember, ModelKind::External, ModelKind::Spans];

    /// The name the kind is stored and shown under.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::CommitteeMember => "committee-member",
            ModelKind::External => "external",
            ModelKind::Spans => "spans",
        }
    }

    /// The kind stored as `name`; an error for a name no kind has.
    pub fn parse(name: &str) -> Result<ModelKind, UnknownModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| UnknownModelKind(name.to_string()))
    }
}

impl std::str::FromStr for ModelKind {
    type Err = UnknownModelKind;

    fn from_str(name: &str) -> Result<ModelKind, UnknownModelKind> {
        ModelKind::parse(name)
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, not `write_str`: `margin model list` lines kinds up with `{:<17}`.
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_keeps_its_stored_name() {
        let names: Vec<&str> = ModelKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["linear", "committee-member", "external", "spans"]);
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_not_a_kind() {
        assert_eq!(ModelKind::parse("Linear"), Err(UnknownModelKind("Linear".into())));
        assert!("".parse::<ModelKind>().is_err());
        assert_eq!(format!("[{:<8}]", ModelKind::Linear), "[linear  ]");
    }
}
