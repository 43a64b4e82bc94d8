#!/usr/bin/env python3
"""The Python reference pipeline for the embedding benchmark: the same ONNX file and tokenizer.json as
margin, through onnxruntime and the tokenizers package (scripts/encode_reference.py), with the same threads
and batch size and the same batching (texts sorted by token count). Prints one JSON object: items, seconds,
and the split between tokenizing and ONNX Runtime (pooling and normalising included).

Usage: PYTHONPATH=vendor/python python3 benches/embed_reference.py ENCODER_DIR TEXTS.jsonl THREADS BATCH
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from encode_reference import embed, load  # noqa: E402


def main():
    folder, path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    started = time.perf_counter()
    manifest, tokenizer, session, names = load(folder, threads)
    texts = [json.loads(line)["text"] for line in open(path) if line.strip()]
    t = time.perf_counter()
    encodings = tokenizer.encode_batch(texts)
    tokenize = time.perf_counter() - t
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    t = time.perf_counter()
    for start in range(0, len(order), batch):
        embed(manifest, session, names, [encodings[i] for i in order[start:start + batch]])
    encode = time.perf_counter() - t
    print(json.dumps({"items": len(texts), "seconds": time.perf_counter() - started,
                      "tokenize_seconds": tokenize, "encode_seconds": encode}))


if __name__ == "__main__":
    main()
