-- How a short list was routed when it was kept: the routing rules it was kept under ('' when routing by
-- confidence was off), so that a batch serves from it only under the same rules, and how many pool items
-- those rules held for experts. Items the machine accepted and items held for experts are not on the list.

CREATE TABLE shortlist_routing (
    model_version_id  INTEGER PRIMARY KEY REFERENCES model_versions(id),
    rules             TEXT NOT NULL,
    for_experts       INTEGER NOT NULL
);
