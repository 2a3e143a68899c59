"""The shared helpers each idea has one module for: names, geometry, formats, statistics."""
from __future__ import annotations

import pytest

from ess_graph import geometry
from ess_graph.names import escape_string, fold, strip_accents


def test_names_fold_strip_and_escape():
    assert strip_accents("Évreux, Saint-Étienne, Noël") == "Evreux, Saint-Etienne, Noel"
    assert fold("ŒUVRES Sociales à Évry") == "oeuvres sociales a evry"
    assert escape_string('a\\b "c"\nd\re') == 'a\\\\b \\"c\\"\\nd\\re'


@pytest.mark.parametrize("wkt, expected", [
    ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(5.25 44.5)",
     {"type": "Point", "coordinates": [5.25, 44.5]}),
    ("POINT Z (1 2 3)", {"type": "Point", "coordinates": [1.0, 2.0, 3.0]}),
    ("LINESTRING(1 2, 3 4)", {"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
    ("POLYGON((0 0, 1 0, 1 1, 0 0))",
     {"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]}),
    ("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
     {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
                                              [[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 5.0]]]]}),
    ("MULTIPOINT((1 2), (3 4))", {"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
    ("GEOMETRYCOLLECTION(POINT(1 2))",
     {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1.0, 2.0]}]}),
])
def test_wkt_to_geojson(wkt, expected):
    assert geometry.parse_wkt(wkt) == expected


@pytest.mark.parametrize("bad", ["", "garbage", "POINT(1 2", "POINT(1 2) x", "POLYGON(1 2, 3 4)", "CIRCLE(1 2)"])
def test_unreadable_wkt_is_none(bad):
    assert geometry.parse_wkt(bad) is None


def test_point_and_rings():
    assert geometry.wkt_point(geometry.point_wkt(5.123456, 44.5, 4)) == (5.1235, 44.5)
    assert geometry.wkt_point("POLYGON((0 0, 1 0, 1 1, 0 0))") is None
    g = geometry.parse_wkt("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))")
    assert geometry.rings(g) == [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)],
                                 [(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)]]


def test_geojson_export_reads_polygons_without_a_geometry_library():
    from ess_graph.export.network import _geometry
    from ess_graph.export.views import Territory
    t = Territory("https://w3id.org/essgraph/id/territory/commune/05065", "Gap", "Commune",
                  lon=6.08, lat=44.56, geometry_wkt=f"{geometry.CRS84} POLYGON((6 44, 6.2 44, 6.2 44.7, 6 44))")
    assert _geometry(t) == {"type": "Polygon",
                            "coordinates": [[[6.0, 44.0], [6.2, 44.0], [6.2, 44.7], [6.0, 44.0]]]}
    t.geometry_wkt = "not wkt"
    assert _geometry(t) == {"type": "Point", "coordinates": [6.08, 44.56]}
