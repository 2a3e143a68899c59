"""A saved web page (``html``): its main text, extracted with trafilatura.

``trafilatura.extract(html, output_format="json", with_metadata=True)`` gives
the main text (navigation, footers and comments left out), the title and the
publication date. The URL is the page's ``<link rel="canonical">``, else its
``og:url``, else the one trafilatura found. One file = one clipping whose id is
the file stem; the text is derived from the markup, so ``source_offset`` is
None, and ``source_file`` is the HTML file. ``metadata["extractor"]`` records
the trafilatura version, ``metadata["sitename"]``/``author``/``description``
what it found. Pages over 512 KB of markup are extracted without trafilatura's
fallback extractors, whose cost grows faster than the page.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..model import Clipping
from .registry import register
from ._common import normalize_date, source_name, stem

FORMAT = "html"
#: above this many characters of markup, trafilatura runs without its fallback
#: extractors (``fast=True``): they take time that grows faster than the page
FAST_ABOVE = 512 * 1024


def _links(html: str) -> tuple[str | None, str | None, str | None]:
    """(canonical URL, og:url, <title>) read with lxml's lenient HTML parser."""
    import lxml.html
    from lxml import etree

    try:
        try:
            root = lxml.html.document_fromstring(html)
        except ValueError:  # a str with an XML encoding declaration
            root = lxml.html.document_fromstring(html.encode("utf-8"))
    except (etree.ParserError, ValueError):
        return None, None, None
    canon = root.xpath('//link[contains(concat(" ", normalize-space(translate(@rel, "CANONIL", "canonil")), " "), " canonical ")]/@href')
    og = root.xpath('//meta[@property="og:url"]/@content')
    title = root.xpath("//title/text()")
    first = lambda xs: next((x.strip() for x in xs if x and x.strip()), None)  # noqa: E731
    return first(canon), first(og), first(title)


def read(path: str | Path, text: str) -> list[Clipping]:
    import trafilatura

    src = source_name(path)
    if not text.strip():
        raise InputError("empty HTML file", source=src, line=1)
    try:
        out = trafilatura.extract(text, output_format="json", with_metadata=True,
                                  include_comments=False, deduplicate=False,
                                  fast=len(text) > FAST_ABOVE)
    except Exception as e:  # trafilatura/lxml raise various errors on broken markup
        raise InputError(f"cannot parse HTML: {e}", source=src) from None
    doc = json.loads(out) if out else None
    body = ((doc or {}).get("text") or "").strip()
    # trafilatura falls back to any visible text; a page whose only text is its
    # title (a menu, a login page) has no main text either.
    if not body or " ".join(body.split()) == " ".join(((doc or {}).get("title") or "").split()):
        raise InputError("no main text could be extracted from this HTML page", source=src)
    canon, og, html_title = _links(text)
    absolute = lambda u: u if u and u.lower().startswith(("http://", "https://")) else None  # noqa: E731
    canon, og = absolute(canon), absolute(og)
    meta = {"extractor": f"trafilatura {trafilatura.__version__}"}
    for k in ("sitename", "author", "description", "hostname", "language"):
        if doc.get(k):
            meta[k] = doc[k]
    try:
        date = normalize_date(doc.get("date"), source=src, what="page date")
    except InputError:
        date = None
        meta["date_raw"] = doc.get("date")
    return [Clipping(
        id=stem(path), text=body, title=doc.get("title") or html_title,
        url=canon or og or doc.get("source") or doc.get("url"), date=date, collection=None,
        source_file=src, source_format=FORMAT, source_offset=None, source_line=None,
        metadata=meta)]


register(FORMAT, suffixes=(".html", ".htm"), read=read, description="HTML page")
