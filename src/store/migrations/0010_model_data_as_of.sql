-- The newest audit event when a model's training data was read: the current-model pointer only moves to a
-- model that read its data no earlier than the current one did (NULL for models from before this column,
-- which compare as oldest).

ALTER TABLE model_versions ADD COLUMN data_as_of INTEGER;
