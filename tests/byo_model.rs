//! Bring your own model: ONNX classifiers that are not margin's, described by a manifest, taking token
//! ids (with a tokenizer.json) or raw strings, checked at load, scored and explained by occlusion.

mod common;

use std::path::Path;

use common::Sandbox;
use margin::model::onnx::proto::{AttributeProto, GraphProto, OperatorSetIdProto, attribute_type, data_type};
use margin::model::onnx::{Dim, encode, f32_tensor, i64_tensor, int_attribute, model, node, value_info};
use margin::store::Store;

const TOKENIZER: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
  "normalizer":{"type":"Lowercase"},"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
  "model":{"type":"WordLevel","vocab":{"[PAD]":0,"[UNK]":1,"good":2,"bad":3,"movie":4,"great":5},"unk_token":"[UNK]"}}"#;

/// Token ids -> per-token logits for [negative, positive] -> summed. "good" and "great" push positive,
/// "bad" negative. Takes an attention mask it does not need, as many real models do.
fn token_model(classes: usize) -> Vec<u8> {
    let mut embedding = vec![0.0f32; 6 * classes];
    embedding[2 * classes + 1] = 4.0; // good -> positive
    embedding[3 * classes] = 4.0; // bad -> negative
    embedding[5 * classes + 1] = 3.0; // great -> positive
    let graph = GraphProto {
        node: vec![
            node("Gather", "embed", &["E", "input_ids"], &["per_token"], vec![int_attribute("axis", 0)]),
            node("ReduceSum", "sum", &["per_token", "tokens_axis"], &["logits"], vec![int_attribute("keepdims", 0)]),
        ],
        name: Some("toy_token_classifier".into()),
        initializer: vec![f32_tensor("E", &[6, classes as i64], &embedding), i64_tensor("tokens_axis", &[1], &[1])],
        doc_string: None,
        input: vec![
            value_info("input_ids", data_type::INT64, &[Dim::Named("N"), Dim::Named("L")]),
            value_info("attention_mask", data_type::INT64, &[Dim::Named("N"), Dim::Named("L")]),
        ],
        output: vec![value_info("logits", data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(classes as i64)])],
    };
    encode(&model(graph, &[]))
}

/// A string tensor in, one-hot scores out: "great film" is positive, anything else negative. Model label
/// order [positive, negative].
fn text_model() -> Vec<u8> {
    let strings = |name: &str, values: &[&str]| AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::STRINGS),
        strings: values.iter().map(|v| v.as_bytes().to_vec()).collect(),
        ..AttributeProto::default()
    };
    let ints = |name: &str, values: &[i64]| AttributeProto {
        name: Some(name.into()),
        r#type: Some(attribute_type::INTS),
        ints: values.to_vec(),
        ..AttributeProto::default()
    };
    let mut encoder = node(
        "LabelEncoder",
        "which",
        &["text"],
        &["index"],
        vec![strings("keys_strings", &["great film"]), ints("values_int64s", &[0]), int_attribute("default_int64", 1)],
    );
    encoder.domain = Some("ai.onnx.ml".into());
    let graph = GraphProto {
        node: vec![
            encoder,
            node("OneHot", "scores", &["index", "depth", "on_off"], &["scores"], vec![int_attribute("axis", -1)]),
        ],
        name: Some("toy_text_classifier".into()),
        initializer: vec![i64_tensor("depth", &[1], &[2]), f32_tensor("on_off", &[2], &[0.0, 1.0])],
        doc_string: None,
        input: vec![value_info("text", data_type::STRING, &[Dim::Named("N")])],
        output: vec![value_info("scores", data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(2)])],
    };
    let mut proto = model(graph, &[]);
    proto.opset_import.push(OperatorSetIdProto { domain: Some("ai.onnx.ml".into()), version: Some(3) });
    encode(&proto)
}

fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "negative,positive");
    let items = "{\"id\": \"g\", \"text\": \"good movie\"}\n{\"id\": \"b\", \"text\": \"bad movie\"}\n\
                 {\"id\": \"gr\", \"text\": \"great film\"}\n{\"id\": \"m\", \"text\": \"a good but bad movie good\"}\n";
    let file = sandbox.write("items.jsonl", items);
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

fn probabilities(project: &str, id: &str) -> Vec<f32> {
    let store = Store::open(Path::new(&format!("{project}/margin.db"))).unwrap();
    let model = store.current_model().unwrap().unwrap();
    let item = store.find_item(id).unwrap().unwrap();
    store.prediction(model.id, item.id).unwrap().expect("scored").probabilities
}

