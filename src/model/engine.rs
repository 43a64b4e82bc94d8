//! One face for every model that can score a project: margin's own linear model or a bring-your-own
//! model. Scoring happens in two steps so a pipeline can split them across threads: `Preparer` turns
//! texts into rows (featurizing, for models that take margin's features) and `Engine::score` runs rows
//! through ONNX Runtime. Probabilities always come in the project's label order.

use super::ModelError;
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
    Features(Box<Featurizer>),
    Texts,
}

/// A batch of input rows.
#[derive(Debug, Clone)]
pub enum Rows {
    Features(SparseRows),
    Texts(Vec<String>),
}

impl Engine {
    pub fn preparer(&self) -> Preparer {
        match self {
            Engine::Linear(s) => Preparer::Features(Box::new(s.featurizer().clone())),
            Engine::External(e) => match (e.input_kind(), e.featurizer()) {
                (InputKind::Sparse, Some(f)) => Preparer::Features(Box::new(f.clone())),
                _ => Preparer::Texts,
            },
        }
    }

    /// Probabilities for every row, in the project's label order.
    pub fn score(&mut self, rows: &Rows) -> Result<Vec<Vec<f32>>, ModelError> {
        match (self, rows) {
            (Engine::Linear(s), Rows::Features(r)) => s.score_rows(r),
            (Engine::External(e), Rows::Features(r)) => e.score_rows(r),
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
            Preparer::Features(_) => Rows::Features(SparseRows::new()),
            Preparer::Texts => Rows::Texts(Vec::new()),
        }
    }
}

impl Rows {
    /// Adds `text` as the next row.
    pub fn push(&mut self, preparer: &Preparer, text: &str, scratch: &mut Scratch) {
        match (self, preparer) {
            (Rows::Features(rows), Preparer::Features(f)) => rows.push_text(f, text, scratch),
            (Rows::Texts(texts), _) => texts.push(text.to_string()),
            (Rows::Features(_), Preparer::Texts) => unreachable!("rows are made by their own preparer"),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Features(r) => r.len(),
            Rows::Texts(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How wide row `r` is once padded: features, or bytes of text (a stand-in for tokens).
    pub fn width(&self, r: usize) -> usize {
        match self {
            Rows::Features(rows) => rows.offsets[r + 1] - rows.offsets[r],
            Rows::Texts(t) => t[r].len(),
        }
    }

    /// Appends row `r` of `other`.
    pub fn push_row_of(&mut self, other: &Rows, r: usize) {
        match (self, other) {
            (Rows::Features(mine), Rows::Features(theirs)) => {
                let (idx, val) = theirs.row(r);
                mine.idx.extend_from_slice(idx);
                mine.val.extend_from_slice(val);
                mine.offsets.push(mine.idx.len());
            }
            (Rows::Texts(mine), Rows::Texts(theirs)) => mine.push(theirs[r].clone()),
            _ => unreachable!("rows of one pipeline are all of one kind"),
        }
    }
}
