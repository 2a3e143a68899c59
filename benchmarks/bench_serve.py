"""Loopback load test of ``essgraph serve`` against ``oxigraph serve-read-only``.

Same on-disk store, same query mix, measured in the same run:

* throughput with C concurrent clients (default 8) on /sparql of both servers;
* latency (p50/p95/p99) of every saved query through /queries/{name}, alone
  and under the concurrent load;
* resident memory of essgraph serve (HTTP process + workers) sampled every
  1,000 requests over a long run (default 10,000 requests);
* abuse: an endless query while simple queries keep being answered;
* attack: 8 clients looping on endless queries and 8 on memory-hungry ones
  while one client sends a stream of cheap queries: their p50/p99 and the
  server's peak resident memory (HTTP process + all workers, sampled every
  100 ms).

Usage (writes a JSON report and prints a Markdown summary)::

    .venv/bin/python benchmarks/bench_serve.py --scale 200 --requests 2000 --memory-requests 10000 \\
        --reps 30 --out /tmp/bench-serve.json

Not a test: it takes minutes. Figures go to docs/benchmarks/serve.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # demo_server: the test helpers

from ess_graph.namespaces import sparql_prefix_block  # noqa: E402
from ess_graph.queries import list_queries  # noqa: E402
from ess_graph.serve.sparql_text import remote_targets  # noqa: E402
from demo_server import free_port, write_demo_store  # noqa: E402

OXIGRAPH = Path(sys.executable).with_name("oxigraph")

# ad-hoc queries of the mix (besides the saved ones), typical of the query page
ADHOC = [
    "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) LIMIT 20",
    "SELECT ?p ?o WHERE { <https://w3id.org/essgraph/id/org/cooperative-alpine> ?p ?o }",
    "SELECT ?s ?p WHERE { ?s ?p <https://w3id.org/essgraph/id/territory/commune/05065> } LIMIT 100",
    "SELECT ?c ?l WHERE { ?c a ess:Cooperative ; rdfs:label ?l } ORDER BY ?l LIMIT 50",
    "ASK { ?x a ess:Clipping }",
    "CONSTRUCT { ?o rdfs:label ?l } WHERE { ?o a ess:Cooperative ; rdfs:label ?l } LIMIT 50",
]


# cheap lookups of the mix: their latency under the mixed load is reported apart
CHEAP = {ADHOC[1], ADHOC[2], ADHOC[4]}

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUNGRY = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    f, c = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def rss_tree_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def cpu_tree_seconds(pid: int, *, children: bool = True) -> float:
    """CPU time (user + system) of a process, and with ``children`` of all its live
    descendants plus the children it has reaped (workers that were replaced)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if not children:
                break
            total += int(fields[13]) + int(fields[14])
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def engine_only_ms(store: Path, queries: list[str], rounds: int = 5) -> float:
    """The mix evaluated in this process by pyoxigraph (results serialized as JSON / N-Triples):
    the engine's own CPU per query, median of ``rounds`` rounds."""
    import pyoxigraph as ox
    st = ox.Store.read_only(str(store))
    per_round = []
    for _ in range(rounds + 1):
        t = time.process_time()
        for q in queries:
            res = st.query(q, use_default_graph_as_union=True)
            if isinstance(res, ox.QuerySolutions):
                res.serialize(format=ox.QueryResultsFormat.JSON)
            elif isinstance(res, ox.QueryTriples):
                ox.serialize(list(res), format=ox.RdfFormat.N_TRIPLES)
        per_round.append((time.process_time() - t) * 1000 / len(queries))
    del st
    return round(statistics.median(per_round[1:]), 2)


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def mix_queries(saved) -> list[str]:
    prefix = sparql_prefix_block()
    texts = []
    for sq in saved:
        if not any(p.required for p in sq.params):
            texts.append(prefix + sq.text)
    texts.extend(prefix + q for q in ADHOC)
    return texts


