"""Behaviour of ess_graph.validate and `essgraph validate` (fast engine, pySHACL, reports, errors)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph

from ess_graph.cli import main as cli
from ess_graph.errors import InputError
from ess_graph.store import GraphStore
from ess_graph.validate import ValidationReport, changed_graphs, validate

ROOT = Path(__file__).resolve().parent.parent
ESS = "https://w3id.org/essgraph/ontology#"
ID = "https://w3id.org/essgraph/id/"

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:OrgShape a sh:NodeShape ; sh:targetClass ex:Org ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "An organisation has a label."@en ] ;
  sh:property [ sh:path ex:code ; sh:datatype xsd:string ; sh:pattern "^[0-9]{5}$" ; sh:severity sh:Warning ] .
"""

DATA = """
@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:a a ex:Org ; rdfs:label "A" ; ex:code "05065" .
ex:b a ex:Org ; ex:code "5065" .
"""

KEYS = ["focusNode", "resultPath", "value", "sourceShape", "sourceConstraintComponent", "severity", "message"]


@pytest.fixture
def files(tmp_path):
    s = tmp_path / "shapes.ttl"
    s.write_text(SHAPES, encoding="utf-8")
    d = tmp_path / "data.ttl"
    d.write_text(DATA, encoding="utf-8")
    return d, s


def norm(report: ValidationReport) -> Counter:
    return Counter(tuple(r[k] for k in KEYS[:-1]) for r in report.results)


def test_results_from_files(files):
    d, s = files
    r = validate([d], [s])
    assert not r.conforms
    assert [x["sourceConstraintComponent"].rsplit("#")[-1] for x in r.results] == \
        ["MinCountConstraintComponent", "PatternConstraintComponent"] or len(r.results) == 2
    by = {x["sourceConstraintComponent"].rsplit("#")[-1]: x for x in r.results}
    mc = by["MinCountConstraintComponent"]
    assert mc["focusNode"] == "http://example.org/b" and mc["value"] is None
    assert mc["resultPath"] == "http://www.w3.org/2000/01/rdf-schema#label"
    assert mc["message"] == "An organisation has a label."
    assert mc["severity"].endswith("#Violation")
    pat = by["PatternConstraintComponent"]
    assert pat["value"] == '"5065"' and pat["severity"].endswith("#Warning")
    assert all(list(x) == KEYS for x in r.results)


def test_conforms_and_warning_only_still_nonconforming(tmp_path, files):
    d, s = files
    good = tmp_path / "good.ttl"
    good.write_text('@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                    'ex:a a ex:Org ; rdfs:label "A" ; ex:code "05065" .\n', encoding="utf-8")
    assert validate([good], [s]).conforms
    warn = tmp_path / "warn.ttl"
    warn.write_text('@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n'
                    'ex:a a ex:Org ; rdfs:label "A" ; ex:code "x" .\n', encoding="utf-8")
    r = validate([warn], [s])
    assert not r.conforms and r.counts() == {"Warning": 1}


def test_engines_agree(files):
    d, s = files
    assert norm(validate([d], [s])) == norm(validate([d], [s], engine="pyshacl"))


def test_json_turtle_deterministic(files):
    d, s = files
    a, b = validate([d], [s]), validate([d], [s])
    doc = json.loads(a.to_json())
    assert set(doc) == {"conforms", "results"} and doc["conforms"] is False
    assert a.to_json() == b.to_json()
    assert a.to_turtle() == b.to_turtle()
    g = Graph().parse(data=a.to_turtle(), format="turtle")
    sh = "http://www.w3.org/ns/shacl#"
    from rdflib import URIRef
    assert len(list(g.objects(None, URIRef(sh + "result")))) == 2
    # blank-node shapes have stable identities
    assert [x["sourceShape"] for x in a.results] == [x["sourceShape"] for x in b.results]
    assert all(x["sourceShape"].startswith("_:") for x in a.results)


@pytest.mark.parametrize("ext,content", [
    (".nt", '<http://example.org/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Org> .\n'),
    (".jsonld", '{"@id": "http://example.org/b", "@type": "http://example.org/Org"}'),
    (".rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
             'rdf:about="http://example.org/b"><rdf:type rdf:resource="http://example.org/Org"/>'
             '</rdf:Description></rdf:RDF>'),
])
def test_formats_by_extension(tmp_path, files, ext, content):
    _, s = files
    f = tmp_path / f"d{ext}"
    f.write_text(content, encoding="utf-8")
    r = validate([f], [s])
    assert [x["focusNode"] for x in r.results] == ["http://example.org/b"]


def test_bad_inputs(tmp_path, files):
    d, s = files
    with pytest.raises(InputError, match="no such file"):
        validate([tmp_path / "missing.ttl"], [s])
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b \"oops\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        validate([bad], [s])
    assert e.value.source == str(bad) and e.value.line == 3 and e.value.column is not None
    with pytest.raises(InputError) as e:
        validate([d], [bad])
    assert e.value.line == 3
    with pytest.raises(InputError, match="extension"):
        validate([tmp_path / "x.csv"], [s])
    with pytest.raises(InputError, match="engine"):
        validate([d], [s], engine="nope")
    badpath = tmp_path / "badpath.ttl"
    badpath.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
                       'ex:S sh:targetNode ex:a ; sh:property [ sh:path "lit" ; sh:minCount 1 ] .\n')
    with pytest.raises(InputError, match="invalid shapes"):
        validate([d], [badpath])


