"""Benchmark of `essgraph validate`: the fast engine (SHACL compiled to SPARQL in
Oxigraph) against pySHACL, on synthetic graphs shaped like essgraph's (gen_graph.py).

    python benchmarks/bench_validate.py --sizes 100000 1000000 --runs 3 --pyshacl-runs 3

For each size: generate the N-Quads file (cached in --workdir), bulk-load it into an
on-disk store, then run each engine --runs times, each run in a fresh process that
opens the store read-only and times validate() alone; peak RSS is that process's.
pySHACL runs only up to --pyshacl-max triples. Results of the two engines are
compared as multisets of (focus, path, value, shape, component, severity).
Prints a Markdown table of medians.

With --real, the stores are real essgraph stores, with the territory reference graph
(validated once when written, then kept as data context): the bundled sample loaded by
`essgraph load`, and that store plus the clipping graphs of a synthetic corpus
(gen_graph.py's clippings, pointing at real communes) of each --sizes triples. The fast
engine (default: reference graph not re-checked), the fast engine with full=True and
pySHACL run on each store in the same run; their result multisets are compared.

    python benchmarks/bench_validate.py --real --sizes 100000 300000 --runs 3 --pyshacl-runs 1
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
    if engine == "fast-full":
        report = validate(store, engine="fast", full=True)
    else:
        report = validate(store, engine=engine)
    secs = time.perf_counter() - t
    keys = sorted(json.dumps([r[k] for k in ("focusNode", "resultPath", "value", "sourceShape",
                                             "sourceConstraintComponent", "severity")])
                  for r in report.results)
    return {"engine": engine, "seconds": secs, "results": len(report.results),
            "context": "context" in report.stats,
            "digest": hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16],
            "fallback": len(report.fallback),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(engine: str, store_dir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", engine, str(store_dir)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100000, 1000000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pyshacl-runs", type=int, default=3)
    ap.add_argument("--pyshacl-max", type=int, default=100000)
    ap.add_argument("--workdir", default="/tmp/essgraph-bench-validate")
    ap.add_argument("--one", nargs=2, metavar=("ENGINE", "STORE"), help=argparse.SUPPRESS)
    ap.add_argument("--real", action="store_true", help="real stores with the territory reference graph")
    a = ap.parse_args(argv)
    if a.one:
        print(json.dumps(one(*a.one)))
        return 0
    if a.real:
        return real(a)
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
                        "pyshacl_rss_mb": max((r["peak_rss_mb"] for r in ref), default=float("nan")), "ratio": pm / fm,
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


def cli_seconds(store_dir: Path) -> float:
    """Wall time of `essgraph validate` (a fresh process, imports included)."""
    exe = Path(sys.executable).with_name("essgraph")
    t = time.perf_counter()
    subprocess.run([str(exe), "validate", "--store", str(store_dir)], capture_output=True)
    return time.perf_counter() - t


def real(a) -> int:
    import shutil

    import pyoxigraph as ox
    sys.path.insert(0, str(HERE))
    import gen_graph
    from ess_graph.pipeline import load
    from ess_graph.store import GraphStore
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sample = work / "real-sample"
    if not sample.exists():
        t = time.perf_counter()
        gs = GraphStore(sample)
        load(None, gs)
        gs.close()
        print(f"sample store loaded in {time.perf_counter() - t:.1f} s", flush=True)
    st = ox.Store.read_only(str(sample))
    communes = sorted(r["c"].value for r in st.query(
        "SELECT ?c WHERE { GRAPH ?g { ?c a <http://rdf.insee.fr/def/geo#Commune> } }"))
    del st

    class RealGen(gen_graph.Gen):
        def territories(self, n_communes):       # the real reference graph is in the store
            self.communes = communes[:: max(1, len(communes) // 5000)]

    stores = [("sample", sample)]
    for n in a.sizes:
        d = work / f"real-{n}"
        if not d.exists():
            nq = work / f"real-clippings-{n}.nq"
            gen = RealGen(n, 1, 0.01)
            nq.write_text("\n".join(gen.run()) + "\n", encoding="utf-8")
            shutil.copytree(sample, d)
            s = ox.Store(str(d))
            s.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
            s.flush()
            del s
        stores.append((f"sample + {n:,} synthetic", d))
    rows = []
    for name, d in stores:
        triples = len(ox.Store.read_only(str(d)))
        fast = [run_child("fast", d) for _ in range(a.runs)]
        full = run_child("fast-full", d)
        ref = [run_child("pyshacl", d) for _ in range(a.pyshacl_runs)]
        clis = [cli_seconds(d) for _ in range(a.runs)]
        fm = statistics.median(r["seconds"] for r in fast)
        pm = statistics.median(r["seconds"] for r in ref) if ref else float("nan")
        row = {"store": name, "triples": triples, "fast_s": fm, "fast_runs": [round(r["seconds"], 2) for r in fast],
               "context": all(r["context"] for r in fast), "cli_s": statistics.median(clis),
               "cli_runs": [round(x, 2) for x in clis], "full_s": full["seconds"], "pyshacl_s": pm,
               "pyshacl_runs": [round(r["seconds"], 1) for r in ref], "ratio": pm / fm,
               "results": fast[0]["results"], "fast_rss_mb": max(r["peak_rss_mb"] for r in fast),
               "pyshacl_rss_mb": max((r["peak_rss_mb"] for r in ref), default=float("nan")),
               "same_results": len({r["digest"] for r in fast + [full] + ref}) == 1}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| store | triples | fast engine (median) | `essgraph validate` wall | fast, full=True | pySHACL | pySHACL / fast | results | same results (fast, full, pySHACL) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['store']} | {r['triples']:,} | {r['fast_s']:.2f} s {r['fast_runs']}, {r['fast_rss_mb']:.0f} MB | "
              f"{r['cli_s']:.2f} s {r['cli_runs']} | {r['full_s']:.2f} s | {r['pyshacl_s']:.1f} s {r['pyshacl_runs']}, "
              f"{r['pyshacl_rss_mb']:.0f} MB | **{r['ratio']:.0f}x** | {r['results']} | {r['same_results']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
