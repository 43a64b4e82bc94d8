//! Scoring through ONNX Runtime: a margin model file loaded into a session, checked against the project
//! at load, and run on batches of feature vectors.
//!
//! A model is refused at load, with one line saying why, when it is not ONNX, is cut short, does not take
//! `idx int64[N,K]` and `val float[N,K]`, does not give `probabilities float[N,C]`, or knows other labels
//! than the project. A combined model (its card names a sentence encoder) also takes `embedding
//! float[N,D]`, and is refused unless that encoder is loaded beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{Tensor, TensorElementType, ValueType};

use super::ModelError;
use super::card::{LINEAR_FORMAT, ModelCard};
use super::encoder::SharedEncoder;
use super::features::{Featurizer, Scratch, SparseRows, SparseVector};
use super::runtime::Runtime;

/// A margin model ready to score.
pub struct Scorer {
    session: Session,
    card: ModelCard,
    featurizer: Featurizer,
    path: PathBuf,
    /// For a combined model: the encoder that embeds texts given as text.
    encoder: Option<SharedEncoder>,
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scorer").field("path", &self.path).field("labels", &self.card.labels).finish()
    }
}

impl Scorer {
    /// Loads the model at `path` and checks it against the project's `labels`; ONNX Runtime may use up to
    /// `threads` threads per operator. A combined model needs its `encoder`.
    pub fn load(
        runtime: &Runtime,
        path: &Path,
        labels: &[String],
        threads: usize,
        encoder: Option<&SharedEncoder>,
    ) -> Result<Scorer, ModelError> {
        let refuse = |why: String| ModelError::Invalid(format!("{}: {why}", path.display()));
        let session = runtime.session_from_file(path, threads)?;
        let props = metadata(&session).map_err(|e| refuse(format!("cannot read its metadata: {e}")))?;
        let card = ModelCard::from_metadata(&props).map_err(|e| refuse(format!("not a margin model: {e}")))?;
        if card.format != LINEAR_FORMAT {
            return Err(refuse(format!("format {:?} is not {LINEAR_FORMAT:?}", card.format)));
        }
        if card.labels != labels {
            return Err(refuse(format!(
                "the model knows the labels [{}] but the project has [{}]; train a new model",
                card.labels.join(", "),
                labels.join(", ")
            )));
        }
        check_input(&session, "idx", TensorElementType::Int64).map_err(refuse)?;
        check_input(&session, "val", TensorElementType::Float32).map_err(refuse)?;
        check_output(&session, "probabilities", labels.len()).map_err(refuse)?;
        let featurizer = Featurizer::new(card.featurizer.clone()).map_err(refuse)?;
        let encoder = match &card.encoder {
            None => None,
            Some(wanted) => {
                // A span model takes its word vectors among the sparse features, not as an input of their own.
                if card.training.source != super::card::SPAN_SOURCE {
                    check_input(&session, "embedding", TensorElementType::Float32).map_err(refuse)?;
                }
                let loaded = encoder.map(|e| e.lock().unwrap_or_else(|p| p.into_inner()).identity().to_string());
                if loaded.as_deref() != Some(wanted.identity.as_str()) {
                    return Err(refuse(format!(
                        "it was trained on vectors from the sentence encoder {}, but {}; install that encoder \
                         (scripts/setup) or train a new model",
                        wanted.identity,
                        loaded.map_or("no encoder is loaded".to_string(), |l| format!("the project's is {l}"))
                    )));
                }
                encoder.cloned()
            }
        };
        Ok(Scorer { session, card, featurizer, path: path.to_path_buf(), encoder })
    }

    /// Whether the model says nothing without a vector (a zero-shot model): items not embedded yet are
    /// left unscored rather than given an even guess.
    pub fn needs_vectors(&self) -> bool {
        self.card.training.source == super::combined::ZERO_SHOT_SOURCE
    }

    /// The dimensions of the vectors a combined model takes as its `embedding` input (`None` for an
    /// n-gram model, and for a span model, which takes its word vectors among the sparse features).
    pub fn embedding_dimensions(&self) -> Option<usize> {
        if self.card.training.source == super::card::SPAN_SOURCE {
            return None;
        }
        self.card.encoder.as_ref().map(|e| e.dimensions)
    }

    /// The sentence encoder the model's card names, loaded.
    pub fn encoder(&self) -> Option<&SharedEncoder> {
        self.encoder.as_ref()
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Feature vectors of `texts`, reusing `scratch`.
    pub fn featurize(&self, texts: &[&str], scratch: &mut Scratch) -> Vec<SparseVector> {
        texts
            .iter()
            .map(|t| {
                let mut v = SparseVector::default();
                self.featurizer.featurize_into(t, scratch, &mut v);
                v
            })
            .collect()
    }

    /// Probabilities for each vector, in the model's label order; `embeddings` (for a combined model) holds
    /// each row's sentence vector, one after the other.
    pub fn score(&mut self, rows: &[SparseVector], embeddings: Option<&[f32]>) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut batch = SparseRows::new();
        for row in rows {
            batch.push(row);
        }
        self.score_rows(&batch, embeddings)
    }

