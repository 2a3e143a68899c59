"""The bundled outlines (data/geo, built by tools/build_outlines.py from IGN ADMIN
EXPRESS geometries, Licence Ouverte 2.0): régions, départements (metropolitan and
overseas) and communes, where commune centroids fall in their own outline, read on
demand for communes, used by the resource pages' maps and by the GeoJSON export."""
from __future__ import annotations

import csv
import io
import json
import lzma

import pyoxigraph as ox

from ess_graph.resources import bundled
from ess_graph.serve import outlines as OL

OVERSEAS = {"971": ("01", -61.9, -61.0, 15.8, 16.6), "972": ("02", -61.3, -60.7, 14.3, 14.9),
            "973": ("03", -54.7, -51.5, 2.0, 5.9), "974": ("04", 55.1, 55.9, -21.5, -20.8),
            "976": ("06", 44.9, 45.4, -13.1, -12.5)}


def _inside(px, py, rings):
    inside = False
    for r in rings:
        for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1]):
            if (y0 > py) != (y1 > py) and px < (x1 - x0) * (py - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside


def _points(rings):
    return [p for r in rings for p in r]


def test_outlines_cover_metropolitan_and_overseas_france():
    deps = OL.all_departements()
    assert len(deps) == 101 and {"2A", "2B", "69", "75"} <= set(deps)
    metro = {c: d for c, d in deps.items() if not c.startswith("97")}
    for d in metro.values():
        assert all(-5.5 < x < 9.9 and 41.2 < y < 51.3 for x, y in _points(d["rings"]))
    for code, (reg, x0, x1, y0, y1) in OVERSEAS.items():
        d = deps[code]
        assert d["region"] == reg and OL.region(reg) is not None
        pts = _points(d["rings"])
        assert len(pts) > 30, f"{code} is a real outline, not a box"
        assert all(x0 < x < x1 and y0 < y < y1 for x, y in pts), code
    for reg in ("11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"):
        assert OL.region(reg) is not None
    assert deps["05"]["region"] == "93"
    assert set(OL.departements_of_region("93")) == {"04", "05", "06", "13", "83", "84"}


def test_commune_centroids_fall_in_their_departement_and_commune():
    text = lzma.open(bundled("data", "territories", "communes.csv.xz"), "rt", encoding="utf-8").read()
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["kind"] == "COM" and r["lon"]]
    deps = OL.all_departements()
    sample = rows[::25]
    ok = sum(_inside(float(r["lon"]), float(r["lat"]), deps[r["dep"]]["rings"]) for r in sample)
    assert ok / len(sample) > 0.99, ok / len(sample)
    # communes: the centroid (of the unsimplified IGN geometry) lies in the simplified outline
    few = [r for r in rows if r["dep"] in ("05", "971", "2A")][::7]
    inside = sum(_inside(float(r["lon"]), float(r["lat"]), OL.commune(r["code"])["rings"]) for r in few)
    assert inside / len(few) > 0.97, inside / len(few)
    quality = json.loads(bundled("data", "geo", "quality.json").read_text())
    assert quality["commune_centroids_inside_own_departement"] > 0.99
    assert quality["licence"].startswith("Licence Ouverte")


def test_commune_outlines_on_demand():
    g = OL.commune("05065")
    assert g["name"] == "Guillestre" and g["kind"] == "COM"
    x0, y0, x1, y1 = g["bbox"]
    assert 6.5 < x0 < 6.6494 < x1 < 6.9 and 44.55 < y0 < 44.6603 < y1 < 44.8
    assert len(_points(g["rings"])) > 20
    assert g["geometry"]["type"] == "MultiPolygon"
    ring = g["geometry"]["coordinates"][0][0]
    assert ring[0] == ring[-1]                                 # closed GeoJSON rings
    assert OL.commune("97105")["name"] == "Basse-Terre"        # overseas
    assert OL.commune("75056") and OL.commune("75101")         # Paris and its 1st arrondissement
    assert OL.commune("2A004")["name"] == "Ajaccio"
    assert OL.departement_of_commune("97105") == "971" and OL.departement_of_commune("2B033") == "2B"
    assert OL.commune("99999") is None and OL.commune("../../etc") is None and OL.commune("") is None
    assert OL.communes_of_departement("../x") == {}
    # one département's file is read, not the whole country
    assert OL.communes_of_departement.cache_info().currsize <= 16


