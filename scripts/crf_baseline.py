"""sklearn-crfsuite on CoNLL-2003 English, the reference for margin's span model (scripts/bench-spans).

The classic feature set of sklearn-crfsuite's CoNLL tutorial (the word lower-cased, its last 2 and 3
characters, case and digits, and the same for the words either side), trained with L-BFGS, c1 = c2 = 0.1,
100 iterations, every transition allowed; with the part-of-speech tags the tutorial also uses, and without
them (margin's items have no POS tags). Scored as margin's benchmark scores: entity precision, recall and F1,
a span counting when its first token, last token and label are exactly right.

Usage: crf_baseline.py DIR SIZE[,SIZE...]   (DIR holds train.txt and test.txt)
"""

import sys
import time

import sklearn_crfsuite


def read(path):
    sentences, current = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.split()
            if not cols or cols[0].startswith("-DOCSTART-"):
                if current:
                    sentences.append(current)
                current = []
                continue
            current.append((cols[0], cols[1], cols[-1]))
    if current:
        sentences.append(current)
    return sentences


def word_features(sent, i, pos):
    word = sent[i][0]
    f = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if pos:
        f.update({"postag": sent[i][1], "postag[:2]": sent[i][1][:2]})
    for offset, edge in ((-1, "BOS"), (1, "EOS")):
        j = i + offset
        if 0 <= j < len(sent):
            w = sent[j][0]
            f.update({
                f"{offset}:word.lower()": w.lower(),
                f"{offset}:word.istitle()": w.istitle(),
                f"{offset}:word.isupper()": w.isupper(),
            })
            if pos:
                f.update({f"{offset}:postag": sent[j][1], f"{offset}:postag[:2]": sent[j][1][:2]})
        else:
            f[edge] = True
    return f


def spans(tags):
    """Spans (first, last, label) from IOB tags; an I- that does not go on with its label begins one."""
    out, open_ = [], None
    for i, tag in enumerate(tags + ["O"]):
        kind, _, label = tag.partition("-")
        if open_ and (tag == "O" or kind == "B" or label != open_[2]):
            out.append((open_[0], i - 1, open_[2]))
            open_ = None
        if tag != "O" and open_ is None:
            open_ = (i, i, label)
    return set(out)


def main():
    directory, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
    train, test = read(f"{directory}/train.txt"), read(f"{directory}/test.txt")
    for pos in (False, True):
        name = "sklearn-crfsuite, with POS" if pos else "sklearn-crfsuite"
        x_test = [[word_features(s, i, pos) for i in range(len(s))] for s in test]
        for n in sizes:
            part = train[:n]
            x = [[word_features(s, i, pos) for i in range(len(s))] for s in part]
            y = [[t for _, _, t in s] for s in part]
            crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100,
                                       all_possible_transitions=True)
            started = time.time()
            crf.fit(x, y)
            seconds = time.time() - started
            right = found = gold = 0
            for s, predicted in zip(test, crf.predict(x_test)):
                p, g = spans(list(predicted)), spans([t for _, _, t in s])
                right, found, gold = right + len(p & g), found + len(p), gold + len(g)
            prec, rec = right / max(found, 1), right / max(gold, 1)
            f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            print(f"| {name} | {n} | {100 * prec:.1f} | {100 * rec:.1f} | {100 * f1:.1f} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
