#!/usr/bin/env python3
"""Active-learning benchmark, both representations: margin's default strategy on n-grams alone, with the
sentence encoder (the combined model), and with the encoder but zero-shot off; random sampling on n-grams; and
the scikit-learn baselines (benches/al_baseline.py: TF-IDF, and the same embeddings from the Python reference
pipeline), all with margin sampling, on the same splits, seeds, budget and batch size. Every margin run goes
through `margin simulate`: the real queue, trainer and ONNX scorer.

    python3 benches/active_learning.py [--seeds 5] [--budget 200] [--batch 10] [--data NAME=FILE.jsonl ...]

Default data: BBC News and the SMS Spam Collection, fetched with pip (benches/bench_data.py). For each data set
it prints the accuracy after 0 (zero-shot), 20, 50, 100 and 200 labels and the labels each configuration
needs to reach ONE fixed target (95% of the n-gram model's full-data accuracy), with the ratios the targets
are about, and writes the mean learning curves as SVG to benches/results/al-NAME.svg.
Needs `cargo build --release`, scripts/setup (the encoder) and scikit-learn (installed into bench-data/python
if missing).
"""
import argparse
import csv
import importlib
import json
import pathlib
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_data  # noqa: E402

TOP = bench_data.TOP
RESULTS = TOP / "benches" / "results"


def ensure_sklearn():
    # Look in bench-data/python first, so an earlier run's install is used rather than made again.
    target = bench_data.DATA / "python"
    sys.path.insert(0, str(target))
    try:
        import sklearn  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), "numpy",
                        "scikit-learn"], check=True)
        importlib.invalidate_caches()
    import sklearn  # noqa: F401,F811
    return [p for p in sys.path if "bench-data/python" in p]


def mean_curves(rows):
    """{strategy: [(labels, mean accuracy over seeds)]}"""
    acc = defaultdict(lambda: defaultdict(list))
    for r in rows:
        acc[r["strategy"]][int(r["labels"])].append(float(r["accuracy"]))
    return {s: sorted((n, sum(v) / len(v)) for n, v in pts.items()) for s, pts in acc.items()}


PALETTE = ["#1b6ca8", "#c0392b", "#27ae60", "#8e44ad", "#7f8c8d", "#d35400"]


