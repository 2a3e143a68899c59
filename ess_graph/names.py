"""Text keys for names and the escaping of literal text: one definition each.

- :func:`strip_accents` drops the combining marks left by Unicode NFKD
  decomposition ("Évreux" → "Evreux"); the IRI slugs, the territory linker,
  the extraction rules and the evaluation all compare names through it.
- :func:`fold` is the case- and accent-insensitive key of the lexicons.
- :func:`escape_string` escapes text for the inside of a quoted N-Triples,
  Turtle or SPARQL string.

IRI → prefixed-name (CURIE) shortening lives in :mod:`ess_graph.curie`.
"""
from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """``text`` without diacritics: NFKD decomposition, combining marks dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case- and accent-insensitive key: casefolded, accents stripped, "œ" → "oe"."""
    return strip_accents(text.casefold()).replace("œ", "oe")


def escape_string(text: str) -> str:
    """Backslash, double quote, line feed and carriage return escaped, for a ``"…"`` string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
