"""IRI ⇄ prefixed name (CURIE): the one place where essgraph shortens an IRI for people.

Every IRI that a doc, a page, a result table or the CLI prints goes through :func:`curie`, and what
it returns can be pasted into a SPARQL query (or a Turtle file) as it stands, given essgraph's
prefixes (``ess_graph.namespaces.PREFIXES``, which every query receives):

- the longest matching namespace wins: ``…/id/territory/commune/05065`` → ``commune:05065``;
- the local part follows the SPARQL 1.1 ``PN_LOCAL`` grammar: a reserved character that may be
  escaped is escaped with a backslash (``essr:graph\\/provenance``, ``annotation:3f2a\\#quote``),
  a leading ``-`` likewise, and every ``.`` too (the grammar allows one inside a name, but
  Oxigraph's parser rejects a name holding two: ``essr:activity\\/extract\\/0\\.1\\.0\\/…``);
  ``%`` followed by two hex digits is kept as is (the IRI holds those three characters);
- an IRI that no prefix covers, or whose local part holds a character that cannot appear in a
  prefixed name even escaped (space, ``<``, ``"``, ``{`` …), is written in full: ``<http://…>``.

:func:`expand` is the inverse, so ``expand(curie(iri)) == iri`` for every IRI.
"""
from __future__ import annotations

import re
from typing import Mapping

from .namespaces import PREFIXES

# PN_LOCAL_ESC of the SPARQL 1.1 and Turtle grammars
ESCAPABLE = frozenset("_~.-!$&'()*+,;=/?#@%")
_HEX = frozenset("0123456789abcdefABCDEF")
_PN_PREFIX = re.compile(r"[A-Za-z](?:[\w.-]*[\w-])?")


def _pn_chars_base(c: str) -> bool:
    o = ord(c)
    return ("A" <= c <= "Z" or "a" <= c <= "z"
            or 0xC0 <= o <= 0xD6 or 0xD8 <= o <= 0xF6 or 0xF8 <= o <= 0x2FF
            or 0x370 <= o <= 0x37D or 0x37F <= o <= 0x1FFF or 0x200C <= o <= 0x200D
            or 0x2070 <= o <= 0x218F or 0x2C00 <= o <= 0x2FEF or 0x3001 <= o <= 0xD7FF
            or 0xF900 <= o <= 0xFDCF or 0xFDF0 <= o <= 0xFFFD or 0x10000 <= o <= 0xEFFFF)


def _pn_chars(c: str) -> bool:
    """PN_CHARS: PN_CHARS_U, '-', digits, U+00B7, U+0300–U+036F, U+203F–U+2040."""
    o = ord(c)
    return (_pn_chars_base(c) or c in "_-" or "0" <= c <= "9" or o == 0xB7
            or 0x300 <= o <= 0x36F or 0x203F <= o <= 0x2040)


def escape_local(local: str) -> str | None:
    """``local`` as a valid PN_LOCAL (reserved characters escaped), or None when impossible."""
    out: list[str] = []
    i, n = 0, len(local)
    while i < n:
        c = local[i]
        if c == "%" and i + 2 < n and local[i + 1] in _HEX and local[i + 2] in _HEX:
            out.append(local[i:i + 3])        # PERCENT is kept literally in the IRI
            i += 3
            continue
        first = i == 0
        if c == ":" or (_pn_chars(c) if not first else (_pn_chars_base(c) or c == "_" or "0" <= c <= "9")):
            out.append(c)
        elif c in ESCAPABLE and c != "%":     # a lone "%" makes the IRI itself invalid
            out.append("\\" + c)
        else:
            return None
        i += 1
    return "".join(out)


def _sorted(prefixes: Mapping[str, str]) -> list[tuple[str, str]]:
    # longest namespace first; among equal namespaces the first declared name wins
    order = {name: i for i, name in enumerate(prefixes)}
    return sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), order[kv[0]]))


_DEFAULT = _sorted(PREFIXES)


def curie(iri: str, prefixes: Mapping[str, str] | None = None) -> str:
    """The shortest pasteable SPARQL form of ``iri``: ``prefix:local`` or ``<iri>``."""
    items = _DEFAULT if prefixes is None else _sorted(prefixes)
    for name, ns in items:
        if iri.startswith(ns):
            local = escape_local(iri[len(ns):])
            if local is not None:
                return f"{name}:{local}"
    return f"<{iri}>"


def expand(text: str, prefixes: Mapping[str, str] | None = None) -> str:
    """The IRI of a prefixed name (escapes removed) or of an ``<iri>``; KeyError for an unknown prefix."""
    prefixes = PREFIXES if prefixes is None else prefixes
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    name, sep, local = text.partition(":")
    if not sep or (name and not _PN_PREFIX.fullmatch(name)):
        raise ValueError(f"not a prefixed name: {text!r}")
    return prefixes[name] + re.sub(r"\\(.)", r"\1", local)


def term_text(term) -> str:
    """Human form of a pyoxigraph term: pasteable name for an IRI, plain value for a literal."""
    if term is None:
        return ""
    kind = type(term).__name__
    if kind == "NamedNode":
        return curie(term.value)
    if kind == "BlankNode":
        return f"_:{term.value}"
    if kind == "Literal":
        return term.value
    return str(term)
