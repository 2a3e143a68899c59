"""The Starlette application: routes, limits, authentication, negotiation.

The HTTP process parses requests, checks limits and permissions and hands
every evaluation to the worker pool (:mod:`ess_graph.serve.pool`), so a slow
or endless query never blocks the event loop and is killed at its deadline.
"""
from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import hmac
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..errors import QueryError
from ..namespaces import ESS, ID, PREFIXES, sparql_prefix_block
from ..rdf import Triples, in_graph, literal
from ..void import VOID, describe_dataset
from . import formats as F
from . import sparql_text
from .pool import JobTimeout, MemoryLimit, PoolBusy, WorkerDied, WorkerPool

log = logging.getLogger("essgraph.serve")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_PER_PAGE = 100
DEFAULT_MAX_QUERY_MEMORY_MIB = 512
DEFAULT_MAX_TOTAL_MEMORY_MIB = 2560
DEFAULT_RESULT_CACHE_MIB = 64

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = PREFIXES["rdf"] + "type"

class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class ServeConfig:
    store_path: str
    write_token: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    cors_origins: tuple[str, ...] = ()
    allow_service: tuple[str, ...] = ()
    base_url: str | None = None          # the server's public URL; its id/ is the IRI namespace served under /id/
    workers: int = 0                     # fast-lane workers; 0 = four per CPU, between 4 and 16
    max_heavy: int = 0                   # long-running queries run at once; 0 = one per CPU
    max_query_memory: int = DEFAULT_MAX_QUERY_MEMORY_MIB   # MiB of resident memory per query worker
    max_total_memory: int = DEFAULT_MAX_TOTAL_MEMORY_MIB   # MiB, all workers together
    result_cache_mib: int = DEFAULT_RESULT_CACHE_MIB       # recent answers kept in the HTTP process
    queries_dir: str | None = None
    per_page: int = DEFAULT_PER_PAGE
    resource_base: str = field(init=False, default=ID)

    def __post_init__(self):
        if self.base_url:
            if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", self.base_url):
                from ..errors import InputError
                raise InputError(f"--base-url must be an http(s) URL without query or fragment, "
                                 f"got {self.base_url!r}")
            b = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
            self.base_url = b[:-3] if b.endswith("/id/") else b
            self.resource_base = self.base_url + "id/"
        if not self.workers:
            self.workers = max(4, min(16, 4 * (os.cpu_count() or 1)))
        if not self.max_heavy:
            self.max_heavy = max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------
# request helpers

async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    cl = request.headers.get("content-length")
    if cl is not None:
        try:
            if int(cl) > limit:
                raise HTTPError(413, f"request body larger than the limit of {limit} bytes")
        except ValueError:
            raise HTTPError(400, "invalid Content-Length") from None
    chunks, size = [], 0

    async def collect():
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPError(413, f"request body larger than the limit of {limit} bytes")
            chunks.append(chunk)

    try:
        async with asyncio.timeout(timeout):  # no task per request, unlike wait_for
            await collect()
    except TimeoutError:
        raise HTTPError(408, f"request body not received within {timeout:g} s") from None
    return b"".join(chunks)


