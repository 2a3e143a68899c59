"""The shipped territory tables (``data/territories/``), loaded once into memory.

Generated tables (``python tools/build_territories.py``): communes.csv.xz,
epci.csv.xz, departements.csv, regions.csv, firstnames.txt.xz,
common_words.txt, commune_history.csv (former commune names, dated), meta.json. Curated, sourced tables: regions_pre2016.csv,
region_former_names.csv, epci_aliases.csv, foreign_places.csv, countries.csv,
common_words_extra.txt, firstnames_exclude.txt, epci_generic_words.txt,
org_name_heads.txt.
"""
from __future__ import annotations

import csv
import io
import json
import lzma
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..resources import data_dir

TNCC_ARTICLE = {0: "", 1: "", 2: "Le ", 3: "La ", 4: "Les ", 5: "L'", 6: "Aux ", 7: "Las ", 8: "Los "}


def label_with_article(name: str, tncc: int) -> str:
    return TNCC_ARTICLE.get(tncc, "") + name


@dataclass
class Commune:
    code: str
    kind: str            # COM | COMD | COMA | ARM
    tncc: int
    name: str            # without its article (NCCENR)
    population: int | None
    dep: str
    epci: str
    parent: str
    lon: float | None
    lat: float | None

    @property
    def label(self) -> str:
        return label_with_article(self.name, self.tncc)


@dataclass
class Epci:
    siren: str
    kind: str
    name: str
    population: int | None
    deps: list[str]
    regions: list[str]
    lon: float | None
    lat: float | None
    former_names: list[dict] = field(default_factory=list)


@dataclass
class Departement:
    code: str
    tncc: int
    name: str
    region: str
    chef_lieu: str
    population: int | None
    lon: float | None
    lat: float | None


@dataclass
class Region:
    code: str
    tncc: int
    name: str
    chef_lieu: str
    population: int | None
    lon: float | None
    lat: float | None
    successor: str = ""            # pre-2016 régions only
    departements: list[str] = field(default_factory=list)
    valid_until: str = ""
    source: str = ""
    former_names: list[dict] = field(default_factory=list)

    @property
    def historical(self) -> bool:
        return bool(self.successor)


@dataclass
class TerritoryData:
    directory: Path
    meta: dict
    communes: list[Commune]
    epcis: dict[str, Epci]
    departements: dict[str, Departement]
    regions: dict[str, Region]            # current régions
    old_regions: dict[str, Region]        # pre-2016 régions (merged on 2016-01-01)
    epci_aliases: list[dict]
    foreign_places: list[dict]
    countries: list[dict]
    firstnames: frozenset[str]
    common_words: frozenset[str]
    forced_common_words: frozenset[str]
    epci_generic_words: frozenset[str] = frozenset()   # one-word EPCI short names that need a cue
    org_name_heads: frozenset[str] = frozenset()       # "Active", "Bio"…: territory + word = organisation
    commune_history: list[dict] = field(default_factory=list)  # former commune names (commune_history.csv)

    @property
    def vintage(self) -> str:
        return str(self.meta["vintage"])

    def commune(self, code: str) -> Commune | None:
        return self._com_index().get(code)

    def _com_index(self) -> dict[str, Commune]:
        idx = getattr(self, "_cidx", None)
        if idx is None:
            idx = {}
            for c in self.communes:  # a COM wins over a commune déléguée sharing its code
                if c.code not in idx or c.kind == "COM":
                    idx[c.code] = c
            self._cidx = idx
        return idx


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read territory data: {e.strerror}", source=str(path)) from None
    if path.suffix == ".xz":
        try:
            raw = lzma.decompress(raw)
        except lzma.LZMAError as e:
            raise InputError(f"corrupt xz file: {e}", source=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 at byte {e.start}", source=str(path)) from None


def read_csv(path: Path, required: list[str]) -> list[tuple[int, dict]]:
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty file", source=str(path), line=1) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", source=str(path), line=1)
    out = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} fields, found {len(row)}", source=str(path),
                             line=reader.line_num)
        out.append((reader.line_num, dict(zip(header, row))))
    return out


def _int(v: str, path: Path, line: int) -> int | None:
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise InputError(f"not an integer: {v!r}", source=str(path), line=line) from None


def _float(v: str, path: Path, line: int) -> float | None:
    if v == "":
        return None
    try:
        return float(v)
    except ValueError:
        raise InputError(f"not a number: {v!r}", source=str(path), line=line) from None


