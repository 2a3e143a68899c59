"""Zotero / CSL-JSON export (``csl-json``): a JSON array of CSL items.

For each item: ``id`` → clipping id; ``title``; ``URL`` → url; ``issued``
(``date-parts``, else ``raw``/``literal`` when they start with an ISO date) →
date, or ``accessed`` when there is no ``issued`` date. The text is ``title``, ``abstract`` and ``note`` joined by blank lines
(the parts that are present). ``type``, ``author`` (as "Given Family"
strings), ``container-title``, ``publisher``, ``language``, ``accessed`` and
non-ISO ``issued`` values go to ``metadata``. The text is derived, so
``source_offset`` is None and ``source_line`` is the line where the item starts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Clipping
from .registry import register
from ._common import (check_strings, date_from_parts, identifier, line_of, normalize_date, plain,
                      skip_or_raise, source_name)

FORMAT = "csl-json"
_ISO_PREFIX = re.compile(r"\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?![\d])")
_META_KEYS = ("type", "container-title", "publisher", "language", "DOI", "ISBN", "ISSN",
              "page", "volume", "issue", "collection-title", "event", "event-place")


def _item_offsets(text: str) -> list[int]:
    """Start offset of each element of a JSON array already known to be valid."""
    dec = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    i = ws.match(text, text.index("[") + 1).end()
    offsets: list[int] = []
    if text[i] == "]":
        return offsets
    while True:
        offsets.append(i)
        _, i = dec.raw_decode(text, i)
        i = ws.match(text, i).end()
        if text[i] == "]":
            return offsets
        i = ws.match(text, i + 1).end()  # skip ','


def _date(value: Any, *, src: str, line: int, what: str) -> tuple[str | None, Any]:
    """(ISO date or None, the original value when it could not be read as a date)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        value = {"raw": value}
    if not isinstance(value, dict):
        raise InputError(f"invalid {what}: expected a CSL date object", source=src, line=line)
    if "date-parts" in value:
        return date_from_parts(value["date-parts"], source=src, line=line, what=what), None
    for k in ("raw", "literal"):
        v = value.get(k)
        if isinstance(v, str) and v.strip():
            m = _ISO_PREFIX.match(v)
            if m:
                return normalize_date(m.group(1), source=src, line=line, what=what), None
            return None, v
    return None, None


def _person(p: Any) -> str | None:
    if not isinstance(p, dict):
        return None
    if p.get("literal"):
        return str(p["literal"]).strip()
    parts = [str(p[k]).strip() for k in ("given", "non-dropping-particle", "family") if p.get(k)]
    return " ".join(parts) or None


def _text_field(item: dict, key: str, src: str, line: int) -> str | None:
    v = item.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InputError(f"field {key!r} must be a string, not {type(v).__name__}",
                         source=src, line=line)
    return v.strip() or None


def read(path: str | Path, text: str) -> list[Clipping]:
    src = source_name(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", source=src, line=e.lineno, column=e.colno) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", source=src, line=1) from None
    if not isinstance(data, list):
        raise InputError(f"not CSL-JSON: expected a JSON array of items, found a {type(data).__name__}",
                         source=src, line=1)
    offsets = _item_offsets(text)
    clippings: list[Clipping] = []
    seen: dict[str, int] = {}
    for n, (item, off) in enumerate(zip(data, offsets), start=1):
        line = line_of(text, off)
        try:
            c = _item(item, n, src, line, seen)
        except InputError as e:
            skip_or_raise(e)
            continue
        seen[c.id] = line
        clippings.append(c)
    return clippings


def _item(item: Any, n: int, src: str, line: int, seen: dict[str, int]) -> Clipping:
    """One CSL item as a clipping (InputError when it cannot be one)."""
    if not isinstance(item, dict):
        raise InputError(f"not CSL-JSON: item {n} is a {type(item).__name__}, not an object",
                         source=src, line=line)
    check_strings(item, source=src, line=line)
    if item.get("id") is None:
        raise InputError(f"CSL item {n} has no 'id'", source=src, line=line)
    cid = identifier(item["id"], key="id", source=src, line=line)
    if cid in seen:
        raise InputError(f"duplicate clipping id {cid!r} (also on line {seen[cid]})",
                         source=src, line=line)
    title = _text_field(item, "title", src, line)
    parts = [p for p in (title, _text_field(item, "abstract", src, line),
                         _text_field(item, "note", src, line)) if p]
    if not parts:
        raise InputError(f"CSL item {cid!r} has no title, abstract or note to use as text",
                         source=src, line=line)
    date, issued_raw = _date(item.get("issued"), src=src, line=line, what="'issued' date")
    accessed, accessed_raw = _date(item.get("accessed"), src=src, line=line, what="'accessed' date")
    meta: dict = {k: plain(item[k]) for k in _META_KEYS if item.get(k) not in (None, "")}
    authors = [a for a in (_person(p) for p in item.get("author") or []) if a]
    if authors:
        meta["authors"] = authors
    if accessed or accessed_raw:
        meta["accessed"] = accessed or accessed_raw
    if issued_raw:
        meta["issued"] = issued_raw
    url = item.get("URL")
    if url is not None and not isinstance(url, str):
        raise InputError("field 'URL' must be a string", source=src, line=line)
    return Clipping(
        id=cid, text="\n\n".join(parts), title=title, url=(url or "").strip() or None,
        date=date or accessed, collection=None, source_file=src, source_format=FORMAT,
        source_offset=None, source_line=line, metadata=meta)


register(FORMAT, suffixes=(".json",), read=read, sniff=lambda head: head.lstrip()[:1] == "[",
         priority=10,
         description="CSL-JSON (a JSON array '[')")
