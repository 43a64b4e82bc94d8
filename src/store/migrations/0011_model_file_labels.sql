-- The label names inside a model's file, when they differ from its `labels` because a label was renamed
-- since it was trained (`margin labels rename`); NULL: the same as `labels`.

ALTER TABLE model_versions ADD COLUMN file_labels TEXT;