def _words(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [w.strip() for w in _read_text(path).splitlines() if w.strip() and not w.startswith("#")]


def load_data(directory: str | Path | None = None) -> TerritoryData:
    d = Path(directory) if directory else data_dir() / "territories"
    meta_path = d / "meta.json"
    try:
        meta = json.loads(_read_text(meta_path))
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", source=str(meta_path), line=e.lineno, column=e.colno) from None
    communes = []
    p = d / "communes.csv.xz"
    for ln, r in read_csv(p, ["code", "kind", "tncc", "name", "population", "dep", "epci", "parent", "lon", "lat"]):
        communes.append(Commune(r["code"], r["kind"], _int(r["tncc"], p, ln) or 0, r["name"],
                                _int(r["population"], p, ln), r["dep"], r["epci"], r["parent"],
                                _float(r["lon"], p, ln), _float(r["lat"], p, ln)))
    epcis = {}
    p = d / "epci.csv.xz"
    for ln, r in read_csv(p, ["siren", "kind", "name", "population", "deps", "regions", "lon", "lat"]):
        epcis[r["siren"]] = Epci(r["siren"], r["kind"], r["name"], _int(r["population"], p, ln),
                                 r["deps"].split(), r["regions"].split(), _float(r["lon"], p, ln), _float(r["lat"], p, ln))
    deps = {}
    p = d / "departements.csv"
    for ln, r in read_csv(p, ["code", "tncc", "name", "region", "chef_lieu", "population", "lon", "lat"]):
        deps[r["code"]] = Departement(r["code"], _int(r["tncc"], p, ln) or 0, r["name"], r["region"], r["chef_lieu"],
                                      _int(r["population"], p, ln), _float(r["lon"], p, ln), _float(r["lat"], p, ln))
    regions = {}
    p = d / "regions.csv"
    for ln, r in read_csv(p, ["code", "tncc", "name", "chef_lieu", "population", "lon", "lat"]):
        regions[r["code"]] = Region(r["code"], _int(r["tncc"], p, ln) or 0, r["name"], r["chef_lieu"],
                                    _int(r["population"], p, ln), _float(r["lon"], p, ln), _float(r["lat"], p, ln))
    old = {}
    p = d / "regions_pre2016.csv"
    for ln, r in read_csv(p, ["code", "tncc", "name", "successor", "departements", "chef_lieu", "valid_until", "source"]):
        if r["successor"] not in regions:
            raise InputError(f"successor région {r['successor']!r} is not a current région", source=str(p), line=ln)
        ds = r["departements"].split()
        bad = [x for x in ds if x not in deps]
        if bad:
            raise InputError(f"unknown département(s) {' '.join(bad)}", source=str(p), line=ln)
        members = [deps[x] for x in ds]
        pop = sum(m.population or 0 for m in members)
        w = [(m.population or 1, m.lon, m.lat) for m in members if m.lon is not None]
        lon = sum(a * b for a, b, _ in w) / sum(a for a, _, _ in w) if w else None
        lat = sum(a * c for a, _, c in w) / sum(a for a, _, _ in w) if w else None
        old[r["code"]] = Region(r["code"], _int(r["tncc"], p, ln) or 0, r["name"], r["chef_lieu"], pop, lon, lat,
                                successor=r["successor"], departements=ds, valid_until=r["valid_until"], source=r["source"])
    p = d / "region_former_names.csv"
    for ln, r in read_csv(p, ["code", "name", "valid_from", "valid_until", "source"]):
        if r["code"] not in regions:
            raise InputError(f"unknown région code {r['code']!r}", source=str(p), line=ln)
        regions[r["code"]].former_names.append(r)
    aliases = []
    p = d / "epci_aliases.csv"
    for ln, r in read_csv(p, ["siren", "alias", "relation", "valid_from", "valid_until", "current_name", "source"]):
        e = epcis.get(r["siren"])
        if e is None:
            raise InputError(f"SIREN {r['siren']} is not a current EPCI", source=str(p), line=ln)
        if e.name != r["current_name"]:
            raise InputError(f"SIREN {r['siren']} is named {e.name!r} in the COG, not {r['current_name']!r}",
                             source=str(p), line=ln)
        if not r["source"].strip():
            raise InputError("an alias needs a source", source=str(p), line=ln)
        e.former_names.append(r)
        aliases.append(r)
    history = []
    p = d / "commune_history.csv"
    if p.exists():
        com_codes = {c.code for c in communes if c.kind == "COM"}
        for ln, r in read_csv(p, ["name", "code", "former_code", "event", "ended_after", "ended_by", "source"]):
            if r["code"] not in com_codes:
                raise InputError(f"commune {r['code']!r} of former name {r['name']!r} is not a current commune",
                                 source=str(p), line=ln)
            if r["event"] not in ("absorbed", "merged", "renamed", "code-change"):
                raise InputError(f"unknown event {r['event']!r} (absorbed, merged, renamed, code-change)",
                                 source=str(p), line=ln)
            for col in ("ended_after", "ended_by"):
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[col]):
                    raise InputError(f"{col} must be an ISO date, got {r[col]!r}", source=str(p), line=ln)
            history.append(r)
    foreign = [r for _l, r in read_csv(d / "foreign_places.csv", ["name", "country", "type", "aliases"])]
    countries = [r for _l, r in read_csv(d / "countries.csv", ["code", "name", "aliases"])]
    exclude = set(_words(d / "firstnames_exclude.txt"))
    firstnames = frozenset(n for n in _words(d / "firstnames.txt.xz") if n not in exclude)
    forced = frozenset(_words(d / "common_words_extra.txt"))
    common = frozenset(_words(d / "common_words.txt")) | forced
    return TerritoryData(d, meta, communes, epcis, deps, regions, old, aliases, foreign, countries,
                         firstnames, common, forced, frozenset(_words(d / "epci_generic_words.txt")),
                         frozenset(_words(d / "org_name_heads.txt")), history)


@lru_cache(maxsize=4)
def default_data(directory: str | None = None) -> TerritoryData:
    return load_data(directory)
