"""Where a load writes: the embedded on-disk store or a shared SPARQL server.

Both sinks offer the same small interface, used by :func:`ess_graph.pipeline.load`:

* :meth:`replace_graphs` — replace named graphs and add quads in **one atomic write**
  (one Oxigraph transaction locally; one SPARQL Update request remotely, which Oxigraph
  server and Fuseki run as one transaction);
* :meth:`select` / :meth:`ask` — read back what a load needs (journal, stale graphs,
  first-seen times);
* :meth:`ensure_reference` — make the territory reference graph present;
* :meth:`finish` — make the writes durable and compact.

:class:`LocalSink` wraps :class:`~ess_graph.store.GraphStore`; :class:`RemoteSink` speaks the
SPARQL 1.1 Protocol (query and update) to a server.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from .errors import StoreError
from .namespaces import PREFIXES
from .remote import USER_AGENT, _raise_for, _transport_error, check_endpoint
from .store import REFERENCE_GRAPH_PREFIX, GraphStore, quads_to_insert_data

#: quads per SPARQL Update request when a large graph (the reference) is sent in pieces
REMOTE_CHUNK_QUADS = 50_000


class Sink(Protocol):
    label: str

    def replace_graphs(self, graphs: Mapping[str, Iterable[ox.Quad]], extra_quads: Iterable[ox.Quad] = (),
                       drop: Iterable[str] = (), before: Iterable[str] = ()) -> None: ...

    def select(self, sparql: str) -> list[dict[str, str]]: ...

    def ask(self, sparql: str) -> bool: ...

    def has_graph(self, graph: str) -> bool: ...

    def check(self) -> None: ...

    def is_empty(self) -> bool: ...

    def ensure_reference(self) -> str: ...

    def finish(self) -> None: ...

    def count(self) -> int: ...


def _prefixed(sparql: str) -> str:
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items()) + sparql


class LocalSink:
    """The embedded Oxigraph store."""

    def __init__(self, store: GraphStore):
        self.gs = store
        self.label = str(store.path) if store.path else "(in memory)"

    def replace_graphs(self, graphs, extra_quads=(), drop=(), before=()) -> None:
        self.gs.replace_graphs(graphs, extra_quads=extra_quads, drop=drop, before=before)
        # Flush every column family's memtable: RocksDB deletes a write-ahead log file only
        # once all the memtables holding its writes are flushed, and some of Oxigraph's column
        # families fill too slowly to be flushed on their own, which would keep every batch's
        # log on disk until the store is reopened.
        self.gs.flush()

    def select(self, sparql: str) -> list[dict[str, str]]:
        res = self.gs.query(sparql)
        names = [v.value for v in res.variables]
        return [{n: s[n].value for n in names if s[n] is not None} for s in res]

    def ask(self, sparql: str) -> bool:
        return bool(self.gs.query(sparql))

    def has_graph(self, graph: str) -> bool:
        return self.gs.has_graph(graph)

    def check(self) -> None:
        pass

    def is_empty(self) -> bool:
        return next(iter(self.gs.store.quads_for_pattern(None, None, None, None)), None) is None

    def ensure_reference(self) -> str:
        """The territory reference graph, written by the store's bulk loader when it is missing.

        The bulk loader is not transactional, so the graph's content-hash triple (by which a
        complete, current reference graph is recognised) is added last, in a transaction of
        its own: a load killed half-way leaves a graph without it, which the next load replaces
        (:func:`~ess_graph.territories.ensure_reference_graph`, staging graph + ``MOVE``)."""
        from .namespaces import ESSV
        from .territories import ensure_reference_graph, reference_graph_iri
        from .territories.graph import _has_current, content_hash
        g = reference_graph_iri()
        h = content_hash()
        if _has_current(self.gs, g, h):
            return g
        if self.gs.has_graph(g) or self.gs.read_only:
            had = self.gs.has_graph(g)
            ensure_reference_graph(self.gs)
            if not had:
                self.gs.reopen()
            return g
        import tempfile
        from pathlib import Path
        try:
            with tempfile.TemporaryDirectory(prefix="essgraph-reference-") as tmp:
                nt = Path(tmp) / "reference.nt"
                _write_reference(nt, marker=False)
                self.gs.store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g),
                                        lenient=True)
            self.gs.store.add(ox.Quad(ox.NamedNode(g), ox.NamedNode(ESSV.contentHash), ox.Literal(h),
                                      ox.NamedNode(g)))
        except (OSError, SyntaxError) as e:
            raise StoreError(f"loading the territory reference graph failed: {e}", source=self.label) from None
        stale = [o for o in self.gs.named_graphs()
                 if o.startswith(REFERENCE_GRAPH_PREFIX + "cog-") and o != g]
        if stale:
            self.gs.store.update(" ;\n".join(f"DROP SILENT GRAPH <{o}>" for o in stale))
        _record_reference_validation(self.gs, g)
        self.gs.flush()
        return g

    def write_all(self, quads: Iterable[ox.Quad], *, reference: bool = False) -> None:
        """Fill an empty store with these quads (and the reference graph), all or nothing:
        by the bulk loader into a new folder renamed into place, or (in memory) in one
        transaction."""
        import itertools
        import tempfile
        from pathlib import Path
        from .territories import reference_graph_iri
        from .territories.graph import reference_quads
        with tempfile.TemporaryDirectory(prefix="essgraph-reference-") as tmp:
            files = []
            if reference:
                nt = Path(tmp) / "reference.nt"
                _write_reference(nt, marker=True)
                files.append((nt, ox.RdfFormat.N_TRIPLES, reference_graph_iri()))
            built = self.gs.build_new(quads, files)
        if not built:
            self.gs.extend(itertools.chain(reference_quads() if reference else (), quads))
        if reference:
            _record_reference_validation(self.gs, reference_graph_iri())

    def finish(self) -> None:
        self.gs.compact()

    def count(self) -> int:
        return len(self.gs)


class RemoteSink:
    """A SPARQL 1.1 server reached by its update and query endpoints.

    Every :meth:`replace_graphs` is one SPARQL Update request (``DROP SILENT GRAPH`` of the
    replaced graphs, then ``INSERT DATA``); Oxigraph server and Fuseki apply a request as one
    transaction, so a clipping graph is replaced whole or not at all, and re-sending it gives
    the same graph.
    """

    def __init__(self, update_endpoint: str, *, query_endpoint: str | None = None,
                 headers: dict | None = None, timeout: float = 300):
        self.update_url = check_endpoint(update_endpoint)
        self.query_url = check_endpoint(query_endpoint or default_query_endpoint(update_endpoint))
        self.label = self.update_url
        h = {"User-Agent": USER_AGENT}
        h.update(headers or {})
        self.client = httpx.Client(headers=h, timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def _update(self, sparql: str) -> None:
        try:
            resp = self.client.post(self.update_url, content=_prefixed(sparql).encode("utf-8"),
                                    headers={"Content-Type": "application/sparql-update"})
        except httpx.HTTPError as e:
            raise _transport_error(e, self.update_url, "remote update") from None
        _raise_for(resp, "remote update", self.update_url, query=False)

    def _query(self, sparql: str):
        try:
            resp = self.client.post(self.query_url, data={"query": _prefixed(sparql)},
                                    headers={"Accept": "application/sparql-results+json"})
        except httpx.HTTPError as e:
            raise _transport_error(e, self.query_url, "remote query") from None
        _raise_for(resp, "remote query", self.query_url, query=True)
        return ox.parse_query_results(resp.content, format=ox.QueryResultsFormat.JSON)

    def replace_graphs(self, graphs, extra_quads=(), drop=(), before=()) -> None:
        ops = list(before)
        ops += [f"DROP SILENT GRAPH <{g}>" for g in list(graphs) + list(drop)]
        quads = [q if q.graph_name == ox.NamedNode(g) else ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(g))
                 for g, qs in graphs.items() for q in qs]
        quads.extend(extra_quads)
        if quads:
            ops.append("INSERT DATA {\n" + quads_to_insert_data(quads) + "\n}")
        if ops:
            self._update(" ;\n".join(ops))

    def select(self, sparql: str) -> list[dict[str, str]]:
        res = self._query(sparql)
        names = [v.value for v in res.variables]
        return [{n: s[n].value for n in names if s[n] is not None} for s in res]

    def ask(self, sparql: str) -> bool:
        return bool(self._query(sparql))

    def has_graph(self, graph: str) -> bool:
        return self.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    def check(self) -> None:
        """Fail early (one clear line) when the server cannot be reached."""
        self.ask("ASK {}")

    def is_empty(self) -> bool:
        return not self.ask("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")

    def ensure_reference(self) -> str:
        """Send the territory reference graph unless the same version is there: in pieces into a
        staging graph, then moved into place by one update (the graph appears whole)."""
        from .territories import reference_graph_iri
        from .territories.graph import content_hash, reference_quads
        from .namespaces import ESSV
        g = reference_graph_iri()
        h = content_hash()
        if self.ask(f'ASK {{ GRAPH <{g}> {{ <{g}> <{ESSV.contentHash}> "{h}" }} }}'):
            return g
        staging = g + "-staging"
        self._update(f"DROP SILENT GRAPH <{staging}>")
        buf: list[ox.Quad] = []
        for q in reference_quads():
            buf.append(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(staging)))
            if len(buf) >= REMOTE_CHUNK_QUADS:
                self._update("INSERT DATA {\n" + quads_to_insert_data(buf) + "\n}")
                buf = []
        if buf:
            self._update("INSERT DATA {\n" + quads_to_insert_data(buf) + "\n}")
        self._update(f"MOVE SILENT GRAPH <{staging}> TO <{g}>")
        return g

    def finish(self) -> None:
        pass

    def count(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return int(rows[0]["n"]) if rows else 0


def _record_reference_validation(gs, graph: str) -> None:
    """The reference graph is validated once, when written, and the outcome recorded in it
    (:mod:`ess_graph.validate.context`): later validations use it as data context."""
    from .validate.context import record_validation
    record_validation(gs, graph)


def _write_reference(path, *, marker: bool) -> None:
    """The reference graph as N-Triples, with or without its content-hash triple."""
    from .namespaces import ESSV
    from .territories.graph import reference_lines
    tag = f"<{ESSV.contentHash}>"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        buf: list[str] = []
        for line in reference_lines():
            if not marker and tag in line:
                continue
            buf.append(line)
            if len(buf) >= 20000:
                fh.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            fh.write("\n".join(buf) + "\n")


def default_query_endpoint(update_endpoint: str) -> str:
    """``…/update`` → ``…/query`` (Oxigraph server, Fuseki); any other URL is used for both
    (QLever, Virtuoso answer queries and updates at one URL)."""
    parts = urlsplit(update_endpoint)
    path = parts.path
    if path.endswith("/update"):
        path = path[: -len("update")] + "query"
    return urlunsplit(parts._replace(path=path))


def open_sink(store: GraphStore | str | None = None, *, endpoint: str | None = None,
              query_endpoint: str | None = None, headers: dict | None = None) -> Sink:
    if endpoint:
        if isinstance(store, GraphStore):
            raise StoreError("give either a store or an endpoint, not both")
        return RemoteSink(endpoint, query_endpoint=query_endpoint, headers=headers)
    return LocalSink(store if isinstance(store, GraphStore) else GraphStore(store))
