"""essgraph serve under abuse: query timeout that really stops the work,
result and request size limits, SERVICE allow-list (nothing connects),
malformed bodies and slow clients — the server keeps answering the others."""
from __future__ import annotations

import os
import socket
import threading
import time

import httpx
import pytest

from ess_graph.serve import create_app
from demo_server import ServerThread, write_demo_store

ENDLESS = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?x ?y }")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("limits") / "store", scale=3)


@pytest.fixture(scope="module")
def server(store):
    app = create_app(store, timeout=2, max_rows=50, max_request_bytes=10_000, workers=2)
    app.state.essgraph.cfg.body_timeout = 1.0
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, app.state.essgraph


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_endless_query_times_out_while_others_are_answered(server):
    client, srv = server
    pids_before = set(srv.pool.pids())
    result = {}

    def endless():
        t = time.monotonic()
        result["r"] = client.get("/sparql", params={"query": ENDLESS})
        result["t"] = time.monotonic() - t

    th = threading.Thread(target=endless)
    th.start()
    time.sleep(0.3)
    t = time.monotonic()
    r = client.get("/sparql", params={"query": "ASK { ?s a ess:Clipping }"})
    quick = time.monotonic() - t
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert quick < 1.5, f"a simple query took {quick:.2f} s while an endless one ran"
    th.join(30)
    r = result["r"]
    assert r.status_code == 503
    assert "timed out" in r.text and "2 s" in r.text
    assert 1.9 < result["t"] < 6
    # the worker that ran it was killed (really stopped), and replaced
    killed = pids_before - set(srv.pool.pids())
    assert killed
    deadline = time.monotonic() + 3
    while any(_alive(p) for p in killed) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in killed)
    deadline = time.monotonic() + 20
    while len(srv.pool.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(srv.pool.pids()) == 2
    assert client.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


def test_result_row_limit_is_an_error_not_a_truncated_200(server):
    client, _ = server
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 422
    assert "limit of 50 rows" in r.text
    r = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert r.status_code == 422
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 50"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 50


def test_result_byte_limit(store):
    app = create_app(store, max_result_bytes=2000, workers=1)
    with ServerThread(app) as url:
        r = httpx.get(url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 40"})
        assert r.status_code == 422 and "2000 bytes" in r.text


def test_request_size_limit(server):
    client, _ = server
    big = "ASK {} #" + "x" * 20_000
    r = client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413
    r = client.get("/sparql", params={"query": "ASK {} #" + "x" * 12_000})
    assert r.status_code == 413


def test_malformed_bodies(server):
    client, _ = server
    r = client.post("/sparql", content=b"ASK {} \xff\xfe", headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "UTF-8" in r.text
    r = client.post("/sparql", content="ASK {}".encode("utf-16"),
                    headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert r.status_code == 415
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D")
    assert r.status_code == 415
    r = client.post("/sparql", content=b"%%%garbage", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    r = client.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400
    r = client.request("PUT", "/sparql", params={"query": "ASK {}"})
    assert r.status_code == 405


def test_slow_client_gets_408_and_does_not_block_others(server):
    client, _ = server
    host, port = client.base_url.host, client.base_url.port
    s = socket.create_connection((host, port))
    s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
              b"Content-Length: 100\r\n\r\nASK")
    t = time.monotonic()
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert time.monotonic() - t < 1.0
    s.settimeout(10)
    data = s.recv(4096)
    s.close()
    assert data.startswith(b"HTTP/1.1 408"), data[:100]


class _Listener:
    """A local TCP port that records whether anything connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            c.close()

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


def test_service_to_other_hosts_is_refused_and_nothing_connects(server):
    client, _ = server
    lis = _Listener()
    try:
        target = f"http://127.0.0.1:{lis.port}/sparql"
        for query in [
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
            f"PREFIX x: <http://127.0.0.1:{lis.port}/> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ BIND(<{target}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        ]:
            r = client.get("/sparql", params={"query": query})
            assert r.status_code == 403, (query, r.status_code, r.text)
            assert "not allowed" in r.text
        time.sleep(0.5)
        assert lis.connections == 0
        # keywords inside literals, IRIs and comments are not mistaken for SERVICE
        r = client.get("/sparql", params={"query": '# SERVICE <http://x/>\nSELECT ("SERVICE <http://x/>" AS ?v) {}'})
        assert r.status_code == 200
    finally:
        lis.close()


def test_allow_list_permits_service(store):
    lis = _Listener()
    try:
        target = f"http://127.0.0.1:{lis.port}/sparql"
        app = create_app(store, allow_service=[f"http://127.0.0.1:{lis.port}/"], timeout=5, workers=1)
        with ServerThread(app) as url:
            r = httpx.get(url + "/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"},
                          timeout=30)
            assert r.status_code != 403
            assert r.status_code >= 400  # the fake endpoint closes the connection: a clear error, not a 200
            sd = httpx.get(url + "/sparql", headers={"Accept": "application/n-triples"}).text
            assert "BasicFederatedQuery" in sd
        assert lis.connections >= 1
    finally:
        lis.close()
