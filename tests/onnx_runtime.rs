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
