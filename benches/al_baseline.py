#!/usr/bin/env python3
"""The active-learning baseline margin is compared with: scikit-learn's TF-IDF + LogisticRegression and margin
sampling (the smallest gap between the two likeliest labels), as modAL and small-text do it.

    python3 benches/al_baseline.py --data FILE.jsonl [--text-key text --label-key label] \
        [--splits DIR] [--seeds 5] [--budget 300] [--batch 20] [--out curves.csv]

The first batch is random; then each batch is the `--batch` most uncertain pool items by margin. The vectorizer
is fitted once on every pool text (no labels needed), as small-text's examples do. With `--splits DIR` (the
splits/ that `margin simulate --out` writes, with its data.jsonl), it uses exactly margin's held-out splits.
Prints a JSON summary: labels needed to reach 95% of the accuracy the same model gets with all pool labels.
With `--vectors FILE.npy` (one row per text of --data, e.g. sentence embeddings), the model learns on those
rows instead of TF-IDF.
"""
import argparse
import json
import pathlib
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--text-key", default="text")
    parser.add_argument("--label-key", default="label")
    parser.add_argument("--splits", help="directory of seed-N.json files from margin simulate")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--out", help="write the learning curves here as CSV")
    parser.add_argument("--vectors", help="features per text as a .npy matrix, instead of TF-IDF")
    parser.add_argument("--name", default="baseline", help="the strategy name in the CSV")
    args = parser.parse_args()

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    rows = [json.loads(line) for line in pathlib.Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r[args.text_key] for r in rows]
    labels = np.array([r[args.label_key] for r in rows])

    curves, summary = [], []
    for seed in range(1, args.seeds + 1):
        if args.splits:
            split = json.loads((pathlib.Path(args.splits) / f"seed-{seed}.json").read_text())
            pool, test = split["pool"], split["test"]
        else:
            pool, test = train_test_split(list(range(len(texts))), test_size=args.test_share, random_state=seed,
                                          stratify=labels)
        if args.vectors:
            matrix = np.load(args.vectors)
            X_pool, X_test = matrix[pool], matrix[test]
        else:
            vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([texts[i] for i in pool])
            X_pool = vectorizer.transform([texts[i] for i in pool])
            X_test = vectorizer.transform([texts[i] for i in test])
        y_pool, y_test = labels[pool], labels[test]

        def fit(indices):
            return LogisticRegression(max_iter=1000).fit(X_pool[indices], y_pool[indices])

        full = accuracy_score(y_test, fit(list(range(len(pool)))).predict(X_test))
        target = 0.95 * full
        rng = random.Random(seed)
        labelled = rng.sample(range(len(pool)), args.batch)
        curve = []
        while True:
            if len(set(y_pool[labelled])) >= 2:
                model = fit(labelled)
                predicted = model.predict(X_test)
                curve.append((len(labelled), accuracy_score(y_test, predicted), f1_score(y_test, predicted, average="macro")))
            if len(labelled) >= args.budget or len(labelled) >= len(pool):
                break
            chosen = set(labelled)
            rest = [i for i in range(len(pool)) if i not in chosen]
            if len(set(y_pool[labelled])) < 2:
                labelled += rng.sample(rest, min(args.batch, len(rest)))
                continue
            proba = model.predict_proba(X_pool[rest])
            top2 = np.sort(proba, axis=1)[:, -2:]
            margins = top2[:, 1] - top2[:, 0]
            take = min(args.batch, args.budget - len(labelled), len(rest))
            labelled += [rest[i] for i in np.argsort(margins, kind="stable")[:take]]
        reached = next((n for n, acc, _ in curve if acc >= target), None)
        summary.append({"seed": seed, "full_data_accuracy": full, "target": target, "labels_to_target": reached,
                        "final_accuracy": curve[-1][1] if curve else 0.0})
        curves += [(args.name, seed, n, acc, f1) for n, acc, f1 in curve]
        print(f"seed {seed}: full {full:.4f}, target {target:.4f}, reached at {reached}", file=sys.stderr)

    if args.out:
        with open(args.out, "w") as f:
            f.write("strategy,seed,labels,accuracy,macro_f1\n")
            for row in curves:
                f.write("%s,%d,%d,%.6f,%.6f\n" % row)
    hits = [s["labels_to_target"] for s in summary]
    print(json.dumps({
        "strategy": "baseline (scikit-learn, margin sampling)",
        "labels_to_target": hits,
        "mean_labels_to_target": sum(h if h is not None else args.budget for h in hits) / len(hits),
        "all_seeds_reached_target": all(h is not None for h in hits),
        "mean_final_accuracy": sum(s["final_accuracy"] for s in summary) / len(summary),
        "mean_full_data_accuracy": sum(s["full_data_accuracy"] for s in summary) / len(summary),
        "seeds": summary,
    }))


if __name__ == "__main__":
    main()