async def load(url: str, queries: list[str], n: int, clients: int, accept="application/sparql-results+json",
               cheap_lat: list | None = None):
    """n requests over `clients` concurrent connections; returns (seconds, latencies, errors)."""
    lat: list[float] = []
    prefix = sparql_prefix_block()
    cheap_texts = {prefix + q for q in CHEAP}
    errors = 0
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def worker():
            nonlocal errors
            for i in counter:
                q = queries[i % len(queries)]
                t = time.perf_counter()
                r = await client.post(url, data={"query": q}, headers={"Accept": accept + ", */*;q=0.1"})
                await r.aread()
                lat.append(time.perf_counter() - t)
                if cheap_lat is not None and q in cheap_texts:
                    cheap_lat.append(lat[-1])
                if r.status_code != 200:
                    errors += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - t0, lat, errors


async def saved_latencies(base: str, saved, reps: int, background: str | None, clients: int, bg_queries):
    """Latency of each saved query via /queries/{name}, optionally under load."""
    params = {sq.name: {p.name: _example_value(p) for p in sq.params if p.required} for sq in saved}
    out = {}
    stop = asyncio.Event()

    async def bg():
        async with httpx.AsyncClient(timeout=60) as c:
            i = 0
            while not stop.is_set():
                await c.post(background, data={"query": bg_queries[i % len(bg_queries)]})
                i += 1

    tasks = [asyncio.create_task(bg()) for _ in range(clients - 1)] if background else []
    async with httpx.AsyncClient(timeout=60) as c:
        for sq in saved:
            lat, status = [], set()
            for _ in range(reps):
                t = time.perf_counter()
                r = await c.get(f"{base}/queries/{sq.name}", params=params[sq.name])
                lat.append(time.perf_counter() - t)
                status.add(r.status_code)
            out[sq.name] = {"p50_ms": round(percentile(lat, 50) * 1000, 1),
                            "p95_ms": round(percentile(lat, 95) * 1000, 1),
                            "p99_ms": round(percentile(lat, 99) * 1000, 1), "status": sorted(status)}
    stop.set()
    for t in tasks:
        await t
    return out


def _example_value(p):
    return {"iri": "https://w3id.org/essgraph/id/territory/departement/05", "integer": "10",
            "decimal": "1.5", "date": "2013-01-01", "boolean": "true"}.get(p.type, "05")


async def abuse(base: str, timeout_s: float):
    endless = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
    async with httpx.AsyncClient(timeout=120) as c:
        t = time.perf_counter()
        task = asyncio.create_task(c.get(base + "/sparql", params={"query": endless}))
        await asyncio.sleep(0.5)
        quick = []
        for _ in range(20):
            t1 = time.perf_counter()
            r = await c.get(base + "/sparql", params={"query": "ASK { ?x a ess:Clipping }"})
            quick.append(time.perf_counter() - t1)
            assert r.status_code == 200
        r = await task
        return {"endless_status": r.status_code, "endless_seconds": round(time.perf_counter() - t, 2),
                "endless_body": r.text.strip()[:120], "simple_p50_ms_meanwhile": round(percentile(quick, 50) * 1000, 1),
                "simple_max_ms_meanwhile": round(max(quick) * 1000, 1), "timeout_s": timeout_s}


