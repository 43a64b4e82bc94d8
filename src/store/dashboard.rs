//! The counts the statistics dashboard needs from the review index (`item_state`): the calibration
//! diagram's bins and the model's accuracy per value of a metadata field, each one grouped query.

use rusqlite::params;

use super::{Result, Store};
use crate::domain::dashboard::{CalibrationBin, Slice};

/// What a metadata field's slice is called when an item has no value for it.
pub const NO_VALUE: &str = "(none)";

impl Store {
    /// Settled items whose labelling decision carried a prediction, by the prediction's confidence in tenths:
    /// how many, and how many the people agreed with.
    pub fn calibration_bins(&self) -> Result<Vec<CalibrationBin>> {
        let mut stmt = self.conn.prepare(
            "SELECT min(9, CAST(confidence * 10 AS INTEGER)), count(*), sum(1 - disagrees) FROM item_state
              WHERE status = 'decided' AND predicted IS NOT NULL AND confidence IS NOT NULL
              GROUP BY 1 ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        let mut bins: Vec<CalibrationBin> =
            (0..10).map(|i| CalibrationBin { low: f64::from(i) / 10.0, decisions: 0, agreed: 0 }).collect();
        for row in rows {
            let (bin, n, agreed) = row?;
            if let Some(b) = usize::try_from(bin).ok().and_then(|i| bins.get_mut(i)) {
                b.decisions = n.unsigned_abs();
                b.agreed = agreed.unsigned_abs();
            }
        }
        Ok(bins)
    }

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
