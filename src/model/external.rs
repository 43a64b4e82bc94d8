//! Bring your own model: any ONNX classifier, described by a small TOML manifest beside it, scores the
//! project's items in place of margin's own model.
//!
//! ```toml
//! file = "classifier.onnx"          # relative to the manifest
//! labels = ["negative", "positive"] # the model's output order; the same set as the project's labels
//! input = "token-ids"               # "sparse" (margin's features), "text" (a string tensor) or "token-ids"
//! output = "probabilities"          # the output to read, float [N, labels]
//! output_is = "probabilities"       # or "logits" (softmax, or sigmoid for multi-label, is applied)
//! tokenizer = "tokenizer.json"      # token-ids: read by the tokenizers crate
//! max_length = 128                  # token-ids: longer texts are truncated
//! hash_bits = 18                    # sparse: the featurizer's buckets
//! [inputs]                          # input names, if not these
//! idx = "idx"
//! val = "val"
//! text = "text"
//! input_ids = "input_ids"
//! attention_mask = "attention_mask" # fed when the model has it
//! token_type_ids = "token_type_ids" # fed when the model has it
//! ```
//!
//! A manifest or model that does not fit the project is refused at load with one line saying why.

/// The kind recorded in the store for bring-your-own models; their path is the manifest's.
pub const EXTERNAL: &str = "external";

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{Tensor, TensorElementType, ValueType};
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationParams};

use super::ModelError;
use super::features::{Featurizer, FeaturizerSpec, SparseRows};
use super::linear::{sigmoid, softmax_in_place};
use super::runtime::Runtime;
use super::scorer::pad;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Sparse,
    Text,
    TokenIds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputIs {
    #[default]
    Probabilities,
    Logits,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputNames {
    pub idx: String,
    pub val: String,
    pub text: String,
    pub input_ids: String,
    pub attention_mask: String,
    pub token_type_ids: String,
}

impl Default for InputNames {
    fn default() -> Self {
        InputNames {
            idx: "idx".into(),
            val: "val".into(),
            text: "text".into(),
            input_ids: "input_ids".into(),
            attention_mask: "attention_mask".into(),
            token_type_ids: "token_type_ids".into(),
        }
    }
}

/// The manifest of an external model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub file: PathBuf,
    pub labels: Vec<String>,
    pub input: InputKind,
    #[serde(default = "default_output")]
    pub output: String,
    #[serde(default)]
    pub output_is: OutputIs,
    #[serde(default)]
    pub inputs: InputNames,
    pub tokenizer: Option<PathBuf>,
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    pub hash_bits: Option<u32>,
}

fn default_output() -> String {
    "probabilities".into()
}

fn default_max_length() -> usize {
    128
}

impl Manifest {
    /// Reads a manifest; problems name the file and line.
    pub fn load(path: &Path) -> Result<Manifest, ModelError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ModelError::Invalid(format!("{}: cannot read the manifest: {e}", path.display())))?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `path` only names the file in messages. A problem is one line,
    /// `FILE:LINE: what is wrong`, with what the file says (an unknown key, say) escaped.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ModelError> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = crate::domain::text::visible(e.message().trim()).into_owned();
            ModelError::Invalid(format!("{}:{line}: {message}", path.display()))
        })
    }
}

/// An external model loaded and checked against the project.
pub struct ExternalModel {
    session: Session,
    manifest: Manifest,
    /// Where each of the model's outputs goes in the project's label order.
    to_project: Vec<usize>,
    featurizer: Option<Featurizer>,
    tokenizer: Option<Tokenizer>,
    /// For text input: the rank of the string tensor (1: `[N]`, 2: `[N, 1]`).
    text_rank: usize,
    feeds_mask: bool,
    feeds_type_ids: bool,
    multi_label: bool,
    name: String,
}

impl std::fmt::Debug for ExternalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalModel").field("manifest", &self.name).finish()
    }
}

impl ExternalModel {
    /// Loads the model a manifest describes, for a project with `labels`. Checks, in this order, that the
    /// model's labels are the project's, that the model file exists and loads, that it has the inputs its
    /// kind of input needs, and that it has the output the manifest names, of the right shape.
    pub fn load(
        runtime: &Runtime,
        manifest_path: &Path,
        labels: &[String],
        multi_label: bool,
    ) -> Result<ExternalModel, ModelError> {
        let name = manifest_path.display().to_string();
        let manifest = Manifest::load(manifest_path)?;
        let base = manifest_path.parent().unwrap_or(Path::new("."));
        let to_project = project_order(&manifest.labels, labels).map_err(|why| refusal(&name, why))?;
        let session = open_session(runtime, &base.join(&manifest.file), &name)?;
        let Feeding { featurizer, tokenizer, text_rank, feeds_mask, feeds_type_ids } =
            check_inputs(&session, &manifest, base, &name)?;
        check_output(&session, &manifest.output, labels.len()).map_err(|why| refusal(&name, why))?;
        Ok(ExternalModel {
            session,
            manifest,
            to_project,
            featurizer,
            tokenizer,
            text_rank,
            feeds_mask,
            feeds_type_ids,
            multi_label,
            name,
        })
    }

