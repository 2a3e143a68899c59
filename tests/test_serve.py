"""essgraph serve: SPARQL protocol details, formats, saved-query API, OpenAPI,
linked-data pages and write authorisation, against a real uvicorn server on
an on-disk store."""
from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from ess_graph.errors import StoreError
from ess_graph.serve import create_app
from demo_server import ServerThread, write_demo_store

COOP = "https://w3id.org/essgraph/id/org/cooperative-alpine"
COMMUNE = "https://w3id.org/essgraph/id/territory/commune/05065"
AUTH = "https://w3id.org/essgraph/id/authority/commune/05065"

QUERIES = {
    "coops.rq": """\
        #+ title: Cooperatives
        #+ description: Cooperatives with their place, optionally in one territory.
        #+ params:
        #+   - name: place
        #+     type: iri
        #+     description: a territory IRI
        SELECT ?coop ?name ?place WHERE {
          ?coop a ess:Cooperative ; rdfs:label ?name ; ess:locatedIn ?place .
        } ORDER BY ?name
        """,
    "clippings-since.rq": """\
        #+ title: Clippings since a date
        #+ params:
        #+   - name: since
        #+     type: date
        #+     required: true
        #+   - name: n
        #+     type: integer
        #+     default: 100
        SELECT ?clip ?date ?since ?n WHERE {
          GRAPH ?clip { ?clip a ess:Clipping ; dcterms:date ?date }
          FILTER (?date >= ?since)
        } ORDER BY ?clip
        """,
    "coop-graph.rq": """\
        #+ title: Cooperatives as a graph
        CONSTRUCT { ?c a ess:Cooperative ; rdfs:label ?l } WHERE { ?c a ess:Cooperative ; rdfs:label ?l }
        """,
    "has-coop.rq": """\
        #+ title: Is there a cooperative?
        ASK { ?c a ess:Cooperative }
        """,
    "federated.rq": """\
        #+ title: Labels from another endpoint
        SELECT ?l WHERE { SERVICE <https://query.wikidata.org/sparql> { wd:Q90 rdfs:label ?l } }
        """,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("serve")
    write_demo_store(d / "store", scale=5)
    qdir = d / "queries"
    qdir.mkdir()
    for name, text in QUERIES.items():
        (qdir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def server(demo):
    app = create_app(demo / "store", timeout=10, workers=2, queries_dir=demo / "queries",
                     cors_origins=["https://portal.example"])
    with ServerThread(app) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client


def q(client, query, **kw):
    return client.get("/sparql", params={"query": query, **kw.pop("params", {})}, **kw)


# -- SPARQL protocol -----------------------------------------------------------

def test_select_in_every_result_format(server):
    query = f"SELECT ?name WHERE {{ <{COOP}> rdfs:label ?name }}"
    cases = {
        "application/sparql-results+json": lambda r: r.json()["results"]["bindings"][0]["name"]["value"],
        "application/sparql-results+xml": lambda r: re.search(r"<literal>([^<]*)</literal>", r.text).group(1),
        "text/csv": lambda r: list(csv.reader(io.StringIO(r.text)))[1][0],
        "text/tab-separated-values": lambda r: r.text.splitlines()[1].strip('"'),
    }
    for mt, extract in cases.items():
        r = q(server, query, headers={"Accept": mt})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(mt)
        assert extract(r) == "Coopérative Alpine"


def test_graph_results_in_every_rdf_format(server):
    query = f"CONSTRUCT {{ <{COOP}> rdfs:label ?n }} WHERE {{ <{COOP}> rdfs:label ?n }}"
    formats = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/n-quads": ox.RdfFormat.N_QUADS, "application/trig": ox.RdfFormat.TRIG,
               "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}
    for mt, fmt in formats.items():
        r = q(server, query, headers={"Accept": mt})
        assert r.status_code == 200, (mt, r.text)
        assert r.headers["content-type"].startswith(mt)
        quads = list(ox.parse(r.content, format=fmt))
        assert [x.object.value for x in quads] == ["Coopérative Alpine"], mt


def test_format_parameter_accept_and_q_values(server):
    # an explicit Accept the server can satisfy wins over ?format= ...
    r = q(server, "SELECT (1 AS ?x) {}", params={"format": "csv"}, headers={"Accept": "application/sparql-results+xml"})
    assert r.headers["content-type"].startswith("application/sparql-results+xml")
    # ... ?format= wins over a wildcard Accept or one that allows it
    r = q(server, "SELECT (1 AS ?x) {}", params={"format": "csv"}, headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("text/csv") and r.text.splitlines() == ["x", "1"]
    r = q(server, "SELECT (1 AS ?x) {}", params={"format": "csv"},
          headers={"Accept": "application/sparql-results+xml, text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    r = q(server, "SELECT (1 AS ?x) {}", headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"})
    assert r.headers["content-type"].startswith("application/sparql-results+xml")
    r = q(server, "SELECT (1 AS ?x) {}", headers={"Accept": "text/html"})
    assert r.status_code == 406
    r = q(server, "SELECT (1 AS ?x) {}", params={"format": "nope"})
    assert r.status_code == 406


def test_post_form_and_direct_and_dataset_parameters(server):
    g = "https://w3id.org/essgraph/id/clipping/demo-00001"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?c a ess:Clipping }"
    direct = server.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    form = server.post("/sparql", data={"query": query})
    assert direct.json() == form.json()
    assert int(direct.json()["results"]["bindings"][0]["n"]["value"]) == 5  # union default graph
    one = server.post("/sparql", data={"query": query, "default-graph-uri": g})
    assert int(one.json()["results"]["bindings"][0]["n"]["value"]) == 1
    named = q(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", params={"named-graph-uri": g})
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [g]


def test_syntax_error_is_400_with_parser_message(server):
    r = q(server, "SELECT ?x WHERE { ?x ?p }")
    assert r.status_code == 400
    assert "error at 1:" in r.text


def test_service_description_and_void(server):
    r = server.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = {(t.subject.value, t.predicate.value, getattr(t.object, "value", None))
         for t in (x.triple for x in ox.parse(r.content, format=ox.RdfFormat.TURTLE))}
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(p == sd + "endpoint" and o.endswith("/sparql") for _, p, o in g)
    assert any(p == sd + "resultFormat" and o.endswith("SPARQL_Results_CSV") for _, p, o in g)
    assert not any(o == sd + "SPARQL11Update" for _, _, o in g)  # read-only server
    r = server.get("/sparql", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    v = server.get("/void", headers={"Accept": "application/n-triples"})
    assert v.status_code == 200
    triples = [x.triple for x in ox.parse(v.content, format=ox.RdfFormat.N_TRIPLES)]
    counts = [t.object.value for t in triples if t.predicate.value == "http://rdfs.org/ns/void#triples"
              and t.subject.value.endswith("#dataset")]
    n = q(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").json()
    assert counts == [n["results"]["bindings"][0]["n"]["value"]]


def test_read_only_refuses_updates_and_graph_writes(server):
    r = server.post("/sparql", data={"update": "CLEAR ALL"})
    assert r.status_code == 403 and "read-only" in r.text
    r = server.post("/update", content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 403
    r = server.put("/store", params={"graph": "http://example.org/g"}, content=b"<a:b> <a:c> <a:d> .",
                   headers={"Content-Type": "application/n-triples"})
    assert r.status_code == 403
    r = q(server, "ASK { ?c a ess:Clipping }")
    assert r.json()["boolean"] is True  # nothing was cleared


def test_graph_store_get_on_read_only_server(server):
    g = "https://w3id.org/essgraph/id/clipping/demo-00000"
    r = server.get("/store", params={"graph": g}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert f"<{g}> <http://purl.org/dc/terms/identifier> \"demo-00000\"" in r.text
    assert server.get("/store", params={"graph": "http://example.org/none"}).status_code == 404


def test_gzip_and_cors(server):
    r = q(server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200", headers={"Accept-Encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    assert len(r.json()["results"]["bindings"]) == 200
    r = server.options("/sparql", headers={"Origin": "https://portal.example",
                                           "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://portal.example"
    r = q(server, "ASK {}", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


# -- saved queries ----------------------------------------------------------------

def test_list_saved_queries(server):
    r = server.get("/queries")
    assert r.status_code == 200
    items = {x["name"]: x for x in r.json()["queries"]}
    assert set(items) == {"coops", "clippings-since", "coop-graph", "has-coop"}
    # the federated query needs a SERVICE this server refuses: listed apart, not offered
    assert [x["name"] for x in r.json()["unavailable"]] == ["federated"]
    assert items["coops"]["title"] == "Cooperatives"
    assert items["coops"]["params"][0]["name"] == "place" and items["coops"]["params"][0]["type"] == "iri"
    assert items["coops"]["links"]["self"].endswith("/queries/coops")


def test_saved_query_typed_parameters(server):
    r = server.get("/queries/coops", params={"place": COMMUNE})
    assert r.status_code == 200
    rows = r.json()["results"]["bindings"]
    assert [b["coop"]["value"] for b in rows] == [COOP]
    all_rows = server.get("/queries/coops").json()["results"]["bindings"]
    assert len(all_rows) == 5
    r = server.get("/queries/clippings-since", params={"since": "2013-11-03"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["date"] for x in rows] == ["2013-11-03", "2013-11-04", "2013-11-05"]
    assert rows[0]["n"] == "100"  # default applied, typed integer


def test_saved_query_parameters_cannot_inject(server):
    evil = COMMUNE + "> . } UNION { ?coop ?p ?o"
    r = server.get("/queries/coops", params={"place": evil})
    assert r.status_code == 400
    r = server.get("/queries/clippings-since", params={"since": '2013-01-01"^^xsd:date) || true || ("'})
    assert r.status_code == 400 and "not a valid date" in r.text


def test_saved_query_errors(server):
    assert server.get("/queries/clippings-since").status_code == 400          # missing required
    r = server.get("/queries/coops", params={"nope": "1"})
    assert r.status_code == 400 and "nope" in r.text                           # unknown parameter
    assert server.get("/queries/clippings-since", params={"since": "2013", "n": "x"}).status_code == 400
    assert server.get("/queries/does-not-exist").status_code == 404
    assert server.get("/queries/coops", params={"page": "0"}).status_code == 400
    r = server.get("/queries/federated")                                      # SERVICE not allowed
    assert r.status_code == 403 and "query.wikidata.org" in r.text


def test_saved_query_pagination_and_link_header(server):
    r = server.get("/queries/coops", params={"per_page": 2, "page": 2})
    assert r.status_code == 200
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 2
    full = server.get("/queries/coops").json()["results"]["bindings"]
    assert rows == full[2:4]
    assert r.headers["x-total-count"] == "5"
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', r.headers["link"]))
    assert set(links) == {"first", "prev", "next", "last"}
    assert "page=3" in links["next"] and "page=3" in links["last"] and "page=1" in links["prev"]
    last = server.get(links["last"]).json()["results"]["bindings"]
    assert last == full[4:]


def test_saved_query_formats_construct_and_ask(server):
    r = server.get("/queries/coop-graph", params={"format": "ntriples"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/n-triples")
    assert len([x for x in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)]) == 10
    r = server.get("/queries/coop-graph", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and isinstance(r.json(), (list, dict))
    r = server.get("/queries/has-coop", params={"format": "xml"})
    assert "<boolean>true</boolean>" in r.text


def test_openapi_document_is_valid(server):
    from openapi_spec_validator import validate
    doc = server.get("/openapi.json").json()
    validate(doc)
    op = doc["paths"]["/queries/clippings-since"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["since"]["required"] is True and params["since"]["schema"] == {"type": "string", "format": "date"}
    assert params["n"]["schema"]["type"] == "integer" and params["n"]["schema"]["default"] == 100
    assert "text/csv" in op["responses"]["200"]["content"]
    assert "text/turtle" in doc["paths"]["/queries/coop-graph"]["get"]["responses"]["200"]["content"]


# -- linked data ------------------------------------------------------------------

def test_resource_conneg_turtle_jsonld_ntriples(server):
    for accept, fmt in [("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD),
                        ("application/n-triples", ox.RdfFormat.N_TRIPLES)]:
        r = server.get("/id/org/cooperative-alpine", headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
        assert "Accept" in [v.strip() for v in r.headers["vary"].split(",")]
        triples = [x.triple for x in ox.parse(r.content, format=fmt)]
        assert any(t.subject.value == COOP and t.object == ox.Literal("Coopérative Alpine") for t in triples)
        assert any(t.object == ox.NamedNode(COOP) and t.subject.value == AUTH for t in triples)  # incoming
    r = server.get("/id/org/cooperative-alpine", params={"format": "ttl"})
    assert r.headers["content-type"].startswith("text/turtle")


def test_resource_page_html_with_relations_quotes_and_map(server):
    r = server.get("/id/authority/commune/05065", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<h1>Commune de Guillestre</h1>" in html
    assert 'href="/id/org/cooperative-alpine"' in html                     # relation, linked
    assert 'href="/id/post/commune-05065/maire"' in html                   # incoming relation
    assert "<mark>La commune de Guillestre est partenaire de la Coopérative Alpine" in html  # supporting quote
    assert 'href="/id/clipping/demo-00000"' in html                        # supporting clipping
    assert "<svg" in html and 'class="map-area" data-role="self"' in html  # map of the governed commune (its polygon)
    page = server.get("/id/territory/commune/05065", headers={"Accept": "text/html"}).text
    assert "<svg" in page and 'class="map-self"' in page
    svg = page.split("<svg")[1].split("</svg>")[0]
    assert "<image" not in svg and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no tiles


def test_resource_not_found_and_generic_iri(server):
    r = server.get("/id/org/nobody", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "says nothing" in r.text
    assert server.get("/id/org/nobody", headers={"Accept": "text/turtle"}).status_code == 404
    r = server.get("/resource", params={"iri": "https://w3id.org/essgraph/concept/org-kind/cooperative"},
                   headers={"Accept": "text/html"})
    assert r.status_code == 200 and "ess:organisationKind" in r.text
    assert server.get("/resource", params={"iri": "not an iri"}).status_code == 400


def test_base_url_maps_id_route(demo, tmp_path):
    # a deployment whose IRIs are the server's own URLs
    store = tmp_path / "store"
    s = ox.Store(str(store))
    s.add(ox.Quad(ox.NamedNode("http://data.example/id/org/x"), ox.NamedNode(
        "http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("X"), ox.NamedNode("http://data.example/g")))
    del s
    app = create_app(store, base_url="http://data.example/", workers=1)
    with ServerThread(app) as url:
        r = httpx.get(url + "/id/org/x", headers={"Accept": "application/n-triples"})
        assert r.status_code == 200 and '"X"' in r.text


def test_store_errors_are_reported_early(tmp_path):
    with pytest.raises(StoreError):
        create_app(tmp_path / "missing")


# -- writes with a token ---------------------------------------------------------------

def test_writes_need_the_bearer_token_and_are_seen_by_readers(tmp_path):
    store = write_demo_store(tmp_path / "store", scale=1)
    app = create_app(store, write_token="s3cret", workers=2)
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        upd = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> rdfs:label "new" } }'
        r = c.post("/update", content=upd, headers={"Content-Type": "application/sparql-update"})
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        r = c.post("/update", content=upd, headers={"Content-Type": "application/sparql-update",
                                                    "Authorization": "Bearer wrong"})
        assert r.status_code == 401
        ask = {"query": 'ASK { <http://example.org/a> rdfs:label "new" }'}
        assert c.get("/sparql", params=ask).json()["boolean"] is False
        r = c.post("/update", content=upd, headers={"Content-Type": "application/sparql-update",
                                                    "Authorization": "Bearer s3cret"})
        assert r.status_code == 204
        for _ in range(4):  # every reader sees the write
            assert c.get("/sparql", params=ask).json()["boolean"] is True
        r = c.put("/store", params={"graph": "http://example.org/g2"}, content=b'<http://x/a> <http://x/b> "c" .',
                  headers={"Content-Type": "application/n-triples", "Authorization": "Bearer s3cret"})
        assert r.status_code == 201
        r = c.get("/store", params={"graph": "http://example.org/g2"}, headers={"Accept": "application/n-triples"})
        assert r.text.strip() == '<http://x/a> <http://x/b> "c" .'
        sd = c.get("/sparql", headers={"Accept": "application/n-triples"}).text
        assert "SPARQL11Update" in sd
        # a GraphStore opened read-only by another process sees the write too
    from ess_graph.store import GraphStore
    gs = GraphStore(store, read_only=True)
    assert gs.has_graph("http://example.org/g2")


# -- command line ----------------------------------------------------------------------

def _cli(*args, **kw):
    import subprocess
    import sys
    return subprocess.Popen([sys.executable, "-c", "from ess_graph.cli import main; main()", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_cli_serve_runs_uvicorn_and_stops(demo):
    import time
    from demo_server import free_port
    port = free_port()
    proc = _cli("--store", str(demo / "store"), "--port", str(port), "--workers", "1", "--timeout", "5")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.json()["status"] == "ok" and r.json()["writes"] is False
        r = httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK { ?c a ess:Clipping }"})
        assert r.json()["boolean"] is True
    finally:
        proc.terminate()
        proc.wait(30)


def test_cli_serve_missing_store_is_one_line_error(tmp_path):
    proc = _cli("--store", str(tmp_path / "nope"), "--port", "1")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "no store at" in err and "Traceback" not in err


def test_ontology_page_and_rdf_redirect(server):
    r = server.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Cooperative" in r.text
    r = server.get("/ontology", headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ontology?format=turtle"
    r = server.get(r.headers["location"])
    triples = [x.triple for x in ox.parse(r.content, format=ox.RdfFormat.TURTLE)]
    assert any(t.subject.value == "https://w3id.org/essgraph/ontology#Cooperative" for t in triples)
