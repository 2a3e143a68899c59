"""The learned extractor: training from annotated passages, the shipped models, confidence and
candidates, the curation-to-training loop, and the `essgraph train` command's errors."""
from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.extract import Extractor
from ess_graph.extract.annotations import (AnnotatedDoc, entity_spans, from_extraction, read_set, read_sets,
                                           write_set)
from ess_graph.extract.ner import default_model_dir
from ess_graph.extract.relclf import LinearModel
from ess_graph.extract.train import curation_docs, default_training_sets, train
from ess_graph.mapping import extraction_quads
from ess_graph.model import Clipping, PREDICATES
from ess_graph.resources import bundled

ANNOT = bundled("data", "annotations")
CONFIDENCE = "https://w3id.org/essgraph/ontology#confidence"


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """Eight real annotated passages of the training part."""
    docs = read_set(ANNOT / "press" / "train")[:8]
    return write_set(docs, tmp_path_factory.mktemp("annot") / "small")


@pytest.fixture(scope="module")
def trained(small_set, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("model")
    metrics = train([small_set], out, seed=3, epochs=2)
    return out, metrics


def test_blind_sets_are_never_training_sets():
    sets = default_training_sets()
    assert sets, "the bundled annotations are missing"
    assert all("blind" not in p.parts for p in sets)
    blind = sorted(p.parent for p in ANNOT.rglob("blind/gold.jsonl"))
    assert len(blind) == 2
    train_ids = {d.id for d in read_sets(sets)}
    blind_ids = {d.id for d in read_sets(blind)}
    assert train_ids and blind_ids and not (train_ids & blind_ids)


def test_gold_forms_become_spans_of_the_text():
    doc = read_set(ANNOT / "dev-real" / "train")[0]
    spans = entity_spans(doc)
    assert spans
    for s in spans:
        assert doc.clipping.text[s.start:s.end]
    # anaphoric forms ("cette étude") are not taught as names
    assert all(not doc.clipping.text[s.start:s.end].lower().startswith(("cette ", "ce ", "ces ")) for s in spans)


def test_training_writes_models_and_metrics(trained, small_set):
    out, metrics = trained
    assert (out / "ess_ner").is_dir()
    assert (out / "relations.json").is_file()
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["passages"] == 8 and saved["seed"] == 3
    assert saved["entities"] > 20 and saved["relations"] > 10
    assert set(saved["sizes_bytes"]) == {"ess_ner", "relations.json"}
    cv = saved["relations_cv_on_gold_entities"]
    assert 0 <= cv["precision"] <= 1 and 0 <= cv["recall"] <= 1
    model = LinearModel.load(out / "relations.json")
    assert set(model.predicates) <= set(PREDICATES)
    assert all(0 < t < 1 for t in model.thresholds.values())


def test_trained_model_is_used_by_the_extractor(trained, small_set):
    out, _ = trained
    ex = Extractor(model_dir=out)
    assert ex.relation_model is not None
    assert "ess_ner" in ex.nlp.pipe_names
    doc = read_set(small_set)[0]
    x = ex.extract(doc.clipping)
    assert x.entities


def test_training_is_deterministic(small_set, tmp_path):
    a = train([small_set], tmp_path / "a", seed=5, ner=False)
    b = train([small_set], tmp_path / "b", seed=5, ner=False)
    assert (tmp_path / "a" / "relations.json").read_bytes() == (tmp_path / "b" / "relations.json").read_bytes()
    assert a["data_digest"] == b["data_digest"]


def test_shipped_models_load():
    mdir = default_model_dir()
    assert (mdir / "ess_ner").is_dir() and (mdir / "relations.json").is_file()
    metrics = json.loads((mdir / "metrics.json").read_text())
    assert metrics["passages"] >= 100
    ex = Extractor.default()
    assert ex.relation_model is not None
    assert "ess_ner" in ex.nlp.pipe_names and "parser" in ex.nlp.pipe_names


FUNDING = ("Le coût global de la chaufferie s'élève à 950 000 euros. Le financement provient à 73,3 % de la "
           "ville des Herbiers, 13,3 % de la région Pays-de-la-Loire et 13,3 % de l'Ademe.")


def test_facts_carry_confidence_and_candidates_are_marked():
    ex = Extractor.default()
    docs = read_set(ANNOT / "press" / "train")[:12]
    model = ex.relation_model
    seen_model = 0
    for x in ex.extract_many([d.clipping for d in docs]):
        for r in x.relations:
            if r.rule != "model":
                continue
            seen_model += 1
            assert 0.0 <= r.confidence <= 1.0
            thr = model.thresholds[r.predicate]
            if r.confidence < thr:
                assert r.candidate
            if not r.candidate:
                assert r.confidence >= thr
            assert x.clipping.text[r.evidence_start:r.evidence_end] == r.evidence
            rec = next(rr for rr in x.to_jsonl_record()["relations"]
                       if rr["evidence_start"] == r.evidence_start and rr["predicate"] == r.predicate)
            assert "confidence" in rec
        quads = extraction_quads(x)
        conf = [q for q in quads if q.predicate == ox.NamedNode(CONFIDENCE)]
        assert len(conf) == sum(1 for r in x.relations if r.confidence is not None)
    assert seen_model > 10


def test_from_extraction_keeps_asserted_relations_only():
    ex = Extractor.default()
    doc = read_set(ANNOT / "press" / "train")[1]
    x = ex.extract(doc.clipping)
    ad = from_extraction(x)
    assert isinstance(ad, AnnotatedDoc)
    asserted = [r for r in x.relations if not r.candidate]
    assert len(ad.relations) <= len(asserted)
    names = {e["name"] for e in ad.entities}
    assert all(r["subject"] in names and r["object"] in names for r in ad.relations)


def _curated_folder(folder: Path) -> tuple[Path, tuple[str, str, str], tuple[str, str, str]]:
    """A folder with one real passage and a curation adding one fact and rejecting another."""
    ex = Extractor.default()
    for doc in read_set(ANNOT / "press" / "train"):       # the first passage with two learned facts
        x = ex.extract(Clipping(id=doc.id, text=doc.clipping.text))
        asserted = [r for r in x.relations if not r.candidate and r.rule == "model"]
        if len(asserted) >= 2:
            break
    assert len(asserted) >= 2
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "clips.jsonl").write_text(json.dumps({"id": doc.id, "text": doc.clipping.text},
                                                   ensure_ascii=False) + "\n", encoding="utf-8")
    by = {e.id: e.name for e in x.entities}
    base = asserted[0]          # a pair read in one sentence: the researcher adds another fact about it
    pred = "partnerOf" if base.predicate != "partnerOf" else "memberOf"
    added = {"subject": by[base.subject], "predicate": pred, "object": by[base.object]}
    gone = asserted[-1]
    rejected = {"subject": by[gone.subject], "predicate": gone.predicate, "object": by[gone.object]}
    (folder / "curation.yaml").write_text(
        "curator: Test\ndate: 2026-12-01\nclippings:\n  " + json.dumps(doc.id) + ":\n    relations:\n      - "
        + json.dumps(added, ensure_ascii=False) + "\n    reject:\n      - " + json.dumps(rejected, ensure_ascii=False)
        + "\n", encoding="utf-8")
    return folder, (added["subject"], pred, added["object"]), tuple(rejected.values())


