"""The curated ESS lexicon and rule data (``data/lexicon/``), loaded once.

The data files are YAML (and one plain word list) so that researchers can
extend them without touching Python. A malformed file raises
:class:`~ess_graph.errors.InputError` naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..model import ORG_TYPES, ACTION_TYPES, TERRITORY_TYPES
from ..names import fold
from ..resources import data_dir


@dataclass
class LexEntry:
    name: str
    type: str
    acronym: str | None = None
    aliases: list[str] = field(default_factory=list)
    generic: bool = False
    country: str | None = None

    @property
    def forms(self) -> list[str]:
        out = [self.name, *self.aliases]
        if self.acronym:
            out.append(self.acronym)
        return out


@dataclass
class RoleHead:
    head: str
    slug: str
    presides: bool = False


@dataclass
class Lexicon:
    entries: list[LexEntry]
    org_heads: dict[str, list[str]]
    legal_forms: dict[str, list[str]]
    syndicate_heads: list[str]
    syndicate_acronyms: list[str]
    action_heads: dict[str, list[str]]
    roles: list[RoleHead]
    domain_phrases: list[str]
    not_names: set[str]
    anaphors: dict[str, list[str]]
    first_names: set[str]
    source_dir: Path
    action_objects: set[str] = field(default_factory=set)
    epci_heads: list[str] = field(default_factory=list)

    # compiled lazily
    _fixed_re: re.Pattern | None = None
    _fixed_index: dict[str, LexEntry] | None = None

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "Lexicon":
        d = Path(directory) if directory else data_dir() / "lexicon"
        orgs = _read_yaml(d / "organisations.yaml")
        acts = _read_yaml(d / "actions.yaml")
        places = _read_yaml(d / "places.yaml")
        rules = _read_yaml(d / "rules.yaml")
        entries: list[LexEntry] = []
        for rec in _list(orgs, "organisations", d / "organisations.yaml"):
            entries.append(_entry(rec, rec.get("kind"), ORG_TYPES, d / "organisations.yaml"))
        for rec in _list(acts, "actions", d / "actions.yaml"):
            entries.append(_entry(rec, rec.get("type"), ACTION_TYPES, d / "actions.yaml"))
        for rec in _list(places, "places", d / "places.yaml"):
            entries.append(_entry(rec, rec.get("type"), TERRITORY_TYPES, d / "places.yaml"))
        first = set()
        fn = d / "first_names.txt"
        try:
            for line in fn.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    first.add(line)
        except OSError as e:
            raise InputError(f"cannot read lexicon file: {e.strerror}", source=str(fn)) from None
        roles = [RoleHead(head=r["head"], slug=r["slug"], presides=bool(r.get("presides")))
                 for r in rules.get("roles", [])]
        return cls(
            entries=entries,
            org_heads={k: list(v) for k, v in (rules.get("org_heads") or {}).items()},
            legal_forms={k: list(v or []) for k, v in (rules.get("legal_forms") or {}).items()},
            syndicate_heads=list(rules.get("syndicate_heads") or []),
            syndicate_acronyms=list(rules.get("syndicate_acronyms") or []),
            action_heads={k: list(v) for k, v in (rules.get("action_heads") or {}).items()},
            roles=roles,
            domain_phrases=list(rules.get("domain_phrases") or []),
            not_names=set(rules.get("not_names") or []),
            anaphors={k: list(v) for k, v in (rules.get("anaphors") or {}).items()},
            first_names=first,
            source_dir=d,
            action_objects=set(rules.get("action_objects") or []),
            epci_heads=list(rules.get("epci_heads") or []),
        )

    # ------------------------------------------------------------------
    def fixed_matcher(self) -> tuple[re.Pattern, dict[str, LexEntry]]:
        """One regex for every fixed name, alias and acronym; form -> entry.

        Single words and acronyms match case-sensitively ("Avise", "RTES");
        multi-word names match whatever their capitalisation ("Association
        Internationale des Maires Francophones").
        """
        if self._fixed_re is None:
            index: dict[str, LexEntry] = {}
            for e in self.entries:
                for f in e.forms:
                    f = re.sub(r"\s+", " ", f.replace("\u2019", "'"))
                    key = _fold(f) if " " in f else f
                    index.setdefault(key, e)
            multi = sorted((f for f in index if " " in f), key=lambda s: (-len(s), s))
            single = sorted((f for f in index if " " not in f), key=lambda s: (-len(s), s))
            alt_m = "|".join(_loose(f) for f in multi)
            alt_s = "|".join(re.escape(f) for f in single)
            self._fixed_re = re.compile(
                rf"(?<![\w@.\-])(?:(?i:{alt_m})|{alt_s})(?![\w\-]|\.\w)")
            self._fixed_index = index
        return self._fixed_re, self._fixed_index  # type: ignore[return-value]

    def lookup_form(self, surface: str) -> LexEntry | None:
        _, index = self.fixed_matcher()
        s = re.sub(r"\s+", " ", surface.replace("\u2019", "'"))
        return index.get(s) or index.get(_fold(s))


_ACCENTS = {"a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç"}


_fold = fold  # case- and accent-insensitive key for multi-word names


def _loose(form: str) -> str:
    """Regex for a multi-word name: any case, any accent on vowels, any whitespace."""
    out = []
    for ch in _fold(form):
        if ch == " ":
            out.append(r"\s+")
        elif ch in _ACCENTS:
            out.append("[" + _ACCENTS[ch] + "]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _entry(rec: dict[str, Any], type_: Any, allowed: tuple[str, ...], path: Path) -> LexEntry:
    if not isinstance(rec, dict) or not rec.get("name"):
        raise InputError("lexicon entry without a name", source=str(path))
    if type_ not in allowed:
        raise InputError(f"lexicon entry {rec.get('name')!r}: type {type_!r} is not one of {', '.join(allowed)}",
                         source=str(path))
    return LexEntry(name=str(rec["name"]), type=str(type_), acronym=rec.get("acronym"),
                    aliases=[str(a) for a in rec.get("aliases") or []],
                    generic=bool(rec.get("generic")), country=rec.get("country"))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read lexicon file: {e.strerror}", source=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(e, 'problem', e)}", source=str(path),
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", source=str(path), line=1)
    return data


def _list(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    v = data.get(key)
    if not isinstance(v, list):
        raise InputError(f"expected a list under {key!r}", source=str(path))
    return v
