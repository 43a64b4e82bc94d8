-- The spans a span model proposes for each item it scored (the item's uncertainty is in `predictions`):
-- a JSON array of {start, end, label, confidence}, offsets in characters. Dropped with the model's
-- predictions, and always computable again.
CREATE TABLE span_predictions (
    model_version_id  INTEGER NOT NULL REFERENCES model_versions(id),
    item_id           INTEGER NOT NULL REFERENCES items(id),
    spans             TEXT NOT NULL,
    PRIMARY KEY (model_version_id, item_id)
) WITHOUT ROWID;
