"""Offset-preserving text preparation: normalisation, blocks, sentences, chunks.

Every function here keeps a one-to-one correspondence between characters of
the clipping text and characters of what it returns, so that any span found on
the normalised text is also a valid span of ``Clipping.text``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# One character in, one character out: curly quotes/apostrophes become ASCII,
# exotic spaces become a space, control characters (except newline) a space.
_MAP: dict[int, str] = {
    0x2019: "'", 0x2018: "'", 0x02BC: "'", 0x2032: "'", 0x00B4: "'", 0x0060: "'",
    0x00A0: " ", 0x202F: " ", 0x2007: " ", 0x2009: " ", 0x200A: " ", 0x2002: " ",
    0x2003: " ", 0x3000: " ", 0x0009: " ", 0x000B: " ", 0x000C: " ", 0x000D: " ",
    0x200B: " ", 0xFEFF: " ", 0x2028: "\n", 0x2029: "\n",
    0x2013: "-", 0x2011: "-", 0x2010: "-",
}
for _c in range(0x20):
    if _c != 0x0A:
        _MAP.setdefault(_c, " ")
for _c in range(0x7F, 0xA0):
    _MAP.setdefault(_c, " ")


def normalise(text: str) -> str:
    """Same length as ``text``; typographic variants folded (’ → ', NBSP → space)."""
    out = text.translate(_MAP)
    assert len(out) == len(text)
    return out


@dataclass(frozen=True)
class Span:
    start: int
    end: int


_BLOCK_SEP = re.compile(r"\n[ \t]*\n")
# Sentence end: . ! ? … (optionally followed by closing quotes/brackets), then
# whitespace, then something that can start a sentence.
# Possessive quantifiers and the look-behind keep this linear on hostile input
# (a megabyte of dots does not backtrack).
_SENT_END = re.compile(r"(?<![.!?…])[.!?…]++[»\"')\]]*+[ \t]++(?=[«\"(\[A-ZÀ-ÖØ-Ý0-9])|\n++")


def blocks(text: str) -> list[Span]:
    """Paragraph-like blocks separated by blank lines (non-empty after strip)."""
    out: list[Span] = []
    pos = 0
    for m in _BLOCK_SEP.finditer(text):
        _add_stripped(text, pos, m.start(), out)
        pos = m.end()
    _add_stripped(text, pos, len(text), out)
    return out


def _add_stripped(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Span(start, end))


def sentences(text: str, span: Span, max_len: int = 1500) -> list[Span]:
    """Sentences inside ``span``; over-long sentences are cut at a comma or space."""
    out: list[Span] = []
    pos = span.start
    for m in _SENT_END.finditer(text, span.start, span.end):
        end = m.start() + len(m.group(0).rstrip())
        _add_stripped(text, pos, end, out)
        pos = m.end()
    _add_stripped(text, pos, span.end, out)
    final: list[Span] = []
    for s in out:
        final.extend(_cut(text, s, max_len))
    return final


def _cut(text: str, s: Span, max_len: int) -> list[Span]:
    if s.end - s.start <= max_len:
        return [s]
    parts: list[Span] = []
    start = s.start
    while s.end - start > max_len:
        limit = start + max_len
        cut = -1
        for sep in (", ", "; ", " "):
            cut = text.rfind(sep, start + max_len // 2, limit)
            if cut != -1:
                cut += len(sep)
                break
        if cut == -1:
            cut = limit
        _add_stripped(text, start, cut, parts)
        start = cut
    _add_stripped(text, start, s.end, parts)
    return parts


def chunks(text: str, max_chars: int = 4000) -> list[Span]:
    """Pieces of at most ``max_chars`` for the NER model: blocks, then sentences."""
    out: list[Span] = []
    for b in blocks(text):
        if b.end - b.start <= max_chars:
            out.append(b)
            continue
        cur_start = None
        cur_end = None
        for s in sentences(text, b, max_len=max_chars):
            if cur_start is None:
                cur_start, cur_end = s.start, s.end
            elif s.end - cur_start <= max_chars:
                cur_end = s.end
            else:
                out.append(Span(cur_start, cur_end))
                cur_start, cur_end = s.start, s.end
        if cur_start is not None:
            out.append(Span(cur_start, cur_end))
    return out
