"""Throughput of the whole extraction (``Extractor.extract_many``) against raw spaCy NER.

Corpus: real passages (the training parts of data/annotations/ and the bundled
samples) recombined into
distinct synthetic clippings: sentences are shuffled across texts with a fixed
seed and person/place names are rotated, so no two paragraphs are identical
(the extractor tags each distinct paragraph once per batch; a corpus of copies
would flatter it). Words are whitespace-separated tokens.

Reference tool, measured in the same run on the same texts: the stock spaCy
``fr_core_news_md`` pipeline (tok2vec, morphologizer, parser, lemmatizer, NER),
``nlp.pipe(batch_size=64)`` — without the project's NER, lexicon, rules, territory
linking, relation classifier or resolution.

    .venv/bin/python benchmarks/bench_extract.py --words 200000 --runs 3 --jobs 1 2

Also runs under pytest with ``-m benchmark`` (excluded from the default run).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ess_graph.model import Clipping  # noqa: E402

PEOPLE = ["Claire Dufour", "Paul Girard", "Hélène Marchand", "Marc Lefort", "Julie Perrin", "Karim Benali",
          "Sophie Mercier", "Vincent Roux", "Anne Lambert", "Thomas Petit", "Nadia Haddad", "Luc Moreau"]
PLACES = ["Rennes", "Nantes", "Grenoble", "Poitiers", "Brest", "Lille", "Dijon", "Limoges", "Valence",
          "Quimperlé", "Niort", "Caen", "Montpellier", "Bordeaux", "Besançon", "Angers"]
_SENT = re.compile(r"(?<=[.!?»])\s+(?=[A-ZÀ-Ý«])")


def source_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "samples").glob("*.txt"))]
    for f in sorted((ROOT / "data" / "annotations").glob("*/train/clippings.jsonl")):
        texts += [json.loads(l)["text"] for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
    return texts


def build_corpus(words: int, seed: int = 7) -> list[Clipping]:
    rng = random.Random(seed)
    sentences = []
    for t in source_texts():
        for para in re.split(r"\n\s*\n", t):
            sentences += [s.strip() for s in _SENT.split(para) if len(s.split()) >= 4]
    out: list[Clipping] = []
    total = 0
    n = 0
    while total < words:
        n += 1
        paras = []
        for _ in range(rng.randint(2, 6)):
            sents = rng.sample(sentences, rng.randint(2, 6))
            p = " ".join(sents)
            p = p.replace("Guillestre", rng.choice(PLACES)).replace("Annie Berger", rng.choice(PEOPLE))
            paras.append(p + f" ({n}-{len(paras)})")
        text = f"Clipping {n}\n\n" + "\n\n".join(paras)
        total += len(text.split())
        out.append(Clipping(id=f"bench-{n:05d}", text=text, date="2023-01-01"))
    return out


def run(words: int, runs: int, jobs: tuple[int, ...] = (1,)) -> dict:
    import resource
    import spacy
    from ess_graph.extract import Extractor
    corpus = build_corpus(words)
    n_words = sum(len(c.text.split()) for c in corpus)
    t0 = time.perf_counter()
    ex = Extractor.default()
    load_s = time.perf_counter() - t0
    nlp = spacy.load("fr_core_news_md")
    paras = [p for c in corpus for p in re.split(r"\n\s*\n", c.text) if p.strip()]
    ours: dict[int, list[float]] = {j: [] for j in jobs}
    ref: list[float] = []
    n_ents = n_rels = 0
    first = None
    for _ in range(runs):
        for j in jobs:
            t = time.perf_counter()
            res = ex.extract_many(corpus, jobs=j)
            ours[j].append(time.perf_counter() - t)
            records = [x.to_jsonl_record() for x in res]
            if first is None:
                first = records
            elif records != first:
                raise AssertionError(f"--jobs {j} gave another result")
            n_ents = sum(len(x.entities) for x in res)
            n_rels = sum(len(x.relations) for x in res)
        t = time.perf_counter()
        for _doc in nlp.pipe(paras, batch_size=64):
            pass
        ref.append(time.perf_counter() - t)
    med_ref = statistics.median(ref)
    out = {
        "clippings": len(corpus), "words": n_words, "runs": runs, "load_seconds": round(load_s, 2),
        "spacy_full_pipeline_seconds": [round(x, 2) for x in ref],
        "spacy_full_pipeline_words_per_s_median": round(n_words / med_ref),
        "entities": n_ents, "relations": n_rels,
        "peak_rss_mb_main_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_mb_largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }
    for j in jobs:
        med = statistics.median(ours[j])
        out[f"jobs{j}_seconds"] = [round(x, 2) for x in ours[j]]
        out[f"jobs{j}_words_per_s_median"] = round(n_words / med)
        out[f"jobs{j}_ratio_vs_spacy_full_pipeline"] = round(med_ref / med, 3)
    return out


@pytest.mark.benchmark
def test_extraction_throughput():
    res = run(200_000, 1, (1, 2))
    print(json.dumps(res, indent=2))
    assert max(res["jobs1_words_per_s_median"], res["jobs2_words_per_s_median"]) >= 5000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    print(json.dumps(run(a.words, a.runs, tuple(a.jobs)), indent=2))


if __name__ == "__main__":
    main()
