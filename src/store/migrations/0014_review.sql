-- The review's index: one row per item that has decisions, with its outcome and its latest decision. The
-- store rewrites an item's row in the same transaction as every decision or escalation change about it,
-- so the row cannot lag behind the decisions; this migration fills it for the decisions made before it.
CREATE TABLE item_state (
    item_id     INTEGER PRIMARY KEY REFERENCES items(id),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'decided', 'disputed', 'escalated')),
    labels      TEXT,                 -- JSON array: the settled labels, when decided
    last_id     INTEGER NOT NULL,     -- the latest decision that stands (see domain::review::ReviewState)
    last_at_ms  INTEGER NOT NULL,
    last_by     TEXT NOT NULL,
    predicted   TEXT,                 -- JSON array: the model's labels when the latest labelling decision was made
    confidence  REAL,
    disagrees   INTEGER NOT NULL DEFAULT 0,
    escalated   INTEGER NOT NULL DEFAULT 0
);
-- Newest decision first, the review's order: `since` and `until` are a range of it.
CREATE INDEX item_state_recent ON item_state(last_at_ms, last_id);
CREATE INDEX item_state_by_status ON item_state(status, last_at_ms, last_id);

-- The settled labels of item_state, one row each, so a filter on a rare label starts from its items.
CREATE TABLE item_state_labels (
    label    TEXT NOT NULL,
    item_id  INTEGER NOT NULL,
    PRIMARY KEY (label, item_id)
) WITHOUT ROWID;

-- A filter on a person who decided few items starts from their decisions.
CREATE INDEX decisions_by_annotator ON decisions(annotator, item_id);

-- Why a gold item has its labels, in the expert's words: shown to whoever misses the gold check.
ALTER TABLE items ADD COLUMN gold_rationale TEXT;

-- Full-text search over the items' texts (FTS5, external content: the text stays in items). Filled on the
-- first search and caught up before each one (project_state 'search_indexed_upto'), so imports stay as
-- fast as before; items are never edited, only added, so what is indexed stays true.
CREATE VIRTUAL TABLE items_search USING fts5(text, content = 'items', content_rowid = 'id',
                                             tokenize = 'unicode61 remove_diacritics 2');
