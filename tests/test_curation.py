"""Curation files: add, reject, confirm, retype, rename; survive re-extraction; errors name file and line."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ess_graph.curation import apply_curation, find_curation_files, load_curation
from ess_graph.errors import InputError
from ess_graph.extract import Extractor
from ess_graph.model import Clipping

TEXT = ("La ville de Caumont-sur-Durance propose un contrat de santé. "
        "La Mutuelle générale d'Avignon (MGA) a conçu ce contrat. "
        "« C'est gagnant-gagnant », dit Véronique Debue, adjointe déléguée aux Affaires sociales. "
        "Pour moi, il va de soi que notre municipalité rejoigne le RTES. "
        "Les villages de Guillestre et Ceillac, dans les Hautes-Alpes, exploitent une microcentrale.")


@pytest.fixture(scope="session")
def ex() -> Extractor:
    return Extractor.default()


@pytest.fixture()
def extraction(ex):
    return ex.extract_many([Clipping(id="c1", text=TEXT, date="2013-05-02")])


def write(tmp_path: Path, body: str, name: str = "curation.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def triples(x, **kw):
    by = {e.id: e.name for e in x.entities}
    return {(by[r.subject], r.predicate, by[r.object]) for r in x.relations
            if all(getattr(r, k) == v for k, v in kw.items())}


CURATION = """\
    curator: Jeanne Martin
    date: 2024-05-02
    clippings:
      c1:
        entities:
          - {name: Microcentrale du Cristillan, type: Initiative, aliases: [microcentrale]}
        retype:
          - {entity: RTES, type: Network}
        rename:
          - {entity: MGA, name: Mutuelle Générale d'Avignon}
        relations:
          - subject: Véronique Debue
            predicate: hasRole
            object: Caumont-sur-Durance
            role: adjointe déléguée aux affaires sociales
            evidence: "dit Véronique Debue, adjointe déléguée aux Affaires sociales"
          - {subject: Guillestre, predicate: organizes, object: Microcentrale du Cristillan}
        confirm:
          - {subject: Caumont-sur-Durance, predicate: memberOf, object: RTES}
        reject:
          - {subject: Ceillac, predicate: locatedIn, object: Hautes-Alpes}
"""


def test_apply_add_reject_confirm_retype_rename(tmp_path, extraction):
    before = extraction[0]
    assert ("Ceillac", "locatedIn", "Hautes-Alpes") in triples(before)
    cands = triples(before, candidate=True)
    assert ("Caumont-sur-Durance", "memberOf", next(e.name for e in before.entities if "RTES" in e.aliases)) in cands
    cur = load_curation(write(tmp_path, CURATION))
    assert cur.curator == "Jeanne Martin" and cur.date == "2024-05-02"
    after = apply_curation(extraction, cur)[0]
    t = triples(after)
    assert ("Ceillac", "locatedIn", "Hautes-Alpes") not in t
    assert ("Guillestre", "locatedIn", "Hautes-Alpes") in t           # untouched
    assert ("Véronique Debue", "hasRole", "Caumont-sur-Durance") in triples(after, candidate=False)
    assert ("Guillestre", "organizes", "Microcentrale du Cristillan") in t
    rtes = next(e for e in after.entities if "RTES" in e.aliases or e.name == "RTES")
    assert ("Caumont-sur-Durance", "memberOf", rtes.name) in triples(after, candidate=False, source="curation")
    added = next(e for e in after.entities if e.name == "Microcentrale du Cristillan")
    assert added.source == "curation" and added.mentions and added.mentions[0].text == "microcentrale"
    mga = next(e for e in after.entities if e.name == "Mutuelle Générale d'Avignon")
    assert "Mutuelle générale d'Avignon" in mga.aliases
    for r in after.relations:
        if r.source == "curation":
            assert r.curator == "Jeanne Martin" and r.curated_at == "2024-05-02"
    role = next(r for r in after.relations if r.predicate == "hasRole" and r.source == "curation")
    assert TEXT[role.evidence_start:role.evidence_end] == role.evidence
    # the input extraction is not modified
    assert ("Ceillac", "locatedIn", "Hautes-Alpes") in triples(before)
    rec = after.to_jsonl_record()
    assert any(r.get("source") == "curation" for r in rec["relations"])


def test_curation_survives_reextraction(tmp_path, ex):
    cur = load_curation(write(tmp_path, CURATION))
    first = apply_curation(ex.extract_many([Clipping(id="c1", text=TEXT)]), cur)[0]
    again = apply_curation(Extractor().extract_many([Clipping(id="c1", text=TEXT)]), cur)[0]
    assert triples(first) == triples(again)
    assert {e.name for e in first.entities} == {e.name for e in again.entities}


def test_find_curation_files(tmp_path):
    (tmp_path / "sub").mkdir()
    a = write(tmp_path, CURATION)
    b = write(tmp_path / "sub", CURATION, name="team.curation.yaml")
    write(tmp_path, "x: 1", name="other.yaml")
    assert find_curation_files([tmp_path]) == [a, b]
    assert find_curation_files([b]) == [b]


@pytest.mark.parametrize("body,line,msg", [
    ("curator: A\ndate: 2024-01-01\nclippings:\n\tc1: {}\n", 4, "invalid YAML"),
    ("curator: A\ndate: 2024-01-01\n  bad: indent\n", 3, "invalid YAML"),
    ("date: 2024-01-01\nclippings: {}\n", 1, "missing 'curator'"),
    ("curator: A\ndate: hier\n", 2, "ISO date"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    adds: []\n", 5, "unknown section"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    relations:\n      - {subject: a, predicate: likes, object: b}\n",
     6, "unknown predicate"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    entities:\n      - {name: X, type: Planet}\n", 6, "unknown type"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    reject:\n      - {subject: a, object: b}\n", 6, "without 'predicate'"),
])
def test_malformed_files_name_the_line(tmp_path, body, line, msg):
    p = tmp_path / "curation.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_curation(p)
    assert e.value.line == line and msg in e.value.message and e.value.source == str(p)


@pytest.mark.parametrize("body,line,msg", [
    ("curator: A\ndate: 2024-01-01\nclippings:\n  nope:\n    reject: []\n", 4, "unknown clipping id 'nope'"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    retype:\n      - {entity: Atlantis, type: Region}\n",
     6, "unknown entity 'Atlantis'"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    confirm:\n      - {subject: Guillestre, predicate: funds, object: Ceillac}\n",
     6, "to confirm"),
    ("curator: A\ndate: 2024-01-01\nclippings:\n  c1:\n    relations:\n"
     "      - {subject: Guillestre, predicate: funds, object: Ceillac, evidence: pas dans le texte}\n",
     6, "evidence not found"),
])
def test_unknown_ids_name_the_line(tmp_path, extraction, body, line, msg):
    p = tmp_path / "curation.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as e:
        apply_curation(extraction, load_curation(p))
    assert e.value.line == line and msg in e.value.message
