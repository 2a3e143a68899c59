"""Territory reference graph: build, load, store size, linker start-up, roll-up strategies.

Run:  .venv/bin/python benchmarks/bench_territories.py [--actors 20000] [--runs 5]

Roll-up compares, on the loaded reference graph plus synthetic actors (one
clipping graph per 100 actors, ``ess:locatedIn`` a random commune, commune
déléguée, arrondissement or EPCI), the materialised hierarchy
(``?place ess:within? <dep>``) against SPARQL property paths over
``igeo:subdivisionDirecteDe`` (EPCI reached through their member communes).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ess_graph.iris import territory_iri  # noqa: E402
from ess_graph.namespaces import ESS, ID, PREFIXES  # noqa: E402
from ess_graph.store import GraphStore  # noqa: E402
from ess_graph.territories import TerritoryLinker, default_data, ensure_reference_graph, write_reference_graph  # noqa: E402
from ess_graph.territories.graph import commune_iri  # noqa: E402
from ess_graph.territories.linker import _default_linker  # noqa: E402

Q_WITHIN = """SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a ess:locatedIn ?p . ?p ess:within? <%s> }"""
Q_PATH = """SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a ess:locatedIn ?p .
  { ?p igeo:subdivisionDirecteDe* <%s> }
  UNION { ?p a igeo:Intercommunalite . ?p ^igeo:subdivisionDirecteDe/igeo:subdivisionDirecteDe+ <%s> } }"""


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def median_time(fn, runs):
    ts = []
    res = None
    for _ in range(runs):
        t = time.perf_counter()
        res = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actors", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        data = default_data()
        t_data = time.perf_counter() - t
        t = time.perf_counter()
        n = write_reference_graph(tmp / "ref.nt", data)
        t_build = time.perf_counter() - t
        print(f"tables loaded in {t_data:.2f} s; graph generated: {n} triples, "
              f"{os.path.getsize(tmp / 'ref.nt') / 1e6:.1f} MB N-Triples in {t_build:.2f} s")
        t = time.perf_counter()
        _default_linker.cache_clear()
        TerritoryLinker.default()
        print(f"TerritoryLinker.default() (index build): {time.perf_counter() - t:.2f} s")

        store = GraphStore(tmp / "store")
        t = time.perf_counter()
        g = ensure_reference_graph(store, data)
        t_load = time.perf_counter() - t
        store.flush()
        print(f"ensure_reference_graph (generate + transactional load): {t_load:.2f} s; "
              f"store {len(store)} quads, {du(tmp / 'store') / 1e6:.1f} MB on disk")
        t = time.perf_counter()
        ensure_reference_graph(store, data)
        print(f"ensure_reference_graph again (already loaded): {(time.perf_counter() - t) * 1000:.1f} ms")
        ref = ox.Store()
        t = time.perf_counter()
        ref.bulk_load(path=str(tmp / "ref.nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
        print(f"reference: in-memory Store.bulk_load of the same file: {time.perf_counter() - t:.2f} s")

        # synthetic actors
        rnd = random.Random(42)
        com_codes = {c.code for c in data.communes if c.kind == "COM"}
        places = [commune_iri(c.code, c.kind, com_codes) for c in data.communes]
        places += [territory_iri("Intercommunality", s) for s in data.epcis] * 5
        quads = []
        for i in range(args.actors):
            gn = ox.NamedNode(f"{ID}clipping/bench-{i // 100}")
            quads.append(ox.Quad(ox.NamedNode(f"{ID}org/bench-{i}"), ox.NamedNode(ESS + "locatedIn"),
                                 ox.NamedNode(rnd.choice(places)), gn))
        store.store.extend(quads)
        print(f"{args.actors} synthetic actors in {args.actors // 100} clipping graphs")
        print("| area | ess:within? (materialised) median s | igeo:subdivisionDirecteDe paths median s | ratio | actors |")
        print("|---|---|---|---|---|")
        for label, area in (("département 05", territory_iri("Department", "05")),
                            ("département 59", territory_iri("Department", "59")),
                            ("région 93", territory_iri("Region", "93")),
                            ("région 84", territory_iri("Region", "84"))):
            def run(q):
                return int(next(iter(store.store.query(q, prefixes=dict(PREFIXES),
                                                       use_default_graph_as_union=True)))["n"].value)
            tw, nw = median_time(lambda: run(Q_WITHIN % area), args.runs)
            tp, np_ = median_time(lambda: run(Q_PATH % (area, area)), args.runs)
            assert nw == np_, (label, nw, np_)
            print(f"| {label} | {tw:.3f} | {tp:.3f} | {tp / tw:.1f}× | {nw} |")
        store.close()


if __name__ == "__main__":
    main()
