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
    assert "clipping clipping:k1" in text and "(clips/k1.txt)" in text
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


SCREEN_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ; sh:pattern "^[0-9]{3}$" ] ;
  sh:property [ sh:path ex:count ; sh:maxCount 1 ; sh:datatype xsd:integer ; sh:minInclusive 0 ] ;
  sh:property [ sh:path ex:flag ; sh:datatype xsd:boolean ] ;
  sh:property [ sh:path ex:size ; sh:datatype xsd:integer ] ;
  sh:property [ sh:path ex:owner ; sh:class ex:Agent ; sh:nodeKind sh:IRI ] ;
  sh:property [ sh:path ( ex:part ex:kind ) ; sh:minCount 1 ; sh:in ( ex:A ex:B ) ] ;
  sh:property [ sh:path [ sh:inversePath ex:owns ] ; sh:maxCount 1 ] ;
  sh:property [ sh:path [ sh:alternativePath ( ex:tag ex:label ) ] ; sh:hasValue "x" ; sh:minLength 1 ] ;
  sh:property [ sh:path ex:start ; sh:lessThan ex:end ] ;
  sh:property [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Main ] ;
                sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ] ;
  sh:property [ sh:path rdfs:label ; sh:uniqueLang true ] .
"""

SCREEN_DATA = """
@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:ok a ex:Thing ; ex:code "123" ; ex:count 4 ; ex:flag true ; ex:owner ex:p ; ex:part ex:q ;
  ex:tag "x" ; ex:start 1 ; ex:end 2 ; rdfs:label "a"@en .
ex:p a ex:Person . ex:Person rdfs:subClassOf ex:Agent . ex:q a ex:Main ; ex:kind ex:A . ex:o1 ex:owns ex:ok .
ex:bad1 a ex:Thing ; ex:code "12", "456" ; ex:count "lots"^^xsd:integer ; ex:flag "yes"^^xsd:boolean ;
  ex:owner ex:nobody, "lit" ; ex:part ex:r, ex:s ; ex:label "x" ; ex:start 5 ; ex:end 2 ;
  rdfs:label "a"@en, "b"@en .
ex:r a ex:Main ; ex:kind ex:C . ex:s a ex:Main ; ex:kind ex:A .
ex:o2 ex:owns ex:bad1 . ex:o3 ex:owns ex:bad1 .
ex:bad2 a ex:Thing ; ex:count -1, 2 ; ex:tag "" .
ex:s3 a ex:Thing ; ex:code "123" ; ex:part ex:q ; ex:tag "x" ; ex:size "1.5"^^xsd:integer, 7 .
ex:s4 a ex:Thing ; ex:code "123" ; ex:part ex:q ; ex:tag "x" ; ex:owner ex:q .
ex:s5 a ex:Thing ; ex:code "123" ; ex:part ex:q, ex:s ; ex:tag "x" .
ex:s6 a ex:Thing ; ex:code "123" ; ex:part ex:q ; ex:tag "x" ; ex:start 3 ; ex:end 3 .
ex:s7 a ex:Thing ; ex:code "123" ; ex:part ex:q ; ex:tag "y" .
ex:s8 a ex:Thing ; ex:code "123" ; ex:part ex:q ; ex:tag "x" ; ex:flag "2"^^xsd:boolean .
"""


def _screen_files(tmp_path):
    s = tmp_path / "screen-shapes.ttl"
    s.write_text(SCREEN_SHAPES, encoding="utf-8")
    d = tmp_path / "screen-data.ttl"
    d.write_text(SCREEN_DATA, encoding="utf-8")
    return d, s


def test_screening_gives_the_same_results(tmp_path, monkeypatch):
    """Simple property shapes are screened by one query, then evaluated on the suspects only:
    same results as pySHACL and as the per-constraint queries on every focus node."""
    from ess_graph.validate import engine as eng
    d, s = _screen_files(tmp_path)
    screened = []
    real = eng.FastEngine._screen

    def spy(self, shape, fp, stack):
        nodes, sfp = real(self, shape, fp, stack)
        screened.append((len(nodes), sfp is not None))
        return nodes, sfp
    monkeypatch.setattr(eng.FastEngine, "_screen", spy)
    fast = validate([d], [s])
    # all property shapes but uniqueLang are screened, and there are suspects
    assert [x for x in screened if x[0]] == [(10, True)]
    comps = Counter(r["sourceConstraintComponent"].rsplit("#")[-1] for r in fast.results)
    assert comps == Counter({"MinCountConstraintComponent": 2, "MaxCountConstraintComponent": 3,
                             "PatternConstraintComponent": 1, "DatatypeConstraintComponent": 4,
                             "MinInclusiveConstraintComponent": 2, "ClassConstraintComponent": 3,
                             "NodeKindConstraintComponent": 1, "InConstraintComponent": 1,
                             "HasValueConstraintComponent": 2, "MinLengthConstraintComponent": 1,
                             "LessThanConstraintComponent": 2, "QualifiedMaxCountConstraintComponent": 2,
                             "QualifiedMinCountConstraintComponent": 1, "UniqueLangConstraintComponent": 1})
    # each sN has a single kind of violation, which the screen must catch
    assert {r["focusNode"].rsplit("/", 1)[-1] for r in fast.results} == \
        {"bad1", "bad2", "s3", "s4", "s5", "s6", "s7", "s8"}
    assert norm(fast) == norm(validate([d], [s], engine="pyshacl"))
    monkeypatch.setattr(eng.FastEngine, "_screen", lambda self, shape, fp, stack: (set(), None))
    assert norm(validate([d], [s])) == norm(fast)


def test_screening_without_suspects_and_with_too_many(tmp_path, monkeypatch):
    from ess_graph.validate import engine as eng
    d, s = _screen_files(tmp_path)
    expected = norm(validate([d], [s], engine="pyshacl"))
    monkeypatch.setattr(eng, "SCREEN_MAX", 1)      # too many suspects: every focus node evaluated
    assert norm(validate([d], [s])) == expected
    good = tmp_path / "good.ttl"
    good.write_text(SCREEN_DATA.split("ex:bad1")[0], encoding="utf-8")
    r = validate([good], [s])
    monkeypatch.setattr(eng.FastEngine, "_screen", lambda self, shape, fp, stack: (set(), None))
    unscreened = validate([good], [s])
    assert r.conforms and unscreened.conforms
    # the screen finds no suspect: the screened shapes need no other query
    assert r.stats["queries"] <= 5 < 20 <= unscreened.stats["queries"]
