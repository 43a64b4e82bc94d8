//! One face for every model that can score a project: margin's own linear model or a bring-your-own
//! model. Scoring happens in two steps so a pipeline can split them across threads: `Preparer` turns
//! texts into rows (featurizing, for models that take margin's features) and `Engine::score` runs rows
//! through ONNX Runtime. Probabilities always come in the project's label order.

use super::ModelError;
use super::combined::EncoderRef;
use super::external::{ExternalModel, InputKind};
use super::features::{Featurizer, Scratch, SparseRows};
use super::scorer::Scorer;

/// A model ready to score.
#[derive(Debug)]
pub enum Engine {
    Linear(Box<Scorer>),
    External(Box<ExternalModel>),
}

/// What turns texts into an engine's input rows; cheap to clone, so the reading thread can own one.
#[derive(Debug, Clone)]
pub enum Preparer {
    /// Featurize; for a combined model, also take each item's sentence vector of `dimensions`.
    Features {
        featurizer: Box<Featurizer>,
        dimensions: Option<usize>,
    },
    Texts,
}

/// A batch of input rows.
#[derive(Debug, Clone)]
pub enum Rows {
    /// Feature vectors, and for a combined model each row's sentence vector (`dimensions` values per row,
    /// zeros for an item not embedded yet).
    Features {
        sparse: SparseRows,
        vectors: Vec<f32>,
        dimensions: Option<usize>,
    },
    Texts(Vec<String>),
}

impl Engine {
    pub fn preparer(&self) -> Preparer {
        match self {
            Engine::Linear(s) => Preparer::Features {
                featurizer: Box::new(s.featurizer().clone()),
                dimensions: s.embedding_dimensions(),
            },
            Engine::External(e) => match (e.input_kind(), e.featurizer()) {
                (InputKind::Sparse, Some(f)) => {
                    Preparer::Features { featurizer: Box::new(f.clone()), dimensions: None }
                }
                _ => Preparer::Texts,
            },
        }
    }

    /// Whether the model says nothing about an item without its vector (see [`Scorer::needs_vectors`]).
    pub fn needs_vectors(&self) -> bool {
        matches!(self, Engine::Linear(s) if s.needs_vectors())
    }

    /// The sentence encoder whose vectors a combined model takes.
    pub fn encoder(&self) -> Option<&EncoderRef> {
        match self {
            Engine::Linear(s) => s.card().encoder.as_ref(),
            Engine::External(_) => None,
        }
    }

    /// Probabilities for every row, in the project's label order.
    pub fn score(&mut self, rows: &Rows) -> Result<Vec<Vec<f32>>, ModelError> {
        match (self, rows) {
            (Engine::Linear(s), Rows::Features { sparse, vectors, dimensions }) => {
                s.score_rows(sparse, dimensions.map(|_| vectors.as_slice()))
            }
            (Engine::External(e), Rows::Features { sparse, .. }) => e.score_rows(sparse),
            (engine, Rows::Texts(texts)) => {
                let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
                engine.score_texts(&texts)
            }
        }
    }

    /// Probabilities for every text, in the project's label order.
    pub fn score_texts(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        match self {
            Engine::Linear(s) => s.score_texts(texts),
            Engine::External(e) => e.score_texts(texts),
        }
    }
}

impl Preparer {
    pub fn empty_rows(&self) -> Rows {
        match self {
            Preparer::Features { dimensions, .. } => {
                Rows::Features { sparse: SparseRows::new(), vectors: Vec::new(), dimensions: *dimensions }
            }
            Preparer::Texts => Rows::Texts(Vec::new()),
        }
    }

    /// The dimensions of the sentence vectors the rows need (`None` when they need none).
    pub fn dimensions(&self) -> Option<usize> {
        match self {
            Preparer::Features { dimensions, .. } => *dimensions,
            Preparer::Texts => None,
        }
    }
}

impl Rows {
    /// Adds `text` (with its sentence vector, when it has one) as the next row.
    pub fn push(&mut self, preparer: &Preparer, text: &str, vector: Option<&[f32]>, scratch: &mut Scratch) {
        match (self, preparer) {
            (Rows::Features { sparse, vectors, dimensions }, Preparer::Features { featurizer, .. }) => {
                sparse.push_text(featurizer, text, scratch);
                if let Some(dims) = *dimensions {
                    match vector {
                        Some(v) if v.len() == dims => vectors.extend_from_slice(v),
                        _ => vectors.resize(vectors.len() + dims, 0.0),
                    }
                }
            }
            (Rows::Texts(texts), _) => texts.push(text.to_string()),
            (Rows::Features { .. }, Preparer::Texts) => unreachable!("rows are made by their own preparer"),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Features { sparse, .. } => sparse.len(),
            Rows::Texts(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How wide row `r` is once padded: features, or bytes of text (a stand-in for tokens).
    pub fn width(&self, r: usize) -> usize {
        match self {
            Rows::Features { sparse, .. } => sparse.offsets[r + 1] - sparse.offsets[r],
            Rows::Texts(t) => t[r].len(),
        }
    }

    /// Appends row `r` of `other`.
    pub fn push_row_of(&mut self, other: &Rows, r: usize) {
        match (self, other) {
            (
                Rows::Features { sparse: mine, vectors: my_vectors, dimensions: Some(dims) },
                Rows::Features { sparse: theirs, vectors: their_vectors, .. },
            ) => {
                mine.push_row(theirs.row(r));
                my_vectors.extend_from_slice(&their_vectors[r * *dims..(r + 1) * *dims]);
            }
            (Rows::Features { sparse: mine, .. }, Rows::Features { sparse: theirs, .. }) => {
                mine.push_row(theirs.row(r))
            }
            (Rows::Texts(mine), Rows::Texts(theirs)) => mine.push(theirs[r].clone()),
            _ => unreachable!("rows of one pipeline are all of one kind"),
        }
    }
}
