"""SHACL validation of the store or of RDF files.

Two engines give the same results:

- ``"fast"`` (default): the SHACL Core constraints of the shapes are compiled to
  SPARQL and run by Oxigraph over the union of all graphs
  (:mod:`ess_graph.validate.engine`). A top-level shape containing a constraint
  the compiler cannot express is validated by pySHACL on that shape's focus
  nodes (never skipped); the report lists such shapes in ``fallback``.
- ``"pyshacl"``: pySHACL alone, on an rdflib copy of the same union graph.

A graph validated on its own when it was written (the territory reference
graph, see :mod:`ess_graph.validate.context`) stays in the data graph but its
own nodes are not checked again by the fast engine, unless ``full=True``.

``changed=True`` restricts the focus nodes to the subjects and objects of the
clipping graphs written by the last load (``essr:load/latest ess:changedGraph``
in the provenance graph); ``focus_graphs`` does the same for given graphs.
"""
from __future__ import annotations

import hashlib
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
from .shapes import ShapeError, ShapesGraph, sparql_errors

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
        _check_all_shapes(sg)
    except ShapeError as e:
        raise _placed(e, files) from None
    sg.source = ", ".join(str(f) for f in files)
    for text, msg, line, col in sparql_errors(sg):
        raise _sparql_error(files, text, msg, line, col)
    digest = hashlib.sha256()
    for f in files:
        data = f.read_bytes()
        digest.update(f"{len(data)}\0".encode() + data)
    sg.digest = digest.hexdigest()
    return sg


def _check_all_shapes(sg: ShapesGraph) -> None:
    """Read every shape reachable from the top-level ones, so that a malformed one is
    reported when the shapes are loaded."""
    from rdflib.collection import Collection

    g = sg.graph
    todo = [s.node for s in sg.top_level]
    seen = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        shape = sg.shape(n)
        todo += shape.properties
        for name, v in shape.params:
            if name in ("node", "not", "qualifiedValueShape"):
                todo.append(v)
            elif name in ("and", "or", "xone"):
                todo += list(Collection(g, v))


def _placed(e: ShapeError, files: list[Path]) -> ShapeError:
    """The shape error with the file and line where the shape concerned is written
    (found from its name, or from the path of a blank-node property shape)."""
    import re
    m = re.search(r"shape (\S+):\s", e.message)
    needle = None
    if m:
        key = m.group(1)
        if key.startswith("_:"):
            hint = key[2:].rsplit("-", 1)[0]
            if hint:
                needle = re.compile(r"sh:path\s+(?:\S*[:#/])?" + re.escape(hint) + r"\b")
        else:
            local = re.split(r"[#/:]", key)[-1]
            if local:
                needle = re.compile(r"(?:^|[\s:#/<])" + re.escape(local) + r"(?:>|\s|$)", re.M)
    if needle is not None:
        for f in files:
            try:
                text = f.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            hit = needle.search(text)
            if hit:
                line = text.count("\n", 0, hit.start()) + 1
                return ShapeError(e.message, source=str(f), line=line)
    return ShapeError(e.message, source=", ".join(str(f) for f in files))


def _sparql_error(files: list[Path], text: str, msg: str, line, col) -> InputError:
    """The error of a SPARQL constraint, placed in the shapes file that holds its text."""
    for f in files:
        try:
            content = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        at = content.find(text)
        if at < 0:
            continue
        start_line = content.count("\n", 0, at) + 1
        start_col = at - (content.rfind("\n", 0, at) + 1) + 1
        if line is None:
            return InputError(f"invalid SPARQL constraint: {msg}", source=str(f), line=start_line,
                              column=start_col)
        return InputError(f"invalid SPARQL constraint: {msg}", source=str(f),
                          line=start_line + line - 1, column=col + (start_col - 1 if line == 1 else 0))
    where = f" (line {line}, column {col} of the query)" if line is not None else ""
    return InputError(f"invalid SPARQL constraint{where}: {msg}", source=", ".join(map(str, files)))


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
             changed: bool = False, full: bool = False, graphs: list[str] | None = None) -> ValidationReport:
    """Validate ``data`` against SHACL ``shapes``.

    ``data``: a :class:`~ess_graph.store.GraphStore`, a :class:`pyoxigraph.Store` or RDF file paths
    (syntax from the extension). The union of all graphs is validated.
    ``shapes``: shapes files or directories; ``None`` for the bundled shapes.
    ``engine``: ``"fast"`` or ``"pyshacl"``.
    ``focus_graphs`` / ``changed``: restrict focus nodes to the nodes of those graphs /
    of the graphs changed by the last load.
    ``full``: also re-check the nodes of the context graphs (validated when written).
    ``graphs``: validate these named graphs of the store only (their union is the data graph).
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (expected one of {', '.join(ENGINES)})")
    with quiet_rdflib():
        try:
            return _validate(data, shapes, engine, focus_graphs, changed, full, graphs)
        except ShapeError as e:
            raise InputError(f"invalid shapes: {e.message}", source=e.source, line=e.line, column=e.column) from None


def _validate(data, shapes, engine, focus_graphs, changed, full, graphs) -> ValidationReport:
    sg = load_shapes(shapes)
    store = _as_store(data)
    if graphs is not None and (changed or focus_graphs is not None):
        raise InputError("graphs cannot be combined with changed or focus_graphs")
    if changed:
        focus_graphs = sorted(set(focus_graphs or []) | set(changed_graphs(store)))
    t0 = time.perf_counter()
    fallback: list[tuple[str, str]] = []
    results: list[Result]
    stats: dict = {}
    if engine == "pyshacl":
        from .reference import run_pyshacl
        focus = _touched_nodes(store, focus_graphs) if focus_graphs is not None else None
        results = run_pyshacl(store_to_rdflib(store, graphs), sg, focus_nodes=focus)
    else:
        context = None
        if not full and focus_graphs is None and graphs is None:
            from .context import find_context
            context = find_context(store, sg)
        eng = FastEngine(store, sg, focus_graphs=focus_graphs, graphs=graphs, context=context)
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
            data_graph = store_to_rdflib(store, graphs)
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
        if context is not None:
            from .context import recorded
            stats["context"] = {"graphs": [recorded(store, g) for g in context.graphs],
                                "local_shapes": eng.skipped_shapes}
    stats["seconds"] = time.perf_counter() - t0
    return ValidationReport(results, sg, store=store, engine=engine, fallback=fallback,
                            focus_graphs=focus_graphs, stats=stats)


def _declared_targets(sg: ShapesGraph, shape) -> set:
    return {t for kind, t in shape.targets if kind == "node"}
