"""Saved queries against a remote SPARQL endpoint: push the sample, query a real `oxigraph serve`."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ess_graph.export.gsp import push
from ess_graph.pipeline import load
from ess_graph.store import GraphStore

from test_push_remote import _free_port, _oxigraph_binary

BIN = Path(sys.executable).parent / "essgraph"


@pytest.fixture(scope="module")
def pushed(tmp_path_factory, extractor):
    base = tmp_path_factory.mktemp("remote")
    gs = GraphStore(base / "local")
    load(None, gs, extractor=extractor, with_reference=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # the remote default graph must be the union of the named graphs, like essgraph's own
    proc = subprocess.Popen([_oxigraph_binary(), "serve", "--location", str(base / "remote"),
                             "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url + "/query", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "oxigraph serve did not start"
        time.sleep(0.05)
    report = push(gs, url + "/store", state_file=base / "push-state.json")
    assert report.complete
    gs.close()
    yield base / "local", url
    proc.terminate()
    proc.wait(timeout=10)


def run_json(*args):
    p = subprocess.run([str(BIN), "query", *args, "--format", "json"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    return sorted(json.dumps(b, sort_keys=True) for b in data["results"]["bindings"])


@pytest.mark.parametrize("name,params", [
    ("communes-coops", []),
    ("elected-officials", []),
    ("elected-officials", ["--param", "scope=https://w3id.org/essgraph/id/territory/commune/75056"]),
    ("fact-sources", ["--param", "subject=https://w3id.org/essgraph/id/person/pauline-veron"]),
])
def test_saved_query_gives_the_same_rows_remotely(pushed, name, params):
    store, url = pushed
    local = run_json(name, *params, "--store", str(store))
    remote = run_json(name, *params, "--endpoint", url + "/query")
    assert local and remote == local


def test_remote_table_output_and_errors(pushed):
    _, url = pushed
    p = subprocess.run([str(BIN), "query", "communes-coops", "--endpoint", url + "/query"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "Guillestre" in p.stdout and "(2 rows)" in p.stdout
    bad = subprocess.run([str(BIN), "query", "communes-coops", "--endpoint", "http://127.0.0.1:9/query"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
