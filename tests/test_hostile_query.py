"""Hostile queries and failing endpoints: `essgraph query` answers each with one
line naming the cause and a non-zero exit, within its --timeout; never a
traceback, a crash or a hang. Real processes, a real store, a real `oxigraph serve`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from test_push_remote import _free_port, _oxigraph_binary

BIN = Path(sys.executable).parent / "essgraph"
EX = "http://example.org/"


def run(*args: str | bytes | Path, timeout: float = 120):
    env = dict(os.environ)
    env.pop("ESSGRAPH_STORE", None)
    cmd = [os.fsencode(str(BIN))] + [a if isinstance(a, bytes) else os.fsencode(str(a)) for a in args]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    p.stdout_text = p.stdout.decode("utf-8", "replace")
    p.stderr_text = p.stderr.decode("utf-8", "replace")
    return p


def assert_one_line(p, *fragments, code=2):
    assert p.returncode == code, (p.returncode, p.stdout_text, p.stderr_text)
    assert "Traceback" not in p.stderr_text
    lines = [line for line in p.stderr_text.splitlines() if line.strip()]
    assert len(lines) == 1, p.stderr_text
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real on-disk store: 1,500 triples in a named graph (a 4-way cross join never ends)."""
    from ess_graph.store import GraphStore
    path = tmp_path_factory.mktemp("hq") / "store"
    gs = GraphStore(path)
    g = ox.NamedNode(EX + "g")
    gs.store.extend([ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), g)
                     for i in range(1500)])
    gs.close()
    return path


def test_query_nested_ten_thousand_deep_is_refused_with_the_limit(store):
    deep = "SELECT * WHERE { " + "{ " * 10000 + "?s ?p ?o " + "} " * 10000 + "}"
    assert_one_line(run("query", "-e", deep, "--store", store), "nested more than 500 levels")
    deep_expr = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10000 + "1" + ")" * 10000 + ") }"
    assert_one_line(run("query", "-e", deep_expr, "--store", store), "nested more than 500 levels")
    ok = "SELECT (COUNT(*) AS ?n) WHERE { " + "{ " * 50 + "?s ?p ?o " + "} " * 50 + "}"
    p = run("query", "-e", ok, "--store", store, "--format", "csv")
    assert p.returncode == 0 and p.stdout_text.split() == ["n", "1500"]


def test_service_to_a_closed_port(store):
    port = _free_port()  # bound then released: nothing listens there
    url = f"http://127.0.0.1:{port}/sparql"
    line = assert_one_line(run("query", "-e", f"SELECT * WHERE {{ ?s ?p ?o SERVICE <{url}> {{ ?s ?q ?r }} }}",
                               "--store", store), "a SERVICE call failed", url)
    assert "refused" in line.lower()


def test_service_to_a_file_is_refused_before_evaluation(store, tmp_path):
    target = (tmp_path / "data.ttl")
    target.write_text("<http://a> <http://b> <http://c> .\n")
    assert_one_line(run("query", "-e", f"SELECT * WHERE {{ SERVICE <{target.as_uri()}> {{ ?s ?p ?o }} }}",
                        "--store", store), "only http(s) SPARQL endpoints", target.as_uri())


