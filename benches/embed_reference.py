#!/usr/bin/env python3
"""The Python reference pipeline for the embedding benchmark: the same ONNX file and tokenizer.json as
margin, through onnxruntime and the tokenizers package, with the same threads and batch size and the same
batching (texts sorted by token count). Prints one JSON object: items, seconds, and the split between
tokenizing and ONNX Runtime (pooling and normalising included).

Usage: PYTHONPATH=vendor/python python3 benches/embed_reference.py ENCODER_DIR TEXTS.jsonl THREADS BATCH
"""
import json
import sys
import time
import tomllib

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main():
    folder, path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    started = time.perf_counter()
    with open(f"{folder}/encoder.toml", "rb") as f:
        manifest = tomllib.load(f)
    tokenizer = Tokenizer.from_file(f"{folder}/{manifest['tokenizer']}")
    tokenizer.enable_truncation(max_length=manifest["max_length"])
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(f"{folder}/{manifest['file']}", options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    texts = [json.loads(line)["text"] for line in open(path) if line.strip()]

    t = time.perf_counter()
    encodings = tokenizer.encode_batch(texts)
    tokenize = time.perf_counter() - t
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    vectors = [None] * len(texts)
    t = time.perf_counter()
    for start in range(0, len(order), batch):
        group = order[start:start + batch]
        width = max(len(encodings[i].ids) for i in group)
        ids = np.zeros((len(group), width), dtype=np.int64)
        mask = np.zeros((len(group), width), dtype=np.int64)
        for r, i in enumerate(group):
            e = encodings[i]
            ids[r, :len(e.ids)] = e.ids
            mask[r, :len(e.ids)] = e.attention_mask
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run([manifest.get("output", "last_hidden_state")], feed)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        for r, i in enumerate(group):
            vectors[i] = pooled[r]
    encode = time.perf_counter() - t
    print(json.dumps({"items": len(texts), "seconds": time.perf_counter() - started,
                      "tokenize_seconds": tokenize, "encode_seconds": encode}))


if __name__ == "__main__":
    main()