def media_type(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    bits = [b.strip() for b in raw.split(";")]
    params = {}
    for b in bits[1:]:
        k, _, v = b.partition("=")
        params[k.strip().lower()] = v.strip().strip('"')
    return bits[0].lower(), params


def decode_utf8(body: bytes, params: dict[str, str]) -> str:
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPError(415, f"unsupported charset {charset!r}: SPARQL bodies must be UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HTTPError(400, f"request body is not valid UTF-8 (byte {e.start})") from None


def root_url(request: Request) -> str:
    """The server's URL ending in "/": ``--base-url`` when given, else the
    address the connection was accepted on. Never the Host header, which
    any client can set."""
    cfg = request.app.state.essgraph.cfg
    if cfg.base_url:
        return cfg.base_url
    server = request.scope.get("server") or ("127.0.0.1", 80)
    host, port = server[0], server[1]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    scheme = "https" if request.scope.get("scheme") == "https" else "http"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}{'' if port in (default, None) else ':' + str(port)}/"


def endpoint_url(request: Request) -> str:
    """The absolute URL of the requested path under :func:`root_url`."""
    return root_url(request) + quote(request.url.path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")


def text_error(status: int, message: str, headers: dict | None = None) -> Response:
    return PlainTextResponse(message.rstrip() + "\n", status_code=status, headers=headers)


class StrictQueryString:
    """ASGI middleware: a URL whose query string is not valid UTF-8 once
    percent-decoded (``?query=%FF%FE``) gets 400 instead of being read with
    replacement characters."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            qs = scope.get("query_string") or b""
            if qs:
                from urllib.parse import unquote_to_bytes
                try:
                    unquote_to_bytes(qs.replace(b"+", b" ")).decode("utf-8")
                except UnicodeDecodeError as e:
                    resp = text_error(400, f"the URL's query string is not valid UTF-8 once "
                                           f"percent-decoded (byte {e.start})")
                    await resp(scope, receive, send)
                    return
        await self.app(scope, receive, send)


# --------------------------------------------------------------------------
# the application

class EssGraphServer:
    def __init__(self, cfg: ServeConfig):
        self.cfg = cfg
        self.pool = WorkerPool(self._worker_cfg(), size=cfg.workers, writer=bool(cfg.write_token),
                               max_heavy=cfg.max_heavy,
                               memory_limit=cfg.max_query_memory * 2 ** 20 if cfg.max_query_memory else None,
                               total_memory_limit=cfg.max_total_memory * 2 ** 20 if cfg.max_total_memory else None)
        self._void_cache: tuple[int, dict] | None = None
        self._remote_cache: dict[tuple[str, str], list[str]] = {}
        self._service_cache: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        from collections import OrderedDict

        from .resultcache import ResultCache
        self._known_heavy: OrderedDict = OrderedDict()
        self.cache = ResultCache(cfg.result_cache_mib * 2 ** 20, str(cfg.store_path))
        from jinja2 import Environment, FileSystemLoader, select_autoescape
        self.jinja = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                                 autoescape=select_autoescape(["html"]))

    def _worker_cfg(self) -> dict:
        c = self.cfg
        cfg = {"store": str(c.store_path), "max_rows": c.max_rows, "max_bytes": c.max_result_bytes,
               "queries_dir": c.queries_dir}
        if c.write_token:
            # readers open checkpoints of the store written beside it (removed on shutdown)
            cfg["snapshot_dir"] = str(c.store_path).rstrip("/\\") + f".serve-snapshots-{os.getpid()}"
            cfg["snapshot_keep"] = c.timeout + 30.0
        return cfg

    def site(self) -> dict:
        return {"resource_base": self.cfg.resource_base, "version": __version__}

    # -- saved queries (metadata read in this process, execution in workers)
    def saved_queries(self):
        from ..queries import list_queries
        return list_queries(self.cfg.queries_dir)

    def service_needs(self, sq) -> tuple[list[str], list[str]]:
        """(endpoints the saved query calls with SERVICE, those this server refuses)."""
        key = (sq.name, sq.text)
        hit = self._service_cache.get(key)
        if hit is None:
            targets = sparql_text.remote_targets(sq.text, dict(PREFIXES))
            needs = sorted({t or "(an endpoint only known at evaluation time)" for t in targets})
            refused = sparql_text.refused_targets(sq.text, self.cfg.allow_service, dict(PREFIXES))
            hit = (needs, sorted(set(refused)))
            self._service_cache[key] = hit
        return hit

    def offered_queries(self) -> tuple[list, list]:
        """Saved queries split into (offered, unavailable): a query whose SERVICE
        endpoints this server does not allow (see --allow-service) is not offered."""
        offered, unavailable = [], []
        for sq in self.saved_queries():
            needs, refused = self.service_needs(sq)
            (unavailable if refused else offered).append((sq, needs, refused))
        return offered, unavailable

    def _service_refusal(self, sq, refused: list[str]) -> str:
        return (f"saved query {sq.name!r} needs SERVICE to {', '.join(refused)}, which this server "
                "does not allow (start it with --allow-service <endpoint prefix> to offer it)")

    def saved_query(self, name: str):
        from .savedcache import cached_query
        try:
            return cached_query(name, self.cfg.queries_dir)
        except QueryError as e:
            raise HTTPError(404, str(e)) from None

    # -- running jobs ------------------------------------------------------
    async def run(self, job: dict, body: bytes = b"", *, write: bool = False) -> Response:
        t = self.cfg.timeout
        key = None
        if not write:
            key = self.cache.key(job, body, (self.pool.gen, self.pool.snapshot, self.pool._dirty))
            hit = self.cache.get(key)
            if hit is not None:
                header, out = hit
                return self._response(header, out)
        hkey = None if write else self._heavy_key(job, body)
        try:
            if write:
                header, out = await self.pool.write(job, body, timeout=t)
                self.cache.clear()
            else:
                header, out = await self.pool.run(job, body, timeout=t, slow=hkey in self._known_heavy)
                self.cache.put(key, header, out)
                # CPU time, not elapsed: on a saturated machine cheap queries wait for a core
                self._learn(hkey, header.get("cpu", 0.0) > self.pool.heavy_after)
        except JobTimeout:
            self._learn(hkey, True)
            return text_error(503, f"query timed out: stopped after the limit of {t:g} s "
                                   "(simplify the query, add a LIMIT, or use a saved query)")
        except PoolBusy as e:
            return text_error(503, f"server busy: {e}; try again later", {"Retry-After": "5"})
        except MemoryLimit as e:
            self._learn(hkey, True)
            return text_error(422, f"{e}; simplify the query or add a LIMIT")
        except WorkerDied as e:
            return text_error(500, str(e))
        return self._response(header, out)

    # requests seen to run long go straight to the slow lane next time
    _KNOWN_HEAVY_MAX = 4096

    @staticmethod
    def _heavy_key(job: dict, body: bytes):
        if job.get("op") not in ("query", "saved"):
            return None
        return hash((job.get("op"), job.get("name"), repr(sorted((job.get("values") or {}).items())),
                     repr(job.get("default_graphs")), repr(job.get("named_graphs")), body))

    def _learn(self, hkey, heavy: bool) -> None:
        if hkey is None:
            return
        if heavy:
            self._known_heavy[hkey] = True
            self._known_heavy.move_to_end(hkey)
            while len(self._known_heavy) > self._KNOWN_HEAVY_MAX:
                self._known_heavy.popitem(last=False)
        else:
            self._known_heavy.pop(hkey, None)

    @staticmethod
    def _response(header: dict, out: bytes) -> Response:
        status = header.get("status", 500)
        headers = {}
        if header.get("content_type"):
            headers["content-type"] = header["content_type"]
        resp = Response(out, status_code=status, headers=headers)
        resp.job = header  # type: ignore[attr-defined]
        return resp

    def check_write(self, request: Request) -> None:
        token = self.cfg.write_token
        if not token:
            raise HTTPError(403, "the server is read-only (start it with --write-token to allow updates)")
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise HTTPError(401, "writes need 'Authorization: Bearer <token>'",
                            {"WWW-Authenticate": 'Bearer realm="essgraph"'})

    @staticmethod
    def check_nesting(text: str, what: str) -> None:
        limit = sparql_text.MAX_NESTING
        if sparql_text.nesting_depth(text, stop_at=limit) > limit:
            raise HTTPError(400, f"{what} nested too deeply: brackets and prefix operators may nest "
                                 f"at most {limit} levels (the limit of this endpoint)")

    def check_remote(self, text: str, base_iri: str) -> None:
        low = text.lower()
        if "service" not in low and "load" not in low and "\\u" not in low:
            return
        key = (text, base_iri)
        refused = self._remote_cache.get(key)
        if refused is None:
            refused = sparql_text.refused_targets(text, self.cfg.allow_service, dict(PREFIXES), base_iri)
            if len(self._remote_cache) > 2048:
                self._remote_cache.clear()
            self._remote_cache[key] = refused
        if refused:
            raise HTTPError(403, "SERVICE/LOAD to other hosts is not allowed on this endpoint: "
                                 + ", ".join(refused)
                                 + (" (allowed prefixes: " + ", ".join(self.cfg.allow_service) + ")"
                                    if self.cfg.allow_service else " (see --allow-service)"))

    # -- /sparql -----------------------------------------------------------
    async def sparql(self, request: Request) -> Response:
        return await self._protocol(request, allow_query=True)

    async def update(self, request: Request) -> Response:
        if request.method == "GET":
            return await self.service_description(request)
        return await self._protocol(request, allow_query=False)

    async def _protocol(self, request: Request, *, allow_query: bool) -> Response:
        url_params = parse_qsl(request.url.query, keep_blank_values=True)
        form_params: list[tuple[str, str]] = []
        direct_query = direct_update = None
        if request.method == "GET":
            pass
        elif request.method == "POST":
            mt, mparams = media_type(request)
            body = await read_body(request, self.cfg.max_request_bytes, self.cfg.body_timeout)
            if mt == "application/x-www-form-urlencoded":
                text = decode_utf8(body, mparams)
                try:
                    form_params = parse_qsl(text, keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    raise HTTPError(400, "the form body is not valid UTF-8 once percent-decoded") from None
            elif mt == "application/sparql-query":
                direct_query = decode_utf8(body, mparams)
            elif mt == "application/sparql-update":
                direct_update = decode_utf8(body, mparams)
            elif not mt:
                raise HTTPError(415, "missing Content-Type: use application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
            else:
                raise HTTPError(415, f"unsupported Content-Type {mt!r}: use application/x-www-form-urlencoded, "
                                     "application/sparql-query or application/sparql-update")
        else:
            raise HTTPError(405, "use GET or POST", {"Allow": "GET, POST"})

        params = url_params + form_params

        def values(name):
            return [v for k, v in params if k == name]

        queries = values("query") + ([direct_query] if direct_query is not None else [])
        updates = values("update") + ([direct_update] if direct_update is not None else [])
        if request.method == "GET" and [v for k, v in url_params if k == "update"]:
            raise HTTPError(405, "updates must be sent with POST", {"Allow": "POST"})
        if queries and updates:
            raise HTTPError(400, "a request carries either a query or an update, not both")
        if len(queries) > 1:
            raise HTTPError(400, "more than one query in the request")
        if len(updates) > 1:
            raise HTTPError(400, "more than one update in the request")
        if not queries and not updates:
            if request.method == "GET":
                return await self.service_description(request)
            raise HTTPError(400, "no 'query' or 'update' parameter in the request")
        base_iri = endpoint_url(request)
        if queries:
            if not allow_query:
                raise HTTPError(400, "this endpoint only accepts updates; send queries to /sparql")
            query = queries[0]
            if len(query.encode("utf-8")) > self.cfg.max_request_bytes:
                raise HTTPError(413, f"query larger than the limit of {self.cfg.max_request_bytes} bytes")
            self.check_nesting(query, "query")
            self.check_remote(query, base_iri)
            job = {"op": "query", "base_iri": base_iri,
                   "accept": request.headers.get("accept"),
                   # SPARQLWrapper and others repeat the format as format=, output=, results=
                   "format": values("format") or values("output") or values("results") or None}
            dg, ng = values("default-graph-uri"), values("named-graph-uri")
            if dg or ng:
                job["default_graphs"] = dg
                job["named_graphs"] = ng
            resp = await self.run(job, query.encode("utf-8"))
            return self._finish_query_response(resp)
        # update
        self.check_write(request)
        upd = updates[0]
        using, using_named = values("using-graph-uri"), values("using-named-graph-uri")
        if using or using_named:
            if sparql_text.update_names_dataset(upd):
                raise HTTPError(400, "using-graph-uri/using-named-graph-uri cannot be combined with "
                                     "USING or WITH in the update")
            upd = sparql_text.add_using(upd, using, using_named)
        self.check_nesting(upd, "update")
        self.check_remote(upd, base_iri)
        resp = await self.run({"op": "update", "base_iri": base_iri}, upd.encode("utf-8"), write=True)
        return resp

    def _finish_query_response(self, resp: Response) -> Response:
        if resp.status_code == 200:
            resp.headers["Vary"] = "Accept"
            resp.headers["Cache-Control"] = "no-cache"
        return resp

    # -- service description & VoID -----------------------------------------
    async def service_description(self, request: Request) -> Response:
        if F.prefers_html(request.headers.get("accept")) and not request.query_params.get("format"):
            return RedirectResponse("/", status_code=303)
        try:
            fmt, oxf = F.negotiate(F.GRAPH_FORMATS, request.headers.get("accept"),
                                   request.query_params.get("format"))
        except F.NotAcceptable as e:
            raise HTTPError(406, str(e)) from None
        ep = endpoint_url(request)
        root = root_url(request)
        N, L = ox.NamedNode, ox.Literal
        svc = N(ep)
        t = []

        def add(s, p, o):
            t.append(ox.Triple(s, N(p), o))

        add(svc, RDF_TYPE, N(SD + "Service"))
        add(svc, SD + "endpoint", N(ep))
        add(svc, SD + "supportedLanguage", N(SD + "SPARQL10Query"))
        add(svc, SD + "supportedLanguage", N(SD + "SPARQL11Query"))
        if self.cfg.write_token:
            add(svc, SD + "supportedLanguage", N(SD + "SPARQL11Update"))
        for fmt_, _ in list(F.RESULT_FORMATS.values()) + list(F.GRAPH_FORMATS.values()):
            add(svc, SD + "resultFormat", N(fmt_.iri))
        add(svc, SD + "feature", N(SD + "UnionDefaultGraph"))
        add(svc, SD + "feature", N(SD + "EmptyGraphs"))
        if self.cfg.allow_service:
            add(svc, SD + "feature", N(SD + "BasicFederatedQuery"))
        add(svc, SD + "defaultEntailmentRegime", N("http://www.w3.org/ns/entailment/Simple"))
        ds = ox.BlankNode("dataset")
        dg = ox.BlankNode("defaultGraph")
        add(svc, SD + "defaultDataset", ds)
        add(ds, RDF_TYPE, N(SD + "Dataset"))
        add(ds, SD + "defaultGraph", dg)
        add(dg, RDF_TYPE, N(SD + "Graph"))
        add(ds, PREFIXES["rdfs"] + "seeAlso", N(root + "void"))
        add(svc, PREFIXES["dcterms"] + "description",
            L("essgraph SPARQL endpoint: the default graph is the union of all graphs; "
              f"queries stop after {self.cfg.timeout:g} s and at {self.cfg.max_rows} rows."))
        out = ox.serialize(t, format=oxf, prefixes={"sd": SD, "dcterms": PREFIXES["dcterms"]}) \
            if fmt.name not in F.DATASET_FORMATS else \
            ox.serialize([ox.Quad(x.subject, x.predicate, x.object) for x in t], format=oxf)
        return Response(out, headers={"content-type": fmt.content_type, "Vary": "Accept"})

    async def void(self, request: Request) -> Response:
        try:
            fmt, oxf = F.negotiate(F.GRAPH_FORMATS, request.headers.get("accept"),
                                   request.query_params.get("format"))
        except F.NotAcceptable as e:
            raise HTTPError(406, str(e)) from None
        if self._void_cache and self._void_cache[0] == self.pool.gen:
            stats = self._void_cache[1]
        else:
            resp = await self.run({"op": "void"})
            if resp.status_code != 200:
                return resp
            stats = json.loads(resp.body)
            self._void_cache = (self.pool.gen, stats)
        root = root_url(request)
        dsn = root + "void#dataset"
        g = Triples()
        describe_dataset(g, dsn, triples=stats["triples"], distinct_subjects=stats["subjects"],
                         classes=stats["classes"], properties=stats["properties"],
                         partition_iri=lambda kind, i, _iri: root + f"void#{kind}-{i}")
        g.add(dsn, PREFIXES["dcterms"] + "title", literal("essgraph knowledge graph"))
        g.add(dsn, VOID + "sparqlEndpoint", root + "sparql")
        g.add(dsn, VOID + "uriSpace", literal(self.cfg.resource_base))
        g.add(dsn, VOID + "exampleResource", self.cfg.resource_base + "territory/commune/05065")
        g.add(dsn, VOID + "rootResource", ESS.rstrip("#"))
        for name in ("turtle", "jsonld"):
            g.add(dsn, VOID + "feature", F.GRAPH_FORMATS[name][0].iri)
        g.add(dsn, PREFIXES["rdfs"] + "comment",
              literal(f"{stats['graphs']} named graphs (one per clipping, plus reference, provenance and curation)"))
        if fmt.name in F.DATASET_FORMATS:
            out = ox.serialize(in_graph(g), format=oxf)
        else:
            out = ox.serialize(list(g), format=oxf, prefixes={"void": VOID, "dcterms": PREFIXES["dcterms"],
                                                                "rdfs": PREFIXES["rdfs"]})
        return Response(out, headers={"content-type": fmt.content_type, "Vary": "Accept"})

    # -- Graph Store Protocol ---------------------------------------------
    def _gsp_target(self, request: Request) -> tuple[str | None, bool]:
        """(graph IRI, "" for the default graph, None for the whole dataset; direct?)"""
        path = request.path_params.get("path")
        if path:
            return endpoint_url(request), True
        qp = parse_qsl(request.url.query, keep_blank_values=True)
        keys = [k for k, _ in qp]
        graphs = [v for k, v in qp if k == "graph"]
        if "default" in keys and graphs:
            raise HTTPError(400, "give either ?default or ?graph=, not both")
        if len(graphs) > 1:
            raise HTTPError(400, "more than one graph parameter")
        if "default" in keys:
            return "", False
        if graphs:
            g = graphs[0]
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", g):
                raise HTTPError(400, f"graph must be an absolute IRI, got {g!r}")
            return g, False
        return None, False

    async def graph_store(self, request: Request) -> Response:
        target, _direct = self._gsp_target(request)
        if request.method in ("GET", "HEAD"):
            resp = await self.run({"op": "graph_get", "graph": target,
                                   "accept": request.headers.get("accept"),
                                   "format": request.query_params.get("format")})
            if resp.status_code == 200:
                resp.headers["Vary"] = "Accept"
            return resp
        self.check_write(request)
        method = request.method
        created = False
        location = None
        if method == "POST" and target is None:
            mt, _ = media_type(request)
            if mt not in ("application/n-quads", "application/trig"):
                # POST to the service creates a new graph (Location: its IRI)
                target = root_url(request) + "store/" + uuid.uuid4().hex
                created, location = True, target
        body = b""
        parts: list[dict] = []
        if method in ("PUT", "POST"):
            body = await read_body(request, self.cfg.max_upload_bytes, self.cfg.body_timeout)
            mt, mparams = media_type(request)
            if mt.startswith("multipart/"):
                parts, body = self._multipart(request, body)
            else:
                if not mt:
                    raise HTTPError(415, "missing Content-Type for the RDF body")
                if target is None and mt not in ("application/n-quads", "application/trig"):
                    raise HTTPError(415, "a body for the whole dataset must be N-Quads or TriG")
                parts = [{"media_type": mt, "length": len(body)}]
        job = {"op": "gsp_write", "method": method, "graph": target, "parts": parts,
               "created": created, "base_iri": target or endpoint_url(request)}
        resp = await self.run(job, body, write=True)
        if location and resp.status_code < 300:
            resp.status_code = 201
            resp.headers["Location"] = location
        return resp

    @staticmethod
    def _multipart(request: Request, body: bytes) -> tuple[list[dict], bytes]:
        head = f"Content-Type: {request.headers.get('content-type')}\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        if not msg.is_multipart():
            raise HTTPError(400, "malformed multipart body")
        parts, blobs = [], []
        for part in msg.iter_parts():
            data = part.get_payload(decode=True) or b""
            mt = part.get_content_type().lower()
            parts.append({"media_type": mt, "length": len(data)})
            blobs.append(data)
        return parts, b"".join(blobs)

    # -- saved queries ------------------------------------------------------
    async def list_saved(self, request: Request) -> Response:
        root = root_url(request).rstrip("/")
        items = []
        offered, unavailable = self.offered_queries()
        for sq, needs, _ in offered:
            d = sq.to_dict()
            d["service"] = needs  # endpoints called with SERVICE (federated query); [] for local ones
            d["links"] = {"self": f"{root}/queries/{sq.name}",
                          "csv": f"{root}/queries/{sq.name}?format=csv",
                          "editor": f"{root}/?saved={sq.name}",
                          "openapi": f"{root}/openapi.json#/paths/~1queries~1{sq.name}"}
            items.append(d)
        # queries needing a SERVICE this server refuses: not offered, listed apart with the reason
        off = [{"name": sq.name, "title": sq.title, "service": needs,
                "reason": self._service_refusal(sq, refused)} for sq, needs, refused in unavailable]
        return JSONResponse({"queries": items, "count": len(items), "unavailable": off})

    async def run_saved(self, request: Request) -> Response:
        name = request.path_params["name"]
        sq = self.saved_query(name)
        _, refused = self.service_needs(sq)
        if refused:  # federated saved queries need --allow-service
            raise HTTPError(403, self._service_refusal(sq, refused))
        qp = parse_qsl(request.url.query, keep_blank_values=True)
        reserved = {"page", "per_page", "format"}
        values: dict[str, str] = {}
        for k, v in qp:
            if k in reserved:
                continue
            if k in values:
                raise HTTPError(400, f"parameter {k!r} given more than once")
            values[k] = v
        known = {p.name for p in sq.params}
        unknown = sorted(set(values) - known)
        if unknown:
            raise HTTPError(400, f"query {name!r} has no parameter {', '.join(map(repr, unknown))} "
                                 f"(parameters: {', '.join(sorted(known)) or 'none'})")
        try:
            page = int(request.query_params.get("page", "1"))
            per_page = int(request.query_params.get("per_page", str(self.cfg.per_page)))
        except ValueError:
            raise HTTPError(400, "page and per_page must be integers") from None
        if page < 1 or per_page < 1:
            raise HTTPError(400, "page and per_page must be at least 1")
        if per_page > self.cfg.max_rows:
            raise HTTPError(400, f"per_page is at most {self.cfg.max_rows}")
        job = {"op": "saved", "name": name, "values": values, "page": page, "per_page": per_page,
               "accept": request.headers.get("accept"), "format": request.query_params.get("format")}
        resp = await self.run(job)
        info = getattr(resp, "job", {})
        if resp.status_code == 200 and "total" in info:
            total = int(info["total"])
            last = max(1, -(-total // per_page))
            links = []

            def url(p):
                q = [(k, v) for k, v in qp if k != "page"] + [("page", str(p))]
                if "per_page" not in dict(qp):
                    q.append(("per_page", str(per_page)))
                return f"{endpoint_url(request)}?{urlencode(q)}"

            links.append(f'<{url(1)}>; rel="first"')
            if page > 1:
                links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
            if page < last:
                links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
            resp.headers["Link"] = ", ".join(links)
            resp.headers["X-Total-Count"] = str(total)
            resp.headers["Vary"] = "Accept"
        return resp

    async def openapi(self, request: Request) -> Response:
        from .openapi import openapi_document
        return JSONResponse(openapi_document([sq for sq, _, _ in self.offered_queries()[0]],
                                             root_url(request),
                                             self.cfg, __version__))

    # -- linked data ---------------------------------------------------------
    async def resource(self, request: Request) -> Response:
        if "path" in request.path_params:
            iri = self.cfg.resource_base + request.path_params["path"]
        else:
            iri = request.query_params.get("iri", "")
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", iri):
                raise HTTPError(400, "give an absolute IRI as ?iri=")
        override = request.query_params.get("format")
        accept = request.headers.get("accept")
        want_html = override in ("html",) or (not override and F.prefers_html(accept))
        if want_html:
            resp = await self.run({"op": "describe", "iri": iri, "html": True, "site": self.site()})
            if resp.status_code == 404:
                return self._not_found_page(iri)
        else:
            resp = await self.run({"op": "describe", "iri": iri, "accept": accept, "format": override})
        resp.headers["Vary"] = "Accept"
        return resp

    def _not_found_page(self, iri: str) -> Response:
        tpl = self.jinja.get_template("notfound.html")
        return HTMLResponse(tpl.render(iri=iri, site=self.site()), status_code=404,
                            headers={"Vary": "Accept"})

    async def ontology(self, request: Request) -> Response:
        override = request.query_params.get("format")
        if override or not F.prefers_html(request.headers.get("accept")):
            try:
                fmt, oxf = F.negotiate(F.GRAPH_FORMATS, request.headers.get("accept"), override)
            except F.NotAcceptable as e:
                raise HTTPError(406, str(e)) from None
            if override:
                return await self.ontology_rdf(fmt, oxf)
            return RedirectResponse(f"/ontology?format={fmt.name}", status_code=303,
                                    headers={"Vary": "Accept"})
        try:
            from ..ontology_docs import render_html
        except ImportError:
            raise HTTPError(404, "the ontology documentation is not available in this installation") from None
        html = await asyncio.to_thread(render_html)
        return HTMLResponse(html, headers={"Vary": "Accept"})

    async def ontology_rdf(self, fmt, oxf) -> Response:
        from ..resources import ontology_dir
        triples = []
        d = ontology_dir()
        for p in sorted(d.glob("*.ttl")) if d.exists() else []:
            triples.extend(q.triple for q in ox.parse(path=str(p), format=ox.RdfFormat.TURTLE))
        if not triples:
            raise HTTPError(404, "no ontology files in this installation")
        if fmt.name in F.DATASET_FORMATS:
            out = ox.serialize([ox.Quad(t.subject, t.predicate, t.object) for t in triples], format=oxf)
        else:
            out = ox.serialize(triples, format=oxf, prefixes=dict(PREFIXES))
        return Response(out, headers={"content-type": fmt.content_type})

    # -- pages -----------------------------------------------------------
    _terms_json: str | None = None

    def ontology_terms_json(self) -> str:
        """The ontology's classes and properties for the editor's completion:
        [{curie, iri, kind: class|property, label}], read once from the bundled ontology."""
        if self._terms_json is None:
            from ..resources import ontology_dir
            owl, rdfs, rdf = "http://www.w3.org/2002/07/owl#", PREFIXES["rdfs"], PREFIXES["rdf"]
            kinds = {owl + "Class": "class", rdfs + "Class": "class", owl + "ObjectProperty": "property",
                     owl + "DatatypeProperty": "property", owl + "AnnotationProperty": "property",
                     rdf + "Property": "property"}
            found: dict[str, dict] = {}
            d = ontology_dir()
            for path in sorted(d.glob("*.ttl")) if d.exists() else []:
                try:
                    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
                except (SyntaxError, OSError):
                    continue
                labels: dict[str, tuple[int, str]] = {}
                for q in quads:
                    s, p, o = q.subject, q.predicate.value, q.object
                    if not isinstance(s, ox.NamedNode):
                        continue
                    if p == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value in kinds:
                        found.setdefault(s.value, {"iri": s.value, "kind": kinds[o.value]})
                    elif p == rdfs + "label" and isinstance(o, ox.Literal):
                        rank = {"en": 0, "fr": 1}.get(o.language or "", 2)
                        if s.value not in labels or rank < labels[s.value][0]:
                            labels[s.value] = (rank, o.value)
                for iri, t in found.items():
                    if iri in labels:
                        t["label"] = labels[iri][1]
            terms = []
            for iri, t in sorted(found.items()):
                best = max((p for p, ns in PREFIXES.items() if iri.startswith(ns)),
                           key=lambda p: len(PREFIXES[p]), default=None)
                if best is None:
                    continue
                local = iri[len(PREFIXES[best]):]
                if not re.match(r"^[A-Za-z_][\w\-.]*$", local):
                    continue
                terms.append({"curie": f"{best}:{local}", "iri": iri, "kind": t["kind"],
                              "label": t.get("label", "")})
            self._terms_json = json.dumps(terms, ensure_ascii=False).replace("</", "<\\/")
        return self._terms_json

    async def home(self, request: Request) -> Response:
        queries = []
        for sq, needs, _ in self.offered_queries()[0]:
            used = sorted({m for m in re.findall(r"(?<![\w<])([A-Za-z][\w-]*):", sq.text) if m in PREFIXES})
            declared = set(re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", sq.text))
            prefix_block = sparql_prefix_block([u for u in used if u not in declared])
            body = "\n".join(l for l in sq.text.splitlines() if not l.startswith("#+")).strip() + "\n"
            queries.append({"name": sq.name, "title": sq.title, "description": sq.description,
                            "type": sq.query_type, "text": prefix_block + body, "service": needs,
                            "params": [vars(p) for p in sq.params]})
        default_query = (sparql_prefix_block(["rdf", "rdfs", "ess", "essr", "dcterms", "skos", "org",
                                              "igeo", "prov", "oa", "schema", "geo"])
                         + "\nSELECT ?class (COUNT(?s) AS ?n)\nWHERE { ?s a ?class }\n"
                           "GROUP BY ?class\nORDER BY DESC(?n)\nLIMIT 20\n")
        tpl = self.jinja.get_template("query.html")
        html = tpl.render(queries=queries, queries_json=json.dumps(queries, ensure_ascii=False,
                                                                   default=str).replace("</", "<\\/"),
                          default_query=default_query, site=self.site(),
                          prefixes_json=json.dumps(PREFIXES), cfg=self.cfg,
                          terms_json=self.ontology_terms_json(),
                          selected=request.query_params.get("saved", ""))
        return HTMLResponse(html)

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__, "workers": len(self.pool.pids()),
                             "fast_lane": self.cfg.workers, "max_heavy": self.cfg.max_heavy,
                             "heavy_running": len(self.pool._heavy), "heavy_waiting": len(self.pool._paused),
                             "workers_rss_mib": round(self.pool.rss() / 2 ** 20, 1),
                             "max_query_memory_mib": self.cfg.max_query_memory,
                             "max_total_memory_mib": self.cfg.max_total_memory, **self.pool.stats,
                             "cache_hits": self.cache.hits, "cache_misses": self.cache.misses,
                             "writes": bool(self.cfg.write_token), "generation": self.pool.gen})


def _error_handler(request: Request, exc: HTTPError) -> Response:
    return text_error(exc.status, exc.message, exc.headers)


def create_app(store_path, *, write_token: str | None = None, timeout: float = DEFAULT_TIMEOUT,
               max_rows: int = DEFAULT_MAX_ROWS, cors_origins=(), allow_service=(),
               base_url: str | None = None, max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
               max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
               body_timeout: float = DEFAULT_BODY_TIMEOUT, workers: int = 0,
               queries_dir=None, per_page: int = DEFAULT_PER_PAGE, max_heavy: int = 0,
               max_query_memory: int = DEFAULT_MAX_QUERY_MEMORY_MIB,
               max_total_memory: int = DEFAULT_MAX_TOTAL_MEMORY_MIB,
               result_cache_mib: int = DEFAULT_RESULT_CACHE_MIB) -> Starlette:
    """The essgraph web application over the Oxigraph store at ``store_path``.

    Read-only unless ``write_token`` is given. The store is checked now (a
    missing or unreadable store raises :class:`~ess_graph.errors.StoreError`);
    worker processes start with the application's lifespan.
    """
    from ..store import GraphStore, resolve_store_path
    path = resolve_store_path(store_path)
    if write_token:
        gs = GraphStore(path)          # read-write; fails early if another writer holds the lock
        gs.close()
        del gs
    else:
        gs = GraphStore(path, read_only=True)
        del gs
    cfg = ServeConfig(store_path=str(path), write_token=write_token or None, timeout=float(timeout),
                      max_rows=int(max_rows), max_result_bytes=int(max_result_bytes),
                      max_request_bytes=int(max_request_bytes), max_upload_bytes=int(max_upload_bytes),
                      body_timeout=float(body_timeout), cors_origins=tuple(cors_origins),
                      allow_service=tuple(allow_service), base_url=base_url, workers=int(workers),
                      queries_dir=str(queries_dir) if queries_dir else None, per_page=int(per_page),
                      max_heavy=int(max_heavy), max_query_memory=int(max_query_memory),
                      max_total_memory=int(max_total_memory), result_cache_mib=int(result_cache_mib))
    server = EssGraphServer(cfg)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await server.pool.start()
        log.info("essgraph serve: %d query workers%s", cfg.workers,
                 " + 1 writer" if cfg.write_token else " (read-only)")
        try:
            yield
        finally:
            await server.pool.close()

    routes = [
        Route("/", server.home, methods=["GET"]),
        Route("/sparql", server.sparql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/query", server.sparql, methods=["GET", "POST"]),
        Route("/update", server.update, methods=["GET", "POST"]),
        Route("/store", server.graph_store, methods=["GET", "PUT", "POST", "DELETE"], name="gsp"),
        Route("/store/{path:path}", server.graph_store, methods=["GET", "PUT", "POST", "DELETE"],
              name="gsp_direct"),
        Route("/queries", server.list_saved, methods=["GET"]),
        Route("/queries/{name}", server.run_saved, methods=["GET"]),
        Route("/openapi.json", server.openapi, methods=["GET"]),
        Route("/void", server.void, methods=["GET"]),
        Route("/.well-known/void", lambda r: RedirectResponse("/void", status_code=303), methods=["GET"]),
        Route("/id/{path:path}", server.resource, methods=["GET"]),
        Route("/resource", server.resource, methods=["GET"]),
        Route("/ontology", server.ontology, methods=["GET"]),
        Route("/health", server.health, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    middleware = [Middleware(StrictQueryString),
                  Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)]
    if cors_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"],
            allow_headers=["Accept", "Content-Type", "Authorization"],
            expose_headers=["Link", "Location", "X-Total-Count", "Content-Type"]))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPError: _error_handler})
    app.state.essgraph = server
    return app


def run(store_path=None, *, host: str = "127.0.0.1", port: int = 7878, log_level: str = "info",
        **kwargs) -> None:
    """Serve the store with uvicorn until interrupted (``essgraph serve``)."""
    import uvicorn
    app = create_app(store_path, **kwargs)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, proxy_headers=False,
                timeout_keep_alive=15, h11_max_incomplete_event_size=64 * 1024)
