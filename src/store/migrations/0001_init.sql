-- margin's first schema. Migrations are append-only: never edit this file, add the next one.

-- One row per `margin import` run: where the items came from.
CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL,
    format          TEXT NOT NULL,
    imported_by     TEXT NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    added           INTEGER NOT NULL DEFAULT 0,
    duplicates      INTEGER NOT NULL DEFAULT 0,
    rejected        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE items (
    id               INTEGER PRIMARY KEY,
    ext_id           TEXT,                     -- the id the source gave; NULL: the id is hex(content_key)
    text             TEXT NOT NULL,
    meta             TEXT,                     -- a JSON object, verbatim from the source
    content_key      INTEGER NOT NULL UNIQUE,  -- first 8 bytes of SHA-256(text), big-endian, signed
    import_id        INTEGER NOT NULL,         -- imports(id); no REFERENCES: checking it costs bulk
                                               -- imports about 10%, and only the store writes it
    source_line      INTEGER NOT NULL,
    reference_labels TEXT,                     -- JSON array of labels the source carried
    gold             INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX items_by_ext_id ON items(ext_id) WHERE ext_id IS NOT NULL;

-- Trained models. The file lives under the project's models/ directory; the row is written only after the
-- file is complete, and the current model is a pointer in project_state.
CREATE TABLE model_versions (
    id              INTEGER PRIMARY KEY,
    created_at_ms   INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    path            TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    labels          TEXT NOT NULL,             -- JSON array, the output order
    train_size      INTEGER NOT NULL,
    metrics         TEXT NOT NULL,             -- JSON object
    parent_id       INTEGER REFERENCES model_versions(id),
    trained_by      TEXT NOT NULL
);

CREATE TABLE project_state (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
) WITHOUT ROWID;

-- Decisions are append-only: an undo is a new row pointing at the one it takes back.
CREATE TABLE decisions (
    id                    INTEGER PRIMARY KEY,
    item_id               INTEGER NOT NULL REFERENCES items(id),
    annotator             TEXT NOT NULL,
    action                TEXT NOT NULL CHECK (action IN
                            ('accept', 'correct', 'reject', 'skip', 'escalate', 'resolve', 'machine_accept', 'undo')),
    labels                TEXT,                -- JSON array the decision gives the item
    reason                TEXT,
    note                  TEXT,
    time_spent_ms         INTEGER,
    model_version_id      INTEGER REFERENCES model_versions(id),
    predicted_labels      TEXT,                -- JSON array: the model's prediction when the person decided
    predicted_confidence  REAL,
    undoes                INTEGER REFERENCES decisions(id),
    at_ms                 INTEGER NOT NULL
);
CREATE INDEX decisions_by_item ON decisions(item_id, id);

CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only; record an undo instead'); END;
CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only; record an undo instead'); END;

CREATE TABLE predictions (
    item_id           INTEGER NOT NULL REFERENCES items(id),
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    probabilities     BLOB NOT NULL,           -- little-endian f32 per label, in the model's label order
    least_confident   REAL NOT NULL,
    margin            REAL NOT NULL,
    entropy           REAL NOT NULL,
    vote_entropy      REAL,
    kl_divergence     REAL,
    scored_at_ms      INTEGER NOT NULL,
    -- By model first: scoring writes a model's rows in item order, which appends instead of splitting pages.
    PRIMARY KEY (model_version_id, item_id)
) WITHOUT ROWID;

CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items(id),
    decision_id     INTEGER NOT NULL REFERENCES decisions(id),
    reason          TEXT NOT NULL,
    note            TEXT,
    opened_by       TEXT NOT NULL,
    opened_at_ms    INTEGER NOT NULL,
    closed_by       TEXT,
    closed_at_ms    INTEGER,
    closed_as       TEXT CHECK (closed_as IN ('resolved', 'sent_back', 'undone'))
);
CREATE INDEX escalations_open ON escalations(item_id) WHERE closed_at_ms IS NULL;

-- The audit trail: every event, each hashed with the one before it, never updated or deleted.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    item_id     INTEGER REFERENCES items(id),
    payload     TEXT NOT NULL,                 -- JSON
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX events_by_item ON events(item_id) WHERE item_id IS NOT NULL;

CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
