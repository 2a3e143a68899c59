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


# -- context graphs: validated once when written, kept as data context ---------------------

CTX_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:CommuneShape a sh:NodeShape ; sh:targetClass ex:Commune ;
  sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:maxCount 1 ; sh:pattern "^[0-9]{5}$" ] .
ex:CentroidShape a sh:NodeShape ; sh:targetObjectsOf ex:centroid ;
  sh:property [ sh:path ex:wkt ; sh:minCount 1 ] .
ex:OrgShape a sh:NodeShape ; sh:targetClass ex:Org ;
  sh:property [ sh:path ex:locatedIn ; sh:class ex:Territory ] ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .
"""
REF = ID + "graph/reference/cog-test"
EX = "http://example.org/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _ctx_store(bad_code: bool = False) -> ox.Store:
    lines = [f'<{REF}> <{ESS}contentHash> "h1" <{REF}> .']
    for i in range(30):
        c = f"{EX}c{i}"
        code = "5X" if bad_code and i == 7 else f"050{i:02d}"
        lines += [f"<{c}> <{TYPE}> <{EX}Commune> <{REF}> .", f"<{c}> <{TYPE}> <{EX}Territory> <{REF}> .",
                  f'<{c}> <{EX}code> "{code}" <{REF}> .', f"<{c}> <{EX}centroid> <{c}#p> <{REF}> .",
                  f'<{c}#p> <{EX}wkt> "POINT(1 2)" <{REF}> .']
    g = f"{ID}clipping/k1"
    lines += [
        f"<{EX}o1> <{TYPE}> <{EX}Org> <{g}> .", f'<{EX}o1> <http://www.w3.org/2000/01/rdf-schema#label> "o" <{g}> .',
        f"<{EX}o1> <{EX}locatedIn> <{EX}c1> <{g}> .",                 # a territory of the context graph
        f"<{EX}o2> <{TYPE}> <{EX}Org> <{g}> .", f"<{EX}o2> <{EX}locatedIn> <{EX}nowhere> <{g}> .",
        f'<{EX}c2> <{EX}code> "99" <{g}> .',                         # a context node touched by a clipping
        f"<{EX}newc> <{TYPE}> <{EX}Commune> <{g}> .",                 # a target found in the clipping only
        f"<{EX}o1> <{EX}centroid> <{EX}pt> <{g}> .",                  # objectsOf target from the clipping
    ]
    st = ox.Store()
    st.load(("\n".join(lines) + "\n").encode(), format=ox.RdfFormat.N_QUADS)
    return st


def test_context_graph_is_validated_once_and_kept_as_context(tmp_path, monkeypatch):
    import ess_graph.validate as V
    from ess_graph.validate.context import record_iri, record_validation, recorded
    s = tmp_path / "s.ttl"
    s.write_text(CTX_SHAPES)
    st = _ctx_store()
    rec = record_validation(st, REF, [s])
    assert rec["conforms"] and rec["contentHash"] == "h1" and rec["results"] == 0
    assert rec["shapes"].startswith("urn:sha256:")
    # the record lives in the graph it describes
    assert st.query(f"ASK {{ GRAPH <{REF}> {{ <{record_iri(REF)}> "
                    f"<http://www.w3.org/ns/shacl#conforms> true }} }}")
    calls = []
    real = V.validate
    monkeypatch.setattr(V, "validate", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert record_validation(st, REF, [s]) == rec and not calls       # not validated again
    monkeypatch.setattr(V, "validate", real)
    r = validate(st, [s])
    ctx = r.stats["context"]
    assert [g["graph"] for g in ctx["graphs"]] == [REF]
    assert "http://example.org/CommuneShape" in ctx["local_shapes"]
    assert "http://example.org/OrgShape" not in ctx["local_shapes"]      # sh:class reads value nodes
    full = validate(st, [s], full=True)
    assert "context" not in full.stats
    assert norm(r) == norm(full) == norm(validate(st, [s], engine="pyshacl"))
    focus = Counter((x["focusNode"], x["sourceConstraintComponent"].rsplit("#")[-1]) for x in r.results)
    assert focus == Counter({(EX + "c2", "MaxCountConstraintComponent"): 1,
                             (EX + "c2", "PatternConstraintComponent"): 1,
                             (EX + "newc", "MinCountConstraintComponent"): 1,
                             (EX + "pt", "MinCountConstraintComponent"): 1,
                             (EX + "o2", "ClassConstraintComponent"): 1,
                             (EX + "o2", "MinCountConstraintComponent"): 1})
    # the record no longer matches: a changed content hash, or other shapes
    st.update(f'DELETE DATA {{ GRAPH <{REF}> {{ <{REF}> <{ESS}contentHash> "h1" }} }} ; '
              f'INSERT DATA {{ GRAPH <{REF}> {{ <{REF}> <{ESS}contentHash> "h2" }} }}')
    assert "context" not in validate(st, [s]).stats
    assert recorded(st, REF)["contentHash"] == "h1"
    assert record_validation(st, REF, [s])["contentHash"] == "h2"
    s2 = tmp_path / "s2.ttl"
    s2.write_text(CTX_SHAPES + "\n# another version\n")
    assert "context" in validate(st, [s]).stats and "context" not in validate(st, [s2]).stats


def test_context_graph_with_violations_is_validated_every_time(tmp_path):
    from ess_graph.validate.context import record_validation
    s = tmp_path / "s.ttl"
    s.write_text(CTX_SHAPES)
    st = _ctx_store(bad_code=True)
    rec = record_validation(st, REF, [s])
    assert not rec["conforms"] and rec["results"] == 1
    r = validate(st, [s])
    assert "context" not in r.stats
    assert (EX + "c7") in {x["focusNode"] for x in r.results}
    assert norm(r) == norm(validate(st, [s], engine="pyshacl"))


def test_subclass_axioms_in_a_clipping_disable_the_shortcut(tmp_path):
    from ess_graph.validate.context import record_validation
    s = tmp_path / "s.ttl"
    s.write_text(CTX_SHAPES)
    st = _ctx_store()
    record_validation(st, REF, [s])
    st.add(ox.Quad(ox.NamedNode(EX + "Big"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                   ox.NamedNode(EX + "Commune"), ox.NamedNode(ID + "clipping/k1")))
    r = validate(st, [s])
    assert "context" not in r.stats
    assert norm(r) == norm(validate(st, [s], engine="pyshacl"))


def test_loaded_store_records_the_reference_validation(sample_store):
    from ess_graph.validate.context import recorded
    path, report = sample_store
    gs = GraphStore(path, read_only=True)
    rec = recorded(gs.store, report.reference_graph)
    assert rec and rec["conforms"] and rec["results"] == 0
    r = validate(gs)
    assert r.stats["context"]["graphs"][0]["graph"] == report.reference_graph
    assert r.conforms and validate(gs, full=True).conforms
    out = CliRunner().invoke(cli, ["validate", "--store", str(path)])
    assert out.exit_code == 0 and "validated when written" in out.output


# -- hostile shapes and RDF/XML ------------------------------------------------------------

LOL = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
{decls}
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>{body}</ex:p></rdf:Description>
</rdf:RDF>
"""


