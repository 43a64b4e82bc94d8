use super::*;
use crate::domain::TaskKind;
use crate::model::card::{LINEAR_FORMAT, Training};
use crate::model::export::linear_to_onnx;
use crate::model::features::FeaturizerSpec;
use crate::model::onnx::encode;
use crate::model::train::{Targets, TrainSettings, train};

fn trained() -> (Explainer, LinearModel) {
    let featurizer = Featurizer::new(FeaturizerSpec::new(12)).unwrap();
    let texts = ["cheap pills buy now", "meeting at noon", "buy cheap watches", "lunch at noon tomorrow"];
    let rows: Vec<SparseVector> = (0..40).map(|i| featurizer.featurize(texts[i % 4])).collect();
    let targets = Targets::Single((0..40).map(|i| usize::from(i % 2 == 0)).collect());
    let all: Vec<usize> = (0..40).collect();
    let model = train(&rows, &targets, &all, 2, 1 << 12, &TrainSettings::default());
    let card = ModelCard {
        format: LINEAR_FORMAT.into(),
        labels: vec!["ham".into(), "spam".into()],
        task: TaskKind::SingleLabel,
        featurizer: FeaturizerSpec::new(12),
        training: Training {
            source: "reference".into(),
            examples: 40,
            c: 10.0,
            epochs: 10,
            seed: 7,
            committee_member: None,
        },
        metrics: None,
        temperature: 1.0,
        margin_version: "test".into(),
        trained_at: "2026-01-01T00:00:00Z".into(),
        encoder: None,
    };
    let explainer = Explainer::from_onnx(&encode(&linear_to_onnx(&model, &card))).unwrap();
    (explainer, model)
}

#[test]
fn weights_read_back_from_the_file_give_the_same_probabilities() {
    let (explainer, model) = trained();
    let text = "buy cheap pills at noon";
    assert_eq!(explainer.probabilities(text), model.probabilities(&explainer.featurizer().featurize(text)));
}

#[test]
fn contributions_add_up_to_the_centred_logit() {
    let (explainer, model) = trained();
    let text = "Buy cheap pills, buy now!";
    let spam = 1;
    let contributions = explainer.contributions(text, spam);
    assert_eq!(
        contributions.iter().map(|c| c.word.as_str()).collect::<Vec<_>>(),
        ["Buy", "cheap", "pills", "buy", "now"]
    );
    let logits = model.logits(&explainer.featurizer().featurize(text));
    let centred = (logits[1] - model.bias[1]) - ((logits[0] + logits[1]) - (model.bias[0] + model.bias[1])) / 2.0;
    let total: f32 = contributions.iter().map(|c| c.contribution).sum();
    assert!((total - centred).abs() < 1e-4, "{total} vs {centred}");
    let cheap = contributions.iter().find(|c| c.word == "cheap").unwrap();
    assert!(cheap.contribution > 0.0, "cheap pushes toward spam");
    assert_eq!(&text[cheap.start..cheap.end], "cheap");
}

#[test]
fn removing_words_blanks_every_occurrence() {
    let (explainer, _) = trained();
    let text = "Buy cheap pills, buy now!";
    let contributions = explainer.contributions(text, 1);
    assert_eq!(without_words(text, &contributions, &["buy".into()]), "  cheap pills,   now!");
}

#[test]
fn nearest_items_come_by_cosine() {
    let featurizer = Featurizer::new(FeaturizerSpec::new(12)).unwrap();
    let items = [
        (1, "cheap pills buy now", vec!["spam".to_string()]),
        (2, "meeting at noon", vec!["ham".to_string()]),
        (3, "cheap watches buy", vec!["spam".to_string()]),
    ];
    let index = SimilarIndex::build(&featurizer, items.iter().map(|(id, t, l)| (*id, *t, l.clone())));
    let near = index.nearest(&featurizer.featurize("buy cheap pills"), 2, None);
    assert_eq!(near.iter().map(|s| s.item_id).collect::<Vec<_>>(), [1, 3]);
    assert!(near[0].similarity > near[1].similarity && near[0].similarity <= 1.0 + 1e-6);
    assert!(index.nearest(&featurizer.featurize("buy cheap pills"), 2, Some(1)).iter().all(|s| s.item_id != 1));
}
