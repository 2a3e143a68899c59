"""Rendered text of a Pearltrees collection page (``pearltrees-text``).

Such a file is what a browser or a text extractor gives for a Pearltrees
collection page: a header (``background preloader``, the collection title,
``Facebook Twitter``), then the pearls (items) run together. A pearl with a
note is rendered as::

    Title. excerpt of the page …          <- the item starts here
    (more excerpt paragraphs)
    Title                                 <- the title again, alone on its line
    body paragraph of the note

and the next pearl is often glued to the previous sentence
(``… La Ville y veille. L'ESS sur le territoire de Grand Poitiers. …``).

Items are cut only where a boundary is certain; everything else stays with the
item before it, so that a story is never split across clippings:

* **title** — a one-line paragraph whose text also occurs earlier (since the
  previous title line) at the start of a sentence: the item starts at that
  earlier occurrence;
* **truncation** — text following a ``[...]`` excerpt truncation mark (outside
  a « quotation » and followed by a capital) starts a new item;
* **file-name** — a sentence that is only an attachment name
  (``Deveco-2012-ess.pdf.``, ``PlansoutienCaen - PlansoutienCaen.pdf.``) starts a new item;
* **separator** — a header line met again inside the page.

Each clipping's ``text`` is an exact slice of the decoded file.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..model import Clipping
from .registry import register
from ._common import first_sentence, iter_lines, line_of, source_name, stem, trim_span

FORMAT = "pearltrees-text"

PRELOADER = "background preloader"
SHARE_LINE = "Facebook Twitter"
#: Lines of page chrome that are never part of an item.
BOILERPLATE_LINES = frozenset({PRELOADER, SHARE_LINE, "Get flash to fully experience Pearltrees"})

#: a web address written in an item's text ("… sur www.aimf.asso.fr.")
_WEB_ADDRESS = re.compile(r"(?<![\w@/.])(?:https?://|www\.)[^\s<>\"«»“”()\[\]{}|\\^`]+", re.IGNORECASE)
_TRUNCATION = re.compile(r"\[(?:\.\.\.|…)\]")
# The look-behind starts a match only at the start of a run of name characters,
# so that a long run is scanned once, not once per character (linear time).
_FILE_TITLE = re.compile(
    r"(?<![\w.()\-])(?:[\w.()\-]+\s-\s)?[\w][\w.()\-]*\.(?:pdf|docx?|odt|ods|odp|xlsx?|pptx?|rtf|csv|zip)\.?(?=\s|$)",
    re.IGNORECASE)
#: how far before a title line its first occurrence is looked for (characters)
_TITLE_WINDOW = 20000
#: how many earlier occurrences of a title are tried as its anchor
_TITLE_TRIES = 20
_SENTENCE_END = ".!?…»”\""
_ITEM_OPENERS = "«\"“'"


def looks_like(text: str) -> bool:
    """Detection: first non-empty line is ``background preloader`` or a line reads ``Facebook Twitter``."""
    first = None
    for s, e in iter_lines(text):
        line = text[s:e].strip()
        if not line:
            continue
        if first is None:
            first = line
            if line == PRELOADER:
                return True
        if line == SHARE_LINE:
            return True
    return False


@dataclass
class _Cut:
    pos: int
    kind: str                 # start | title | truncation | file-name | separator
    title: str | None = None  # the anchored title (kind == "title")


def _header(text: str) -> tuple[int, str | None]:
    """End offset of the page header and the collection title found in it."""
    top: list[tuple[int, int]] = []
    for s, e in iter_lines(text):
        if text[s:e].strip():
            top.append((s, e))
            if len(top) == 6:
                break
    if not top:
        return 0, None
    i = 1 if text[top[0][0]:top[0][1]].strip() == PRELOADER else 0
    for j in range(i, min(len(top), i + 4)):
        if text[top[j][0]:top[j][1]].strip() == SHARE_LINE:
            title_lines = [text[s:e].strip() for s, e in top[i:j]]
            title = " ".join(t for t in title_lines if t not in BOILERPLATE_LINES) or None
            return top[j][1], title
    if i == 1:
        if len(top) > 1:
            cand = text[top[1][0]:top[1][1]].strip()
            if (len(cand) <= 150 and cand[-1] not in ".!?:;…" and ". " not in cand
                    and cand not in BOILERPLATE_LINES):
                return top[1][1], cand
        return top[0][1], None
    return 0, None


def _regions(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of content between boilerplate lines, from ``start`` on."""
    regions: list[tuple[int, int]] = []
    cur = start
    for s, e in iter_lines(text):
        if e <= start:
            continue
        if text[s:e].strip() in BOILERPLATE_LINES:
            if s > cur:
                regions.append((cur, s))
            cur = e
    if cur < len(text):
        regions.append((cur, len(text)))
    return [r for r in regions if text[r[0]:r[1]].strip()]


class _Lines:
    """Line spans of a text, computed once, looked up by range."""

    def __init__(self, text: str):
        self.text = text
        self.spans = list(iter_lines(text))
        self.ends = [e for _, e in self.spans]
        self.starts = [s for s, _ in self.spans]

    def line_of(self, offset: int) -> int:
        """1-based line number of an offset (a binary search, not a count from the start)."""
        return bisect_right(self.starts, offset) if self.starts and offset >= self.starts[0] else 1

    def paragraphs(self, start: int, end: int) -> list[tuple[int, int]]:
        """Maximal runs of non-blank lines inside [start, end), trimmed."""
        text = self.text
        paras: list[tuple[int, int]] = []
        cur: list[int] | None = None
        for i in range(bisect_left(self.ends, start), len(self.spans)):
            s, e = self.spans[i]
            if s >= end:
                break
            s, e = max(s, start), min(e, end)
            if text[s:e].strip():
                if cur is None:
                    cur = [s, e]
                else:
                    cur[1] = e
            elif cur is not None:
                paras.append(trim_span(text, *cur))
                cur = None
        if cur is not None:
            paras.append(trim_span(text, *cur))
        return [p for p in paras if p[0] < p[1]]


