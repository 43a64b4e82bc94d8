//! The review: decided items found by the filters people give, newest first, a page at a time. Owns the
//! review index (`item_state`, one row per item with decisions, rewritten in the same transaction as every
//! decision or escalation change about the item), the full-text index (`items_search`, FTS5, caught up
//! before each search), and re-labelling a filtered set: one expert ruling per item, all in one
//! transaction, each in the audit trail.

use std::collections::HashSet;

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, TransactionBehavior, params, params_from_iter};

use super::decisions::{NewDecision, insert_decision};
use super::items::HIDDEN_FROM;
use super::{Result, Store, labels_from_json, now_ms};
use crate::domain::DecisionAction;
use crate::domain::review::{ReviewFilter, ReviewRow, ReviewStatus, fts_query};

/// What a re-label did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Relabelled {
    /// Items that got a ruling with the new labels.
    pub changed: u64,
    /// Items left alone: already settled with exactly those labels.
    pub unchanged: u64,
}

const STATE_KEY: &str = "search_indexed_upto";

/// Below this many items, a condition (search words, a person, a label) is where a query starts: it finds
/// them and sorts them (under 1 ms). From this many on, the query walks the items newest first and stops
/// once the page is full, which passes over few items when many match.
const FEW: i64 = 2_000;

/// Where a query starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    /// The items newest first (`item_state_recent`), keeping those that match.
    Newest,
    /// The items holding the search words.
    Search,
    /// The items the person decided.
    Person,
    /// The items settled with the filter's label at this index.
    Label(usize),
}

impl Store {
    /// The first `limit` items the filter finds, newest decision first, starting after the row whose
    /// [`ReviewRow::cursor`] is `before` (the previous page's last). A text search first brings the search
    /// index up to date (on a read-only store it searches what is indexed).
    pub fn review_page(
        &mut self,
        filter: &ReviewFilter,
        before: Option<(i64, i64)>,
        limit: usize,
    ) -> Result<Vec<ReviewRow>> {
        let mut query = self.query_for(filter)?;
        if let Some(before) = before {
            query.and("(s.last_at_ms, s.last_id) < (?, ?)", Some(Value::Integer(before.0)));
            query.values.push(Value::Integer(before.1));
        }
        query.sql.push_str(" ORDER BY s.last_at_ms DESC, s.last_id DESC LIMIT ?");
        query.values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        self.rows_of(query)
    }

