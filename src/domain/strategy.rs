//! The names of the query strategies a project can choose; the queue that carries them out builds on this.

use serde::{Deserialize, Serialize};

/// How the next items for people are chosen from the scored pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Mostly uncertainty, a share diverse, a small random share.
    #[default]
    Hybrid,
    LeastConfident,
    Margin,
    Entropy,
    Committee,
    Diversity,
    Random,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Hybrid => "hybrid",
            Strategy::LeastConfident => "least-confident",
            Strategy::Margin => "margin",
            Strategy::Entropy => "entropy",
            Strategy::Committee => "committee",
            Strategy::Diversity => "diversity",
            Strategy::Random => "random",
        }
    }
}
