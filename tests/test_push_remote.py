"""essgraph push (Graph Store Protocol) and remote queries, against a real `oxigraph serve`."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.errors import InputError, QueryError, StoreError
from ess_graph.export.gsp import default_state_file, push
from ess_graph.remote import parse_header, run_remote_query
from ess_graph.store import GraphStore

from test_export_data import make_store

ID = "https://w3id.org/essgraph/id/"

RELATIONS_QUERY = """
PREFIX ess: <https://w3id.org/essgraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?clipping ?subject ?predicate ?object ?label ?evidence WHERE {
  GRAPH ?clipping {
    ?st a ess:Statement ; rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object ;
        ess:candidate false ; ess:evidence ?evidence .
    ?subject rdfs:label ?label .
  }
} ORDER BY ?clipping ?subject ?predicate ?object
"""
TERRITORIES_QUERY = """
PREFIX igeo: <http://rdf.insee.fr/def/geo#>
SELECT ?t ?code (COUNT(?g) AS ?graphs) WHERE { GRAPH ?g { ?t igeo:codeINSEE ?code } }
GROUP BY ?t ?code ORDER BY ?code
"""


def _oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        pytest.fail("the oxigraph server binary is missing (pip install oxigraph)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    def __init__(self, location: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [_oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(self.base + "/query", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.stop()
                pytest.fail(f"oxigraph serve did not start: {err}")
            time.sleep(0.05)

    @property
    def gsp(self) -> str:
        return self.base + "/store"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def dataset(self) -> set[str]:
        """Every quad on the server, as N-Quads lines."""
        r = httpx.get(self.gsp, headers={"Accept": "application/n-quads"}, timeout=30)
        r.raise_for_status()
        return {str(q) for q in ox.parse(r.content, format=ox.RdfFormat.N_QUADS)}

    def graphs(self) -> set[str]:
        body = run_remote_query(self.query_url, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                accept="application/sparql-results+json")
        return {s["g"].value for s in ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path):
    srv = OxigraphServer(tmp_path / "remote")
    yield srv
    srv.stop()


@pytest.fixture
def local(tmp_path):
    s = make_store(tmp_path / "local")
    yield s
    s.close()


def _local_dataset(store: GraphStore) -> set[str]:
    return {str(q) for q in store.store}


def _rows(solutions) -> list[tuple]:
    variables = [v.value for v in solutions.variables]
    return [tuple(None if s[v] is None else str(s[v]) for v in variables) for s in solutions]


def test_push_then_remote_query_gives_same_rows(server, local, tmp_path):
    report = push(local, server.gsp, state_file=tmp_path / "state.json")
    graphs = local.named_graphs()
    assert report.sent == [""] + graphs and report.complete
    assert report.triples_sent == len(local)
    assert server.dataset() == _local_dataset(local)
    for q in (RELATIONS_QUERY, TERRITORIES_QUERY):
        body = run_remote_query(server.query_url, q, accept="application/sparql-results+json")
        remote = _rows(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        here = _rows(local.store.query(q))
        assert remote == here and len(here) >= 2
    csv_body = run_remote_query(server.query_url, TERRITORIES_QUERY, accept="text/csv")
    assert csv_body.splitlines()[0] == b"t,code,graphs"


def test_push_is_resumable_after_interruption(server, local, tmp_path):
    state = tmp_path / "state.json"
    graphs = [""] + local.named_graphs()
    first = push(local, server.gsp, state_file=state, limit=2)   # "killed" after 2 graphs
    assert first.sent == graphs[:2] and first.remaining == graphs[2:] and not first.complete
    recorded = json.loads(state.read_text())["endpoints"][server.gsp]["graphs"]
    assert sorted(recorded) == sorted(graphs[:2])
    assert server.graphs() == {graphs[1]}   # the default graph and the first named graph
    second = push(local, server.gsp, state_file=state)
    assert second.skipped == graphs[:2] and second.sent == graphs[2:] and second.complete
    assert server.dataset() == _local_dataset(local)
    third = push(local, server.gsp, state_file=state)
    assert third.sent == [] and third.skipped == graphs and third.requests == 0


def test_push_resends_changed_graphs_and_deletes_removed_ones(server, local, tmp_path):
    state = tmp_path / "state.json"
    push(local, server.gsp, state_file=state)
    c1, c3 = ID + "clipping/c1", ID + "clipping/c3"
    local.replace_graphs({c1: [ox.Quad(ox.NamedNode(c1), ox.NamedNode("http://purl.org/dc/terms/title"),
                                       ox.Literal("nouveau titre"))]}, drop=[c3])
    report = push(local, server.gsp, state_file=state)
    assert report.sent == [c1] and report.deleted == [c3]
    assert server.dataset() == _local_dataset(local)


def test_push_in_chunks(server, local, tmp_path):
    report = push(local, server.gsp, state_file=tmp_path / "s.json", chunk_bytes=2000)
    assert report.requests > len(report.sent)      # large graphs went as PUT + POSTs
    assert server.dataset() == _local_dataset(local)


def test_default_state_file_sits_next_to_the_store(server, local):
    report = push(local, server.gsp)
    assert report.state_file == default_state_file(local, server.gsp)
    assert report.state_file.parent == Path(local.path).parent and report.state_file.exists()


def test_unreachable_endpoint_and_bad_inputs(local, tmp_path):
    port = _free_port()  # nothing listens there
    state = tmp_path / "state.json"
    with pytest.raises(StoreError, match="cannot reach"):
        push(local, f"http://127.0.0.1:{port}/store", state_file=state)
    assert not state.exists() or json.loads(state.read_text())["endpoints"][
        f"http://127.0.0.1:{port}/store"]["graphs"] == {}
    with pytest.raises(StoreError, match="cannot reach"):
        run_remote_query(f"http://127.0.0.1:{port}/query", "ASK {}", accept="application/json", timeout=5)
    with pytest.raises(InputError, match="http"):
        push(local, "ftp://example.org/store")
    with pytest.raises(InputError, match="malformed header"):
        push(local, "http://127.0.0.1:1/store", auth_header="Bearer-without-colon")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1,\n "endpoints": [}')
    with pytest.raises(InputError) as e:
        push(local, "http://127.0.0.1:1/store", state_file=bad)
    assert e.value.line == 2 and str(bad) in str(e.value)
    assert parse_header("Authorization: Bearer x y") == {"Authorization": "Bearer x y"}


def test_remote_query_errors_are_one_line(server):
    with pytest.raises(QueryError, match="HTTP 400") as e:
        run_remote_query(server.query_url, "SELECT WHERE {", accept="application/sparql-results+json")
    assert "\n" not in str(e.value)
    with pytest.raises(StoreError, match="404"):
        run_remote_query(server.base + "/nope", "ASK {}", accept="application/sparql-results+json")


class _AuthGSP(BaseHTTPRequestHandler):
    """A minimal Graph Store endpoint that demands a bearer token."""

    graphs: dict[str, bytes] = {}

    def _auth(self) -> bool:
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b"unauthorized")
            return False
        return True

    def do_PUT(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self._auth():
            self.graphs[self.path] = body
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


def test_auth_header_is_sent(local, tmp_path):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _AuthGSP)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/gsp"
    try:
        with pytest.raises(StoreError, match="HTTP 401.*auth-header"):
            push(local, url, state_file=tmp_path / "a.json", auth_header="Authorization: Bearer wrong")
        report = push(local, url, state_file=tmp_path / "b.json", auth_header="Authorization: Bearer s3cret")
        assert len(report.sent) == len(local.named_graphs()) + 1
        assert "/gsp?default" in _AuthGSP.graphs
        assert any("graph=https%3A%2F%2Fw3id.org%2Fessgraph%2Fid%2Fclipping%2Fc1" in p for p in _AuthGSP.graphs)
        push(local, url, state_file=tmp_path / "c.json", auth_header="Authorization: Bearer s3cret",
             graph_param="graph-uri")
        assert any(p.startswith("/gsp?graph-uri=https%3A") for p in _AuthGSP.graphs)
    finally:
        srv.shutdown()
        srv.server_close()


def test_cli_push(server, tmp_path):
    make_store(tmp_path / "s").close()
    runner = CliRunner()
    args = ["push", "--endpoint", server.gsp, "--store", str(tmp_path / "s"),
            "--state-file", str(tmp_path / "st.json")]
    r = runner.invoke(main, args + ["--limit", "1"])
    assert r.exit_code == 0, r.output
    assert "pushed 1 graphs" in r.output and "run the same command again" in r.output
    r = runner.invoke(main, args)
    assert r.exit_code == 0 and "1 unchanged" in r.output
    r = runner.invoke(main, ["push", "--endpoint", "http://127.0.0.1:1/store", "--store", str(tmp_path / "s"),
                             "--state-file", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "cannot reach" in r.output and "Traceback" not in r.output
