//! Zero-shot predictions: before anyone has labelled anything, an item's label is the one whose
//! description its vector is closest to. The similarities become probabilities through a softmax at a fixed
//! temperature; they rank well but are not calibrated until labels exist to calibrate them.

use super::embedding::dot;

/// What a zero-shot model is recorded as trained on (its card's source, its version's `trained_on`).
pub const SOURCE: &str = "label descriptions";

/// The softmax temperature over cosine similarities (cosines of related texts differ by a few hundredths).
pub const TEMPERATURE: f32 = 0.05;

/// Probabilities over the labels for an item: softmax of its cosine with each label's vector / `TEMPERATURE`.
/// All vectors are of length 1.
pub fn zero_shot(item: &[f32], labels: &[Vec<f32>]) -> Vec<f32> {
    let scores: Vec<f32> = labels.iter().map(|l| dot(item, l) / TEMPERATURE).collect();
    let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scores.iter().map(|s| (s - top).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// Whether the label descriptions alone (each item's closest description) label more of the labelled items
/// right than always saying their most common label does.
pub fn beats_the_majority(vectors: &[Vec<f32>], labels: &[Option<usize>], prompts: &[Vec<f32>]) -> bool {
    let mut counts = vec![0usize; prompts.len()];
    let (mut right, mut total) = (0usize, 0usize);
    for (vector, label) in vectors.iter().zip(labels) {
        let Some(label) = *label else { continue };
        counts[label] += 1;
        total += 1;
        let scores: Vec<f32> = prompts.iter().map(|p| dot(vector, p)).collect();
        let guess = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap_or(0);
        right += usize::from(guess == label);
    }
    total > 0 && right > counts.iter().copied().max().unwrap_or(0)
}

/// Strengths a fitted zero-shot may have, as multiples of `1 / TEMPERATURE` (0: it says nothing).
const STRENGTHS: [f32; 8] = [0.0, 0.0625, 0.125, 0.25, 0.5, 1.0, 1.5, 2.0];

/// How far to trust the label descriptions once some items are labelled: the multiple of `1 / TEMPERATURE`
/// on the cosines that gives the labelled items (`labels[i]` of `vectors[i]`, `None` skipped) the lowest log
/// loss, each label weighing as much in total as any other. Where the names say nothing (ham/spam) it comes
/// out near 0; where they say much (topics), near 1. 0 without labelled items.
pub fn fitted_strength(vectors: &[Vec<f32>], labels: &[Option<usize>], prompts: &[Vec<f32>]) -> f32 {
    let classes = prompts.len();
    let mut counts = vec![0usize; classes];
    for label in labels.iter().flatten() {
        counts[*label] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present == 0 {
        return 0.0;
    }
    let loss = |strength: f32| -> f64 {
        let mut total = 0.0f64;
        for (vector, label) in vectors.iter().zip(labels) {
            let Some(label) = *label else { continue };
            let scores: Vec<f32> = prompts.iter().map(|p| strength * dot(vector, p) / TEMPERATURE).collect();
            let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_sum = f64::from(top) + scores.iter().map(|s| f64::from(s - top).exp()).sum::<f64>().ln();
            total += (log_sum - f64::from(scores[label])) / (counts[label] * present) as f64;
        }
        total
    };
    STRENGTHS.into_iter().min_by(|a, b| loss(*a).total_cmp(&loss(*b))).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_label_is_the_most_probable_and_they_sum_to_one() {
        let labels = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let p = zero_shot(&[0.8, 0.6], &labels);
        assert!(p[0] > p[1]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let even = zero_shot(&[std::f32::consts::FRAC_1_SQRT_2, std::f32::consts::FRAC_1_SQRT_2], &labels);
        assert!((even[0] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn the_strength_follows_how_well_the_descriptions_label_the_labelled_items() {
        let prompts = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let near = |k: usize| if k == 0 { vec![0.9, 0.1] } else { vec![0.1, 0.9] };
        let labels = [Some(0), Some(0), Some(0), Some(1)];
        let right: Vec<Vec<f32>> = labels.iter().map(|l| near(l.unwrap())).collect();
        let wrong: Vec<Vec<f32>> = labels.iter().map(|l| near(1 - l.unwrap())).collect();
        assert!(fitted_strength(&right, &labels, &prompts) >= 1.0, "descriptions that are right: trusted");
        assert_eq!(fitted_strength(&wrong, &labels, &prompts), 0.0, "descriptions that are wrong: ignored");
        assert_eq!(fitted_strength(&[], &[], &prompts), 0.0);
        assert!(beats_the_majority(&right, &labels, &prompts));
        assert!(!beats_the_majority(&wrong, &labels, &prompts), "always-0 gets three of four");
        assert!(!beats_the_majority(&[], &[], &prompts));
    }
}
