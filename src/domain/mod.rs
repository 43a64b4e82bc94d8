//! The pure core of margin: items, labels, decisions and what they add up to.
//!
//! Nothing here does I/O. This module must not import rusqlite, ort, ratatui, crossterm or std::fs, nor any
//! other module of this crate; everything else builds on it.

pub mod access;
pub mod agreement;
pub mod audit;
pub mod dashboard;
pub mod decision;
pub mod embedding;
pub mod function_words;
pub mod guidelines;
pub mod item;
pub mod label;
pub mod model_kind;
pub mod people;
pub mod person_label;
pub mod pii;
pub mod prediction;
pub mod queue;
pub mod report;
pub mod review;
pub mod rng;
pub mod routing;
pub mod spans;
pub mod strategy;
pub mod tally;
pub mod text;
pub mod triage;
pub mod uncertainty;
pub mod vector;
pub mod zero_shot;

pub use decision::{Decision, DecisionAction, ItemOutcome, ModelSnapshot, outcome};
pub use item::{ContentKey, NewItem, StoredItem, content_key, derived_item_id};
pub use label::{LabelSet, TaskKind};
pub use model_kind::ModelKind;
pub use prediction::{ItemView, Predicted, Prediction, predicted, top_label};
pub use strategy::Strategy;
