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


def main():
    folder = sys.argv[1]
    with open(f"{folder}/encoder.toml", "rb") as f:
        manifest = tomllib.load(f)
    tokenizer = Tokenizer.from_file(f"{folder}/{manifest['tokenizer']}")
    tokenizer.enable_truncation(max_length=manifest["max_length"])
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(f"{folder}/{manifest['file']}", options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    texts = [json.loads(line)["text"] for line in sys.stdin if line.strip()]
    for text in texts:
        e = tokenizer.encode(text)
        feed = {
            "input_ids": np.array([e.ids], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask], dtype=np.int64),
        }
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.array([e.type_ids], dtype=np.int64)
        hidden = session.run([manifest.get("output", "last_hidden_state")], feed)[0][0]
        mask = np.array(e.attention_mask, dtype=np.float32)[:, None]
        if manifest["pooling"] == "cls":
            vector = hidden[0]
        else:
            vector = (hidden * mask).sum(axis=0) / max(mask.sum(), 1e-9)
        vector = vector / max(np.linalg.norm(vector), 1e-12)
        print(json.dumps([float(x) for x in vector]))


if __name__ == "__main__":
    main()
