"""Researcher curation: confirm, correct or add facts in a YAML file.

A curation file lives beside the clippings (``curation.yaml`` or
``*.curation.yaml`` in a loaded folder) and is applied after every
extraction, so curated facts survive re-extraction. Curated facts win over
automatic ones and carry their own provenance (``source="curation"``,
``curator``, ``curated_at``).

Format (every section optional except ``curator`` and ``date``)::

    curator: Jeanne Martin          # who curated (becomes a prov:Person)
    date: 2024-05-02                # when (ISO date)
    clippings:
      seed-002:                     # a clipping id
        entities:                   # add entities
          - {name: Parc naturel régional du Queyras, type: PublicBody, aliases: [Queyras]}
        retype:                     # fix a type
          - {entity: Enercoop, type: Cooperative}
        rename:                     # fix a canonical name (the old one becomes an alias)
          - {entity: MGA, name: Mutuelle générale d'Avignon}
        relations:                  # add facts (evidence: optional, must be in the text)
          - subject: Véronique Debue
            predicate: hasRole
            object: Caumont-sur-Durance
            role: adjointe déléguée aux affaires sociales
            evidence: "Véronique Debue, adjointe déléguée aux Affaires sociales"
        confirm:                    # a candidate becomes an asserted fact
          - {subject: Caen, predicate: memberOf, object: RTES}
        reject:                     # an automatic fact (or candidate) is dropped
          - {subject: Sivu, predicate: supplies, object: Enercoop}

An entity is referred to by its name, one of its aliases or mention texts
(case, accents and leading articles ignored), or its extraction id (``e3``).
A malformed file, an unknown clipping id, entity, type or predicate raises
:class:`~ess_graph.errors.InputError` with the file and line.
"""
from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import InputError
from .model import ENTITY_TYPES, PREDICATES, Entity, Extraction, Mention, Relation

CURATION_NAMES = ("curation.yaml", "curation.yml")


@dataclass
class Item:
    """One instruction with the line it was written on."""

    data: dict[str, Any]
    line: int


@dataclass
class ClippingCuration:
    clipping_id: str
    line: int
    entities: list[Item] = field(default_factory=list)
    retype: list[Item] = field(default_factory=list)
    rename: list[Item] = field(default_factory=list)
    relations: list[Item] = field(default_factory=list)
    confirm: list[Item] = field(default_factory=list)
    reject: list[Item] = field(default_factory=list)


@dataclass
class Curation:
    path: str
    curator: str
    date: str
    clippings: dict[str, ClippingCuration] = field(default_factory=dict)


SECTIONS = ("entities", "retype", "rename", "relations", "confirm", "reject")
_REQUIRED = {
    "entities": ("name", "type"),
    "retype": ("entity", "type"),
    "rename": ("entity", "name"),
    "relations": ("subject", "predicate", "object"),
    "confirm": ("subject", "predicate", "object"),
    "reject": ("subject", "predicate", "object"),
}


