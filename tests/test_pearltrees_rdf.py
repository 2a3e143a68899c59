"""Pearltrees' RDF export of a collection: detected by content, one clipping per page pearl."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ess_graph.cli import main
from ess_graph.errors import InputError
from ess_graph.importers import detect_format, list_input_files, read_clippings, read_file

FIXTURE = Path(__file__).parent / "fixtures" / "importers" / "pearltrees-rdf" / "ess-collectivites.rdf"
TREE = "https://www.pearltrees.com/rtes/economie-sociale-solidaire-collectivites/id5587311"


def test_detected_by_content():
    data = FIXTURE.read_bytes()
    assert detect_format(FIXTURE, data) == "pearltrees-rdf"
    other = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             b'<rdf:Description rdf:about="http://example.org/a"/></rdf:RDF>')
    with pytest.raises(InputError, match="Pearltrees RDF export"):
        detect_format("other.rdf", other)


def test_one_clipping_per_page_pearl_with_its_notes_url_date_and_collection():
    clippings = read_file(FIXTURE)
    assert [c.id for c in clippings] == ["pearltrees-77340214", "pearltrees-77512890", "pearltrees-78001122"]
    aimf, sivu, salon = clippings
    assert aimf.title.startswith("33ème Congrès de l'AIMF")
    assert aimf.text == (aimf.title + "\n\nLors de cet atelier présidé par Pauline Véron, adjointe au Maire de "
                         "Paris en charge de l’économie sociale et solidaire, Christiane Bouchart, présidente du "
                         "RTES, est intervenue sur le thème “ESS et collectivités locales en France”.")
    assert aimf.url == "http://www.aimf.asso.fr/33e-congres-paris.html"
    assert aimf.date == "2013-11-26" and aimf.collection == "Economie sociale solidaire & collectivités"
    assert aimf.source_format == "pearltrees-rdf" and aimf.source_line == 35
    assert aimf.metadata == {"pearl": TREE + "?show=item,77340214", "pearl_type": "PagePearl",
                             "tree": TREE, "position": 2}
    # a pearl without a note is its title; XML entities in the address are decoded
    assert sivu.text == sivu.title and sivu.url.endswith("?utm=pt&ref=1")
    # a pearl of another tree (reached through a RefPearl) names that tree as its collection
    assert salon.collection == "Expl de pol terr ESS" and salon.date == "2014-01-20"
    # root, section and reference pearls structure the collection and are no clippings
    assert not any(c.title in ("Politiques territoriales",) for c in clippings)


def test_folders_include_rdf_exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ess.rdf").write_bytes(FIXTURE.read_bytes())
    assert [p.name for p in list_input_files([folder])] == ["ess.rdf"]
    assert len(read_clippings([folder])) == 3


def test_malformed_export_is_one_clear_error(tmp_path):
    bad = tmp_path / "broken.rdf"
    text = FIXTURE.read_text(encoding="utf-8").replace("</pt:PagePearl>", "</pt:Pearl>", 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_file(bad)
    assert e.value.line == 43 and "not well-formed XML" in str(e.value)
    empty = tmp_path / "empty.rdf"
    empty.write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                     'xmlns:pt="http://www.pearltrees.com/rdf/0.1/#"/>\n', encoding="utf-8")
    with pytest.raises(InputError, match="no page pearl"):
        read_file(empty)
    store = tmp_path / "store"
    r = CliRunner().invoke(main, ["load", "--store", str(store), "--no-reference", "-q", str(bad)])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert "broken.rdf:43" in r.output and len(r.output.strip().splitlines()) == 1


def test_loaded_export_is_extracted_with_its_source(tmp_path, extractor):
    from ess_graph.mapping import extraction_quads
    from ess_graph.namespaces import ID
    exs = extractor.extract_many(read_file(FIXTURE))
    aimf = exs[0]
    assert {e.name for e in aimf.entities if e.type == "Person"} >= {"Pauline Véron", "Christiane Bouchart"}
    quads = extraction_quads(aimf)
    clip = ID + "clipping/pearltrees-77340214"
    assert {q.graph_name.value for q in quads} == {clip}
    got = {(q.predicate.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1], q.object.value)
           for q in quads if q.subject.value == clip}
    assert ("url", "http://www.aimf.asso.fr/33e-congres-paris.html") in got
    assert ("sourceFormat", "pearltrees-rdf") in got and ("date", "2013-11-26") in got
