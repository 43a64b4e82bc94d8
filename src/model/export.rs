//! The linear model as an ONNX file: `idx int64[N,K]` and `val float[N,K]` in, `probabilities float[N,C]`
//! and `logits float[N,C]` out. Gather takes each feature's row of weights (`[N,K,C]`); MatMul of the
//! values as a row (`[N,1,K]`) with those rows sums them weighted by value (`[N,1,C]`); Squeeze, Add the
//! bias, Softmax (Sigmoid for multi-label). Padding a row with index 0 and value 0 adds nothing, so rows of
//! any length batch together.
//!
//! A combined model (see [`super::combined`]) takes a third input, `embedding float[N,D]`, the text's
//! sentence vector: MatMul with `E[D,C]` gives its part of the logits, added before the bias. The sentence
//! encoder stays its own ONNX file; the card names it (`margin.encoder`).
//!
//! The weighted sum could also be written Mul then ReduceSum over the feature axis; ONNX Runtime runs
//! that 2 to 3 times slower (its broadcasting Mul over the last axis is the slow part), and scoring speed
//! is what this graph is for. BENCHMARKS.md has the measurements.

use super::card::ModelCard;
use super::combined::Head;
use super::linear::LinearModel;
use super::onnx::proto::{GraphProto, ModelProto, data_type};
use super::onnx::{Dim, f32_tensor, i64_tensor, int_attribute, model, node, value_info};

/// Builds the ONNX model for `linear`, with `card` as its metadata.
pub fn linear_to_onnx(linear: &LinearModel, card: &ModelCard) -> ModelProto {
    to_onnx(linear, None, card)
}

/// Builds the ONNX model for a trained head (with the `embedding` input when it is a combined model).
pub fn head_to_onnx(head: &Head, card: &ModelCard) -> ModelProto {
    to_onnx(&head.ngrams, head.embedding.as_deref(), card)
}

fn to_onnx(linear: &LinearModel, embedding: Option<&[f32]>, card: &ModelCard) -> ModelProto {
    let buckets = linear.buckets() as i64;
    let classes = linear.classes as i64;
    let activation = if linear.multi_label { "Sigmoid" } else { "Softmax" };
    let activation_attributes = if linear.multi_label { vec![] } else { vec![int_attribute("axis", -1)] };
    let mut nodes = vec![
        node("Gather", "gather_weights", &["W", "idx"], &["weights_per_feature"], vec![int_attribute("axis", 0)]),
        node("Unsqueeze", "values_as_row", &["val", "row_axis"], &["val_row"], vec![]),
        node("MatMul", "weigh_and_sum", &["val_row", "weights_per_feature"], &["weighted_sum_row"], vec![]),
        node("Squeeze", "drop_row_axis", &["weighted_sum_row", "row_axis"], &["weighted_sum"], vec![]),
    ];
    let mut initializer = vec![
        f32_tensor("W", &[buckets, classes], &linear.weights),
        f32_tensor("b", &[classes], &linear.bias),
        i64_tensor("row_axis", &[1], &[1]),
    ];
    let mut input = vec![
        value_info("idx", data_type::INT64, &[Dim::Named("N"), Dim::Named("K")]),
        value_info("val", data_type::FLOAT, &[Dim::Named("N"), Dim::Named("K")]),
    ];
    let mut summed = "weighted_sum";
    if let Some(weights) = embedding {
        let dims = (weights.len() / linear.classes.max(1)) as i64;
        nodes.push(node("MatMul", "embedding_part", &["embedding", "E"], &["embedding_logits"], vec![]));
        nodes.push(node("Add", "add_embedding_part", &["weighted_sum", "embedding_logits"], &["both"], vec![]));
        initializer.push(f32_tensor("E", &[dims, classes], weights));
        input.push(value_info("embedding", data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(dims)]));
        summed = "both";
    }
    nodes.push(node("Add", "add_bias", &[summed, "b"], &["logits"], vec![]));
    nodes.push(node(activation, "activate", &["logits"], &["probabilities"], activation_attributes));
    let graph = GraphProto {
        node: nodes,
        name: Some("margin_linear".into()),
        initializer,
        doc_string: Some(format!("margin linear text classifier over {} labels", card.labels.len())),
        input,
        output: vec![
            value_info("probabilities", data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(classes)]),
            value_info("logits", data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(classes)]),
        ],
    };
    model(graph, &card.to_metadata())
}
