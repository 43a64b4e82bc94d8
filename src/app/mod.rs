//! The use cases, each written once: typed inputs, a typed error (thiserror) per use case, no printing.
//! The CLI and the screens call them; they wire `store`, `model`, `formats` and the pure `domain`.
//! - [`project`]: where a project lives on disk, opening it.
//! - [`serve`]: the next batch for a person (active learning, routing, leases).
//! - [`score`]: scoring items through ONNX Runtime, the scoring pipeline's threads.
//! - [`dashboard`]: the statistics dashboard's figures.
//! - [`train`]: a new model version end to end.
//! - [`retrain`]: retraining from decisions, scoring the pool, making the new model current.
//! - [`embed`]: computing the items' vectors with a sentence encoder.
//! - [`explain`]: explaining a prediction with the current model.
//! - [`review`]: the review's search by meaning.
//! - [`simulate`]: the whole loop with reference labels as the annotator, for measuring strategies.
//! - [`worker`]: the threads that carry out the screens' effects.
//! - [`zero_shot`]: the model made from label descriptions alone, before there are labels to train on.

pub mod dashboard;
pub mod embed;
pub mod explain;
pub mod files;
pub mod import;
pub mod project;
pub mod retrain;
pub mod reveal;
pub mod review;
pub mod score;
pub mod serve;
pub mod simulate;
pub mod span_train;
pub mod spans;
pub mod train;
pub mod triage;
pub mod worker;
pub mod zero_shot;
