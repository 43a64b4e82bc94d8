//! Issue 14's defects, each as a careless or hostile user meets them: the real binary on a real SQLite
//! file (and a pseudo-terminal where a terminal is involved). Each module holds the tests of one defect.

#[path = "../common/mod.rs"]
mod common;

mod decide_rules;
mod export_guard;
mod hostile_output;
mod identity;
mod import_chunks;
mod labels;
mod lost_database;
mod model_pointer;
mod small;
