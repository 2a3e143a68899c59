"""essgraph serve against hostile and unusual requests, each against a real
``essgraph serve`` process: deep nesting, format negotiation as real clients
do it, malformed UTF-8, Host header spoofing, saved queries needing SERVICE."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from ess_graph.serve.testing import ServerProcess, write_demo_store

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
