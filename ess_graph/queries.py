"""Saved SPARQL queries: ``queries/*.rq`` files with a YAML header.

A saved query starts with comment lines beginning ``#+`` that together form a
YAML document (the grlc convention)::

    #+ title: Communes partnering with cooperatives
    #+ description: >
    #+   Communes that partner with, supply or are supplied by a cooperative ...
    #+ params:
    #+   - name: coop
    #+     type: iri
    #+     required: false
    #+     description: restrict to one cooperative

A parameter ``name`` is the SPARQL variable ``?name``. Values are bound with
Oxigraph's substitutions (SEP-0007): they are typed RDF terms handed to the
engine, never pasted into the query text, so no value can change the query.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from .errors import QueryError
from .namespaces import PREFIXES, XSD
from .resources import queries_dir

PARAM_TYPES = ("iri", "string", "integer", "decimal", "date", "boolean", "language-string")
_QUERY_FORM = re.compile(r"^\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I | re.M)


@dataclass
class QueryParam:
    name: str
    type: str = "string"
    required: bool = False
    default: Any = None
    description: str = ""

    def to_term(self, value: str):
        """Turn a string given by a user into a typed RDF term (QueryError if invalid)."""
        v = str(value)
        try:
            if self.type == "iri":
                if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", v):
                    raise ValueError("not an absolute IRI")
                return ox.NamedNode(v)
            if self.type == "integer":
                if not re.fullmatch(r"[+-]?\d+", v.strip()):
                    raise ValueError("not an integer")
                return ox.Literal(str(int(v)), datatype=ox.NamedNode(XSD.integer))
            if self.type == "decimal":
                return ox.Literal(str(Decimal(v.strip())), datatype=ox.NamedNode(XSD.decimal))
            if self.type == "date":
                return ox.Literal(date.fromisoformat(v.strip()).isoformat(),
                                  datatype=ox.NamedNode(XSD.date))
            if self.type == "boolean":
                lv = v.strip().lower()
                if lv not in ("true", "false", "1", "0"):
                    raise ValueError("not a boolean")
                return ox.Literal("true" if lv in ("true", "1") else "false",
                                  datatype=ox.NamedNode(XSD.boolean))
            if self.type == "language-string":
                return ox.Literal(v, language="fr")
            return ox.Literal(v)
        except (ValueError, InvalidOperation) as e:
            raise QueryError(f"parameter {self.name!r}: {value!r} is not a valid {self.type} ({e})") from None


@dataclass
class SavedQuery:
    name: str
    title: str
    description: str
    text: str
    path: Path | None = None
    params: list[QueryParam] = field(default_factory=list)

    @property
    def query_type(self) -> str:
        body = "\n".join(l for l in self.text.splitlines() if not l.lstrip().startswith("#"))
        m = _QUERY_FORM.search(body)
        return m.group(1).upper() if m else "SELECT"

    def param(self, name: str) -> QueryParam:
        for p in self.params:
            if p.name == name:
                return p
        raise QueryError(f"query {self.name!r} has no parameter {name!r} "
                         f"(parameters: {', '.join(p.name for p in self.params) or 'none'})")

    def substitutions(self, values: dict[str, str] | None = None) -> dict[ox.Variable, Any]:
        values = dict(values or {})
        subs: dict[ox.Variable, Any] = {}
        for k in values:
            self.param(k)  # unknown parameter -> QueryError
        for p in self.params:
            if p.name in values and values[p.name] not in (None, ""):
                subs[ox.Variable(p.name)] = p.to_term(values[p.name])
            elif p.default is not None:
                subs[ox.Variable(p.name)] = p.to_term(str(p.default))
            elif p.required:
                raise QueryError(f"query {self.name!r} needs parameter {p.name!r} ({p.type})")
        return subs

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "type": self.query_type,
                "params": [vars(p).copy() for p in self.params]}


def _parse_header(text: str, source: str) -> dict[str, Any]:
    lines, first_line = [], None
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("#+"):
            if first_line is None:
                first_line = i
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif lines and line.strip() and not line.startswith("#"):
            break
    if not lines:
        return {}
    try:
        meta = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = (first_line or 1) + (mark.line if mark else 0)
        raise QueryError(f"invalid YAML header: {getattr(e, 'problem', e)}",
                         source=source, line=line) from None
    if not isinstance(meta, dict):
        raise QueryError("the #+ header must be a YAML mapping", source=source, line=first_line)
    return meta


def parse_saved_query(text: str, name: str, path: Path | None = None) -> SavedQuery:
    source = str(path) if path else name
    meta = _parse_header(text, source)
    params = []
    for p in meta.get("params") or []:
        if not isinstance(p, dict) or "name" not in p:
            raise QueryError("each entry of params needs a name", source=source)
        ptype = str(p.get("type", "string"))
        if ptype not in PARAM_TYPES:
            raise QueryError(f"parameter {p['name']!r}: unknown type {ptype!r} "
                             f"(one of {', '.join(PARAM_TYPES)})", source=source)
        params.append(QueryParam(name=str(p["name"]), type=ptype,
                                 required=bool(p.get("required", False)),
                                 default=p.get("default"),
                                 description=str(p.get("description", "")).strip()))
    sq = SavedQuery(name=name, title=str(meta.get("title", name)),
                    description=str(meta.get("description", "")).strip(),
                    text=text, path=path, params=params)
    _check_projection(sq, source)
    return sq


_PROJECTION = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:\bWHERE\b|\{|\bFROM\b)", re.I | re.S)


def _check_projection(sq: SavedQuery, source: str) -> None:
    """Oxigraph binds a parameter only if its variable is projected: check it early."""
    if sq.query_type != "SELECT" or not sq.params:
        return
    body = "\n".join(l for l in sq.text.splitlines() if not l.lstrip().startswith("#"))
    m = _PROJECTION.search(body)
    if not m or m.group(1).strip() == "*":
        return
    for p in sq.params:
        if not re.search(rf"[?$]{re.escape(p.name)}\b", m.group(1)):
            raise QueryError(f"parameter {p.name!r} must appear in the SELECT clause "
                             f"(as ?{p.name}) to be bound", source=source)


def load_query_file(path: str | Path) -> SavedQuery:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError("no such query file", source=str(p)) from None
    except UnicodeDecodeError as e:
        raise QueryError(f"not UTF-8 text (byte {e.start})", source=str(p)) from None
    except OSError as e:
        raise QueryError(f"cannot read: {e.strerror}", source=str(p)) from None
    return parse_saved_query(text, p.stem, p)


def list_queries(directory: str | Path | None = None) -> list[SavedQuery]:
    d = Path(directory) if directory else queries_dir()
    return [load_query_file(p) for p in sorted(d.glob("*.rq"))]


def get_query(name: str, directory: str | Path | None = None) -> SavedQuery:
    d = Path(directory) if directory else queries_dir()
    p = d / f"{name}.rq"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not p.is_file():
        known = ", ".join(q.name for q in list_queries(d))
        raise QueryError(f"unknown saved query {name!r} (known: {known})")
    return load_query_file(p)


def execute(store, sparql: str, *, substitutions=None, source: str = "query",
            use_default_graph_as_union: bool = True, **kwargs):
    """Run SPARQL on a pyoxigraph Store (or GraphStore) with essgraph's prefixes.

    By default the default graph is the union of all graphs (clipping graphs,
    reference graph, provenance), which is what saved queries expect.
    """
    ox_store = getattr(store, "store", store)
    try:
        return ox_store.query(sparql, prefixes=dict(PREFIXES), substitutions=substitutions,
                              use_default_graph_as_union=use_default_graph_as_union, **kwargs)
    except SyntaxError as e:
        msg = str(e)
        m = re.search(r"error at (\d+):(\d+)", msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        raise QueryError(f"invalid SPARQL: {msg}", source=source, line=line, column=col) from None


def run_saved(store, query: SavedQuery, params: dict[str, str] | None = None):
    return execute(store, query.text, substitutions=query.substitutions(params),
                   source=str(query.path or query.name))


def remote_query_text(text: str, substitutions: dict | None = None) -> str:
    """The query as sent to a remote endpoint: essgraph's prefixes declared and
    parameters bound by a trailing ``VALUES`` block (terms serialised, never
    spliced into the query body)."""
    declared = {m.group(1) for m in re.finditer(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?\s*:", text)}
    used = set(re.findall(r"(?<![\w<\"'?$])([A-Za-z][\w-]*):[\w\\%]", text))  # commune:05065, post:a\/b
    head = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items()
                   if p in used and p not in declared)
    body = text
    if substitutions:
        names = sorted(substitutions, key=lambda v: v.value)
        vars_ = " ".join(f"?{v.value}" for v in names)
        vals = " ".join(str(substitutions[v]) for v in names)
        body = text.rstrip() + f"\nVALUES ({vars_}) {{ ({vals}) }}\n"
    return head + body
