//! The schema's migrations, numbered and append-only: a released migration is never edited.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::StoreError;

const STEPS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_models.sql"),
    include_str!("migrations/0003_queue.sql"),
    include_str!("migrations/0004_retrain.sql"),
    include_str!("migrations/0005_reference_index.sql"),
    include_str!("migrations/0006_shortlist.sql"),
    include_str!("migrations/0007_events_by_kind.sql"),
    include_str!("migrations/0008_triage.sql"),
    include_str!("migrations/0009_shortlist_routing.sql"),
    include_str!("migrations/0010_model_data_as_of.sql"),
    include_str!("migrations/0011_model_file_labels.sql"),
    include_str!("migrations/0012_embeddings.sql"),
    include_str!("migrations/0013_gold_index.sql"),
    include_str!("migrations/0014_review.sql"),
    include_str!("migrations/0015_tallies.sql"),
    include_str!("migrations/0016_span_predictions.sql"),
];

/// The migration after which the tables derived from the decisions (the review index of 0014, the person
/// labels and tallies of 0015) are filled from the decisions already made, all at once: filling the
/// review index alone at 0014 would write to tallies that do not exist yet.
const FILLED_FROM_DECISIONS: usize = 14;

/// The version a fully migrated database reports in `PRAGMA user_version`.
pub const LATEST: u32 = STEPS.len() as u32;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(
        STEPS
            .iter()
            .enumerate()
            .map(|(i, sql)| {
                if i == FILLED_FROM_DECISIONS {
                    M::up_with_hook(sql, |tx: &rusqlite::Transaction<'_>| {
                        super::item_state::rebuild_item_states(tx)
                            .and_then(|()| super::tallies::record_learned_for_all(tx))
                            .map_err(|e| rusqlite_migration::HookError::Hook(e.to_string()))
                    })
                } else {
                    M::up(sql)
                }
            })
            .collect(),
    )
}

/// Brings the database up to [`LATEST`], refusing one made by a newer margin.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
    if found > LATEST {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known: LATEST });
    }
    if found == LATEST {
        return Ok(());
    }
    migrations().to_latest(conn).map_err(|e| StoreError::Migrate { path: path.to_path_buf(), message: e.to_string() })
}
