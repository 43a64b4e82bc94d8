//! The zero-shot model: before labels exist to train on, predictions from the label descriptions alone.
//! It is an ONNX model of margin's own format (a combined head with no word weights, whose embedding part
//! is each label's description vector over the zero-shot temperature), registered as a model version, so
//! the scoring, the queue, the screen and the audit trail treat it as any other model. It is marked by
//! what it was trained on ([`ZERO_SHOT_SOURCE`]): the screen calls it a guess and shows no accuracy, since
//! nothing has calibrated it. The first model trained on labels replaces it (and starts from it, calibrated:
//! see `model::combined`). The queue's first batches stay a cold start under it (`app::serve` says why).
//!
//! Only single-label projects get one: for a multi-label project the cosines say nothing about how many
//! labels apply.

use std::path::Path;

use crate::app::train::{MODELS_DIR, TrainError, write_checked};
use crate::config::ProjectConfig;
use crate::domain::{ModelKind, TaskKind};
use crate::model::Runtime;
use crate::model::card::{LINEAR_FORMAT, ModelCard, Training};
use crate::model::combined::{EncoderRef, ZERO_SHOT_BITS, zero_shot_head};
use crate::model::encoder::SharedEncoder;
use crate::model::features::FeaturizerSpec;
use crate::store::{NewModelVersion, Store};

pub use crate::model::combined::ZERO_SHOT_SOURCE;

/// Makes a zero-shot model the current one when the project has none (and is single-label); returns its
/// version, or `None` when nothing was made.
pub fn make_zero_shot_if_no_model(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: &SharedEncoder,
    user: &str,
) -> Result<Option<i64>, TrainError> {
    if !config.model.zero_shot
        || config.task != TaskKind::SingleLabel
        || store.current_model()?.is_some()
        || config.labels.len() < 2
    {
        return Ok(None);
    }
    let (reference, prompts) = {
        let mut encoder = encoder.lock().unwrap_or_else(|p| p.into_inner());
        let prompts: Vec<String> = config.labels.iter().map(|l| l.prompt()).collect();
        let prompts = encoder.embed(&prompts.iter().map(String::as_str).collect::<Vec<_>>())?;
        (EncoderRef { identity: encoder.identity().to_string(), dimensions: encoder.dimensions() }, prompts)
    };
    let trained_at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let card = ModelCard {
        format: LINEAR_FORMAT.to_string(),
        labels: config.label_names(),
        task: config.task,
        featurizer: FeaturizerSpec::new(ZERO_SHOT_BITS),
        training: Training {
            source: ZERO_SHOT_SOURCE.to_string(),
            examples: 0,
            c: 0.0,
            epochs: 0,
            seed: 0,
            committee_member: None,
        },
        metrics: None,
        temperature: f64::from(crate::domain::zero_shot::TEMPERATURE),
        margin_version: env!("CARGO_PKG_VERSION").to_string(),
        trained_at: trained_at.clone(),
        encoder: Some(reference.clone()),
    };
    let head = zero_shot_head(&prompts, reference.dimensions);
    let stem: String = trained_at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let (path, sha256) =
        write_checked(&dir.join(MODELS_DIR), &format!("{stem}-zero-shot"), &head, &card, runtime, Some(encoder))?;
    let version = store.add_model(
        &NewModelVersion {
            kind: ModelKind::Linear,
            path,
            sha256,
            labels: card.labels.clone(),
            train_size: 0,
            metrics: "null".into(),
            trained_by: user.to_string(),
            trained_on: ZERO_SHOT_SOURCE.into(),
            decisions_upto: None,
            data_as_of: None,
        },
        &[],
    )?;
    Ok(Some(version))
}
