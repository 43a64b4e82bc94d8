//! Explaining predictions with the current model: word contributions (exact from the weights for margin's
//! linear models, by leaving words out for others), the counterfactual hint checked through ONNX Runtime,
//! and the nearest labelled items. Wires `store` and `model` for `margin explain` and the screen's
//! explanation worker; imports nothing from either.

use std::path::Path;

use crate::app::score::{ScoreError, load_engines};
use crate::config::ProjectConfig;
use crate::model::encoder::SharedEncoder;
use crate::model::engine::Engine;
use crate::model::explain::{
    Counterfactual, Explainer, Similar, SimilarIndex, WordContribution, counterfactual, distinct_words, occlusion,
    top_label, without_words,
};
use crate::model::features::{Featurizer, FeaturizerSpec, SparseVector};
use crate::model::{ModelError, Runtime};
use crate::store::{LabelSource, ModelVersion, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Load(#[from] ScoreError),
    #[error("{}: cannot read the model file: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("{0}")]
    Featurizer(String),
}

/// The most words left out one at a time to explain a combined model's vector part.
pub const OCCLUDED_WORDS: usize = 16;

/// Everything said about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub probabilities: Vec<f32>,
    pub predicted: usize,
    pub words: Vec<WordContribution>,
    pub counterfactual: Option<Counterfactual>,
    pub similar: Vec<Similar>,
}

/// The current model, loaded to explain, with the labelled items to compare with.
pub struct ExplainModel {
    pub version: ModelVersion,
    engine: Engine,
    exact: Option<Explainer>,
    featurizer: Featurizer,
    index: SimilarIndex,
    /// The index holds sentence vectors (similar by meaning), not feature vectors.
    by_meaning: bool,
    /// Where the similar items' labels come from (people's decisions, else imported reference labels).
    pub similar_from: LabelSource,
    labels: Vec<String>,
}

impl ExplainModel {
    /// Loads the project's current model; `None` when there is none.
    pub fn load(
        dir: &Path,
        config: &ProjectConfig,
        store: &mut Store,
        runtime: &Runtime,
        encoder: Option<&SharedEncoder>,
    ) -> Result<Option<ExplainModel>, ExplainError> {
        let Some(version) = store.current_model()? else { return Ok(None) };
        let (engine, _) = load_engines(dir, config, store, runtime, encoder, &version)?;
        let (exact, featurizer) = match &engine {
            Engine::Linear(scorer) => {
                let path = dir.join(&version.path);
                let bytes = std::fs::read(&path).map_err(|source| ExplainError::Read { path, source })?;
                (Some(Explainer::from_onnx(&bytes)?), scorer.featurizer().clone())
            }
            Engine::External(_) => {
                (None, Featurizer::new(FeaturizerSpec::new(config.model.hash_bits)).map_err(ExplainError::Featurizer)?)
            }
        };
        // Neighbours among items people labelled; a project that has none yet uses its reference labels.
        let mut examples = store.training_examples(LabelSource::Decisions)?;
        let mut similar_from = LabelSource::Decisions;
        if examples.is_empty() {
            examples = store.training_examples(LabelSource::Reference)?;
            similar_from = LabelSource::Reference;
        }
        // By meaning when the model takes sentence vectors (the labelled items' stored ones), else by words.
        let vectors = match engine.encoder() {
            Some(e) => {
                let encoder = store.encoder_id(&e.identity, e.dimensions)?;
                Some(store.vectors_of(encoder, &examples.iter().map(|e| e.item_id).collect::<Vec<_>>())?)
            }
            None => None,
        };
        let index = match &vectors {
            Some(vectors) => SimilarIndex::from_vectors(
                examples
                    .iter()
                    .filter_map(|e| Some((e.item_id, vectors.get(&e.item_id)?.as_slice(), e.labels.clone()))),
            ),
            None => SimilarIndex::build(
                &featurizer,
                examples.iter().map(|e| (e.item_id, e.text.as_str(), e.labels.clone())),
            ),
        };
        let by_meaning = vectors.is_some();
        let labels = config.label_names();
        Ok(Some(ExplainModel { version, engine, exact, featurizer, index, by_meaning, similar_from, labels }))
    }

    /// A combined model's word contributions from its vector part, by leaving each word out and embedding
    /// the text again (one batch through the encoder): the [`OCCLUDED_WORDS`] words the n-gram part weighs
    /// most, so that a long text costs no more than a short one.
    fn add_embedding_part(
        &self,
        explainer: &Explainer,
        text: &str,
        words: &mut [WordContribution],
        predicted: usize,
    ) -> Result<(), ExplainError> {
        let Engine::Linear(scorer) = &self.engine else { return Ok(()) };
        let mut distinct = distinct_words(words);
        if distinct.len() > OCCLUDED_WORDS {
            let weight = |word: &String| -> f32 {
                words.iter().filter(|w| w.word.to_lowercase() == *word).map(|w| w.contribution.abs()).sum()
            };
            distinct.sort_by(|a, b| weight(b).total_cmp(&weight(a)).then_with(|| a.cmp(b)));
            distinct.truncate(OCCLUDED_WORDS);
        }
        let mut texts = vec![text.to_string()];
        texts.extend(distinct.iter().map(|w| without_words(text, words, std::slice::from_ref(w))));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let Some(flat) = scorer.embed(&refs)? else { return Ok(()) };
        let dims = flat.len() / texts.len().max(1);
        let vectors: Vec<Vec<f32>> = flat.chunks_exact(dims.max(1)).map(<[f32]>::to_vec).collect();
        explainer.add_embedding_part(words, &vectors[0], &distinct, &vectors[1..], predicted);
        Ok(())
    }

    /// Explains `text` (the item `item_id`, left out of its own neighbours), with `similar` neighbours.
    pub fn explain(&mut self, text: &str, item_id: Option<i64>, similar: usize) -> Result<Explained, ExplainError> {
        self.explain_as(text, item_id, similar, None)
    }

    /// As [`ExplainModel::explain`], toward the label `shown` when given: the one the screen shows from
    /// the stored prediction. Scored again here, a near tie can fall the other way (the stored vector is
    /// rounded to a byte per dimension), and a hint "it would say X" must never name the label on screen.
    pub fn explain_as(
        &mut self,
        text: &str,
        item_id: Option<i64>,
        similar: usize,
        shown: Option<usize>,
    ) -> Result<Explained, ExplainError> {
        let probabilities = self.engine.score_texts(&[text])?.remove(0);
        let predicted = shown.filter(|&k| k < probabilities.len()).unwrap_or_else(|| top_label(&probabilities));
        let words = match &self.exact {
            Some(explainer) => {
                let mut words = explainer.contributions(text, predicted);
                if explainer.has_embedding_part() {
                    self.add_embedding_part(explainer, text, &mut words, predicted)?;
                }
                words
            }
            None => occlusion(&mut self.engine, text, predicted)?,
        };
        let hint = counterfactual(&mut self.engine, &self.labels, text, &words, predicted)?;
        let query = match &self.engine {
            Engine::Linear(scorer) if self.by_meaning => match scorer.embed(&[text])? {
                Some(vector) => SparseVector::dense(&vector),
                None => SparseVector::default(),
            },
            _ => self.featurizer.featurize(text),
        };
        let similar = self.index.nearest(&query, similar, item_id);
        Ok(Explained { probabilities, predicted, words, counterfactual: hint, similar })
    }
}
