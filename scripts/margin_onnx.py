#!/usr/bin/env python3
"""Score texts with a margin model from Python: the featurizer spec from the README, in plain Python, and
the model through onnxruntime. Needs numpy and onnxruntime (and onnx for --check).

    python3 scripts/margin_onnx.py MODEL.onnx < texts.jsonl   # {"text": ...} per line
    python3 scripts/margin_onnx.py --check MODEL.onnx         # onnx.checker full check, then exit

Prints one JSON object per input line: {"labels": [...], "probabilities": [...]}.

A combined model (metadata `margin.encoder`) also takes each text's sentence vector, input `embedding`: a
line may carry it as {"text": ..., "embedding": [...]}; otherwise the text is embedded here with the
sentence encoder (its folder: --encoder DIR, else MARGIN_ENCODER, else vendor/encoders/all-minilm-l6-v2),
as scripts/encode_reference.py does.
"""
import json
import math
import os
import re
import sys
from collections import Counter

import numpy as np
import onnxruntime as ort


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def features(text: str) -> list:
    """The feature strings of a text: words are runs of letters and digits, lowercased."""
    words = [w.lower() for w in re.findall(r"[^\W_]+", text)]
    out = []
    for i, word in enumerate(words):
        out.append("w:" + word)
        if i + 1 < len(words):
            out.append("b:" + word + " " + words[i + 1])
        padded = " " + word + " "
        for start in range(len(padded)):
            for n in range(3, 6):
                if start + n <= len(padded):
                    out.append("c:" + padded[start:start + n])
    return out


def featurize(text: str, bits: int):
    """Bucket indices (sorted) and values: 1 + ln(count), L2-normalised."""
    counts = Counter(fnv1a64(f.encode("utf-8")) & ((1 << bits) - 1) for f in features(text))
    idx = sorted(counts)
    val = [1.0 + math.log(counts[i]) for i in idx]
    norm = math.sqrt(sum(v * v for v in val)) or 1.0
    return idx, [v / norm for v in val]


def embed_texts(encoder_dir: str, wanted: dict, texts: list):
    """The texts' sentence vectors from the encoder in ENCODER_DIR, which must be the one the model names."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import encode_reference

    manifest, tokenizer, session, names = encode_reference.load(encoder_dir)
    name = wanted["identity"].split("@")[0]
    if manifest["name"] != name or manifest["dimensions"] != wanted["dimensions"]:
        sys.exit(f"{encoder_dir} holds {manifest['name']}, but the model was trained on {wanted['identity']}")
    return np.array(
        [encode_reference.embed(manifest, session, names, [tokenizer.encode(t)])[0] for t in texts], dtype=np.float32
    )


def score(model_path: str, texts: list, embeddings=None, encoder_dir=None):
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    labels = json.loads(meta["margin.labels"])
    bits = json.loads(meta["margin.featurizer"])["bits"]
    rows = [featurize(t, bits) for t in texts]
    width = max([len(idx) for idx, _ in rows] + [1])
    idx = np.zeros((len(rows), width), dtype=np.int64)
    val = np.zeros((len(rows), width), dtype=np.float32)
    for r, (i, v) in enumerate(rows):
        idx[r, : len(i)] = i
        val[r, : len(v)] = v
    feed = {"idx": idx, "val": val}
    if "margin.encoder" in meta:
        if embeddings is None:
            root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
            default = os.path.join(root, "vendor", "encoders", "all-minilm-l6-v2")
            folder = encoder_dir or os.environ.get("MARGIN_ENCODER") or default
            embeddings = embed_texts(folder, json.loads(meta["margin.encoder"]), texts)
        feed["embedding"] = np.asarray(embeddings, dtype=np.float32).reshape(len(texts), -1)
    (probabilities,) = session.run(["probabilities"], feed)
    return labels, probabilities


def main():
    if sys.argv[1] == "--check":
        import onnx

        onnx.checker.check_model(onnx.load(sys.argv[2]), full_check=True)
        print("ok")
        return
    args = sys.argv[1:]
    encoder_dir = None
    if args[0] == "--encoder":
        encoder_dir, args = args[1], args[2:]
    lines = [json.loads(line) for line in sys.stdin if line.strip()]
    texts = [line["text"] for line in lines]
    given = [line.get("embedding") for line in lines]
    embeddings = given if given and all(e is not None for e in given) else None
    labels, probabilities = score(args[0], texts, embeddings, encoder_dir)
    for row in probabilities:
        print(json.dumps({"labels": labels, "probabilities": [float(p) for p in row]}))


if __name__ == "__main__":
    main()
