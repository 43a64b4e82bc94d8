//! How unsure a model is about an item, from its probabilities: the measures active learning ranks by.
//!
//! Single-label (a distribution over labels): least-confident `1 - p_max`, margin `p1 - p2` between the two
//! most likely labels, and entropy `-sum p ln p` in nats. Multi-label (one independent probability per
//! label): each label is a yes/no question and the item counts as unsure as its least sure label:
//! least-confident `max_k min(p_k, 1 - p_k)`, margin `min_k |2 p_k - 1|`, and the summed binary entropies.
//! A span item (one distribution over tags per token) counts as unsure as its least sure token, with the
//! mean of its tokens' entropies. A committee adds vote entropy (how split the members' top picks are) and the mean KL divergence of each
//! member from their consensus.

/// The three measures of one prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uncertainty {
    pub least_confident: f32,
    pub margin: f32,
    pub entropy: f32,
}

pub fn single_label(p: &[f32]) -> Uncertainty {
    let (mut first, mut second) = (0.0f32, 0.0f32);
    for &q in p {
        if q > first {
            second = first;
            first = q;
        } else if q > second {
            second = q;
        }
    }
    Uncertainty { least_confident: 1.0 - first, margin: first - second, entropy: entropy(p) }
}

pub fn multi_label(p: &[f32]) -> Uncertainty {
    let least_confident = p.iter().map(|&q| q.min(1.0 - q)).fold(0.0, f32::max);
    let margin = p.iter().map(|&q| (2.0 * q - 1.0).abs()).fold(1.0, f32::min);
    let entropy = p.iter().map(|&q| entropy(&[q, 1.0 - q])).sum();
    Uncertainty { least_confident, margin, entropy }
}

/// A span item, from each token's tag probabilities: as unsure as its least sure token for least-confident
/// and margin, and the mean of its tokens' entropies. A text without tokens leaves nothing to be unsure of.
pub fn spans(tokens: &[Vec<f32>]) -> Uncertainty {
    if tokens.is_empty() {
        return Uncertainty { least_confident: 0.0, margin: 1.0, entropy: 0.0 };
    }
    let each: Vec<Uncertainty> = tokens.iter().map(|p| single_label(p)).collect();
    Uncertainty {
        least_confident: each.iter().map(|u| u.least_confident).fold(0.0, f32::max),
        margin: each.iter().map(|u| u.margin).fold(1.0, f32::min),
        entropy: each.iter().map(|u| u.entropy).sum::<f32>() / each.len() as f32,
    }
}

/// `-sum p ln p`, with `0 ln 0 = 0`.
pub fn entropy(p: &[f32]) -> f32 {
    -p.iter().filter(|&&q| q > 0.0).map(|&q| q * q.ln()).sum::<f32>()
}

/// Entropy of the committee's votes: each member votes for its most likely label.
pub fn vote_entropy(members: &[Vec<f32>], classes: usize) -> f32 {
    if members.is_empty() {
        return 0.0;
    }
    let mut votes = vec![0.0f32; classes];
    for p in members {
        if let Some((k, _)) = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) {
            votes[k] += 1.0;
        }
    }
    let n = members.len() as f32;
    entropy(&votes.iter().map(|v| v / n).collect::<Vec<_>>())
}

/// Mean KL divergence of each member's distribution from the members' average.
pub fn mean_kl_to_consensus(members: &[Vec<f32>]) -> f32 {
    let Some(first) = members.first() else { return 0.0 };
    let n = members.len() as f32;
    let consensus: Vec<f32> = (0..first.len()).map(|k| members.iter().map(|p| p[k]).sum::<f32>() / n).collect();
    let kl = |p: &[f32]| -> f32 {
        p.iter().zip(&consensus).filter(|(q, _)| **q > 0.0).map(|(q, c)| q * (q / c.max(1e-12)).ln()).sum()
    };
    members.iter().map(|p| kl(p)).sum::<f32>() / n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn single_label_measures() {
        let u = single_label(&[0.7, 0.2, 0.1]);
        assert!(close(u.least_confident, 0.3));
        assert!(close(u.margin, 0.5));
        let expected = -(0.7f32 * 0.7f32.ln() + 0.2 * 0.2f32.ln() + 0.1 * 0.1f32.ln());
        assert!(close(u.entropy, expected));
        let sure = single_label(&[1.0, 0.0]);
        assert!(close(sure.least_confident, 0.0) && close(sure.margin, 1.0) && close(sure.entropy, 0.0));
        let torn = single_label(&[0.5, 0.5]);
        assert!(close(torn.margin, 0.0) && close(torn.entropy, 2f32.ln()));
    }

    #[test]
    fn multi_label_counts_the_least_sure_label() {
        let u = multi_label(&[0.95, 0.4, 0.02]);
        assert!(close(u.least_confident, 0.4));
        assert!(close(u.margin, 0.2));
    }

    #[test]
    fn committee_measures() {
        let agree = vec![vec![0.9, 0.1], vec![0.9, 0.1]];
        assert!(close(vote_entropy(&agree, 2), 0.0));
        assert!(close(mean_kl_to_consensus(&agree), 0.0));
        let split = vec![vec![0.9, 0.1], vec![0.1, 0.9]];
        assert!(close(vote_entropy(&split, 2), 2f32.ln()));
        assert!(mean_kl_to_consensus(&split) > 0.3);
    }

    #[test]
    fn a_span_item_is_as_unsure_as_its_least_sure_token() {
        let sure = vec![0.98, 0.01, 0.01];
        let torn = vec![0.5, 0.45, 0.05];
        let u = spans(&[sure.clone(), torn.clone(), sure.clone()]);
        assert!((u.least_confident - 0.5).abs() < 1e-6 && (u.margin - 0.05).abs() < 1e-6);
        let mean = (2.0 * entropy(&sure) + entropy(&torn)) / 3.0;
        assert!((u.entropy - mean).abs() < 1e-6);
        assert!(spans(&[torn]).least_confident > spans(&[sure]).least_confident);
        assert_eq!(spans(&[]), Uncertainty { least_confident: 0.0, margin: 1.0, entropy: 0.0 });
    }
}