def test_curation_becomes_partial_training_examples(tmp_path):
    folder, added, rejected = _curated_folder(tmp_path / "cur")
    docs = curation_docs([folder])
    assert len(docs) == 1 and docs[0].partial
    assert [(r["subject"], r["predicate"], r["object"]) for r in docs[0].relations] == [added]
    assert [(r["subject"], r["predicate"], r["object"]) for r in docs[0].rejected] == [rejected]
    # only the pairs the researcher touched become training rows, weighted
    from ess_graph.extract.train import CURATION_WEIGHT, relation_rows
    rows = relation_rows(docs, Extractor(learned=False))
    names = [e["name"] for e in docs[0].entities]
    touched = {(added[0], added[2]), (rejected[0], rejected[2])}
    assert rows and all((names[r.s], names[r.o]) in touched for r in rows)
    assert all(r.weight == CURATION_WEIGHT for r in rows)
    assert any(added[1] in r.labels for r in rows)


def test_train_cli_with_curation_and_errors(small_set, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["train", str(small_set), "-o", str(tmp_path / "m"), "--relations-only"])
    assert res.exit_code == 0, res.output
    assert "trained on 8 passages" in res.output
    cur, _, _ = _curated_folder(tmp_path / "curated")
    res = runner.invoke(main, ["train", str(small_set), "-o", str(tmp_path / "mc"), "--relations-only",
                               "--with-curation", str(cur)])
    assert res.exit_code == 0, res.output
    assert "trained on 9 passages" in res.output
    res = runner.invoke(main, ["train", str(tmp_path / "nowhere"), "-o", str(tmp_path / "m2")])
    assert res.exit_code == 2 and "no such file or folder" in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "clippings.jsonl").write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    (bad / "gold.jsonl").write_text('{"id": "a", "entities": []}\n{"id": \n', encoding="utf-8")
    res = runner.invoke(main, ["train", str(bad), "-o", str(tmp_path / "m3")])
    assert res.exit_code == 2
    assert "gold.jsonl:2" in res.output and "Traceback" not in res.output


