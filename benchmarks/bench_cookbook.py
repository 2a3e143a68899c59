"""Median time of every docs/cookbook.md query on a store of synthetic clippings (target: < 1 s each).

Corpus: the synthetic clippings of benchmarks/bench_load.py (sentences of ``SHARED/dev-real`` and
``SHARED/dev-gold`` drawn with a fixed seed, names rotated; about 264 words each), built by its
``write_corpus`` and loaded with ``essgraph load CORPUS --store STORE --jobs J`` (the default
extractor, the territory reference graph). The store is kept when ``--store`` names an existing
one, so that the timings can be repeated without re-loading.

Each query runs once to warm the caches, then ``--runs`` times in this process through
``ess_graph.queries.execute`` (the function behind ``essgraph query``, without the child process
that applies ``--timeout``), reading every row. The script prints, per question, the median and
the slowest run in seconds and the number of rows, as JSON (and as a markdown table with
``--markdown``):

    .venv/bin/python benchmarks/bench_cookbook.py --shared ../shared --clippings 1000 --runs 5 --markdown

``--shared`` defaults to $ESSGRAPH_SHARED, else ``../shared`` beside the repository.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from bench_load import sentences, shared_dir, write_corpus  # noqa: E402
from test_cookbook import COOKBOOK, parse_cookbook  # noqa: E402

TARGET_S = 1.0


def build_store(store: Path, n: int, shared: Path, jobs: int, work: Path) -> dict:
    corpus = work / f"corpus-{n}.jsonl"
    words = write_corpus(corpus, n, sentences(shared))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    essgraph = str(Path(sys.executable).parent / "essgraph")
    t0 = time.perf_counter()
    out = subprocess.run([essgraph, "load", str(corpus), "--store", str(store), "--jobs", str(jobs),
                          "-q", "--format", "json"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 1):     # 1: some facts were left out as invalid, the store is built
        sys.exit(f"bench_cookbook: essgraph load failed ({out.returncode}): {out.stderr.strip()}")
    corpus.unlink()
    rep = json.loads(out.stdout)
    return {"clippings": n, "words": words, "load_s": round(wall, 1), "stored": rep.get("stored")}


def time_queries(store_path: Path, runs: int) -> list[dict]:
    import pyoxigraph as ox
    from ess_graph.queries import execute
    store = ox.Store.read_only(str(store_path))
    results = []
    for q in parse_cookbook(COOKBOOK.read_text(encoding="utf-8")):
        rows = sum(1 for _ in execute(store, q.query))            # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = sum(1 for _ in execute(store, q.query))
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        results.append({"question": q.key, "title": q.title, "rows": rows,
                        "median_s": round(med, 4), "max_s": round(max(times), 4),
                        "under_target": med < TARGET_S})
    return results


def store_counts(store_path: Path) -> dict:
    import pyoxigraph as ox
    from ess_graph.queries import execute
    store = ox.Store.read_only(str(store_path))
    q = ("SELECT (COUNT(DISTINCT ?c) AS ?clippings) WHERE { GRAPH ?c { ?c a ess:Clipping } }")
    clippings = int(next(iter(execute(store, q)))["clippings"].value)
    quads = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    return {"clippings_in_store": clippings, "quads": quads}


def markdown(results: list[dict]) -> str:
    out = ["| question | rows | median (s) | slowest run (s) | < 1 s |", "|---|---:|---:|---:|---|"]
    for r in results:
        out.append(f"| {r['question']}. {r['title']} | {r['rows']} | {r['median_s']:.3f} | {r['max_s']:.3f} | "
                   f"{'yes' if r['under_target'] else '**no**'} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", help="the shared folder with dev-real/ and dev-gold/ ($ESSGRAPH_SHARED)")
    ap.add_argument("--clippings", type=int, default=1000, help="synthetic clippings in the store")
    ap.add_argument("--store", help="store to use; built there when it does not exist (default: a temporary one)")
    ap.add_argument("--jobs", type=int, default=2, help="extraction workers of the load")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per query (after one warm-up)")
    ap.add_argument("--out", help="also write the results to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-cookbook-") as tmp:
        store = Path(args.store) if args.store else Path(tmp) / "store"
        build = None
        if not store.exists():
            build = build_store(store, args.clippings, shared_dir(args.shared), args.jobs, Path(tmp))
        report = {"store": build or "existing", **store_counts(store), "runs": args.runs,
                  "target_s": TARGET_S, "load_avg_1min": os.getloadavg()[0],
                  "queries": time_queries(store, args.runs)}
        report["all_under_target"] = all(r["under_target"] for r in report["queries"])
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.markdown:
        print(markdown(report["queries"]))


if __name__ == "__main__":
    main()
