"""Push the store to a SPARQL 1.1 Graph Store Protocol server, graph by graph, resumably.

Each graph (the default graph, then the named graphs by IRI) is sent with
``PUT ?graph=<iri>`` (``PUT ?default``) as sorted N-Triples; a graph larger than
``chunk_bytes`` is sent as one PUT followed by POSTs, so no request body grows
beyond server limits. After each graph the state file records its content hash
(SHA-256 of its sorted N-Triples), so that:

* a re-run skips graphs whose content did not change;
* a run interrupted (killed, network down, ``limit`` reached) resumes where it
  stopped — a graph interrupted half-way is not recorded and is sent again, and
  PUT replaces whatever part of it had arrived;
* a graph sent earlier but gone from the store is deleted on the server.

Graphs on the server that were never pushed from here are left alone.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError
from ..iris import short_hash
from ..remote import GraphStoreClient, check_endpoint, parse_header
from ..store import GraphStore
from .dumps import _canonical_store, _has_blank_nodes, graph_order, sorted_graph_ntriples

STATE_FORMAT = 1
DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024


@dataclass
class PushReport:
    endpoint: str
    sent: list[str] = field(default_factory=list)       # graph IRIs ("" = default graph)
    skipped: list[str] = field(default_factory=list)    # unchanged since the last push
    deleted: list[str] = field(default_factory=list)    # pushed before, gone locally
    remaining: list[str] = field(default_factory=list)  # left for a later run (limit)
    triples_sent: int = 0
    requests: int = 0
    state_file: Path | None = None

    @property
    def complete(self) -> bool:
        return not self.remaining


def default_state_file(store: GraphStore, endpoint: str) -> Path | None:
    if store.path is None:
        return None
    p = Path(store.path)
    return p.with_name(f"{p.name}.push-{short_hash(endpoint, length=10)}.json")


def _load_state(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {"format": STATE_FORMAT, "endpoints": {}}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the push state file: {e}", source=str(path)) from None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid push state file: {e.msg}", source=str(path),
                         line=e.lineno, column=e.colno) from None
    if (not isinstance(state, dict) or state.get("format") != STATE_FORMAT
            or not isinstance(state.get("endpoints"), dict)
            or not all(isinstance(v, dict) and isinstance(v.get("graphs"), dict)
                       for v in state["endpoints"].values())):
        raise InputError("not an essgraph push state file (expected "
                         '{"format": 1, "endpoints": {URL: {"graphs": {...}}}})', source=str(path))
    return state


def _save_state(path: Path | None, state: dict) -> None:
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def push(store: GraphStore, endpoint: str, *, auth_header: str | None = None,
         state_file: str | os.PathLike | None = None, limit: int | None = None,
         chunk_bytes: int = DEFAULT_CHUNK_BYTES, timeout: float = 300,
         graph_param: str = "graph") -> PushReport:
    """Send every graph of ``store`` to the Graph Store Protocol ``endpoint``.

    ``auth_header``: one HTTP header line, e.g. ``"Authorization: Bearer TOKEN"``.
    ``state_file``: where sent graphs and their hashes are recorded (default: next
    to the store directory, one file per endpoint; ``None`` for an in-memory store
    means no state). ``limit``: send at most this many graphs in this run.
    ``graph_param``: name of the query parameter naming the graph (``graph`` in the
    protocol; ``graph-uri`` for Virtuoso).
    """
    check_endpoint(endpoint)
    if limit is not None and limit < 0:
        raise InputError(f"limit must be >= 0, got {limit}")
    headers = parse_header(auth_header) if auth_header else {}
    path = Path(state_file) if state_file is not None else default_state_file(store, endpoint)
    state = _load_state(path)
    known: dict[str, str] = state["endpoints"].setdefault(endpoint, {"graphs": {}})["graphs"]
    report = PushReport(endpoint, state_file=path)

    ox_store = store.store
    if _has_blank_nodes(ox_store):
        ox_store = _canonical_store(ox_store)
    graphs = graph_order(ox_store)
    local_keys = {"" if isinstance(g, ox.DefaultGraph) else g.value for g in graphs}

    with GraphStoreClient(endpoint, headers=headers, timeout=timeout, graph_param=graph_param) as client:
        # graphs pushed earlier that no longer exist locally
        for key in sorted(k for k in known if k not in local_keys):
            client.delete(key or None)
            del known[key]
            report.deleted.append(key)
            report.requests += 1
            _save_state(path, state)
        for g in graphs:
            key = "" if isinstance(g, ox.DefaultGraph) else g.value
            lines = sorted_graph_ntriples(ox_store, g)
            body_hash = hashlib.sha256(b"\n".join(lines) + (b"\n" if lines else b"")).hexdigest()
            if known.get(key) == body_hash:
                report.skipped.append(key)
                continue
            if limit is not None and len(report.sent) >= limit:
                report.remaining.append(key)
                continue
            report.requests += client.put_chunked(key or None, lines, chunk_bytes)
            known[key] = body_hash
            _save_state(path, state)
            report.sent.append(key)
            report.triples_sent += len(lines)
    return report