    pub fn input_kind(&self) -> InputKind {
        self.manifest.input
    }

    /// The featurizer, for models that take margin's sparse features.
    pub fn featurizer(&self) -> Option<&Featurizer> {
        self.featurizer.as_ref()
    }

    /// The model file, relative to the manifest's directory.
    pub fn model_file(&self) -> &Path {
        &self.manifest.file
    }

    /// Probabilities in the project's label order, for rows of sparse features.
    pub fn score_rows(&mut self, rows: &SparseRows) -> Result<Vec<Vec<f32>>, ModelError> {
        let (idx, val, width) = pad(rows);
        let shape = [rows.len(), width];
        let (i, v) = (self.manifest.inputs.idx.clone(), self.manifest.inputs.val.clone());
        let inputs = ort::inputs![i => Tensor::from_array((shape, idx))?, v => Tensor::from_array((shape, val))?];
        self.run(inputs, rows.len())
    }

    /// Probabilities in the project's label order, for texts.
    pub fn score_texts(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        match self.manifest.input {
            InputKind::Sparse => {
                let featurizer = self.featurizer.clone().expect("sparse models have a featurizer");
                let mut rows = SparseRows::new();
                let mut scratch = Default::default();
                for t in texts {
                    rows.push_text(&featurizer, t, &mut scratch);
                }
                self.score_rows(&rows)
            }
            InputKind::Text => {
                let strings: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
                let shape: Vec<usize> = if self.text_rank == 1 { vec![texts.len()] } else { vec![texts.len(), 1] };
                let tensor = Tensor::from_string_array((shape, strings.as_slice()))?;
                let name = self.manifest.inputs.text.clone();
                self.run(ort::inputs![name => tensor], texts.len())
            }
            InputKind::TokenIds => {
                let tokenizer = self.tokenizer.as_ref().expect("token-id models have a tokenizer");
                let encodings = texts
                    .iter()
                    .map(|t| tokenizer.encode(*t, true))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ModelError::Invalid(format!("{}: tokenizer: {e}", self.name)))?;
                let width = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0).max(1);
                let mut ids = vec![0i64; texts.len() * width];
                let mut mask = vec![0i64; texts.len() * width];
                let mut types = vec![0i64; texts.len() * width];
                for (r, e) in encodings.iter().enumerate() {
                    for (k, ((&id, &m), &ty)) in
                        e.get_ids().iter().zip(e.get_attention_mask()).zip(e.get_type_ids()).enumerate()
                    {
                        ids[r * width + k] = i64::from(id);
                        mask[r * width + k] = i64::from(m);
                        types[r * width + k] = i64::from(ty);
                    }
                }
                let shape = [texts.len(), width];
                let names = self.manifest.inputs.clone();
                let mut inputs = ort::inputs![names.input_ids => Tensor::from_array((shape, ids))?];
                if self.feeds_mask {
                    inputs.push((names.attention_mask.into(), Tensor::from_array((shape, mask))?.into()));
                }
                if self.feeds_type_ids {
                    inputs.push((names.token_type_ids.into(), Tensor::from_array((shape, types))?.into()));
                }
                self.run(inputs, texts.len())
            }
        }
    }

    fn run(
        &mut self,
        inputs: Vec<(std::borrow::Cow<'_, str>, ort::session::SessionInputValue<'_>)>,
        rows: usize,
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        let classes = self.to_project.len();
        let output_name = self.manifest.output.clone();
        let outputs = self.session.run(inputs)?;
        let (shape, flat) = outputs[output_name.as_str()].try_extract_tensor::<f32>()?;
        if shape.len() != 2 || shape[0] as usize != rows || shape[1] as usize != classes {
            return Err(ModelError::Invalid(format!(
                "{}: output `{output_name}` has shape {:?}, expected [{rows}, {classes}]",
                self.name,
                shape.to_vec()
            )));
        }
        Ok(flat
            .chunks_exact(classes)
            .map(|row| {
                let mut p = row.to_vec();
                if self.manifest.output_is == OutputIs::Logits {
                    if self.multi_label {
                        p.iter_mut().for_each(|z| *z = sigmoid(*z));
                    } else {
                        softmax_in_place(&mut p);
                    }
                }
                let mut projected = vec![0.0; classes];
                for (k, &to) in self.to_project.iter().enumerate() {
                    projected[to] = p[k];
                }
                projected
            })
            .collect())
    }
}

/// A refusal to load a model: `MANIFEST: why`.
fn refusal(manifest: &str, why: String) -> ModelError {
    ModelError::Invalid(format!("{manifest}: {why}"))
}

/// Where each of the model's labels sits in the project's order; refused unless the two are the same set.
fn project_order(model_labels: &[String], project_labels: &[String]) -> Result<Vec<usize>, String> {
    let mut model_sorted = model_labels.to_vec();
    model_sorted.sort();
    let mut project_sorted = project_labels.to_vec();
    project_sorted.sort();
    if model_sorted != project_sorted {
        return Err(format!(
            "the model's labels [{}] are not the project's [{}]",
            model_labels.join(", "),
            project_labels.join(", ")
        ));
    }
    Ok(model_labels.iter().map(|l| project_labels.iter().position(|p| p == l).unwrap_or(0)).collect())
}

