"""The calls a notebook needs, in one place.

    >>> from ess_graph import api
    >>> store = api.open_store("essgraph-store")
    >>> api.load(["articles/"], store)
    >>> api.query(store, "communes-coops")            # list of dicts
    >>> api.validate(store).conforms

Each function is the one the corresponding ``essgraph`` command wraps.
"""
from __future__ import annotations

import os
from typing import Any

from .pipeline import extract_paths, load
from .queries import execute, get_query, list_queries, run_saved
from .results import rows_as_dicts
from .store import GraphStore

__all__ = ["open_store", "load", "extract_paths", "query", "sparql", "list_queries", "validate", "remove",
           "stats", "export", "push", "serve"]


def open_store(path: str | os.PathLike | None = None, *, read_only: bool = False) -> GraphStore:
    """The on-disk store (``--store`` / ``$ESSGRAPH_STORE`` / ./essgraph-store)."""
    return GraphStore(path, read_only=read_only)


def query(store: GraphStore, name: str, **params: str) -> list[dict[str, str]]:
    """Run a saved query by name; SELECT rows as dicts."""
    return rows_as_dicts(run_saved(store, get_query(name), params))


def sparql(store: GraphStore, text: str):
    """Run SPARQL text with essgraph's prefixes over the union of all graphs."""
    return execute(store, text)


def validate(data, shapes=None, **kwargs):
    from .validate import validate as _validate
    return _validate(data, shapes, **kwargs)


def remove(store: GraphStore, clipping_ids=(), **kwargs):
    """Remove clippings by id (``sources=[FILE]``, ``prune=DIR``, ``dry_run=True``)."""
    from .remove import remove as _remove
    return _remove(store, clipping_ids, **kwargs)


def stats(store: GraphStore) -> dict[str, Any]:
    from .stats import store_stats
    return store_stats(store)


def export(store: GraphStore, out_dir, **kwargs):
    from .export import export_all
    return export_all(store, out_dir, **kwargs)


def push(store: GraphStore, endpoint: str, **kwargs):
    from .export import push as _push
    return _push(store, endpoint, **kwargs)


def serve(store_path=None, **kwargs):
    from .serve import run
    return run(store_path, **kwargs)
