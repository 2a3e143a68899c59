"""The load pipeline on a real on-disk store: atomicity, idempotence, replacement, invalid data.

These tests use a small rule-free extraction stage (:class:`TinyExtractor`) so
that they exercise the pipeline and the store, not the NLP; the real extractor
is exercised by the end-to-end CLI tests and the extraction tests.
"""
from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from ess_graph.errors import InputError
from ess_graph.model import Entity, Extraction, Mention, Relation
from ess_graph.pipeline import LATEST_LOAD, load
from ess_graph.store import GraphStore, PROVENANCE_GRAPH


class TinyExtractor:
    """Finds 'Enercoop' (a cooperative) and 'Guillestre' (commune 05065) and links them."""

    def __init__(self, code: str = "05065"):
        self.code = code

    def extract_many(self, clippings, progress=None):
        out = []
        for c in clippings:
            ents, rels = [], []
            for m in re.finditer(r"Enercoop|Guillestre", c.text):
                if m.group() == "Enercoop":
                    ents.append(Entity(f"e{len(ents)}", "Cooperative", "Enercoop", [Mention(m.start(), m.end(), m.group())]))
                else:
                    ents.append(Entity(f"e{len(ents)}", "Commune", "Guillestre", [Mention(m.start(), m.end(), m.group())],
                                       insee=self.code, country="FR"))
            kinds = {e.type: e for e in ents}
            if {"Cooperative", "Commune"} <= set(kinds):
                rels.append(Relation(kinds["Commune"].id, "partnerOf", kinds["Cooperative"].id,
                                     c.text, 0, len(c.text), rule="tiny"))
            out.append(Extraction(c, ents, rels))
        return out


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


RECORDS = [
    {"id": "a1", "title": "Guillestre et Enercoop", "text": "La commune de Guillestre travaille avec Enercoop."},
    {"id": "a2", "title": "Enercoop", "text": "Enercoop est une coopérative."},
    {"id": "a3", "title": "Rien", "text": "Un texte sans acteur."},
]


def dump(gs: GraphStore) -> bytes:
    return gs.store.dump(format=ox.RdfFormat.N_QUADS)


def nquads_sorted(gs: GraphStore) -> list[bytes]:
    return sorted(dump(gs).splitlines())


@pytest.fixture
def gs(tmp_path):
    store = GraphStore(tmp_path / "store")
    yield store
    store.close()


