"""Find and resolve mentions of territories in French text, the way a reader does.

Matching: an accent- and case-insensitive gazetteer over tokens (hyphens and
apostrophes are separators, "St"/"Ste" = Saint/Sainte), longest match first,
never across sentence punctuation or a line break.

Filters (measured on the seeds, see docs/territories.md):
capitalisation as in the official name; accent-exactness (a diacritic the
name lacks rejects it, exact accents are preferred); common words (a
single-word name that is a French word needs a place trigger such as "à",
"de", "en" and may not open a sentence, unless it is a large city);
months ("mars 2011", "mois de Mars"); person context (after a given name or a
civility, or a given name followed by a capitalised word); all-caps single
words; hyphenated names (no match starts or ends inside "Sud-Finistère"
unless the whole compound is an entry); organisation names ("Bretagne
Active", "Limousin Bio": data/territories/org_name_heads.txt); a one-word
commune inside a multi-word proper name ("Emmaüs Lyon"); one-word generic EPCI
short names ("Sud": data/territories/epci_generic_words.txt) only with an EPCI
cue, a département code or the EPCI's département/région named nearby.

Resolution, in this order: an explicit cue ("commune de", "ville de", "maire
de", "département", "en", "dans le", "région", "(05)"); a département, région
or EPCI named elsewhere in the text; the clipping's date (validity of former
names); COM before communes déléguées/associées; population (the largest
must be at least 3 times the next). Otherwise the mention stays unresolved
and keeps its candidates: nothing is guessed silently.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ..names import strip_accents
from .data import TerritoryData, default_data

POP_RATIO = 3.0
COMMON_WORD_POP_EXEMPT = 50_000
CUE_WINDOW = 48
CONTEXT_WINDOW = 200      # a generic one-word EPCI name needs its département/région named this close
HYPHENS = ("-", "\u2010", "\u2011")
# lower-case prefixes that may be hyphen-joined before a territory name ("l'ex-Aquitaine")
HYPHEN_PREFIXES = {"ex", "neo", "post", "pre", "anti", "pro", "trans", "inter", "intra", "extra", "ultra", "pan"}
# capitalised words that introduce a territory name written right after them ("Ville Lyon", "Grand Lyon")
INTRO_WORDS = {"commune", "ville", "mairie", "village", "bourg", "municipalite", "departement", "region",
               "metropole", "agglomeration", "agglo", "communaute", "canton", "prefecture", "arrondissement",
               "territoire", "grand", "grande", "maire", "cite", "municipal", "communal", "intercommunal",
               "departemental", "regional", "general"}

TOKEN_RE = re.compile(r"[^\W_]+")
GAP_RE = re.compile(r"[ \t\u00a0\u202f]*[-'’‘ʼ]?[ \t\u00a0\u202f]*")
ARTICLES = {"le", "la", "les", "l", "aux", "las", "los"}
FUNCTION_WORDS = ARTICLES | {"de", "du", "des", "d", "et", "sur", "sous", "en", "les", "lès", "lez", "au", "à", "s"}
TRIGGERS = {"à", "a", "de", "d", "en", "sur", "vers", "par", "près", "pres", "entre", "au", "aux", "du", "des",
            "dans", "depuis", "pour", "jusqu", "chez"}
MONTHS = {"janvier", "février", "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout",
          "septembre", "octobre", "novembre", "décembre", "decembre"}
CIVILITIES = {"m", "mme", "mmes", "mlle", "monsieur", "madame", "mademoiselle", "mr", "dr", "me", "messieurs"}
CONTRACTION = {2: ("du", "au"), 4: ("des", "aux")}  # Le Mans → du Mans / au Mans; Les Sables → des Sables

_PREP = r"(?:de la |de l'|du |des |de |d'|d’)"
CUE_PATTERNS = [
    ("Commune", re.compile(r"(?:commune|ville|maire|mairie|municipalité|village|bourg|conseil municipal|"
                           r"adjointe? au maire|habitants?)\s+" + _PREP + r"?$")),
    ("Department", re.compile(r"(?:département|departement|conseil général|conseil general|"
                              r"conseil départemental|conseil departemental|préfecture|prefecture)\s+" + _PREP + r"?$")),
    ("Region", re.compile(r"(?:région|region|conseil régional|conseil regional)\s+" + _PREP + r"?$")),
    ("Intercommunality", re.compile(r"(?:communauté de communes|communauté d'agglomération|communauté urbaine|"
                                    r"communauté|agglomération|métropole|intercommunalité|epci|"
                                    r"\b(?:ca|cc|cu|cda|cdc|agglo|interco))\s+" + _PREP + r"?$")),
    ("Department|Region|Country", re.compile(r"(?:^|[\s(])(?:en|dans l'|dans le|dans la|dans les|"
                                             r"dans l’)\s*$")),
]
CODE_CUE = re.compile(r"^\s*\(\s*(\d{2}|2[AB]|97\d)\s*\)")
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n«\"“(]|\.\.\.)\s*$")


# "(85)", "(2A)", "(974)" right after a word: a département number, not a year or a count
_BRACKET_DEP = re.compile(r"(?<=[^\W\d_]) \((0[1-9]|[1-8]\d|9[0-5]|2[AaBb]|97[1-6])\)")


# generic words that end an EPCI's name and that the press writes in lower case
# ("Quimperlé communauté", "Nantes métropole", "Concarneau Cornouaille agglomération")
_COMMON_REGION_WORDS = frozenset({"centre"})
_EPCI_TRAILING = frozenset({"communaute", "agglomeration", "metropole", "agglo"})


_NAME_STOP = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "sur"})


def _name_key(name: str) -> tuple[str, ...]:
    return tuple(k for k in (norm_token(t) for t in re.findall(r"[^\W_]+", name)) if k not in _NAME_STOP)


def norm_token(t: str) -> str:
    k = strip_accents(t).casefold().replace("œ", "oe").replace("æ", "ae")
    if k == "st":
        return "saint"
    if k == "ste":
        return "sainte"
    return k


def _marks(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.combining(c))


def accent_relation(text_tok: str, name_tok: str) -> int:
    """0: identical accents; 1: the text drops accents of the name; -1: the text adds accents (reject)."""
    a, b = unicodedata.normalize("NFC", text_tok), unicodedata.normalize("NFC", name_tok)
    if len(a) != len(b):
        return 0 if norm_token(a) == norm_token(b) else -1
    rel = 0
    for x, y in zip(a, b):
        mx, my = _marks(x), _marks(y)
        if mx == my:
            continue
        if mx and mx != my:
            return -1
        rel = 1
    return rel


@dataclass(frozen=True)
class Entry:
    type: str                 # Commune | Intercommunality | Department | Region | Country
    code: str | None          # INSEE code, SIREN, ISO country code (Country), None for foreign places
    name: str                 # official name with its article
    population: int | None
    kind: str = ""            # COM/COMD/COMA/ARM, CC/CA/CU/METRO, "" otherwise
    dep: str = ""
    region: str = ""
    epci: str = ""
    former: bool = False      # former name, pre-2016 région, commune déléguée/associée
    country: str = "FR"
    valid_from: str = ""
    valid_until: str = ""
    tokens: tuple[str, ...] = ()   # surface tokens of the indexed form (capitalisation/accent checks)
    lead_article: int = 0          # number of leading article tokens in ``tokens``
    needs_prev: tuple[str, ...] = ()  # contracted form: previous token must be one of these
    lower_ok: int = 0              # leading generic tokens that may be written in lower case ("communauté de communes")
    needs_cue: bool = False        # one-word generic EPCI short name ("Sud"): only with an EPCI cue or nearby context
    history: bool = False          # a former commune name of the COG history (commune_history.csv)

    def candidate(self) -> dict:
        return {"insee": self.code if self.country == "FR" else None, "type": self.type, "name": self.name,
                "population": self.population, "country": self.country, "kind": self.kind, "dep": self.dep}


@dataclass
class TerritoryMatch:
    start: int
    end: int
    text: str
    type: str
    insee: str | None
    name: str
    country: str = "FR"
    resolved: bool = True
    candidates: list[dict] = field(default_factory=list)
    cue: str | None = None
    former: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Tok:
    start: int
    end: int
    text: str
    key: str


def tokenize(text: str) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), m.group(0), norm_token(m.group(0))) for m in TOKEN_RE.finditer(text)]


def _joinable(text: str, a: _Tok, b: _Tok) -> bool:
    gap = text[a.end:b.start]
    return GAP_RE.fullmatch(gap) is not None and len(gap) <= 3


def _is_cap(t: str) -> bool:
    return t[:1].isupper()


class TerritoryLinker:
    """Gazetteer + rules over the shipped reference tables. Use :meth:`default` (cached)."""

    def __init__(self, data: TerritoryData):
        self.data = data
        self.index: dict[tuple[str, ...], list[Entry]] = {}
        self.max_len = 1
        self._epci_names: dict[tuple[str, ...], set[str]] | None = None
        self._build()

    # ------------------------------------------------------------------ index
    @classmethod
    def default(cls) -> "TerritoryLinker":
        return _default_linker()

    def _add(self, surface: str, entry: Entry, *, lead_article: int = 0, needs_prev=(), lower_ok: int = 0,
             needs_cue: bool = False) -> None:
        toks = tuple(m.group(0) for m in TOKEN_RE.finditer(surface))
        if not toks:
            return
        key = tuple(norm_token(t) for t in toks)
        e = Entry(**{**entry.__dict__, "tokens": toks, "lead_article": lead_article, "needs_prev": tuple(needs_prev),
                         "lower_ok": lower_ok, "needs_cue": needs_cue})
        bucket = self.index.setdefault(key, [])
        if any(x.type == e.type and x.code == e.code and x.kind == e.kind and x.needs_prev == e.needs_prev
               and x.country == e.country for x in bucket):
            return
        bucket.append(e)
        self.max_len = max(self.max_len, len(key))

    def _build(self) -> None:
        d = self.data
        self.org_heads = frozenset(norm_token(w) for w in d.org_name_heads)
        generic = {norm_token(w) for w in d.epci_generic_words | d.common_words}
        for c in d.communes:
            par = d.commune(c.parent) if c.parent else None
            dep = c.dep or (par.dep if par else "")
            reg = d.departements[dep].region if dep in d.departements else ""
            epci = c.epci or (par.epci if par else "")
            e = Entry("Commune", c.code, c.label, c.population, c.kind, dep, reg, epci,
                      former=c.kind in ("COMD", "COMA"))
            art = 1 if c.tncc in (2, 3, 4, 6, 7, 8) else (1 if c.tncc == 5 else 0)
            self._add(c.label, e, lead_article=art)
            if c.tncc in CONTRACTION:
                self._add(c.name, e, needs_prev=CONTRACTION[c.tncc])
            if c.kind == "ARM":  # "Paris 1er", "Lyon 3e"
                m = re.match(r"(.+?) (\d+)(?:er|e|ème)? Arrondissement", c.name)
                if m:
                    n = int(m.group(2))
                    self._add(f"{m.group(1)} {n}{'er' if n == 1 else 'e'}", e)
        com_by = {c.code: c for c in d.communes if c.kind == "COM"}
        for h in d.commune_history:
            # a former name (absorbed, merged, renamed commune) → the current commune, dated
            c = com_by[h["code"]]
            reg = d.departements[c.dep].region if c.dep in d.departements else ""
            e = Entry("Commune", c.code, c.label, c.population, c.kind, c.dep, reg, c.epci, former=True,
                      valid_until=h["ended_by"], history=True)
            first = h["name"].split(" ")[0].split("'")[0]
            self._add(h["name"], e, lead_article=1 if first in ("Le", "La", "Les", "L") else 0)
        for dp in d.departements.values():
            e = Entry("Department", dp.code, dp.name, dp.population, "", dp.code, dp.region)
            self._add(dp.name, e, lead_article=1 if dp.name.split(" ")[0] in ("La", "Le", "Les") else 0)
        for r in d.regions.values():
            e = Entry("Region", r.code, r.name, r.population, "", "", r.code)
            self._add(r.name, e, lead_article=1 if r.name.split(" ")[0] in ("La", "Le", "Les") else 0)

            for fn in r.former_names:
                # a one-word former name that is also a common noun ("Centre") needs a cue ("la région Centre")
                one_word = len(TOKEN_RE.findall(fn["name"])) == 1
                self._add(fn["name"], Entry("Region", r.code, r.name, r.population, "", "", r.code, former=True,
                                            valid_from=fn["valid_from"], valid_until=fn["valid_until"]),
                          needs_cue=one_word and norm_token(fn["name"]) in _COMMON_REGION_WORDS)
        for r in d.old_regions.values():
            self._add(r.name, Entry("Region", r.code, r.name, r.population, "", "", r.code, former=True,
                                    valid_until=r.valid_until))
        commune_keys = {k for k, v in self.index.items() if any(x.type == "Commune" for x in v)}
        for ep in d.epcis.values():
            dep = ep.deps[0] if len(ep.deps) == 1 else ""
            reg = ep.regions[0] if len(ep.regions) == 1 else ""
            e = Entry("Intercommunality", ep.siren, ep.name, ep.population, ep.kind, dep, reg, ep.siren)
            m = EPCI_PREFIX.match(ep.name)
            self._add(ep.name, e, lower_ok=len(TOKEN_RE.findall(m.group(0))) if m else 0)
            short = epci_short_name(ep.name)
            if short and short != ep.name:
                k = tuple(norm_token(t) for t in TOKEN_RE.findall(short))
                if k not in commune_keys:
                    # "Sud", "Estuaire", "Forêt": a cardinal point or a common noun needs a cue
                    self._add(short, e, needs_cue=len(k) == 1 and k[0] in generic)
            for a in ep.former_names:
                self._add(a["alias"], Entry("Intercommunality", ep.siren, ep.name, ep.population, ep.kind, dep, reg,
                                            ep.siren, former=True, valid_from=a["valid_from"],
                                            valid_until=a["valid_until"]))
        for c in d.countries:
            e = Entry("Country", c["code"], c["name"], None, country=c["code"])
            self._add(c["name"], e)
            for a in filter(None, c["aliases"].split("|")):
                self._add(a, e)
        for f in d.foreign_places:
            e = Entry(f["type"], None, f["name"], None, country=f["country"])
            self._add(f["name"], e)
            for a in filter(None, f["aliases"].split("|")):
                self._add(a, e)

    # ------------------------------------------------------------------ public
    def epci_by_name(self, name: str) -> Entry | None:
        """The EPCI whose official (or former) name is ``name`` up to case, accents, hyphens, articles
        and prepositions ("Communauté d'agglomération Béziers Méditerranée" = "… de Béziers-Méditerranée")."""
        if self._epci_names is None:
            index: dict[tuple[str, ...], set[str]] = {}
            for ep in self.data.epcis.values():
                for n in [ep.name] + [a["alias"] for a in ep.former_names]:
                    index.setdefault(_name_key(n), set()).add(ep.siren)
            self._epci_names = index
        sirens = self._epci_names.get(_name_key(name), set())
        if len(sirens) != 1:
            return None
        ep = self.data.epcis[next(iter(sirens))]
        return Entry("Intercommunality", ep.siren, ep.name, ep.population, ep.kind)

    def lookup(self, type_: str, code: str) -> dict | None:
        d = self.data
        if type_ == "Commune":
            c = d.commune(code)
            if c is None:
                return None
            par = d.commune(c.parent) if c.parent else None
            dep = c.dep or (par.dep if par else "")
            return {"type": "Commune", "code": c.code, "kind": c.kind, "name": c.label, "population": c.population,
                    "parents": {"commune": c.parent or None, "epci": (c.epci or (par.epci if par else "")) or None,
                                "dep": dep or None,
                                "region": d.departements[dep].region if dep in d.departements else None},
                    "centroid": (c.lon, c.lat) if c.lon is not None else None}
        if type_ == "Intercommunality":
            e = d.epcis.get(code)
            if e is None:
                return None
            return {"type": type_, "code": e.siren, "kind": e.kind, "name": e.name, "population": e.population,
                    "parents": {"dep": e.deps[0] if len(e.deps) == 1 else (e.deps or None),
                                "region": e.regions[0] if len(e.regions) == 1 else (e.regions or None)},
                    "former_names": [a["alias"] for a in e.former_names],
                    "centroid": (e.lon, e.lat) if e.lon is not None else None}
        if type_ == "Department":
            dp = d.departements.get(code)
            if dp is None:
                return None
            return {"type": type_, "code": dp.code, "name": dp.name, "population": dp.population,
                    "chef_lieu": dp.chef_lieu, "parents": {"region": dp.region},
                    "centroid": (dp.lon, dp.lat) if dp.lon is not None else None}
        if type_ == "Region":
            r = d.regions.get(code) or d.old_regions.get(code)
            if r is None:
                return None
            return {"type": type_, "code": r.code, "name": r.name, "population": r.population,
                    "chef_lieu": r.chef_lieu, "parents": {}, "former": r.historical,
                    "successor": r.successor or None, "departements": r.departements or None,
                    "centroid": (r.lon, r.lat) if r.lon is not None else None}
        if type_ == "Country":
            for c in d.countries:
                if c["code"] == code:
                    return {"type": type_, "code": code, "name": c["name"], "population": None, "parents": {}}
        return None

    def find(self, text: str, *, date: str | None = None) -> list[TerritoryMatch]:
        ntext = text.replace("’", "'").replace("‘", "'").replace("ʼ", "'")
        toks = tokenize(ntext)
        raw = self._match_spans(ntext, toks)
        spans = []
        for (i, j, cands) in raw:
            cands, art = self._filter(ntext, toks, i, j, cands)
            if cands:
                spans.append((i, j, cands, art))
        staged = []
        for (i, j, cands, art) in spans:
            s = toks[i + art].start
            cue, kept, epci_cue = self._apply_cues(ntext, s, toks[j - 1].end, cands)
            kept = self._by_date(kept, date)
            staged.append((i, j, cands, art, cue, kept, epci_cue))
        staged = self._generic_epci_names(ntext, toks, staged)
        # context: unambiguous territories named in the text
        ctx_dep, ctx_reg, ctx_epci = set(), set(), set()
        prelim = []
        for (i, j, cands, art, cue, kept) in staged:
            prelim.append((i, j, cands, art, cue, kept))
            fr = [c for c in kept if c.country == "FR"]
            if len(fr) == 1 or (fr and len({(c.type, c.code) for c in fr}) == 1):
                c = fr[0]
                if c.type == "Department":
                    ctx_dep.add(c.code)
                    ctx_reg.add(c.region)
                elif c.type == "Region":
                    ctx_reg.add(c.code)
                elif c.type == "Intercommunality":
                    ctx_epci.add(c.code)
                    ctx_dep.update([c.dep] if c.dep else [])
                elif c.type == "Commune":
                    ctx_dep.add(c.dep)
                    ctx_epci.add(c.epci)
        bracket = self._bracket_departements(ntext)
        ctx_dep.update(m.insee for m in bracket)
        out = []
        for (i, j, cands, art, cue, kept) in prelim:
            s, e = toks[i + art].start, toks[j - 1].end
            out.append(self._resolve(text, s, e, kept, cue, ctx_dep, ctx_reg, ctx_epci))
        taken = [(m.start, m.end) for m in out]
        out.extend(m for m in bracket if not any(a < m.end and m.start < b for a, b in taken))
        out.sort(key=lambda m: (m.start, -m.end))
        self._bracket_names(ntext, out)
        return out

    def _bracket_names(self, text: str, out: list[TerritoryMatch]) -> None:
        """A département or région name in brackets right after a commune decides among its homonyms:
        "Saint-Denis (La Réunion)" → 97411, "Sainte-Marie (Martinique)" → 97228, "Saint-Denis
        (Seine-Saint-Denis)" → 93066. The bracketed match may itself be ambiguous between a
        département and its région (La Réunion: 974 and 04); any of its readings counts."""
        for k, m in enumerate(out):
            if m.type != "Commune" or m.country != "FR":
                continue
            br = re.match(r"\s*\(\s*([^()\n]{2,40}?)\s*\)", text[m.end:])
            if br is None:
                continue
            deps, regs = self._named_in_brackets(br.group(1))
            if not deps and not regs:
                continue
            label = br.group(1)
            cands = m.candidates if not m.resolved else [{"insee": m.insee, "type": m.type, "name": m.name}]
            keep = []
            for c in cands:
                if c.get("type") != "Commune" or not c.get("insee"):
                    continue
                com = self.data.commune(c["insee"])
                dep = com.dep if com is not None else ""
                if com is not None and not dep and com.parent:
                    par = self.data.commune(com.parent)
                    dep = par.dep if par is not None else ""
                reg = self.data.departements[dep].region if dep in self.data.departements else ""
                if dep in deps or reg in regs:
                    keep.append(c)
            if len(keep) == 1 and (not m.resolved or keep[0]["insee"] != m.insee or m.cue is None):
                c = keep[0]
                out[k] = TerritoryMatch(m.start, m.end, m.text, "Commune", c["insee"],
                                        c.get("name") or m.name, "FR", True, [], f"({label})", m.former)

    def _named_in_brackets(self, inner: str) -> tuple[set[str], set[str]]:
        """Département and région codes a bracketed name stands for, its article optional ("Réunion",
        "La Réunion", "Martinique", "Ille-et-Vilaine", "Bretagne")."""
        key = tuple(norm_token(t) for t in TOKEN_RE.findall(inner))
        deps, regs = set(), set()
        for k in (key, ("la",) + key, ("le",) + key, ("les",) + key):
            for e in self.index.get(k, ()):
                if e.country != "FR" or e.former:
                    continue
                if e.type == "Department":
                    deps.add(e.code)
                elif e.type == "Region":
                    regs.add(e.code)
            if deps or regs:
                break
        return deps, regs

    def _bracket_departements(self, text: str) -> list[TerritoryMatch]:
        """A département number in brackets after a name: "Les Herbiers (85)", "Canéjan (33)"."""
        out = []
        for m in _BRACKET_DEP.finditer(text):
            code = m.group(1).upper()
            dp = self.data.departements.get(code)
            if dp is None:
                continue
            out.append(TerritoryMatch(m.start(1), m.end(1), m.group(1), "Department", dp.code, dp.name,
                                      cue="bracket"))
        return out

    def _generic_epci_names(self, text, toks, staged):
        """A one-word generic EPCI short name ("Sud") stays an EPCI only with an EPCI cue ("CA du",
        "agglomération du", "(974)") or with one of the EPCI's départements or régions named (as a
        candidate of another span) within CONTEXT_WINDOW characters in the same paragraph; otherwise that
        candidate is dropped (and the span with it when nothing else is left)."""
        if not any(c.needs_cue for st in staged for c in st[5]):
            return [st[:6] for st in staged]
        near = []  # (start, end, type, code, surface) of départements / régions named in the text
        for (i, j, _c, art, _cue, kept, _e) in staged:
            # "La Réunion": département 974, région 04 (and a commune of Lot-et-Garonne)
            fr = {(c.type, c.code) for c in kept if c.country == "FR" and c.type in ("Department", "Region")}
            if fr:
                s, e = toks[i + art].start, toks[j - 1].end
                near.extend((s, e, t, code, text[s:e]) for t, code in sorted(fr))
        out = []
        for (i, j, cands, art, cue, kept, epci_cue) in staged:
            if not epci_cue and any(c.needs_cue for c in kept):
                s, e = toks[i + art].start, toks[j - 1].end
                ok, found = [], None
                for c in kept:
                    if not c.needs_cue:
                        ok.append(c)
                        continue
                    ep = self.data.epcis.get(c.code)
                    deps, regs = (set(ep.deps), set(ep.regions)) if ep else (set(), set())
                    for (ns, ne, t, code, surf) in near:
                        gap = text[min(e, ne):max(s, ns)]
                        if max(ns - e, s - ne) <= CONTEXT_WINDOW and "\n\n" not in gap and \
                                ((t == "Department" and code in deps) or (t == "Region" and code in regs)):
                            ok.append(c)
                            found = found or surf
                            break
                if not ok:
                    continue
                if found and len({(c.type, c.code) for c in ok}) == 1 and cue is None:
                    cue = found  # the département or région that decided
                kept = ok
            out.append((i, j, cands, art, cue, kept))
        return out

    # ------------------------------------------------------------------ matching
    def _match_spans(self, text: str, toks: list[_Tok]):
        res = []
        i, n = 0, len(toks)
        while i < n:
            best = None
            j = i
            key: list[str] = []
            while j < n and j - i < self.max_len:
                if j > i and not _joinable(text, toks[j - 1], toks[j]):
                    break
                key.append(toks[j].key)
                cands = self.index.get(tuple(key))
                if cands:
                    best = (j + 1, cands)
                j += 1
            if best and _in_compound(text, toks[i - 1] if i else None, toks[i], toks[best[0] - 1],
                                     toks[best[0]] if best[0] < n else None):
                best = None  # inside a hyphenated name: try the next token ("Le Pas-de-Calais" is not Le Pas)
            if best:
                j, cands = best
                res.append((i, j, cands))
                i = j
            else:
                i += 1
        return res

    def _filter(self, text, toks, i, j, cands):
        """Apply the surface filters; return (kept entries, number of leading article tokens to drop)."""
        surf = toks[i:j]
        prev = toks[i - 1] if i > 0 else None
        nxt = toks[j] if j < len(toks) else None
        if _in_compound(text, prev, surf[0], surf[-1], nxt):
            return [], 0  # part of a larger hyphenated name: "Sud-Finistère", "Nord-Isère"
        if nxt is not None and text[surf[-1].end:nxt.start] in (" ", "\u00a0") and _is_cap(nxt.text) \
                and nxt.key in self.org_heads:
            return [], 0  # first word of an organisation name: "Bretagne Active", "Limousin Bio"
        kept = []
        for c in cands:
            if c.needs_prev and (prev is None or prev.key not in c.needs_prev):
                continue
            ok, acc = True, 0
            for k, (t, o) in enumerate(zip(surf, c.tokens)):
                if _is_cap(o) and not _is_cap(t.text) and k >= max(c.lead_article, c.lower_ok) \
                        and not (c.type == "Intercommunality" and k > 0 and t.key in _EPCI_TRAILING):
                    ok = False  # capitalisation as in the official name (a leading article may be lower case)
                    break
                rel = accent_relation(t.text, o)
                if rel < 0:
                    ok = False  # the text has a diacritic the name lacks (Ý ≠ Y, Villé ≠ Ville)
                    break
                acc = max(acc, rel)
            if ok:
                kept.append((acc, c))
        if not kept:
            return [], 0
        best_acc = min(a for a, _ in kept)
        cands = [c for a, c in kept if a == best_acc]
        lead = 0
        c0 = cands[0]
        if c0.lead_article and not _is_cap(surf[0].text):
            lead = c0.lead_article
            if i + lead >= j:
                return [], 0
        content = [t for t in surf[lead:] if t.key not in ARTICLES]
        first = surf[lead]
        before = text[max(0, first.start - CUE_WINDOW):first.start]
        prev_tok = toks[i + lead - 1] if i + lead > 0 else None
        single = len(content) == 1
        if single and content[0].text.isupper() and len(content[0].text) > 1:
            return [], 0  # all-caps single word (CONVENTION, SON, UE)
        if single and content[0].text.lower() in MONTHS:
            after = text[content[0].end:content[0].end + 8]
            if re.match(r"\s*\d", after) or re.search(r"(\d\s*|\bmois\s+(de\s+|d')?)$", before.lower()):
                return [], 0
        if single and all(c.history for c in cands) and not (
                prev_tok is not None and prev_tok.key in TRIGGERS and _joinable_soft(text, prev_tok, first)):
            return [], 0  # a one-word former commune name ("Jouy", "Granges") needs a place trigger
        if single:
            w = content[0].text.lower()
            if best_acc and w in self.data.common_words:
                return [], 0  # "Maire" is the word maire, not the commune Mairé
            if w in self.data.common_words or len(w) == 1:
                maxpop = max((c.population or 0) for c in cands)
                exempt = maxpop >= COMMON_WORD_POP_EXEMPT and w not in self.data.forced_common_words
                if not exempt and not (prev_tok is not None and prev_tok.key in TRIGGERS
                                       and _joinable_soft(text, prev_tok, first)):
                    return [], 0  # a common word needs a place trigger (which also rules out sentence starts)
        if prev_tok is not None and (_adjacent(text, prev_tok, first) or text[prev_tok.end:first.start] == ". "):
            if (_is_cap(prev_tok.text) and prev_tok.text in self.data.firstnames and _adjacent(text, prev_tok, first)) \
                    or (prev_tok.key in CIVILITIES and _is_cap(prev_tok.text)):
                return [], 0  # "Pauline Véron", "M. Gaillard"
        if single and prev_tok is not None and text[prev_tok.end:first.start] in (" ", "\u00a0") \
                and _is_cap(prev_tok.text) and _is_cap(first.text) \
                and not CODE_CUE.match(text[surf[-1].end:surf[-1].end + 12]):  # "Bio (46)" is a cue
            if first.key in self.org_heads:
                return [], 0  # second word of an organisation name: "Limousin Bio"
            if prev_tok.key not in INTRO_WORDS and prev_tok.key not in TRIGGERS \
                    and prev_tok.key not in FUNCTION_WORDS and not _sentence_initial(text, prev_tok):
                # inside a multi-word proper name ("Emmaüs Lyon", "Université Grenoble"): not a commune;
                # a homonymous département or région stays only if it would beat the commune anyway
                # ("CRESS Bretagne" is the région; "Sciences Po Paris" is not the département)
                top_com = max(((c.population or 0) for c in cands if c.type == "Commune"), default=None)
                cands = [c for c in cands if c.type != "Commune"]
                if top_com is not None:
                    cands = [c for c in cands if c.type not in ("Department", "Region")
                             or (c.population or 0) >= POP_RATIO * max(top_com, 1)]
                if not cands:
                    return [], 0
        if (j - i - lead) == 1 and surf[lead].text in self.data.firstnames and nxt is not None \
                and _adjacent(text, surf[lead], nxt) and _is_cap(nxt.text):
            return [], 0  # "Nancy Neamtan"
        return cands, lead

    # ------------------------------------------------------------------ resolution
    def _apply_cues(self, text, start, end, cands):
        entries = list(cands)
        before = text[max(0, start - CUE_WINDOW):start].lower()
        after = text[end:end + 12]
        m = CODE_CUE.match(after)
        if m:
            code = m.group(1)
            sel = [c for c in entries if (c.type == "Commune" and c.dep == code) or (c.type == "Department" and c.code == code)
                   or (c.type == "Intercommunality" and c.code in self.data.epcis
                       and code in self.data.epcis[c.code].deps)]
            if sel:
                return f"({code})", sel, any(c.type == "Intercommunality" for c in sel)
        for types, rx in CUE_PATTERNS:
            mm = rx.search(before)
            if mm:
                allowed = set(types.split("|"))
                sel = [c for c in entries if c.type in allowed]
                if sel:
                    return mm.group(0).strip().lstrip("(").strip(), sel, "Intercommunality" in allowed
        return None, entries, False

    @staticmethod
    def _by_date(entries, date):
        if not date or len(entries) < 2:
            return entries
        d = date[:10]
        ok = [c for c in entries if (not c.valid_from or c.valid_from <= d) and (not c.valid_until or d <= c.valid_until)]
        return ok or entries

    def _resolve(self, text, s, e, entries, cue, ctx_dep, ctx_reg, ctx_epci) -> TerritoryMatch:
        surface = text[s:e]
        cands = _dedupe(entries)

        def done(c: Entry, resolved=True, cl=None):
            return TerritoryMatch(s, e, surface, c.type, c.code if (c.country == "FR" and resolved) else
                                  (c.code if c.type == "Country" else None),
                                  c.name, c.country, resolved, [x.candidate() for x in (cl or [])], cue, c.former)
        if len(cands) == 1:
            return done(cands[0])
        # foreign vs French: a foreign place only wins with no French candidate left
        # higher-level vs commune of the same name: the higher level needs ≥3× the population
        communes = [c for c in cands if c.type == "Commune" and c.country == "FR"]
        higher = [c for c in cands if c.type in ("Department", "Region") and c.country == "FR"]
        if communes and higher and cue is None:
            top_com = max((c.population or 0) for c in communes)
            top_hi = max(higher, key=lambda c: c.population or 0)
            if (top_hi.population or 0) >= POP_RATIO * max(top_com, 1):
                cands = [top_hi]
            else:
                cands = communes
            if len(cands) == 1:
                return done(cands[0])
        # context
        ctx = [c for c in cands if (c.type == "Commune" and (c.dep in ctx_dep or (c.epci and c.epci in ctx_epci)))
               or (c.type == "Intercommunality" and c.dep in ctx_dep)]
        if len(ctx) == 1:
            return done(ctx[0])
        if len(ctx) > 1:
            cands = ctx
        # COM before déléguées/associées/arrondissements; current before former
        com = [c for c in cands if not (c.type == "Commune" and c.kind != "COM")]
        if com:
            cands = com
        cur = [c for c in cands if not c.former]
        if cur:
            cands = cur
        listed = [c for c in cands if not c.history]   # a commune déléguée before a name of the history
        if listed:
            cands = listed
        if len(cands) == 1:
            return done(cands[0])
        ranked = sorted(cands, key=lambda c: -(c.population or 0))
        p0, p1 = ranked[0].population or 0, ranked[1].population or 0
        if p0 > 0 and p0 >= POP_RATIO * p1:
            return done(ranked[0])
        top = ranked[0]
        return TerritoryMatch(s, e, surface, top.type, None, top.name, top.country, False,
                              [c.candidate() for c in ranked], cue, False)


def _dedupe(entries):
    seen, out = set(), []
    for c in entries:
        if isinstance(c, tuple):
            c = c[0]
        k = (c.type, c.code, c.country, c.name)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    gap = text[a.end:b.start]
    return gap in (" ", "\u00a0", "-")


def _joinable_soft(text: str, a: _Tok, b: _Tok) -> bool:
    gap = text[a.end:b.start]
    return len(gap) <= 3 and "\n" not in gap and re.fullmatch(r"[\s'’]*", gap) is not None


def _in_compound(text: str, prev: _Tok | None, first: _Tok, last: _Tok, nxt: _Tok | None) -> bool:
    """True when the span [first, last] is hyphen-joined to a word before or after it, i.e. it starts or
    ends inside a larger hyphenated name (a lower-case prefix such as "ex-" is allowed before it)."""
    if prev is not None and text[prev.end:first.start] in HYPHENS and prev.text[:1].isalpha() \
            and not (prev.text.islower() and prev.key in HYPHEN_PREFIXES):
        return True
    return nxt is not None and text[last.end:nxt.start] in HYPHENS and nxt.text[:1].isalpha()


def _sentence_initial(text: str, tok: _Tok) -> bool:
    return SENTENCE_START.search(text[max(0, tok.start - 8):tok.start]) is not None


EPCI_PREFIX = re.compile(r"^(?:Communauté de [Cc]ommunes|Communauté d['’][Aa]gglomération|Communauté urbaine|"
                         r"Métropole [Ee]uropéenne|Métropole)\s+")


def epci_short_name(name: str) -> str:
    """'Communauté urbaine du Grand Poitiers' → 'Grand Poitiers'; trailing '(ACRONYM)' removed."""
    s = re.sub(r"\s*\([^()]*\)\s*$", "", name)
    s = EPCI_PREFIX.sub("", s)
    s = re.sub(r"^(?:de la |de l'|du |des |de |d'|d’)", "", s)
    return s.strip()


@lru_cache(maxsize=1)
def _default_linker() -> TerritoryLinker:
    return TerritoryLinker(default_data())