def test_uncompilable_constraint_goes_to_pyshacl(tmp_path, files):
    d, _ = files
    s = tmp_path / "s.ttl"
    # a blank node inside sh:in cannot be written in SPARQL: pySHACL validates that shape
    s.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
                 "ex:S sh:targetClass ex:Org ; sh:property [ sh:path ex:code ; sh:in ( [] \"05065\" ) ] .\n"
                 "ex:T sh:targetClass ex:Org ; sh:property [ sh:path ex:code ; sh:maxLength 4 ] .\n")
    r = validate([d], [s])
    assert [k for k, _ in r.fallback] == ["http://example.org/S"]
    comps = sorted(x["sourceConstraintComponent"].rsplit("#")[-1] for x in r.results)
    assert comps == ["InConstraintComponent", "MaxLengthConstraintComponent"]
    assert norm(r) == norm(validate([d], [s], engine="pyshacl"))


def _clipping_quads(key: str, org: str, label: bool) -> str:
    c = f"{ID}clipping/{key}"
    a = f"{ID}annotation/{key}"
    lines = [
        f'<{c}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ESS}Clipping> <{c}> .',
        f'<{c}> <{ESS}sourceFile> "clips/{key}.txt" <{c}> .',
        f'<{c}> <{ESS}sourceLine> "10"^^<http://www.w3.org/2001/XMLSchema#integer> <{c}> .',
        f'<{c}> <http://schema.org/text> "line one\\nthe Coop here" <{c}> .',
        f'<{org}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Org> <{c}> .',
        f'<{a}> <http://www.w3.org/ns/oa#hasBody> <{org}> <{c}> .',
        f'<{a}> <http://www.w3.org/ns/oa#hasTarget> <{a}#t> <{c}> .',
        f'<{a}#t> <http://www.w3.org/ns/oa#hasSource> <{c}> <{c}> .',
        f'<{a}#t> <http://www.w3.org/ns/oa#hasSelector> <{a}#p> <{c}> .',
        f'<{a}#p> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/oa#TextPositionSelector> <{c}> .',
        f'<{a}#p> <http://www.w3.org/ns/oa#start> "13"^^<http://www.w3.org/2001/XMLSchema#integer> <{c}> .',
        f'<{a}#p> <http://www.w3.org/ns/oa#end> "17"^^<http://www.w3.org/2001/XMLSchema#integer> <{c}> .',
    ]
    if label:
        lines.append(f'<{org}> <http://www.w3.org/2000/01/rdf-schema#label> "ok" <{c}> .')
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    gs = GraphStore(path)
    nq = _clipping_quads("k1", "http://example.org/org1", label=False) + \
        _clipping_quads("k2", "http://example.org/org2", label=False)
    gs.store.load(nq.encode(), format=ox.RdfFormat.N_QUADS)
    gs.store.add(ox.Quad(ox.NamedNode(ID + "load/latest"), ox.NamedNode(ESS + "changedGraph"),
                         ox.NamedNode(ID + "clipping/k2"), ox.NamedNode(ID + "graph/provenance")))
    gs.close()
    return path