async def attack(base: str, pid: int, seconds: float, endless: int = 8, hungry: int = 8):
    """`endless` + `hungry` clients loop on expensive queries while one client
    sends cheap queries back to back; the server's resident memory is sampled."""
    stop = asyncio.Event()
    statuses: dict[str, dict[int, int]] = {"endless": {}, "hungry": {}}

    async def attacker(kind, query):
        async with httpx.AsyncClient(timeout=600) as c:
            while not stop.is_set():
                try:
                    r = await c.get(base + "/sparql", params={"query": query})
                    statuses[kind][r.status_code] = statuses[kind].get(r.status_code, 0) + 1
                    if r.status_code == 503 and "busy" in r.text:
                        await asyncio.sleep(1.0)
                except httpx.HTTPError:
                    statuses[kind][0] = statuses[kind].get(0, 0) + 1

    peak = [0]
    samples = []

    async def sampler():
        while not stop.is_set():
            rss = rss_tree_kib(pid)
            samples.append(rss)
            peak[0] = max(peak[0], rss)
            await asyncio.sleep(0.1)

    tasks = [asyncio.create_task(attacker("endless", ENDLESS)) for _ in range(endless)]
    tasks += [asyncio.create_task(attacker("hungry", HUNGRY)) for _ in range(hungry)]
    tasks.append(asyncio.create_task(sampler()))
    await asyncio.sleep(2.0)  # let the attack build up
    lat, bad = [], 0
    cheap_queries = [sparql_prefix_block() + q for q in CHEAP]
    async with httpx.AsyncClient(timeout=60) as c:
        t_end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < t_end:
            t = time.perf_counter()
            r = await c.post(base + "/sparql", data={"query": cheap_queries[i % len(cheap_queries)]})
            lat.append(time.perf_counter() - t)
            bad += r.status_code != 200
            i += 1
    stop.set()
    await asyncio.sleep(0)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"seconds": seconds, "endless_clients": endless, "hungry_clients": hungry,
            "cheap_requests": len(lat), "cheap_errors": bad,
            "cheap_p50_ms": round(percentile(lat, 50) * 1000, 1),
            "cheap_p99_ms": round(percentile(lat, 99) * 1000, 1),
            "cheap_max_ms": round(max(lat) * 1000, 1),
            "peak_rss_mib": round(peak[0] / 1024, 1),
            "median_rss_mib": round(statistics.median(samples) / 1024, 1) if samples else None,
            "attacker_statuses": statuses}


CLIENT_TOKEN = "bench-token"


