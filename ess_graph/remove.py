"""Removing clippings from the store: by id, by source file, or those whose file is gone.

A clipping's facts live in its own named graph (its IRI is the clipping's IRI),
so removing the graph removes exactly the facts only that clipping supported:
an organisation, person or relation also stated by another clipping keeps that
clipping's copy. Outside the clipping graphs, what points at a removed clipping
goes too: its extraction activity in the provenance graph (``prov:used`` the
clipping; the activity is deleted once it is used by no remaining clipping) and
the ``essr:load/latest ess:changedGraph`` mark, as does any other triple of a
non-clipping graph (provenance, curation) whose subject or object is the
clipping. The territory reference graph is never touched.

Everything happens in one SPARQL Update, hence one Oxigraph transaction: the
removal lands whole or not at all. Unknown ids or source files are refused
before anything is written.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .iris import clipping_iri
from .namespaces import ESS, ID, PREFIXES
from .store import PROVENANCE_GRAPH, REFERENCE_GRAPH_PREFIX, GraphStore

CLIPPING_PREFIX = ID + "clipping/"
PROV_USED = PREFIXES["prov"] + "used"
DCT_IDENTIFIER = PREFIXES["dcterms"] + "identifier"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class RemovalReport:
    """What a removal deleted (or, with ``dry_run``, would delete)."""
    clippings: list[dict] = field(default_factory=list)   # [{graph, id, source, quads}]
    clipping_quads: int = 0          # quads of the removed clipping graphs
    other_quads: int = 0             # provenance and other links to the removed clippings
    dry_run: bool = False

    @property
    def graphs(self) -> list[str]:
        return [c["graph"] for c in self.clippings]

    def to_dict(self) -> dict:
        return {"dry_run": self.dry_run, "removed": len(self.clippings), "clippings": self.clippings,
                "clipping_quads": self.clipping_quads, "other_quads": self.other_quads}


def _open(store) -> GraphStore:
    return store if isinstance(store, GraphStore) else GraphStore(store, create=False)


def _clippings(gs: GraphStore) -> list[dict]:
    """Every clipping graph of the store: graph IRI, id and source file."""
    q = f"""SELECT ?g ?id ?src WHERE {{ GRAPH ?g {{ ?g <{RDF_TYPE}> <{ESS}Clipping> .
            OPTIONAL {{ ?g <{DCT_IDENTIFIER}> ?id }} OPTIONAL {{ ?g <{ESS}sourceFile> ?src }} }} }}"""
    out = {}
    for r in gs.store.query(q):
        g = r["g"].value
        out.setdefault(g, {"graph": g, "id": r["id"].value if r["id"] is not None else None,
                           "source": r["src"].value if r["src"] is not None else None})
    return [out[g] for g in sorted(out)]


def _resolve_ids(known: list[dict], ids: Iterable[str]) -> list[dict]:
    by_key: dict[str, dict] = {}
    for c in known:
        by_key[c["graph"]] = c
        by_key[c["graph"][len(CLIPPING_PREFIX):]] = c
        if c["id"] is not None:
            by_key.setdefault(c["id"], c)
    found, unknown = [], []
    for i in ids:
        c = by_key.get(i) or by_key.get(clipping_iri(i))
        (found.append(c) if c else unknown.append(i))
    if unknown:
        raise InputError(f"no clipping with id {', '.join(map(repr, unknown))} in the store "
                         f"(nothing removed)")
    return found


def _source_forms(path: str) -> set[str]:
    """The ways a source file may have been recorded (see pipeline.normalise_source)."""
    from .pipeline import normalise_source
    return {path, normalise_source(path), Path(path).resolve().as_posix()}


def _resolve_sources(known: list[dict], sources: Iterable[str]) -> list[dict]:
    found, unknown = [], []
    for s in sources:
        forms = _source_forms(s)
        hits = [c for c in known if c["source"] in forms]
        (found.extend(hits) if hits else unknown.append(s))
    if unknown:
        raise InputError(f"no clipping from source file {', '.join(map(repr, unknown))} in the store "
                         f"(nothing removed)")
    return found


def gone_sources(gs: GraphStore, directory: str | os.PathLike) -> list[dict]:
    """Clippings whose recorded source file lies under ``directory`` and no longer exists."""
    root = Path(directory).resolve()
    out = []
    for c in _clippings(gs):
        src = c["source"]
        if not src or src.startswith("data/samples/"):
            continue
        p = Path(src)
        # ess:sourceFile is relative to the folder loaded (absolute with --publish-paths)
        p = (p if p.is_absolute() else root / p).resolve()
        if (p == root or root in p.parents) and not p.exists():
            out.append(c)
    return out


def _count(gs: GraphStore, graph: str) -> int:
    rows = list(gs.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    return int(rows[0]["n"].value)


def _other_links(gs: GraphStore, graphs: list[str]) -> list[ox.Quad]:
    """Quads outside clipping and reference graphs that only exist for the removed clippings."""
    if not graphs:
        return []
    vals = " ".join(f"<{g}>" for g in graphs)
    keep = f"FILTER(!STRSTARTS(STR(?h), \"{CLIPPING_PREFIX}\") && !STRSTARTS(STR(?h), \"{REFERENCE_GRAPH_PREFIX}\"))"
    quads = set()
    # any triple of a non-clipping graph whose subject or object is a removed clipping
    for q in gs.store.query(f"SELECT ?s ?p ?o ?h WHERE {{ VALUES ?c {{ {vals} }} GRAPH ?h {{ "
                            f"{{ ?c ?p ?o BIND(?c AS ?s) }} UNION {{ ?s ?p ?c BIND(?c AS ?o) }} }} {keep} }}"):
        quads.add(ox.Quad(q["s"], q["p"], q["o"], q["h"]))
    # activities that used only removed clippings: all their triples
    rows = gs.store.query(f"""SELECT DISTINCT ?a ?h WHERE {{ VALUES ?c {{ {vals} }}
        GRAPH ?h {{ ?a <{PROV_USED}> ?c }} {keep}
        FILTER NOT EXISTS {{ GRAPH ?h {{ ?a <{PROV_USED}> ?other }} FILTER(?other NOT IN ({", ".join(f"<{g}>" for g in graphs)})) }} }}""")
    for r in rows:
        for q in gs.store.quads_for_pattern(r["a"], None, None, r["h"]):
            quads.add(q)
    return sorted(quads, key=str)


def remove(store: GraphStore | str | os.PathLike | None, clipping_ids: Iterable[str] = (), *,
           sources: Iterable[str] = (), prune: str | os.PathLike | None = None,
           dry_run: bool = False) -> RemovalReport:
    """Remove clippings and what only they supported, in one transaction.

    ``clipping_ids``: clipping ids (``dcterms:identifier``), clipping IRIs or their last
    segment; ``sources``: source files (as given to ``essgraph load``): all their
    clippings; ``prune``: a directory: the clippings whose source file under it is gone.
    Unknown ids or sources raise :class:`~ess_graph.errors.InputError` and change nothing.
    ``dry_run``: report what would be removed, change nothing.
    """
    ids, srcs = list(clipping_ids), list(sources)
    if not ids and not srcs and prune is None:
        raise InputError("nothing to remove: give clipping ids, --source FILE or a directory to prune")
    gs = _open(store)
    try:
        return _remove(gs, ids, srcs, prune, dry_run)
    finally:
        if gs is not store:
            gs.close()


def _remove(gs: GraphStore, ids: list[str], srcs: list[str], prune, dry_run: bool) -> RemovalReport:
    known = _clippings(gs)
    chosen = _resolve_ids(known, ids) + _resolve_sources(known, srcs)
    if prune is not None:
        if not Path(prune).is_dir():
            raise InputError("no such directory", source=str(prune))
        chosen += gone_sources(gs, prune)
    uniq = {c["graph"]: c for c in chosen}
    report = RemovalReport(dry_run=dry_run)
    graphs = sorted(uniq)
    for g in graphs:
        c = dict(uniq[g])
        c["quads"] = _count(gs, g)
        report.clippings.append(c)
        report.clipping_quads += c["quads"]
    links = _other_links(gs, graphs)
    report.other_quads = len(links)
    if dry_run or not graphs:
        return report
    ops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
    if links:
        body = "\n".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in links)
        ops.append("DELETE DATA {\n" + body + "\n}")
    gs.replace_graphs({}, before=ops)
    gs.flush()
    return report


__all__ = ["remove", "RemovalReport", "gone_sources", "PROVENANCE_GRAPH"]
