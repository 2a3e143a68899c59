"""essgraph export: dumps, DCAT (DCAT-AP 3.0.1 + data.gouv.fr), VoID, CSV/CSVW, GeoJSON, GEXF."""
from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from click.testing import CliRunner
from lxml import etree
from rdflib.namespace import DCAT, DCTERMS, RDF

from ess_graph.cli import main
from ess_graph.errors import InputError
from ess_graph.export import ExportMetadata, export_all
from ess_graph.export.catalog import ETALAB_LICENCE
from ess_graph.export.tables import CSVW_FILE, TABLES
from ess_graph.store import GraphStore

from test_export_data import TRIG, make_store

SHAPES = Path(__file__).parent / "conformance" / "dcat-ap-3.0.1"
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
ESS = "https://w3id.org/essgraph/ontology#"
ID = "https://w3id.org/essgraph/id/"
BASE = "https://data.example.org/essgraph/"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    store = make_store(root / "store")
    meta = ExportMetadata(sparql_endpoint="https://sparql.example.org/essgraph/query")
    manifest = export_all(store, root / "out", base_url=BASE, metadata=meta)
    yield store, manifest, root / "out"
    store.close()


def _catalog(out: Path, name="catalog.ttl", fmt="turtle") -> rdflib.Graph:
    return rdflib.Graph().parse(out / name, format=fmt, publicID=(out.as_uri() + "/" + name))


def _distinct_triples(store: GraphStore) -> int:
    return len({(q.subject, q.predicate, q.object) for q in store.store})


