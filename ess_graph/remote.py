"""Talking to remote SPARQL servers: SPARQL 1.1 Protocol queries and Graph Store Protocol writes.

Works with any standard server (Oxigraph, Fuseki, GraphDB, Virtuoso, QLever...);
see docs/remote.md for each one's URLs and authentication. Every failure is
raised as one clear line: :class:`QueryError` when the server rejects the query
(HTTP 400), :class:`StoreError` when it cannot be reached, refuses the
credentials or fails.
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from .errors import InputError, QueryError, StoreError

USER_AGENT = "essgraph"


def parse_header(text: str) -> dict[str, str]:
    """``"Authorization: Bearer x"`` -> ``{"Authorization": "Bearer x"}``."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value or any(c.isspace() for c in name):
        raise InputError(f"malformed header {text!r}: expected 'Name: value', "
                         "e.g. 'Authorization: Bearer TOKEN'")
    return {name: value}


def check_endpoint(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"the endpoint must be an http(s) URL, got {endpoint!r}")
    return endpoint


def _body_excerpt(resp: httpx.Response, limit: int = 300) -> str:
    try:
        text = resp.text
    except Exception:  # undecodable body
        return ""
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _raise_for(resp: httpx.Response, what: str, endpoint: str, *, query: bool) -> None:
    code = resp.status_code
    if code < 400:
        return
    detail = _body_excerpt(resp)
    detail = f": {detail}" if detail else ""
    if code in (401, 403):
        raise StoreError(f"{what} refused by {endpoint} (HTTP {code}, check --auth-header){detail}")
    if code == 400 and query:
        raise QueryError(f"the endpoint rejected the query (HTTP 400){detail}", source=endpoint)
    if code == 404:
        raise StoreError(f"{what} failed: {endpoint} answered HTTP 404 (wrong URL?){detail}")
    raise StoreError(f"{what} failed: {endpoint} answered HTTP {code}{detail}")


def _transport_error(e: Exception, endpoint: str, what: str) -> StoreError:
    if isinstance(e, httpx.TimeoutException):
        return StoreError(f"{what}: no answer from {endpoint} before the timeout")
    reason = str(e) or e.__class__.__name__
    return StoreError(f"{what}: cannot reach {endpoint} ({reason})")


def run_remote_query(endpoint: str, sparql: str, *, accept: str,
                     headers: dict | None = None, timeout: float | None = 60) -> bytes:
    """Run a SPARQL query on a remote endpoint (SPARQL 1.1 Protocol, POST form) and
    return the raw response body in the ``accept`` format. ``timeout`` (seconds,
    None for none) bounds the connection and each wait for data."""
    check_endpoint(endpoint)
    h = {"Accept": accept, "User-Agent": USER_AGENT}
    h.update(headers or {})
    try:
        resp = httpx.post(endpoint, data={"query": sparql}, headers=h, timeout=timeout,
                          follow_redirects=True)
    except httpx.HTTPError as e:
        raise _transport_error(e, endpoint, "remote query") from None
    _raise_for(resp, "remote query", endpoint, query=True)
    return resp.content


