"""Benchmark: `essgraph export` of the bundled sample plus the territory reference graph.

Builds a store (sample clippings + reference graph) once, then times
``export_all`` several times and, in the same run, the reference tool: the
``oxigraph dump`` CLI writing an (unsorted, uncompressed) N-Quads dump of the
same store. Also checks that successive exports are byte-identical.

    .venv/bin/python benchmarks/bench_export.py --runs 5
    .venv/bin/pytest -m benchmark benchmarks/bench_export.py
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ess_graph.export import export_all  # noqa: E402
from ess_graph.store import GraphStore  # noqa: E402


def _oxigraph_binary() -> str | None:
    found = shutil.which("oxigraph")
    if found:
        return found
    cand = Path(sys.executable).parent / "oxigraph"
    return str(cand) if cand.exists() else None


def build_store(path: Path) -> tuple[GraphStore, dict]:
    info: dict = {}
    t0 = time.perf_counter()
    try:
        from ess_graph.pipeline import load
        gs = GraphStore(path)
        try:
            report = load(None, gs, with_reference=True)
        finally:
            gs.close()
        info["clippings"] = report.clippings
        info["reference"] = report.reference_graph
    except ImportError as e:  # pipeline not available: reference graph alone
        print(f"sample clippings not loaded ({e}); exporting the reference graph only")
        from ess_graph.territories import ensure_reference_graph
        gs = GraphStore(path)
        info["reference"] = ensure_reference_graph(gs)
        gs.close()
    info["build_s"] = time.perf_counter() - t0
    return GraphStore(path), info


def add_synthetic_clippings(store: GraphStore, n: int) -> int:
    """n copies of the three test clipping graphs under new keys (more actors, relations,
    annotations), so that tables, GeoJSON and GEXF have work to do."""
    if n <= 0:
        return 0
    import pyoxigraph as ox
    sys.path.insert(0, str(ROOT / "tests"))
    from test_export_data import CLIP1, CLIP2, CLIP3, PREFIXES, _expand
    base = _expand(CLIP1 + CLIP2 + CLIP3)
    parts = []
    for i in range(n):
        parts.append(base.replace("/id/clipping/c", f"/id/clipping/s{i}-c")
                     .replace("/id/fact/", f"/id/fact/s{i}-").replace("/id/annotation/", f"/id/annotation/s{i}-")
                     .replace("/id/org/la-bonne-fabrique", f"/id/org/la-bonne-fabrique-{i % 50}"))
    store.store.load((PREFIXES + "".join(parts)).encode(), format=ox.RdfFormat.TRIG)
    store.flush()
    return 3 * n


def run(runs: int = 5, workdir: Path | None = None, synthetic: int = 200) -> dict:
    tmp = Path(workdir or tempfile.mkdtemp(prefix="essgraph-bench-export-"))
    tmp.mkdir(parents=True, exist_ok=True)
    store, info = build_store(tmp / "store")
    info["synthetic_clippings"] = add_synthetic_clippings(store, synthetic)
    info["quads"] = len(store)
    info["graphs"] = len(store.named_graphs())
    times, cpu, sizes, sums = [], [], None, set()
    for i in range(runs):
        out = tmp / f"out{i}"
        t0, c0 = time.perf_counter(), time.process_time()
        m = export_all(store, out, base_url="https://data.example.org/essgraph/")
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        sums.add((out / "SHA256SUMS").read_bytes())
        sizes = {f.path: f.size for f in m.files}
        if i:
            shutil.rmtree(out)
    store.close()
    ref_times = []
    binary = _oxigraph_binary()
    if binary:
        for i in range(runs):
            target = tmp / f"ref{i}.nq"
            t0 = time.perf_counter()
            subprocess.run([binary, "dump", "--location", str(tmp / "store"), "--file", str(target)],
                           check=True, capture_output=True)
            ref_times.append(time.perf_counter() - t0)
            target.unlink()
    res = {
        **info, "runs": runs,
        "export_median_s": statistics.median(times), "export_all_s": times,
        "export_cpu_median_s": statistics.median(cpu),
        "reference_median_s": statistics.median(ref_times) if ref_times else None,
        "identical_reruns": len(sums) == 1, "differing_files": _differing(sums),
        "sizes": sizes, "workdir": str(tmp),
    }
    if ref_times:
        res["ratio"] = res["export_median_s"] / res["reference_median_s"]
    return res


def _differing(sums: set[bytes]) -> list[str]:
    """Files whose checksum differs between runs (the ontology files change if the ontology
    is edited while the benchmark runs; data files must never differ)."""
    seen: dict[str, set[str]] = {}
    for text in sums:
        for line in text.decode().splitlines():
            digest, path = line.split("  ", 1)
            seen.setdefault(path, set()).add(digest)
    return sorted(p for p, d in seen.items() if len(d) > 1)


def report(res: dict) -> str:
    lines = [f"store: {res['quads']:,} quads in {res['graphs']} named graphs "
             f"({res.get('clippings', '?')} sample clippings loaded, {res['synthetic_clippings']} synthetic "
             f"clipping graphs, reference graph), built in {res['build_s']:.1f} s",
             f"essgraph export (all files): median {res['export_median_s']:.2f} s wall over {res['runs']} runs "
             f"({', '.join(f'{t:.2f}' for t in res['export_all_s'])}); median CPU {res['export_cpu_median_s']:.2f} s"]
    if res.get("reference_median_s") is not None:
        lines.append(f"oxigraph dump (N-Quads only, unsorted, uncompressed): median "
                     f"{res['reference_median_s']:.2f} s; ratio {res['ratio']:.1f}x")
    lines.append(f"re-runs byte-identical: {res['identical_reruns']}"
                 + (f" (differing: {', '.join(res['differing_files'])})" if res["differing_files"] else ""))
    for path, size in sorted(res["sizes"].items()):
        lines.append(f"  {path:<28} {size:>12,d} B")
    return "\n".join(lines)


@pytest.mark.benchmark
def test_bench_export(tmp_path):
    res = run(runs=3, workdir=tmp_path)
    print(report(res))
    data_files = [p for p in res["differing_files"] if not p.startswith("ontology/")
                  and p not in ("catalog.ttl", "catalog.jsonld")]
    assert not data_files
    assert res["export_median_s"] < 60


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--synthetic", type=int, default=200,
                    help="copies of the 3 test clipping graphs added to the store")
    args = ap.parse_args()
    print(report(run(args.runs, args.workdir, args.synthetic)))
