//! Writing ONNX models: small builders over the protobuf messages in [`proto`], and the encoder.

pub mod proto;

use prost::Message;

use proto::tensor_shape_proto::{Dimension, dimension};
use proto::type_proto;
use proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_type,
};

/// ONNX IR version margin writes (ONNX 1.16+, ONNX Runtime 1.18+ read it).
pub const IR_VERSION: i64 = 10;
/// Default-domain operator set margin writes.
pub const OPSET: i64 = 21;

/// One dimension of a declared input or output: fixed, or named and free (such as the batch size).
#[derive(Debug, Clone, Copy)]
pub enum Dim<'a> {
    Fixed(i64),
    Named(&'a str),
}

/// Declares a tensor input or output.
pub fn value_info(name: &str, elem_type: i32, dims: &[Dim<'_>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(n) => dimension::Value::DimValue(*n),
                Dim::Named(s) => dimension::Value::DimParam((*s).to_string()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem_type),
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
    }
}

/// A constant float tensor, stored as little-endian raw data.
pub fn f32_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(proto::data_type::FLOAT),
        name: Some(name.to_string()),
        raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

/// A constant int64 tensor, stored as little-endian raw data.
pub fn i64_tensor(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(proto::data_type::INT64),
        name: Some(name.to_string()),
        raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
    }
}

/// One operator node.
pub fn node(
    op_type: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attributes: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        name: Some(name.to_string()),
        op_type: Some(op_type.to_string()),
        domain: None,
        attribute: attributes,
    }
}

pub fn int_attribute(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        r#type: Some(attribute_type::INT),
        i: Some(value),
        ..AttributeProto::default()
    }
}

/// Wraps a graph into a model with margin as producer and `metadata` as its metadata_props.
pub fn model(graph: GraphProto, metadata: &[(&'static str, String)]) -> ModelProto {
    ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto { domain: Some(String::new()), version: Some(OPSET) }],
        producer_name: Some("margin".to_string()),
        producer_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        domain: None,
        model_version: Some(1),
        doc_string: None,
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(k, v)| StringStringEntryProto { key: Some(k.to_string()), value: Some(v.clone()) })
            .collect(),
    }
}

/// The smallest useful classifier: `probabilities = Softmax(x)` over `classes` scores per row. Used to
/// check that the runtime works end to end.
pub fn softmax_model(classes: i64) -> ModelProto {
    let graph = GraphProto {
        node: vec![node("Softmax", "softmax", &["x"], &["probabilities"], vec![int_attribute("axis", -1)])],
        name: Some("margin_softmax".to_string()),
        initializer: Vec::new(),
        doc_string: None,
        input: vec![value_info("x", proto::data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(classes)])],
        output: vec![value_info("probabilities", proto::data_type::FLOAT, &[Dim::Named("N"), Dim::Fixed(classes)])],
    };
    model(graph, &[("margin.kind", "self-test".to_string())])
}

/// The model's protobuf bytes, ready to write to a `.onnx` file.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}