def test_jobs_give_the_same_extraction():
    docs = read_sets(default_training_sets())[:70]      # two batches of 64, five tasks of 16
    ex = Extractor.default()
    one = [x.to_jsonl_record() for x in ex.extract_many([d.clipping for d in docs])]
    seen = []
    two = [x.to_jsonl_record() for x in ex.extract_many([d.clipping for d in docs], jobs=2, progress=seen.append)]
    assert one == two
    assert seen == [16, 32, 48, 64, 70]


@pytest.mark.parametrize("learned", [True, False], ids=["learned", "rules"])
@pytest.mark.parametrize("text, person, place", [
    ("Geneviève Gaillard, la maire de Saint-Louis, a inauguré la recyclerie.", "Geneviève Gaillard", "Saint-Louis"),
    ("Le maire de Saint-Denis, Paul Martin, a signé la convention.", "Paul Martin", "Saint-Denis"),
])
def test_post_in_an_unresolved_place_is_a_candidate(learned, text, person, place):
    """Several communes bear the name: the post's body is unknown, so the post is not asserted (a
    post belongs to exactly one organisation) but kept for review."""
    ex = Extractor.default() if learned else Extractor(learned=False)
    x = ex.extract(Clipping(id="p", text=text, date="2024-01-01"))
    names = {e.id: e for e in x.entities}
    roles = [r for r in x.relations if r.predicate == "hasRole" and names[r.subject].name == person
             and names[r.object].name == place]
    assert names[roles[0].object].insee is None and roles[0].role
    assert roles and all(r.candidate for r in roles)
    quads = extraction_quads(x)
    assert not any(str(q.predicate) == "<http://www.w3.org/ns/org#postIn>" for q in quads)


def test_post_in_a_resolved_place_is_asserted():
    x = Extractor.default().extract(Clipping(id="p", text="Paul Martin, maire de Guillestre, a signé.",
                                             date="2024-01-01"))
    names = {e.id: e for e in x.entities}
    assert any(r.predicate == "hasRole" and not r.candidate and names[r.object].insee == "05065"
               for r in x.relations)


@pytest.fixture(scope="module")
def real_store_counts(tmp_path_factory) -> dict[str, int]:
    """The bundled training passages, loaded: asserted facts per predicate."""
    from ess_graph.pipeline import load
    from ess_graph.store import GraphStore
    gs = GraphStore(tmp_path_factory.mktemp("real") / "store")
    load([str(p / "clippings.jsonl") for p in default_training_sets()], gs, with_reference=False, on_invalid="keep")
    ess = "https://w3id.org/essgraph/ontology#"
    found = {}
    for p in PREDICATES:
        q = f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s <{ess}{p}> ?o }} }}"
        if p == "hasRole":
            q = ("PREFIX org: <http://www.w3.org/ns/org#> SELECT (COUNT(*) AS ?n) "
                 "{ GRAPH ?g { ?s org:holds ?post . ?post org:postIn ?o } }")
        found[p] = int(next(iter(gs.store.query(q)))["n"].value)
    gs.close()
    return found


def test_store_from_real_passages_holds_facts_of_ten_predicates(real_store_counts):
    missing = [p for p, n in real_store_counts.items() if n == 0 and p != "participatesIn"]
    assert not missing, real_store_counts


@pytest.mark.xfail(strict=True, reason="participatesIn is neither asserted by the classifier (held-out precision "
                                       "under 0.4) nor read by the rules on these passages: a known gap")
def test_store_from_real_passages_holds_participation(real_store_counts):
    assert real_store_counts["participatesIn"] > 0