#[test]
fn a_token_id_model_with_a_tokenizer_scores_and_explains() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    std::fs::write(sandbox.join("tok.onnx"), token_model(2)).unwrap();
    sandbox.write("tokenizer.json", TOKENIZER);
    let manifest = sandbox.write(
        "model.toml",
        "file = \"tok.onnx\"\nlabels = [\"negative\", \"positive\"]\ninput = \"token-ids\"\noutput = \"logits\"\n\
         output_is = \"logits\"\ntokenizer = \"tokenizer.json\"\n",
    );
    let out = sandbox.ok(&["model", "use", &manifest, "--project", &project]);
    assert!(out.contains("Model version 1 is now"), "{out}");
    sandbox.ok(&["score", "--project", &project]);
    let good = probabilities(&project, "g");
    assert!(good[1] > 0.95, "good movie is positive: {good:?}");
    let bad = probabilities(&project, "b");
    assert!(bad[0] > 0.95, "bad movie is negative: {bad:?}");

    let explained: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["explain", "m", "--json", "--project", &project])).unwrap();
    assert_eq!(explained["predicted"], "positive");
    let words = explained["words"].as_array().unwrap();
    let of = |w: &str| words.iter().find(|x| x["word"] == w).unwrap()["contribution"].as_f64().unwrap();
    assert!(of("good") > 0.0 && of("bad") < 0.0 && of("movie").abs() < 1e-6, "{words:?}");
    assert_eq!(explained["counterfactual"]["removed"], serde_json::json!(["good"]));
    assert_eq!(explained["counterfactual"]["label"], "negative");
}

#[test]
fn a_string_input_model_with_its_own_label_order() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    std::fs::write(sandbox.join("text.onnx"), text_model()).unwrap();
    let manifest = sandbox.write(
        "model.toml",
        "file = \"text.onnx\"\nlabels = [\"positive\", \"negative\"]\ninput = \"text\"\noutput = \"scores\"\n",
    );
    sandbox.ok(&["model", "use", &manifest, "--project", &project]);
    sandbox.ok(&["score", "--project", &project]);
    // Stored in the project's order [negative, positive], whatever the model's.
    assert_eq!(probabilities(&project, "gr"), vec![0.0, 1.0]);
    assert_eq!(probabilities(&project, "b"), vec![1.0, 0.0]);
}

#[test]
fn models_that_do_not_fit_are_refused_and_margin_keeps_working() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    std::fs::write(sandbox.join("tok.onnx"), token_model(2)).unwrap();
    std::fs::write(sandbox.join("tok3.onnx"), token_model(3)).unwrap();
    sandbox.write("tokenizer.json", TOKENIZER);
    let token = |file: &str, labels: &str, extra: &str| {
        format!("file = \"{file}\"\nlabels = [{labels}]\ninput = \"token-ids\"\noutput = \"logits\"\n{extra}")
    };
    let cases = [
        (
            "labels.toml",
            token("tok.onnx", "\"neg\", \"pos\"", "tokenizer = \"tokenizer.json\"\n"),
            "are not the project's",
        ),
        (
            "width.toml",
            token("tok3.onnx", "\"negative\", \"positive\"", "tokenizer = \"tokenizer.json\"\n"),
            "Float32[N,2] is needed",
        ),
        ("no-tokenizer.toml", token("tok.onnx", "\"negative\", \"positive\"", ""), "needs `tokenizer"),
        (
            "bad-tokenizer.toml",
            token("tok.onnx", "\"negative\", \"positive\"", "tokenizer = \"missing.json\"\n"),
            "cannot read the tokenizer",
        ),
        (
            "kind.toml",
            "file = \"tok.onnx\"\nlabels = [\"negative\", \"positive\"]\ninput = \"text\"\noutput = \"logits\"\n"
                .into(),
            "no input `text`",
        ),
        ("missing.toml", token("nowhere.onnx", "\"negative\", \"positive\"", ""), "does not exist"),
        (
            "syntax.toml",
            "file = \"tok.onnx\"\nlabels = [\"negative\", \"positive\"]\ninput = \"telepathy\"\n".into(),
            "syntax.toml:3:",
        ),
    ];
    for (name, text, expected) in &cases {
        let manifest = sandbox.write(name, text);
        let out = sandbox.run(&["model", "use", &manifest, "--project", &project]);
        assert!(!out.status.success(), "{name} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: one line: {stderr}");
    }
    let status: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["status", "--json", "--project", &project])).unwrap();
    assert_eq!(status["status"]["models"], 0, "no refused model was registered");
    assert!(sandbox.fails(&["score", "--project", &project]).contains("no model yet"));
}
