"""Resolution that does not depend on batching: a corpus loaded in one `essgraph load` or in five
consecutive ones (same order) gives the same graph up to load provenance, and a later batch finds the
actors and persons of earlier ones (same IRI) through the resolution index kept in the store."""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.model import Clipping
from ess_graph.resolution_index import RESOLUTION_GRAPH, ResolutionIndex
from ess_graph.store import PROVENANCE_GRAPH, GraphStore

ID = "https://w3id.org/essgraph/id/"

# five files of two clippings, in load order; acronyms and persons cross the batch boundaries
BATCHES = [
    [("r01", "La Mutuelle générale des Cévennes (MGC) soutient la coopérative Enercoop."),
     ("r02", "Jean Martin, maire de Die, inaugure la halle de la coopérative Ardelaine.")],
    [("r03", "La MGC a signé avec Enercoop un nouveau contrat pour la recyclerie."),
     ("r04", "Jean Martin, président de la coopérative Ardelaine, répond aux questions.")],
    [("r05", "Jean Martin a parlé longtemps devant les habitants."),
     ("r06", "Jean Martin, maire de Die, présente le budget de la commune.")],
    [("r07", "Le Réseau des acteurs solidaires du Diois (RASD) réunit la MGC et Enercoop."),
     ("r08", "Claire Dufour, présidente du RASD, salue Jean Martin.")],
    [("r09", "Le RASD organise le Forum de l'économie solidaire à Die."),
     ("r10", "Claire Dufour a ouvert le forum.")],
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("corpus")
    files = []
    for i, batch in enumerate(BATCHES, 1):
        f = d / f"batch{i}.jsonl"
        f.write_text("".join(json.dumps({"id": cid, "text": text, "date": "2024-03-0%d" % i}, ensure_ascii=False)
                             + "\n" for cid, text in batch), encoding="utf-8")
        files.append(f)
    return files


def _load(store: Path, files: list[Path]) -> None:
    res = CliRunner().invoke(main, ["load", "--store", str(store), "--no-reference", "-q", "--on-invalid", "keep",
                                    *map(str, files)])
    assert res.exit_code == 0, res.output


def _quads(store: Path) -> set[str]:
    """Every quad outside the provenance graph (which records when each load ran)."""
    gs = GraphStore(store, read_only=True)
    try:
        return {str(q) for q in gs.store if q.graph_name != ox.NamedNode(PROVENANCE_GRAPH)}
    finally:
        gs.close()


@pytest.fixture(scope="module")
def stores(corpus, tmp_path_factory) -> tuple[Path, Path]:
    one = tmp_path_factory.mktemp("one") / "store"
    _load(one, corpus)
    five = tmp_path_factory.mktemp("five") / "store"
    for f in corpus:
        _load(five, [f])
    return one, five


def test_one_batch_and_five_batches_give_the_same_graph(stores):
    one, five = _quads(stores[0]), _quads(stores[1])
    assert len(one) > 200
    assert one == five, sorted(one ^ five)[:10]


def test_later_batches_find_earlier_actors_and_persons(stores):
    gs = GraphStore(stores[1], read_only=True)
    try:
        def graph_has(clipping: str, iri: str) -> bool:
            return bool(gs.store.query(f"ASK {{ GRAPH <{ID}clipping/{clipping}> {{ <{iri}> ?p ?o }} }}"))
        # "la MGC" in batch 2 and 4 is the mutual defined in batch 1
        mgc = ID + "org/mutuelle-generale-des-cevennes"
        assert graph_has("r01", mgc) and graph_has("r03", mgc) and graph_has("r07", mgc)
        # the mayor of Die of batch 1 is found again in batch 3; the cooperative's chairman is another person
        assert graph_has("r02", ID + "person/jean-martin") and graph_has("r06", ID + "person/jean-martin")
        assert not graph_has("r04", ID + "person/jean-martin")
        # with two Jean Martin known, a mention without affiliation is attached to neither
        other = {str(r["s"].value) for r in gs.store.query(
            f"SELECT DISTINCT ?s {{ GRAPH <{ID}clipping/r05> {{ ?s a <http://xmlns.com/foaf/0.1/Person> }} }}")}
        assert other and all(s.startswith(ID + "person/jean-martin-c") for s in other)
    finally:
        gs.close()


def test_index_is_stored_and_read_back(stores):
    gs = GraphStore(stores[1], read_only=True)
    try:
        assert gs.has_graph(RESOLUTION_GRAPH)
        idx = ResolutionIndex.read(gs)
    finally:
        gs.close()
    assert "MGC" in idx.acronyms and "RASD" in idx.acronyms
    keys = [c.key for c in idx.clusters("jean-martin")]
    assert keys[0] == "person/jean-martin" and len(keys) == 2 and keys[1].startswith("person/jean-martin-")


def test_reload_keeps_the_keys(corpus, stores, tmp_path):
    """Loading the first batch again after the later ones (which added a homonym) changes nothing."""
    before = _quads(stores[1])
    _load(stores[1], [corpus[0]])
    _load(stores[1], [corpus[2]])
    assert _quads(stores[1]) == before


def test_extract_many_with_a_shared_index_equals_one_call():
    from ess_graph.extract import Extractor
    ex = Extractor.default()
    clips = [Clipping(id=cid, text=text) for batch in BATCHES for cid, text in batch]
    whole = [x.to_jsonl_record() for x in ex.extract_many(clips)]
    idx = ResolutionIndex()
    parts = []
    for i in range(0, len(clips), 3):
        parts += [x.to_jsonl_record() for x in ex.extract_many(clips[i:i + 3], index=idx)]
    assert parts == whole
