"""essgraph load --endpoint: writing to a real `oxigraph serve` through SPARQL Update."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.pipeline import load
from ess_graph.store import GraphStore

from test_pipeline import RECORDS, TinyExtractor, write_jsonl
from test_push_remote import OxigraphServer

STARTED = "http://www.w3.org/ns/prov#startedAtTime"


@pytest.fixture
def server(tmp_path):
    srv = OxigraphServer(tmp_path / "remote")
    yield srv
    srv.stop()


def without_times(lines) -> set[str]:
    return {l for l in lines if STARTED not in l}


def local_quads(path) -> set[str]:
    gs = GraphStore(path)
    try:
        return {str(q) for q in gs.store.quads_for_pattern(None, None, None, None)}
    finally:
        gs.close()


def corpus(tmp_path, n=12):
    return write_jsonl(tmp_path / "c.jsonl", RECORDS + [{"id": f"x{i}", "text": f"Guillestre et Enercoop {i}"}
                                                        for i in range(n)])


@pytest.mark.parametrize("atomic", [True, False])
def test_endpoint_load_matches_a_local_load_and_is_idempotent(server, tmp_path, atomic):
    f = corpus(tmp_path)
    update = server.base + "/update"
    rep = load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False,
               atomic=atomic, batch_size=4)
    assert rep.stored == 15 and rep.mode == ("whole" if atomic else "batched")
    load([f], tmp_path / "local", extractor=TinyExtractor(), with_reference=False, atomic=atomic, batch_size=4)
    remote = server.dataset()
    assert without_times(remote) == without_times(local_quads(tmp_path / "local"))
    assert rep.store_triples == len(remote)
    # loading again gives the same graph
    load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False, atomic=atomic, batch_size=4)
    assert server.dataset() == remote


def test_endpoint_reload_replaces_changed_clippings_and_removes_gone_ones(server, tmp_path):
    f = corpus(tmp_path, n=0)
    update = server.base + "/update"
    load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False)
    load([f], tmp_path / "local", extractor=TinyExtractor(), with_reference=False)
    changed = [dict(RECORDS[0], text="La commune de Guillestre a changé de fournisseur.")] + RECORDS[1:2]
    write_jsonl(f, changed)
    rep = load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False)
    assert rep.removed_graphs == ["https://w3id.org/essgraph/id/clipping/a3"]
    graphs = server.graphs()
    assert "https://w3id.org/essgraph/id/clipping/a3" not in graphs
    assert not any("partnerOf" in q for q in server.dataset())
    load([f], tmp_path / "local", extractor=TinyExtractor(), with_reference=False)
    assert without_times(server.dataset()) == without_times(local_quads(tmp_path / "local"))


def test_an_interrupted_endpoint_load_resumes_to_the_clean_result(server, tmp_path):
    f = corpus(tmp_path, n=20)
    update = server.base + "/update"

    def boom(i):
        if i == 9:
            raise RuntimeError("injected failure")
    with pytest.raises(RuntimeError):
        load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False, atomic=False,
             batch_size=4, fail_after_mapping=boom)
    assert len([g for g in server.graphs() if "/clipping/" in g]) == 8, "two whole batches"
    rep = load([f], None, endpoint=update, extractor=TinyExtractor(), with_reference=False, atomic=False,
               batch_size=4)
    assert rep.resumed == 8
    load([f], tmp_path / "local", extractor=TinyExtractor(), with_reference=False, atomic=False, batch_size=4)
    assert without_times(server.dataset()) == without_times(local_quads(tmp_path / "local"))


def test_endpoint_reference_graph_arrives_whole_once(server, tmp_path, monkeypatch):
    """The reference graph is sent in pieces to a staging graph, then moved into place; a second
    load finds it by its content hash and does not send it again."""
    import ess_graph.sinks as sinks
    import ess_graph.territories.graph as tg
    g = tg.reference_graph_iri()
    h = tg.content_hash()
    small = [ox.Quad(ox.NamedNode(f"https://example.org/t{i}"), ox.NamedNode("https://example.org/p"),
                     ox.Literal(str(i)), ox.NamedNode(g)) for i in range(25)]
    small.append(ox.Quad(ox.NamedNode(g), ox.NamedNode("https://w3id.org/essgraph/ontology#contentHash"),
                         ox.Literal(h), ox.NamedNode(g)))
    sent = []
    monkeypatch.setattr(tg, "reference_quads", lambda data=None: iter(small))
    monkeypatch.setattr(sinks, "REMOTE_CHUNK_QUADS", 10)
    original = sinks.RemoteSink._update
    monkeypatch.setattr(sinks.RemoteSink, "_update", lambda self, s: (sent.append(s), original(self, s))[1])
    f = corpus(tmp_path, n=0)
    rep = load([f], None, endpoint=server.base + "/update", extractor=TinyExtractor())
    assert rep.reference_graph == g
    assert sum("INSERT DATA" in s and "-staging" in s for s in sent) == 3
    assert g in server.graphs() and g + "-staging" not in server.graphs()
    assert sum(1 for q in server.dataset() if q.endswith(f"<{g}>")) == 26
    sent.clear()
    load([f], None, endpoint=server.base + "/update", extractor=TinyExtractor())
    assert not any("-staging" in s for s in sent)


def test_cli_endpoint_unreachable_is_one_line(tmp_path):
    from ess_graph.cli import main
    f = corpus(tmp_path, n=0)
    res = CliRunner().invoke(main, ["load", "--no-reference", "--endpoint", "http://127.0.0.1:9/update", str(f)])
    assert res.exit_code == 2, res.output
    assert "cannot reach http://127.0.0.1:9/" in res.output and "Traceback" not in res.output
