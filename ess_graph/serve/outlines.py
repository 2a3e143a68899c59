"""Simplified outlines of the départements and régions of metropolitan France
(data/geo/, built by tools/build_outlines.py from the CC BY 4.0
``@svg-maps/france.*`` npm packages, georeferenced to lon/lat). Used by the
resource pages' maps and by the GeoJSON export when a territory has no
geometry of its own. Overseas départements and régions have no outline."""
from __future__ import annotations

import json
from functools import lru_cache

Rings = list[list[tuple[float, float]]]

ATTRIBUTION = "outlines: svg-maps, CC BY 4.0"


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
            rings = [geom["coordinates"][0]]
        elif geom.get("type") == "MultiPolygon":
            rings = [p[0] for p in geom["coordinates"]]
        else:
            continue
        out[str(props.get("code"))] = {"name": props.get("name"), "region": props.get("region"),
                                       "geometry": geom,
                                       "rings": [[(float(x), float(y)) for x, y in r] for r in rings]}
    return out


def departement(code: str) -> dict | None:
    return _load("departements").get(code)


def region(code: str) -> dict | None:
    return _load("regions").get(code)


def departements_of_region(code: str) -> dict[str, dict]:
    return {c: d for c, d in _load("departements").items() if d.get("region") == code}


def all_departements() -> dict[str, dict]:
    return _load("departements")


def geometry_for(kind: str, code: str | None) -> dict | None:
    """GeoJSON geometry of a département or région by INSEE code (``kind`` is
    "departement" or "region", case-insensitive, as in the IRIs), else None."""
    if not code:
        return None
    k = kind.lower()
    hit = departement(code) if "departement" in k else region(code) if "region" in k else None
    return hit["geometry"] if hit else None
