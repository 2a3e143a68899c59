"""The JSON-LD dump is compacted with a published @context; no absolute local path is published."""
from __future__ import annotations

import csv
import gzip
import io
import json

import pyoxigraph as ox
import pytest

from ess_graph.export import export_all
from ess_graph.export.dumps import (CONTEXT_FILE, DUMPS, canonical_dump, jsonld_context, ontology_terms,
                                    public_source_path, render_dump)
from ess_graph.mapping import extraction_quads
from ess_graph.model import Clipping, Entity, Extraction, Mention, Relation
from ess_graph.namespaces import ESS, ID
from ess_graph.store import GraphStore

TEXT = "La commune de Guillestre est partenaire d'Enercoop."
LOCAL = "/home/someone/clippings/guillestre.txt"


def _extraction(source_file: str) -> Extraction:
    c = Clipping(id="guillestre", text=TEXT, title="Guillestre et Enercoop", date="2014-03-02",
                 source_file=source_file, source_format="text", url="https://example.org/a")
    ents = [Entity("c", "Commune", "Guillestre", [Mention(14, 24, "Guillestre")], insee="05065", country="FR"),
            Entity("o", "Cooperative", "Enercoop", [Mention(42, 50, "Enercoop")])]
    return Extraction(c, ents, [Relation("c", "partnerOf", "o", TEXT, 0, len(TEXT), rule="t")])


@pytest.fixture
def store(tmp_path):
    gs = GraphStore(tmp_path / "store")
    gs.store.extend(extraction_quads(_extraction(LOCAL)))
    yield gs
    gs.close()


def _jsonld_spec():
    return next(s for s in DUMPS if s.name.endswith(".jsonld.gz"))


def test_context_has_one_term_per_ontology_class_and_property():
    terms = ontology_terms()
    assert terms["partnerOf"] == ESS + "partnerOf" and terms["Cooperative"] == ESS + "Cooperative"
    ttl = ox.parse(path=str(__import__("ess_graph.resources", fromlist=["x"]).ontology_dir() / "essgraph.ttl"),
                   format=ox.RdfFormat.TURTLE)
    declared = {t.subject.value for t in ttl
                if t.predicate.value.endswith("#type") and t.subject.value.startswith(ESS)
                and t.object.value.rsplit("#", 1)[-1] in ("Class", "ObjectProperty", "DatatypeProperty")}
    assert set(terms.values()) == declared
    ctx = jsonld_context()
    assert all(ctx[name] == iri for name, iri in terms.items())
    assert ctx["schema"] == "http://schema.org/" and "commune" not in ctx


def test_jsonld_dump_reads_with_terms_and_holds_the_same_quads(store):
    canon = canonical_dump(store, publish_paths=True)
    data = render_dump(_jsonld_spec(), canon)
    doc = json.loads(data)
    assert doc["@context"] == jsonld_context()
    text = data.decode("utf-8")
    assert '"partnerOf"' in text and '"Cooperative"' in text and '"sourceFile"' in text
    assert ESS + "partnerOf" not in text.split('"@graph"', 1)[1]
    graph = next(g for g in doc["@graph"] if g["@id"] == "essr:clipping/guillestre")
    authority = next(n for n in graph["@graph"] if n["@id"] == "essr:authority/commune/05065")
    assert authority["partnerOf"] == [{"@id": "essr:org/enercoop"}]
    # a JSON-LD processor gives back exactly the quads of the N-Quads dump
    parsed = set(ox.parse(data, format=ox.RdfFormat.JSON_LD))
    assert parsed == set(ox.parse(canon.nquads, format=ox.RdfFormat.N_QUADS))


def test_absolute_source_paths_are_not_published_unless_asked(store, tmp_path):
    assert public_source_path(LOCAL) == "guillestre.txt"
    assert public_source_path(r"C:\data\a.txt") == "a.txt"
    assert public_source_path("sub/a.txt") == "sub/a.txt"
    hidden = canonical_dump(store)
    assert b"/home/someone" not in hidden.nquads and b'"guillestre.txt"' in hidden.nquads
    assert LOCAL.encode() in canonical_dump(store, publish_paths=True).nquads

    out = tmp_path / "out"
    export_all(store, out)
    for f in out.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            body = gzip.decompress(raw) if f.suffix == ".gz" else raw
            assert b"/home/someone" not in body, f.name
    rows = list(csv.DictReader(io.StringIO((out / "clippings.csv").read_text(encoding="utf-8"))))
    assert [r["source_file"] for r in rows] == ["guillestre.txt"]
    assert json.loads((out / CONTEXT_FILE).read_text(encoding="utf-8"))["@context"] == jsonld_context()

    export_all(store, tmp_path / "out2", publish_paths=True)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out2" / "clippings.csv").read_text(encoding="utf-8"))))
    assert [r["source_file"] for r in rows] == [LOCAL]


def test_source_file_is_relative_to_the_folder_loaded(tmp_path, extractor):
    from click.testing import CliRunner
    from ess_graph.cli import main
    from ess_graph.pipeline import extract_paths
    folder = tmp_path / "collection"
    (folder / "sub").mkdir(parents=True)
    note = folder / "sub" / "note.md"
    note.write_text("---\ntitle: Note\n---\nLa commune de Guillestre soutient Enercoop.\n", encoding="utf-8")
    assert [e.clipping.source_file for e in extract_paths([folder], extractor=extractor)] == ["sub/note.md"]
    assert [e.clipping.source_file for e in extract_paths([note], extractor=extractor)] == ["note.md"]
    absolute = extract_paths([folder], extractor=extractor, publish_paths=True)
    assert [e.clipping.source_file for e in absolute] == [note.resolve().as_posix()]
    # the CLI flag, and the store: no absolute path unless asked
    store = tmp_path / "store"
    r = CliRunner().invoke(main, ["load", "--store", str(store), "--no-reference", "-q", str(folder)])
    assert r.exit_code == 0, r.output
    gs = GraphStore(store, read_only=True)
    try:
        values = {s["f"].value for s in gs.store.query(
            f"SELECT ?f WHERE {{ GRAPH ?g {{ ?c <{ESS}sourceFile> ?f }} }}")}
    finally:
        del gs
    assert values == {"sub/note.md"}
    r = CliRunner().invoke(main, ["load", "--help"])
    assert "--publish-paths" in r.output
