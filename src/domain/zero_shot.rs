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
}
