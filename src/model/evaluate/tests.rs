use super::*;

#[test]
fn folds_spread_each_class_evenly() {
    let targets = Targets::Single(vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    let folds = stratified_folds(&targets, 3, 5, 1);
    for fold in 0..5 {
        let members: Vec<usize> = (0..15).filter(|&i| folds[i] == fold).collect();
        assert_eq!(members.len(), 3, "fold {fold}: {members:?}");
    }
    for class in 0..3 {
        let mut seen: Vec<usize> = (0..15).filter(|&i| i / 5 == class).map(|i| folds[i]).collect();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2, 3, 4], "class {class}");
    }
    assert_eq!(stratified_folds(&targets, 3, 5, 1), folds, "same seed, same folds");
}

#[test]
fn fold_count_follows_the_smallest_class() {
    assert_eq!(fold_count(&Targets::Single(vec![0, 0, 0, 1, 1]), 2, 5), 2);
    assert_eq!(fold_count(&Targets::Single(vec![0; 20].into_iter().chain(vec![1; 20]).collect()), 2, 5), 5);
    assert_eq!(fold_count(&Targets::Single(vec![0, 0, 0]), 2, 5), 0, "one class cannot be cross-validated");
}

#[test]
fn ece_is_zero_when_confidence_matches_accuracy_and_large_when_not() {
    let calibrated: Vec<(f32, bool)> = (0..100).map(|i| (0.8, i % 5 != 0)).collect();
    assert!(expected_calibration_error(&calibrated) < 1e-6);
    let overconfident: Vec<(f32, bool)> = (0..100).map(|i| (0.99, i % 2 == 0)).collect();
    assert!((expected_calibration_error(&overconfident) - 0.49).abs() < 1e-6);
}

#[test]
fn temperature_shrinks_overconfident_logits() {
    // Logits that say 0.99 but are right only 70% of the time need a temperature above 1.
    let logits: Vec<Vec<f32>> = (0..100).map(|_| vec![4.6, 0.0]).collect();
    let targets = Targets::Single((0..100).map(|i| usize::from(i % 10 >= 7)).collect());
    let t = fit_temperature(&logits, &targets);
    let p = probabilities(&logits[0], t, false);
    assert!(t > 1.0 && (p[0] - 0.7).abs() < 0.01, "t {t}, p {p:?}");
}

#[test]
fn score_counts_accuracy_and_macro_f1() {
    let probs = vec![vec![0.9, 0.1], vec![0.2, 0.8], vec![0.6, 0.4], vec![0.3, 0.7]];
    let targets = Targets::Single(vec![0, 1, 1, 1]);
    let (accuracy, macro_f1, _) = score(&probs, &targets, 2);
    assert_eq!(accuracy, 0.75);
    // class 0: tp 1, fp 1 -> F1 2/3; class 1: tp 2, fn 1 -> F1 4/5.
    assert!((macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-9);
}