def real_clients(base: str) -> list[tuple[str, bool, str]]:
    """56 calls by real client libraries (SPARQLWrapper, rdflib's SPARQLStore and
    SPARQLUpdateStore, requests over the Graph Store Protocol), each with a check of
    the answer: (case, passed, detail). Needs a server started with --write-token
    CLIENT_TOKEN; writes only to graphs named urn:bench:*, removed at the end."""
    import SPARQLWrapper as S
    import requests
    from rdflib import Graph, Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore

    auth = {"Authorization": f"Bearer {CLIENT_TOKEN}"}
    pre = "PREFIX ess: <https://w3id.org/essgraph/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    # answers known on any store: three cooperatives written first into urn:bench:data
    mine = 'FILTER(STRSTARTS(STR(?c), "urn:bench:"))'
    select = pre + f"SELECT ?c ?l WHERE {{ ?c a ess:Cooperative ; rdfs:label ?l {mine} }} ORDER BY ?l LIMIT 3"
    ask = pre + "ASK { <urn:bench:coop-1> a ess:Cooperative }"
    construct = pre + (f"CONSTRUCT {{ ?c a ess:Cooperative ; rdfs:label ?l }} WHERE {{ ?c a ess:Cooperative ; "
                       f"rdfs:label ?l {mine} }}")
    describe = "DESCRIBE <urn:bench:coop-1>"
    seed = pre + "INSERT DATA { GRAPH <urn:bench:data> { " + " ".join(
        f'<urn:bench:coop-{i}> a ess:Cooperative ; rdfs:label "Coopérative {i}" .' for i in (1, 2, 3, 4)) + " } }"
    r = requests.post(base + "/update", data={"update": seed}, headers=auth, timeout=60)
    r.raise_for_status()
    out: list[tuple[str, bool, str]] = []

    def case(name, fn):
        try:
            ok = bool(fn())
            out.append((name, ok, "" if ok else "unexpected answer"))
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            out.append((name, False, f"{type(e).__name__}: {str(e)[:160]}"))

    def sw(query, fmt, method, accept=None, update=False):
        w = S.SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/update")
        w.setQuery(query)
        w.setReturnFormat(fmt)
        w.setMethod(method)
        if accept:
            w.addCustomHttpHeader("Accept", accept)
        if update:
            for k, v in auth.items():
                w.addCustomHttpHeader(k, v)
        return w

    checks = [
        ("JSON", select, lambda r: len(r["results"]["bindings"]) == 3),
        ("XML", select, lambda r: len(r.getElementsByTagName("result")) == 3),
        ("CSV", select, lambda r: r.decode().count("\n") >= 4),
        ("TSV", select, lambda r: r.decode().count("\n") >= 4),
        ("JSON", ask, lambda r: r["boolean"] is True),
        ("XML", ask, lambda r: "true" in r.toxml()),
        ("TURTLE", construct, lambda g: len(g) >= 2),
        ("N3", construct, lambda g: len(g) >= 2),
        ("RDFXML", construct, lambda g: len(g) >= 2),
        ("XML", construct, lambda g: len(g) >= 2),
        ("JSONLD", construct, lambda g: len(g) >= 2),
        ("TURTLE", describe, lambda g: len(g) >= 2),
    ]
    for method in (S.GET, S.POST):                                                   # 24
        for fmt, q, check in checks:
            kind = q.split("\n")[-1].split()[0]
            case(f"SPARQLWrapper {method} {kind} as {fmt}",
                 lambda fmt=fmt, q=q, check=check, method=method: check(sw(q, getattr(S, fmt), method).queryAndConvert()))
    for method in (S.GET, S.POST):                                                   # 2
        def nt(method=method):
            res = sw(construct, S.N3, method, accept="application/n-triples").query()
            return res.info()["content-type"].startswith("application/n-triples") and \
                "@prefix" not in res.response.read().decode()
        case(f"SPARQLWrapper {method} CONSTRUCT, N3 parameters but Accept: application/n-triples", nt)

    def sw_update():
        sw("INSERT DATA { GRAPH <urn:bench:sw> { <urn:s> <urn:p> 'o' } }", S.JSON, S.POST, update=True).query()
        return sw("ASK { GRAPH <urn:bench:sw> { <urn:s> <urn:p> 'o' } }", S.JSON, S.GET).queryAndConvert()["boolean"]

    def sw_update_refused():
        w = S.SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/update")
        w.setMethod(S.POST)
        w.setQuery("INSERT DATA { GRAPH <urn:bench:sw> { <urn:s> <urn:p> 'x' } }")
        try:
            w.query()
        except Exception as e:  # noqa: BLE001
            return "401" in str(e) or "403" in str(e) or "Unauthorized" in str(e) or "Forbidden" in str(e)
        return False
    case("SPARQLWrapper update with the token", sw_update)                            # 1
    case("SPARQLWrapper update without the token is refused", sw_update_refused)      # 1

    coop = URIRef("urn:bench:coop-1")
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    for method in ("GET", "POST", "POST_FORM"):                                      # 12
        st = SPARQLStore(base + "/sparql", method=method)
        g = Graph(st)
        case(f"rdflib SPARQLStore {method} SELECT", lambda g=g: len(list(g.query(select))) == 3)
        case(f"rdflib SPARQLStore {method} ASK", lambda g=g: g.query(ask).askAnswer is True)
        case(f"rdflib SPARQLStore {method} CONSTRUCT", lambda g=g: len(g.query(construct).graph) >= 2)
        case(f"rdflib SPARQLStore {method} triples()", lambda g=g: any(True for _ in g.triples((coop, label, None))))
    ust = SPARQLUpdateStore(base + "/sparql", base + "/update", headers=dict(auth))   # 3
    ug = Graph(ust, identifier=URIRef("urn:bench:rdflib"))

    def ask_remote(q):
        return requests.get(base + "/sparql", params={"query": q}, timeout=60).json()["boolean"]
    case("rdflib SPARQLUpdateStore add", lambda: (ug.add((URIRef("urn:s"), URIRef("urn:p"), Literal("o"))), True)[1]
         and ask_remote("ASK { GRAPH <urn:bench:rdflib> { <urn:s> <urn:p> 'o' } }"))
    case("rdflib SPARQLUpdateStore read back", lambda: len(list(ug.triples((URIRef("urn:s"), None, None)))) == 1)
    case("rdflib SPARQLUpdateStore remove", lambda: (ug.remove((URIRef("urn:s"), None, None)), True)[1]
         and not ask_remote("ASK { GRAPH <urn:bench:rdflib> { <urn:s> ?p ?o } }"))

    g = base + "/store?graph=urn:bench:gsp"                                          # 13
    R = requests
    case("GSP PUT Turtle", lambda: R.put(g, data="<urn:a> <urn:b> <urn:c> .",
                                         headers={"Content-Type": "text/turtle", **auth}, timeout=60).status_code in (201, 204))
    case("GSP POST N-Triples (append)", lambda: R.post(g, data="<urn:a> <urn:b> <urn:d> .\n",
                                                      headers={"Content-Type": "application/n-triples", **auth},
                                                      timeout=60).status_code in (200, 204))
    case("GSP GET N-Triples", lambda: R.get(g, headers={"Accept": "application/n-triples"},
                                            timeout=60).text.count("\n") == 2)
    case("GSP GET Turtle", lambda: R.get(g, headers={"Accept": "text/turtle"}, timeout=60)
         .headers["content-type"].startswith("text/turtle"))
    case("GSP GET RDF/XML", lambda: "rdf:RDF" in R.get(g, headers={"Accept": "application/rdf+xml"}, timeout=60).text)
    case("GSP GET JSON-LD", lambda: R.get(g, headers={"Accept": "application/ld+json"}, timeout=60)
         .headers["content-type"].startswith("application/ld+json"))
    case("GSP HEAD", lambda: R.head(g, timeout=60).status_code == 200)
    case("GSP PUT without the token is refused", lambda: R.put(g, data="<urn:x> <urn:y> <urn:z> .",
                                                               headers={"Content-Type": "text/turtle"},
                                                               timeout=60).status_code in (401, 403))
    case("GSP GET an unknown graph is 404", lambda: R.get(base + "/store?graph=urn:bench:none", timeout=60)
         .status_code == 404)

    def post_new():
        r = R.post(base + "/store", data="<urn:n> <urn:m> <urn:o> .",
                   headers={"Content-Type": "text/turtle", "Host": "evil.example", **auth}, timeout=60)
        loc = r.headers.get("location", "")
        ok = r.status_code == 201 and "evil.example" not in loc and loc.startswith(base)
        if loc:
            R.delete(loc, headers=auth, timeout=60)
        return ok
    case("GSP POST to the store creates a graph (Location from the server's own URL)", post_new)
    case("GSP GET the default graph", lambda: R.get(base + "/store?default", headers={"Accept": "text/turtle"},
                                                    timeout=60).status_code == 200)
    case("GSP DELETE", lambda: R.delete(g, headers=auth, timeout=60).status_code == 204)
    case("GSP GET after DELETE is 404", lambda: R.get(g, timeout=60).status_code == 404)
    R.post(base + "/update", data={"update": "DROP SILENT GRAPH <urn:bench:sw> ; DROP SILENT GRAPH <urn:bench:rdflib> ; "
                                             "DROP SILENT GRAPH <urn:bench:data>"},
           headers=auth, timeout=60)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", help="existing store (default: build the demo store at --scale)")
    ap.add_argument("--scale", type=int, default=2000, help="clippings in the generated store")
    ap.add_argument("--requests", type=int, default=3000, help="requests per throughput run")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--memory-requests", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=50, help="repetitions per saved query for latency")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--attack-seconds", type=float, default=30.0,
                    help="how long the cheap stream runs under 8 endless + 8 memory-hungry clients")
    ap.add_argument("--only-throughput", action="store_true",
                    help="stop after the throughput comparison")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra option for essgraph serve, e.g. --server-arg=--result-cache=0 (repeatable)")
    ap.add_argument("--only-attack", action="store_true", help="run only the attack scenario")
    ap.add_argument("--only-clients", action="store_true",
                    help="run only the 56 real-client calls (SPARQLWrapper, rdflib, requests over GSP)")
    ap.add_argument("--skip", action="append", default=[],
                    help="saved query to leave out of the mix (repeatable); queries using SERVICE "
                         "are always left out (the server refuses them)")
    ap.add_argument("--out", default=None, help="also write the JSON report to this file")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    procs: list[subprocess.Popen] = []
    try:
        if args.store and args.only_clients:
            # the client calls write (into urn:bench:* graphs): work on a copy of the store
            store = tmp / "store"
            shutil.copytree(args.store, store)
        elif args.store:
            store = Path(args.store)
        else:
            t = time.perf_counter()
            store = write_demo_store(tmp / "store", scale=args.scale)
            print(f"built demo store (scale {args.scale}) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        all_saved = list_queries()
        saved = [sq for sq in all_saved if sq.name not in args.skip and not remote_targets(sq.text)]
        queries = mix_queries(saved)

        ess_port, ox_port = free_port(), free_port()
        cmd = [sys.executable, "-c", "from ess_graph.cli import main; main()", "serve", "--store", str(store),
               "--port", str(ess_port), "--timeout", str(args.timeout), "--log-level", "warning"]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        for a in args.server_arg:
            cmd += a.split("=", 1) if a.startswith("--") and "=" in a else [a]
        if args.only_clients:
            cmd += ["--write-token", CLIENT_TOKEN]
        ess = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
        procs.append(ess)
        if args.only_clients:
            wait_up(ess_url := f"http://127.0.0.1:{ess_port}/sparql", ess)
            results = real_clients(f"http://127.0.0.1:{ess_port}")
            rep = {"clients": {"passed": sum(ok for _, ok, _ in results), "total": len(results),
                               "failures": [{"case": n, "detail": d} for n, ok, d in results if not ok]}}
            print(json.dumps(rep, indent=2))
            if args.out:
                Path(args.out).write_text(json.dumps(rep, indent=2) + "\n")
            return 0
        oxs = subprocess.Popen([str(OXIGRAPH), "serve-read-only", "--location", str(store), "--bind",
                                f"127.0.0.1:{ox_port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(oxs)
        ess_url, ox_url = f"http://127.0.0.1:{ess_port}/sparql", f"http://127.0.0.1:{ox_port}/query"
        wait_up(ess_url, ess)
        wait_up(ox_url, oxs)

        if args.only_attack:
            wait_up(ess_url, ess)
            rep = {"attack": asyncio.run(attack(f"http://127.0.0.1:{ess_port}", ess.pid, args.attack_seconds))}
            print(json.dumps(rep, indent=2))
            if args.out:
                Path(args.out).write_text(json.dumps(rep, indent=2) + "\n")
            return 0
        report: dict = {"store_quads": None, "clients": args.clients, "requests": args.requests,
                        "queries_in_mix": len(queries), "cpu_count": os.cpu_count(),
                        "saved_in_mix": [sq.name for sq in saved],
                        "saved_left_out": sorted({sq.name for sq in all_saved} - {sq.name for sq in saved})}
        r = httpx.post(ess_url, data={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"})
        report["store_quads"] = int(r.json()["results"]["bindings"][0]["n"]["value"])

        # warm-up both, then alternate runs so that neither benefits from order
        asyncio.run(load(ess_url, queries, 200, args.clients))
        asyncio.run(load(ox_url, queries, 200, args.clients))
        runs = {"essgraph": [], "oxigraph": []}
        pids = {"essgraph": ess.pid, "oxigraph": oxs.pid}
        for _ in range(3):
            for name, url in (("oxigraph", ox_url), ("essgraph", ess_url)):
                cheap: list[float] = []
                cpu0, http0 = cpu_tree_seconds(pids[name]), cpu_tree_seconds(pids[name], children=False)
                secs, lat, errs = asyncio.run(load(url, queries, args.requests, args.clients, cheap_lat=cheap))
                cpu1, http1 = cpu_tree_seconds(pids[name]), cpu_tree_seconds(pids[name], children=False)
                runs[name].append({"rps": args.requests / secs, "p50_ms": percentile(lat, 50) * 1000,
                                   "p99_ms": percentile(lat, 99) * 1000, "errors": errs,
                                   "cheap_p50_ms": percentile(cheap, 50) * 1000,
                                   "cheap_p99_ms": percentile(cheap, 99) * 1000,
                                   "cpu_ms_per_request": (cpu1 - cpu0) * 1000 / args.requests,
                                   "http_process_cpu_ms_per_request": (http1 - http0) * 1000 / args.requests})
        for name in runs:
            report[name] = {
                "rps_median": round(statistics.median(x["rps"] for x in runs[name]), 1),
                "rps_runs": [round(x["rps"], 1) for x in runs[name]],
                "p50_ms_median": round(statistics.median(x["p50_ms"] for x in runs[name]), 2),
                "p99_ms_median": round(statistics.median(x["p99_ms"] for x in runs[name]), 2),
                "cheap_p50_ms_median": round(statistics.median(x["cheap_p50_ms"] for x in runs[name]), 2),
                "cheap_p99_ms_median": round(statistics.median(x["cheap_p99_ms"] for x in runs[name]), 2),
                "errors": sum(x["errors"] for x in runs[name]),
                # server CPU per request (all its processes); for essgraph also the HTTP process alone
                "cpu_ms_per_request_median": round(statistics.median(x["cpu_ms_per_request"] for x in runs[name]), 2),
            }
        report["essgraph"]["http_process_cpu_ms_per_request_median"] = round(
            statistics.median(x["http_process_cpu_ms_per_request"] for x in runs["essgraph"]), 2)
        report["engine_only_cpu_ms_per_query"] = engine_only_ms(Path(store), queries)
        report["throughput_ratio"] = round(report["essgraph"]["rps_median"] / report["oxigraph"]["rps_median"], 3)
        report["cheap_p50_ratio"] = round(report["essgraph"]["cheap_p50_ms_median"]
                                          / report["oxigraph"]["cheap_p50_ms_median"], 2)
        print(json.dumps({k: report[k] for k in ("essgraph", "oxigraph", "throughput_ratio", "cheap_p50_ratio",
                                                 "engine_only_cpu_ms_per_query")}),
              file=sys.stderr)
        if args.only_throughput:
            if args.out:
                Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
            print(json.dumps(report, indent=2))
            return 0

        base = f"http://127.0.0.1:{ess_port}"
        # the same saved queries evaluated in-process by pyoxigraph: the engine's share
        import pyoxigraph as ox
        from ess_graph.namespaces import PREFIXES
        direct_store = ox.Store.read_only(str(store))
        report["saved_engine_only"] = {}
        for sq in saved:
            subs = sq.substitutions({p.name: _example_value(p) for p in sq.params if p.required})
            lat = []
            for _ in range(args.reps):
                t = time.perf_counter()
                res = direct_store.query(sq.text, prefixes=dict(PREFIXES), use_default_graph_as_union=True,
                                         substitutions=subs)
                if not isinstance(res, ox.QueryBoolean):
                    for _row in res:
                        pass
                lat.append(time.perf_counter() - t)
            report["saved_engine_only"][sq.name] = {"p50_ms": round(percentile(lat, 50) * 1000, 1),
                                                    "p99_ms": round(percentile(lat, 99) * 1000, 1)}
        del direct_store
        report["saved_alone"] = asyncio.run(saved_latencies(base, saved, args.reps, None, 1, queries))
        report["saved_under_load"] = asyncio.run(
            saved_latencies(base, saved, args.reps, ess_url, args.clients, queries))

        # memory over a long run
        samples = [rss_tree_kib(ess.pid)]
        done = 0
        step = 1000
        while done < args.memory_requests:
            asyncio.run(load(ess_url, queries, step, args.clients))
            done += step
            samples.append(rss_tree_kib(ess.pid))
        report["memory_rss_mib"] = [round(s / 1024, 1) for s in samples]
        report["memory_requests"] = done

        report["abuse"] = asyncio.run(abuse(base, args.timeout))
        report["attack"] = asyncio.run(attack(base, ess.pid, args.attack_seconds))
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT if p is procs[0] else signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
