-- Model versions learn what they were trained on, and when their file was pruned (the row stays, for the
-- record). Undone decisions are found by index.

ALTER TABLE model_versions ADD COLUMN trained_on TEXT NOT NULL DEFAULT 'decisions';
ALTER TABLE model_versions ADD COLUMN pruned_at_ms INTEGER;

CREATE INDEX decisions_by_undone ON decisions(undoes) WHERE undoes IS NOT NULL;
