"""essgraph serve against hostile and unusual requests, each against a real
``essgraph serve`` process: deep nesting, format negotiation as real clients
do it, malformed UTF-8, Host header spoofing, saved queries needing SERVICE."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from demo_server import ServerProcess, write_demo_store

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("hardening") / "store", scale=3)


@pytest.fixture(scope="module")
def server(store):
    proc = ServerProcess(store, "--write-token", TOKEN, "--workers", "2", "--timeout", "20")
    with proc as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, proc


def children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except FileNotFoundError:
            pass
    return out


# -- nesting ------------------------------------------------------------------

N = 10_000


def _filter_parens(n):
    return "ASK { FILTER(" + "(" * n + "true" + ")" * n + ") }"


def _braces(n):
    return "ASK " + "{" * n + "}" * n


def _optionals(n):
    return "SELECT * WHERE { BIND(1 AS ?x) " + "OPTIONAL { <urn:x> <urn:y> ?o " * n + "}" * n + "}"


def _subselects(n):
    return "SELECT * WHERE { " + "{ SELECT * WHERE { " * n + "?s ?p ?o" + " } }" * n + " }"


def _nots(n):
    return "ASK { FILTER(" + "!" * n + "true) }"


@pytest.mark.parametrize("build", [_filter_parens, _braces, _optionals, _subselects, _nots],
                         ids=["filter-parens", "braces", "optional", "subselect", "not-chain"])
def test_deep_nesting_is_refused_and_no_worker_dies(server, build):
    client, proc = server
    before = children(proc.pid)
    for _ in range(3):  # a loop of them used to kill a worker each time
        r = client.post("/sparql", content=build(N),
                        headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 400, r.text
        assert "nested too deeply" in r.text and "500" in r.text
        assert "Traceback" not in r.text
    # GET as well
    r = client.get("/sparql", params={"query": build(800)})
    assert r.status_code == 400 and "at most 500 levels" in r.text
    assert children(proc.pid) == before
    assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


@pytest.mark.parametrize("build", [_filter_parens, _braces, _optionals, _subselects, _nots],
                         ids=["filter-parens", "braces", "optional", "subselect", "not-chain"])
def test_nesting_under_the_limit_is_answered(server, build):
    client, _ = server
    r = client.post("/sparql", content=build(120), headers={"Content-Type": "application/sparql-query",
                                                           "Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text


def test_deeply_nested_update_is_refused_and_the_writer_survives(server):
    client, proc = server
    before = children(proc.pid)
    upd = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{" * N + "}" * N
    for _ in range(3):
        r = client.post("/update", content=upd, headers={"Content-Type": "application/sparql-update", **AUTH})
        assert r.status_code == 400, r.text
        assert "update nested too deeply" in r.text
    upd = "INSERT DATA { GRAPH <urn:g:depth> { <urn:a> <urn:b> " + "(" * N + "1" + ")" * N + " } }"
    r = client.post("/update", data={"update": upd}, headers=AUTH)
    assert r.status_code == 400 and "nested too deeply" in r.text
    assert children(proc.pid) == before
    r = client.post("/update", content="INSERT DATA { GRAPH <urn:g:depth> { <urn:a> <urn:b> <urn:c> } }",
                    headers={"Content-Type": "application/sparql-update", **AUTH})
    assert r.status_code == 204, r.text
    r = client.get("/sparql", params={"query": "ASK { GRAPH <urn:g:depth> { <urn:a> <urn:b> <urn:c> } }"})
    assert r.json()["boolean"] is True


def test_nesting_inside_strings_and_comments_does_not_count(server):
    client, _ = server
    q = 'SELECT ("' + "(" * 5000 + '" AS ?x) WHERE { } # ' + "{" * 5000
    r = client.post("/sparql", content=q, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200, r.text


# -- format negotiation as real clients do it ----------------------------------

SELECT = "SELECT ?c ?l WHERE { ?c a ess:Cooperative ; rdfs:label ?l } ORDER BY ?l LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?c a ess:Cooperative ; rdfs:label ?l } WHERE { ?c a ess:Cooperative ; rdfs:label ?l }"


def _wrapper(url, query, fmt, method="GET", accept=None):
    from SPARQLWrapper import SPARQLWrapper
    sw = SPARQLWrapper(url + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    if accept:
        sw.addCustomHttpHeader("Accept", accept)
    return sw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_explicit_accept_wins_over_format_params(server, method):
    """SPARQLWrapper sends format=n3&output=n3&results=n3; a caller's
    Accept: application/n-triples must still get N-Triples."""
    from SPARQLWrapper import N3
    client, proc = server
    sw = _wrapper(proc.url, CONSTRUCT, N3, method, accept="application/n-triples")
    res = sw.query()
    ctype = res.info()["content-type"]
    assert ctype.startswith("application/n-triples"), ctype
    raw = res.response.read().decode()
    assert "<https://w3id.org/essgraph/id/org/cooperative-alpine>" in raw and "@prefix" not in raw
    # the same request by hand, with the parameters SPARQLWrapper puts in the URL
    r = client.get("/sparql", params=[("query", CONSTRUCT), ("format", "n3"), ("output", "n3"), ("results", "n3")],
                   headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    # a browser's Accept does not override ?format=
    r = client.get("/sparql", params={"query": SELECT, "format": "csv"},
                   headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")


def test_format_parameter_is_read_as_a_comma_separated_list(server):
    client, _ = server
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "application/ld+json,application/x-json+ld"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/ld+json")
    r = client.get("/sparql", params={"query": SELECT, "format": "text/unknown, text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    r = client.get("/sparql", params={"query": SELECT, "format": "text/unknown,also/unknown"})
    assert r.status_code == 406


@pytest.mark.parametrize("fmt_name,query,check", [
    ("JSON", SELECT, lambda r: len(r["results"]["bindings"]) == 3),
    ("XML", SELECT, lambda r: len(r.getElementsByTagName("result")) == 3),
    ("CSV", SELECT, lambda r: r.decode().count("\n") >= 4),
    ("TSV", SELECT, lambda r: r.decode().count("\n") >= 4),
    ("JSON", "ASK { ?c a ess:Cooperative }", lambda r: r["boolean"] is True),
    ("XML", "ASK { ?c a ess:Cooperative }", lambda r: "true" in r.toxml()),
    ("TURTLE", CONSTRUCT, lambda g: len(g) >= 2),
    ("N3", CONSTRUCT, lambda g: len(g) >= 2),
    ("RDFXML", CONSTRUCT, lambda g: len(g) >= 2),
    ("XML", CONSTRUCT, lambda g: len(g) >= 2),
    ("JSONLD", CONSTRUCT, lambda g: len(g) >= 2),
    ("TURTLE", "DESCRIBE <https://w3id.org/essgraph/id/org/cooperative-alpine>", lambda g: len(g) >= 2),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_every_return_format(server, fmt_name, query, check, method):
    import SPARQLWrapper as S
    _, proc = server
    q = "PREFIX ess: <https://w3id.org/essgraph/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + query
    res = _wrapper(proc.url, q, getattr(S, fmt_name), method).queryAndConvert()
    assert check(res)


def test_sparqlwrapper_update_with_token(server):
    from SPARQLWrapper import POST, SPARQLWrapper
    client, proc = server
    sw = SPARQLWrapper(proc.url + "/sparql", updateEndpoint=proc.url + "/update")
    sw.setMethod(POST)
    sw.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    sw.setQuery("INSERT DATA { GRAPH <urn:g:sw> { <urn:s> <urn:p> 'o' } }")
    res = sw.query()
    assert res.response.status in (200, 204)
    assert client.get("/sparql", params={"query": "ASK { GRAPH <urn:g:sw> { <urn:s> <urn:p> 'o' } }"}).json()["boolean"]


# -- malformed UTF-8 ---------------------------------------------------------------

def test_invalid_utf8_in_a_query_or_update_is_400(server):
    client, proc = server
    r = httpx.get(proc.url + "/sparql?query=ASK%20%7B%7D%FF%FE")
    assert r.status_code == 400 and "not valid UTF-8" in r.text
    r = httpx.get(proc.url + "/queries?x=%C3%28")
    assert r.status_code == 400
    r = client.post("/sparql", content=b"ASK { FILTER(\"\xff\xfe\") }",
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "not valid UTF-8" in r.text
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D%FF%FE",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "not valid UTF-8" in r.text
    r = client.post("/update", content=b"INSERT DATA { <urn:a> <urn:b> \"\xc3\x28\" }",
                    headers={"Content-Type": "application/sparql-update", **AUTH})
    assert r.status_code == 400 and "not valid UTF-8" in r.text
    r = client.post("/update", content=b"update=INSERT%20DATA%20%7B%7D%FF",
                    headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH})
    assert r.status_code == 400 and "not valid UTF-8" in r.text
    # valid UTF-8, percent-encoded, still works
    r = httpx.get(proc.url + "/sparql?query=SELECT%20(%22%C3%A9%22%20AS%20%3Fx)%20%7B%7D",
                  headers={"Accept": "text/csv"})
    assert r.status_code == 200 and "é" in r.text


# -- base URL, Host header -------------------------------------------------------

EVIL = {"Host": "evil.example"}


def _absolute_urls(text: str) -> set[str]:
    import re
    return set(re.findall(r"https?://[^\s\"'<>]+", text))


def _check_no_evil(client, headers=EVIL):
    seen = []
    r = client.get("/openapi.json", headers=headers)
    assert r.status_code == 200
    seen.append(json_text := r.text)
    servers = r.json()["servers"]
    r = client.get("/queries", headers=headers)
    assert r.status_code == 200
    seen.append(r.text)
    links = [u for q in r.json()["queries"] for u in q["links"].values()]
    r = client.get("/sparql", headers={**headers, "Accept": "text/turtle"})
    seen.append(r.text)
    r = client.get("/void", headers={**headers, "Accept": "text/turtle"})
    seen.append(r.text)
    r = client.post("/store", content="<urn:s> <urn:p> <urn:o> .",
                    headers={**headers, **AUTH, "Content-Type": "application/n-triples"})
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    seen.append(location)
    assert "evil.example" not in "\n".join(seen)
    return servers, links, location, json_text


def test_host_header_is_never_reflected(server):
    client, proc = server
    servers, links, location, _ = _check_no_evil(client)
    assert servers[0]["url"].startswith(proc.url)
    assert all(u.startswith(proc.url + "/") for u in links)
    assert location.startswith(proc.url + "/store/")
    # the new graph is there, under the IRI given in Location
    r = client.get("/store", params={"graph": location}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and "<urn:s>" in r.text
    # X-Forwarded-Host is not trusted either
    _check_no_evil(client, {"X-Forwarded-Host": "evil.example", "Host": "evil.example"})


def test_base_url_is_used_for_every_absolute_url(tmp_path):
    store = write_demo_store(tmp_path / "store")
    base = "https://data.example.org/essgraph/"
    with ServerProcess(store, "--base-url", base, "--write-token", TOKEN, "--workers", "1") as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        servers, links, location, openapi_text = _check_no_evil(client)
        assert [s["url"] for s in servers] == [base.rstrip("/")] or servers[0]["url"].startswith(base)
        assert links and all(u.startswith(base) for u in links)
        assert location.startswith(base + "store/")
        r = client.get("/sparql", headers={"Accept": "text/turtle"})
        assert f"<{base}sparql>" in r.text
        r = client.get("/queries/communes-coops", params={"per_page": 1}, headers=EVIL)
        assert r.status_code == 200 and r.headers["link"].count(base + "queries/") >= 2
        assert "127.0.0.1" not in "".join(_absolute_urls(openapi_text))


def test_bad_base_url_is_one_clear_line(store):
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-c", "import sys; from ess_graph.cli import main; sys.exit(main())",
                        "serve", "--store", str(store), "--base-url", "data.example.org"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "--base-url must be an http(s) URL" in p.stderr and "Traceback" not in p.stderr


# -- saved queries needing SERVICE -------------------------------------------------

WIKIDATA = ["wikidata-commune", "wikidata-departement", "wikidata-epci", "wikidata-region"]


def test_service_queries_are_not_offered_when_service_is_disabled(server):
    client, _ = server
    r = client.get("/queries").json()
    offered = {q["name"] for q in r["queries"]}
    assert offered and not offered & set(WIKIDATA)
    assert all(q["service"] == [] for q in r["queries"])
    unavailable = {q["name"]: q for q in r["unavailable"]}
    assert set(unavailable) == set(WIKIDATA)
    for q in unavailable.values():
        assert q["service"] == ["https://query.wikidata.org/sparql"]
        assert "--allow-service" in q["reason"]
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(name in p for p in paths for name in WIKIDATA)
    page = client.get("/", headers={"Accept": "text/html"}).text
    assert "wikidata-commune" not in page and "[SERVICE]" not in page
    r = client.get("/queries/wikidata-commune", params={"code": "05065"})
    assert r.status_code == 403
    assert "needs SERVICE to https://query.wikidata.org/sparql" in r.text and "--allow-service" in r.text


def test_service_queries_are_marked_when_service_is_allowed(tmp_path):
    store = write_demo_store(tmp_path / "store")
    with ServerProcess(store, "--allow-service", "https://query.wikidata.org/", "--workers", "1") as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        r = client.get("/queries").json()
        items = {q["name"]: q for q in r["queries"]}
        assert set(WIKIDATA) <= set(items) and r["unavailable"] == []
        assert items["wikidata-region"]["service"] == ["https://query.wikidata.org/sparql"]
        assert items["communes-coops"]["service"] == []
        page = client.get("/", headers={"Accept": "text/html"}).text
        import re
        opt = re.search(r'<option value="wikidata-region"[^>]*>([^<]*)</option>', page)
        assert opt and 'data-service="https://query.wikidata.org/sparql"' in opt.group(0)
        assert "[SERVICE]" in opt.group(1)
        assert not re.search(r'<option value="communes-coops"[^>]*data-service', page)
        assert "/queries/wikidata-region" in client.get("/openapi.json").text


def test_repeated_answers_follow_writes(server):
    """Answers kept for repeated requests are dropped by a write."""
    client, _ = server
    q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:g:cache> { ?s ?p ?o } }"
    n = lambda: int(client.get("/sparql", params={"query": q}).json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert n() == n() == 0
    h0 = client.get("/health").json()["cache_hits"]
    assert n() == 0 and client.get("/health").json()["cache_hits"] > h0
    r = client.post("/update", content="INSERT DATA { GRAPH <urn:g:cache> { <urn:a> <urn:b> <urn:c> } }",
                    headers={"Content-Type": "application/sparql-update", **AUTH})
    assert r.status_code == 204
    assert n() == 1
    r = client.get("/sparql", params={"query": "SELECT (RAND() AS ?r) {}"}).json()
    r2 = client.get("/sparql", params={"query": "SELECT (RAND() AS ?r) {}"}).json()
    assert r != r2  # never cached


# -- rdflib's SPARQLStore / SPARQLUpdateStore and the Graph Store over requests ------

@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server, method):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    _, proc = server
    store = SPARQLStore(proc.url + "/sparql", method=method)
    g = Graph(store)
    rows = list(g.query("SELECT ?l WHERE { <https://w3id.org/essgraph/id/org/cooperative-alpine> "
                        "<http://www.w3.org/2000/01/rdf-schema#label> ?l }"))
    assert [str(r[0]) for r in rows] == ["Coopérative Alpine"]
    assert g.query("ASK { ?s ?p ?o }").askAnswer is True
    res = g.query("CONSTRUCT { ?c a <urn:Coop> } WHERE { ?c a <https://w3id.org/essgraph/ontology#Cooperative> }")
    assert (URIRef("https://w3id.org/essgraph/id/org/cooperative-alpine"), None, None) in res.graph
    store.close()


def test_rdflib_sparqlupdatestore_with_token(server):
    from rdflib import Graph, Literal, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
    client, proc = server
    store = SPARQLUpdateStore(proc.url + "/sparql", proc.url + "/update", headers=dict(AUTH))
    g = Graph(store, identifier=URIRef("urn:g:rdflib"))
    g.add((URIRef("urn:s"), URIRef("urn:p"), Literal("o")))
    assert client.get("/sparql", params={"query": "ASK { GRAPH <urn:g:rdflib> { <urn:s> <urn:p> 'o' } }"}).json()["boolean"]
    g.remove((URIRef("urn:s"), None, None))
    assert not client.get("/sparql", params={"query": "ASK { GRAPH <urn:g:rdflib> { <urn:s> ?p ?o } }"}).json()["boolean"]
    store.close()


def test_graph_store_protocol_with_requests(server):
    import requests
    _, proc = server
    g = proc.url + "/store?graph=urn:g:requests"
    r = requests.put(g, data="<urn:a> <urn:b> <urn:c> .", headers={"Content-Type": "text/turtle", **AUTH}, timeout=30)
    assert r.status_code == 201
    r = requests.post(g, data="<urn:a> <urn:b> <urn:d> .", headers={"Content-Type": "application/n-triples", **AUTH},
                      timeout=30)
    assert r.status_code in (200, 204)
    r = requests.get(g, headers={"Accept": "application/n-triples"}, timeout=30)
    assert r.status_code == 200 and r.text.count("\n") == 2
    r = requests.head(g, timeout=30)
    assert r.status_code == 200
    r = requests.delete(g, headers=AUTH, timeout=30)
    assert r.status_code == 204
    assert requests.get(g, timeout=30).status_code == 404
