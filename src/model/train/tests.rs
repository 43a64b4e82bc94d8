use super::*;
use crate::model::features::{Featurizer, FeaturizerSpec};

/// A small, separable data set: each class has its own words.
fn toy() -> (Vec<SparseVector>, Targets) {
    let f = Featurizer::new(FeaturizerSpec::new(12)).unwrap();
    let words = [["apple", "banana", "cherry"], ["engine", "wheel", "brake"], ["violin", "piano", "drum"]];
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    for i in 0..60 {
        let class = i % 3;
        let text = format!("{} {} and {}", words[class][i % 3], words[class][(i + 1) % 3], ["the", "a", "some"][i % 3]);
        rows.push(f.featurize(&text));
        targets.push(class);
    }
    (rows, Targets::Single(targets))
}

fn argmax(p: &[f32]) -> usize {
    p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0
}

#[test]
fn learns_a_separable_problem() {
    let (rows, targets) = toy();
    let all: Vec<usize> = (0..rows.len()).collect();
    let model = train(&rows, &targets, &all, 3, 1 << 12, &TrainSettings::default());
    let Targets::Single(t) = &targets else { unreachable!() };
    let right = rows.iter().zip(t).filter(|(x, y)| argmax(&model.probabilities(x)) == **y).count();
    assert_eq!(right, rows.len());
}

#[test]
fn same_data_and_seed_give_the_same_model_and_another_seed_does_not() {
    let (rows, targets) = toy();
    let all: Vec<usize> = (0..rows.len()).collect();
    let settings = TrainSettings::default();
    let a = train(&rows, &targets, &all, 3, 1 << 12, &settings);
    let b = train(&rows, &targets, &all, 3, 1 << 12, &settings);
    assert_eq!(a, b);
    let c = train(&rows, &targets, &all, 3, 1 << 12, &TrainSettings { seed: 8, ..settings });
    assert_ne!(a, c);
}

#[test]
fn train_many_matches_training_one_by_one() {
    let (rows, targets) = toy();
    let settings = TrainSettings::default();
    let jobs = vec![
        Job { subset: (0..40).collect(), settings },
        Job { subset: (20..60).collect(), settings: TrainSettings { seed: 3, ..settings } },
        Job { subset: vec![0, 0, 1, 2, 3, 4, 5], settings },
    ];
    let together = train_many(&rows, &targets, &jobs, (3, 1 << 12), None);
    for (job, model) in jobs.iter().zip(&together) {
        assert_eq!(model, &train(&rows, &targets, &job.subset, 3, 1 << 12, &job.settings));
    }
}

#[test]
fn balanced_weights_keep_a_rare_class_from_being_ignored() {
    let f = Featurizer::new(FeaturizerSpec::new(12)).unwrap();
    // 95 "common" texts, 5 "rare" ones that share a word with nothing else.
    let mut rows = Vec::new();
    let mut t = Vec::new();
    for i in 0..100 {
        let rare = i % 20 == 0;
        rows.push(f.featurize(if rare { "zebra stripes" } else { "ordinary words" }));
        t.push(usize::from(rare));
    }
    let targets = Targets::Single(t);
    let all: Vec<usize> = (0..100).collect();
    let model = train(&rows, &targets, &all, 2, 1 << 12, &TrainSettings::default());
    assert_eq!(argmax(&model.probabilities(&f.featurize("zebra stripes"))), 1);
}

#[test]
fn multi_label_learns_each_label_on_its_own() {
    let f = Featurizer::new(FeaturizerSpec::new(12)).unwrap();
    let texts = ["red car", "blue car", "red boat", "blue boat"];
    let labels = [[true, false], [false, false], [true, true], [false, true]];
    let mut rows = Vec::new();
    let mut t = Vec::new();
    for _ in 0..20 {
        for (text, l) in texts.iter().zip(labels) {
            rows.push(f.featurize(text));
            t.push(l.to_vec());
        }
    }
    let targets = Targets::Multi(t);
    let all: Vec<usize> = (0..rows.len()).collect();
    let model = train(&rows, &targets, &all, 2, 1 << 12, &TrainSettings::default());
    let p = model.probabilities(&f.featurize("red boat"));
    assert!(p[0] > 0.5 && p[1] > 0.5, "{p:?}");
    let p = model.probabilities(&f.featurize("blue car"));
    assert!(p[0] < 0.5 && p[1] < 0.5, "{p:?}");
}

#[test]
fn few_examples_get_more_passes_and_many_the_configured_ones() {
    assert_eq!(epochs_for(10, 20), 100, "20 examples: 2,000 steps");
    assert_eq!(epochs_for(10, 30), 67, "rounded up");
    assert_eq!(epochs_for(10, 200), 10);
    assert_eq!(epochs_for(10, 100_000), 10);
    assert_eq!(epochs_for(50, 100), 50, "never fewer than configured");
    assert_eq!(epochs_for(10, 0), 2_000, "no examples: no panic");
}

#[test]
fn a_prior_carries_a_label_no_example_has_shown() {
    // Features 0..3 say which label an example is about (as zero-shot scores do); only labels 0 and 1 have
    // examples. The prior (weight 5 from feature k to label k) knows label 2 anyway; training alone cannot.
    let about = |k: u32| SparseVector { idx: vec![k, 10 + k], val: vec![1.0, 0.5] };
    let rows: Vec<SparseVector> = (0..40).map(|i| about(i % 2)).collect();
    let targets = Targets::Single((0..40).map(|i| (i % 2) as usize).collect());
    let all: Vec<usize> = (0..40).collect();
    let prior = Prior { first_feature: 0, weights: vec![5.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 5.0] };
    let settings = TrainSettings::default();
    let with = train_from(&rows, &targets, &all, (3, 64), &settings, Some(&prior));
    let without = train_from(&rows, &targets, &all, (3, 64), &settings, None);
    let top = |m: &LinearModel, x: &SparseVector| {
        let p = m.probabilities(x);
        (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap()
    };
    assert_eq!(top(&with, &about(2)), 2, "the prior's label");
    assert_ne!(top(&without, &about(2)), 2);
    // Where examples exist, the model learned them either way.
    assert_eq!((top(&with, &about(0)), top(&with, &about(1))), (0, 1));
}
