"""SHACL validation of the store or of RDF files.

Two engines give the same results:

- ``"fast"`` (default): the SHACL Core constraints of the shapes are compiled to
  SPARQL and run by Oxigraph over the union of all graphs
  (:mod:`ess_graph.validate.engine`). A top-level shape containing a constraint
  the compiler cannot express is validated by pySHACL on that shape's focus
  nodes (never skipped); the report lists such shapes in ``fallback``.
- ``"pyshacl"``: pySHACL alone, on an rdflib copy of the same union graph.

``changed=True`` restricts the focus nodes to the subjects and objects of the
clipping graphs written by the last load (``essr:load/latest ess:changedGraph``
in the provenance graph); ``focus_graphs`` does the same for given graphs.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError
from ..formats import GENERIC_EXTENSIONS, RDF_FILE_EXTENSIONS
from ..namespaces import ESS
from ..resources import shapes_dir
from ..store import LATEST_LOAD, PROVENANCE_GRAPH
from .engine import FastEngine, Result, Uncompilable
from .rdfio import load_files, parse_to_rdflib, quiet_rdflib, store_to_rdflib, to_rdflib
from .report import ValidationReport
from .shapes import ShapeError, ShapesGraph

__all__ = ["validate", "ValidationReport", "load_shapes", "changed_graphs", "ENGINES"]

ENGINES = ("fast", "pyshacl")
# RDF files read from a shapes directory (.json and .xml files there are not taken for RDF)
SHAPE_EXTENSIONS = frozenset(RDF_FILE_EXTENSIONS) - GENERIC_EXTENSIONS


def load_shapes(shapes: Iterable[str | os.PathLike] | str | os.PathLike | None = None) -> ShapesGraph:
    """Read shapes files (or directories of them); the bundled shapes/ by default."""
    if shapes is None:
        shapes = [shapes_dir()]
    elif isinstance(shapes, (str, os.PathLike)):
        shapes = [shapes]
    files: list[Path] = []
    for s in shapes:
        p = Path(s)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() in SHAPE_EXTENSIONS)
        elif p.exists():
            files.append(p)
        else:
            raise InputError("no such shapes file", source=str(p))
    if not files:
        raise InputError("no shapes file found", source=", ".join(str(s) for s in shapes))
    graph = parse_to_rdflib(files)
    try:
        sg = ShapesGraph(graph)
    except ShapeError as e:
        raise ShapeError(e.message, source=", ".join(str(f) for f in files)) from None
    sg.source = ", ".join(str(f) for f in files)
    return sg


def _as_store(data) -> ox.Store:
    if isinstance(data, ox.Store):
        return data
    if hasattr(data, "store") and isinstance(getattr(data, "store"), ox.Store):
        return data.store
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    paths = list(data)
    if not paths:
        raise InputError("no RDF file to validate")
    return load_files(paths)


def changed_graphs(store: ox.Store) -> list[str]:
    """Clipping graphs written by the last load, as recorded in the provenance graph."""
    rows = store.query(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> <{ESS}changedGraph> ?g }} }}")
    return sorted(r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode))


def _touched_nodes(store: ox.Store, graphs: list[str]) -> list:
    if not graphs:
        return []
    vals = " ".join(f"<{g}>" for g in graphs)
    rows = store.query(f"SELECT DISTINCT ?n WHERE {{ VALUES ?g {{ {vals} }} "
                       f"GRAPH ?g {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }} }}")
    return [to_rdflib(r["n"]) for r in rows]


def validate(data, shapes=None, *, engine: str = "fast", focus_graphs: list[str] | None = None,
             changed: bool = False) -> ValidationReport:
    """Validate ``data`` against SHACL ``shapes``.

    ``data``: a :class:`~ess_graph.store.GraphStore`, a :class:`pyoxigraph.Store` or RDF file paths
    (syntax from the extension). The union of all graphs is validated.
    ``shapes``: shapes files or directories; ``None`` for the bundled shapes.
    ``engine``: ``"fast"`` or ``"pyshacl"``.
    ``focus_graphs`` / ``changed``: restrict focus nodes to the nodes of those graphs /
    of the graphs changed by the last load.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (expected one of {', '.join(ENGINES)})")
    with quiet_rdflib():
        try:
            return _validate(data, shapes, engine, focus_graphs, changed)
        except ShapeError as e:
            raise InputError(f"invalid shapes: {e.message}", source=e.source) from None


def _validate(data, shapes, engine, focus_graphs, changed) -> ValidationReport:
    sg = load_shapes(shapes)
    store = _as_store(data)
    if changed:
        focus_graphs = sorted(set(focus_graphs or []) | set(changed_graphs(store)))
    t0 = time.perf_counter()
    fallback: list[tuple[str, str]] = []
    results: list[Result]
    stats: dict = {}
    if engine == "pyshacl":
        from .reference import run_pyshacl
        focus = _touched_nodes(store, focus_graphs) if focus_graphs is not None else None
        results = run_pyshacl(store_to_rdflib(store), sg, focus_nodes=focus)
    else:
        eng = FastEngine(store, sg, focus_graphs=focus_graphs)
        results = []
        pending = []
        for shape in sg.top_level:
            if shape.deactivated:
                continue
            try:
                results += eng.run_top_level(shape)
            except Uncompilable as e:
                pending.append((shape, str(e)))
        if pending:
            from .reference import run_pyshacl
            data_graph = store_to_rdflib(store)
            touched = None
            for shape, reason in pending:
                fallback.append((sg.key_of(shape.node), reason))
                focus = None            # unrestricted: pySHACL uses the shape's own targets
                if focus_graphs is not None:
                    try:
                        focus = [to_rdflib(t) for t in eng.focus_nodes(eng.target_focus(shape))]
                    except Uncompilable:
                        if touched is None:
                            touched = set(_touched_nodes(store, focus_graphs))
                        focus = sorted(touched & _declared_targets(sg, shape), key=str)
                results += run_pyshacl(data_graph, sg, shape=shape, focus_nodes=focus)
        stats["queries"] = eng.query_count
    stats["seconds"] = time.perf_counter() - t0
    return ValidationReport(results, sg, store=store, engine=engine, fallback=fallback,
                            focus_graphs=focus_graphs, stats=stats)


def _declared_targets(sg: ShapesGraph, shape) -> set:
    return {t for kind, t in shape.targets if kind == "node"}
