//! Explaining predictions with the current model: word contributions (exact from the weights for margin's
//! linear models, by leaving words out for others), the counterfactual hint checked through ONNX Runtime,
//! and the nearest labelled items. Wires `store` and `model` for `margin explain` and the screen's
//! explanation worker; imports nothing from either.

use std::path::Path;

use crate::app::score::{ScoreError, load_engines};
use crate::config::ProjectConfig;
use crate::model::engine::Engine;
use crate::model::explain::{
    Counterfactual, Explainer, Similar, SimilarIndex, WordContribution, counterfactual, occlusion, top_label,
};
use crate::model::features::{Featurizer, FeaturizerSpec};
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
    ) -> Result<Option<ExplainModel>, ExplainError> {
        let Some(version) = store.current_model()? else { return Ok(None) };
        let (engine, _) = load_engines(dir, config, store, runtime, &version)?;
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
        let index =
            SimilarIndex::build(&featurizer, examples.iter().map(|e| (e.item_id, e.text.as_str(), e.labels.clone())));
        Ok(Some(ExplainModel { version, engine, exact, featurizer, index, similar_from, labels: config.label_names() }))
    }

    /// Explains `text` (the item `item_id`, left out of its own neighbours), with `similar` neighbours.
    pub fn explain(&mut self, text: &str, item_id: Option<i64>, similar: usize) -> Result<Explained, ExplainError> {
        let probabilities = self.engine.score_texts(&[text])?.remove(0);
        let predicted = top_label(&probabilities);
        let words = match &self.exact {
            Some(explainer) => explainer.contributions(text, predicted),
            None => occlusion(&mut self.engine, text, predicted)?,
        };
        let hint = counterfactual(&mut self.engine, &self.labels, text, &words, predicted)?;
        let similar = self.index.nearest(&self.featurizer.featurize(text), similar, item_id);
        Ok(Explained { probabilities, predicted, words, counterfactual: hint, similar })
    }
}
