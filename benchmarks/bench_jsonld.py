"""Benchmark: the compacted JSON-LD dump against pyoxigraph's expanded JSON-LD, same quads, same run.

    .venv/bin/essgraph load --store STORE -q          # sample + reference graph
    .venv/bin/python benchmarks/bench_jsonld.py --store STORE --runs 3
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ess_graph.export.dumps import DUMP_PREFIXES, canonical_dump, compact_jsonld  # noqa: E402
from ess_graph.store import GraphStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    gs = GraphStore(args.store, read_only=True)
    canon = canonical_dump(gs)

    def expanded() -> bytes:
        quads = ox.parse(canon.nquads, format=ox.RdfFormat.N_QUADS)
        return ox.serialize(quads, format=ox.RdfFormat.JSON_LD, prefixes=DUMP_PREFIXES)

    medians = {}
    for name, f in (("pyoxigraph expanded JSON-LD", expanded),
                    ("essgraph compacted JSON-LD", lambda: compact_jsonld(canon.nquads))):
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            out = f()
            times.append(time.perf_counter() - t)
        medians[name] = statistics.median(times)
        print(f"{name}: median {medians[name]:.2f} s over {args.runs} runs, {len(out) / 1e6:.1f} MB")
    a, b = medians.values()
    print(f"quads {canon.quad_count}; ratio {b / a:.1f}x; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
