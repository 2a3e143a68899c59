"""Saved queries: header parsing, typed parameter binding, remote query text."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from ess_graph.errors import QueryError
from ess_graph.queries import (execute, get_query, list_queries, load_query_file,
                               parse_saved_query, remote_query_text, run_saved)

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

Q = """#+ title: Labelled things
#+ description: Things with a given label.
#+ params:
#+   - name: label
#+     type: string
#+     required: true
#+     description: the label
#+   - name: n
#+     type: integer
#+     required: false
SELECT ?s ?label ?n WHERE { ?s rdfs:label ?label OPTIONAL { ?s <http://example.org/n> ?n } }
"""


@pytest.fixture
def store():
    s = ox.Store()
    s.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode(LABEL), ox.Literal("Guillestre"),
                  ox.NamedNode("http://example.org/g")))
    s.add(ox.Quad(ox.NamedNode("http://example.org/b"), ox.NamedNode(LABEL), ox.Literal("Ceillac")))
    return s


def test_bundled_queries_have_titles_descriptions_and_typed_params():
    qs = {q.name: q for q in list_queries()}
    for name in ("communes-coops", "elected-officials", "actors-in-department", "actors-in-region",
                 "initiatives-by-territory", "fact-sources"):
        assert name in qs, name
        q = qs[name]
        assert q.title and q.title != name
        assert len(q.description) > 40
        assert q.query_type == "SELECT"
        for p in q.params:
            assert p.description
    assert [p.name for p in qs["fact-sources"].params] == ["subject", "predicate", "object"]
    assert qs["actors-in-department"].param("department").required


def test_bundled_queries_parse_in_oxigraph():
    empty = ox.Store()
    for q in list_queries():
        list(execute(empty, q.text))  # raises QueryError on invalid SPARQL


def test_parameter_is_bound_as_a_typed_term_not_text(store):
    sq = parse_saved_query(Q, "labelled")
    rows = list(run_saved(store, sq, {"label": "Guillestre"}))  # named graph: union default graph
    assert [r["s"].value for r in rows] == ["http://example.org/a"]
    # a value that would break out of a string literal if pasted stays one literal
    evil = 'x" } UNION { ?s ?p ?o } #'
    assert list(run_saved(store, sq, {"label": evil})) == []


@pytest.mark.parametrize("params,message", [
    ({}, "needs parameter 'label'"),
    ({"label": "a", "nope": "1"}, "has no parameter 'nope'"),
    ({"label": "a", "n": "12abc"}, "not a valid integer"),
])
def test_parameter_errors(store, params, message):
    sq = parse_saved_query(Q, "labelled")
    with pytest.raises(QueryError, match=message):
        run_saved(store, sq, params)


def test_typed_values():
    sq = parse_saved_query("""#+ params:
#+   - {name: i, type: iri}
#+   - {name: d, type: date}
#+   - {name: b, type: boolean}
#+   - {name: x, type: decimal}
SELECT ?i ?d ?b ?x WHERE {}""", "t")
    subs = sq.substitutions({"i": "https://w3id.org/essgraph/id/org/enercoop", "d": "2013-11-26",
                             "b": "true", "x": "1.50"})
    assert {str(k.value): str(v) for k, v in subs.items()} == {
        "i": "<https://w3id.org/essgraph/id/org/enercoop>",
        "d": '"2013-11-26"^^<http://www.w3.org/2001/XMLSchema#date>',
        "b": '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',
        "x": '"1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>'}
    for bad in ({"i": "not an iri"}, {"i": "http://x/a b"}, {"d": "26/11/2013"}, {"b": "oui"}, {"x": "1,5"}):
        with pytest.raises(QueryError):
            sq.substitutions(bad)


def test_parameter_must_be_projected():
    with pytest.raises(QueryError, match="must appear in the SELECT clause"):
        parse_saved_query("#+ params:\n#+   - {name: code, type: string}\nSELECT ?s WHERE { ?s ?p ?code }", "t")


def test_invalid_yaml_header_names_the_line(tmp_path):
    f = tmp_path / "bad.rq"
    f.write_text("# a comment\n#+ title: ok\n#+ params: [unclosed\nSELECT * WHERE {}\n", encoding="utf-8")
    with pytest.raises(QueryError) as e:
        load_query_file(f)
    assert str(e.value).startswith(f"{f}:")
    assert "invalid YAML header" in str(e.value)


def test_invalid_sparql_names_line_and_column(store):
    with pytest.raises(QueryError) as e:
        execute(store, "SELECT * WHERE {\n  ?s ?p \n}", source="inline")
    assert "invalid SPARQL" in str(e.value)
    # the incomplete triple pattern (line 2), not where the parser gave up (line 3)
    assert (e.value.line, e.value.column) == (2, 6)
    assert "'?p'" in e.value.message and "subject, a predicate and an object" in e.value.message


def test_unknown_saved_query_lists_known_names():
    with pytest.raises(QueryError, match="unknown saved query 'nope'.*communes-coops"):
        get_query("nope")
    with pytest.raises(QueryError):
        get_query("../etc/passwd")


def test_remote_query_text_declares_prefixes_and_binds_with_values(store):
    sq = parse_saved_query(Q, "labelled")
    text = remote_query_text(sq.text, sq.substitutions({"label": 'Ceillac'}))
    assert text.startswith("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> #+ title")
    # the declarations share the first line: the server's error lines match the file's
    assert text.count("\n") == sq.text.rstrip().count("\n") + 2
    assert text.rstrip().endswith('VALUES (?label) { ("Ceillac") }')
    rows = list(store.query(text))  # no essgraph prefixes given: the text is self-contained
    assert [r["s"].value for r in rows] == ["http://example.org/b"]
    evil = remote_query_text(sq.text, sq.substitutions({"label": 'a") } DELETE WHERE { ?s ?p ?o } #'}))
    assert list(store.query(evil)) == []
