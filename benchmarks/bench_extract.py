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

    .venv/bin/python benchmarks/bench_extract.py --words 200000 --runs 3 --jobs 1 2 --dask-workers 2

``--jobs`` runs ``extract_many`` with that many local worker processes (forked from the measuring
process, which has loaded the models); ``--dask-workers N`` also starts a Dask ``LocalCluster`` of N
single-threaded worker processes and runs ``extract_many(scheduler=...)`` on it: its first run
includes the workers' model loading (reported apart), the median is over the warm runs. Every
engine's output is checked equal to the first run's.

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


def run(words: int, runs: int, jobs: tuple[int, ...] = (1,), dask_workers: int = 0) -> dict:
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
    cluster = client = None
    dask_times: list[float] = []
    cpu1: list[float] = []
    if dask_workers:
        import dask
        import distributed
        dask.config.set({"distributed.worker.profile.enabled": False})   # the workers' sampling profiler
        cluster = distributed.LocalCluster(n_workers=dask_workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    engines: list = [("jobs", j) for j in jobs] + ([("dask", dask_workers)] if dask_workers else [])
    for r in range(runs + (1 if dask_workers else 0)):
        for kind, j in engines:
            if kind == "jobs" and r == runs:
                continue
            t = time.perf_counter()
            c = time.process_time()
            res = ex.extract_many(corpus, jobs=j) if kind == "jobs" else ex.extract_many(corpus, scheduler=client)
            (ours[j] if kind == "jobs" else dask_times).append(time.perf_counter() - t)
            if kind == "jobs" and j == 1:
                cpu1.append(time.process_time() - c)
            records = [x.to_jsonl_record() for x in res]
            if first is None:
                first = records
            elif records != first:
                raise AssertionError(f"{kind} {j} gave another result")
            n_ents = sum(len(x.entities) for x in res)
            n_rels = sum(len(x.relations) for x in res)
        if r == runs:
            continue
        t = time.perf_counter()
        for _doc in nlp.pipe(paras, batch_size=64):
            pass
        ref.append(time.perf_counter() - t)
    med_ref = statistics.median(ref)
    out = {
        "load_average_1min_at_end": round(__import__("os").getloadavg()[0], 1), "cpus": __import__("os").cpu_count(),
        "clippings": len(corpus), "words": n_words, "runs": runs, "load_seconds": round(load_s, 2),
        "spacy_full_pipeline_seconds": [round(x, 2) for x in ref],
        "spacy_full_pipeline_words_per_s_median": round(n_words / med_ref),
        "entities": n_ents, "relations": n_rels,
        "peak_rss_mb_main_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_mb_largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }
    if cpu1:
        # CPU seconds of one process: what the extraction costs whatever else the machine runs
        out["jobs1_cpu_seconds"] = [round(x, 2) for x in cpu1]
        out["jobs1_words_per_cpu_second_median"] = round(n_words / statistics.median(cpu1))
    if client is not None:
        client.close()
        cluster.close()
        warm = dask_times[1:]
        out[f"dask{dask_workers}_first_run_seconds_with_model_loading"] = round(dask_times[0], 2)
        out[f"dask{dask_workers}_seconds"] = [round(x, 2) for x in warm]
        out[f"dask{dask_workers}_words_per_s_median"] = round(n_words / statistics.median(warm))
        out[f"dask{dask_workers}_ratio_vs_spacy_full_pipeline"] = round(med_ref / statistics.median(warm), 3)
    for j in jobs:
        med = statistics.median(ours[j])
        out[f"jobs{j}_seconds"] = [round(x, 2) for x in ours[j]]
        out[f"jobs{j}_words_per_s_median"] = round(n_words / med)
        out[f"jobs{j}_ratio_vs_spacy_full_pipeline"] = round(med_ref / med, 3)
        out[f"jobs{j}_speedup_vs_jobs{jobs[0]}"] = round(statistics.median(ours[jobs[0]]) / med, 2)
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
    ap.add_argument("--dask-workers", type=int, default=0, help="also run on a Dask LocalCluster of N workers")
    a = ap.parse_args()
    print(json.dumps(run(a.words, a.runs, tuple(a.jobs), a.dask_workers), indent=2))


if __name__ == "__main__":
    main()
