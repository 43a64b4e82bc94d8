-- The queue's short list for a big pool, kept per model version when it has scored the pool: the best
-- candidates by each uncertainty measure, and a uniform sample (random = 1), so that serving a batch reads
-- a few thousand rows instead of every prediction.

CREATE TABLE shortlist (
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    item_id           INTEGER NOT NULL REFERENCES items(id),
    random            INTEGER NOT NULL,
    PRIMARY KEY (model_version_id, item_id)
) WITHOUT ROWID;
