"""Netscape bookmark file (``bookmarks``): the export format of browsers and
bookmarking services (``<!DOCTYPE NETSCAPE-Bookmark-file-1>``).

* each ``<DT><A HREF=… ADD_DATE=…>title</A>`` is one clipping;
* the ``<DT><H3>`` folders it sits in, outermost first, give its
  ``collection`` (``"Veille ESS/Énergie"``);
* its ``<DD>`` description becomes the text: ``title + "\\n\\n" + description``,
  or the title alone when there is no description (the URL when there is no title);
* ``ADD_DATE`` (Unix seconds; milliseconds and microseconds are recognised
  by their size) gives ``date`` (UTC);
* ``TAGS`` (comma separated) and ``LAST_MODIFIED`` go to ``metadata``.

Ids are ``{file stem}#{first 12 hex of sha256(URL)}``, so that re-exporting
the bookmarks after adding or moving some keeps the ids of the others; the
second and later bookmarks with the same URL in one file get ``-2``, ``-3``…

Parsing is event based (``html.parser``), so the unclosed ``<DT>``, ``<DD>``
and ``<p>`` of real exports are fine. The text is derived from the markup, so
``source_offset`` is None and ``source_line`` is the line of the ``<A>`` tag.
"""
from __future__ import annotations

import datetime as _dt
import re
from html.parser import HTMLParser
from pathlib import Path

from ..errors import InputError
from ..iris import short_hash
from ..model import Clipping
from .registry import register
from ._common import skip_or_raise, source_name, stem

FORMAT = "bookmarks"
DOCTYPE = re.compile(r"<!DOCTYPE\s+NETSCAPE-Bookmark-file-1\s*>", re.IGNORECASE)
_SKIPPED_SCHEMES = ("place:", "javascript:")


def looks_like(head: str) -> bool:
    return bool(DOCTYPE.search(head[:4096]))


def _ws(s: str) -> str:
    return " ".join(s.split())


class _Walker(HTMLParser):
    def __init__(self, src: str):
        super().__init__(convert_charrefs=True)
        self.src = src
        self.folders: list[str | None] = []      # one entry per open <DL>
        self.pending_folder: str | None = None   # name of the last <H3>, waiting for its <DL>
        self.h3: list[str] | None = None
        self.link: dict | None = None            # the <A> being read
        self.desc_for: dict | None = None        # bookmark whose <DD> is being read
        self.items: list[dict] = []
        self.last: str | None = None             # "folder" or "link": what a <DD> describes

    def _close_desc(self) -> None:
        self.desc_for = None

    def handle_starttag(self, tag, attrs):
        line, col = self.getpos()
        if tag == "dl":
            self._close_desc()
            self.folders.append(self.pending_folder)
            self.pending_folder = None
        elif tag == "h3":
            self._close_desc()
            self.h3 = []
        elif tag == "dt":
            self._close_desc()
            self.pending_folder = None
        elif tag == "a":
            self._close_desc()
            self.pending_folder = None
            if self.link is not None:
                raise InputError("<A> opened inside another <A>", source=self.src, line=line,
                                 column=col + 1)
            a = {k.lower(): (v or "") for k, v in attrs}
            if not a.get("href", "").strip():
                raise InputError("bookmark <A> has no HREF", source=self.src, line=line,
                                 column=col + 1)
            self.link = {"attrs": a, "title": [], "line": line, "column": col + 1,
                         "desc": [], "folders": [f for f in self.folders if f]}
        elif tag == "dd":
            self.desc_for = self.items[-1] if self.items and self.last == "link" else None

    def handle_endtag(self, tag):
        if tag == "dl":
            self._close_desc()
            if self.folders:
                self.folders.pop()
        elif tag == "h3" and self.h3 is not None:
            self.pending_folder = _ws("".join(self.h3)) or None
            self.h3 = None
            self.last = "folder"
        elif tag == "a" and self.link is not None:
            self.items.append(self.link)
            self.link = None
            self.last = "link"

    def handle_data(self, data):
        if self.link is not None:
            self.link["title"].append(data)
        elif self.h3 is not None:
            self.h3.append(data)
        elif self.desc_for is not None:
            self.desc_for["desc"].append(data)


def _date(value: str, src: str, line: int, col: int) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InputError(f"invalid ADD_DATE {value!r}: expected Unix seconds", source=src,
                         line=line, column=col)
    n = int(value)
    if n >= 10**14:      # microseconds
        n //= 10**6
    elif n >= 10**11:    # milliseconds
        n //= 10**3
    if n == 0:
        return None
    try:
        return _dt.datetime.fromtimestamp(n, tz=_dt.timezone.utc).date().isoformat()
    except (OverflowError, ValueError, OSError):
        raise InputError(f"invalid ADD_DATE {value!r}: not a date (Unix seconds up to year 9999)",
                         source=src, line=line, column=col) from None


def read(path: str | Path, text: str) -> list[Clipping]:
    src = source_name(path)
    if not looks_like(text):
        raise InputError("not a Netscape bookmark file: <!DOCTYPE NETSCAPE-Bookmark-file-1> is missing",
                         source=src, line=1)
    walker = _Walker(src)
    walker.feed(text)
    walker.close()
    if walker.link is not None:
        raise InputError("bookmark <A> is never closed", source=src, line=walker.link["line"],
                         column=walker.link["column"])
    key = stem(path)
    seen: dict[str, int] = {}
    clippings: list[Clipping] = []
    for item in walker.items:
        try:
            c = _bookmark(item, key, seen, src)
        except InputError as e:
            skip_or_raise(e)
            continue
        if c is not None:
            clippings.append(c)
    return clippings


def _bookmark(item: dict, key: str, seen: dict[str, int], src: str) -> Clipping | None:
    """One bookmark as a clipping (None for smart folders and bookmarklets)."""
    a = item["attrs"]
    url = a["href"].strip()
    if url.lower().startswith(_SKIPPED_SCHEMES):
        return None  # browser smart folders and bookmarklets are not clippings
    date = _date(a.get("add_date", ""), src, item["line"], item["column"])
    meta: dict = {}
    if a.get("tags", "").strip():
        meta["tags"] = [t.strip() for t in a["tags"].split(",") if t.strip()]
    if a.get("last_modified", "").strip():
        meta["last_modified"] = _date(a["last_modified"], src, item["line"], item["column"])
    title = _ws("".join(item["title"]))
    desc = "\n".join(line.strip() for line in "".join(item["desc"]).strip().split("\n")).strip()
    body = title or url
    if desc:
        body = f"{body}\n\n{desc}"
    h = short_hash(url)
    seen[h] = seen.get(h, 0) + 1
    cid = f"{key}#{h}" + (f"-{seen[h]}" if seen[h] > 1 else "")
    return Clipping(
        id=cid, text=body, title=title or None, url=url, date=date,
        collection="/".join(item["folders"]) or None,
        source_file=src, source_format=FORMAT, source_offset=None,
        source_line=item["line"], metadata=meta)


register(FORMAT, suffixes=(".html", ".htm"), read=read, sniff=looks_like, priority=10,
         description="Netscape bookmark file")
