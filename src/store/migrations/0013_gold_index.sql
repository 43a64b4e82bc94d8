-- Gold items, found without reading every item: the queue keeps them out of ordinary batches and mixes
-- them in as unannounced checks (quality.gold_share) on every batch.

CREATE INDEX items_gold ON items(id) WHERE gold = 1;