def test_geojson_export_uses_the_outlines():
    from ess_graph.export.network import _geometry
    from ess_graph.export.views import Territory
    dep = Territory("https://w3id.org/essgraph/id/territory/departement/05", "Hautes-Alpes", "Departement",
                    code_insee="05", lon=6.26, lat=44.66)
    g = _geometry(dep)
    assert g["type"] in ("Polygon", "MultiPolygon") and len(json.dumps(g)) > 1000
    reg = Territory("https://w3id.org/essgraph/id/territory/region/93", "PACA", "Region", code_insee="93",
                    lon=6.05, lat=43.95)
    assert _geometry(reg)["type"] in ("Polygon", "MultiPolygon")
    overseas = Territory("https://w3id.org/essgraph/id/territory/departement/971", "Guadeloupe", "Departement",
                         code_insee="971", lon=-61.5, lat=16.2)
    assert _geometry(overseas)["type"] in ("Polygon", "MultiPolygon")
    commune = Territory("https://w3id.org/essgraph/id/territory/commune/05065", "Guillestre", "Commune",
                        code_insee="05065", lon=6.6494, lat=44.6597)
    g = _geometry(commune)
    assert g["type"] == "MultiPolygon" and _inside(6.6494, 44.6597, [
        [tuple(p) for p in g["coordinates"][0][0]]])
    # a commune déléguée sharing its code with the commune nouvelle: keyed by its IRI
    comd = Territory("https://w3id.org/essgraph/id/territory/commune/49092-comd", "x", "Commune",
                     code_insee="49092", lon=None, lat=None)
    assert _geometry(comd) is None or _geometry(comd)["type"] == "MultiPolygon"
    unknown = Territory("https://w3id.org/essgraph/id/territory/commune/05999", "Nowhere", "Commune",
                        code_insee="05999", lon=6.0, lat=44.0)
    assert _geometry(unknown) == {"type": "Point", "coordinates": [6.0, 44.0]}


def _store_with(ttl: str) -> ox.Store:
    s = ox.Store()
    s.load(ttl.encode(), format=ox.RdfFormat.TURTLE)
    return s


T = "https://w3id.org/essgraph/id/territory/"
HEAD = """@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix ess: <https://w3id.org/essgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def test_map_of_a_commune_draws_its_outline_and_neighbours():
    from ess_graph.serve.pages import map_svg
    store = _store_with(HEAD + f"""
<{T}commune/05046> rdfs:label "Embrun" ; ess:within <{T}departement/05> ;
  geo:hasCentroid <{T}commune/05046#centroid> .
<{T}commune/05046#centroid> geo:asWKT "POINT(6.4958 44.5646)"^^geo:wktLiteral .
""")
    svg = map_svg(store, ox.NamedNode(T + "commune/05046"), lambda n: "Embrun", "")
    own = [p for p in svg.split("<path")[1:] if 'data-role="self"' in p]
    assert len(own) == 1 and own[0].count(" L") > 20
    assert svg.count('data-role="neighbour"') >= 4              # the communes around it
    assert 'href="/id/territory/commune/05061"' not in svg or "Gap" in svg
    assert svg.count('data-role="context"') == 1               # its département
    assert "Licence Ouverte" in svg


def test_map_of_an_overseas_departement_and_region():
    from ess_graph.serve.pages import map_svg
    store = _store_with(HEAD + f"""
<{T}departement/974> rdfs:label "La Réunion" ; geo:hasCentroid <{T}departement/974#centroid> .
<{T}departement/974#centroid> geo:asWKT "POINT(55.53 -21.13)"^^geo:wktLiteral .
<{T}region/03> rdfs:label "Guyane" ; geo:hasCentroid <{T}region/03#centroid> .
<{T}region/03#centroid> geo:asWKT "POINT(-53.2 3.9)"^^geo:wktLiteral .
""")
    for iri in ("departement/974", "region/03"):
        svg = map_svg(store, ox.NamedNode(T + iri), lambda n: "x", "")
        own = [p for p in svg.split("<path")[1:] if 'data-role="self"' in p]
        assert len(own) == 1 and own[0].count(" L") > 30, iri
