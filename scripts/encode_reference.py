#!/usr/bin/env python3
"""The Python reference for margin's sentence encoder: the same ONNX file and tokenizer.json, run with
onnxruntime and the tokenizers package, mean-pooled over the attention mask and normalised to length 1.

Usage: PYTHONPATH=vendor/python python3 scripts/encode_reference.py ENCODER_DIR < texts.jsonl
Reads one {"text": ...} per line; writes one JSON list of floats per line, in order. Settings (file,
tokenizer, max_length, output, pooling) come from ENCODER_DIR/encoder.toml.
"""
import json
import sys
import tomllib

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def load(folder, threads=1):
    """The encoder in FOLDER as margin reads it: its manifest, its tokenizer (truncating, not padding), an
    onnxruntime session on THREADS threads, and the session's input names."""
    with open(f"{folder}/encoder.toml", "rb") as f:
        manifest = tomllib.load(f)
    tokenizer = Tokenizer.from_file(f"{folder}/{manifest['tokenizer']}")
    tokenizer.enable_truncation(max_length=manifest["max_length"])
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(f"{folder}/{manifest['file']}", options, providers=["CPUExecutionProvider"])
    return manifest, tokenizer, session, {i.name for i in session.get_inputs()}


def embed(manifest, session, names, encodings):
    """Unit vectors of tokenized texts, run as one batch padded to the longest."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for r, e in enumerate(encodings):
        ids[r, :len(e.ids)] = e.ids
        mask[r, :len(e.ids)] = e.attention_mask
    feed = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in names:
        feed["token_type_ids"] = np.zeros_like(ids)
    hidden = session.run([manifest.get("output", "last_hidden_state")], feed)[0]
    if manifest["pooling"] == "cls":
        pooled = hidden[:, 0, :]
    else:
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def main():
    manifest, tokenizer, session, names = load(sys.argv[1])
    texts = [json.loads(line)["text"] for line in sys.stdin if line.strip()]
    # One text at a time: no padding at all in the reference.
    for text in texts:
        vector = embed(manifest, session, names, [tokenizer.encode(text)])[0]
        print(json.dumps([float(x) for x in vector]))


if __name__ == "__main__":
    main()
