-- A trained model remembers the newest decision it could have learned from, so margin can count the
-- decisions made since (and knows when to retrain).

ALTER TABLE model_versions ADD COLUMN decisions_upto INTEGER;
