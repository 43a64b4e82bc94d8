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
    /// Every strategy, in the order the documentation lists them.
    pub const ALL: [Strategy; 7] = [
        Strategy::Hybrid,
        Strategy::LeastConfident,
        Strategy::Margin,
        Strategy::Entropy,
        Strategy::Committee,
        Strategy::Diversity,
        Strategy::Random,
    ];

    /// The strategy a name stands for: the names margin.toml's `sampling.strategy` takes.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|strategy| strategy.as_str() == name)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_strategy_and_matches_the_serde_name() {
        for strategy in Strategy::ALL {
            assert_eq!(Strategy::from_name(strategy.as_str()), Some(strategy));
            let serde_name = serde_json::to_value(strategy).expect("a strategy serialises");
            assert_eq!(serde_name, serde_json::Value::String(strategy.as_str().into()));
        }
        assert_eq!(Strategy::from_name("bogus"), None);
    }
}
