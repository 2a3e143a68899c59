"""Annotated passages: the training and evaluation material of the learned extractor.

An annotated set is a pair of JSONL files, ``clippings.jsonl`` (``{"id", "url", "title", "text"}``)
and ``gold.jsonl`` (``{"id", "entities": [{"text", "type", "name", "insee", "aliases"}],
"relations": [{"subject", "predicate", "object", "evidence", "role"?}]}``), the format of the
project's scorer and of ``data/annotations/``. Gold entities carry surface forms, not offsets:
:func:`entity_spans` finds every occurrence of each form in the passage.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model import Clipping, ENTITY_TYPES, PREDICATES

# A form that refers back ("cette étude", "la structure") is not a name: the NER is not taught it.
_ANAPHOR = re.compile(r"^(?:ce|cet|cette|ces|celle|celui|son|sa|ses|leur|leurs|notre|nos)\b", re.I)


@dataclass
class AnnotatedDoc:
    """One passage with its gold annotation."""

    clipping: Clipping
    entities: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""            # where it was read (file:line)
    # A curated clipping is annotated only where the researcher looked: ``relations`` are the facts
    # they added or confirmed, ``rejected`` the ones they refused; nothing else is known.
    partial: bool = False
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.clipping.id


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    type: str
    name: str                   # the gold entity's name


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 (byte {e.start})", source=str(path), line=line) from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as e:
            col = getattr(e, "colno", None)
            raise InputError(f"not JSON: {getattr(e, 'msg', 'nested too deeply')}", source=str(path),
                             line=n, column=col) from None
        if not isinstance(rec, dict) or "id" not in rec:
            raise InputError("a record must be a JSON object with an \"id\"", source=str(path), line=n)
        out.append((n, rec))
    return out


def _check_gold(rec: dict[str, Any], where: str, line: int) -> None:
    ents = rec.get("entities") or []
    rels = rec.get("relations") or []
    if not isinstance(ents, list) or not isinstance(rels, list):
        raise InputError("\"entities\" and \"relations\" must be lists", source=where, line=line)
    names = set()
    for e in ents:
        if not isinstance(e, dict) or e.get("type") not in ENTITY_TYPES or not e.get("name"):
            raise InputError(f"entity {str(e)[:60]!r}: needs a \"name\" and a known \"type\"",
                             source=where, line=line)
        names.add(e["name"])
    for r in rels:
        if not isinstance(r, dict) or r.get("predicate") not in PREDICATES:
            raise InputError(f"relation {str(r)[:60]!r}: unknown predicate", source=where, line=line)
        for end in ("subject", "object"):
            if r.get(end) not in names:
                raise InputError(f"relation {end} {r.get(end)!r} is not an entity name", source=where, line=line)


def read_set(folder: Path | str) -> list[AnnotatedDoc]:
    """Read ``clippings.jsonl`` + ``gold.jsonl`` of one folder (or the folder of a ``gold.jsonl``)."""
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    cpath, gpath = folder / "clippings.jsonl", folder / "gold.jsonl"
    for p in (cpath, gpath):
        if not p.is_file():
            raise InputError("an annotated set needs clippings.jsonl and gold.jsonl side by side",
                             source=str(p))
    texts = {}
    for n, rec in _read_jsonl(cpath):
        if not isinstance(rec.get("text"), str):
            raise InputError("a passage needs a \"text\" string", source=str(cpath), line=n)
        texts[str(rec["id"])] = rec
    out = []
    for n, rec in _read_jsonl(gpath):
        cid = str(rec["id"])
        if cid not in texts:
            raise InputError(f"no passage {cid!r} in {cpath.name}", source=str(gpath), line=n)
        _check_gold(rec, str(gpath), n)
        c = texts[cid]
        clip = Clipping(id=cid, text=c["text"], title=c.get("title"), url=c.get("url"), date=c.get("date"))
        out.append(AnnotatedDoc(clip, list(rec.get("entities") or []), list(rec.get("relations") or []),
                                source=f"{gpath}:{n}"))
    return out


def find_sets(paths: Iterable[Path | str]) -> list[Path]:
    """Every folder holding a ``gold.jsonl`` under the given paths, sorted."""
    found: set[Path] = set()
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("no such file or folder", source=str(p))
        if p.is_file():
            found.add(p.parent)
        else:
            found.update(g.parent for g in p.rglob("gold.jsonl"))
    return sorted(found)


def read_sets(paths: Iterable[Path | str]) -> list[AnnotatedDoc]:
    """All annotated passages under ``paths`` (folders are searched for ``gold.jsonl``)."""
    docs: list[AnnotatedDoc] = []
    seen: set[str] = set()
    for folder in find_sets(paths):
        for d in read_set(folder):
            if d.id in seen:
                raise InputError(f"passage id {d.id!r} appears twice", source=d.source)
            seen.add(d.id)
            docs.append(d)
    return docs


def _occurrences(text: str, form: str) -> list[tuple[int, int]]:
    out = []
    if not form.strip():
        return out
    pat = re.compile(r"(?<!\w)" + re.escape(form) + r"(?!\w)") if form[0].isalnum() or form[-1].isalnum() \
        else re.compile(re.escape(form))
    for m in pat.finditer(text):
        out.append((m.start(), m.end()))
    return out


def is_name_form(form: str, entity: dict[str, Any]) -> bool:
    """Is this surface form a name worth teaching (not an anaphor such as "cette étude")?"""
    if form == entity.get("text"):
        return not _ANAPHOR.match(form)
    if _ANAPHOR.match(form):
        return False
    return any(ch.isupper() or ch.isdigit() for ch in form)


def entity_spans(doc: AnnotatedDoc, *, names_only: bool = True, nested: bool = False) -> list[GoldSpan]:
    """Every occurrence of every gold form, longest first; overlaps dropped unless ``nested``."""
    text = doc.clipping.text
    spans: list[GoldSpan] = []
    for e in doc.entities:
        forms = {e.get("text") or ""} | set(e.get("aliases") or [])
        for f in sorted(f for f in forms if f):
            if names_only and not is_name_form(f, e):
                continue
            for s, t in _occurrences(text, f):
                spans.append(GoldSpan(s, t, e["type"], e["name"]))
    spans.sort(key=lambda g: (-(g.end - g.start), g.start, g.type, g.name))
    kept: list[GoldSpan] = []
    for g in spans:
        if any(g.start < k.end and k.start < g.end for k in kept):
            if not nested or any(not (k.start <= g.start and g.end <= k.end) for k in kept
                                 if g.start < k.end and k.start < g.end):
                continue
            if any((k.start, k.end) == (g.start, g.end) for k in kept):
                continue
        kept.append(g)
    kept.sort(key=lambda g: (g.start, -g.end))
    return kept


def write_set(docs: Iterable[AnnotatedDoc], folder: Path | str) -> Path:
    """Write passages and gold as ``clippings.jsonl`` + ``gold.jsonl`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "clippings.jsonl", "w", encoding="utf-8") as fc, \
            open(folder / "gold.jsonl", "w", encoding="utf-8") as fg:
        for d in docs:
            c = d.clipping
            fc.write(json.dumps({"id": c.id, "url": c.url, "title": c.title, "text": c.text},
                                ensure_ascii=False) + "\n")
            fg.write(json.dumps({"id": c.id, "entities": d.entities, "relations": d.relations},
                                ensure_ascii=False) + "\n")
    return folder


def _entities_of(extraction) -> tuple[list[dict[str, Any]], dict[str, str]]:
    ents, names = [], {}
    for e in extraction.entities:
        forms = list(dict.fromkeys(m.text for m in e.mentions)) or [e.name]
        names[e.id] = e.name
        if any(x["name"] == e.name for x in ents):
            continue          # two entities may share a name (a commune and its homonymous body)
        ents.append({"text": forms[0], "type": e.type, "name": e.name, "insee": e.insee, "aliases": forms})
    return ents, names


def _relation_dict(r, names: dict[str, str]) -> dict[str, Any]:
    rel = {"subject": names[r.subject], "predicate": r.predicate, "object": names[r.object],
           "evidence": r.evidence or ""}
    if r.role:
        rel["role"] = r.role
    return rel


def from_extraction(extraction) -> AnnotatedDoc:
    """An extraction as a fully annotated passage: its entities with every mention, its asserted
    relations (candidates left out)."""
    ents, names = _entities_of(extraction)
    rels = [_relation_dict(r, names) for r in extraction.relations
            if not r.candidate and r.subject in names and r.object in names]
    return AnnotatedDoc(extraction.clipping, ents, rels, source=extraction.clipping.source_file or "")


def from_curation(before, after) -> AnnotatedDoc | None:
    """What a researcher's curation says of one clipping, as a partial annotation: the facts added or
    confirmed (``source == "curation"`` after curation) and the asserted facts the curation removed.
    None when the curation touched no fact of this clipping."""
    ents, names = _entities_of(after)
    _, before_names = _entities_of(before)
    kept = {(names.get(r.subject), r.predicate, names.get(r.object)) for r in after.relations if not r.candidate}
    pos = [_relation_dict(r, names) for r in after.relations
           if r.source == "curation" and not r.candidate and r.subject in names and r.object in names]
    neg = []
    for r in before.relations:
        key = (before_names.get(r.subject), r.predicate, before_names.get(r.object))
        if r.candidate or key in kept or key[0] is None or key[2] is None:
            continue
        if any(e["name"] == key[0] for e in ents) and any(e["name"] == key[2] for e in ents):
            neg.append(_relation_dict(r, before_names))
    if not pos and not neg:
        return None
    return AnnotatedDoc(after.clipping, ents, pos, source=after.clipping.source_file or "", partial=True,
                        rejected=neg)