    fn rows_of(&self, query: Query) -> Result<Vec<ReviewRow>> {
        let select = format!(
            "SELECT s.item_id, i.ext_id, i.content_key, i.text, s.status, s.labels, s.last_by, s.last_at_ms,
                    s.predicted, s.confidence, s.disagrees, i.gold, s.escalated, s.last_id {}",
            query.sql
        );
        let mut stmt = self.conn.prepare_cached(&select)?;
        let mut rows = stmt.query(params_from_iter(query.values))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let status: String = r.get(4)?;
            out.push(ReviewRow {
                item_id: r.get(0)?,
                id: r
                    .get::<_, Option<String>>(1)?
                    .unwrap_or_else(|| crate::domain::derived_item_id(r.get(2).unwrap_or(0))),
                text: r.get(3)?,
                status: ReviewStatus::parse(&status)
                    .ok_or_else(|| super::StoreError::Corrupt(format!("item_state: unknown status {status}")))?,
                labels: labels_from_json(r.get(5)?)?,
                last_by: r.get(6)?,
                last_at_ms: r.get(7)?,
                predicted: labels_from_json(r.get(8)?)?,
                confidence: r.get(9)?,
                disagrees: r.get(10)?,
                gold: r.get(11)?,
                escalated: r.get(12)?,
                last_id: r.get(13)?,
            });
        }
        Ok(out)
    }

    /// How many items the filter finds.
    pub fn review_count(&mut self, filter: &ReviewFilter) -> Result<u64> {
        let q = self.query_for(filter)?;
        let n: i64 =
            self.conn.query_row(&format!("SELECT count(*) {}", q.sql), params_from_iter(q.values), |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }

    /// The internal ids of every item the filter finds, newest decision first (for search by meaning and
    /// for re-labelling).
    pub fn review_ids(&mut self, filter: &ReviewFilter) -> Result<Vec<i64>> {
        let q = self.query_for(filter)?;
        let mut stmt =
            self.conn.prepare(&format!("SELECT s.item_id {} ORDER BY s.last_at_ms DESC, s.last_id DESC", q.sql))?;
        let ids = stmt.query_map(params_from_iter(q.values), |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }

    /// The review rows of these items, in the order given (items without decisions are left out).
    pub fn review_rows(&self, item_ids: &[i64]) -> Result<Vec<ReviewRow>> {
        let mut out = Vec::with_capacity(item_ids.len());
        for &id in item_ids {
            let mut query = Query::of(&ReviewFilter::default(), Driver::Newest);
            query.and("s.item_id = ?", Some(Value::Integer(id)));
            out.extend(self.rows_of(query)?);
        }
        Ok(out)
    }

    /// Indexes the items added since the last search, so a text search sees every item; returns how many
    /// it indexed.
    pub fn catch_up_search(&mut self) -> Result<u64> {
        // Most searches find nothing new: a read says so without taking the write lock.
        let behind: bool = self.conn.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM items WHERE id < {HIDDEN_FROM} AND id > coalesce(
                     (SELECT CAST(value AS INTEGER) FROM project_state WHERE key = ?1), 0))"
            ),
            [STATE_KEY],
            |r| r.get(0),
        )?;
        if !behind {
            return Ok(0);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let upto: i64 = tx
            .query_row("SELECT CAST(value AS INTEGER) FROM project_state WHERE key = ?1", [STATE_KEY], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let added = tx.execute(
            &format!(
                "INSERT INTO items_search (rowid, text)
                 SELECT id, text FROM items WHERE id > ?1 AND id < {HIDDEN_FROM} ORDER BY id"
            ),
            [upto],
        )?;
        if added > 0 {
            let newest: i64 =
                tx.query_row(&format!("SELECT max(id) FROM items WHERE id < {HIDDEN_FROM}"), [], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO project_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![STATE_KEY, newest.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(added as u64)
    }

    /// Brings the search index up to date when the filter searches, and builds the filter's query,
    /// starting from the condition that holds for the fewest items when few hold it (see [`Driver`]).
    fn query_for(&mut self, filter: &ReviewFilter) -> Result<Query> {
        let words = filter.search.as_deref().and_then(fts_query);
        if words.is_some() && !self.is_read_only() {
            self.catch_up_search()?;
        }
        let mut best = (FEW, Driver::Newest);
        let mut consider = |sql: &str, value: &str, driver: Driver| -> Result<()> {
            let n: i64 = self.conn.prepare_cached(sql)?.query_row(params![value, FEW], |r| r.get(0))?;
            if n < best.0 {
                best = (n, driver);
            }
            Ok(())
        };
        if let Some(words) = &words {
            consider(
                "SELECT count(*) FROM (SELECT rowid FROM items_search WHERE items_search MATCH ?1 LIMIT ?2)",
                words,
                Driver::Search,
            )?;
        }
        if let Some(person) = &filter.person {
            consider(
                "SELECT count(*) FROM (SELECT 1 FROM decisions WHERE annotator = ?1 LIMIT ?2)",
                person,
                Driver::Person,
            )?;
        }
        for (i, label) in filter.labels.iter().enumerate() {
            consider(
                "SELECT count(*) FROM (SELECT 1 FROM item_state_labels WHERE label = ?1 LIMIT ?2)",
                label,
                Driver::Label(i),
            )?;
        }
        Ok(Query::of(filter, best.1))
    }

    /// Gives each item `labels` by an expert's ruling (`by`, with `reason`), one decision and one audit
    /// event per item, all in one transaction: every item is re-labelled or none is. Items already
    /// settled with exactly these labels are left alone.
    pub fn relabel(
        &mut self,
        item_ids: &[i64],
        labels: &[String],
        by: &str,
        reason: &str,
        note: Option<&str>,
    ) -> Result<Relabelled> {
        let mut wanted = labels.to_vec();
        wanted.sort();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at_ms = now_ms();
        let mut done = Relabelled::default();
        let mut seen = HashSet::new();
        for &item_id in item_ids.iter().filter(|id| seen.insert(**id)) {
            let settled: Option<Option<String>> = tx
                .prepare_cached("SELECT labels FROM item_state WHERE item_id = ?1 AND status = 'decided'")?
                .query_row([item_id], |r| r.get(0))
                .optional()?;
            if let Some(Some(current)) = settled {
                let mut current = labels_from_json(Some(current))?.unwrap_or_default();
                current.sort();
                if current == wanted {
                    done.unchanged += 1;
                    continue;
                }
            }
            let ruling = NewDecision {
                labels: Some(labels.to_vec()),
                reason: Some(reason.to_string()),
                note: note.map(str::to_string),
                override_lease: true,
                ..NewDecision::new(item_id, by, DecisionAction::Resolve)
            };
            insert_decision(&tx, &ruling, at_ms)?;
            done.changed += 1;
        }
        tx.commit()?;
        Ok(done)
    }
}

/// `FROM ... WHERE ...` for a filter, with its values in order.
struct Query {
    sql: String,
    values: Vec<Value>,
}

impl Query {
    fn and(&mut self, condition: &str, value: Option<Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self.values.extend(value);
    }

    fn of(filter: &ReviewFilter, driver: Driver) -> Query {
        let mut q = Query {
            // `+`: the visibility bound must not pick the plan. Walking item ids and sorting a million of
            // them cost a second; walking `item_state_recent` newest first stops after the page.
            sql: format!("FROM item_state s JOIN items i ON i.id = s.item_id WHERE +s.item_id < {HIDDEN_FROM}"),
            values: Vec::new(),
        };
        for (i, label) in filter.labels.iter().enumerate() {
            let condition = if driver == Driver::Label(i) {
                "s.item_id IN (SELECT item_id FROM item_state_labels WHERE label = ?)"
            } else {
                "EXISTS (SELECT 1 FROM item_state_labels l WHERE l.label = ? AND l.item_id = s.item_id)"
            };
            q.and(condition, Some(Value::Text(label.clone())));
        }
        if let Some(person) = &filter.person {
            let condition = if driver == Driver::Person {
                "s.item_id IN (SELECT item_id FROM decisions WHERE annotator = ? AND action != 'undo')"
            } else {
                "EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = s.item_id AND d.annotator = ?
                           AND d.action != 'undo')"
            };
            q.and(condition, Some(Value::Text(person.clone())));
        }
        if let Some(status) = filter.status {
            q.and("s.status = ?", Some(Value::Text(status.as_str().into())));
        }
        if let Some(since) = filter.since_ms {
            q.and("s.last_at_ms >= ?", Some(Value::Integer(since)));
        }
        if let Some(until) = filter.until_ms {
            q.and("s.last_at_ms < ?", Some(Value::Integer(until)));
        }
        let flag = |v: bool| Some(Value::Integer(i64::from(v)));
        if let Some(gold) = filter.gold {
            q.and("i.gold = ?", flag(gold));
        }
        if let Some(escalated) = filter.escalated {
            q.and("s.escalated = ?", flag(escalated));
        }
        if let Some(disagrees) = filter.disagrees {
            q.and("s.disagrees = ?", flag(disagrees));
        }
        if let Some((lo, hi)) = filter.confidence {
            q.and("s.confidence >= ?", Some(Value::Real(lo)));
            q.and("s.confidence <= ?", Some(Value::Real(hi)));
        }
        for (field, value) in &filter.meta {
            // A JSON path with the field quoted, so dots and spaces in its name are taken literally.
            let path = format!("$.\"{}\"", field.replace('"', ""));
            q.and("json_valid(i.meta) AND CAST(json_extract(i.meta, ?) AS TEXT) = ?", Some(Value::Text(path)));
            q.values.push(Value::Text(value.clone()));
        }
        match filter.search.as_deref().map(fts_query) {
            // Words few items hold: start from the matches. Words many hold: walk the newest first and
            // keep those in the (materialised) match list (40 ms for a word in 40% of 1,000,000 items).
            Some(Some(words)) if driver == Driver::Search => q.and(
                "s.item_id IN (SELECT rowid FROM items_search WHERE items_search MATCH ?)",
                Some(Value::Text(words)),
            ),
            Some(Some(words)) => q.and(
                "+s.item_id IN (SELECT rowid FROM items_search WHERE items_search MATCH ?)",
                Some(Value::Text(words)),
            ),
            // Search words that were all punctuation: nothing can match.
            Some(None) => q.and("0", None),
            None => {}
        }
        q
    }
}
