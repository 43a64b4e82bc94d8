-- Each person's current label on each item (their latest accept, correction or reject that is not undone),
-- kept in the same transaction as every decision about the item, like item_state. `settled`: the item is
-- decided with exactly these labels.
CREATE TABLE person_labels (
    item_id     INTEGER NOT NULL REFERENCES items(id),
    annotator   TEXT NOT NULL,
    decision_id INTEGER NOT NULL,
    labels      TEXT NOT NULL,    -- the labels as one key: sorted, joined by ", "
    predicted   TEXT,             -- the model's prediction when they decided, as the same kind of key
    gold        TEXT,             -- the item's gold labels, when it is a gold item
    at_ms       INTEGER NOT NULL,
    settled     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, annotator)
) WITHOUT ROWID;

-- The project's running tallies (see domain::tally): counters that add up item by item. The transaction
-- that changes an item's decisions takes away what the item added before and adds what it adds now, so
-- the counts cannot drift from the decisions; the statistics read these rows instead of every decision.
CREATE TABLE tallies (
    kind TEXT NOT NULL,
    a    TEXT NOT NULL,
    b    TEXT NOT NULL,
    c    TEXT NOT NULL,
    m    INTEGER NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (kind, a, b, c, m)
) WITHOUT ROWID;

-- What each model learned from each person, recorded when it was registered (JSON: person to
-- [labels learned, of which corrections]); NULL for models registered before this column.
ALTER TABLE model_versions ADD COLUMN learned_by_person TEXT;