def find_curation_files(paths: Iterable[str | Path]) -> list[Path]:
    """Curation files given directly or found in (the folders of) the given paths."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_file():
            if is_curation_file(p):
                out.append(p)
            continue
        if p.is_dir():  # hidden files and folders are skipped, as the importers skip them
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and is_curation_file(q)
                              and not any(part.startswith(".") for part in q.relative_to(p).parts)))
    return list(dict.fromkeys(out))


def is_curation_file(p: Path) -> bool:
    n = p.name.lower()
    return n in CURATION_NAMES or n.endswith(".curation.yaml") or n.endswith(".curation.yml")


# ---------------------------------------------------------------------------
def load_curation(path: str | Path) -> Curation:
    """Parse and check a curation file (structure only; ids are checked when applied)."""
    src = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read curation file: {e.strerror}", source=src) from None
    except UnicodeDecodeError as e:
        raise InputError(f"curation file is not UTF-8: {e.reason}", source=src) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        raise InputError(f"invalid YAML: {getattr(e, 'problem', None) or e}", source=src,
                         line=mark.line + 1 if mark else None,
                         column=mark.column + 1 if mark else None) from None
    if root is None:
        raise InputError("empty curation file", source=src, line=1)
    top = _mapping(root, src, "the curation file")
    curator = _scalar(top, "curator", src, root)
    date = _scalar(top, "date", src, root)
    try:
        _dt.date.fromisoformat(date[:10])
    except ValueError:
        raise InputError(f"date {date!r} is not an ISO date (YYYY-MM-DD)", source=src,
                         line=top["date"][0].start_mark.line + 1) from None
    unknown = set(top) - {"curator", "date", "clippings"}
    if unknown:
        k = sorted(unknown)[0]
        raise InputError(f"unknown key {k!r} (expected curator, date, clippings)", source=src,
                         line=top[k][0].start_mark.line + 1)
    cur = Curation(path=src, curator=curator, date=date[:10])
    if "clippings" not in top:
        return cur
    clips_node = top["clippings"][1]
    for cid, (knode, vnode) in _mapping(clips_node, src, "clippings").items():
        cc = ClippingCuration(clipping_id=cid, line=knode.start_mark.line + 1)
        if not (isinstance(vnode, yaml.ScalarNode) and vnode.value in ("", "null", "~")):
            for sec, (sk, sv) in _mapping(vnode, src, f"clipping {cid!r}").items():
                if sec not in SECTIONS:
                    raise InputError(f"unknown section {sec!r} (expected one of {', '.join(SECTIONS)})",
                                     source=src, line=sk.start_mark.line + 1)
                if not isinstance(sv, yaml.SequenceNode):
                    raise InputError(f"section {sec!r} must be a list", source=src, line=sv.start_mark.line + 1)
                for item in sv.value:
                    data = {k: _plain(v) for k, (_, v) in _mapping(item, src, f"an item of {sec!r}").items()}
                    line = item.start_mark.line + 1
                    for req in _REQUIRED[sec]:
                        if not data.get(req):
                            raise InputError(f"{sec} item without {req!r}", source=src, line=line)
                    if sec in ("entities", "retype") and data["type"] not in ENTITY_TYPES:
                        raise InputError(f"unknown type {data['type']!r} (expected one of {', '.join(ENTITY_TYPES)})",
                                         source=src, line=line)
                    if sec in ("relations", "confirm", "reject") and data["predicate"] not in PREDICATES:
                        raise InputError(f"unknown predicate {data['predicate']!r} (expected one of "
                                         f"{', '.join(PREDICATES)})", source=src, line=line)
                    getattr(cc, sec).append(Item(data, line))
        cur.clippings[cid] = cc
    return cur


def _mapping(node, src: str, what: str) -> dict[str, tuple[Any, Any]]:
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{what} must be a mapping", source=src, line=node.start_mark.line + 1)
    out: dict[str, tuple[Any, Any]] = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise InputError("keys must be plain text", source=src, line=k.start_mark.line + 1)
        if k.value in out:
            raise InputError(f"duplicate key {k.value!r}", source=src, line=k.start_mark.line + 1)
        out[k.value] = (k, v)
    return out


def _scalar(top: dict, key: str, src: str, root) -> str:
    if key not in top:
        raise InputError(f"missing {key!r}", source=src, line=root.start_mark.line + 1)
    v = top[key][1]
    if not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
        raise InputError(f"{key!r} must be a non-empty text", source=src, line=v.start_mark.line + 1)
    return str(v.value).strip()


def _plain(node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(x) for x in node.value]
    if isinstance(node, yaml.MappingNode):
        return {k.value: _plain(v) for k, v in node.value}
    return None


# ---------------------------------------------------------------------------
def apply_curation(extractions: list[Extraction], curation: Curation) -> list[Extraction]:
    """New extractions with the curation applied (the inputs are not modified)."""
    by_id = {ex.clipping.id: i for i, ex in enumerate(extractions)}
    out = list(extractions)
    for cid, cc in curation.clippings.items():
        if cid not in by_id:
            raise InputError(f"unknown clipping id {cid!r}", source=curation.path, line=cc.line)
        i = by_id[cid]
        ex = copy.deepcopy(out[i])
        _apply_one(ex, cc, curation)
        out[i] = ex
    return out


def _norm(s: str) -> str:
    from .extract.mentions import norm_key
    return norm_key(s)


def _rekey(e: Entity, change) -> None:
    """Apply ``change``; a key that was the default one follows the new name/type,
    a key chosen by entity resolution (homonym persons, generic syndicates) is kept
    unless the kind of IRI changes."""
    from . import iris
    old_default = iris.default_entity_key(e)
    old_seg = (e.key or old_default).split("/")[0]
    change()
    new_default = iris.default_entity_key(e)
    if e.key is None or e.key == old_default or new_default.split("/")[0] != old_seg:
        e.key = new_default


def _apply_one(ex: Extraction, cc: ClippingCuration, cur: Curation) -> None:
    text = ex.clipping.text

    def find(ref: str, line: int) -> Entity:
        for e in ex.entities:
            if e.id == ref:
                return e
        n = _norm(ref)
        for e in ex.entities:       # the canonical name first
            if _norm(e.name) == n:
                return e
        for e in ex.entities:
            if n in {_norm(a) for a in e.aliases} | {_norm(m.text) for m in e.mentions}:
                return e
        raise InputError(f"unknown entity {ref!r} in clipping {ex.clipping.id!r}", source=cur.path, line=line)

    def mark(e: Entity) -> None:
        e.attributes = dict(e.attributes, curated_by=cur.curator, curated_at=cur.date)

    n_next = len(ex.entities) + 1
    for it in cc.entities:
        d = it.data
        aliases = [str(a) for a in d.get("aliases") or []]
        mentions = []
        for form in [d["name"], *aliases]:
            pos = text.find(form)
            if pos >= 0:
                mentions.append(Mention(pos, pos + len(form), form))
        eid = f"c{n_next}"
        n_next += 1
        e = Entity(id=eid, type=d["type"], name=d["name"], mentions=mentions, insee=d.get("insee"),
                   aliases=aliases, country=d.get("country"), source="curation",
                   key=d.get("key"))
        mark(e)
        ex.entities.append(e)
    for it in cc.retype:
        e = find(it.data["entity"], it.line)
        _rekey(e, lambda: setattr(e, "type", it.data["type"]))
        mark(e)
    for it in cc.rename:
        e = find(it.data["entity"], it.line)
        if e.name != it.data["name"]:
            e.aliases = sorted(set(e.aliases) | {e.name})
            _rekey(e, lambda: setattr(e, "name", it.data["name"]))
        mark(e)

    def triple(it: Item) -> tuple[str, str, str]:
        return (find(it.data["subject"], it.line).id, it.data["predicate"], find(it.data["object"], it.line).id)

    for it in cc.reject:
        s, p, o = triple(it)
        before = len(ex.relations)
        ex.relations = [r for r in ex.relations if not (r.subject == s and r.predicate == p and r.object == o)]
        if len(ex.relations) == before:
            raise InputError(f"no relation {it.data['subject']} {p} {it.data['object']} to reject",
                             source=cur.path, line=it.line)
    for it in cc.confirm:
        s, p, o = triple(it)
        hits = [r for r in ex.relations if r.subject == s and r.predicate == p and r.object == o]
        if not hits:
            raise InputError(f"no relation {it.data['subject']} {p} {it.data['object']} to confirm",
                             source=cur.path, line=it.line)
        for r in hits:
            r.candidate = False
            r.source = "curation"
            r.curator = cur.curator
            r.curated_at = cur.date
    for it in cc.relations:
        s, p, o = triple(it)
        ev = it.data.get("evidence")
        start = end = None
        if ev:
            pos = text.find(ev)
            if pos < 0:
                raise InputError("evidence not found in the clipping text", source=cur.path, line=it.line)
            start, end = pos, pos + len(ev)
        ex.relations = [r for r in ex.relations
                        if not (r.subject == s and r.predicate == p and r.object == o
                                and (p != "hasRole" or (r.role or None) == (it.data.get("role") or None)))]
        ex.relations.append(Relation(
            subject=s, predicate=p, object=o, evidence=ev, evidence_start=start, evidence_end=end,
            role=it.data.get("role"), portfolio=it.data.get("portfolio"), candidate=False, rule="curation",
            date=it.data.get("date") or (ex.clipping.date if p == "hasRole" else None),
            source="curation", curator=cur.curator, curated_at=cur.date))