def _sentence_start(text: str, pos: int, floor: int) -> bool:
    """True when ``pos`` starts a sentence: region/line start or after sentence punctuation + space."""
    p = pos
    while p > floor and text[p - 1] in " \t\u00a0\r":
        p -= 1
    if p <= floor or text[p - 1] == "\n":
        return True
    return p < pos and text[p - 1] in _SENTENCE_END


def _core_title(line: str) -> str:
    t = line.strip()
    if t.endswith(".") and not t.endswith(".."):
        t = t[:-1].rstrip()
    return t


def _title_cuts(text: str, region: tuple[int, int], paras: list[tuple[int, int]]) -> list[_Cut]:
    cuts: list[_Cut] = []
    search_from = region[0]
    for ps, pe in paras:
        if "\n" in text[ps:pe]:
            continue
        title = _core_title(text[ps:pe])
        if len(title) < 10 or len(title.split()) < 2 or len(title) > 300:
            continue
        lo = max(search_from, ps - _TITLE_WINDOW)
        at = text.find(title, lo, ps)
        tries = 1
        while at != -1 and not _sentence_start(text, at, region[0]):
            tries += 1
            at = text.find(title, at + 1, ps) if tries <= _TITLE_TRIES else -1
        if at != -1:
            cuts.append(_Cut(at, "title", title))
            search_from = pe
    return cuts


def _marker_cuts(text: str, region: tuple[int, int], paras: list[tuple[int, int]]) -> list[_Cut]:
    cuts: list[_Cut] = []
    for ps, pe in paras:
        depth, upto = 0, ps  # « » balance from the paragraph start up to ``upto``
        for m in _TRUNCATION.finditer(text, ps, pe):
            depth += text.count("«", upto, m.start()) - text.count("»", upto, m.start())
            upto = m.start()
            if depth > 0:  # inside a « quotation »
                continue
            q = m.end()
            while q < region[1] and text[q].isspace():
                q += 1
            if q < region[1] and (text[q].isupper() or text[q].isdigit() or text[q] in _ITEM_OPENERS):
                cuts.append(_Cut(q, "truncation"))
        for m in _FILE_TITLE.finditer(text, ps, pe):
            if _sentence_start(text, m.start(), ps):
                cuts.append(_Cut(m.start(), "file-name"))
    return cuts


def _segments(text: str, content_start: int, lines: _Lines) -> list[tuple[int, int, _Cut]]:
    segments: list[tuple[int, int, _Cut]] = []
    for n, region in enumerate(_regions(text, content_start)):
        first = _Cut(region[0], "start" if n == 0 else "separator")
        cuts = {first.pos: first}
        paras = lines.paragraphs(*region)
        for c in _marker_cuts(text, region, paras) + _title_cuts(text, region, paras):
            if region[0] < c.pos < region[1] and (c.pos not in cuts or c.kind == "title"):
                cuts[c.pos] = c
        ordered = [cuts[p] for p in sorted(cuts)]
        spans = []
        for i, c in enumerate(ordered):
            end = ordered[i + 1].pos if i + 1 < len(ordered) else region[1]
            spans.append((c.pos, end, c))
        # A fragment without any letter or digit (stray punctuation between two
        # cuts) is not an item: it stays with the item before it.
        merged: list[tuple[int, int, _Cut]] = []
        for s, e, c in spans:
            if merged and not any(ch.isalnum() for ch in text[s:e]):
                ps, _, pc = merged[-1]
                merged[-1] = (ps, e, pc)
            else:
                merged.append((s, e, c))
        for s, e, c in merged:
            ts, te = trim_span(text, s, e)
            if any(ch.isalnum() for ch in text[ts:te]):
                segments.append((ts, te, c))
    return segments


def item_url(body: str) -> str | None:
    """The first web address an item's text gives (``www.x.fr`` is read as ``http://www.x.fr``)."""
    for m in _WEB_ADDRESS.finditer(body):
        url = m.group(0).rstrip(".,;:!?'’…")
        if "." in url.split("//", 1)[-1].split("/", 1)[0].strip("."):
            return url if "://" in url else "http://" + url
    return None


def read(path: str | Path, text: str) -> list[Clipping]:
    src = source_name(path)
    header_end, collection = _header(text)
    lines = _Lines(text)
    segments = _segments(text, header_end, lines)
    if not segments:
        raise InputError("Pearltrees page has no items after its header",
                         source=src, line=line_of(text, header_end))
    key = stem(path)
    clippings: list[Clipping] = []
    for n, (s, e, cut) in enumerate(segments, start=1):
        body = text[s:e]
        title = cut.title if cut.kind == "title" and body.startswith(cut.title or "\0") else first_sentence(body)
        paragraphs = [[a - s, b - s] for a, b in lines.paragraphs(s, e)]
        meta: dict = {"boundary": cut.kind, "paragraphs": paragraphs}
        if cut.kind == "title" and cut.title:
            spans, at = [], body.find(cut.title)
            while at != -1:
                spans.append([at, at + len(cut.title)])
                at = body.find(cut.title, at + len(cut.title))
            meta["title_spans"] = spans
        clippings.append(Clipping(
            id=f"{key}#{n}", text=body, title=title or None, collection=collection, url=item_url(body),
            source_file=src, source_format=FORMAT, source_offset=s,
            source_line=lines.line_of(s), metadata=meta))
    return clippings


register(FORMAT, suffixes=(".txt",), read=read, sniff=looks_like, priority=10,
         description="Pearltrees page text")
