-- Finding the newest event of a kind (the settings an admin last confirmed) without walking the trail.
CREATE INDEX events_by_kind ON events(kind, seq);
