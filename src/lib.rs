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
//! - [`config`]: margin.toml, keys.toml, manifests.
//! - [`app`]: the use cases (import, serve, score, train, retrain, explain, triage rulings, simulate), each
//!   once, with typed errors; `app::worker` holds the threads that carry out the screens' effects.
//! - [`tui`]: the screens: pure `update` and `view`, and the terminal loop. Never touches the store or the
//!   model: its effects are carried out by `app::worker`.
//! - [`cli`]: parses arguments and wires the layers together; anyhow lives here.
//!
//! ARCHITECTURE.md says where everything lives; `tests/layers.rs` keeps these rules true.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod formats;
pub mod logging;
pub mod model;
pub mod store;
pub mod tui;