/// A session on the model file, refused with the manifest's name when the file does not exist.
fn open_session(runtime: &Runtime, model_file: &Path, manifest: &str) -> Result<Session, ModelError> {
    if !model_file.is_file() {
        return Err(refusal(manifest, format!("model file {} does not exist", model_file.display())));
    }
    runtime.session_from_file(model_file, 1)
}

/// What feeding the model needs besides its session, by the manifest's kind of input.
struct Feeding {
    featurizer: Option<Featurizer>,
    tokenizer: Option<Tokenizer>,
    text_rank: usize,
    feeds_mask: bool,
    feeds_type_ids: bool,
}

/// Checks that the model has the inputs the manifest's kind of input needs, and prepares what feeds them:
/// the featurizer for sparse input, the rank of the string tensor for text, the tokenizer and the optional
/// mask and type-id inputs for token ids.
fn check_inputs(session: &Session, manifest: &Manifest, base: &Path, name: &str) -> Result<Feeding, ModelError> {
    let refuse = |why: String| refusal(name, why);
    let need = |input: &str, element: TensorElementType, ranks: &[usize]| {
        require_input(session, input, element, ranks).map_err(refuse)
    };
    let names = &manifest.inputs;
    let mut feeding =
        Feeding { featurizer: None, tokenizer: None, text_rank: 1, feeds_mask: false, feeds_type_ids: false };
    match manifest.input {
        InputKind::Sparse => {
            need(&names.idx, TensorElementType::Int64, &[2])?;
            need(&names.val, TensorElementType::Float32, &[2])?;
            let bits = manifest.hash_bits.unwrap_or(18);
            feeding.featurizer = Some(Featurizer::new(FeaturizerSpec::new(bits)).map_err(refuse)?);
        }
        InputKind::Text => {
            feeding.text_rank = need(&names.text, TensorElementType::String, &[1, 2])?;
        }
        InputKind::TokenIds => {
            need(&names.input_ids, TensorElementType::Int64, &[2])?;
            feeding.feeds_mask = input_type(session, &names.attention_mask).is_some();
            if feeding.feeds_mask {
                need(&names.attention_mask, TensorElementType::Int64, &[2])?;
            }
            feeding.feeds_type_ids = input_type(session, &names.token_type_ids).is_some();
            if feeding.feeds_type_ids {
                need(&names.token_type_ids, TensorElementType::Int64, &[2])?;
            }
            feeding.tokenizer = Some(load_tokenizer(manifest, base).map_err(refuse)?);
        }
    }
    Ok(feeding)
}

/// The type of the model's input `input`, if it has one.
fn input_type(session: &Session, input: &str) -> Option<ValueType> {
    session.inputs().iter().find(|i| i.name() == input).map(|i| i.dtype().clone())
}

/// The rank of input `input`, which must be a tensor of `element` with one of `ranks`.
fn require_input(session: &Session, input: &str, element: TensorElementType, ranks: &[usize]) -> Result<usize, String> {
    match input_type(session, input) {
        Some(ValueType::Tensor { ty, shape, .. }) if ty == element && ranks.contains(&shape.len()) => Ok(shape.len()),
        Some(other) => Err(format!("input `{input}` is {other:?}, but a {element:?} tensor is needed")),
        None => {
            let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
            Err(format!("the model has no input `{input}` (its inputs: {})", names.join(", ")))
        }
    }
}

/// The manifest's tokenizer, truncating to its `max_length` and padding nothing (batches are padded when
/// they are fed).
fn load_tokenizer(manifest: &Manifest, base: &Path) -> Result<Tokenizer, String> {
    let file = manifest.tokenizer.as_ref().ok_or("input = \"token-ids\" needs `tokenizer = \"tokenizer.json\"`")?;
    let path = base.join(file);
    let mut tokenizer =
        Tokenizer::from_file(&path).map_err(|e| format!("cannot read the tokenizer {}: {e}", path.display()))?;
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: manifest.max_length.max(1), ..Default::default() }))
        .map_err(|e| format!("tokenizer: {e}"))?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

/// Checks that the model has the output `output`, a float tensor `[N, classes]` (or `[N, ?]`).
fn check_output(session: &Session, output: &str, classes: usize) -> Result<(), String> {
    match session.outputs().iter().find(|o| o.name() == output).map(|o| o.dtype().clone()) {
        Some(ValueType::Tensor { ty: TensorElementType::Float32, shape, .. })
            if shape.len() == 2 && (shape[1] < 0 || shape[1] as usize == classes) =>
        {
            Ok(())
        }
        Some(other) => {
            Err(format!("output `{output}` is {other:?}, but Float32[N,{classes}] is needed for {classes} labels"))
        }
        None => {
            let outs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
            Err(format!("the model has no output `{output}` (its outputs: {})", outs.join(", ")))
        }
    }
}
