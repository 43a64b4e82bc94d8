-- Sentence-encoder vectors, one per item and encoder. An encoder is known by its identity (its name and
-- the start of its ONNX file's SHA-256): a different encoder gets its own vectors, computed again.

CREATE TABLE encoders (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    dimensions INTEGER NOT NULL
);

-- `vector`: the scale as a 4-byte little-endian float, then one signed byte per dimension (x / scale).
CREATE TABLE embeddings (
    encoder_id INTEGER NOT NULL REFERENCES encoders(id),
    item_id INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (encoder_id, item_id)
) WITHOUT ROWID;