class GraphStoreClient:
    """A SPARQL 1.1 Graph Store Protocol client using indirect graph identification
    (``?graph=<iri>``, ``?default``)."""

    def __init__(self, endpoint: str, *, headers: dict | None = None, timeout: float = 300,
                 graph_param: str = "graph"):
        self.endpoint = check_endpoint(endpoint)
        # "graph" per the protocol; Virtuoso's /sparql-graph-crud documents "graph-uri"
        self.graph_param = graph_param
        h = {"User-Agent": USER_AGENT}
        h.update(headers or {})
        self.client = httpx.Client(headers=h, timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "GraphStoreClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _url(self, graph: str | None) -> str:
        # "?default" is written without "=", as the protocol spells it
        query = "default" if not graph else str(httpx.QueryParams({self.graph_param: graph}))
        return self.endpoint + ("&" if "?" in self.endpoint else "?") + query

    def _send(self, method: str, graph: str | None, body: bytes | None = None,
              content_type: str = "application/n-triples", ok_missing: bool = False) -> int:
        what = f"{method} of graph <{graph}>" if graph else f"{method} of the default graph"
        url = self._url(graph)
        try:
            resp = self.client.request(
                method, url, content=body,
                headers={"Content-Type": content_type} if body is not None else None)
        except httpx.HTTPError as e:
            raise _transport_error(e, self.endpoint, what) from None
        if ok_missing and resp.status_code == 404:
            return 404
        _raise_for(resp, what, self.endpoint, query=False)
        return resp.status_code

    def put(self, graph: str | None, ntriples: bytes) -> int:
        """Replace the graph with the given N-Triples."""
        return self._send("PUT", graph, ntriples)

    def post(self, graph: str | None, ntriples: bytes) -> int:
        """Add the given N-Triples to the graph."""
        return self._send("POST", graph, ntriples)

    def delete(self, graph: str | None) -> int:
        """Remove the graph (a missing graph is not an error)."""
        return self._send("DELETE", graph, ok_missing=True)

    def get(self, graph: str | None, accept: str = "application/n-triples") -> bytes:
        what = f"GET of graph <{graph}>" if graph else "GET of the default graph"
        try:
            resp = self.client.get(self._url(graph), headers={"Accept": accept})
        except httpx.HTTPError as e:
            raise _transport_error(e, self.endpoint, what) from None
        _raise_for(resp, what, self.endpoint, query=False)
        return resp.content

    def put_chunked(self, graph: str | None, lines: Iterable[bytes], chunk_bytes: int) -> int:
        """PUT the first chunk of N-Triples lines, POST the others (bodies stay small)."""
        buf: list[bytes] = []
        size = 0
        first = True
        requests = 0
        for line in lines:
            buf.append(line)
            size += len(line) + 1
            if size >= chunk_bytes:
                body = b"\n".join(buf) + b"\n"
                (self.put if first else self.post)(graph, body)
                first, buf, size = False, [], 0
                requests += 1
        if buf or first:
            body = b"\n".join(buf) + (b"\n" if buf else b"")
            (self.put if first else self.post)(graph, body)
            requests += 1
        return requests


_PROBE_TRIPLE = ("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o "
                 "FILTER(isIRI(?s) && !isBlank(?o)) } } LIMIT 1")

UNION_FIX = ("start Oxigraph with 'oxigraph serve --union-default-graph', set "
             "tdb2:unionDefaultGraph true on a Fuseki dataset; see docs/remote.md")


def union_default_graph_warning(endpoint: str, *, headers: dict | None = None,
                                timeout: float | None = 60) -> str | None:
    """A warning when the endpoint's default graph is not the union of its
    named graphs, else None.

    essgraph keeps each clipping in its own named graph and its saved queries
    read the default graph as the union of them all; on an endpoint whose
    default graph is only the unnamed graph they silently return nothing. Two
    small queries tell: one triple of some named graph, then whether the
    default graph has it. An endpoint without named graphs, or one that fails
    the probe, gets no warning; an unreachable one raises :class:`StoreError`.
    """
    import pyoxigraph as ox

    try:
        body = run_remote_query(endpoint, _PROBE_TRIPLE, headers=headers, timeout=timeout,
                                accept="application/sparql-results+json")
        rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        if not rows:
            return None
        s, p, o = (rows[0][v] for v in ("s", "p", "o"))
        body = run_remote_query(endpoint, f"ASK {{ {s} {p} {o} }}", headers=headers,
                                timeout=timeout, accept="application/sparql-results+json")
        found = bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
    except (QueryError, SyntaxError, ValueError, TypeError, KeyError):
        return None  # an endpoint that cannot answer the probe; unreachable ones raise StoreError
    if found:
        return None
    return (f"{endpoint}: the default graph is not the union of the named graphs, so queries "
            f"that do not name a GRAPH (every saved query) find nothing there; {UNION_FIX}")
