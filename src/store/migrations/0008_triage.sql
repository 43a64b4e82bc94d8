-- Out-of-fold probabilities from a training on people's decisions: for each labelled item, what the fold
-- model that never saw it thinks. Triage finds likely label errors among them (confident learning).
CREATE TABLE out_of_fold (
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    item_id           INTEGER NOT NULL REFERENCES items(id),
    labels            TEXT NOT NULL,           -- JSON array: the labels trained on
    probabilities     TEXT NOT NULL,           -- JSON array, one per label, calibrated
    PRIMARY KEY (model_version_id, item_id)
) WITHOUT ROWID;
