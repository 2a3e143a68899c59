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

import multiprocessing
import os
import re
import signal
import stat
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from .errors import EssGraphError, InputError, QueryError, StoreError
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
        if not stat.S_ISREG(p.stat().st_mode):  # a FIFO or device would block the read
            raise QueryError("not a regular file", source=str(p))
        data = p.read_bytes()
    except FileNotFoundError:
        raise QueryError("no such query file", source=str(p)) from None
    except OSError as e:
        raise QueryError(f"cannot read: {e.strerror}", source=str(p)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        start = e.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise QueryError(f"not UTF-8 text (byte 0x{data[start]:02x})", source=str(p),
                         line=line, column=col) from None
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
    reference graph, provenance), which is what saved queries expect. The query
    is checked first (:func:`check_query`); a syntax error is a
    :class:`QueryError` at the line and column of the offending token. The
    result is lazy: evaluation errors (a failing ``SERVICE`` call) surface
    while it is read, as ``OSError`` (see :func:`evaluation_error`). For a time
    limit, use :func:`run_query`.
    """
    check_query(sparql, source)
    ox_store = getattr(store, "store", store)
    try:
        return ox_store.query(sparql, prefixes=dict(PREFIXES), substitutions=substitutions,
                              use_default_graph_as_union=use_default_graph_as_union, **kwargs)
    except SyntaxError as e:
        line, col, msg = explain_syntax_error(sparql, str(e))
        raise QueryError(f"invalid SPARQL: {msg}", source=source, line=line, column=col) from None
    except (OSError, RuntimeError, ValueError) as e:
        raise evaluation_error(sparql, e, source) from None


#: seconds a query may run from the command line before it is stopped (``--timeout``)
DEFAULT_TIMEOUT = 60.0


def run_query(store_path, sparql: str, *, substitutions=None, fmt: str = "table",
              source: str = "query", timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """Run a query on the store at ``store_path`` and return the result written
    in ``fmt`` (see :func:`ess_graph.results.format_result`).

    The query runs in a child process that is killed after ``timeout`` seconds
    (``None`` or 0: no limit): pyoxigraph cannot cancel a query, and the limit
    must also stop a ``SERVICE`` endpoint that accepts the connection and never
    answers. A timeout, a crash of the engine, a syntax error and a failing
    ``SERVICE`` call are each one :class:`QueryError`; a store that cannot be
    opened is a :class:`~ess_graph.errors.StoreError`.
    """
    check_query(sparql, source)
    check_service_targets(sparql, source)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    with tempfile.TemporaryFile() as out:
        proc = ctx.Process(target=_child, args=(store_path, sparql, substitutions, fmt, source,
                                                out, send), daemon=True)
        proc.start()
        send.close()
        try:
            proc.join(timeout or None)
            if proc.is_alive():
                proc.kill()
                proc.join()
                services = check_service_targets(sparql, source)
                waiting = (" (it calls SERVICE " + ", ".join(f"<{t}>" for t in services) + ")"
                           if services else "")
                raise QueryError(f"the query did not finish within {timeout:g} s and was "
                                 f"stopped{waiting}; --timeout sets the limit", source=source)
        except KeyboardInterrupt:
            proc.kill()
            proc.join()
            raise
        try:
            report = recv.recv() if recv.poll() else None
        except EOFError:  # the child closed the pipe without a report: it succeeded or died
            report = None
        recv.close()
        if report is not None:
            kind, message, where, line, column = report
            raise _ERRORS.get(kind, QueryError)(message, source=where, line=line, column=column)
        if proc.exitcode != 0:
            code = proc.exitcode
            why = (f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}")
            raise QueryError(f"the query engine stopped abnormally ({why})", source=source)
        out.seek(0)
        return out.read()


def _child(store_path, sparql, substitutions, fmt, source, out, send) -> None:
    """Body of the child process of :func:`run_query` (never returns)."""
    code = 0
    try:
        from .results import format_result
        from .store import GraphStore
        gs = GraphStore(store_path, read_only=True)
        result = execute(gs, sparql, substitutions=substitutions, source=source)
        try:
            data = format_result(result, fmt)
        except (OSError, RuntimeError, ValueError) as e:
            raise evaluation_error(sparql, e, source) from None
        out.write(data)
        out.flush()
    except EssGraphError as e:
        send.send((type(e).__name__, e.message, e.source, e.line, e.column))
        code = 3
    except BaseException as e:  # anything else: one line, not a traceback
        send.send(("QueryError", f"the query failed: {type(e).__name__}: {e}", source, None, None))
        code = 4
    finally:
        os._exit(code)


_ERRORS = {"QueryError": QueryError, "StoreError": StoreError, "InputError": InputError}


def run_saved(store, query: SavedQuery, params: dict[str, str] | None = None):
    return execute(store, query.text, substitutions=query.substitutions(params),
                   source=str(query.path or query.name))


def remote_query_text(text: str, substitutions: dict | None = None) -> str:
    """The query as sent to a remote endpoint: essgraph's prefixes declared and
    parameters bound by a trailing ``VALUES`` block (terms serialised, never
    spliced into the query body)."""
    declared = {m.group(1) for m in re.finditer(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?\s*:", text)}
    used = set(re.findall(r"(?<![\w<\"'?$])([A-Za-z][\w-]*):[\w\\%]", text))  # commune:05065, post:a\/b
    # all on the first line, so that the server's error positions keep their line numbers
    head = "".join(f"PREFIX {p}: <{iri}> " for p, iri in PREFIXES.items()
                   if p in used and p not in declared)
    body = text
    if substitutions:
        names = sorted(substitutions, key=lambda v: v.value)
        vars_ = " ".join(f"?{v.value}" for v in names)
        vals = " ".join(str(substitutions[v]) for v in names)
        body = text.rstrip() + f"\nVALUES ({vars_}) {{ ({vals}) }}\n"
    return head + body


# --------------------------------------------------------------------------- checks and errors

#: a text with fewer brackets and prefix operators than this cannot come near
#: the nesting limit, so the (costlier) lexical check is skipped
_NESTING_SCREEN = 64


def check_query(text: str, source: str = "query") -> None:
    """Refuse, before evaluation, what would crash or misbehave in the engine:
    lone surrogates (bytes that were not UTF-8), nesting deeper than the
    server's limit (the parser is recursive: deep nesting overflows its stack),
    and ``SERVICE`` targets that are not http(s) URLs."""
    m = _SURROGATE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        byte = ord(m.group()) - 0xDC00 if 0xDC80 <= ord(m.group()) <= 0xDCFF else None
        what = f"byte 0x{byte:02x}" if byte is not None else f"U+{ord(m.group()):04X}"
        raise QueryError(f"the query is not valid UTF-8 text ({what})", source=source,
                         line=line, column=col)
    if sum(text.count(c) for c in "({[!^-+") < _NESTING_SCREEN:
        return
    # imported here: the serve package loads the web stack, only worth it for such texts
    from .serve.sparql_text import MAX_NESTING, nesting_depth
    if nesting_depth(text, stop_at=MAX_NESTING) > MAX_NESTING:
        raise QueryError(f"the query is nested more than {MAX_NESTING} levels deep "
                         "(brackets and prefix operators); essgraph refuses deeper queries",
                         source=source)


def check_service_targets(text: str, source: str = "query") -> list[str]:
    """The ``SERVICE`` endpoints a query calls; a target that is not an
    http(s) URL is a :class:`QueryError` (the engine only speaks HTTP)."""
    if "service" not in text.lower():
        return []
    from .serve.sparql_text import remote_targets  # see check_query for why here
    targets = []
    for t in remote_targets(text, dict(PREFIXES)):
        if t is None:
            continue
        if not re.match(r"(?i)https?://", t):
            raise QueryError(f"SERVICE <{t}>: only http(s) SPARQL endpoints can be called",
                             source=source)
        targets.append(t)
    return targets


def evaluation_error(text: str, e: BaseException, source: str) -> QueryError:
    """One line for an error raised while a query runs (a SERVICE call that
    fails, a store read error)."""
    msg = " ".join(str(e).split()) or type(e).__name__
    services = check_service_targets(text, source)
    if services:
        where = ", ".join(f"<{t}>" for t in services)
        return QueryError(f"a SERVICE call failed ({where}): {msg}; SERVICE needs network "
                          "access to that endpoint", source=source)
    return QueryError(f"the query failed: {msg}", source=source)


_SURROGATE = re.compile("[\ud800-\udfff]")

#: every word SPARQL 1.1 (and the 1.2 drafts Oxigraph reads) accepts outside IRIs and strings
_WORDS = frozenset(w.upper() for w in """
    a true false BASE PREFIX SELECT DISTINCT REDUCED AS CONSTRUCT WHERE DESCRIBE ASK FROM NAMED
    GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET VALUES UNDEF LOAD SILENT INTO CLEAR CREATE DROP
    ADD MOVE COPY TO INSERT DATA DELETE WITH USING DEFAULT ALL GRAPH OPTIONAL SERVICE BIND
    MINUS UNION FILTER NOT IN EXISTS LATERAL STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE
    RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS
    STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID
    STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT sameTerm isIRI isURI
    isBLANK isLITERAL isNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT
    SEPARATOR TRIPLE SUBJECT PREDICATE OBJECT isTRIPLE LANGDIR hasLANG hasLANGDIR STRLANGDIR
    ADJUST VERSION
