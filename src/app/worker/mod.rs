//! The threads that own the store and the model for the screens: they carry out the `Effect`s a screen's
//! pure update returns and answer with messages, so the screen never waits on the disk or the model.
//! - [`annotate`]: the annotation screen's worker (serving batches, saving decisions, retraining).
//! - [`triage`]: the triage screen's worker (loading cases, carrying out rulings).
//! - [`explain`]: the model thread both screens share: ONNX Runtime started once, explanations off the
//!   worker so a save never waits behind one.

pub mod annotate;
pub mod explain;
pub mod triage;
