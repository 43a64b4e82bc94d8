//! The span model in the loop, with the real ONNX Runtime and the real sentence encoder: `margin train`
//! in a span project trains on imported CoNLL, names the encoder whose word vectors it learned on, and
//! `margin score` writes each pool item's proposed spans and its uncertainty, which the queue orders by.

mod common;

use common::Sandbox;
use rusqlite::Connection;

const NAMES: [&str; 8] = ["Ann", "Bob", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal"];
const CITIES: [&str; 6] = ["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Bern"];

/// `{a} met {b} in {city} .` as CoNLL lines.
fn sentence(a: &str, b: &str, city: &str) -> String {
    format!("{a} B-PER\nmet O\n{b} B-PER\nin O\n{city} B-LOC\n. O\n\n")
}

#[test]
fn a_span_model_trains_on_imported_spans_and_proposes_spans_for_the_pool() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "p", "--task", "spans", "--labels", "PER,LOC"]);
    let project = sandbox.join("p").display().to_string();
    let mut train = String::new();
    let mut pool = String::new();
    for (i, a) in NAMES.iter().enumerate() {
        for (j, b) in NAMES.iter().enumerate().filter(|(j, _)| *j != i) {
            let city = CITIES[(i + j) % CITIES.len()];
            // Every pair once: most to train on, the pairs with j = i + 1 kept back for the pool.
            if j == (i + 1) % NAMES.len() {
                pool.push_str(&format!("{{\"id\": \"q{i}\", \"text\": \"{a} met {b} in {city} .\"}}\n"));
            } else {
                train.push_str(&sentence(a, b, city));
            }
        }
    }
    let train_file = sandbox.write("train.conll", &train);
    let pool_file = sandbox.write("pool.jsonl", &pool);
    sandbox.ok(&["--project", &project, "import", &train_file]);
    sandbox.ok(&["--project", &project, "import", &pool_file]);
    let trained = sandbox.ok(&["--project", &project, "train", "--reference"]);
    assert!(trained.contains("Trained model version 1"), "{trained}");
    let scored = sandbox.ok(&["--project", &project, "score"]);
    assert!(scored.contains("Scored 56 items"), "every item in the pool: {scored}");

    let conn = Connection::open(sandbox.join("p/margin.db")).unwrap();
    let (kind, path): (String, String) = conn
        .query_row("SELECT kind, path FROM model_versions WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(kind, "spans");
    // The card names the encoder whose word vectors the model learned on.
    let bytes = std::fs::read(sandbox.join("p").join(&path)).unwrap();
    let card = String::from_utf8_lossy(&bytes);
    assert!(card.contains("margin.encoder") && card.contains("all-MiniLM-L6-v2"), "the card names the encoder");
    // A held-back sentence: both people and the city, each confident.
    let spans: String = conn
        .query_row(
            "SELECT s.spans FROM span_predictions s JOIN items i ON i.id = s.item_id WHERE i.ext_id = 'q0'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let spans: Vec<serde_json::Value> = serde_json::from_str(&spans).unwrap();
    let found: Vec<(u64, u64, &str)> = spans
        .iter()
        .map(|s| (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap(), s["label"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [(0, 3, "PER"), (8, 11, "PER"), (15, 19, "LOC")], "Ann met Bob in Rome .");
    assert!(spans.iter().all(|s| s["confidence"].as_f64().unwrap() > 0.5), "{spans:?}");
    // The item's uncertainty is its least sure token's.
    let (n, least): (i64, f64) = conn
        .query_row("SELECT count(*), max(least_confident) FROM predictions WHERE model_version_id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(n, 56);
    assert!(least > 0.0 && least < 1.0, "{least}");
    let status = sandbox.ok(&["--project", &project, "status"]);
    assert!(status.contains("version 1, 56 items scored"), "{status}");
}

/// A real ONNX token classifier for the test: `logits = table[input_ids]` (Gather), one row of tag scores
/// per token id of the encoder's tokenizer, O everywhere but for the ids of the words given.
fn token_classifier(dir: &std::path::Path, tokenizer: &std::path::Path, tagged: &[(&str, usize)]) {
    use margin::model::onnx::proto::{GraphProto, data_type};
    use margin::model::onnx::{Dim, encode, f32_tensor, model, node, value_info};
    let tok = tokenizers::Tokenizer::from_file(tokenizer).unwrap();
    let vocab = tok.get_vocab_size(true);
    let tags = 5; // O, B-PER, I-PER, B-LOC, I-LOC
    let mut table = vec![0.0f32; vocab * tags];
    for row in 0..vocab {
        table[row * tags] = 4.0;
    }
    for (word, tag) in tagged {
        for id in tok.encode(*word, false).unwrap().get_ids() {
            let row = *id as usize;
            table[row * tags] = 0.0;
            table[row * tags + tag] = 4.0;
        }
    }
    let graph = GraphProto {
        node: vec![node("Gather", "lookup", &["table", "input_ids"], &["logits"], vec![])],
        name: Some("byo_ner".into()),
        initializer: vec![f32_tensor("table", &[vocab as i64, tags as i64], &table)],
        doc_string: None,
        input: vec![value_info("input_ids", data_type::INT64, &[Dim::Fixed(1), Dim::Named("S")])],
        output: vec![value_info(
            "logits",
            data_type::FLOAT,
            &[Dim::Fixed(1), Dim::Named("S"), Dim::Fixed(tags as i64)],
        )],
    };
    std::fs::write(dir.join("ner.onnx"), encode(&model(graph, &[]))).unwrap();
    std::fs::copy(tokenizer, dir.join("tokenizer.json")).unwrap();
    std::fs::write(
        dir.join("ner.toml"),
        "file = \"ner.onnx\"\ntokenizer = \"tokenizer.json\"\ntags = [\"O\", \"B-PER\", \"I-PER\", \"B-GPE\", \"I-GPE\"]\n",
    )
    .unwrap();
}

#[test]
fn a_token_classifier_brought_with_its_tokenizer_proposes_spans_on_margin_s_tokens() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["init", "p", "--task", "spans", "--labels", "PER,LOC"]);
    let project = sandbox.join("p").display().to_string();
    let tokenizer =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/encoders/all-minilm-l6-v2/tokenizer.json");
    // The model's tag 3 is B-GPE, a label the project does not have: it counts as O.
    token_classifier(&sandbox.join("p"), &tokenizer, &[("ann", 1), ("merkel", 2), ("paris", 3)]);
    let pool = sandbox.write("pool.jsonl", "{\"id\": \"a\", \"text\": \"Ann Merkel flew to Paris.\"}\n");
    sandbox.ok(&["--project", &project, "import", &pool]);
    let used = sandbox.ok(&["--project", &project, "model", "use", sandbox.join("p/ner.toml").to_str().unwrap()]);
    assert!(used.contains("Model version 1"), "{used}");
    sandbox.ok(&["--project", &project, "score"]);
    let conn = Connection::open(sandbox.join("p/margin.db")).unwrap();
    let spans: String = conn.query_row("SELECT spans FROM span_predictions", [], |r| r.get(0)).unwrap();
    let spans: Vec<serde_json::Value> = serde_json::from_str(&spans).unwrap();
    let found: Vec<(u64, u64, &str)> = spans
        .iter()
        .map(|s| (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap(), s["label"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [(0, 10, "PER")], "Ann Merkel, on margin's tokens; Paris was GPE, no label here");
    // A manifest whose tags name none of the project's labels is refused, saying so.
    std::fs::write(
        sandbox.join("p/ner.toml"),
        "file = \"ner.onnx\"\ntokenizer = \"tokenizer.json\"\ntags = [\"O\", \"B-X\"]\n",
    )
    .unwrap();
    let refused = sandbox.fails(&["--project", &project, "model", "use", sandbox.join("p/ner.toml").to_str().unwrap()]);
    assert!(refused.contains("none of the model's tags"), "{refused}");
}
