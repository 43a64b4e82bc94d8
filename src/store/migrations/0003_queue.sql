-- The queue: every item served to someone and why, and the items currently reserved for the person they
-- were served to (until a decision, a release, or the lease expires).

CREATE TABLE served (
    id                INTEGER PRIMARY KEY,
    batch_id          INTEGER NOT NULL,
    item_id           INTEGER NOT NULL REFERENCES items(id),
    annotator         TEXT NOT NULL,
    reason            TEXT NOT NULL,        -- margin, least-confident, entropy, committee, diversity, random
    score             REAL NOT NULL,
    rank              INTEGER NOT NULL,
    model_version_id  INTEGER REFERENCES model_versions(id),
    audit             INTEGER NOT NULL DEFAULT 0,  -- the machine could have accepted it; a person checks
    served_at_ms      INTEGER NOT NULL
);
CREATE INDEX served_by_batch ON served(batch_id);
CREATE INDEX served_by_item ON served(item_id);

CREATE TABLE leases (
    item_id         INTEGER NOT NULL REFERENCES items(id),
    annotator       TEXT NOT NULL,
    served_id       INTEGER NOT NULL REFERENCES served(id),
    expires_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (item_id, annotator)
) WITHOUT ROWID;
CREATE INDEX leases_by_annotator ON leases(annotator);
CREATE INDEX leases_by_expiry ON leases(expires_at_ms);