def test_store_report_points_to_clipping_and_position(store, files):
    _, s = files
    r = validate(GraphStore(store, read_only=True), [s])
    assert sorted(x["focusNode"] for x in r.results) == ["http://example.org/org1", "http://example.org/org2"]
    text = r.to_text()
    assert "clipping essr:clipping/k1" in text and "(clips/k1.txt)" in text
    # start 13 is on the second line of the clipping text, which starts at line 10 of the file
    assert "clips/k1.txt:11 (chars 13-17 of the clipping text)" in text
    assert "An organisation has a label." in text


def test_changed_restricts_focus_nodes(store, files):
    _, s = files
    gs = GraphStore(store, read_only=True)
    assert changed_graphs(gs.store) == [ID + "clipping/k2"]
    for engine in ("fast", "pyshacl"):
        r = validate(gs, [s], changed=True, engine=engine)
        assert [x["focusNode"] for x in r.results] == ["http://example.org/org2"], engine
    r = validate(gs, [s], focus_graphs=[ID + "clipping/k1"])
    assert [x["focusNode"] for x in r.results] == ["http://example.org/org1"]
    assert validate(gs, [s], focus_graphs=[]).conforms


def test_read_only_while_store_in_use(store, files):
    _, s = files
    writer = GraphStore(store)          # the store is open for writing elsewhere
    try:
        r = validate(GraphStore(store, read_only=True), [s])
        assert len(r.results) == 2
    finally:
        writer.close()


def test_bundled_shapes_agree_with_pyshacl(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gen_graph
    nq = tmp_path / "g.nq"
    gen_graph.main(["4000", str(nq), "--violation-rate", "0.05"])
    fast, ref = validate([nq]), validate([nq], engine="pyshacl")
    assert fast.fallback == []
    assert len(fast.results) > 0 and norm(fast) == norm(ref)


def test_cli(store, files, tmp_path):
    d, s = files
    run = CliRunner().invoke
    res = run(cli, ["validate", str(d), "--shapes", str(s), "--format", "json"])
    assert res.exit_code == 1 and len(json.loads(res.output)["results"]) == 2
    good = tmp_path / "good.ttl"
    good.write_text('@prefix ex: <http://example.org/> .\nex:x ex:p ex:y .\n', encoding="utf-8")
    res = run(cli, ["validate", str(good), "--shapes", str(s)])
    assert res.exit_code == 0 and "conforms" in res.output
    res = run(cli, ["validate", str(tmp_path / "nope.ttl"), "--shapes", str(s)])
    assert res.exit_code == 2 and "no such file" in res.output
    res = run(cli, ["validate", "--store", str(store), "--shapes", str(s), "--changed", "--format", "turtle"])
    assert res.exit_code == 1
    g = Graph().parse(data=res.output, format="turtle")
    assert len(g) > 0 and "org2" in res.output and "org1" not in res.output
    res = run(cli, ["validate", "--store", str(store), "--shapes", str(s), "--engine", "pyshacl", "--format", "json"])
    assert res.exit_code == 1 and len(json.loads(res.output)["results"]) == 2
    res = run(cli, ["validate", "--store", str(tmp_path / "none"), "--shapes", str(s)])
    assert res.exit_code == 2
