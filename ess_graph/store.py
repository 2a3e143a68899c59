"""The on-disk Oxigraph store: opening, locking, atomic graph replacement.

One named graph per clipping (its IRI is the clipping's IRI), the territory
reference data in its own versioned graph, extraction-run provenance in
``essr:graph/provenance``. Every write that changes what clippings say goes
through :meth:`GraphStore.replace_graphs`, a single SPARQL Update and hence a
single Oxigraph transaction: the graphs it replaces are replaced whole or not at all.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from .errors import StoreError
from .namespaces import ID, PREFIXES

DEFAULT_STORE_DIR = "essgraph-store"
ENV_STORE = "ESSGRAPH_STORE"
PROVENANCE_GRAPH = ID + "graph/provenance"
LATEST_LOAD = ID + "load/latest"  # in the provenance graph: ess:changedGraph of the last load
CURATION_GRAPH = ID + "graph/curation"
REFERENCE_GRAPH_PREFIX = ID + "graph/reference/"


def resolve_store_path(path: str | os.PathLike | None = None) -> Path:
    """``--store`` if given, else ``$ESSGRAPH_STORE``, else ./essgraph-store."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env)
    return Path.cwd() / DEFAULT_STORE_DIR


def _term(t) -> str:
    return str(t)


def quads_to_insert_data(quads: Iterable[ox.Quad]) -> str:
    """Serialise quads as the body of a SPARQL ``INSERT DATA``, grouped by graph."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        g = q.graph_name
        key = "" if isinstance(g, ox.DefaultGraph) else _term(g)
        by_graph.setdefault(key, []).append(
            f"{_term(q.subject)} {_term(q.predicate)} {_term(q.object)} .")
    parts = []
    for g, lines in by_graph.items():
        body = "\n".join(lines)
        parts.append(f"GRAPH {g} {{\n{body}\n}}" if g else body)
    return "\n".join(parts)


_quads_to_insert_data = quads_to_insert_data


class GraphStore:
    """A thin wrapper over :class:`pyoxigraph.Store` with essgraph's conventions."""

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 create: bool = True):
        self.path = resolve_store_path(path)
        self.read_only = read_only
        if read_only or not create:
            if not self.path.exists():
                raise StoreError(f"no store at {self.path} (run 'essgraph load' first)",
                                 source=str(self.path))
        try:
            if read_only:
                try:
                    self.store = ox.Store.read_only(str(self.path))
                except (OSError, RuntimeError):  # a writer opening at that instant: once more
                    time.sleep(0.5)
                    self.store = ox.Store.read_only(str(self.path))
            else:
                self.store = ox.Store(str(self.path))
        except (OSError, RuntimeError) as e:  # RocksDB reports corruption as RuntimeError
            msg = " ".join(str(e).split())
            if re.search(r"\block\b", msg, re.I):  # not "block"
                raise StoreError("the store is locked by another process "
                                 "(an 'essgraph load' or 'essgraph serve' running?)",
                                 source=str(self.path)) from None
            raise StoreError(f"cannot open the store: {msg} (a damaged store: restore it from a "
                             "copy, or rebuild it with 'essgraph load')", source=str(self.path)) from None

    @classmethod
    def in_memory(cls) -> "GraphStore":
        self = cls.__new__(cls)
        self.path = None
        self.read_only = False
        self.store = ox.Store()
        return self

    # -- writing ---------------------------------------------------------
    def replace_graphs(self, graphs: Mapping[str, Iterable[ox.Quad]],
                       extra_quads: Iterable[ox.Quad] = (),
                       drop: Iterable[str] = (),
                       before: Iterable[str] = (), after: Iterable[str] = ()) -> None:
        """Atomically replace each named graph in ``graphs`` by the given quads.

        ``extra_quads`` are added in the same transaction (e.g. provenance);
        ``drop`` names further graphs to remove; ``before``/``after`` are extra
        SPARQL Update operations run first/last. Either everything is applied
        or nothing is (one SPARQL Update = one Oxigraph transaction).
        """
        if self.read_only:
            raise StoreError("the store is open read-only", source=str(self.path))
        before = list(before)
        drop = list(drop)
        all_quads: list[ox.Quad] = []
        for g, quads in graphs.items():
            gn = ox.NamedNode(g)
            for q in quads:
                all_quads.append(q if q.graph_name == gn else ox.Quad(q.subject, q.predicate, q.object, gn))
        all_quads.extend(extra_quads)
        existing = [g for g in list(graphs) + drop if self.has_graph(g)]
        try:
            if not before and not existing and not after:
                # nothing to remove: one Store.extend, a transaction without SPARQL text
                if all_quads:
                    self.store.extend(all_quads)
                return
            ops = before + [f"DROP SILENT GRAPH <{g}>" for g in existing]
            if all_quads:
                ops.append("INSERT DATA {\n" + quads_to_insert_data(all_quads) + "\n}")
            ops += list(after)
            if ops:
                self.store.update(" ;\n".join(ops))
        except OSError as e:
            raise StoreError(f"write failed, store unchanged: {e}", source=str(self.path)) from None

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction."""
        if self.read_only:
            raise StoreError("the store is open read-only", source=str(self.path))
        try:
            self.store.extend(quads)
        except OSError as e:
            raise StoreError(f"write failed, store unchanged: {e}", source=str(self.path)) from None

    def compact(self) -> None:
        """Flush the memtables, compact, and reopen, so that the write-ahead log of the
        load's transactions does not stay on disk beside the data."""
        if self.read_only or self.path is None:
            return
        self.store.flush()
        self.store.optimize()
        self.reopen()

    def build_new(self, quads: Iterable[ox.Quad], files: Iterable[tuple] = ()) -> bool:
        """Fill an empty on-disk store all at once, atomically, by the bulk loader.

        The quads are bulk-loaded into a new store in a sibling folder, which then takes the
        place of the (empty) store by renaming: a kill before the rename leaves the store
        empty, never half-written. Returns False (nothing done) for an in-memory or
        read-only store. ``files``: (path, RdfFormat, graph IRI) of generated files
        bulk-loaded first (parsed without IRI checks)."""
        import shutil
        if self.read_only or self.path is None:
            return False
        path = Path(self.path).resolve()
        for old in path.parent.glob(f".{path.name}.new-*"):
            shutil.rmtree(old, ignore_errors=True)  # left by a killed build (we hold the lock)
        tmp = path.with_name(f".{path.name}.new-{os.getpid()}")
        try:
            built = ox.Store(str(tmp))
            for fpath, fmt, graph in files:
                built.bulk_load(path=str(fpath), format=fmt, to_graph=ox.NamedNode(graph), lenient=True)
            built.bulk_extend(quads)
            built.flush()
            built.optimize()
            del built
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"write failed, store unchanged: {e}", source=str(self.path)) from None
        del self.store
        trash = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.rename(path, trash)
        os.rename(tmp, path)
        shutil.rmtree(trash, ignore_errors=True)
        self.store = ox.Store(str(path))
        return True

    def flush(self) -> None:
        if not self.read_only:
            self.store.flush()

    def reopen(self) -> None:
        """Close and reopen the store. After a very large transaction (the reference
        graph) RocksDB keeps its write-ahead log (hundreds of MB) until the next open;
        reopening releases it."""
        if self.path is None:
            return
        self.flush()
        del self.store
        self.store = ox.Store.read_only(str(self.path)) if self.read_only else ox.Store(str(self.path))

    # -- reading ---------------------------------------------------------
    def query(self, sparql: str, **kwargs):
        return self.store.query(sparql, prefixes=dict(PREFIXES), **kwargs)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def has_graph(self, graph: str) -> bool:
        return self.store.contains_named_graph(ox.NamedNode(graph))

    def __len__(self) -> int:
        return len(self.store)

    def close(self) -> None:
        self.flush()
        del self.store

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