    /// Probabilities for each row of a batch, in the model's label order. A combined model takes each
    /// row's sentence vector from `embeddings` (rows one after the other; all zeros for an item with no
    /// vector yet, which then scores on its n-grams alone); without them every row scores so.
    pub fn score_rows(&mut self, rows: &SparseRows, embeddings: Option<&[f32]>) -> Result<Vec<Vec<f32>>, ModelError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (idx, val, width) = pad(rows);
        let shape = [rows.len(), width];
        let idx = Tensor::from_array((shape, idx))?;
        let val = Tensor::from_array((shape, val))?;
        let outputs = match self.embedding_dimensions() {
            None => self.session.run(ort::inputs!["idx" => idx, "val" => val])?,
            Some(dims) => {
                let matrix = match embeddings {
                    Some(e) if e.len() == rows.len() * dims => e.to_vec(),
                    Some(e) => {
                        return Err(ModelError::Invalid(format!(
                            "{}: given {} vector values for {} rows of {dims}",
                            self.path.display(),
                            e.len(),
                            rows.len()
                        )));
                    }
                    None => vec![0.0; rows.len() * dims],
                };
                let embedding = Tensor::from_array(([rows.len(), dims], matrix))?;
                self.session.run(ort::inputs!["idx" => idx, "val" => val, "embedding" => embedding])?
            }
        };
        let (out_shape, flat) = outputs["probabilities"].try_extract_tensor::<f32>()?;
        let classes = self.card.labels.len();
        if out_shape.len() != 2 || out_shape[0] as usize != rows.len() || out_shape[1] as usize != classes {
            return Err(ModelError::Invalid(format!(
                "{}: gave probabilities of shape {:?} for {} rows and {classes} labels",
                self.path.display(),
                out_shape.to_vec(),
                rows.len()
            )));
        }
        Ok(flat.chunks_exact(classes).map(<[f32]>::to_vec).collect())
    }

    /// Probabilities for each text (embedded first, for a combined model).
    pub fn score_texts(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        let rows = self.featurize(texts, &mut Scratch::default());
        let embeddings = self.embed(texts)?;
        self.score(&rows, embeddings.as_deref())
    }

    /// The texts' sentence vectors one after the other, for a combined model.
    pub fn embed(&self, texts: &[&str]) -> Result<Option<Vec<f32>>, ModelError> {
        let Some(encoder) = &self.encoder else { return Ok(None) };
        let vectors = encoder.lock().unwrap_or_else(|p| p.into_inner()).embed(texts)?;
        Ok(Some(vectors.concat()))
    }
}

/// Pads rows to the longest with index 0 and value 0 (which adds nothing).
pub(crate) fn pad(rows: &SparseRows) -> (Vec<i64>, Vec<f32>, usize) {
    let width = rows.widest().max(1);
    let mut idx = Vec::with_capacity(rows.len() * width);
    let mut val = Vec::with_capacity(rows.len() * width);
    for r in 0..rows.len() {
        let (row_idx, row_val) = rows.row(r);
        idx.extend(row_idx.iter().map(|&i| i64::from(i)));
        idx.resize(idx.len() + width - row_idx.len(), 0);
        val.extend_from_slice(row_val);
        val.resize(val.len() + width - row_val.len(), 0.0);
    }
    (idx, val, width)
}

/// The model's metadata_props.
pub(crate) fn metadata(session: &Session) -> Result<BTreeMap<String, String>, ort::Error> {
    let meta = session.metadata()?;
    let mut props = BTreeMap::new();
    for key in meta.custom_keys()? {
        if let Some(value) = meta.custom(&key) {
            props.insert(key, value);
        }
    }
    Ok(props)
}

fn describe(ty: &ValueType) -> String {
    match ty {
        ValueType::Tensor { ty, shape, .. } => {
            let dims: Vec<String> =
                shape.iter().map(|d| if *d < 0 { "?".to_string() } else { d.to_string() }).collect();
            format!("{ty:?}[{}]", dims.join(","))
        }
        other => format!("{other:?}"),
    }
}

fn check_input(session: &Session, name: &str, element: TensorElementType) -> Result<(), String> {
    let Some(input) = session.inputs().iter().find(|i| i.name() == name) else {
        let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        return Err(format!("has no input `{name}` (its inputs: {})", names.join(", ")));
    };
    match input.dtype() {
        ValueType::Tensor { ty, shape, .. } if *ty == element && shape.len() == 2 => Ok(()),
        other => Err(format!("input `{name}` must be {element:?}[N,K], but is {}", describe(other))),
    }
}

fn check_output(session: &Session, name: &str, classes: usize) -> Result<(), String> {
    let Some(output) = session.outputs().iter().find(|o| o.name() == name) else {
        let names: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        return Err(format!("has no output `{name}` (its outputs: {})", names.join(", ")));
    };
    match output.dtype() {
        ValueType::Tensor { ty: TensorElementType::Float32, shape, .. }
            if shape.len() == 2 && (shape[1] < 0 || shape[1] as usize == classes) =>
        {
            Ok(())
        }
        other => Err(format!(
            "output `{name}` must be Float32[N,{classes}] for the project's {classes} labels, but is {}",
            describe(other)
        )),
    }
}
