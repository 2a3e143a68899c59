"""JSON Lines clippings (``jsonl``): one record per line.

Record fields: ``id`` and ``text`` (required), ``url``, ``title``, ``date``,
``collection`` (optional); any other field is kept in ``Clipping.metadata``.
``text`` is kept exactly as decoded from JSON, so offsets computed against it
(e.g. a gold annotation) stay valid. Blank lines are ignored.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..model import Clipping
from .registry import register
from ._common import (check_strings, identifier, normalize_date, optional_str, plain, skip_or_raise,
                      source_name)

FORMAT = "jsonl"
KNOWN_FIELDS = ("id", "text", "url", "title", "date", "collection")


def read(path: str | Path, text: str) -> list[Clipping]:
    """The clippings of a JSON Lines file; a bad line raises, or, under
    ``read_clippings(on_error=…)``, is reported and skipped."""
    src = source_name(path)
    clippings: list[Clipping] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            c = _record(line, src, lineno, seen)
        except InputError as e:
            skip_or_raise(e)
            continue
        seen[c.id] = lineno
        clippings.append(c)
    return clippings


def _record(line: str, src: str, lineno: int, seen: dict[str, int]) -> Clipping:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg}", source=src, line=lineno, column=e.colno) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", source=src, line=lineno) from None
    if not isinstance(record, dict):
        raise InputError(f"a JSON Lines record must be an object, not {type(record).__name__}"
                         " (a .json file must be a CSL-JSON array or JSON Lines records)",
                         source=src, line=lineno)
    check_strings(record, source=src, line=lineno)
    for key in ("id", "text"):
        if record.get(key) is None:
            raise InputError(f"record has no {key!r} field", source=src, line=lineno)
    cid = identifier(record["id"], key="id", source=src, line=lineno)
    body = record["text"]
    if not isinstance(body, str):
        raise InputError(f"field 'text' must be a string, not {type(body).__name__}",
                         source=src, line=lineno)
    if not body.strip():
        raise InputError(f"record {cid!r} has an empty 'text'", source=src, line=lineno)
    if cid in seen:
        raise InputError(f"duplicate clipping id {cid!r} (also on line {seen[cid]})",
                         source=src, line=lineno)
    return Clipping(
        id=cid, text=body,
        title=optional_str(record, "title", source=src, line=lineno),
        url=optional_str(record, "url", source=src, line=lineno),
        date=normalize_date(record.get("date"), source=src, line=lineno),
        collection=optional_str(record, "collection", source=src, line=lineno),
        source_file=src, source_format=FORMAT, source_offset=None, source_line=lineno,
        metadata={k: plain(v) for k, v in record.items() if k not in KNOWN_FIELDS})


register(FORMAT, suffixes=(".jsonl", ".ndjson", ".json"), read=read,
         description="JSON Lines (one object '{' per line)")
