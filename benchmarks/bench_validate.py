"""Benchmark of `essgraph validate`: the fast engine (SHACL compiled to SPARQL in
Oxigraph) against pySHACL, on synthetic graphs shaped like essgraph's (gen_graph.py).

    python benchmarks/bench_validate.py --sizes 100000 1000000 --runs 3 --pyshacl-runs 3

For each size: generate the N-Quads file (cached in --workdir), bulk-load it into an
on-disk store, then run each engine --runs times, each run in a fresh process that
opens the store read-only and times validate() alone; peak RSS is that process's.
pySHACL runs only up to --pyshacl-max triples. Results of the two engines are
compared as multisets of (focus, path, value, shape, component, severity).
Prints a Markdown table of medians.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(engine: str, store_dir: str) -> dict:
    import pyoxigraph as ox

    from ess_graph.validate import validate
    store = ox.Store.read_only(store_dir)
    t = time.perf_counter()
    report = validate(store, engine=engine)
    secs = time.perf_counter() - t
    keys = sorted(json.dumps([r[k] for k in ("focusNode", "resultPath", "value", "sourceShape",
                                             "sourceConstraintComponent", "severity")])
                  for r in report.results)
    return {"engine": engine, "seconds": secs, "results": len(report.results),
            "digest": hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16],
            "fallback": len(report.fallback),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(engine: str, store_dir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", engine, str(store_dir)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pyshacl-runs", type=int, default=3)
    ap.add_argument("--pyshacl-max", type=int, default=100000)
    ap.add_argument("--workdir", default="/tmp/essgraph-bench-validate")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "STORE"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(*a.one)))
        return 0
    import shutil

    import pyoxigraph as ox
    sys.path.insert(0, str(HERE))
    import gen_graph
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in a.sizes:
        nq = work / f"graph-{n}.nq"
        if not nq.exists():
            gen_graph.main([str(n), str(nq)])
        store_dir = work / f"store-{n}"
        shutil.rmtree(store_dir, ignore_errors=True)
        t = time.perf_counter()
        st = ox.Store(str(store_dir))
        st.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        st.flush()
        triples = len(st)
        del st
        load_s = time.perf_counter() - t
        fast = [run_child("fast", store_dir) for _ in range(a.runs)]
        ref = [run_child("pyshacl", store_dir) for _ in range(a.pyshacl_runs)] if n <= a.pyshacl_max else []
        fm = statistics.median(r["seconds"] for r in fast)
        row = {"size": n, "triples": triples, "load_s": load_s, "fast_s": fm,
               "fast_runs": [round(r["seconds"], 2) for r in fast],
               "fast_rss_mb": max(r["peak_rss_mb"] for r in fast), "results": fast[0]["results"],
               "fallback": fast[0]["fallback"]}
        if ref:
            pm = statistics.median(r["seconds"] for r in ref)
            row.update({"pyshacl_s": pm, "pyshacl_runs": [round(r["seconds"], 2) for r in ref],
                        "pyshacl_rss_mb": max(r["peak_rss_mb"] for r in ref), "ratio": pm / fm,
                        "same_results": {r["digest"] for r in fast} == {r["digest"] for r in ref},
                        "pyshacl_results": ref[0]["results"]})
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| triples | load | fast engine (median) | peak RSS | pySHACL (median) | peak RSS | ratio | results | same results |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p = (f"{r['pyshacl_s']:.1f} s {r['pyshacl_runs']} | {r['pyshacl_rss_mb']:.0f} MB | {r['ratio']:.0f}x"
             if "pyshacl_s" in r else "not run | | ")
        same = r.get("same_results", "n/a")
        print(f"| {r['triples']} | {r['load_s']:.1f} s | {r['fast_s']:.2f} s {r['fast_runs']} | "
              f"{r['fast_rss_mb']:.0f} MB | {p} | {r['results']} | {same} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
