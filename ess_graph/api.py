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
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .export import ExportManifest, ExportMetadata, export_all
from .export.gsp import DEFAULT_CHUNK_BYTES, PushReport, push as _push
from .pipeline import extract_paths, load
from .queries import SavedQuery, execute, get_query, list_queries as _list_queries, run_saved
from .remove import RemovalReport, remove as _remove
from .results import rows_as_dicts
from .stats import store_stats
from .store import GraphStore
from .validate import ValidationReport, validate as _validate

__all__ = ["open_store", "load", "extract_paths", "query", "sparql", "list_queries", "validate", "remove",
           "stats", "export", "push", "serve"]


def open_store(path: str | os.PathLike | None = None, *, read_only: bool = False) -> GraphStore:
    """The on-disk store (``--store`` / ``$ESSGRAPH_STORE`` / ./essgraph-store).

    ``read_only``: open without the writer's lock (several readers may share a store).
    """
    return GraphStore(path, read_only=read_only)


def query(store: GraphStore, name: str, **params: str) -> list[dict[str, str]]:
    """Run the saved query ``name`` (``essgraph query NAME``) with its parameters; SELECT rows as dicts.

    >>> api.query(store, "actors-in-department", department="05")
    """
    return rows_as_dicts(run_saved(store, get_query(name), params))


def sparql(store: GraphStore, text: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run SPARQL ``text`` with essgraph's prefixes over the union of all graphs."""
    return execute(store, text)


def list_queries(directory: str | Path | None = None) -> list[SavedQuery]:
    """The saved queries (``essgraph queries``): the bundled ones, or those of ``directory``."""
    return _list_queries(directory)


def validate(data: GraphStore | ox.Store | str | os.PathLike | Sequence[str | os.PathLike],
             shapes: str | os.PathLike | Sequence[str | os.PathLike] | None = None, *,
             engine: str = "fast", focus_graphs: list[str] | None = None,
             changed: bool = False) -> ValidationReport:
    """Validate a store or RDF files against SHACL shapes (``essgraph validate``).

    ``shapes``: files or directories (the bundled shapes by default); ``engine``: ``"fast"`` or
    ``"pyshacl"``; ``focus_graphs`` / ``changed``: check only the nodes of those graphs / of the
    graphs the last load changed.
    """
    return _validate(data, shapes, engine=engine, focus_graphs=focus_graphs, changed=changed)


def remove(store: GraphStore, clipping_ids: Iterable[str] = (), *, sources: Iterable[str] = (),
           prune: str | os.PathLike | None = None, dry_run: bool = False) -> RemovalReport:
    """Remove clippings by id, by source file (``sources``) or whose file under ``prune`` is
    gone, with what only they supported, in one transaction (``essgraph remove``)."""
    return _remove(store, clipping_ids, sources=sources, prune=prune, dry_run=dry_run)


def stats(store: GraphStore) -> dict[str, Any]:
    """Triples, graphs, clippings, facts and entities by class (``essgraph stats --format json``)."""
    return store_stats(store)


def export(store: GraphStore, out_dir: str | os.PathLike, *, base_url: str | None = None,
           metadata: ExportMetadata | None = None) -> ExportManifest:
    """Write dumps, DCAT/VoID, CSV, GeoJSON and GEXF into ``out_dir`` (``essgraph export``).

    ``base_url``: where the folder will be published (download URLs in the catalog);
    ``metadata``: what the catalog says about the dataset (title, publisher, licence…).
    """
    return export_all(store, out_dir, base_url=base_url, metadata=metadata)


def push(store: GraphStore, endpoint: str, *, auth_header: str | None = None,
         state_file: str | os.PathLike | None = None, limit: int | None = None,
         chunk_bytes: int = DEFAULT_CHUNK_BYTES, timeout: float = 300,
         graph_param: str = "graph") -> PushReport:
    """Send every graph to a SPARQL Graph Store Protocol ``endpoint`` (``essgraph push``).

    ``auth_header``: one header line (``"Authorization: Bearer TOKEN"``); ``state_file``: where
    the graphs already sent are recorded, so that a new push sends only what changed;
    ``limit``: at most that many graphs; ``chunk_bytes``, ``timeout``: per request;
    ``graph_param``: the query parameter naming the graph.
    """
    return _push(store, endpoint, auth_header=auth_header, state_file=state_file, limit=limit,
                 chunk_bytes=chunk_bytes, timeout=timeout, graph_param=graph_param)


def serve(store_path: str | os.PathLike | None = None, *, host: str = "127.0.0.1", port: int = 7878,
          log_level: str = "info", write_token: str | None = None, timeout: float | None = None,
          max_rows: int | None = None, base_url: str | None = None, workers: int | None = None,
          cors_origins: Sequence[str] = (), allow_service: Sequence[str] = (),
          queries_dir: str | os.PathLike | None = None, per_page: int | None = None,
          max_result_bytes: int | None = None, max_request_bytes: int | None = None,
          max_upload_bytes: int | None = None, body_timeout: float | None = None,
          max_heavy: int | None = None, max_query_memory: int | None = None,
          max_total_memory: int | None = None, result_cache_mib: int | None = None) -> None:
    """Serve the store over HTTP until interrupted (``essgraph serve``; see docs/serve.md).

    Read-only unless ``write_token`` is given. A limit left at None keeps the server's default.
    """
    # the web stack (starlette, uvicorn, jinja2) is imported only by the call that serves
    from .serve import run
    options = dict(write_token=write_token, timeout=timeout, max_rows=max_rows, base_url=base_url,
                   workers=workers, queries_dir=queries_dir, per_page=per_page,
                   max_result_bytes=max_result_bytes, max_request_bytes=max_request_bytes,
                   max_upload_bytes=max_upload_bytes, body_timeout=body_timeout, max_heavy=max_heavy,
                   max_query_memory=max_query_memory, max_total_memory=max_total_memory,
                   result_cache_mib=result_cache_mib)
    run(store_path, host=host, port=port, log_level=log_level, cors_origins=tuple(cors_origins),
        allow_service=tuple(allow_service), **{k: v for k, v in options.items() if v is not None})
