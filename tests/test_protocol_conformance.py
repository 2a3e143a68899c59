"""W3C SPARQL 1.1 Protocol (34 tests) and Graph Store Protocol (13 tests)
against the real essgraph server (uvicorn, on-disk Oxigraph store, writes
enabled with a token).

A small runner for the ``ht:`` manifests vendored in tests/conformance/:
each test is a sequence of HTTP requests whose status, content type,
boolean answer or graph (compared by isomorphism) must match. As the
manifests say, ``/sparql/`` and ``/gsp`` are replaced by the server's paths,
updates are sent to the query URL, ``$LOCATION$`` is the ``Location`` of an
earlier response, and test data is loaded into graphs named by ``rdfs:label``.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from ess_graph.serve import create_app
from demo_server import ServerThread

HERE = Path(__file__).resolve().parent / "conformance"
PROTOCOL = HERE / "sparql11-protocol" / "manifest.ttl"
GSP = [HERE / "graph-store-protocol" / "manifest-direct.ttl",
       HERE / "graph-store-protocol" / "manifest-indirect.ttl"]

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

TOKEN = "conformance-secret"
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404},
          "StatusCode2xx": set(range(200, 300)), "StatusCode3xx": set(range(300, 400)),
          "StatusCode4xx": set(range(400, 500)), "StatusCode5xx": set(range(500, 600))}
RDF_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
               "application/ld+json": "json-ld", "application/n-quads": "nquads", "application/trig": "trig"}


def load_tests(manifest: Path) -> list[dict]:
    g = Graph()
    g.parse(manifest, format="turtle")
    entries_node = g.value(URIRef(manifest.as_uri()), MF.entries)
    tests = []
    for entry in Collection(g, entries_node):
        action = g.value(entry, MF.action)
        requests = []
        for req in Collection(g, g.value(action, HT.requests)):
            headers = {}
            hlist = g.value(req, HT.headers)
            if hlist is not None:
                for h in Collection(g, hlist):
                    headers[str(g.value(h, HT.fieldName)).lower()] = str(g.value(h, HT.fieldValue))
            body = None
            b = g.value(req, HT.body)
            if b is not None:
                enc = str(g.value(b, CNT.characterEncoding) or "UTF-8")
                body = (str(g.value(b, CNT.chars)), enc)
            resp = g.value(req, HT.resp)
            expected = {
                "status": set().union(*(STATUS[str(s).split("#")[1]] for s in g.objects(resp, MF.expectedStatus))),
                "format": g.value(resp, MF.expectedFormat),
                "boolean": g.value(resp, MF.expectedBoolean),
                "location": g.value(resp, MF.expectedLocation),
                "headers": {}, "body": None,
            }
            rh = g.value(resp, HT.headers)
            if rh is not None:
                for h in Collection(g, rh):
                    expected["headers"][str(g.value(h, HT.fieldName)).lower()] = str(g.value(h, HT.fieldValue))
            rb = g.value(resp, HT.body)
            if rb is not None:
                expected["body"] = str(g.value(rb, CNT.chars))
            requests.append({"method": str(g.value(req, HT.methodName)), "path": str(g.value(req, HT.absolutePath)),
                             "headers": headers, "body": body, "expected": expected})
        data = []
        for gd in g.objects(entry, UT.graphData):
            data.append((Path(str(g.value(gd, UT.graph)).replace("file://", "")), str(g.value(gd, RDFS.label))))
        tests.append({"id": str(entry).split("#")[-1], "name": str(g.value(entry, MF.name)),
                      "requests": requests, "data": data})
    return tests


PROTOCOL_TESTS = load_tests(PROTOCOL)
GSP_TESTS = [t for m in GSP for t in load_tests(m)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("conformance") / "store"
    app = create_app(store, write_token=TOKEN, timeout=20, workers=2)
    with ServerThread(app) as url:
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield url, client


def reset(client: httpx.Client, data: list[tuple[Path, str]]) -> None:
    r = client.post("/update", content="DROP ALL", headers={"content-type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    for path, graph in data:
        r = client.put("/store", params={"graph": graph}, content=path.read_bytes(),
                       headers={"content-type": "application/n-triples"})
        assert r.status_code in (201, 204), r.text


def check_response(r: httpx.Response, exp: dict) -> None:
    assert r.status_code in exp["status"], f"status {r.status_code} not in {sorted(exp['status'])}: {r.text[:300]}"
    ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = str(exp["format"]) if exp["format"] is not None else None
    if fmt == "boolean":
        assert ctype in ("application/sparql-results+json", "application/sparql-results+xml"), ctype
    elif fmt == "tabular":
        assert ctype in ("application/sparql-results+json", "application/sparql-results+xml",
                         "text/csv", "text/tab-separated-values"), ctype
    elif fmt == "RDF":
        assert ctype in RDF_PARSERS, ctype
        Graph().parse(data=r.content, format=RDF_PARSERS[ctype])
    if exp["boolean"] is not None:
        expected = bool(exp["boolean"].toPython())
        if ctype == "application/sparql-results+json":
            assert r.json()["boolean"] is expected
        else:
            assert f"<boolean>{str(expected).lower()}</boolean>" in r.text
    for name, value in exp["headers"].items():
        got = r.headers.get(name, "")
        assert got.replace(" ", "").lower() == value.replace(" ", "").lower(), f"{name}: {got!r} != {value!r}"
    if exp["body"] is not None:
        expected_g = Graph().parse(data=exp["body"], format="turtle")
        got_g = Graph().parse(data=r.content, format=RDF_PARSERS[ctype])
        assert isomorphic(expected_g, got_g), f"graphs differ:\n{r.text}"


def run_test(client: httpx.Client, test: dict, path_map: tuple[str, str]) -> None:
    reset(client, test["data"])
    variables: dict[str, str] = {}
    for i, req in enumerate(test["requests"]):
        path = req["path"]
        old, new = path_map
        if path.startswith(old):
            path = new + path[len(old):]
        body = None
        if req["body"] is not None:
            text, enc = req["body"]
            for k, v in variables.items():
                text = text.replace(k, v)
            body = text.encode("utf-16" if enc.upper() == "UTF-16" else "utf-8")
        for k, v in variables.items():
            path = path.replace(k, v)
        headers = dict(req["headers"])
        r = client.request(req["method"], path, content=body, headers=headers)
        try:
            check_response(r, req["expected"])
        except AssertionError as e:
            raise AssertionError(f"{test['id']} request {i + 1} {req['method']} {path}: {e}") from None
        if req["expected"]["location"] is not None:
            loc = r.headers.get("location")
            assert loc, f"{test['id']}: no Location header"
            variables[str(req["expected"]["location"])] = loc


def test_manifest_counts():
    assert len(PROTOCOL_TESTS) == 34
    assert len(GSP_TESTS) == 13


@pytest.mark.parametrize("test", PROTOCOL_TESTS, ids=[t["id"] for t in PROTOCOL_TESTS])
def test_sparql_protocol(server, test):
    _, client = server
    run_test(client, test, ("/sparql/", "/sparql"))


@pytest.mark.parametrize("test", GSP_TESTS, ids=[t["id"] for t in GSP_TESTS])
def test_graph_store_protocol(server, test):
    _, client = server
    run_test(client, test, ("/gsp", "/store"))