def test_xml_entity_expansion_is_refused(tmp_path, files):
    _, s = files
    decls = "\n".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                      for i in range(1, 10))
    lol = tmp_path / "lol.rdf"
    lol.write_text(LOL.format(decls=decls, body="&lol9;"))
    out = CliRunner().invoke(cli, ["validate", str(lol), "--shapes", str(s)])
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert out.output.strip().splitlines() == [
        f"essgraph: error: {lol}:2: refused: XML entity 'lol6' expands to more than 1,048,576 characters "
        "(entity expansion limit)"]
    # quadratic blow-up: one large entity referenced many times
    quad = tmp_path / "quad.rdf"
    quad.write_text(LOL.format(decls=f' <!ENTITY big "{"x" * 100000}">', body="&big;" * 1000))
    with pytest.raises(InputError, match="references expand to more than"):
        validate([quad], [s])
    ext = tmp_path / "ext.rdf"
    ext.write_text(LOL.format(decls=' <!ENTITY e SYSTEM "file:///etc/passwd">', body="&e;"))
    with pytest.raises(InputError, match="external XML entity 'e'"):
        validate([ext], [s])
    with pytest.raises(InputError, match="refused"):       # shapes files are checked too
        validate([ext.with_name("x.ttl")], [ext])
    ok = tmp_path / "ok.rdf"
    ok.write_text(LOL.format(decls=' <!ENTITY ex "http://example.org/">', body="&ex;b &lol;"))
    assert validate([ok], [s]).conforms


@pytest.mark.parametrize("body, line, message", [
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n sh:property [ sh:path ex:p ; sh:minCount "abc" ] .',
     5, 'the value of sh:minCount must be a non-negative xsd:integer, not "abc"'),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n sh:property [ sh:path ex:p ; sh:pattern "(" ] .',
     5, "is not a valid regular expression"),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n sh:property [ sh:path ex:p ; sh:in ex:x ] .',
     5, "the value of sh:in must be a SHACL list"),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ sh:message "m" ] .',
     4, "SPARQL constraint without sh:select"),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:nodeKind ex:Weird .', 4, "sh:nodeKind must be one of"),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n sh:sparql [ sh:select """\n  SELECT $this WHERE {\n'
     '    $this <http://example.org/p> ?x .\n    FILTER (?x >\n  }""" ] .', 9, "invalid SPARQL constraint"),
    ('ex:S a sh:NodeShape ; sh:targetClass ex:C ;\n sh:sparql [ sh:select """SELECT $this WHERE { $this ex:p ?x }""" ] .',
     5, "undeclared prefix"),
])
def test_malformed_shapes_are_one_line_with_file_and_position(tmp_path, files, body, line, message):
    d, _ = files
    s = tmp_path / "shapes.ttl"
    s.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/> .\n"
                 "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + body + "\n")
    with pytest.raises(InputError) as e:
        validate([d], [s])
    assert e.value.source == str(s) and e.value.line == line and message in e.value.message
    out = CliRunner().invoke(cli, ["validate", str(d), "--shapes", str(s)])
    assert out.exit_code == 2 and "Traceback" not in out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"essgraph: error: {s}:{line}:") and message in lines[0]
