//! margin: a terminal workstation where people and a model label text together.
//!
//! The loop: files are imported as items, a model scores them through ONNX Runtime, a queue puts the items
//! that teach the model most in front of people, their decisions land in SQLite, and the model retrains
//! from them.
//!
//! Layers and who may import whom:
//! - [`domain`]: the pure core (items, labels, decisions, outcomes). Imports nothing else of this crate and
//!   no I/O, terminal, database or runtime crates.
//! - [`store`]: the only owner of rusqlite. Imports only `domain`.
//! - [`model`]: the only owner of ort (ONNX Runtime). Imports only `domain`.
//! - [`formats`]: reading import files and writing exports. Imports only `domain`.
//! - [`config`] and [`project`]: margin.toml and where a project lives on disk.
//! - [`scoring`]: the scoring pipeline's threads, wiring `store` and `model`.
//! - [`training`]: a new model version end to end, wiring `store` and `model`.
//! - [`simulate`]: the whole loop with reference labels as the annotator, for measuring strategies.
//! - [`queue`]: serving the next batch to a person, wiring `store`, `model` and the domain's strategies.
//! - [`explanation`]: explaining a prediction with the current model, wiring `store` and `model`.
//! - [`tui`]: the annotation screen: pure `update` and `view`, and the terminal loop. Never touches the
//!   store or the model: its effects are carried out by [`worker`], which wires them.
//! - [`cli`]: parses arguments and wires the layers together; anyhow lives here.
//!
//! `tests/layers.rs` keeps these rules true.

pub mod cli;
pub mod config;
pub mod domain;
pub mod explanation;
pub mod formats;
pub mod logging;
pub mod model;
pub mod project;
pub mod queue;
pub mod retrain;
pub mod scoring;
pub mod simulate;
pub mod store;
pub mod training;
pub mod tui;
pub mod worker;
