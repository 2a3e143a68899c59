"""Every IRI that essgraph prints, and every query and IRI example of the docs, is valid SPARQL."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from ess_graph.curie import curie, escape_local, expand
from ess_graph.namespaces import CONCEPT, ESS, ID, IRI_FAMILIES, PREFIXES, sparql_prefix_block
from ess_graph.results import format_result
from ess_graph.store import GraphStore

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
EMPTY = ox.Store()

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
PNAME = re.compile(r"^([A-Za-z][\w.-]*)?:")
# placeholders of documented patterns (`clipping:{key}`, `role:…`, `org-kind:*`) are not IRIs
PLACEHOLDER = re.compile(r"[{}…*]")


def sparql_value(token: str) -> str:
    """The IRI a token denotes in SPARQL with essgraph's prefixes (raises SyntaxError when invalid)."""
    sols = list(EMPTY.query(f"SELECT ?x WHERE {{ VALUES ?x {{ {token} }} }}", prefixes=PREFIXES))
    assert len(sols) == 1 and isinstance(sols[0]["x"], ox.NamedNode), token
    return sols[0]["x"].value


def doc_blocks(kind: str):
    for f in DOCS:
        for m in FENCE.finditer(f.read_text(encoding="utf-8")):
            if m.group(1) == kind:
                yield f.name, m.group(2)


def inline_iris():
    """Prefixed names and <IRIs> written in the inline code of the docs."""
    out = []
    for f in DOCS:
        text = FENCE.sub("", f.read_text(encoding="utf-8"))
        for m in INLINE.finditer(text):
            for word in m.group(1).split():
                word = word.rstrip(",;").rstrip("?+")     # `ess:within?` is a path
                if PLACEHOLDER.search(word) or word.startswith("?"):
                    continue
                pm = PNAME.match(word)
                if pm and (pm.group(1) or "") in PREFIXES:
                    out.append((f.name, word))
                elif re.fullmatch(r"<https?://[^<>\s]+>", word):
                    out.append((f.name, word))
    return out


# -- the one shortening function ---------------------------------------------

SAMPLES = [
    ID + "territory/commune/05065", ID + "territory/epci/200067452", ID + "territory/departement/2A",
    ID + "territory/region/93", ID + "territory/country/CH", CONCEPT + "role/maire",
    CONCEPT + "org-kind/cooperative", ID + "org/reseau-des-collectivites", ID + "person/pauline-veron",
    ID + "post/authority/commune/75056/adjoint-au-maire-economie-sociale-et-solidaire",
    ID + "clipping/002_0c37a30f400a6855/1", ID + "annotation/0123abcd#quote", ID + "graph/provenance",
    ID + "org/-lead", ID + "org/trail.", ID + "org/a.b", ID + "org/a.b.c", ID + "activity/extract/0.1.0/1e25bb230373", ID + "org/x%41y",
    ID + "org/é·ü", ID + "org/·x", ID + "org/a~b!c$d&e'f(g)h*i+j,k;l=m?n@o",
    ESS + "partnerOf", CONCEPT + "roles", ID, ID + "org/2×3", "http://example.org/a~b",
    "urn:isbn:123", "http://schema.org/url",
]


@pytest.mark.parametrize("iri", SAMPLES)
def test_printed_curie_parses_back_to_the_same_iri(iri):
    c = curie(iri)
    assert sparql_value(c) == iri
    assert expand(c) == iri


def test_family_prefixes_give_short_names():
    assert curie(ID + "territory/commune/05065") == "commune:05065"
    assert curie(ID + "territory/epci/200067452") == "epci:200067452"
    assert curie(ID + "territory/departement/05") == "departement:05"
    assert curie(ID + "territory/region/93") == "region:93"
    assert curie(CONCEPT + "role/maire") == "role:maire"
    assert curie(ID + "clipping/seed-000") == "clipping:seed-000"
    # a "/" left in a local name is escaped, an unescapable character gives <iri>
    assert curie(ID + "graph/provenance") == r"essr:graph\/provenance"
    assert curie(ID + "clipping/002_x/1") == r"clipping:002_x\/1"
    assert curie(ID + "org/2×3") == f"<{ID}org/2×3>"       # "×" may be in an IRI, not in a name
    assert escape_local("a b") is None and escape_local("-x.") == r"\-x\."
    assert curie(ID + "activity/extract/0.1.0/ab") == r"essr:activity\/extract\/0\.1\.0\/ab"
    for name, ns in IRI_FAMILIES.items():
        assert PREFIXES[name] == ns


def test_no_prefix_shadows_another_namespace():
    assert len(set(PREFIXES.values())) == len(PREFIXES)


