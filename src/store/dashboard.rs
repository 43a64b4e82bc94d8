//! The counts the statistics dashboard needs from the review index (`item_state`) per value of a metadata
//! field: the model's accuracy, and each item's value for people's agreement (the rest of the dashboard
//! comes from the running tallies).

use rusqlite::params;

use super::{Result, Store};
use crate::domain::dashboard::Slice;

/// What a metadata field's slice is called when an item has no value for it.
pub const NO_VALUE: &str = "(none)";

impl Store {
    /// The model's accuracy on settled items (its prediction when the labels were given, against them) per
    /// value of the metadata field `field` (compared as text; items without it are [`NO_VALUE`]).
    pub fn slices(&self, field: &str) -> Result<Vec<Slice>> {
        let path = format!("$.\"{}\"", field.replace('"', ""));
        let mut stmt = self.conn.prepare(
            "SELECT coalesce(CAST(json_extract(CASE WHEN json_valid(i.meta) THEN i.meta END, ?1) AS TEXT), ?2),
                    count(*), sum(1 - s.disagrees)
               FROM item_state s JOIN items i ON i.id = s.item_id
              WHERE s.status = 'decided' AND s.predicted IS NOT NULL
              GROUP BY 1",
        )?;
        let rows = stmt.query_map(params![path, NO_VALUE], |r| {
            Ok(Slice {
                value: r.get(0)?,
                items: r.get::<_, i64>(1)?.unsigned_abs(),
                right: r.get::<_, i64>(2)?.unsigned_abs(),
                pairs: 0,
                pairs_agreed: 0,
                flagged: false,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Each settled or disputed item's value of the metadata field `field` (as text; [`NO_VALUE`] without
    /// it), by item id.
    pub fn slice_values(&self, field: &str) -> Result<std::collections::BTreeMap<i64, String>> {
        let path = format!("$.\"{}\"", field.replace('"', ""));
        let mut stmt = self.conn.prepare(
            "SELECT s.item_id, coalesce(CAST(json_extract(CASE WHEN json_valid(i.meta) THEN i.meta END, ?1) AS TEXT), ?2)
               FROM item_state s JOIN items i ON i.id = s.item_id
              WHERE s.status IN ('decided', 'disputed')",
        )?;
        let rows = stmt.query_map(params![path, NO_VALUE], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
