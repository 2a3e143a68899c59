"""`essgraph remove` and `essgraph load --prune`: clippings removed with what only they supported."""
from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.cli import main as cli
from ess_graph.errors import InputError
from ess_graph.model import Entity, Extraction, Mention
from ess_graph.pipeline import LATEST_LOAD, load
from ess_graph.remove import remove
from ess_graph.store import PROVENANCE_GRAPH, GraphStore

ID = "https://w3id.org/essgraph/id/"


class TinyExtractor:
    """Finds 'Enercoop' (a cooperative): enough to give clippings shared facts."""

    def extract_many(self, clippings, progress=None, **_):
        out = []
        for c in clippings:
            ents = [Entity(f"e{i}", "Cooperative", "Enercoop", [Mention(m.start(), m.end(), m.group())])
                    for i, m in enumerate(re.finditer("Enercoop", c.text))]
            out.append(Extraction(c, ents, []))
        return out


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def quads(gs: GraphStore) -> set:
    return set(gs.store.quads_for_pattern(None, None, None, None))


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "clips"
    d.mkdir()
    f1 = write_jsonl(d / "one.jsonl", [
        {"id": "a1", "title": "Enercoop", "text": "Enercoop fournit de l'électricité."},
        {"id": "a2", "title": "Enercoop encore", "text": "Enercoop est une coopérative."}])
    f2 = write_jsonl(d / "two.jsonl", [{"id": "b1", "title": "Rien", "text": "Un texte sans acteur."}])
    path = tmp_path / "store"
    gs = GraphStore(path)
    load([d], gs, extractor=TinyExtractor(), with_reference=False)
    gs.close()
    return path, d, f1, f2


def graph_of(cid: str) -> str:
    from ess_graph.iris import clipping_iri
    return clipping_iri(cid)


def test_remove_by_id_keeps_every_other_clipping(loaded):
    path, *_ = loaded
    gs = GraphStore(path)
    before = quads(gs)
    a2 = graph_of("a2")
    acts = {q.subject for q in gs.store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/ns/prov#used"),
                                                          ox.NamedNode(a2), ox.NamedNode(PROVENANCE_GRAPH))}
    assert len(acts) == 1
    rep = remove(gs, ["a2"])
    after = quads(gs)
    assert rep.graphs == [a2] and rep.clippings[0]["id"] == "a2" and rep.clipping_quads > 0
    removed = before - after
    assert after <= before
    # everything removed belonged to a2's graph, or was provenance about a2 only
    assert {q.graph_name.value for q in removed} == {a2, PROVENANCE_GRAPH}
    assert all(q.graph_name.value == a2 or q.subject in acts or q.object == ox.NamedNode(a2) for q in removed)
    assert len([q for q in removed if q.graph_name.value != a2]) == rep.other_quads
    assert not gs.has_graph(a2) and gs.has_graph(graph_of("a1")) and gs.has_graph(graph_of("b1"))
    # the cooperative stated by both clippings is still stated by a1
    assert gs.store.query(f"ASK {{ GRAPH <{graph_of('a1')}> {{ ?o a <http://www.w3.org/ns/org#Organization> }} }}")
    assert not gs.store.query(f"ASK {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> ?p <{a2}> }} }}")
    assert gs.store.query(f"ASK {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> ?p <{graph_of('a1')}> }} }}")
    gs.close()


def test_unknown_id_is_refused_and_changes_nothing(loaded):
    path, *_ = loaded
    gs = GraphStore(path)
    before = quads(gs)
    with pytest.raises(InputError, match="no clipping with id 'nope'"):
        remove(gs, ["a1", "nope"])
    assert quads(gs) == before
    gs.close()
    out = CliRunner().invoke(cli, ["remove", "a1", "nope", "--store", str(path)])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert out.output.strip().splitlines() == [
        "essgraph: error: no clipping with id 'nope' in the store (nothing removed)"]
    out = CliRunner().invoke(cli, ["remove", "--store", str(path)])
    assert out.exit_code == 2 and "nothing to remove" in out.output


def test_dry_run_then_remove_by_source_and_by_iri(loaded):
    path, d, f1, f2 = loaded
    before = quads(GraphStore(path, read_only=True))
    out = CliRunner().invoke(cli, ["remove", "--source", str(f1), "--dry-run", "--store", str(path)])
    assert out.exit_code == 0 and out.output.startswith("would remove 2 clipping(s)")
    assert quads(GraphStore(path, read_only=True)) == before
    out = CliRunner().invoke(cli, ["remove", "--source", "clips/two.jsonl", "--format", "json",
                                   "--store", str(path)])
    assert out.exit_code == 0, out.output
    rep = json.loads(out.output)
    assert rep["removed"] == 1 and rep["clippings"][0]["id"] == "b1" and not rep["dry_run"]
    out = CliRunner().invoke(cli, ["remove", "--source", "clips/two.jsonl", "--store", str(path)])
    assert out.exit_code == 2 and "no clipping from source file" in out.output
    out = CliRunner().invoke(cli, ["remove", graph_of("a1"), "--store", str(path)])
    assert out.exit_code == 0 and "removed 1 clipping(s)" in out.output
    gs = GraphStore(path, read_only=True)
    assert [g for g in gs.named_graphs() if g.startswith(ID + "clipping/")] == [graph_of("a2")]


def test_prune_removes_clippings_whose_file_is_gone(loaded):
    path, d, f1, f2 = loaded
    gs = GraphStore(path)
    assert remove(gs, prune=d, dry_run=True).graphs == []
    f2.unlink()
    rep = remove(gs, prune=d, dry_run=True)
    assert rep.graphs == [graph_of("b1")] and gs.has_graph(graph_of("b1"))
    assert remove(gs, prune=d).graphs == [graph_of("b1")]
    assert not gs.has_graph(graph_of("b1")) and gs.has_graph(graph_of("a1"))
    with pytest.raises(InputError, match="no such directory"):
        remove(gs, prune=d / "nope")
    gs.close()


def test_load_prune_option(loaded, monkeypatch):
    path, d, f1, f2 = loaded
    f2.unlink()
    import ess_graph.cli.load as load_cli
    monkeypatch.setattr(load_cli, "extractor_for", lambda model: TinyExtractor())
    monkeypatch.setattr("ess_graph.extract.Extractor.default", classmethod(lambda cls: TinyExtractor()))
    out = CliRunner().invoke(cli, ["load", str(f1), "--prune", str(d), "--no-reference", "--quiet",
                                   "--format", "json", "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert graph_of("b1") in json.loads(out.output)["removed_graphs"]
    gs = GraphStore(path, read_only=True)
    assert not gs.has_graph(graph_of("b1")) and gs.has_graph(graph_of("a1")) and gs.has_graph(graph_of("a2"))