def test_writes_every_file_with_checksums(exported):
    store, manifest, out = exported
    names = {f.path for f in manifest.files}
    expected = {"essgraph.nq.gz", "essgraph.trig.gz", "essgraph.ttl.gz", "essgraph.nt.gz",
                "essgraph.jsonld.gz", "catalog.ttl", "catalog.jsonld", "void.ttl",
                "actors.csv", "territories.csv", "relations.csv", "clippings.csv", CSVW_FILE,
                "territories.geojson", "actor-territory.gexf"}
    assert expected <= names
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(manifest.files)
    for line in sums:
        digest, path = line.split("  ", 1)
        data = (out / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, path
        f = manifest.file(path)
        assert f.size == len(data) and f.sha256 == digest


def test_ontology_docs_shipped_when_available(exported):
    _, manifest, out = exported
    if importlib.util.find_spec("ess_graph.ontology_docs") is not None:
        html = (out / "ontology" / "index.html").read_text(encoding="utf-8")
        assert "<html" in html.lower()
        assert not manifest.notes
    else:
        assert any("ontology documentation not included" in n for n in manifest.notes)


def test_dumps_parse_and_counts_match_store(exported):
    store, manifest, out = exported
    quads, triples = len(store), _distinct_triples(store)
    assert manifest.quads == quads and manifest.triples == triples
    for name, fmt, expected in (("essgraph.nq.gz", ox.RdfFormat.N_QUADS, quads),
                                ("essgraph.trig.gz", ox.RdfFormat.TRIG, quads),
                                ("essgraph.jsonld.gz", ox.RdfFormat.JSON_LD, quads),
                                ("essgraph.ttl.gz", ox.RdfFormat.TURTLE, triples),
                                ("essgraph.nt.gz", ox.RdfFormat.N_TRIPLES, triples)):
        data = gzip.decompress((out / name).read_bytes())
        parsed = list(ox.parse(data, format=fmt))
        assert len(parsed) == expected, name
        assert manifest.file(name).triples == expected
    # an independent parser agrees on the Turtle dump
    g = rdflib.Graph().parse(data=gzip.decompress((out / "essgraph.ttl.gz").read_bytes()), format="turtle")
    assert len(g) == triples
    # named graphs are kept in the TriG dump
    ds = rdflib.Dataset().parse(data=gzip.decompress((out / "essgraph.trig.gz").read_bytes()), format="trig")
    names = {str(c.identifier) for c in ds.graphs()}
    assert ID + "clipping/c1" in names and ID + "graph/reference/cog-2024" in names


def test_gzip_is_reproducible(exported):
    _, _, out = exported
    raw = (out / "essgraph.nq.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"          # mtime = 0
    assert raw[3] & 0x08 == 0               # no file name stored


def test_nquads_round_trip_is_isomorphic(exported, tmp_path):
    store, _, out = exported
    fresh = GraphStore(tmp_path / "fresh")
    fresh.store.load(gzip.decompress((out / "essgraph.nq.gz").read_bytes()), format=ox.RdfFormat.N_QUADS)
    a, b = ox.Dataset(store.store), ox.Dataset(fresh.store)
    a.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    b.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    assert len(a) == len(b) == len(store)
    assert set(map(str, a)) == set(map(str, b))
    fresh.close()


def test_rerun_is_byte_identical(exported, tmp_path):
    _, manifest, out = exported
    # same data loaded into another store (other internal ids), exported elsewhere
    other = make_store(tmp_path / "other")
    meta = ExportMetadata(sparql_endpoint="https://sparql.example.org/essgraph/query")
    m2 = export_all(other, tmp_path / "out2", base_url=BASE, metadata=meta)
    other.close()
    assert [f.path for f in m2.files] == [f.path for f in manifest.files]
    for f in manifest.files:
        assert (out / f.path).read_bytes() == (tmp_path / "out2" / f.path).read_bytes(), f.path
    assert (out / "SHA256SUMS").read_bytes() == (tmp_path / "out2" / "SHA256SUMS").read_bytes()


def test_blank_nodes_get_stable_labels(tmp_path):
    trig = TRIG + """
<https://w3id.org/essgraph/id/graph/curation> {
  <https://w3id.org/essgraph/id/org/rtes> <http://www.w3.org/ns/org#hasSite> [
     <http://www.w3.org/2000/01/rdf-schema#label> "siège" ] .
}"""
    outs = []
    for i in range(2):  # each load mints new random blank-node ids
        s = GraphStore(tmp_path / f"s{i}")
        s.store.load(trig.encode(), format=ox.RdfFormat.TRIG)
        export_all(s, tmp_path / f"o{i}", base_url=BASE)
        s.close()
        outs.append(tmp_path / f"o{i}")
    for name in ("essgraph.nq.gz", "essgraph.trig.gz", "essgraph.ttl.gz", "catalog.ttl", "void.ttl"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def dcat_ap_shapes() -> rdflib.Graph:
    """The DCAT-AP 3.0.1 mandatory shapes (dcat-ap-SHACL.ttl + ranges.ttl).

    The release refers to a few property shapes it never defines (5 IRIs with no
    triples at all); pySHACL rejects such references as ill-formed, so they are
    dropped. They carry no constraint, so nothing is relaxed.
    """
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    shapes = rdflib.Graph()
    for f in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        shapes.parse(SHAPES / f, format="turtle")
    dangling = [(s, o) for s, o in shapes.subject_objects(SH.property)
                if (o, None, None) not in shapes]
    assert len(dangling) <= 10
    for s, o in dangling:
        shapes.remove((s, SH.property, o))
    return shapes


def test_dcat_conforms_to_dcat_ap_3_0_1(exported):
    from pyshacl import validate
    _, _, out = exported
    shapes = dcat_ap_shapes()
    data = _catalog(out)
    assert list(data.subjects(RDF.type, DCAT.DataService))  # the SPARQL endpoint is validated too
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    assert conforms, text
    # the shapes do bite: a dataset without title and description is rejected
    ds = next(data.subjects(RDF.type, DCAT.Dataset))
    data.remove((ds, DCTERMS.title, None))
    data.remove((ds, DCTERMS.description, None))
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none")
    assert not conforms and "title" in text.lower()


def test_datagouv_harvester_requirements(exported):
    _, _, out = exported
    g = _catalog(out)
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    assert datasets
    for ds in datasets:
        assert g.value(ds, DCTERMS.identifier) is not None, "missing identifier"
        assert g.value(ds, DCTERMS.title) is not None, "missing title"
        assert g.value(ds, DCTERMS.description) is not None
        assert g.value(ds, DCTERMS.license) == rdflib.URIRef(ETALAB_LICENCE)
        assert (catalogs[0], DCAT.dataset, ds) in g
        for prop in (DCTERMS.publisher, DCAT.contactPoint, DCTERMS.issued, DCTERMS.modified,
                     DCTERMS.spatial, DCTERMS.temporal, DCAT.theme, DCAT.keyword):
            assert g.value(ds, prop) is not None, prop
        dists = list(g.objects(ds, DCAT.distribution))
        assert len(dists) >= 10
        for d in dists:
            assert (g.value(d, DCAT.downloadURL) or g.value(d, DCAT.accessURL)) is not None
            for prop in (DCTERMS.title, DCAT.mediaType, DCAT.byteSize, SPDX.checksum, DCTERMS.license):
                assert g.value(d, prop) is not None, (d, prop)
    # a bbox geometry literal for dct:spatial (udata reads geometries only)
    wkts = [str(o) for o in g.objects(None, DCAT.bbox)]
    assert wkts and wkts[0].endswith("))") and "POLYGON" in wkts[0]
    # JSON-LD catalog says the same as the Turtle one
    gj = _catalog(out, "catalog.jsonld", "json-ld")
    assert rdflib.compare.isomorphic(g, gj)


def test_catalog_sizes_checksums_and_urls_match_files(exported):
    _, _, out = exported
    g = _catalog(out)
    n = 0
    for d in g.subjects(RDF.type, DCAT.Distribution):
        url = str(g.value(d, DCAT.downloadURL))
        assert url.startswith(BASE)
        path = out / url[len(BASE):]
        data = path.read_bytes()
        assert int(g.value(d, DCAT.byteSize)) == len(data)
        ck = g.value(d, SPDX.checksum)
        assert g.value(ck, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(g.value(ck, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        n += 1
    assert n >= 10


def test_dates_come_from_the_data(exported):
    _, _, out = exported
    g = _catalog(out)
    ds = next(g.subjects(RDF.type, DCAT.Dataset))
    # latest date in the data is the curation timestamp 2015-02-01; earliest clipping 2013-11-26
    assert str(g.value(ds, DCTERMS.modified)) == "2015-02-01"
    per = g.value(ds, DCTERMS.temporal)
    assert str(g.value(per, DCAT.startDate)) == "2013-11-26"
    assert str(g.value(per, DCAT.endDate)) == "2015-02-01"


def test_store_without_dates_gets_no_invented_date(tmp_path):
    s = GraphStore(tmp_path / "s")
    s.store.load(b'<https://w3id.org/essgraph/id/org/x> a <http://www.w3.org/ns/org#Organization> ; '
                 b'<http://www.w3.org/2000/01/rdf-schema#label> "X" .', format=ox.RdfFormat.TURTLE,
                 to_graph=ox.NamedNode(ID + "clipping/x"))
    export_all(s, tmp_path / "o")
    s.close()
    g = _catalog(tmp_path / "o")
    assert not list(g.objects(None, DCTERMS.modified))
    assert not list(g.objects(None, DCTERMS.issued))


def test_relative_urls_without_base_url(tmp_path):
    s = make_store(tmp_path / "s")
    export_all(s, tmp_path / "o", metadata=ExportMetadata(contact_email="ess@example.org"))
    s.close()
    out = tmp_path / "o"
    text = (out / "catalog.ttl").read_text(encoding="utf-8")
    assert "<essgraph.nq.gz>" in text and "invalid" not in text
    g = _catalog(out)  # resolved against the catalog's own location
    urls = {str(o) for o in g.objects(None, DCAT.downloadURL)}
    assert (out / "essgraph.nq.gz").as_uri() in urls
    assert rdflib.URIRef("mailto:ess@example.org") in set(g.objects(None, rdflib.URIRef(
        "http://www.w3.org/2006/vcard/ns#hasEmail")))
    assert "invalid" not in (out / "catalog.jsonld").read_text(encoding="utf-8")


def test_void_statistics_and_linksets(exported):
    store, _, out = exported
    g = rdflib.Graph().parse(out / "void.ttl", format="turtle")
    ds = rdflib.URIRef(ID + "dataset/essgraph")
    assert int(g.value(ds, VOID.triples)) == len(store)
    parts = {g.value(p, VOID["class"]): int(g.value(p, VOID.entities))
             for p in g.objects(ds, VOID.classPartition)}
    assert parts[rdflib.URIRef(ESS + "Clipping")] == 3
    assert parts[rdflib.URIRef("http://rdf.insee.fr/def/geo#Commune")] == 3
    props = {g.value(p, VOID.property): int(g.value(p, VOID.triples))
             for p in g.objects(ds, VOID.propertyPartition)}
    assert sum(props.values()) == len(store)
    linksets = {}
    for ls in g.subjects(RDF.type, VOID.Linkset):
        linksets[(str(g.value(ls, VOID.objectsTarget)), str(g.value(ls, VOID.linkPredicate)))] = \
            int(g.value(ls, VOID.triples))
    assert linksets[(ID + "dataset/external/wikidata", "http://www.w3.org/2004/02/skos/core#exactMatch")] == 2
    assert linksets[(ID + "dataset/external/insee", "http://www.w3.org/2002/07/owl#sameAs")] == 1
    dumps = {str(o) for o in g.objects(ds, VOID.dataDump)}
    assert BASE + "essgraph.nq.gz" in dumps


def _read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


def test_csv_tables_follow_their_csvw_schema(exported):
    _, _, out = exported
    meta = json.loads((out / CSVW_FILE).read_text(encoding="utf-8"))
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert {t["url"] for t in meta["tables"]} == {t.file for t in TABLES}
    keys = {}
    for t in meta["tables"]:
        with open(out / t["url"], encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        cols = t["tableSchema"]["columns"]
        assert header == [c["name"] for c in cols], t["url"]
        rows = _read_csv(out / t["url"])
        pk = t["tableSchema"]["primaryKey"]
        values = [r[pk] for r in rows]
        assert len(values) == len(set(values)) and all(values), t["url"]
        assert values == sorted(values)
        keys[t["url"]] = set(values)
    for t in meta["tables"]:
        for fk in t["tableSchema"].get("foreignKeys", []):
            ref = fk["reference"]
            sep = next(c.get("separator") for c in t["tableSchema"]["columns"]
                       if c["name"] == fk["columnReference"])
            for r in _read_csv(out / t["url"]):
                for v in filter(None, r[fk["columnReference"]].split(sep)):
                    assert v in keys[ref["resource"]]


def test_csv_contents(exported):
    _, _, out = exported
    actors = {r["iri"]: r for r in _read_csv(out / "actors.csv")}
    enercoop = actors[ID + "org/enercoop-paca"]
    assert enercoop["kind"] == "Cooperative" and enercoop["alt_labels"] == "Enercoop PACA"
    assert enercoop["located_in"] == ID + "territory/commune/05065"
    assert actors[ID + "person/pauline-veron"]["kind"] == "Person"
    assert actors[ID + "authority/commune/75056"]["kind"] == "LocalAuthority"
    terr = {r["iri"]: r for r in _read_csv(out / "territories.csv")}
    g = terr[ID + "territory/commune/05065"]
    assert (g["code_insee"], g["longitude"], g["latitude"]) == ("05065", "6.6494", "44.6597")
    assert "http://www.wikidata.org/entity/Q658413" in g["same_as"].split(" | ")
    rels = {r["statement"]: r for r in _read_csv(out / "relations.csv")}
    f1b = rels[ID + "fact/f1b"]
    assert f1b["predicate_name"] == "ess:partnerOf" and f1b["object_label"] == "Commune de Guillestre"
    assert (f1b["quote"], f1b["quote_start"], f1b["quote_end"]) == ("partenaire", "66", "76")
    assert f1b["evidence"].startswith("La coopérative Enercoop Paca")
    assert rels[ID + "fact/f1c"]["candidate"] == "true"
    assert rels[ID + "fact/cur1"]["source"] == "curation"
    clips = {r["iri"]: r for r in _read_csv(out / "clippings.csv")}
    assert clips[ID + "clipping/c1"]["date"] == "2013-11-26"
    assert clips[ID + "clipping/c3"]["date"] == ""
    assert clips[ID + "clipping/c1"]["statements"] == "3"


def test_geojson_territories_with_actors_and_initiatives(exported):
    _, _, out = exported
    doc = json.loads((out / "territories.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    feats = {f["id"]: f for f in doc["features"]}
    g = feats[ID + "territory/commune/05065"]
    # the bundled outline of the commune (data/geo), around its centroid
    assert g["geometry"]["type"] == "MultiPolygon"
    ring = g["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert len(ring) > 20 and min(xs) < 6.6494 < max(xs) and min(ys) < 44.6597 < max(ys)
    assert {a["iri"] for a in g["properties"]["actors"]} == {
        ID + "org/enercoop-paca", ID + "authority/commune/05065"}
    assert [i["iri"] for i in g["properties"]["initiatives"]] == [ID + "initiative/centrale-villageoise"]
    assert ID + "territory/commune/38185" in feats   # La Bonne Fabrique is located there
    assert ID + "territory/region/11" not in feats    # nothing happens there


def test_gexf_network(exported):
    _, _, out = exported
    root = etree.parse(str(out / "actor-territory.gexf")).getroot()
    ns = {"g": "http://gexf.net/1.3"}
    nodes = {n.get("id"): n.get("label") for n in root.iterfind(".//g:node", ns)}
    edges = root.findall(".//g:edge", ns)
    assert "Enercoop Paca" in nodes.values() and "Guillestre" in nodes.values()
    for e in edges:
        assert e.get("source") in nodes and e.get("target") in nodes
    labels = {(nodes[e.get("source")], e.get("label"), nodes[e.get("target")]) for e in edges}
    assert ("Enercoop Paca", "ess:locatedIn", "Guillestre") in labels
    assert ("Ville de Grenoble", "ess:funds", "La Bonne Fabrique") in labels
    # a candidate relation (not asserted) is not an edge
    assert ("Commune de Guillestre", "ess:funds", "Enercoop Paca") not in labels
    # La Bonne Fabrique located in Grenoble: asserted in its clipping graph and in curation
    w = [e.get("weight") for e in edges if nodes[e.get("source")] == "La Bonne Fabrique"
         and e.get("label") == "ess:locatedIn"]
    assert w == ["2"]


def test_bad_base_url_and_target(tmp_path):
    s = make_store(tmp_path / "s")
    with pytest.raises(InputError, match="base-url"):
        export_all(s, tmp_path / "o", base_url="ftp://x")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        export_all(s, tmp_path / "afile")
    s.close()


def test_cli_export(tmp_path):
    make_store(tmp_path / "s").close()
    runner = CliRunner()
    r = runner.invoke(main, ["export", "--out", str(tmp_path / "o"), "--store", str(tmp_path / "s"),
                             "--base-url", BASE, "--publisher", "Réseau test", "--json"])
    assert r.exit_code == 0, r.output
    manifest = json.loads(r.output)
    assert manifest["quads"] > 300
    g = _catalog(tmp_path / "o")
    assert rdflib.Literal("Réseau test") in set(g.objects(None, rdflib.FOAF.name))
    r = runner.invoke(main, ["export", "--out", str(tmp_path / "o2"), "--store", str(tmp_path / "missing")])
    assert r.exit_code == 2
    assert "no store at" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["export", "--out", str(tmp_path / "o3"), "--store", str(tmp_path / "s"),
                             "--base-url", "nope"])
    assert r.exit_code == 2 and "base-url" in r.output
