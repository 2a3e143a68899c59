"""A worker process: runs queries (or, in write mode, updates) on the store.

The HTTP process never evaluates SPARQL itself. It hands each job to one of
these processes over a Unix socket and kills the process when the job runs
past its deadline, which is the only way to really stop an Oxigraph query
(there is no cancellation in pyoxigraph). Readers open the store read-only,
so any number of them can run beside an ``essgraph load`` in another process
(a reader reopens its view when the store directory changes). When the server
accepts writes, the single writer process holds the store read-write and,
after writes, makes a checkpoint (hard links, a consistent snapshot) that the
readers open instead: a reader moves to the newest snapshot before its next
job, so answers are never staler than the last completed write.

Run as ``python -m ess_graph.serve.worker '<json config>'``.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..stats import void_statistics
from . import formats as F
from .protocol import read_blocking, send_blocking


class ResultTooLarge(Exception):
    pass


class LimitedSink:
    """A binary sink that refuses to grow past ``max_bytes`` (and, for TSV
    results, past ``max_lines`` lines)."""

    def __init__(self, max_bytes: int, max_lines: int | None = None):
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        self.parts: list[bytes] = []
        self.n = 0
        self.lines = 0

    def write(self, b) -> int:
        b = bytes(b)
        self.n += len(b)
        if self.n > self.max_bytes:
            raise ResultTooLarge(f"the result is larger than the limit of {self.max_bytes} bytes")
        if self.max_lines is not None:
            self.lines += b.count(b"\n")
            if self.lines > self.max_lines:
                raise ResultTooLarge(f"the result has more than the limit of {self.max_lines - 1} rows")
        self.parts.append(b)
        return len(b)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _error(status: int, message: str) -> tuple[dict, bytes]:
    return {"status": status, "content_type": "text/plain; charset=utf-8"}, (message.rstrip() + "\n").encode()


def _terms(iris: list[str] | None):
    if iris is None:
        return None
    return [ox.DefaultGraph() if i == "" else ox.NamedNode(i) for i in iris]


class Worker:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.path = cfg["store"]
        self.write = cfg.get("mode") == "write"
        self.max_rows = int(cfg.get("max_rows", 100_000))
        self.max_bytes = int(cfg.get("max_bytes", 64 * 1024 * 1024))
        self.snapshot_dir = cfg.get("snapshot_dir")
        self.snapshot_keep = float(cfg.get("snapshot_keep", 60.0))
        self.snapshots: list[tuple[str, float | None]] = []  # (path, superseded at)
        self.store = None
        self._dir_mtime = None
        self._last_check = 0.0
        self.open(self.path)

    # -- store -----------------------------------------------------------
    def open(self, path: str) -> None:
        """Open ``path`` (read-write for the writer, read-only otherwise).

        Opening read-only races with compactions of a store another process is
        writing (a listed file may just have been deleted): retry a few times.
        """
        from ..errors import StoreError
        from ..store import GraphStore
        self.store = None
        for attempt in range(5):
            try:
                gs = GraphStore(path, read_only=not self.write, create=self.write)
                break
            except (StoreError, RuntimeError, OSError):
                if self.write or attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        self.store = gs.store
        self.path = path
        self._dir_mtime = self._mtime()
        self._last_check = time.monotonic()

    def _mtime(self):
        try:
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return None

    def refresh(self, snapshot: str | None) -> None:
        """Reopen the read-only view when the server moved to a newer snapshot
        (after a write) or when another process changed the store directory."""
        if self.write:
            return
        if snapshot and snapshot != self.path:
            self.open(snapshot)
            return
        now = time.monotonic()
        if now - self._last_check > 1.0:
            self._last_check = now
            m = self._mtime()
            if m != self._dir_mtime:
                self.open(self.path)

    def make_snapshot(self) -> str:
        """Writer: a consistent read-only copy of the store (a RocksDB checkpoint
        made of hard links) for the readers; old ones are removed once no query
        can still be using them."""
        import shutil
        os.makedirs(self.snapshot_dir, exist_ok=True)
        now = time.time()
        if self.snapshots:
            p, _ = self.snapshots[-1]
            self.snapshots[-1] = (p, now)
        path = os.path.join(self.snapshot_dir, f"{time.time_ns():020d}-{os.getpid()}")
        self.store.backup(path)
        self.snapshots.append((path, None))
        keep = []
        for p, superseded in self.snapshots:
            if superseded is not None and now - superseded > self.snapshot_keep:
                shutil.rmtree(p, ignore_errors=True)
            else:
                keep.append((p, superseded))
        self.snapshots = keep
        return path

    # -- dispatch --------------------------------------------------------
    def handle(self, job: dict, body: bytes) -> tuple[dict, bytes]:
        op = job.get("op")
        self.refresh(job.get("snapshot"))
        fn = getattr(self, "op_" + str(op), None)
        if fn is None:
            return _error(400, f"unknown operation {op!r}")
        try:
            try:
                return fn(job, body)
            except RuntimeError as e:
                # the store files changed under a read-only view: reopen, retry once
                if self.write or "No such file" not in str(e):
                    raise
                self.open(self.path)
                return fn(job, body)
        except ResultTooLarge as e:
            return _error(422, f"{e}; add a LIMIT to the query or use pagination")
        except F.NotAcceptable as e:
            return _error(406, str(e))
        except SyntaxError as e:
            return _error(400, f"{e}")
        except (ValueError, TypeError) as e:
            return _error(400, f"{e}")
        except OSError as e:
            return _error(500, f"evaluation failed: {e}")

    def op_ping(self, job, body):
        return {"status": 200}, b""

    def op_snapshot(self, job, body):
        if not self.write:
            return _error(403, "this worker is read-only")
        return {"status": 200, "snapshot": self.make_snapshot()}, b""

    # -- queries ---------------------------------------------------------
    def _run_query(self, text, *, default_graphs=None, named_graphs=None, base_iri=None,
                   substitutions=None):
        kwargs = {}
        if default_graphs is not None:
            kwargs["default_graph"] = _terms(default_graphs)
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = _terms(named_graphs)
        if substitutions:
            kwargs["substitutions"] = substitutions
        return self.store.query(text, prefixes=dict(PREFIXES), base_iri=base_iri or None, **kwargs)

    def op_query(self, job, body):
        text = body.decode("utf-8")
        result = self._run_query(text, default_graphs=job.get("default_graphs"),
                                 named_graphs=job.get("named_graphs"), base_iri=job.get("base_iri"))
        return self.serialize(result, job)

    def op_saved(self, job, body):
        from ..errors import QueryError
        from .savedcache import cached_query
        try:
            sq = cached_query(job["name"], self.cfg.get("queries_dir"))
            subs = sq.substitutions(job.get("values") or {})
        except QueryError as e:
            status = 404 if str(e).startswith("unknown saved query") else 400
            return _error(status, str(e))
        try:
            result = self._run_query(sq.text, substitutions=subs)
        except SyntaxError as e:
            return _error(500, f"saved query {sq.name!r} is invalid: {e}")
        return self.serialize(result, job)

    def serialize(self, result, job) -> tuple[dict, bytes]:
        accept, override = job.get("accept"), job.get("format")
        page, per_page = job.get("page"), job.get("per_page")
        extra: dict = {}
        if isinstance(result, ox.QueryBoolean):
            fmt, oxf = F.negotiate(F.RESULT_FORMATS, accept, override)
            return {"status": 200, "content_type": fmt.content_type, "kind": "boolean"}, \
                result.serialize(format=oxf)
        if isinstance(result, ox.QuerySolutions):
            fmt, oxf = F.negotiate(F.RESULT_FORMATS, accept, override)
            # TSV first (one line per row: the row limit is exact), then the asked format.
            sink = LimitedSink(self.max_bytes, self.max_rows + 1)
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)
            tsv = sink.getvalue()
            if page is not None:
                lines = tsv.split(b"\n")
                header, rows = lines[0], lines[1:-1]
                start = (page - 1) * per_page
                extra = {"total": len(rows), "page": page, "per_page": per_page}
                rows = rows[start:start + per_page]
                tsv = b"\n".join([header, *rows]) + b"\n"
            if fmt.name == "tsv":
                out = tsv
            else:
                parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
                out_sink = LimitedSink(self.max_bytes)
                parsed.serialize(out_sink, format=oxf)
                out = out_sink.getvalue()
            return {"status": 200, "content_type": fmt.content_type, "kind": "solutions", **extra}, out
        # triples (CONSTRUCT / DESCRIBE)
        fmt, oxf = F.negotiate(F.GRAPH_FORMATS, accept, override)
        triples = []
        for t in result:
            triples.append(t)
            if len(triples) > self.max_rows:
                raise ResultTooLarge(f"the result has more than the limit of {self.max_rows} triples")
        if page is not None:
            start = (page - 1) * per_page
            extra = {"total": len(triples), "page": page, "per_page": per_page}
            triples = triples[start:start + per_page]
        return {"status": 200, "content_type": fmt.content_type, "kind": "graph", **extra}, \
            self._serialize_triples(triples, fmt, oxf)

    def _serialize_triples(self, triples, fmt, oxf, prefixes=None) -> bytes:
        sink = LimitedSink(self.max_bytes)
        if prefixes:
            prefixes = _used_prefixes(triples, prefixes)
        if fmt.name in F.DATASET_FORMATS:
            quads = [ox.Quad(t.subject, t.predicate, t.object) if isinstance(t, ox.Triple) else t
                     for t in triples]
            ox.serialize(quads, sink, format=oxf, prefixes=prefixes)
        else:
            ox.serialize(triples, sink, format=oxf, prefixes=prefixes)
        return sink.getvalue()

    # -- Graph Store Protocol: reads --------------------------------------
    def op_graph_get(self, job, body):
        target = job["graph"]  # "" = default graph, None = whole dataset, else an IRI
        if target is None:
            table = {k: F.GRAPH_FORMATS[k] for k in F.DATASET_FORMATS}
            fmt, oxf = F.negotiate(table, job.get("accept"), job.get("format"))
            quads = []
            for q in self.store:
                quads.append(q)
                if len(quads) > self.max_rows:
                    raise ResultTooLarge(f"the dataset has more than {self.max_rows} quads; "
                                         "use 'essgraph export' for full dumps")
            sink = LimitedSink(self.max_bytes)
            ox.serialize(quads, sink, format=oxf)
            return {"status": 200, "content_type": fmt.content_type}, sink.getvalue()
        fmt, oxf = F.negotiate(F.GRAPH_FORMATS, job.get("accept"), job.get("format"))
        if target == "":
            gname = ox.DefaultGraph()
        else:
            gname = ox.NamedNode(target)
            if not self.store.contains_named_graph(gname):
                return _error(404, f"no graph <{target}> in the store")
        triples = []
        for q in self.store.quads_for_pattern(None, None, None, gname):
            triples.append(q.triple)
            if len(triples) > self.max_rows:
                raise ResultTooLarge(f"the graph has more than the limit of {self.max_rows} triples")
        return {"status": 200, "content_type": fmt.content_type}, \
            self._serialize_triples(triples, fmt, oxf)

    # -- descriptions and pages ------------------------------------------
    def op_describe(self, job, body):
        from . import pages
        iri = job["iri"]
        if job.get("html"):
            html = pages.resource_page(self.store, iri, job.get("site") or {})
            if html is None:
                return _error(404, f"nothing is known about <{iri}>")
            return {"status": 200, "content_type": "text/html; charset=utf-8"}, html.encode("utf-8")
        fmt, oxf = F.negotiate(F.GRAPH_FORMATS, job.get("accept"), job.get("format"))
        triples = pages.description(self.store, iri, self.max_rows)
        if not triples:
            return _error(404, f"nothing is known about <{iri}>")
        return {"status": 200, "content_type": fmt.content_type}, \
            self._serialize_triples(triples, fmt, oxf, prefixes=dict(PREFIXES))

    def op_void(self, job, body):
        return {"status": 200, "content_type": "application/json"}, \
            json.dumps(void_statistics(self.store)).encode()

    # -- writes (write mode only) ----------------------------------------
    def op_update(self, job, body):
        if not self.write:
            return _error(403, "this worker is read-only")
        text = body.decode("utf-8")
        self.store.update(text, prefixes=dict(PREFIXES), base_iri=job.get("base_iri") or None)
        return {"status": 204}, b""

    def op_gsp_write(self, job, body):
        """PUT / POST / DELETE on a graph (or POST/PUT on the whole dataset)."""
        if not self.write:
            return _error(403, "this worker is read-only")
        method, target = job["method"], job.get("graph")
        parts = job.get("parts") or []
        quads: list[ox.Quad] = []
        offset = 0
        for part in parts:
            data = body[offset:offset + part["length"]]
            offset += part["length"]
            fmt = F.UPLOAD_FORMATS.get(part["media_type"])
            if fmt is None:
                return _error(415, f"unsupported media type {part['media_type']!r} "
                                   f"(use one of {', '.join(sorted(F.UPLOAD_FORMATS))})")
            try:
                quads.extend(ox.parse(data, format=fmt, base_iri=job.get("base_iri") or None,
                                      rename_blank_nodes=True))
            except SyntaxError as e:
                return _error(400, f"cannot parse the {part['media_type']} body: {e}")
        status = 204
        ops: list[str] = []
        if target is None:  # the whole dataset
            if method == "DELETE":
                return _error(405, "DELETE on the whole dataset is not supported")
            if method == "PUT":
                ops.append("DROP SILENT ALL")
            graphs_quads = quads
        else:
            g = ox.DefaultGraph() if target == "" else ox.NamedNode(target)
            existed = True if target == "" else self.store.contains_named_graph(g)
            if method == "DELETE":
                if not existed:
                    return _error(404, f"no graph <{target}> in the store")
                ops.append("DROP DEFAULT" if target == "" else f"DROP GRAPH <{target}>")
            elif method == "PUT":
                ops.append("DROP SILENT DEFAULT" if target == "" else f"DROP SILENT GRAPH <{target}>")
                if target != "":
                    ops.append(f"CREATE SILENT GRAPH <{target}>")
                status = 204 if existed else 201
            elif method == "POST":
                if target != "" and not existed:
                    ops.append(f"CREATE SILENT GRAPH <{target}>")
                    status = 201 if job.get("created") else 204
            for q in quads:
                if not isinstance(q.graph_name, ox.DefaultGraph):
                    return _error(400, "a graph body must not contain named graphs")
            graphs_quads = [ox.Quad(q.subject, q.predicate, q.object, g) for q in quads]
        if graphs_quads:
            ops.append("INSERT DATA {\n" + _insert_data(graphs_quads) + "\n}")
        if ops:
            self.store.update(" ;\n".join(ops))
        return {"status": status}, b""


def _used_prefixes(triples, prefixes: dict[str, str]) -> dict[str, str]:
    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype is not None:
                iris.add(term.datatype.value)
    return {p: ns for p, ns in prefixes.items() if any(i.startswith(ns) for i in iris)}


def _insert_data(quads) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
    parts = []
    for g, lines in by_graph.items():
        body = "\n".join(lines)
        parts.append(f"GRAPH {g} {{\n{body}\n}}" if g else body)
    return "\n".join(parts)


# Oxigraph parses and evaluates recursively: run jobs on a thread with a large
# stack (address space only; pages are touched only by deep queries) so that
# anything under the server's nesting limit (sparql_text.MAX_NESTING) is far
# from overflowing it.
JOB_THREAD_STACK = 256 * 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    import threading
    result: list[int] = [1]
    try:
        threading.stack_size(JOB_THREAD_STACK)
    except (ValueError, RuntimeError):  # platform refuses: run on the main thread
        return _main(argv)
    t = threading.Thread(target=lambda: result.__setitem__(0, _main(argv)), name="essgraph-worker")
    t.start()
    t.join()
    return result[0]


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cfg = json.loads(argv[0])
    sock = socket.socket(fileno=int(cfg["fd"]))
    rfile = sock.makefile("rb")
    try:
        worker = Worker(cfg)
    except Exception as e:  # report why the store cannot be opened, then exit
        send_blocking(sock, {"status": 500, "ready": False, "error": str(e)})
        return 1
    ready = {"status": 200, "ready": True, "pid": os.getpid(), "cpu_total": time.process_time()}
    if worker.write and worker.snapshot_dir:
        ready["snapshot"] = worker.make_snapshot()
    send_blocking(sock, ready)
    while True:
        try:
            job, body = read_blocking(rfile)
        except (EOFError, OSError):
            return 0
        try:
            header, out = worker.handle(job, body)
        except Exception as e:  # a bug must not take the worker down silently
            traceback.print_exc(file=sys.stderr)
            header, out = _error(500, f"internal error: {type(e).__name__}: {e}")
        # the process's CPU time so far (all threads): the pool derives each job's CPU from it
        header["cpu_total"] = time.process_time()
        try:
            send_blocking(sock, header, out)
        except OSError:
            return 0


if __name__ == "__main__":
    sys.exit(main())
