//! Which items readers see: every item except those of an import still under way (they get ids from
//! `import_hidden_from` in `project_state` upwards until the import completes; see `items`).

use rusqlite::Connection;

use super::Result;

/// SQL for the first id of the items an unfinished import holds: readers see only `id < HIDDEN_FROM`.
pub(crate) const HIDDEN_FROM: &str = "(SELECT coalesce((SELECT CAST(value AS INTEGER) FROM project_state \
     WHERE key = 'import_hidden_from'), 9223372036854775807))";

/// How many items readers see: every item unless an import is under way. Counting them all is the fast
/// path (SQLite counts its smallest index, a few ms for a million items); a range of ids walks the table
/// itself, ten times slower, so it is taken only while an import hides items. One statement, so that the
/// import's mark and the count come from the same snapshot.
pub(crate) fn visible_item_count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM project_state WHERE key = 'import_hidden_from')
                THEN (SELECT count(*) FROM items WHERE id < (SELECT CAST(value AS INTEGER) FROM project_state
                                                              WHERE key = 'import_hidden_from'))
                ELSE (SELECT count(*) FROM items) END",
        [],
        |r| r.get(0),
    )?;
    Ok(n.unsigned_abs())
}
