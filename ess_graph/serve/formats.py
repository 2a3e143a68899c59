"""HTTP content negotiation over the formats of :mod:`ess_graph.formats`.

Every format is serialised by pyoxigraph; the registry maps media types and
short names (``?format=csv``) to pyoxigraph format values, and this module
picks the best one for an ``Accept`` header (q-values and wildcards honoured,
ties broken by the server's order of preference).
"""
from __future__ import annotations

import pyoxigraph as ox

from .. import formats as registry
from ..formats import DATASET_FORMATS, Format

# name -> (Format, pyoxigraph format), in order of preference
RESULT_FORMATS: dict[str, tuple[Format, ox.QueryResultsFormat]] = {
    n: (f, f.ox) for n, f in registry.RESULT_FORMATS.items()}
GRAPH_FORMATS: dict[str, tuple[Format, ox.RdfFormat]] = {
    n: (f, f.ox) for n, f in registry.GRAPH_FORMATS.items()}

__all__ = ["DATASET_FORMATS", "Format", "GRAPH_FORMATS", "NotAcceptable", "RESULT_FORMATS",
           "UPLOAD_FORMATS", "negotiate", "parse_accept", "prefers_html"]

# Upload formats accepted by the Graph Store Protocol, by media type.
UPLOAD_FORMATS: dict[str, ox.RdfFormat] = {}
for _f, _rf in GRAPH_FORMATS.values():
    UPLOAD_FORMATS[_f.media_type] = _rf
    for _a in _f.aliases:
        UPLOAD_FORMATS.setdefault(_a, _rf)
UPLOAD_FORMATS["text/plain"] = ox.RdfFormat.N_TRIPLES
UPLOAD_FORMATS["application/json"] = ox.RdfFormat.JSON_LD


class NotAcceptable(Exception):
    """No format offered matches the Accept header or ?format= value."""

    def __init__(self, offered: list[str]):
        super().__init__("none of the available formats is acceptable: " + ", ".join(offered))
        self.offered = offered


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """``Accept`` as (media range, q, specificity) items."""
    if not header:
        return []
    items = []
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        rng = bits[0].lower()
        if not rng:
            continue
        if rng == "*":
            rng = "*/*"
        q = 1.0
        for b in bits[1:]:
            k, _, v = b.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(v)))
                except ValueError:
                    q = 0.0
        spec = 0 if rng == "*/*" else (1 if rng.endswith("/*") else 2)
        items.append((rng, q, spec))
    return items


def _quality(media_types: tuple[str, ...], accept: list[tuple[str, float, int]]) -> float:
    best_q, best_spec = -1.0, -1
    for mt in media_types:
        major = mt.split("/")[0]
        for rng, q, spec in accept:
            if rng == mt or rng == "*/*" or (spec == 1 and rng == major + "/*"):
                if spec > best_spec or (spec == best_spec and q > best_q):
                    best_q, best_spec = q, spec
    return best_q


def _override_entries(table: dict, override) -> tuple[list, bool]:
    """Entries named by ``?format=`` values, in order; and whether any value was given.

    ``override`` is a string or a list of strings; each may be a
    comma-separated list (``application/ld+json,application/x-json+ld``).
    """
    if not override:
        return [], False
    values = [override] if isinstance(override, str) else list(override)
    names = [v.strip().lower() for val in values if val for v in val.split(",") if v.strip()]
    entries = list(table.values())
    found = []
    for o in names:
        hit = None
        for fmt, ox_fmt in entries:
            if o == fmt.name or o in fmt.names or o == fmt.media_type or o == fmt.extension:
                hit = (fmt, ox_fmt)
                break
        if hit is None:
            for fmt, ox_fmt in entries:
                if o in fmt.aliases:
                    hit = (fmt, ox_fmt)
                    break
        if hit is not None and hit not in found:
            found.append(hit)
    return found, bool(names)


def _explicit(items: list[tuple[str, float, int]]) -> bool:
    """An Accept header that names concrete types only (no wildcard, no HTML):
    a program saying exactly what it can read, not a browser."""
    return bool(items) and all(spec == 2 and rng not in ("text/html", "application/xhtml+xml")
                               for rng, q, spec in items)


def _best_by_accept(entries: list, items) -> tuple | None:
    best, best_q = None, 0.0
    for fmt, ox_fmt in entries:
        # the canonical type counts fully, an alias slightly less (so that
        # application/json means SPARQL JSON results before JSON-LD, etc.)
        q = _quality((fmt.media_type,), items)
        qa = _quality(fmt.aliases, items) if fmt.aliases else -1.0
        q = max(q, qa - 0.0001 if qa > 0 else qa)
        if q > best_q:
            best, best_q = (fmt, ox_fmt), q
    return best


def negotiate(table: dict, accept: str | None, override=None, default: str | None = None):
    """Pick ``(Fmt, pyoxigraph format)`` from ``table``.

    ``override`` holds ``?format=`` values (short names or media types, a
    string or a list, each possibly comma-separated). An explicit ``Accept``
    header (concrete media types only, as programs send) that the server can
    satisfy wins over ``override``, unless a format named by ``override`` is
    itself acceptable; otherwise ``override`` wins over a browser's or a
    wildcard ``Accept``. Without any preference the first entry (or
    ``default``) is used.
    """
    entries = list(table.values())
    items = parse_accept(accept)
    named, given = _override_entries(table, override)
    if given:
        if _explicit(items):
            for fmt, ox_fmt in named:
                if _quality((fmt.media_type, *fmt.aliases), items) > 0:
                    return fmt, ox_fmt
            best = _best_by_accept(entries, items)
            if best is not None:
                return best
        if named:
            return named[0]
        raise NotAcceptable([f.name for f, _ in entries])
    if not items:
        return table[default] if default else entries[0]
    best = _best_by_accept(entries, items)
    if best is None:
        raise NotAcceptable([f.media_type for f, _ in entries])
    return best


def prefers_html(accept: str | None) -> bool:
    """True when a browser asks (text/html ranked at least as high as any RDF type)."""
    items = parse_accept(accept)
    html_q = max((q for rng, q, spec in items if rng in ("text/html", "application/xhtml+xml")), default=0.0)
    if html_q <= 0:
        return False
    rdf_types = {f.media_type for f, _ in GRAPH_FORMATS.values()} | {
        f.media_type for f, _ in RESULT_FORMATS.values()}
    other_q = max((q for rng, q, spec in items if rng in rdf_types), default=0.0)
    return html_q >= other_q