""".split())
_PAIRS = {"(": ")", "{": "}", "[": "]"}
#: operator characters that cannot come right before a closing bracket
_BINARY = frozenset("&|=<>,/!^")


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _offset(text: str, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl == -1:
            return len(text)
        start = nl + 1
    return min(len(text), start + max(col - 1, 0))


def _show(token: str) -> str:
    token = token if len(token) <= 40 else token[:39] + "…"
    return repr(token)


def _lexical_problem(text: str) -> tuple[int, str] | None:
    """The first problem a tokenizer can see: an unterminated string, an
    unbalanced bracket, an undeclared prefix or a word that is no SPARQL keyword."""
    from .serve.sparql_text import tokenize  # see check_query for why here
    tokens = tokenize(text)
    declared = {t.value[:-1] for i, t in enumerate(tokens[1:], 1)
                if t.kind == "pname" and t.value.endswith(":")
                and tokens[i - 1].kind == "word" and tokens[i - 1].value.upper() == "PREFIX"}
    known = set(PREFIXES) | declared
    stack: list = []
    for i, t in enumerate(tokens):
        prev = tokens[i - 1].value if i else ""
        if t.kind == "other" and t.value in "\"'":
            return t.start, f"unterminated string starting with {t.value}"
        if t.kind == "other" and t.value in _PAIRS:
            stack.append(t)
        elif t.kind == "other" and t.value in ")}]":
            if prev in _BINARY and tokens[i - 1].kind == "other":
                j = i - 1  # the whole operator: '&&', '!=', '<='…
                while j > 0 and tokens[j - 1].kind == "other" and tokens[j - 1].value in _BINARY \
                        and tokens[j - 1].end == tokens[j].start:
                    j -= 1
                return tokens[j].start, (f"{_show(text[tokens[j].start:tokens[i - 1].end])} has "
                                         f"nothing on its right before {_show(t.value)}")
            if not stack:
                return t.start, f"{_show(t.value)} closes nothing"
            opened = stack.pop()
            if _PAIRS[opened.value] != t.value:
                line, col = _line_col(text, opened.start)
                return t.start, (f"{_show(t.value)} does not close the {_show(opened.value)} "
                                 f"opened at {line}:{col}")
        elif t.kind == "pname" and prev.upper() != "PREFIX":
            pfx = t.value.split(":", 1)[0]
            if pfx not in known:
                return t.start, (f"unknown prefix '{pfx}:' in {_show(t.value)}: declare it with "
                                 f"PREFIX {pfx}: <…> (essgraph declares {', '.join(sorted(PREFIXES))})")
        elif t.kind == "word" and t.value.upper() not in _WORDS and prev not in ("@", "-"):
            return t.start, f"{_show(t.value)} is not a SPARQL keyword or function"
    if stack:
        return stack[-1].start, f"{_show(stack[-1].value)} is never closed"
    return None


def explain_syntax_error(text: str, engine_message: str) -> tuple[int | None, int | None, str]:
    """(line, column, message) for a query Oxigraph could not parse.

    Oxigraph's parser reports the furthest point it reached and the tokens its
    grammar allowed there (``expected one of GRAPH, MINUS, [_]``), which is
    often past the mistake and means little to a user. A lexical pass finds the
    usual mistakes first (unterminated string, unbalanced bracket, undeclared
    prefix, misspelt keyword); otherwise the message names the token at the
    position the parser gave.
    """
    found = _lexical_problem(text)
    if found is not None:
        line, col = _line_col(text, found[0])
        return line, col, found[1]
    m = re.search(r"error at (\d+):(\d+)", engine_message)
    if not m:
        return None, None, engine_message
    off = _offset(text, int(m.group(1)), int(m.group(2)))
    from .serve.sparql_text import tokenize  # see check_query for why here
    tokens = [t for t in tokenize(text) if t.start < off]
    expected = re.findall(r'"([^"]{1,3})"', engine_message.split("expected", 1)[-1])
    hint = f" (expected {' or '.join(repr(x) for x in expected[:6])})" if expected else ""
    if not tokens:
        return int(m.group(1)), int(m.group(2)), "the query is empty or has no query form" + hint
    tok = tokens[-1]
    if text[tok.end:].strip() == "":  # the parser gave up at the very end
        if tok.value in ("}", ")", "]") and len(tokens) > 1:
            before = tokens[-2]
            line, col = _line_col(text, before.start)
            return line, col, (f"cannot parse the pattern or expression ending with "
                               f"{_show(before.value)}, before the closing {_show(tok.value)}: "
                               "a triple needs a subject, a predicate and an object")
        line, col = _line_col(text, tok.start)
        return line, col, f"the query ends too early, after {_show(tok.value)}" + hint
    line, col = _line_col(text, tok.start)
    return line, col, f"syntax error at {_show(tok.value)}" + hint
