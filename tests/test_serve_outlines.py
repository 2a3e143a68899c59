"""The bundled outlines (data/geo, built by tools/build_outlines.py): complete
for metropolitan France, georeferenced well enough that commune centroids fall
in their own département, and used by the GeoJSON export."""
from __future__ import annotations

import csv
import io
import json
import lzma

from ess_graph.resources import bundled
from ess_graph.serve import outlines as OL


def _inside(px, py, rings):
    inside = False
    for r in rings:
        for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1]):
            if (y0 > py) != (y1 > py) and px < (x1 - x0) * (py - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside


def test_outlines_cover_metropolitan_france():
    deps = OL.all_departements()
    assert len(deps) == 96 and "2A" in deps and "2B" in deps and "971" not in deps
    regions = {c: OL.region(c) for c in ("11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94")}
    assert all(regions.values())
    for d in deps.values():
        for ring in d["rings"]:
            assert all(-5.5 < x < 9.9 and 41.2 < y < 51.3 for x, y in ring)
    assert deps["05"]["region"] == "93"
    assert set(OL.departements_of_region("93")) == {"04", "05", "06", "13", "83", "84"}


def test_commune_centroids_fall_in_their_departement():
    text = lzma.open(bundled("data", "territories", "communes.csv.xz"), "rt", encoding="utf-8").read()
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["kind"] == "COM" and r["lon"]]
    deps = OL.all_departements()
    sample = [r for r in rows if r["dep"] in deps][::10]
    ok = sum(_inside(float(r["lon"]), float(r["lat"]), deps[r["dep"]]["rings"]) for r in sample)
    assert ok / len(sample) > 0.95, ok / len(sample)
    quality = json.loads(bundled("data", "geo", "quality.json").read_text())
    assert quality["communes_inside_own_departement"] > 0.95


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
    assert _geometry(overseas) == {"type": "Point", "coordinates": [-61.5, 16.2]}
    commune = Territory("https://w3id.org/essgraph/id/territory/commune/05065", "Guillestre", "Commune",
                        code_insee="05065", lon=6.6494, lat=44.6597)
    assert _geometry(commune) == {"type": "Point", "coordinates": [6.6494, 44.6597]}