def test_load_writes_one_graph_per_clipping_and_records_changed_graphs(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    rep = load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert (rep.clippings, rep.stored, rep.skipped, rep.violations) == (3, 3, 0, 0)
    graphs = [g for g in gs.named_graphs() if "/clipping/" in g]
    assert graphs == [f"https://w3id.org/essgraph/id/clipping/a{i}" for i in (1, 2, 3)]
    changed = {s["g"].value for s in gs.query(
        f"SELECT ?g WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{LATEST_LOAD}> ess:changedGraph ?g }} }}")}
    assert changed == set(graphs)
    assert rep.relations_by_predicate == {"partnerOf": 1}


def test_failure_mid_load_leaves_the_store_unchanged(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS[:2])
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    before = nquads_sorted(gs)
    g = write_jsonl(tmp_path / "d.jsonl", [{"id": "b1", "text": "Guillestre et Enercoop"},
                                          {"id": "b2", "text": "Enercoop encore"}])

    def boom(i):
        if i == 1:
            raise RuntimeError("injected failure")
    with pytest.raises(RuntimeError, match="injected"):
        load([g], gs, extractor=TinyExtractor(), with_reference=False, fail_after_mapping=boom)
    assert nquads_sorted(gs) == before


def test_malformed_file_among_inputs_leaves_the_store_unchanged(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS[:1])
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    before = nquads_sorted(gs)
    d = tmp_path / "batch"
    d.mkdir()
    write_jsonl(d / "good.jsonl", [{"id": "g1", "text": "Enercoop"}])
    (d / "bad.jsonl").write_text('{"id": "x", "text": "ok"}\n{"id": "y", "text": \n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        load([d], gs, extractor=TinyExtractor(), with_reference=False)
    assert "bad.jsonl:2" in str(e.value)
    assert nquads_sorted(gs) == before


def test_reloading_the_same_input_is_idempotent(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    first = dump(gs)
    n = len(gs)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert len(gs) == n
    assert sorted(dump(gs).splitlines()) == sorted(first.splitlines())


def test_reloading_a_changed_clipping_replaces_its_graph(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert bool(gs.query("ASK { ?a ess:partnerOf ?b }", use_default_graph_as_union=True))
    changed = [dict(RECORDS[0], text="La commune de Guillestre a changé de fournisseur.")] + RECORDS[1:]
    write_jsonl(f, changed)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert not bool(gs.query("ASK { ?a ess:partnerOf ?b }", use_default_graph_as_union=True))
    texts = [s["t"].value for s in gs.query(
        "SELECT ?t WHERE { GRAPH <https://w3id.org/essgraph/id/clipping/a1> { ?c schema:text ?t } }")]
    assert texts == ["La commune de Guillestre a changé de fournisseur."]


def test_items_removed_from_a_file_are_removed_from_the_store(gs, tmp_path):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    write_jsonl(f, RECORDS[:2])
    rep = load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert rep.removed_graphs == ["https://w3id.org/essgraph/id/clipping/a3"]
    assert not gs.has_graph("https://w3id.org/essgraph/id/clipping/a3")
    assert gs.has_graph("https://w3id.org/essgraph/id/clipping/a2")


A1 = "https://w3id.org/essgraph/id/clipping/a1"


def graph_lines(gs: GraphStore, g: str) -> list[bytes]:
    return sorted(l for l in dump(gs).splitlines() if l.endswith(f"<{g}> .".encode()))


@pytest.mark.parametrize("mode", ["skip", "keep", "abort"])
def test_invalid_facts_are_handled_explicitly(gs, tmp_path, mode):
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    rep = load([f], gs, extractor=TinyExtractor(code="5065"), with_reference=False, on_invalid=mode)
    assert rep.violations >= 1
    bad = [o for o in rep.outcomes if not o.conforms]
    assert [o.clipping_id for o in bad] == ["a1"]
    assert any("INSEE" in (v.get("message") or "") for v in bad[0].violations)
    commune = b"<https://w3id.org/essgraph/id/territory/commune/5065>"
    a1 = graph_lines(gs, A1)
    if mode == "abort":
        assert rep.aborted and len(gs) == 0
        return
    # skip: the clipping is stored without the bad fact (the commune and its relation);
    # keep: stored as extracted
    assert a1, "the clipping must be stored"
    assert any(b"Enercoop" in l for l in a1)
    assert any(commune in l for l in a1) is (mode == "keep")
    assert gs.has_graph("https://w3id.org/essgraph/id/clipping/a2")
    inv = rep.to_dict()["invalid"][0]
    assert inv["stored"] is True
    if mode == "skip":
        assert inv["dropped_facts"] == ["partnerOf(Guillestre → Enercoop)", "Commune 'Guillestre'"]
        assert rep.dropped_facts == 2
        from ess_graph.validate import validate
        assert validate(gs, engine="fast").conforms
    else:
        assert inv["dropped_facts"] == []


def test_one_bad_fact_does_not_drop_its_clipping(gs, tmp_path):
    """A clipping stored earlier whose new extraction has one bad fact is replaced by the new
    extraction without that fact, not kept as it was nor dropped."""
    f = write_jsonl(tmp_path / "c.jsonl", RECORDS)
    load([f], gs, extractor=TinyExtractor(), with_reference=False)
    assert any(b"commune/05065" in l for l in graph_lines(gs, A1))
    rep = load([f], gs, extractor=TinyExtractor(code="5065"), with_reference=False, on_invalid="skip")
    after = graph_lines(gs, A1)
    assert rep.stored == 3 and rep.skipped == 0
    assert after and not any(b"commune/5065" in l or b"commune/05065" in l for l in after)
    assert any(b"schema.org/text" in l for l in after)


def test_missing_path_is_an_input_error(gs, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load([tmp_path / "nope.jsonl"], gs, extractor=TinyExtractor(), with_reference=False)
    assert len(gs) == 0


def test_abort_in_batched_mode_stops_before_the_batch_holding_the_violation(gs, tmp_path):
    records = [{"id": f"ok{i}", "text": "Enercoop"} for i in range(4)] + RECORDS
    f = write_jsonl(tmp_path / "c.jsonl", records)
    rep = load([f], gs, extractor=TinyExtractor(code="5065"), with_reference=False, on_invalid="abort",
               atomic=False, batch_size=2)
    assert rep.aborted and rep.mode == "batched"
    graphs = sorted(g.rsplit("/", 1)[1] for g in gs.named_graphs() if "/clipping/" in g)
    assert graphs == ["ok0", "ok1", "ok2", "ok3"]
    assert rep.stored == 4 and rep.to_dict()["invalid"][0]["clipping"] == "a1"