def test_result_table_cells_paste_into_a_query(sample_store):
    path, _ = sample_store
    gs = GraphStore(path, read_only=True)
    try:
        q = ("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER (isIRI(?o)) } } "
             "ORDER BY ?s ?p ?o LIMIT 400")
        sols = list(gs.store.query(q, use_default_graph_as_union=False))
        table = format_result(gs.store.query(q, use_default_graph_as_union=False), "table").decode()
        printed = set(table.split())
        pasted = 0
        for sol in sols:
            for v in ("s", "p", "o"):
                c = curie(sol[v].value)
                assert c in printed or len(c) > 59          # the table clips long cells
                assert sparql_value(c) == sol[v].value
                pasted += 1
        assert pasted > 300
        # a post IRI (with "/" in its family-local part) as printed selects that post in the store
        post = next(sol["o"].value for sol in sols if sol["o"].value.startswith(ID + "post/")) \
            if any(sol["o"].value.startswith(ID + "post/") for sol in sols) else None
        if post is not None:
            ask = gs.store.query(f"ASK {{ ?p a org:Post FILTER (?p = {curie(post)}) }}",
                                 prefixes=PREFIXES, use_default_graph_as_union=True)
            assert bool(ask)
    finally:
        del gs


def test_cli_prints_pasteable_names(sample_store, tmp_path):
    from click.testing import CliRunner
    from ess_graph.cli import main
    path, _ = sample_store
    r = CliRunner().invoke(main, ["query", "--store", str(path), "-e",
                                  "SELECT ?c WHERE { GRAPH ?c { ?c a ess:Clipping } } ORDER BY ?c LIMIT 3"])
    assert r.exit_code == 0, r.output
    cells = [line.strip() for line in r.output.splitlines()[2:] if line.strip() and not line.startswith("(")]
    assert cells and all(c.startswith("clipping:") for c in cells)
    for c in cells:
        assert sparql_value(c).startswith(ID + "clipping/")


def test_query_sent_to_an_endpoint_declares_the_family_prefixes_it_uses():
    from ess_graph.queries import remote_query_text
    text = r"SELECT ?x WHERE { ?x ess:within commune:05065 ; org:holds post:authority\/commune\/05065\/maire }"
    sent = remote_query_text(text)
    for p in ("ess", "commune", "org", "post"):
        assert f"PREFIX {p}: <{PREFIXES[p]}>" in sent
    assert "PREFIX epci:" not in sent
    EMPTY.query(sent)                       # valid without essgraph's predeclared prefixes


# -- the docs ------------------------------------------------------------------

def test_docs_have_sparql_examples():
    assert len(list(doc_blocks("sparql"))) >= 2


@pytest.mark.parametrize("doc,text", list(doc_blocks("sparql")))
def test_every_sparql_block_of_the_docs_parses(doc, text):
    try:
        EMPTY.query(text, prefixes=PREFIXES)
    except SyntaxError as e:
        pytest.fail(f"{doc}: {e}\n{text}")


@pytest.mark.parametrize("doc,text", list(doc_blocks("turtle")))
def test_every_turtle_block_of_the_docs_parses(doc, text):
    head = sparql_prefix_block()
    try:
        ox.parse(head + text, format=ox.RdfFormat.TURTLE)
    except SyntaxError as e:
        pytest.fail(f"{doc}: {e}\n{text}")


def test_docs_write_iris_as_pasteable_names():
    found = inline_iris()
    assert len(found) > 100
    bad = []
    for doc, word in found:
        try:
            sparql_value(word)
        except SyntaxError:
            bad.append(f"{doc}: {word}")
    assert not bad, "\n".join(bad)


def test_a_family_iri_in_the_docs_is_written_with_its_prefix():
    """`essr:territory/commune/05065` is what the docs must not print any more."""
    long_forms = [(d, w) for d, w in inline_iris() if w.startswith(("essr:", "esc:"))
                  and curie(expand(w)) != w]
    assert not long_forms, long_forms


# -- the browser side of the same rules ------------------------------------------

def test_query_page_script_shortens_like_the_python_function():
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed: the query page's curie() is checked by tests/test_browser.py only")
    src = (REPO / "ess_graph" / "serve" / "static" / "query.js").read_text(encoding="utf-8")
    a, b = src.index("  const PN_CHARS"), src.index("  function cell(")
    body = re.sub(r"\bconst ", "var ", src[a:b])
    script = (f"var prefixes = {json.dumps(PREFIXES)};\n{body}\n"
              f"for (const i of {json.dumps(SAMPLES)}) console.log(curie(i));\n")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [curie(i) for i in SAMPLES]
