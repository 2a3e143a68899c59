"""WKT geometry literals (GeoSPARQL ``geo:wktLiteral``) read into GeoJSON geometries.

One small parser serves the resource pages' maps, the export's tables and
GeoJSON, and the catalog's spatial coverage. It reads the OGC Simple Features
types POINT, LINESTRING, POLYGON, their MULTI forms and GEOMETRYCOLLECTION,
with an optional leading ``<crs IRI>`` (CRS84 lon/lat is assumed) and optional
Z/M ordinates; it needs no geometry library.
"""
from __future__ import annotations

import re
from typing import Any

CRS84 = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"

_TOKEN = re.compile(r"\s*(?:([A-Za-z]+)|([(),])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))")
_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "POLYGON": "Polygon",
          "MULTIPOINT": "MultiPoint", "MULTILINESTRING": "MultiLineString",
          "MULTIPOLYGON": "MultiPolygon", "GEOMETRYCOLLECTION": "GeometryCollection"}
# nesting depth of the coordinate lists of each type (a position is depth 0)
_DEPTH = {"Point": 0, "LineString": 1, "MultiPoint": 1, "Polygon": 2, "MultiLineString": 2,
          "MultiPolygon": 3}

Geometry = dict[str, Any]


class _Malformed(ValueError):
    pass


def strip_crs(wkt: str) -> str:
    """The WKT text without its optional leading ``<crs IRI>``."""
    s = wkt.strip()
    if s.startswith("<"):
        s = s[s.find(">") + 1:].strip()
    return s


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _Malformed(text[pos:pos + 20])
        out.append(m.group(m.lastindex))
        pos = m.end()
    return out


class _Reader:
    def __init__(self, tokens: list[str]):
        self.t, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise _Malformed(f"expected {expected!r}, found {tok!r}")
        self.i += 1
        return tok

    def nested(self) -> list:
        """A parenthesised list whose items are positions or nested lists."""
        self.take("(")
        items: list = []
        while True:
            if self.peek() == "(":
                items.append(self.nested())
            else:
                pos = []
                while self.peek() not in (",", ")", None):
                    pos.append(float(self.take()))
                if not pos:
                    raise _Malformed("empty position")
                items.append(pos)
            if self.take() == ")":
                return items

    def geometry(self) -> Geometry:
        word = self.take().upper()
        kind = _TYPES.get(word)
        if kind is None:
            raise _Malformed(f"unknown geometry type {word!r}")
        if self.peek() is not None and self.peek().upper() in ("Z", "M", "ZM"):
            self.take()
        if self.peek() is not None and self.peek().upper() == "EMPTY":
            self.take()
            return {"type": kind, "geometries" if kind == "GeometryCollection" else "coordinates": []}
        if kind == "GeometryCollection":
            self.take("(")
            parts = [self.geometry()]
            while self.take() == ",":
                parts.append(self.geometry())
            return {"type": kind, "geometries": parts}
        coords = self.nested()
        if kind == "Point":
            coords = coords[0]
        elif kind == "MultiPoint":  # MULTIPOINT((1 2), (3 4)) and MULTIPOINT(1 2, 3 4)
            coords = [c[0] if c and isinstance(c[0], list) else c for c in coords]
        if _depth(coords) != _DEPTH[kind]:
            raise _Malformed(f"wrong nesting for {word}")
        return {"type": kind, "coordinates": coords}


def _depth(coords) -> int:
    d = 0
    while coords and isinstance(coords[0], list):
        coords, d = coords[0], d + 1
    return d


def parse_wkt(wkt: str) -> Geometry | None:
    """The GeoJSON geometry (a dict) of a WKT literal, or None if it cannot be read."""
    try:
        r = _Reader(_tokens(strip_crs(wkt)))
        geom = r.geometry()
        if r.peek() is not None:
            raise _Malformed("trailing text")
    except (_Malformed, ValueError, IndexError):
        return None
    return geom


def wkt_point(wkt: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a WKT POINT literal, or None."""
    geom = parse_wkt(wkt)
    if geom is None or geom["type"] != "Point" or not geom["coordinates"]:
        return None
    return geom["coordinates"][0], geom["coordinates"][1]


def rings(geom: Geometry) -> list[list[tuple[float, float]]]:
    """Every coordinate sequence of ``geom`` (points, lines, polygon rings) as lon/lat pairs."""
    if geom["type"] == "GeometryCollection":
        return [r for g in geom["geometries"] for r in rings(g)]
    coords = geom["coordinates"]
    if not coords:
        return []
    depth = _DEPTH[geom["type"]]
    if depth == 0:
        return [[(coords[0], coords[1])]]
    seqs = [coords]
    for _ in range(depth - 1):
        seqs = [s for seq in seqs for s in seq]
    return [[(p[0], p[1]) for p in seq] for seq in seqs]


def point_wkt(lon: float, lat: float, digits: int | None = None) -> str:
    """A CRS84 ``POINT(lon lat)`` WKT literal text, rounded to ``digits`` decimals if given."""
    if digits is None:
        return f"{CRS84} POINT({lon} {lat})"
    return f"{CRS84} POINT({lon:.{digits}f} {lat:.{digits}f})"
