"""One Markdown or plain-text file = one clipping (``markdown``, ``text``).

An optional YAML front matter block opens the file::

    ---
    title: Une SCIC pour l'énergie
    url: https://example.org/scic
    date: 2021-03-14
    collection: Énergie citoyenne
    id: scic-energie
    ---
    Body…

``text`` is the body after the front matter, an exact slice of the file with
leading and trailing blank space left out (``source_offset`` is where it
starts). Other front-matter keys go to ``Clipping.metadata``.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import InputError
from ..model import Clipping
from .registry import register
from ._common import (check_strings, identifier, iter_lines, line_of, normalize_date, plain,
                      source_name, stem, trim_span)

MARKDOWN_SUFFIXES = (".md", ".markdown")
KNOWN_KEYS = ("title", "url", "date", "collection", "id")
_KEY = re.compile(r"([^\s#:'\"-][^:]*):(?:[ \t]|$)")


def _heading(line: str) -> str | None:
    """The text of an ATX heading line (``## Titre ##``), else None (string
    operations, not a regular expression: linear on any line)."""
    s = line.rstrip()
    lead = len(s) - len(s.lstrip(" "))
    s = s[lead:]
    hashes = len(s) - len(s.lstrip("#"))
    if lead > 3 or not 1 <= hashes <= 6 or s[hashes:hashes + 1] not in (" ", "\t"):
        return None
    rest = s[hashes:].strip(" \t")
    closed = rest.rstrip("#")
    if closed != rest and (not closed or closed[-1] in " \t"):
        rest = closed.rstrip(" \t")
    return rest


def _front_matter(text: str, src: str) -> tuple[dict, int, dict[str, int]]:
    """(front matter mapping, offset where the body starts, line of each top-level key)."""
    lines = list(iter_lines(text))
    if not lines or text[lines[0][0]:lines[0][1]].rstrip() != "---":
        return {}, 0, {}
    key_lines: dict[str, int] = {}
    for i, (s, e) in enumerate(lines[1:], start=1):
        if text[s:e].rstrip() in ("---", "..."):
            yaml_text = text[lines[0][1] + 1:s]
            body_start = e + 1 if e < len(text) else e
            break
        m = _KEY.match(text, s, e)
        if m:
            key_lines.setdefault(m.group(1).rstrip(" \t"), i + 1)
    else:
        raise InputError("front matter opened by '---' on line 1 is never closed by a '---' line",
                         source=src, line=1)
    try:
        data = yaml.safe_load(yaml_text)
    except RecursionError:
        raise InputError("invalid YAML front matter: nested too deeply", source=src, line=2) from None
    except ValueError as err:  # a YAML timestamp that is no calendar date (2021-02-30)
        raise InputError(f"invalid YAML front matter: {err}", source=src,
                         line=key_lines.get("date", 2)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err).split("\n")[0]
        line = col = None
        if mark is not None:
            line, col = mark.line + 2, mark.column + 1   # front matter starts on line 2
        raise InputError(f"invalid YAML front matter: {problem}", source=src,
                         line=line, column=col) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"front matter must be a mapping of keys to values, not {type(data).__name__}",
                         source=src, line=2)
    check_strings(data, source=src, line=2)
    return data, body_start, key_lines


def _scalar(fm: dict, key: str, src: str, key_lines: dict[str, int]) -> str | None:
    v = fm.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise InputError(f"front matter {key!r} must be a single value, not {type(v).__name__}",
                         source=src, line=key_lines.get(key, 2))
    s = str(v).strip()
    return s or None


def _title(body: str, markdown: bool) -> str | None:
    first = None
    for line in body.split("\n"):
        if not line.strip():
            continue
        if first is None:
            first = line.strip()
        if markdown:
            h = _heading(line)
            if h and h.strip():
                return h.strip()
    if first is None:
        return None
    return first if len(first) <= 200 else first[:200].rstrip() + "…"


def read(path: str | Path, text: str) -> list[Clipping]:
    src = source_name(path)
    is_md = Path(path).suffix.lower() in MARKDOWN_SUFFIXES
    fm, body_start, key_lines = _front_matter(text, src)
    s, e = trim_span(text, body_start, len(text))
    if s == e:
        raise InputError("file has no text" + (" after its front matter" if body_start else ""),
                         source=src, line=line_of(text, body_start))
    body = text[s:e]
    cid = (identifier(fm["id"], key="id", source=src, line=key_lines.get("id", 2))
           if fm.get("id") is not None else stem(path))
    return [Clipping(
        id=cid, text=body,
        title=_scalar(fm, "title", src, key_lines) or _title(body, is_md),
        url=_scalar(fm, "url", src, key_lines),
        date=normalize_date(fm.get("date"), source=src, line=key_lines.get("date", 2),
                            what="front matter date"),
        collection=_scalar(fm, "collection", src, key_lines),
        source_file=src, source_format="markdown" if is_md else "text",
        source_offset=s, source_line=line_of(text, s),
        metadata={str(k): plain(v) for k, v in fm.items() if k not in KNOWN_KEYS})]


register("markdown", suffixes=MARKDOWN_SUFFIXES, read=read, description="Markdown")
register("text", suffixes=(".txt",), read=read, description="plain text")
