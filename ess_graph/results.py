"""Turn query results into text: tables for people, standard formats for tools."""
from __future__ import annotations

import pyoxigraph as ox

from .errors import QueryError
from .curie import term_text
from .formats import GRAPH_FORMATS as GRAPHS, RESULT_FORMATS, WRITABLE_GRAPH_FORMATS
from .namespaces import PREFIXES

SELECT_FORMATS = {n: f.ox for n, f in RESULT_FORMATS.items()}
GRAPH_FORMATS = {n: GRAPHS[n].ox for n in WRITABLE_GRAPH_FORMATS}


def compact(term) -> str:
    """Human form of a term: pasteable prefixed name for IRIs, plain value for literals."""
    return term_text(term)


def _table(variables: list[str], rows: list[list[str]], max_width: int = 60) -> str:
    def clip(s: str) -> str:
        s = s.replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"
    rows = [[clip(c) for c in r] for r in rows]
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(variables)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(variables), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def format_result(result, fmt: str = "table") -> bytes:
    """Serialise a pyoxigraph query result (SELECT, ASK, CONSTRUCT/DESCRIBE)."""
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return (("true" if bool(result) else "false") + "\n").encode()
        if fmt in SELECT_FORMATS:
            return result.serialize(format=SELECT_FORMATS[fmt])
        raise QueryError(f"an ASK query cannot be written as {fmt} (use table, json, xml, csv or tsv)")
    if isinstance(result, ox.QuerySolutions):
        if fmt == "table":
            variables = [v.value for v in result.variables]
            rows = [[compact(sol[v]) for v in variables] for sol in result]
            return _table(variables, rows).encode()
        if fmt in SELECT_FORMATS:
            return result.serialize(format=SELECT_FORMATS[fmt])
        raise QueryError(f"a SELECT query cannot be written as {fmt} (use table, json, xml, csv or tsv)")
    # QueryTriples
    if fmt == "table":
        fmt = "turtle"
    if fmt not in GRAPH_FORMATS:
        raise QueryError(f"a CONSTRUCT/DESCRIBE query cannot be written as {fmt} "
                         f"(use {', '.join(GRAPH_FORMATS)})")
    triples = list(result)
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt],
                        prefixes=dict(PREFIXES) if fmt in ("turtle", "trig") else None) or b""


def rows_as_dicts(result) -> list[dict[str, str]]:
    """SELECT results as a list of {variable: value} (IRIs and literal values as strings)."""
    variables = [v.value for v in result.variables]
    out = []
    for sol in result:
        row = {}
        for v in variables:
            t = sol[v]
            if t is not None:
                row[v] = t.value if hasattr(t, "value") else str(t)
        out.append(row)
    return out
