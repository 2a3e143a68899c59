"""Scoring: same numbers as the project's scorer, per type/predicate, `essgraph evaluate` output."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.extract.evaluate import load_jsonl, score
from ess_graph.errors import InputError

FIX = Path(__file__).resolve().parent / "fixtures" / "extraction"

GOLD = {"g1": {"id": "g1", "entities": [
    {"text": "RTES", "type": "Network", "name": "RTES", "insee": None, "aliases": ["RTES"]},
    {"text": "Caen", "type": "Commune", "name": "Caen", "insee": "14118"},
    {"text": "Annie Berger", "type": "Person", "name": "Annie Berger"}],
    "relations": [{"subject": "Caen", "predicate": "memberOf", "object": "RTES"},
                  {"subject": "Annie Berger", "predicate": "hasRole", "object": "Caen"}]}}


def pred(entities, relations):
    return {"g1": {"id": "g1", "entities": entities, "relations": relations}}


def test_perfect_and_empty_predictions():
    perfect = score(GOLD, {"g1": GOLD["g1"]})
    assert perfect["entities_family"]["f1"] == perfect["relations"]["f1"] == 1.0
    assert perfect["by_predicate"]["memberOf"]["f1"] == 1.0
    empty = score(GOLD, {})
    assert empty["entities_family"]["f1"] == 0.0 and empty["clippings_predicted"] == 0
    assert len(empty["missed_entities"]) == 3 and len(empty["missed_relations"]) == 2


def test_matching_semantics():
    p = pred([{"id": "e1", "name": "Réseau des collectivités territoriales (RTES)", "type": "Cooperative"},
              {"id": "e2", "name": "Ville de Caen", "type": "Commune", "insee": "14118"},
              {"id": "e3", "name": "Annie Berger", "type": "Person"},
              {"id": "e4", "name": "Poitiers", "type": "Commune", "insee": "86194"}],
             [{"subject": "e2", "predicate": "memberOf", "object": "e1"},
              {"subject": "e3", "predicate": "hasRole", "object": "e2", "candidate": True},
              {"subject": "e4", "predicate": "memberOf", "object": "e1"}])
    res = score(GOLD, p)
    assert res["entities_family"]["tp"] == 3            # acronym in brackets, same code, same name
    assert res["entities_typed"]["tp"] == 2             # Cooperative != Network
    assert res["wrong_types"][0]["name"] == "RTES"
    assert res["relations"]["tp"] == 1 and res["relations"]["predicted"] == 2   # candidate not scored
    assert res["by_predicate"]["hasRole"]["recall"] == 0.0
    assert res["spurious_entities"] == [{"clipping": "g1", "type": "Commune", "name": "Poitiers"}]
    assert res["spurious_relations"][0]["subject"] == "Poitiers"
    assert res["territory_code_accuracy"] == 1.0


def test_same_headline_as_the_project_scorer(tmp_path, shared_dir):
    SCORER = shared_dir / "tools" / "score_extraction.py"
    out = tmp_path / "pred.jsonl"
    assert CliRunner().invoke(main, ["extract", str(FIX / "clippings.jsonl"), "-o", str(out)]).exit_code == 0
    ours = score(load_jsonl(FIX / "gold.jsonl"), load_jsonl(out))
    p = subprocess.run([sys.executable, str(SCORER), str(FIX / "gold.jsonl"), str(out), "--json"],
                       capture_output=True, text=True, check=True)
    theirs = json.loads(p.stdout[:p.stdout.rindex("}") + 1])
    for k in ("entities_family", "entities_typed", "relations", "by_family"):
        assert ours[k] == theirs[k]
    assert ours["territory_code_accuracy"] == theirs["territory_code_accuracy"]


def test_evaluate_command_text_and_json(tmp_path):
    r = CliRunner().invoke(main, ["evaluate", str(FIX / "tune" / "gold.jsonl")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[-1].startswith("entity_f1=") and "relation_f1=" in lines[-1]
    assert any(l.startswith("by predicate:") for l in lines)
    assert any(l.strip().startswith("hasRole") for l in lines)
    r = CliRunner().invoke(main, ["evaluate", str(FIX / "tune" / "gold.jsonl"),
                                  str(FIX / "tune" / "clippings.jsonl"), "--json"])
    res = json.loads(r.output)
    assert res["clippings"] == res["clippings_predicted"] == 4
    assert {"missed_entities", "spurious_relations", "by_type", "by_predicate"} <= set(res)
    # scoring an existing prediction file without extracting
    pred_file = tmp_path / "p.jsonl"
    pred_file.write_text(json.dumps({"id": "fx-t1-scic-agglo", "entities": [], "relations": []}) + "\n")
    r = CliRunner().invoke(main, ["evaluate", str(FIX / "tune" / "gold.jsonl"), "--predicted", str(pred_file), "--json"])
    res = json.loads(r.output)
    assert res["clippings_predicted"] == 1 and res["entities_family"]["tp"] == 0


def test_bad_gold_is_an_input_error(tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"id": "x", "entities": []}\n[1, 2\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_jsonl(bad)
    assert e.value.line == 2
    r = CliRunner().invoke(main, ["evaluate", str(bad)])
    assert r.exit_code == 2 and "gold.jsonl:2" in r.output
    r = CliRunner().invoke(main, ["evaluate", str(FIX / "tune" / "gold.jsonl"), str(tmp_path / "none.jsonl")])
    assert r.exit_code == 2 and "none.jsonl" in r.output