def test_saved_wikidata_queries_offline_give_one_line(tmp_path):
    """The reference's communes are joined to Wikidata: with no route to it, one line."""
    from ess_graph.store import GraphStore
    path = tmp_path / "store"
    gs = GraphStore(path)
    igeo = "http://rdf.insee.fr/def/geo#"
    c = ox.NamedNode("https://w3id.org/essgraph/id/territory/commune/05065")
    clip = ox.NamedNode("https://w3id.org/essgraph/id/clipping/k1")
    gs.store.extend([
        ox.Quad(c, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(igeo + "Commune"), c),
        ox.Quad(c, ox.NamedNode(igeo + "codeINSEE"), ox.Literal("05065"), c),
        ox.Quad(c, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Guillestre"), c),
        # a clipping that mentions it: the saved query starts from what the clippings mention
        ox.Quad(clip, ox.NamedNode("http://schema.org/mentions"), c, clip)])
    gs.close()
    # a proxy that refuses every connection stands for "offline" whatever this machine can reach
    env_proxy = {"HTTPS_PROXY": f"http://127.0.0.1:{_free_port()}", "HTTP_PROXY": f"http://127.0.0.1:{_free_port()}"}
    env = {**os.environ, **env_proxy}
    env.pop("ESSGRAPH_STORE", None)
    p = subprocess.run([str(BIN), "query", "wikidata-commune", "--store", str(path), "--timeout", "60"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert "wikidata-commune.rq" in lines[0] and "query.wikidata.org" in lines[0]
    assert "SERVICE call failed" in lines[0] or "did not finish" in lines[0]


class SilentServer:
    """Accepts TCP connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent():
    s = SilentServer()
    yield s
    s.close()


def test_service_that_never_answers_is_stopped_at_the_timeout(store, silent):
    url = f"http://127.0.0.1:{silent.port}/sparql"
    t0 = time.monotonic()
    assert_one_line(run("query", "-e", f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                        "--timeout", "2", "--store", store), "did not finish within 2 s", url)
    assert time.monotonic() - t0 < 60
    assert silent.conns, "the SERVICE call was never made"


def test_remote_endpoint_that_never_answers_is_stopped_at_the_timeout(silent):
    assert_one_line(run("query", "-e", "SELECT * WHERE { ?s ?p ?o }", "--timeout", "2",
                        "--endpoint", f"http://127.0.0.1:{silent.port}/query"),
                    "no answer from", "before the timeout")


def test_endless_query_is_stopped_at_the_timeout(store):
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    assert_one_line(run("query", "-e", endless, "--timeout", "1", "--store", store),
                    "expression:", "did not finish within 1 s", "--timeout")


def test_timeout_option_states_its_default():
    p = run("query", "--help")
    assert p.returncode == 0
    assert "--timeout" in p.stdout_text and "default: 60" in p.stdout_text


def test_query_argument_not_valid_utf8(store):
    assert_one_line(run("query", "-e", b'SELECT * WHERE { ?s ?p "\xff" }', "--store", store),
                    "not valid UTF-8", "0xff")
    assert_one_line(run("query", b"caf\xe9", "--store", store), "not valid UTF-8", "0xe9")
    assert_one_line(run("query", "communes-coops", "--param", b"coop=\xff", "--store", store),
                    "--param", "not valid UTF-8")


def test_query_file_not_utf8_is_reported_at_its_position(store, tmp_path):
    f = tmp_path / "q.rq"
    f.write_bytes(b"SELECT * WHERE {\n  ?s ?p \"caf\xe9\" }\n")
    assert_one_line(run("query", f, "--store", store), f"{f}:2:13:", "not UTF-8", "0xe9")


@pytest.mark.parametrize("body,where,fragment", [
    # an incomplete triple pattern on line 5: reported there, not where the parser gave up
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  ?s ?p\n}\n", "5:6", "'?p'"),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  ?s ex:name ?n .\n}\n", "5:6",
     "unknown prefix 'ex:'"),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  FILTR(?l = \"x\")\n}\n", "5:3",
     "'FILTR' is not a SPARQL keyword"),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  FILTER(?l = \"x)\n}\n", "5:15",
     "unterminated string"),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  FILTER(?l = \"x\"\n}\n", "6:1",
     "does not close the '('"),
    # the parser itself gives up on line 6 here
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  FILTER(?l = \"x\" &&)\n  ?s ?a ?b .\n}\n",
     "5:19", "'&&' has nothing on its right"),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?l .\n  OPTIONAL ?s ?a ?b .\n}\n", "5:3",
     "syntax error at 'OPTIONAL'"),
])
def test_syntax_error_in_a_query_file_at_the_right_line_with_the_token(store, tmp_path, body, where, fragment):
    f = tmp_path / "q.rq"
    f.write_text("#+ title: A query with a mistake\n" + body, encoding="utf-8")
    line, col = where.split(":")
    line = assert_one_line(run("query", f, "--store", store), f"{f}:{int(line) + 1}:{col}:",
                           "invalid SPARQL", fragment)
    assert "expected one of" not in line and "[_]" not in line


# --------------------------------------------------------------------------- remote union default graph

class Oxigraph:
    def __init__(self, location: Path, *extra: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([_oxigraph_binary(), "serve", "--location", str(location),
                                      "--bind", f"127.0.0.1:{self.port}", *extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/query", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, "oxigraph serve did not start"
            time.sleep(0.05)
        data = f"<{EX}s> <http://www.w3.org/2000/01/rdf-schema#label> \"Guillestre\" .\n"
        r = httpx.put(self.url + "/store", params={"graph": EX + "clipping/1"}, content=data,
                      headers={"Content-Type": "application/n-triples"}, timeout=30)
        assert r.status_code in (201, 204), r.text

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def test_endpoint_whose_default_graph_is_not_the_union_gets_a_warning_with_the_fix(tmp_path):
    query = "SELECT ?l WHERE { ?s rdfs:label ?l }"
    plain = Oxigraph(tmp_path / "plain")
    try:
        p = run("query", "-e", query, "--endpoint", plain.url + "/query", "--format", "csv")
    finally:
        plain.close()
    assert p.returncode == 0, p.stderr_text
    assert p.stdout_text.split() == ["l"]  # the saved-query style finds nothing there...
    warning = p.stderr_text.strip()
    assert warning.startswith("essgraph: warning:") and len(warning.splitlines()) == 1
    assert "not the union of the named graphs" in warning and "--union-default-graph" in warning
    union = Oxigraph(tmp_path / "union", "--union-default-graph")
    try:
        p = run("query", "-e", query, "--endpoint", union.url + "/query", "--format", "csv")
    finally:
        union.close()
    assert p.returncode == 0 and p.stderr_text == ""  # ...and the recipe's server answers
    assert p.stdout_text.split() == ["l", "Guillestre"]
