"""`essgraph extract`: JSONL the project's scorer reads, TriG/Turtle through the mapping, errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ess_graph.cli import main

DEV = Path(__file__).resolve().parent.parent / "data" / "annotations" / "dev-gold" / "train"
FIX = Path(__file__).resolve().parent / "fixtures" / "extraction"


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_jsonl_is_read_by_the_project_scorer(tmp_path, shared_dir):
    SCORER = shared_dir / "tools" / "score_extraction.py"
    out = tmp_path / "pred.jsonl"
    r = invoke("extract", str(DEV / "clippings.jsonl"), "--format", "jsonl", "-o", str(out))
    assert r.exit_code == 0, r.output
    recs = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert {r["id"] for r in recs} == {"seed-000", "seed-002"}
    p = subprocess.run([sys.executable, str(SCORER), str(DEV / "gold.jsonl"), str(out), "--json"],
                       capture_output=True, text=True, check=True)
    res = json.loads(p.stdout[:p.stdout.rindex("}") + 1])
    assert res["clippings_predicted"] == 2
    assert res["entities_family"]["f1"] >= 0.80
    assert res["relations"]["f1"] >= 0.45
    assert res["territory_code_accuracy"] >= 0.90


def test_jsonl_byte_identical_across_runs(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for p in (a, b):
        assert invoke("extract", str(FIX / "tune" / "clippings.jsonl"), "-o", str(p)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    rec = json.loads(a.read_text(encoding="utf-8").splitlines()[0])
    assert rec["entities"] and all("iri" in e and "mentions" in e for e in rec["entities"])


@pytest.mark.parametrize("fmt", ["trig", "turtle"])
def test_rdf_formats_parse(tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    r = invoke("extract", str(FIX / "tune" / "clippings.jsonl"), "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.TURTLE)
    assert len(store) > 100
    ask = "ASK { ?m a <http://www.w3.org/ns/org#Membership> }"
    if fmt == "trig":
        ask = "ASK { GRAPH ?g { ?m a <http://www.w3.org/ns/org#Membership> } }"
    assert store.query(ask)


def test_extract_curation_beside_clippings(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "c.jsonl").write_text(json.dumps({"id": "k1", "text": "La coopérative Enercoop fournit la commune de Die."},
                                            ensure_ascii=False) + "\n", encoding="utf-8")
    (src / "curation.yaml").write_text(
        "curator: Ana\ndate: 2024-02-02\nclippings:\n  k1:\n    reject:\n"
        "      - {subject: Enercoop, predicate: supplies, object: Die}\n", encoding="utf-8")
    r = invoke("extract", str(src))
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output.splitlines()[0])
    assert not any(x["predicate"] == "supplies" for x in rec["relations"])


def test_extract_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "ok"}\n{not json\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["extract", str(bad)])
    assert r.exit_code != 0
    assert "bad.jsonl:2" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["extract", str(tmp_path / "missing.jsonl")])
    assert r.exit_code != 0 and "no such file" in r.output