def svg(curves, title, budget, target, path):
    w, h, left, right, top, bottom = 640, 400, 60, 20, 40, 50
    ys = [a for pts in curves.values() for _, a in pts] + [target]
    lo, hi = min(ys) - 0.01, min(1.0, max(ys) + 0.01)
    x = lambda n: left + (w - left - right) * n / budget
    y = lambda a: top + (h - top - bottom) * (hi - a) / (hi - lo)
    colours = {}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for i in range(6):
        a = lo + (hi - lo) * i / 5
        out.append(f'<line x1="{left}" y1="{y(a):.1f}" x2="{w - right}" y2="{y(a):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y(a) + 4:.1f}" text-anchor="end">{a:.2f}</text>')
    for i in range(6):
        n = budget * i / 5
        out.append(f'<text x="{x(n):.1f}" y="{h - bottom + 16}" text-anchor="middle">{int(n)}</text>')
    out.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">labels</text>')
    out.append(f'<text x="14" y="{(top + h - bottom) / 2}" transform="rotate(-90 14 {(top + h - bottom) / 2})" '
               f'text-anchor="middle">accuracy on held-out items</text>')
    out.append(f'<line x1="{left}" y1="{y(target):.1f}" x2="{w - right}" y2="{y(target):.1f}" stroke="#999" '
               f'stroke-dasharray="4 4"/>')
    out.append(f'<text x="{w - right - 4}" y="{y(target) - 4:.1f}" text-anchor="end" fill="#777">target '
               f'(95% of full-data accuracy)</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>')
    out.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>')
    for k, (name, pts) in enumerate(sorted(curves.items())):
        colour = colours.get(name.split()[0], PALETTE[k % len(PALETTE)])
        d = " ".join(f"{x(n):.1f},{y(a):.1f}" for n, a in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{w - right - 12}" y="{h - bottom - 12 - 16 * k}" text-anchor="end" fill="{colour}">{name}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def simulate(margin, data, out, strategies, extra, args, env):
    """One `margin simulate` run; its JSON summary."""
    done = subprocess.run(
        [margin, "simulate", "--data", str(data), "--strategy", ",".join(strategies), "--seeds", str(args.seeds),
         "--budget", str(args.budget), "--batch", str(args.batch), "--out", str(out), "--json", *extra],
        env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def embed_reference(data, path):
    """Every text of `data` (the simulation's data.jsonl) embedded by the Python reference pipeline (the same
    ONNX file and tokenizer), saved as a .npy matrix for the scikit-learn baseline; kept between runs."""
    import numpy as np
    if path.exists():
        return path
    sys.path.insert(0, str(TOP / "scripts"))
    sys.path.append(str(TOP / "vendor" / "python"))  # onnxruntime and tokenizers, from scripts/setup
    import encode_reference
    manifest, tokenizer, session, names = encode_reference.load(str(TOP / "vendor" / "encoders" / "all-minilm-l6-v2"),
                                                                threads=2)
    texts = [json.loads(line)["text"] for line in open(data) if line.strip()]
    encodings = tokenizer.encode_batch(texts)
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
    matrix = np.zeros((len(texts), manifest["dimensions"]), dtype=np.float32)
    for start in range(0, len(order), 32):
        group = order[start:start + 32]
        matrix[group] = encode_reference.embed(manifest, session, names, [encodings[i] for i in group])
    np.save(path, matrix)
    return path


def at_labels(curves, n):
    """The mean accuracy over seeds at `n` labels (the first point at or past it)."""
    values = [next((a for labels, a in pts if labels >= n), None) for pts in curves.values()]
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")


def per_seed(rows, strategy):
    """{seed: [(labels, accuracy)]} of one strategy's rows."""
    out = defaultdict(list)
    for r in rows:
        if r["strategy"] == strategy:
            out[int(r["seed"])].append((int(r["labels"]), float(r["accuracy"])))
    return {seed: sorted(pts) for seed, pts in out.items()}


def to_target(curves, target, budget):
    """Labels each seed needed to reach `target` (None: not within the budget), and their mean (a miss
    counts as the budget, a lower bound)."""
    hits = [next((n for n, a in pts if a >= target), None) for _, pts in sorted(curves.items())]
    return hits, sum(h if h is not None else budget for h in hits) / max(len(hits), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--data", action="append", help="NAME=FILE.jsonl (text, label); default: bbc and sms")
    parser.add_argument("--margin", default=str(TOP / "target" / "release" / "margin"))
    args = parser.parse_args()
    extra_path = ensure_sklearn()
    sets = dict(d.split("=", 1) for d in args.data) if args.data else {"bbc": bench_data.bbc(), "sms": bench_data.sms()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, data in sets.items():
        base = bench_data.DATA / f"al-{name}"
        env = dict(__import__("os").environ, MARGIN_LOG="warn", XDG_DATA_HOME=str(base / "xdg"),
                   XDG_STATE_HOME=str(base / "xdg"))
        runs = {
            "n-grams": simulate(args.margin, data, base / "ngrams", ["default", "random"], [], args, env),
            "encoder": simulate(args.margin, data, base / "encoder", ["default"], ["--sentence-vectors"], args, env),
            "encoder, no zero-shot": simulate(args.margin, data, base / "encoder-no-zero-shot", ["default"],
                                              ["--sentence-vectors", "--no-zero-shot"], args, env),
        }
        # One fixed target per data set: 95% of the n-gram model's full-data accuracy, for every configuration.
        target = 0.95 * runs["n-grams"]["mean_full_data_accuracy"]
        splits = base / "ngrams"
        baseline_env = dict(env, PYTHONPATH=":".join(extra_path))
        vectors = embed_reference(splits / "data.jsonl", bench_data.DATA / f"vectors-{name}.npy")
        for label, extra in [("tfidf", []), ("embeddings", ["--vectors", str(vectors)])]:
            subprocess.run(
                [sys.executable, str(TOP / "benches" / "al_baseline.py"), "--data", str(splits / "data.jsonl"),
                 "--splits", str(splits / "splits"), "--seeds", str(args.seeds), "--budget", str(args.budget),
                 "--batch", str(args.batch), "--out", str(base / f"baseline-{label}.csv"), "--name", label, *extra],
                env=baseline_env, check=True, capture_output=True, text=True)
        rows = {k: list(csv.DictReader(open(base / d / "curves.csv")))
                for k, d in [("n-grams", "ngrams"), ("encoder", "encoder"), ("encoder, no zero-shot", "encoder-no-zero-shot")]}
        table = {
            "margin n-grams, default": per_seed(rows["n-grams"], "default"),
            "margin n-grams, random": per_seed(rows["n-grams"], "random"),
            "margin encoder, default": per_seed(rows["encoder"], "default"),
            "margin encoder without zero-shot, default": per_seed(rows["encoder, no zero-shot"], "default"),
            "scikit-learn TF-IDF, margin sampling": per_seed(list(csv.DictReader(open(base / "baseline-tfidf.csv"))), "tfidf"),
            "scikit-learn on the same embeddings, margin sampling":
                per_seed(list(csv.DictReader(open(base / "baseline-embeddings.csv"))), "embeddings"),
        }
        print(f"## {name}: {runs['n-grams']['items']} items, {len(runs['n-grams']['labels'])} labels, {args.seeds} "
              f"seeds, batches of {args.batch}; target {target:.4f} (95% of the n-gram model's full-data accuracy "
              f"{runs['n-grams']['mean_full_data_accuracy']:.4f})")
        print()
        print("| | acc. at 0 | 20 | 50 | 100 | 200 | labels to target (per seed) | mean |")
        print("|---|---|---|---|---|---|---|---|")
        means = {}
        for label, curves in table.items():
            hits, mean = to_target(curves, target, args.budget)
            means[label] = mean
            zero = at_labels({s: [p for p in pts if p[0] == 0] for s, pts in curves.items()}, 0)
            cells = " | ".join(f"{at_labels(curves, n):.3f}" for n in (20, 50, 100, 200))
            shown = ", ".join(str(h) if h is not None else f">{args.budget}" for h in hits)
            print(f"| {label} | {'' if zero != zero else f'{zero:.3f}'} | {cells} | {shown} | {mean:.1f} |")
        print()
        ngram, enc = means["margin n-grams, default"], means["margin encoder, default"]
        base_emb = means["scikit-learn on the same embeddings, margin sampling"]
        no_zs = means["margin encoder without zero-shot, default"]
        print(f"encoder / n-grams = {enc / ngram:.2f} (target <= 0.70: {'met' if enc <= 0.7 * ngram else 'NOT met'}); "
              f"encoder / scikit-learn on the embeddings = {enc / base_emb:.2f} (target <= 1.00: "
              f"{'met' if enc <= base_emb else 'NOT met'}); zero-shot on / off = {enc / no_zs:.2f} "
              f"(no worse: {'met' if enc <= no_zs else 'NOT met'}); plot: benches/results/al-{name}.svg")
        print()
        svg({k: [(n, a) for n, a in mean_curves([{"strategy": k, "labels": n, "accuracy": a}
                                                  for pts in v.values() for n, a in pts])[k]]
             for k, v in table.items()},
            f"{name}: mean of {args.seeds} seeds, batches of {args.batch}", args.budget, target,
            RESULTS / f"al-{name}.svg")


if __name__ == "__main__":
    main()
