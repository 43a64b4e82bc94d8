-- Items that came with reference labels, found without reading every item's text: the queue counts them
-- for its cold start on every batch, and training from reference labels reads only them.

CREATE INDEX items_with_reference ON items(id) WHERE reference_labels IS NOT NULL;
