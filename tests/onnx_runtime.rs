//! ONNX Runtime for real: the library margin finds is loaded, and a model this test writes is opened as
//! a session and run.

use margin::model::Runtime;
use margin::model::onnx;
use margin::model::runtime::SearchPlaces;
use ort::value::Tensor;

#[test]
fn a_model_written_by_margin_runs_in_onnx_runtime() {
    let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime (run scripts/setup)");
    assert_eq!(runtime.version(), margin::model::runtime::EXPECTED_VERSION);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("softmax.onnx");
    std::fs::write(&path, onnx::encode(&onnx::softmax_model(4))).unwrap();
    let mut session = runtime.session_from_file(&path, 1).expect("session");
    assert_eq!(session.inputs()[0].name(), "x");
    assert_eq!(session.outputs()[0].name(), "probabilities");

    let input = Tensor::from_array(([2usize, 4], vec![0.0f32, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 10.0])).unwrap();
    let outputs = session.run(ort::inputs!["x" => input]).expect("run");
    let (shape, probabilities) = outputs["probabilities"].try_extract_tensor::<f32>().unwrap();
    assert_eq!(shape.to_vec(), vec![2, 4]);
    for p in &probabilities[..4] {
        assert!((p - 0.25).abs() < 1e-6, "uniform row: {probabilities:?}");
    }
    let second = &probabilities[4..];
    assert!((second.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert!(second[3] > 0.99, "the largest score dominates: {second:?}");

    assert_eq!(runtime.self_test().unwrap().len(), 3);
}

#[test]
fn a_file_that_is_not_a_model_is_refused_with_its_path() {
    let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime (run scripts/setup)");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    std::fs::write(&path, b"not protobuf at all").unwrap();
    let Err(err) = runtime.session_from_file(&path, 1) else { panic!("a broken model was accepted") };
    assert!(err.to_string().contains("broken.onnx: cannot load the model"), "{err}");
}

mod refusing {
    use margin::domain::TaskKind;
    use margin::model::Runtime;
    use margin::model::card::{LINEAR_FORMAT, ModelCard, Training};
    use margin::model::export::linear_to_onnx;
    use margin::model::features::FeaturizerSpec;
    use margin::model::linear::LinearModel;
    use margin::model::onnx;
    use margin::model::runtime::SearchPlaces;
    use margin::model::scorer::Scorer;

    fn card(labels: &[&str]) -> ModelCard {
        ModelCard {
            format: LINEAR_FORMAT.into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            task: TaskKind::SingleLabel,
            featurizer: FeaturizerSpec::new(10),
            training: Training {
                source: "reference".into(),
                examples: 0,
                c: 1.0,
                epochs: 1,
                seed: 1,
                committee_member: None,
            },
            metrics: None,
            temperature: 1.0,
            margin_version: "test".into(),
            trained_at: "2026-01-01T00:00:00Z".into(),
            encoder: None,
        }
    }

    /// Loads `bytes` as a model for a project with labels a and b; returns the error message.
    fn refusal(bytes: &[u8]) -> String {
        let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.onnx");
        std::fs::write(&path, bytes).unwrap();
        let labels = vec!["a".to_string(), "b".to_string()];
        let err = Scorer::load(runtime, &path, &labels, 1, None).expect_err("must be refused").to_string();
        assert!(err.contains("model.onnx: "), "the message names the file: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    }

    #[test]
    fn a_fitting_model_loads() {
        let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.onnx");
        let model = LinearModel::zeros(1 << 10, 2, false);
        std::fs::write(&path, onnx::encode(&linear_to_onnx(&model, &card(&["a", "b"])))).unwrap();
        let labels = vec!["a".to_string(), "b".to_string()];
        let mut scorer = Scorer::load(runtime, &path, &labels, 1, None).expect("loads");
        let p = scorer.score_texts(&["anything at all"]).unwrap();
        assert_eq!(p, vec![vec![0.5, 0.5]]);
    }

    #[test]
    fn a_truncated_file() {
        let model = LinearModel::zeros(1 << 10, 2, false);
        let bytes = onnx::encode(&linear_to_onnx(&model, &card(&["a", "b"])));
        assert!(refusal(&bytes[..bytes.len() - 100]).contains("cannot load the model"));
    }

    #[test]
    fn a_file_that_is_not_onnx() {
        assert!(refusal(b"PK\x03\x04 this is a zip, not a model").contains("cannot load the model"));
    }

    #[test]
    fn a_model_without_margin_metadata() {
        let err = refusal(&onnx::encode(&onnx::softmax_model(2)));
        assert!(err.contains("not a margin model: metadata has no `margin.format`"), "{err}");
    }

    #[test]
    fn a_model_with_other_labels() {
        let model = LinearModel::zeros(1 << 10, 3, false);
        let err = refusal(&onnx::encode(&linear_to_onnx(&model, &card(&["a", "b", "c"]))));
        assert!(err.contains("knows the labels [a, b, c] but the project has [a, b]"), "{err}");
    }

    #[test]
    fn a_model_whose_output_does_not_fit_its_labels() {
        // The card says two labels, but the weights give three probabilities.
        let model = LinearModel::zeros(1 << 10, 3, false);
        let err = refusal(&onnx::encode(&linear_to_onnx(&model, &card(&["a", "b"]))));
        assert!(err.contains("output `probabilities` must be Float32[N,2]"), "{err}");
    }

    #[test]
    fn a_model_with_the_wrong_input_types() {
        let model = LinearModel::zeros(1 << 10, 2, false);
        let mut proto = linear_to_onnx(&model, &card(&["a", "b"]));
        let graph = proto.graph.as_mut().unwrap();
        graph.input[0] =
            onnx::value_info("idx", onnx::proto::data_type::FLOAT, &[onnx::Dim::Named("N"), onnx::Dim::Named("K")]);
        let err = refusal(&onnx::encode(&proto));
        assert!(err.contains("cannot load the model") || err.contains("input `idx` must be Int64[N,K]"), "{err}");
    }
}

#[test]
fn a_span_model_scores_through_onnx_runtime_as_it_does_in_rust() {
    use margin::domain::spans::Span;
    use margin::model::spans::{SpanScorer, span_settings, train_spans};
    let runtime = Runtime::start(&SearchPlaces::from_environment(None)).expect("ONNX Runtime (run scripts/setup)");
    let labels = vec!["PER".to_string(), "LOC".to_string()];
    let mut examples = Vec::new();
    for (who, place) in [("Anna", "Paris"), ("Boris", "Berlin"), ("Clara", "Madrid"), ("David", "Rome")] {
        for pattern in ["{p} flew to {l} today .", "Yesterday {p} visited {l} .", "{p} lives in {l} ."] {
            let text = pattern.replace("{p}", who).replace("{l}", place);
            let at = |w: &str| text.find(w).unwrap();
            let spans = vec![
                Span { start: at(who), end: at(who) + who.len(), label: "PER".into() },
                Span { start: at(place), end: at(place) + place.len(), label: "LOC".into() },
            ];
            examples.push((text, spans));
        }
    }
    let settings = span_settings();
    let model = train_spans(&examples, &labels, &settings);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.onnx");
    std::fs::write(&path, onnx::encode(&model.to_onnx(&settings, "2026-12-03T00:00:00Z", None))).unwrap();
    let mut scorer = SpanScorer::load(runtime, &path, &labels, 1, None).expect("span model");
    for text in ["Yesterday Elena visited Lisbon .", "Boris lives in Rome .", "nothing here", "Ünal flew to Zürich"] {
        let in_rust = model.predict(text);
        let in_ort = scorer.predict(text).expect("scored");
        assert_eq!(
            in_ort.iter().map(|p| &p.span).collect::<Vec<_>>(),
            in_rust.iter().map(|p| &p.span).collect::<Vec<_>>(),
            "{text}"
        );
        for (a, b) in in_ort.iter().zip(&in_rust) {
            assert!((a.confidence - b.confidence).abs() < 1e-4, "{text}: {} against {}", a.confidence, b.confidence);
        }
    }
    assert!(!scorer.predict("Yesterday Elena visited Lisbon .").unwrap().is_empty(), "it finds spans through ORT");
    // The other way round: a span model is refused for a project with other labels.
    let other = vec!["ORG".to_string()];
    let refused = SpanScorer::load(runtime, &path, &other, 1, None).unwrap_err().to_string();
    assert!(refused.contains("train a new model"), "{refused}");
}
